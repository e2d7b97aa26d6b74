#!/usr/bin/env bash
# Decoding throughput of two commits side by side: builds the model module of each in a scratch
# worktree, then alternates GenerationBenchmark runs (A, B, A, B, ...) so both see the same load.
# Usage: bench/model/generation-ab.sh BEFORE_REV [AFTER_REV=HEAD] [pairs=3] [rounds=7] [tokens=96] [batches=1,8]
set -euo pipefail
cd "$(dirname "$0")/../.."
BEFORE=${1:?usage: bench/model/generation-ab.sh BEFORE_REV [AFTER_REV] [pairs] [rounds] [tokens] [batches]}
AFTER=${2:-HEAD}
PAIRS=${3:-3}
ARGS=("${4:-7}" "${5:-96}" "${6:-1,8}")
WORK=$(mktemp -d)
trap 'git worktree remove --force "$WORK/A" 2>/dev/null; git worktree remove --force "$WORK/B" 2>/dev/null; rm -rf "$WORK"' EXIT
# GenerationBenchmark is newer than some commits worth comparing: those run this tree's copy of it
# against their own model classes.
mvn -B -q -o -pl model test-compile
BENCH_CLASS=io/alignstream/model/bench/GenerationBenchmark.class
for SIDE in A B; do
  REV=$BEFORE; [ "$SIDE" = B ] && REV=$AFTER
  git worktree add -q --detach "$WORK/$SIDE" "$REV"
  mvn -B -q -o -f "$WORK/$SIDE/pom.xml" -pl model test-compile
  mvn -B -q -o -f "$WORK/$SIDE/pom.xml" -pl model dependency:build-classpath -Dmdep.outputFile="$WORK/$SIDE.cp" \
    -Dmdep.includeScope=test >/dev/null
  if [ ! -f "$WORK/$SIDE/model/target/test-classes/$BENCH_CLASS" ]; then
    cp "model/target/test-classes/$BENCH_CLASS" "$WORK/$SIDE/model/target/test-classes/$BENCH_CLASS"
  fi
done
echo "A = $(git rev-parse --short "$BEFORE"), B = $(git rev-parse --short "$AFTER"); load average $(cut -d' ' -f1-3 /proc/loadavg)"
for ((i = 1; i <= PAIRS; i++)); do
  for SIDE in A B; do
    echo "-- pair $i, $SIDE"
    java -Xmx1g -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 -Dai.djl.pytorch.num_interop_threads=1 \
      -cp "$WORK/$SIDE/model/target/classes:$WORK/$SIDE/model/target/test-classes:$(cat "$WORK/$SIDE.cp")" \
      io.alignstream.model.bench.GenerationBenchmark "${ARGS[@]}" 2>/dev/null
  done
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
