"""Chapter 4: when does a smaller or faster configuration memorize and grok? (size scan)

The chapter's cpu preset is over its 8-minute aim; a smaller model or a larger learning rate
would cut the cost per step or the steps. This script trains the two settings the chapter's
claims lean on (β1 0 and 0.9 at weight decay 1, AdamW, (x+y) mod 113, batch 512, 30% train) for
a few seeds at each configuration given, and prints per run the first step with train and with
test accuracy >= 95%, so one can see whether the phenomenon still shows within the budget, and
the member-steps/s. Runs are cached like the book's (grokcore.sweep.run_or_load), one worker per
core.

    .venv/bin/python bench/adam_dynamics_sizes.py    # the sizes the chapter tried, ~12 min
    .venv/bin/python bench/adam_dynamics_sizes.py --config 48,192,3e-3   # d_model, d_mlp, lr
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TRIED = ["64,256,3e-3", "48,192,3e-3", "32,128,3e-3", "64,128,3e-3", "64,256,6e-3"]


def main() -> None:
    from chapters.adam_dynamics.configs import base_run, variant
    from grokcore.sweep import run_or_load

    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--config", action="append", help="d_model,d_mlp,lr (repeatable; default: the sizes tried)"
    )
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=1500)
    args = ap.parse_args()
    print(
        f"{'d_model':>7} {'d_mlp':>5} {'lr':>7} {'β1':>4}  "
        "train 95% at (per seed)  test 95% at (per seed)  member-steps/s"
    )
    for spec in args.config or TRIED:
        d_model, d_mlp, lr = spec.split(",")
        base = base_run(
            113,
            int(d_model),
            int(d_mlp),
            args.steps,
            lr=float(lr),
            eval_test=2000,
            per_token_first=True,
        )
        cfgs = [variant(base, beta1, 1.0, s) for beta1 in (0.0, 0.9) for s in range(args.seeds)]
        every = run_or_load(cfgs, max_stack=args.seeds)  # one stack per β1, one worker each
        for beta1 in (0.0, 0.9):
            recs = [r for c, r in zip(cfgs, every) if c.optim.betas[0] == beta1]
            train = [r.summary["step_to_train_acc_95"] for r in recs]
            test = [r.summary["step_to_test_acc_95"] for r in recs]
            rate = statistics.median(r.meta["member_steps_per_s"] for r in recs)
            print(
                f"{d_model:>7} {d_mlp:>5} {lr:>7} {beta1:>4}  "
                f"{str(train):<23} {str(test):<23} {rate:.0f}",
                flush=True,
            )
    print("None: not reached within", args.steps, "steps")


if __name__ == "__main__":
    main()
