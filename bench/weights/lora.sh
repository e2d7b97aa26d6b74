#!/usr/bin/env bash
# One weight sync, whole weights against a LoRA adapter, to a sampler process generating with the new
# version, side by side on one embedded broker (sampler/AdapterSyncBenchmark).
# Usage: bench/weights/lora.sh [preset=tiny|smollm2] [versions=3] [rank=8] [sampler heap=1g] [decoder=torch|jvm]
# SmolLM2-135M's shape moves 0.5 GB a whole version: give the sampler 3g (bench/weights/lora.sh smollm2 3 8 3g).
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -B -q -o -pl sampler -am install -DskipTests >/dev/null
cd sampler
mvn -B -q -o dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-cp.txt >/dev/null
echo "CPU: $(lscpu | grep 'Model name' | sed 's/.*: *//'); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
java -Xmx6g -Dai.djl.offline=true -Dorg.slf4j.simpleLogger.defaultLogLevel=error \
  -cp "target/test-classes:target/classes:$(cat target/bench-cp.txt)" io.alignstream.sampler.AdapterSyncBenchmark "$@"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
