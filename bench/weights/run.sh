#!/usr/bin/env bash
# Weight sync through Kafka: publish → verified delivery time and MB/s for several checkpoint sizes.
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -B -q -o -pl runtime -am install -DskipTests >/dev/null
cd runtime
mvn -B -q -o dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-cp.txt >/dev/null
java -Xmx3g -Dorg.slf4j.simpleLogger.defaultLogLevel=error \
  -cp "target/test-classes:target/classes:$(cat target/bench-cp.txt)" io.alignstream.runtime.WeightSyncBenchmark
