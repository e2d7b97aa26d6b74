#!/usr/bin/env bash
# One reward sync under reward.backbone=frozen, the whole ensemble against its heads alone over π_0, on one
# embedded broker (rewarder/RewardSyncBenchmark): bytes, encode, publish and the rewarder's build per version.
# Usage: bench/weights/reward-heads.sh [preset=tiny|smollm2] [members=3] [versions=3]
# SmolLM2-135M's shape moves about 1.6 GB a whole version at K = 3 (bench/weights/reward-heads.sh smollm2 3 2).
set -euo pipefail
cd "$(dirname "$0")/../.."
# Built in the reactor (target/classes), not installed: nothing is written to the local Maven repository.
mvn -B -q -o -pl rewarder -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/bench-cp.txt >/dev/null
cd rewarder
echo "CPU: $(lscpu | grep 'Model name' | sed 's/.*: *//'); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
java -Xmx8g -Dai.djl.offline=true -Dorg.slf4j.simpleLogger.defaultLogLevel=error \
  -cp "target/test-classes:target/classes:$(cat target/bench-cp.txt)" io.alignstream.rewarder.RewardSyncBenchmark "$@"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
