#!/usr/bin/env bash
# Runs one benchmark (or all the quick ones) and writes its tables into BENCHMARKS.md, between the
# markers <!-- bench:NAME begin --> and <!-- bench:NAME end --> of the section "Latest recorded runs",
# with the command, the commit, the machine, the UTC date and the load before and after.
# Usage: bench/record.sh NAME [args...]   NAME: model | flops | ingest | weights | sampler | streaming | demo | all
#        (all = model flops ingest weights sampler; streaming and demo take ~10 minutes, run them by name)
# The full output of each run is kept in bench/results/NAME.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?"usage: bench/record.sh NAME [args...] (model | flops | ingest | weights | sampler | streaming | demo | all)"}
shift
if [ "$name" = all ]; then
  for n in model flops ingest weights sampler; do "$0" "$n"; done
  exit 0
fi
case "$name" in
  model) cmd=(bench/model/run.sh model/target/bench "$@") ;;
  flops) cmd=(bench/model/flops.sh "$@") ;;
  ingest) cmd=(bench/ingest/run.sh "${@:-50000}") ;;
  weights) cmd=(bench/weights/run.sh "$@") ;;
  sampler) cmd=(bench/sampler/run.sh "${@:-600}") ;;
  streaming) cmd=(bench/streaming/run.sh "$@") ;;
  demo) cmd=(bench/demo/run.sh "$@") ;;
  *) echo "bench/record.sh: unknown benchmark '$name' (model | flops | ingest | weights | sampler | streaming | demo | all)" >&2; exit 2 ;;
esac
mkdir -p bench/results
out=bench/results/$name.txt
# The device is part of the machine: a GPU run is recorded with its name (the benchmarks use the first GPU
# when libtorch is a CUDA build, see README "GPUs").
gpu=$( (nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null || true) | head -1)
gpu=${gpu:+GPU $gpu}
gpu=${gpu:-no GPU}
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u '+%Y-%m-%d %H:%M UTC')
echo "bench/record.sh: running ${cmd[*]} (output in $out)" >&2
"${cmd[@]}" 2>&1 | tee "$out" >&2
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
python3 - "$name" "$out" "${cmd[*]}" "$started" "$load_before" "$load_after" \
  "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!BENCHMARKS.md' ':!bench/results' 2>/dev/null || echo ' + uncommitted changes')" \
  "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $gpu" <<'PY'
import re, sys
name, out, cmd, started, before, after, commit, machine = sys.argv[1:9]
tables = []
current = []
ansi = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
for line in open(out, encoding="utf-8", errors="replace"):
    line = ansi.sub("", line.rstrip("\n"))
    if line.startswith("|"):
        current.append(line)
    elif current:
        tables.append(current)
        current = []
if current:
    tables.append(current)
if not tables:
    sys.exit(f"bench/record.sh: {name} printed no table; see {out}")
block = [f"<!-- bench:{name} begin -->",
         f"`bench/record.sh {name}` ran `{cmd}` at {started} on commit {commit}: {machine}; "
         f"load average {before} before, {after} after. Full output: `{out}`.", ""]
for t in tables:
    block += t + [""]
block.append(f"<!-- bench:{name} end -->")
text = open("BENCHMARKS.md", encoding="utf-8").read()
section = "## Latest recorded runs (bench/record.sh)"
if section not in text:
    text = text.rstrip("\n") + "\n\n" + section + "\n\nWritten by `bench/record.sh NAME`; each block is replaced by the next run of its benchmark.\n"
pattern = re.compile(rf"<!-- bench:{re.escape(name)} begin -->.*?<!-- bench:{re.escape(name)} end -->", re.S)
if pattern.search(text):
    text = pattern.sub(lambda m: "\n".join(block), text)
else:
    text = text.rstrip("\n") + "\n\n" + "\n".join(block) + "\n"
open("BENCHMARKS.md", "w", encoding="utf-8").write(text)
print(f"bench/record.sh: {name}: {sum(len(t) for t in tables)} table lines written to BENCHMARKS.md", file=sys.stderr)
PY
