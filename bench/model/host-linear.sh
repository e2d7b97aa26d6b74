#!/usr/bin/env bash
# GFLOP/s of the JVM decoder's matrix kernel (HostMath.linear) at batch 1 and 8, SmolLM2 and tiny shapes.
# Usage: bench/model/host-linear.sh   (run it at two commits to compare kernels on one machine)
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -B -q -o -pl model test-compile
mvn -B -q -o -pl model dependency:build-classpath -Dmdep.outputFile="$PWD/model/target/host-cp.txt" -Dmdep.includeScope=test >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(grep -o -m1 -w 'avx512f' /proc/cpuinfo || echo 'no avx512f'); $(date -u '+%Y-%m-%d %H:%M UTC'); load $(cut -d' ' -f1-3 /proc/loadavg)"
java --add-modules jdk.incubator.vector -cp "model/target/classes:model/target/test-classes:$(cat model/target/host-cp.txt)" \
  io.alignstream.model.bench.HostLinearBenchmark 2>/dev/null
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
