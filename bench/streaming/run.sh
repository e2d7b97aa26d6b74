#!/usr/bin/env bash
# The price of streaming: the same alignment workload in process and through Kafka, arms alternated,
# each in its own JVM, first pinned to one core (taskset -c 0), then unpinned.
# Usage: bench/streaming/run.sh [pairs=2] [updates=20]
# Environment: MODES=pinned|unpinned (default both), ARM_JVM_OPTS (extra options for every arm's JVM),
# WARMUP (updates before the timed window, default 5; more measures a steadier state, both arms alike).
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -B -q -o -pl app -am install -DskipTests >/dev/null
cd app
mvn -B -q -o dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/streaming-cp.txt >/dev/null
# A private copy of the classes: a build of app by someone else during the run must not change them.
CLASSES=$(mktemp -d /tmp/streaming-classes-XXXXXX)
for try in 1 2 3; do
  mvn -B -q -o test-compile >/dev/null
  rm -rf "$CLASSES/main" "$CLASSES/test"
  cp -r target/classes "$CLASSES/main" && cp -r target/test-classes "$CLASSES/test" || true
  [ -f "$CLASSES/test/io/alignstream/app/StreamingCostBenchmark.class" ] && break
  sleep 10
done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "load before: $(uptime)"
java -Xmx1g -Dai.djl.offline=true -Dorg.slf4j.simpleLogger.defaultLogLevel=error \
  -Dbench.modes="${MODES:-pinned,unpinned}" -Dbench.jvmOpts="${ARM_JVM_OPTS:-}" -Dbench.warmup="${WARMUP:-5}" \
  -cp "$CLASSES/test:$CLASSES/main:$(cat target/streaming-cp.txt)" \
  io.alignstream.app.StreamingCostBenchmark "${1:-2}" "${2:-20}"
echo "load after: $(uptime)"
rm -rf "$CLASSES"
