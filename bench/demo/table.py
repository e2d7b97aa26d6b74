#!/usr/bin/env python3
"""One BENCHMARKS.md row per demo run: python3 bench/demo/table.py runs/RUN/report.json [...]

Columns: golden success greedy / sampled (%) of pi_0, SFT only, pi_SFT, the oracle-ranked loop and the
aligned loop; aligned - SFT only greedy and sampled (points, paired 95% interval); headroom captured;
which policy the run kept; the run's seconds without pretraining."""
import json, sys


def row(path):
    d = json.load(open(path))
    res = {r["name"].split(" (")[0]: r for r in d["results"]}

    def gs(prefix):
        r = next(v for k, v in res.items() if k.startswith(prefix))
        return f"{100 * r['golden_success_greedy']:.1f} / {100 * r['golden_success_sampled']:.1f}"

    c = d["comparison"]
    al = next(v for k, v in c["vs_sft_only"].items() if k.startswith("aligned"))

    def pct(x):
        return f"{100 * x:.0f}%" if isinstance(x, (int, float)) else "n/a"

    secs = d["seconds"]
    total = secs.get("total", 0) - secs.get("pretrain", 0)
    return (f"| {d['run']} | {gs('base')} | {gs('SFT only')} | {gs('AfD SFT stage')} | {gs('oracle')} | {gs('aligned')} "
            f"| {al['greedy_points']:+.1f} ± {al['greedy_ci95']:.1f} | {al['sampled_points']:+.1f} ± {al['sampled_ci95']:.1f} "
            f"| {pct(c['headroom_captured_greedy'])} / {pct(c['headroom_captured_sampled'])} | {d['kept']['kept']} | {total:.0f} |")


if __name__ == "__main__":
    print("| run | π_0 g/s | SFT only g/s | π_SFT g/s | oracle g/s | aligned g/s | aligned − SFT only, greedy | sampled "
          "| headroom g / s | kept | s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for p in sys.argv[1:]:
        print(row(p))
