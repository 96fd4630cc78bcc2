"""What EGD costs per step (EGD §4.2): each EGD variant timed against SGD on one of chapter 2's
modular runs, next to what the chapter's runs of that variant reached (the Cost table)."""

from __future__ import annotations

import statistics
import time

import torch

from grokcore.config import MethodConfig, RunConfig
from grokcore.outcomes import time_to
from grokcore.train import train_stack

from .measures import per_epoch

# cost table rows: (row name, MethodConfig fields, the plan's method label whose runs it stands for)
COST_VARIANTS = (
    ("SGD", {"name": "none"}, "none"),
    ("EGD, exact SVD", {"name": "egd", "egd_solver": "svd"}, "egd:svd"),
    ("EGD, eigh of the Gram matrix", {"name": "egd", "egd_solver": "eigh"}, "egd:eigh"),
    (
        "EGD, rank-128 randomized SVD",
        {"name": "egd", "egd_solver": "rsvd", "rank": 128},
        "egd_rsvd128",
    ),
    (
        "EGD, rank-64 randomized SVD",
        {"name": "egd", "egd_solver": "rsvd", "rank": 64},
        "egd_rsvd64",
    ),
    (
        "EGD, Newton-Schulz (15 iterations)",
        {"name": "egd", "egd_solver": "newton_schulz"},
        "egd_newton_schulz",
    ),
)


def step_time(cfg: RunConfig, steps: int = 200) -> float:
    """Seconds per training step of `cfg` over one run of `steps` steps (one seed, one thread,
    the way the sweeps run). Timed between the loop's first and last evaluation callbacks, so
    data, model setup and the first evaluation are left out (the last evaluation, about 1% here,
    is in)."""
    cfg = cfg.replace(num_steps=steps, eval_every=steps, stop_at_test_acc=None, spectrum_of=())
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        stamps = []
        train_stack([cfg], log=lambda step, metrics: stamps.append(time.perf_counter()))
    finally:
        torch.set_num_threads(threads)
    return (stamps[-1] - stamps[0]) / steps


def cost_rows(
    base: RunConfig, steps: int, cells: dict, task: str, egd_solver: str, repeats: int = 5
) -> list[dict]:
    """Per EGD variant on `base` (a modular run): seconds per step (median over `repeats`
    timings), the ratio to SGD (of the medians; `x_sgd_repeats`: per repeat, this variant's time
    over SGD's in the same round), and what the chapter's runs of that variant on `task` reached
    (epochs to 95% test accuracy, mean over seeds and how many got there), or None where the plan
    did not run it. The variants are timed in rounds, one run of each per round, so a drift in
    the machine's speed hits every variant alike."""
    cfgs = [base.replace(method=MethodConfig(targets=("W1",), **f)) for _, f, _ in COST_VARIANTS]
    secs: list[list[float]] = [[] for _ in cfgs]
    for _ in range(repeats):
        for times, cfg in zip(secs, cfgs):
            times.append(step_time(cfg, steps))
    rows = []
    for (name, _, label), times in zip(COST_VARIANTS, secs):
        if label.startswith("egd:"):  # exact EGD: the plan's "egd" runs used one of the two solvers
            label = "egd" if label == f"egd:{egd_solver}" else None
        recs = cells.get((task, label), [])
        reached = [e for r in recs if (e := time_to(r, per=per_epoch(r))) is not None]
        rows.append(
            {
                "variant": name,
                "ms_per_step": 1e3 * statistics.median(times),
                "x_sgd": None,
                "x_sgd_repeats": [t / t0 for t, t0 in zip(times, secs[0])],
                "runs": len(recs),
                "reached_95": len(reached),
                "epochs_to_95": sum(reached) / len(reached) if reached else None,
            }
        )
    for r in rows:
        r["x_sgd"] = r["ms_per_step"] / rows[0]["ms_per_step"]
    return rows


def own_variant(egd_solver: str) -> str:
    """The cost table's row name of the chapter's exact EGD (the notebook's egd_solver)."""
    return next(n for n, f, _ in COST_VARIANTS if f.get("egd_solver") == egd_solver)
