"""Subnormal floats on the CPU: why chapter 4's beta1-0 runs of Grokfast's README setting train
about 8x slower than the same runs at beta1 0.9, and what flushing them to zero would change.

Each row trains chapter 4's paper config of the `grokfast-code` setting (Grokfast's README run of
EMA: torch.optim.Adam, coupled L2 0.005, lr 1e-3; no gradient filter) for `--steps` steps, seed
0, in a fresh single-threaded process, with torch.set_flush_denormal off (PyTorch's default, what
every record is trained with) or on, and prints training steps/s (the record's
meta.train_steps_per_s: setup and evaluations left out). Per beta1 it then says whether flushing
changes the run's history (its losses and weight norm at every evaluation), and by how much.

Where a run collapses to chance (beta1 0 here: Adam without momentum, with coupled L2, drives the
logits flat) its float32 numbers fall below 1.2e-38, and x86 CPUs handle each such operand with a
microcode assist, tens of times slower than a normal one. Flushing makes them zero: fast, and
other numbers (the history differs). So grokcore does not flush: the records keep the float
semantics PyTorch computes with (bench/README.md has the measured rows).

    .venv/bin/python bench/denormals.py               # ~4 min on the 2-core CPU (idle)
    .venv/bin/python bench/denormals.py --steps 400   # quicker
    .venv/bin/python bench/denormals.py --json bench/results/denormals.json

Run it on an idle machine; a second busy process slows every row.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = """
import dataclasses, json, os, sys, torch
torch.set_num_threads(1)
torch.set_flush_denormal({flush})
os.environ["GROKCORE_CHECKPOINT_S"] = "off"
sys.path.insert(0, {root!r}); sys.path.insert(0, {bench!r})
from paper_cost import notebook_values, preset
from chapters.adam_dynamics import configs
from grokcore.train import train_stack
values = notebook_values("04_adam_dynamics", "paper")
parts, _, _ = configs.plan(preset("04_adam_dynamics", values), values)
(cfg,) = [
    c.run for c in parts["settings"]["grokfast-code"]
    if c.run.method.name == "none" and c.run.optim.betas[0] == {beta1} and c.run.seed == 0
]
cfg = dataclasses.replace(cfg, num_steps={steps}, stop_at_test_acc=None)
(rec,) = train_stack([cfg])
h = rec.history
print(json.dumps({{
    "steps_per_s": rec.meta["train_steps_per_s"],
    "history": {{k: h[k] for k in ("train_loss", "test_loss", "weight_norm", "test_acc")}},
}}))
"""


def row(beta1: float, flush: bool, steps: int) -> dict:
    code = CHILD.format(
        root=str(ROOT), bench=str(ROOT / "bench"), beta1=beta1, flush=flush, steps=steps
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def largest_change(a: dict, b: dict) -> float:
    """The largest relative difference over every logged value of two histories."""
    return max(
        (abs(x - y) / max(abs(x), 1e-30) for k in a for x, y in zip(a[k], b[k])),
        default=0.0,
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--steps", type=int, default=1000, help="training steps per row (>= 20)")
    ap.add_argument("--json", type=Path, help="also write the rows here (atomically)")
    args = ap.parse_args()
    if args.steps < 20:
        ap.error(f"--steps={args.steps}: allowed an integer >= 20 (one evaluation every 20)")
    rows = []
    print(f"{'beta1':>5}  {'flush off':>10}  {'flush on':>10}  {'ratio':>6}  history")
    for beta1 in (0.0, 0.9):
        off, on = row(beta1, False, args.steps), row(beta1, True, args.steps)
        same = off["history"] == on["history"]
        change = 0.0 if same else largest_change(off["history"], on["history"])
        ratio = on["steps_per_s"] / off["steps_per_s"]
        print(
            f"{beta1:>5}  {off['steps_per_s']:>10.1f}  {on['steps_per_s']:>10.1f}  "
            f"{ratio:>5.2f}x  "
            + ("bit for bit the same" if same else f"differs (largest relative {change:.1e})"),
            flush=True,
        )
        rows.append(
            dict(
                beta1=beta1,
                steps_per_s_off=off["steps_per_s"],
                steps_per_s_on=on["steps_per_s"],
                same_history=same,
                largest_relative_change=change,
                final_test_acc=off["history"]["test_acc"][-1],
            )
        )
    if args.json:
        from grokcore.records import atomic_write, cpu_kind

        body = {
            "date": datetime.date.today().isoformat(),
            "steps": args.steps,
            "python": platform.python_version(),
            "cpu": cpu_kind(),
            "rows": rows,
        }
        atomic_write(args.json, json.dumps(body, indent=1, allow_nan=False).encode())


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
