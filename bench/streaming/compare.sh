#!/usr/bin/env bash
# Before/after for the price of streaming: this checkout's modules against an earlier commit's, the
# benchmark run alternately with each (before, after, before, after, ...) so that both see the same
# machine load. The benchmark (app's test classes) is this checkout's for both; only the code it
# measures differs. Both are packaged, not installed (the earlier commit apart, from `git archive`);
# third-party jars come from the local repository.
# Usage: bench/streaming/compare.sh BEFORE_COMMIT [rounds=2] [updates=20]
# Environment as run.sh: MODES (default pinned here), WARMUP, ARM_JVM_OPTS.
set -euo pipefail
cd "$(dirname "$0")/../.."
before=$(git rev-parse --verify "${1:?usage: compare.sh BEFORE_COMMIT [rounds] [updates]}^{commit}")
after=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . || echo "+changes")
WORK=$(mktemp -d /tmp/streaming-compare-XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# After: this checkout; a private copy of every class the arms load.
mvn -B -q -o -pl app -am package -DskipTests >/dev/null
(cd app && mvn -B -q -o dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$WORK/cp.txt" >/dev/null \
  && mvn -B -q -o test-compile >/dev/null)
cp -r app/target/test-classes "$WORK/bench"
mkdir -p "$WORK/after" "$WORK/before" "$WORK/before-src"
cp -r app/target/classes "$WORK/after/app"
THIRD_PARTY=$(tr ':' '\n' < "$WORK/cp.txt" | grep -v '/io/alignstream/' | paste -sd:)
modules=()
for jar in $(tr ':' '\n' < "$WORK/cp.txt" | grep '/io/alignstream/'); do
  m=$(basename "$jar"); m=${m#alignstream-}; modules+=("${m%%-[0-9]*}")
done
for m in "${modules[@]}"; do cp "$m/target/alignstream-$m-"*.jar "$WORK/after/"; done

# Before: the same modules at BEFORE_COMMIT.
git archive "$before" | tar -x -C "$WORK/before-src"
(cd "$WORK/before-src" && mvn -B -q -o -pl app -am package -DskipTests >/dev/null)
for m in "${modules[@]}"; do cp "$WORK/before-src/$m/target/alignstream-$m-"*.jar "$WORK/before/"; done
cp -r "$WORK/before-src/app/target/classes" "$WORK/before/app"
rm -f "$WORK"/{before,after}/*-sources.jar "$WORK"/{before,after}/*-tests.jar

classpath() { echo "$WORK/bench:$WORK/$1/app:$(ls "$WORK/$1"/*.jar | paste -sd:):$THIRD_PARTY"; }
echo "before: $(git rev-parse --short "$before"), after: $after"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "load before: $(uptime)"
for round in $(seq 1 "${2:-2}"); do
  for side in before after; do
    echo "== round $round: $side =="
    java -Xmx1g -Dai.djl.offline=true -Dorg.slf4j.simpleLogger.defaultLogLevel=error \
      -Dbench.modes="${MODES:-pinned}" -Dbench.jvmOpts="${ARM_JVM_OPTS:-}" -Dbench.warmup="${WARMUP:-5}" \
      -cp "$(classpath "$side")" io.alignstream.app.StreamingCostBenchmark 1 "${3:-20}"
  done
done
echo "load after: $(uptime)"
