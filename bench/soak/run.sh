#!/usr/bin/env bash
# Soak: the loop (sampler, rewarder, learner as processes) with no update limit for N minutes, sampling
# every service's resident memory and live native arrays every 10 s; writes soak.csv, soak-*.png and
# soak-summary.txt to the results directory and exits 1 unless every curve's second half is flat.
# Usage: bench/soak/run.sh [minutes=20] [results dir=bench/soak/results]
set -euo pipefail
cd "$(dirname "$0")/../.."
minutes="${1:-20}"
results="$(realpath -m "${2:-bench/soak/results}")"
mvn -B -q -o -pl app -am install -DskipTests >/dev/null
cd app
mvn -B -q -o dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-cp.txt >/dev/null
# A private copy of this project's classes and jars: on a shared checkout another build may rewrite
# target/ or ~/.m2 during the soak, under the running services.
copy="$(mktemp -d /tmp/alignstream-soak-classes-XXXXXX)"
trap 'rm -rf "$copy"' EXIT
cp -r target/classes "$copy/classes"
cp -r target/test-classes "$copy/test-classes"
classpath="$copy/test-classes:$copy/classes"
IFS=':' read -r -a jars < target/bench-cp.txt || true # the file has no final newline
for jar in "${jars[@]}"; do
  case "$(basename "$jar")" in
    alignstream-*) cp "$jar" "$copy/" && classpath="$classpath:$copy/$(basename "$jar")" ;;
    *) classpath="$classpath:$jar" ;;
  esac
done
java -Xmx1g -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.alignstream.schemas \
  -cp "$classpath" io.alignstream.app.SoakBenchmark "$minutes" "$results"
