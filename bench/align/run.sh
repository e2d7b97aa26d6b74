#!/usr/bin/env bash
# align on a task of another kind (bench/align/opposites.py): pretrain a base from its corpus, align with its
# demonstrations and practice prompts, then judge greedy and 4 sampled answers of the aligned model (what align
# --out holds: the loop's policy or π_SFT, whichever the keep check kept), of the learner's tuned SFT stage (π_SFT,
# its v1 checkpoint), of the loop's last version and of the base on the held-out prompts.
# Usage: bench/align/run.sh OUT_DIR [--few] [extra align args...]   (--few: the few-prompts kind, no practice prompts)
# TASK_SEED=N draws another instance of the task (default 7, the instance the defaults were chosen on).
set -euo pipefail
out=${1:?usage: run.sh OUT_DIR [--few]}; shift
few=""; if [ "${1:-}" = --few ]; then few=--few; shift; fi
root="$(cd "$(dirname "$0")/../.." && pwd)"
a="${ALIGNSTREAM:-$root/alignstream}"  # or e.g. ALIGNSTREAM="java -jar app/target/alignstream.jar"
mkdir -p "$out"
mkdir -p "$out/task" && /usr/bin/python3 "$root/bench/align/opposites.py" "$out/task" $few --seed "${TASK_SEED:-7}"
practice=(--prompts "$out/task/practice.jsonl")
[ -s "$out/task/practice.jsonl" ] || practice=()
lscpu | grep 'Model name' || true
run="opp-$(date +%H%M%S)"
time $a align --corpus "$out/task/corpus.jsonl" --pretrain-steps 2000 --demos "$out/task/demos.jsonl" \
  "${practice[@]}" --out "$out/aligned" --work-dir "$out/work" --run "$run" --updates 60 \
  --max-new-tokens 16 --dashboard-port -1 "$@"
sft="$out/work/learner/v000001/policy"
loop="$out/work/learner/$(ls "$out/work/learner" | grep '^v' | sort | tail -1)/policy"  # the loop's last version
for m in aligned:"$out/aligned" sft:"$sft" loop:"$loop" base:"$out/aligned/base"; do
  name=${m%%:*}; dir=${m#*:}
  $a generate --model "$dir" --prompts "$out/task/eval.jsonl" --out "$out/$name-greedy.jsonl" --temperature 0 --max-new-tokens 16 >/dev/null
  $a generate --model "$dir" --prompts "$out/task/eval.jsonl" --out "$out/$name-sampled.jsonl" --temperature 1 -n 4 --seed 3 --max-new-tokens 16 >/dev/null
  /usr/bin/python3 "$root/bench/align/opposites.py" judge "$out" "$out/$name-greedy.jsonl"
  /usr/bin/python3 "$root/bench/align/opposites.py" judge "$out" "$out/$name-sampled.jsonl"
done
grep -o '"kept" : {[^}]*}' "$out/aligned/align.json" || grep -A3 '"kept"' "$out/aligned/align.json"
