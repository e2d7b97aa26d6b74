#!/usr/bin/env bash
# A LoRA adapter as alignstream trains and writes it (PEFT's layout) against an independent plain-PyTorch
# reading of the same files: teacher-forced log-probs of the base and of the adapted model must agree to 1e-4.
# Usage: bench/model/lora-parity.sh [OUT_DIR=model/target/lora-parity] [preset=llama-tiny] [rank=4]
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-model/target/lora-parity}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
mvn -B -q -o -pl model test-compile
mvn -B -q -o -pl model dependency:build-classpath -Dmdep.outputFile="$OUT/cp.txt" -Dmdep.includeScope=test >/dev/null
java -Xmx2g -Dai.djl.offline=true -cp "model/target/classes:model/target/test-classes:$(cat "$OUT/cp.txt")" \
  io.alignstream.model.bench.LoraParity "$OUT" "${2:-llama-tiny}" "${3:-4}" 2>/dev/null
OMP_NUM_THREADS=1 /usr/bin/python3 bench/reference/lora_parity.py "$OUT"
