#!/usr/bin/env bash
# Llama-family parity at benchmark shapes: the independent PyTorch reference (bench/reference/llama_reference.py,
# float64) writes random weights at SmolLM2-135M's shape and at a small Qwen3 shape (Qwen3-0.6B's layout,
# 7 of its 28 layers) as HF directories with its logits and greedy continuation; the Java model loads each
# and compares (io.alignstream.model.ReferenceParity). The tiny shapes of the same check run in mvn verify.
# Usage: bench/model/llama-parity.sh [OUT_DIR=model/target/parity] [dtype=f32]
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-model/target/parity}
DTYPE=${2:-f32}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
mvn -B -q -o -pl model test-compile
mvn -B -q -o -pl model dependency:build-classpath -Dmdep.outputFile="$OUT/cp.txt" -Dmdep.includeScope=test >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(date -u '+%Y-%m-%d %H:%M UTC')"
for PRESET in smollm2-135m qwen3-small; do
  /usr/bin/python3 bench/reference/llama_reference.py --preset "$PRESET" --out "$OUT/$PRESET" --dtype "$DTYPE" \
    --shards 2 --logits-rows 4 --greedy 8
done
java -Xmx6g -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 -Dai.djl.pytorch.num_interop_threads=1 \
  -cp "model/target/classes:model/target/test-classes:$(cat "$OUT/cp.txt")" \
  io.alignstream.model.ReferenceParity "$OUT/smollm2-135m" "$OUT/qwen3-small" 2>/dev/null
