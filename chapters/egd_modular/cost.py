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


def step_cost(cfg: RunConfig, steps: int = 200, repeats: int = 3) -> float:
    """Seconds per training step of `cfg` (one seed, one thread, the way the sweeps run), the
    median over `repeats` runs of `steps` steps. Timed between the loop's first and last
    evaluation callbacks, so data, model setup and the first evaluation are left out (the last
    evaluation, about 1% here, is in)."""
    cfg = cfg.replace(num_steps=steps, eval_every=steps, stop_at_test_acc=None, spectrum_of=())
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        times = []
        for _ in range(repeats):
            stamps = []
            train_stack([cfg], log=lambda step, metrics: stamps.append(time.perf_counter()))
            times.append((stamps[-1] - stamps[0]) / steps)
    finally:
        torch.set_num_threads(threads)
    return statistics.median(times)


def cost_rows(base: RunConfig, steps: int, cells: dict, task: str, egd_solver: str) -> list[dict]:
    """Per EGD variant on `base` (a modular run): seconds per step, the ratio to SGD, and what the
    chapter's runs of that variant on `task` reached (epochs to 95% test accuracy, mean over seeds
    and how many got there), or None where the plan did not run it."""
    rows = []
    for name, fields, label in COST_VARIANTS:
        sec = step_cost(base.replace(method=MethodConfig(targets=("W1",), **fields)), steps)
        if label.startswith("egd:"):  # exact EGD: the plan's "egd" runs used one of the two solvers
            label = "egd" if label == f"egd:{egd_solver}" else None
        recs = cells.get((task, label), [])
        reached = [e for r in recs if (e := time_to(r, per=per_epoch(r))) is not None]
        rows.append(
            {
                "variant": name,
                "ms_per_step": 1e3 * sec,
                "x_sgd": None,
                "runs": len(recs),
                "reached_95": len(reached),
                "epochs_to_95": sum(reached) / len(reached) if reached else None,
            }
        )
    for r in rows:
        r["x_sgd"] = r["ms_per_step"] / rows[0]["ms_per_step"]
    return rows
