#!/usr/bin/env bash
# End to end: wall time and samples until the demo's streaming policy first reaches 90% golden success
# on the held-out prompts, and the report's comparison, as tables.
# Usage: bench/demo/run.sh [demo options...]   e.g. --updates 60 --seed 7
# Runs ./alignstream demo under a fresh run id with the dashboard off, then reads its report.json. The
# seconds count from the demo's start, so a cached π_0 (the second run on a machine) makes them shorter:
# the table says how long pretraining took.
set -euo pipefail
cd "$(dirname "$0")/../.."
run="bench-demo-$(date -u +%Y%m%d-%H%M%S)"
start=$(date +%s)
./alignstream demo --run "$run" --dashboard-port -1 "$@"
wall=$(( $(date +%s) - start ))
/usr/bin/python3 - "runs/$run/report.json" "$wall" <<'PY'
import json, sys
report, wall = json.load(open(sys.argv[1])), int(sys.argv[2])
goal, seconds, curve = report["goal"], report["seconds"], report["curve"]
first = goal["first_reached"]
best = max(curve, key=lambda p: p["golden_success"])
by_name = {r["name"]: r for r in report["results"]}
aligned = next(r for r in report["results"] if r["name"].startswith("aligned"))
sft = by_name["SFT only"]
print(f"run {report['run']}: {report['task']['demonstrations']} demonstrations, "
      f"{report['recipe']['loop.max_updates']} updates, seed {report['recipe']['seed']}")
print()
print(f"| command wall (s) | pretrain π_0 (s) | stream (s) | first ≥ {goal['golden_success']:.0%}: version | seconds | samples trained "
      f"| best on the curve | aligned (final) | SFT only |")
print("|---|---|---|---|---|---|---|---|---|")
reached = (f"{first['version']} | {first['seconds']:.0f} | {first['samples_trained']:,}" if isinstance(first, dict)
           else "not reached | — | —")
print(f"| {wall} | {seconds['pretrain']:.0f} | {seconds['stream']:.0f} | {reached} "
      f"| {best['golden_success']:.1%} (v{best['version']}) | {aligned['golden_success_greedy']:.1%} "
      f"| {sft['golden_success_greedy']:.1%} |")
print()
print("| policy | golden success, greedy | sampled | how |")
print("|---|---|---|---|")
for r in report["results"]:
    sampled = r.get("golden_success_sampled")
    print(f"| {r['name']} | {r['golden_success_greedy']:.1%} | {'—' if sampled is None else f'{sampled:.1%}'} | {r['how']} |")
PY
