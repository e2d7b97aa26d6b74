#!/usr/bin/env bash
# Weight sync through Kafka:
#  1. publish → verified delivery time and MB/s for several checkpoint sizes (runtime's WeightSubscriber);
#  2. publish → every sampler process generating with the new version, the whole path (sampler/).
# Usage: bench/weights/run.sh [versions=10] [sampler processes=2]
# A sampler takes a new version when the batch it is generating is done (a batch is one version), so
# part 2 runs with 8 prompts a batch (the default) and with 2.
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -B -q -o -pl sampler -am install -DskipTests >/dev/null
cd runtime
mvn -B -q -o dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-cp.txt >/dev/null
java -Xmx3g -Dorg.slf4j.simpleLogger.defaultLogLevel=error \
  -cp "target/test-classes:target/classes:$(cat target/bench-cp.txt)" io.alignstream.runtime.WeightSyncBenchmark
echo
cd ../sampler
mvn -B -q -o dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-cp.txt >/dev/null
java -Xmx1g -Dai.djl.offline=true -Dorg.slf4j.simpleLogger.defaultLogLevel=error \
  -cp "target/test-classes:target/classes:$(cat target/bench-cp.txt)" io.alignstream.sampler.VersionSwapBenchmark "${1:-10}" "${2:-2}" 8
java -Xmx1g -Dai.djl.offline=true -Dorg.slf4j.simpleLogger.defaultLogLevel=error \
  -cp "target/test-classes:target/classes:$(cat target/bench-cp.txt)" io.alignstream.sampler.VersionSwapBenchmark "${1:-10}" "${2:-2}" 2
