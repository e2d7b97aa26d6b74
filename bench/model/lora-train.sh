#!/usr/bin/env bash
# LoRA against full training, DJL (this repository) and plain PyTorch on the same weights, side by side,
# one thread each (the machines are 2 shared cores).
# Usage: bench/model/lora-train.sh [OUT_DIR=model/target/lora-train] [preset=smollm2] [batch=4] [seq=64]
#        [steps=3] [rank=8] [modes=full,lora]   (modes=lora: without full training, for shapes whose
#        gradients and optimiser state do not fit)
# Needs: /usr/bin/python3 with python3-torch and libopenblas0-pthread (see bench/model/run.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-model/target/lora-train}
PRESET=${2:-smollm2}
SHAPE=("${3:-4}" "${4:-64}" "${5:-3}" "${6:-8}" "${7:-full,lora}")
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
mvn -B -q -o -pl model test-compile
mvn -B -q -o -pl model dependency:build-classpath -Dmdep.outputFile="$OUT/cp.txt" -Dmdep.includeScope=test >/dev/null
CP="model/target/classes:model/target/test-classes:$(cat "$OUT/cp.txt")"
echo "CPU: $(lscpu | grep 'Model name' | sed 's/.*: *//'); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
java -Xmx4g -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 -Dai.djl.pytorch.num_interop_threads=1 \
  -cp "$CP" io.alignstream.model.bench.LoraTrainBenchmark "$OUT" "$PRESET" "${SHAPE[@]}" 2>/dev/null >/dev/null
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/reference/lora_bench.py "$OUT/model" \
  "$OUT/torch-lora.json" 1 "${SHAPE[@]}" >/dev/null
/usr/bin/python3 - "$OUT" <<'PY'
import json, sys, os
d, t = (json.load(open(os.path.join(sys.argv[1], f))) for f in ("djl-lora.json", "torch-lora.json"))
adapter = (f"; adapter {d['adapter_bytes']:,} bytes = {100 * d['adapter_bytes'] / d['full_bytes']:.2f}% of "
           f"{d['full_bytes']:,}") if "adapter_bytes" in d else ""
print(f"{d['preset']}: {d['parameters']:,} parameters, batch {d['batch']} x seq {d['seq']}, rank {d['rank']} on every "
      f"linear layer{adapter}")
print("| train tokens/s (1 thread) | alignstream (DJL) | PyTorch | DJL / PyTorch |")
print("|---|---|---|---|")
for mode in ("full", "lora"):
    for unit in ("", "_cpu"):
        k = f"{mode}_train_tokens_per{unit}_s"
        if k in d:
            print(f"| {mode}{' per CPU-s' if unit else ''} | {d[k]:.1f} | {t[k]:.1f} | {d[k] / t[k]:.2f} |")
if "full_train_tokens_per_s" in d:
    print(f"| LoRA / full (wall) | {d['lora_train_tokens_per_s'] / d['full_train_tokens_per_s']:.2f} | "
          f"{t['lora_train_tokens_per_s'] / t['full_train_tokens_per_s']:.2f} | |")
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
