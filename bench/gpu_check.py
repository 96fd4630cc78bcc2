"""Chapter 4 on a GPU: stacked throughput, and a paper-scale slice packed into its store.

bench/gpu_check.sh runs both (and the device tests) in a session with a lent GPU; each also runs
on the CPU, which is how `tests/test_gpu_check.py` checks them.

    python bench/gpu_check.py throughput --device cuda --stacks 1 30 270 --json OUT/throughput.json
    python bench/gpu_check.py slice --device cuda --minutes 3 --out OUT

`throughput`: member-steps/s of one stack of chapter-4 runs (the paper preset: x+y mod 113,
d_model 64, d_mlp 256, batch 512, AdamW at β1 0.9, weight decay 1) per stack size: the seeds and
sweep values stacked into one model, which is how run_or_load trains on a GPU (max_stack None).
Each row times train_stack itself after one untimed warm-up stack (CUDA context, kernels), with
evaluation only at the start and the end.

`slice`: a part of chapter 4's paper plan (its notebook's defaults at scale="paper"; default the
weight-decay sweep, 9 values x 30 seeds x 3000 steps, no probes) trained by run_or_load on the
device until a deadline (grokcore.campaign: no unit starts after it), then every finished record
added to book/results/store/paper/04_adam_dynamics.jsonl.xz (grokcore.store.add) and that store
copied into --out. Commit it: `make book SCALE=paper` then renders from it and trains only the
rest. The records carry their device, torch version and steps/s like any other.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "04_adam_dynamics.ipynb"
STORE_NAME = "04_adam_dynamics"


def notebook_values(scale: str) -> dict:
    """The notebook's parameters at their defaults, checked at `scale` (as papermill would run
    it; read without papermill, which the GPU machine's image lacks)."""
    from chapters.adam_dynamics.parameters import check_parameters
    from grokcore.params import notebook_defaults

    return check_parameters({**notebook_defaults(NOTEBOOK), "scale": scale})


def throughput(device: str, stacks: list[int], steps: int) -> list[dict]:
    import torch

    from chapters.adam_dynamics.configs import base_run, variant
    from grokcore.train import train_stack

    base = base_run(113, 64, 256, steps)

    def run(n: int) -> float:
        cfgs = [variant(base, 0.9, 1.0, s) for s in range(n)]
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        t = time.perf_counter()
        train_stack(cfgs, device=device)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        return time.perf_counter() - t

    run(1)  # warm-up: CUDA context, kernels, allocator
    rows = []
    for n in stacks:
        wall = run(n)
        rate = n * steps / wall
        rows.append({"stack": n, "steps": steps, "wall_s": wall, "member_steps_per_s": rate})
        print(f"stack {n:>5}: {n * steps / wall:>10.1f} member-steps/s ({wall:.1f} s)", flush=True)
    return rows


def slice_(device: str, part: str, minutes: float, scale: str, limit: int | None) -> list[str]:
    """Train the plan's `part` until the deadline; the keys with a current record after it."""
    from chapters.adam_dynamics import configs, scales
    from grokcore.campaign import DEADLINE, BudgetSpent
    from grokcore.params import at_scale
    from grokcore.records import lookup
    from grokcore.sweep import run_or_load

    v = notebook_values(scale)
    P = at_scale(scales.SCALES, v)
    parts, _, _ = configs.plan(P, v)
    if part not in parts or part == "settings":
        allowed = [p for p in parts if p != "settings"]
        raise SystemExit(f"--part {part!r} is invalid: allowed {', '.join(allowed)}")
    cfgs = parts[part][:limit]
    os.environ[DEADLINE] = str(time.time() + 60 * minutes)
    t = time.time()
    try:
        run_or_load(cfgs, device=device, max_stack=P["max_stack"], progress=True)
    except BudgetSpent as e:
        print(f"deadline: {e}", flush=True)
    finally:
        os.environ.pop(DEADLINE, None)
    done = [c.key() for c in cfgs if lookup(c.key()).record is not None]
    print(f"{len(done)}/{len(cfgs)} runs of part {part!r} have records ({time.time() - t:.0f} s)")
    return done


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = ap.add_subparsers(dest="command", required=True)
    tp = sub.add_parser("throughput", help="member-steps/s per stack size")
    tp.add_argument("--device", default="cuda")
    tp.add_argument("--stacks", type=int, nargs="+", default=[1, 30, 270])
    tp.add_argument("--steps", type=int, default=300, help="timed steps per row (default 300)")
    tp.add_argument("--json", metavar="PATH", help="also write the rows as JSON")
    sp = sub.add_parser("slice", help="train a part of chapter 4's plan and pack its records")
    sp.add_argument("--device", default="cuda")
    sp.add_argument("--part", default="wd", help="a part of the plan (default wd)")
    sp.add_argument("--minutes", type=float, default=3.0, help="no unit starts after this")
    sp.add_argument("--scale", default="paper", choices=("smoke", "cpu", "paper"))
    sp.add_argument("--limit", type=int, default=None, help="the part's first N runs only")
    sp.add_argument(
        "--root", type=Path, default=None, help="stores folder (default book/results/store)"
    )
    sp.add_argument("--out", type=Path, default=None, help="a folder to copy the store into")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    if args.command == "throughput":
        rows = throughput(args.device, args.stacks, args.steps)
        if args.json:
            from grokcore.records import atomic_write

            data = json.dumps({"device": args.device, "rows": rows}, indent=1) + "\n"
            atomic_write(Path(args.json), data.encode(), mode=0o644)
        return 0
    from grokcore import store

    done = slice_(args.device, args.part, args.minutes, args.scale, args.limit)
    if not done:
        print("no finished run: nothing packed")
        return 1
    path, changed = store.add(STORE_NAME, args.scale, done, root=args.root)
    print(f"{path}: {'written' if changed else 'unchanged'}")
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, args.out / path.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
