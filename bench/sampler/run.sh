#!/usr/bin/env bash
# Generations per second with 1, 2 and 3 sampler processes on one embedded broker.
# Usage: bench/sampler/run.sh [prompts=240]
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -B -q -o -pl sampler -am install -DskipTests >/dev/null
cd sampler
mvn -B -q -o dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-cp.txt >/dev/null
java -Xmx1g -Dai.djl.offline=true -Dorg.slf4j.simpleLogger.defaultLogLevel=error \
  -cp "target/test-classes:target/classes:$(cat target/bench-cp.txt)" \
  io.alignstream.sampler.SamplerScalingBenchmark "${1:-240}"
