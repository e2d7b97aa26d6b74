#!/usr/bin/env bash
# Model FLOP/s: tiny and GPT-2 small training as a fraction of the fp32 matmul peak measured in the
# same libtorch on the same threads (one intra-op thread by default, the project default).
# Usage: bench/model/flops.sh [tiny_steps=20] [gpt2_steps=3] [threads=1]
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -B -q -o -pl model test-compile
mvn -B -q -o -pl model dependency:build-classpath -Dmdep.outputFile="$PWD/model/target/flops-cp.txt" -Dmdep.includeScope=test >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "load before: $(uptime)"
java -Xmx6g -Dai.djl.offline=true -Dai.djl.pytorch.num_threads="${3:-1}" -Dai.djl.pytorch.num_interop_threads=1 \
  -cp "model/target/classes:model/target/test-classes:$(cat model/target/flops-cp.txt)" \
  io.alignstream.model.bench.ModelFlopsBenchmark "${1:-20}" "${2:-3}" 2>/dev/null
echo "load after: $(uptime)"
