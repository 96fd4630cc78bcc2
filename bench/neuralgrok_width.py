"""Chapter 3's amplifier width: NeuralGrok at the code's 128, 128 against the cpu preset's 8, 8.

    .venv/bin/python bench/neuralgrok_width.py --seeds 0 --threads 2 \
        --json bench/results/neuralgrok-width.json

Trains NeuralGrok at chapter 3's cpu Table 1 setup (x+y mod 97, the code's decoder, c = 0.2,
clip 1, evaluation every 50 steps, stopping at 95% test accuracy, budget 2000 steps) with the
amplifier of hidden widths 128, 128 (the code's), for the given seeds, and prints each seed's
steps to 95% beside the chapter's shipped 8, 8 run of the same seed (same split, init and
batches). Not cached: each call trains (about 30-40 min per seed at 128, 128 on this CPU).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402

from chapters.neuralgrok import configs as ng  # noqa: E402
from chapters.neuralgrok import scales as ng_scales  # noqa: E402
from grokcore.neuralgrok import AmplifierConfig, train_neuralgrok  # noqa: E402
from grokcore import outcomes  # noqa: E402
from grokcore.records import load_record  # noqa: E402


def table1_config(seed: int, hidden: tuple[int, ...]):
    """The chapter's cpu x+y/neuralgrok cell at `seed`, with amplifier widths `hidden`."""
    P = ng_scales.SCALES["cpu"]
    run = ng.base_run(
        "x+y",
        p=P["p"],
        d_model=P["d_model"],
        num_steps=P["num_steps"],
        eval_every=P["eval_every"],
        stop_at_test_acc=None,
        log_entropy=True,
    ).replace(seed=seed)
    return ng.neuralgrok_run(run, AmplifierConfig(hidden=hidden))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", help="write the rows here")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    for seed in args.seeds:
        small = load_record(table1_config(seed, (8, 8)).key())
        cfg = table1_config(seed, (128, 128))
        cfg = cfg.replace(run=cfg.run.replace(stop_at_test_acc=0.95, log_entropy=False))
        t0 = time.perf_counter()
        rec = train_neuralgrok([cfg])[0]
        wall = time.perf_counter() - t0
        row = {
            "seed": seed,
            "steps_to_95_amp_128_128": outcomes.time_to(rec),
            "steps_to_95_amp_8_8": None if small is None else outcomes.time_to(small),
            "last_step": rec.summary["last_step"],
            "steps_per_s": rec.summary["last_step"] / wall,
            "threads": args.threads,
        }
        print(row, flush=True)
        rows.append(row)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"created": time.strftime("%Y-%m-%dT%H:%M:%S"), "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
