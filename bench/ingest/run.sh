#!/usr/bin/env bash
# Demonstrations per second through the validating ingest topology on the embedded broker.
# Usage: bench/ingest/run.sh [records]   (default 100000; needs ../shared/data/hh for the texts)
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -B -q -o -pl producer -am install -DskipTests
mvn -B -q -o -pl producer test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
cd producer
exec java -Xmx2g -Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.alignstream.schemas \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "target/test-classes:target/classes:$(cat target/bench.classpath)" \
  io.alignstream.producer.IngestBenchmark "$@"
