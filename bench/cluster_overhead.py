"""One sweep on the local process pool and on a dask.distributed LocalCluster, same workers.

    python bench/cluster_overhead.py [--workers 2] [--runs 16] [--steps 300] [--json FILE]

Both train the same runs from an empty cache (one single-threaded worker per core each), and the
script prints each wall time, the cluster's ratio to the pool and its overhead per unit, and
checks that the two gave the same numbers. Worker start-up is timed apart from the sweep.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--runs", type=int, default=16)
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--json", type=Path)
    args = p.parse_args()

    import os

    from distributed import Client, LocalCluster

    from grokcore import cluster, records
    from grokcore.config import MLPConfig, ModularTask, OptimConfig, RunConfig
    from grokcore.sweep import run_or_load

    base = RunConfig(
        task=ModularTask(p=23),
        model=MLPConfig(width=64),
        optim=OptimConfig(batch_size=None),
        num_steps=args.steps,
        eval_every=50,
    )
    cfgs = [base.replace(seed=s) for s in range(args.runs)]
    out = {"workers": args.workers, "runs": args.runs, "steps": args.steps}

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["GROKCORE_CACHE"] = f"{tmp}/pool"
        t0 = time.perf_counter()
        pool = run_or_load(cfgs, workers=args.workers)
        out["pool_s"] = time.perf_counter() - t0

        os.environ["GROKCORE_CACHE"] = f"{tmp}/dask"
        t0 = time.perf_counter()
        with (
            LocalCluster(
                n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None
            ) as lc,
            Client(lc) as client,
        ):
            out["dask_start_s"] = time.perf_counter() - t0
            t1 = time.perf_counter()
            dask = run_or_load(cfgs, executor=cluster.DaskExecutor(client))
            out["dask_s"] = time.perf_counter() - t1
    same = all(records.first_difference(a.history, b.history) is None for a, b in zip(pool, dask))
    out["same_numbers"] = same
    out["ratio"] = out["dask_s"] / out["pool_s"]
    out["overhead_per_unit_s"] = (out["dask_s"] - out["pool_s"]) * args.workers / args.runs
    print(
        f"{args.runs} runs x {args.steps} steps on {args.workers} workers: pool "
        f"{out['pool_s']:.1f} s (incl. worker start), dask {out['dask_s']:.1f} s "
        f"(+{out['dask_start_s']:.1f} s cluster start): ratio {out['ratio']:.2f}, "
        f"overhead {out['overhead_per_unit_s'] * 1000:.0f} ms per unit; same numbers: {same}"
    )
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
