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

`slice`: the runs of chapter 4's paper plan that its store lacks (the store is unpacked into the
cache first), from parts of the plan (its notebook's defaults at scale="paper"; by default every
part in the order wd, beta1, grokfast, settings, grokfast_model, transplant: 1440 runs of up to
3000 or 6000 steps), trained by run_or_load on the device until a deadline (grokcore.campaign:
no unit starts after it) or a SIGTERM (the shell's `timeout`). Then every finished record is
added to book/results/store/paper/04_adam_dynamics.jsonl.xz (grokcore.store.add) and that store
copied into --out, once (an xz pack of a paper store takes tens of seconds); a stop loses only the
units in flight. Commit it: `make book SCALE=paper` then renders from it and trains only the
rest. The records carry their device, torch version and steps/s like any other.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
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


PARTS = ("wd", "beta1", "grokfast", "settings", "grokfast_model", "transplant")  # default order


def part_configs(scale: str, names: list[str], limit: int | None) -> dict[str, list]:
    """The plan's parts `names` (each its first `limit` runs), "settings" flattened."""
    from chapters.adam_dynamics import configs, scales
    from grokcore.params import at_scale

    v = notebook_values(scale)
    parts, _, moved = configs.plan(at_scale(scales.SCALES, v), v)
    parts["settings"] = [c for runs in parts["settings"].values() for c in runs]
    parts["transplant"] = moved  # the Fourier transplant (its donors are trained inside)
    bad = [n for n in names if n not in parts]
    if bad:
        raise SystemExit(f"--part {bad[0]!r} is invalid: allowed {', '.join(parts)}")
    return {n: parts[n][:limit] for n in names}


def pack(cfgs: list, scale: str, root: Path | None, out: Path | None) -> int:
    """Add every cfg with a current record to the store (copied into `out`); how many."""
    from grokcore import store
    from grokcore.records import lookup

    done = list(dict.fromkeys(c.key() for c in cfgs if lookup(c.key()).record is not None))
    if not done:
        return 0
    path, changed = store.add(STORE_NAME, scale, done, root=root)
    print(f"{path}: {len(done)} runs, {'written' if changed else 'unchanged'}", flush=True)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, out / path.name)
    return len(done)


class Stopped(BaseException):
    """A SIGTERM (the shell's timeout): a BaseException, so run_or_load does not take it for a
    failing unit."""


def slice_(
    device: str,
    names: list[str],
    minutes: float,
    scale: str,
    limit: int | None,
    root: Path | None = None,
    out: Path | None = None,
) -> int:
    """Train the parts in order until the deadline or a SIGTERM, then pack every finished run
    (once: an xz pack of a paper store takes tens of seconds); the runs packed."""
    from chapters.adam_dynamics.scales import SCALES
    from grokcore import store
    from grokcore.campaign import DEADLINE, BudgetSpent
    from grokcore.sweep import run_or_load

    parts = part_configs(scale, names, limit)
    max_stack = SCALES[scale]["max_stack"]
    got = store.unpack(scale, [STORE_NAME], root)  # runs an earlier session packed: not again
    print(f"store: {got.copied} records unpacked, {got.kept} already here", flush=True)

    def stop(signum, frame):
        raise Stopped(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    os.environ[DEADLINE] = str(time.time() + 60 * minutes)
    t, trained, done = time.time(), [], []
    current = None  # the part training now; None between parts (a signal may land there)
    try:
        for name, cfgs in parts.items():
            current = name
            trained += cfgs
            run_or_load(cfgs, device=device, max_stack=max_stack, progress=True)
            current = None
            done.append(name)
            print(f"part {name!r}: {len(cfgs)} runs done ({time.time() - t:.0f} s)", flush=True)
    except (BudgetSpent, Stopped) as e:
        where = f"in part {current!r}" if current else f"after part {done[-1]!r}" if done else ""
        print(f"stopped {where or 'before the first part'}: {e}", flush=True)
    finally:
        os.environ.pop(DEADLINE, None)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # packing is not to be cut short
        packed = pack(trained, scale, root, out)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    total = len({c.key() for cfgs in parts.values() for c in cfgs})
    print(f"{packed}/{total} runs of {', '.join(names)} packed ({time.time() - t:.0f} s)")
    return packed


def check_device(device: str) -> None:
    """Refuse a device torch cannot parse or does not see, before anything trains."""
    import torch

    try:
        kind = torch.device(device).type
    except RuntimeError:
        raise SystemExit(f"--device {device!r} is invalid: use cpu, cuda or cuda:N") from None
    if kind == "cuda" and not torch.cuda.is_available():
        raise SystemExit(f"--device {device!r}: this torch ({torch.__version__}) sees no GPU")


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
    sp = sub.add_parser("slice", help="train parts of chapter 4's plan and pack their records")
    sp.add_argument("--device", default="cuda")
    sp.add_argument(
        "--part",
        nargs="+",
        default=list(PARTS),
        help=f"parts, in order (default {' '.join(PARTS)})",
    )
    sp.add_argument("--minutes", type=float, default=3.0, help="no unit starts after this")
    sp.add_argument("--scale", default="paper", choices=("smoke", "cpu", "paper"))
    sp.add_argument("--limit", type=int, default=None, help="the part's first N runs only")
    sp.add_argument(
        "--root", type=Path, default=None, help="stores folder (default book/results/store)"
    )
    sp.add_argument("--out", type=Path, default=None, help="a folder to copy the store into")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    check_device(args.device)
    if args.command == "throughput":
        rows = throughput(args.device, args.stacks, args.steps)
        if args.json:
            from grokcore.records import atomic_write

            import platform
            from datetime import datetime, timezone

            import torch

            on = args.device
            if on.startswith("cuda"):
                on = f"{on} ({torch.cuda.get_device_name(on)})"
            meta = {
                "device": on,
                "torch": torch.__version__,
                "python": platform.python_version(),
                "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            }
            data = json.dumps({**meta, "rows": rows}, indent=1) + "\n"
            atomic_write(Path(args.json), data.encode(), mode=0o644)
        return 0
    packed = slice_(
        args.device, args.part, args.minutes, args.scale, args.limit, args.root, args.out
    )
    if not packed:
        print("no finished run: nothing packed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
