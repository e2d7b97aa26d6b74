#!/usr/bin/env bash
# Decoding (and training) throughput of both families side by side with plain PyTorch, one intra-op thread,
# on the same weights: GPT-2 tiny, a Llama of the same size, and SmolLM2-135M's shape. For each, the Java
# benchmark (io.alignstream.model.bench.ModelBenchmark) runs twice, decoding through libtorch and on the JVM
# (Vector API), on the model it writes; the PyTorch baseline (bench/reference/gpt2_bench.py or
# llama_bench.py) loads that directory.
# Usage: bench/model/decode.sh [OUT_DIR=model/target/decode] [gen_tokens=64] [gen_batch=8] [presets="tiny llama-tiny smollm2"]
# Needs /usr/bin/python3 with python3-torch and libopenblas0-pthread.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-model/target/decode}
TOKENS=${2:-64}
GEN_BATCH=${3:-8}
PRESETS=${4:-tiny llama-tiny smollm2}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
mvn -B -q -o -pl model test-compile
mvn -B -q -o -pl model dependency:build-classpath -Dmdep.outputFile="$OUT/cp.txt" -Dmdep.includeScope=test >/dev/null
CP="model/target/classes:model/target/test-classes:$(cat "$OUT/cp.txt")"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(date -u '+%Y-%m-%d %H:%M UTC'); load $(cut -d' ' -f1-3 /proc/loadavg)"
for PRESET in $PRESETS; do
  # vocab batch seq train_steps: the tiny shapes train 30 steps of 16 x 64; SmolLM2's 3 steps of 4 x 64.
  if [ "$PRESET" = smollm2 ]; then SHAPE=(512 4 64 3); else SHAPE=(512 16 64 30); fi
  mkdir -p "$OUT/$PRESET"
  for DECODER in torch jvm; do
    STEPS=${SHAPE[3]}; [ "$DECODER" = jvm ] && STEPS=0 # training does not depend on the decoder
    java -Xmx6g --add-modules jdk.incubator.vector -Dalignstream.decoder=$DECODER -Dai.djl.offline=true \
      -Dai.djl.pytorch.num_threads=1 -Dai.djl.pytorch.num_interop_threads=1 -Dbench.preset="$PRESET" -cp "$CP" \
      io.alignstream.model.bench.ModelBenchmark "$OUT/$PRESET" "${SHAPE[@]:0:3}" "$STEPS" "$TOKENS" "$GEN_BATCH" \
      2>/dev/null >/dev/null
    mv "$OUT/$PRESET/djl.json" "$OUT/$PRESET/djl-$DECODER.json"
  done
  SCRIPT=bench/reference/llama_bench.py
  grep -q '"model_type" *: *"gpt2"' "$OUT/$PRESET/model/config.json" && SCRIPT=bench/reference/gpt2_bench.py
  OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 "$SCRIPT" "$OUT/$PRESET/model" "$OUT/$PRESET/torch.json" 1 \
    "${SHAPE[@]:1}" "$TOKENS" "$GEN_BATCH" >/dev/null
done
/usr/bin/python3 - "$OUT" $PRESETS <<'PY'
import json, os, sys
out, presets = sys.argv[1], sys.argv[2:]
keys = ["gen_tokens_per_s_batch1", "gen_tokens_per_s_batch8", "gen_tokens_per_cpu_s_batch1", "gen_tokens_per_cpu_s_batch8",
        "train_tokens_per_s", "matmul_peak_gflops"]
print("| preset | metric | DJL, libtorch decoding | DJL, JVM decoding | PyTorch 1.13 | libtorch / PyTorch | JVM / PyTorch |")
print("|---|---|---|---|---|---|---|")
nan = float("nan")
for p in presets:
    j = json.load(open(os.path.join(out, p, "djl-torch.json")))
    v = json.load(open(os.path.join(out, p, "djl-jvm.json")))
    t = json.load(open(os.path.join(out, p, "torch.json")))
    for k in keys:
        if k in j and k in t:
            vk = v.get(k, nan) if k.startswith("gen") else nan
            print(f"| {p} | {k} | {j[k]:,.3g} | {vk:,.3g} | {t[k]:,.3g} | {j[k] / t[k]:.2f}x | {vk / t[k]:.2f}x |")
PY
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
