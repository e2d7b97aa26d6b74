#!/usr/bin/env bash
# Model-core throughput: DJL (this repository) and plain PyTorch on the same weights, side by side.
# Usage: bench/model/run.sh [OUT_DIR] [vocab] [batch] [seq] [train_steps] [gen_tokens] [gen_batch]
# Needs: a built model module (mvn -q -o -pl model test-compile), /usr/bin/python3 with python3-torch
# and libopenblas0-pthread (the reference BLAS is ~30x slower and would make the baseline unfair).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-model/target/bench}
ARGS=("${@:2}")
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
mvn -B -q -o -pl model test-compile
mvn -B -q -o -pl model dependency:build-classpath -Dmdep.outputFile="$OUT/cp.txt" -Dmdep.includeScope=test >/dev/null
CP="model/target/classes:model/target/test-classes:$(cat "$OUT/cp.txt")"
for THREADS in 1 2; do
  java -Xmx2g -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=$THREADS -Dai.djl.pytorch.num_interop_threads=1 \
    -cp "$CP" io.alignstream.model.bench.ModelBenchmark "$OUT" "${ARGS[@]}" 2>/dev/null >/dev/null
  mv "$OUT/djl.json" "$OUT/djl-$THREADS.json"
  OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS /usr/bin/python3 bench/reference/gpt2_bench.py \
    "$OUT/model" "$OUT/torch-$THREADS.json" $THREADS "${ARGS[@]:1}" >/dev/null
done
/usr/bin/python3 - "$OUT" <<'PY'
import json, sys, glob, os
rows = [json.load(open(f)) for f in sorted(glob.glob(os.path.join(sys.argv[1], "*-[12].json")))]
keys = ["matmul_peak_gflops", "train_tokens_per_s", "train_tokens_per_cpu_s", "train_gflops", "train_fraction_of_peak",
        "gen_tokens_per_s_batch1", "gen_tokens_per_cpu_s_batch1", "gen_tokens_per_s_batch8", "gen_tokens_per_cpu_s_batch8"]
print("| metric | " + " | ".join(r["impl"] for r in rows) + " |")
print("|---|" + "---|" * len(rows))
for k in keys:
    print(f"| {k} | " + " | ".join(f"{r.get(k, float('nan')):.3g}" for r in rows) + " |")
PY
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
