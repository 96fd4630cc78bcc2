"""Chapter 4 training speed: member-steps/s of one stack at the cpu preset, per speed option.

Each row trains one stack of `--stack` runs (x+y mod 113, d_model 64, d_mlp 256, batch 512,
AdamW, evaluation every 20 steps, no probes) for `--steps` steps in a fresh single-threaded
process and prints the members x steps / wall seconds of the whole call (setup and evaluations
included). Rows:

  plain            the Transformer's default path, every held-out pair evaluated
  eval_test 2000   test metrics on 2000 random held-out pairs (RunConfig.eval_test)
  + per_token_first position 0 computed once per token (TransformerConfig.per_token_first)
  + allocator env  grokcore.sweep.WORKER_ENV set (huge pages, a glibc heap that keeps memory)

    .venv/bin/python bench/adam_dynamics_speed.py              # ~2 min on the 2-core CPU
    .venv/bin/python bench/adam_dynamics_speed.py --steps 60   # quicker, noisier

Run it on an idle machine; a second busy process slows every row.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = """
import json, sys, time, torch
torch.set_num_threads(1)
sys.path.insert(0, {root!r})
from chapters.adam_dynamics.configs import base_run, variant
from grokcore.train import train_stack
base = base_run(113, 64, 256, {steps}, eval_test={eval_test}, per_token_first={fast})
cfgs = [variant(base, 0.9, 1.0, s) for s in range({stack})]
t = time.perf_counter()
train_stack(cfgs)
print(json.dumps({{"wall_s": time.perf_counter() - t}}))
"""


def row(steps: int, stack: int, eval_test: int | None, fast: bool, env: bool) -> float:
    from grokcore.sweep import WORKER_ENV

    code = CHILD.format(root=str(ROOT), steps=steps, stack=stack, eval_test=eval_test, fast=fast)
    environ = {**os.environ, **(WORKER_ENV if env else {})}
    if not env:
        for name in WORKER_ENV:
            environ.pop(name, None)
    out = subprocess.run(
        [sys.executable, "-c", code], env=environ, capture_output=True, text=True, check=True
    )
    return stack * steps / json.loads(out.stdout.strip().splitlines()[-1])["wall_s"]


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--steps", type=int, default=200, help="training steps per row (default 200)")
    ap.add_argument(
        "--stack",
        type=int,
        default=6,
        help="runs per stack (default 6, the cpu preset's max_stack)",
    )
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    rows = [
        ("plain", None, False, False),
        ("eval_test 2000", 2000, False, False),
        ("+ per_token_first", 2000, True, False),
        ("+ allocator env", 2000, True, True),
    ]
    print(f"stack of {args.stack}, {args.steps} steps, one thread per process")
    print(f"{'variant':<20} {'member-steps/s':>15} {'vs plain':>9}")
    first = None
    for name, eval_test, fast, env in rows:
        rate = row(args.steps, args.stack, eval_test, fast, env)
        first = first or rate
        print(f"{name:<20} {rate:>15.1f} {rate / first:>8.2f}x", flush=True)


if __name__ == "__main__":
    main()
