"""Baseline first: rerun each source's own baseline (grokcore.baselines) at its preset and set the
Kaplan-Meier median time-to-grok against the number the source reports.

    .venv/bin/python bench/baselines.py                      # every baseline, 5 seeds each
    .venv/bin/python bench/baselines.py --only neuralgrok fastgrok --seeds 8
    .venv/bin/python bench/baselines.py --ship               # also add the records to the
                                                             # shipped store (grokcore.store)

Runs go through grokcore.sweep.run_or_load (one single-threaded worker per core; a finished run
is written at once, so a kill loses only the runs in flight and a rerun resumes). The table and
--json file hold, per baseline: the source's number, our median and 95% interval, the verdict
against the band [source / 2, source * 2], censored seeds, and the runs' steps/s.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grokcore.baselines import BASELINES  # noqa: E402  (grokcore pins AVX2: shipped records)
from grokcore.outcomes import times  # noqa: E402
from grokcore import store  # noqa: E402
from grokcore.sweep import run_or_load  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", nargs="*", choices=sorted(BASELINES), help="baselines to run")
    ap.add_argument("--seeds", type=int, default=None, help="seeds 0..N-1 (default: each's own)")
    ap.add_argument("--workers", type=int, default=None, help="processes (default: one per core)")
    ap.add_argument("--json", type=Path, default=None, help="write the results here (atomic)")
    ap.add_argument("--ship", action="store_true", help="add the records to store cpu/baselines")
    args = ap.parse_args()
    store.unpack("cpu", ["baselines"])  # the shipped runs serve; only missing or stale ones train
    rows, shipped = [], []
    for bid in args.only or list(BASELINES):
        b = BASELINES[bid]
        t0 = time.perf_counter()
        recs = run_or_load(b.configs(range(args.seeds or b.seeds)), workers=args.workers)
        res = (
            b.check(recs, "cpu")
            if args.seeds in (None, b.seeds)
            else b.claim.check(times(recs, b.key, b.per), scale="cpu")
        )  # the shipped seeds at their looks; other seeds: one look
        speed = sorted(r.meta["train_steps_per_s"] for r in recs)
        row = {
            "id": bid,
            "preset": b.name,
            "where": b.where,
            "reported": b.reported,
            "unit": b.unit,
            "threshold": b.threshold,
            "estimate": res.estimate,
            "low": res.ci_low,
            "high": res.ci_high,
            "band": [res.band_low, res.band_high],
            "ours": res.ours,
            "verdict": res.verdict,
            "reason": res.reason,
            "n": len(recs),
            "censored": sum(r.summary[b.key] is None for r in recs),
            "budget_steps": recs[0].cfg.num_steps,
            "train_steps_per_s_median": speed[len(speed) // 2],
            # descriptive: the KM median at every threshold the records hold (the claim uses one)
            "median_by_threshold": {t: e.estimate for t, e in b.medians_by_threshold(recs).items()},
            "keys": [r.key for r in recs],
            "wall_s_this_call": time.perf_counter() - t0,
        }
        rows.append(row)
        print(
            f"{bid:14s} source {b.reported:>8g} {b.unit:6s} ours {res.ours:>24} "
            f"[{res.ci_low:.0f}, {res.ci_high:.0f}] n={row['n']} censored={row['censored']} "
            f"{row['train_steps_per_s_median']:.1f} steps/s -> {res.verdict}",
            flush=True,
        )
        print(
            " " * 15
            + "KM medians by test accuracy: "
            + ", ".join(
                f"{t}%: {'-' if v is None else f'{v:.0f}'}"
                for t, v in row["median_by_threshold"].items()
            ),
            flush=True,
        )
        shipped += [r.key for r in recs]
    if args.ship:
        path, changed = store.add("baselines", "cpu", shipped)
        print(f"{path}: {'updated' if changed else 'unchanged'}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=args.json.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            json.dump({"created": time.strftime("%Y-%m-%dT%H:%M:%S"), "rows": rows}, f, indent=1)
        os.replace(tmp, args.json)


if __name__ == "__main__":
    main()
