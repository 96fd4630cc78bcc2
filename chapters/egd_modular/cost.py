"""What EGD costs per step (EGD §4.2): each EGD variant timed against SGD on one of chapter 2's
modular runs, next to what the chapter's runs of that variant reached (the Cost table)."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import torch

from grokcore.cluster import InProcess
from grokcore.config import MethodConfig, RunConfig, WrapsRun
from grokcore.outcomes import time_to
from grokcore.records import RunRecord, new_record
from grokcore.sweep import run_or_load
from grokcore.timing import timed_rounds

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


@dataclass(frozen=True)
class CostTiming(WrapsRun):
    """One timing of every COST_VARIANTS row on `run` (a modular run): `repeats` rounds of
    `steps` steps each, one run of each variant per round, so that a drift in the machine's
    speed hits every variant alike, each round in a fresh process (grokcore.timing.timed_rounds:
    one thread, the steps after the first clocked). A run record like any other: cached,
    shipped with the chapter's store (the book renders the timing the store holds, so a render
    is deterministic), and retimed by a recompute (`make book RECOMPUTE=1`) on the machine at
    hand. Its history holds, per round, each variant's seconds per step."""

    reproducible = False  # a timing of this machine: never re-stamped, measured again

    run: RunConfig
    steps: int = 300  # the cpu scale's cost_steps
    repeats: int = 5

    @classmethod
    def train(cls, cfgs: list, device: str = "cpu") -> list[RunRecord]:
        out = []
        for c in cfgs:
            t0 = time.perf_counter()
            variants = [
                c.run.replace(method=MethodConfig(targets=("W1",), **f))
                for _, f, _ in COST_VARIANTS
            ]
            secs = timed_rounds(variants, c.steps, rounds=c.repeats)
            history = {"step": list(range(c.repeats))}  # one entry per round
            history.update({name: t for (name, _, _), t in zip(COST_VARIANTS, secs)})
            wall = time.perf_counter() - t0
            meta = {
                "wall_s": wall,
                "device": "cpu",
                "threads": 1,
                "rounds_in": "fresh processes",
                "torch": torch.__version__,
            }
            out.append(new_record(c, history, {}, meta))
        return out


def cost_rows(
    base: RunConfig, steps: int, cells: dict, task: str, egd_solver: str, repeats: int = 5
) -> list[dict]:
    """Per EGD variant on `base` (a modular run): seconds per step (median over `repeats`
    timings), the ratio to SGD (of the medians; `x_sgd_repeats`: per repeat, this variant's time
    over SGD's in the same round), and what the chapter's runs of that variant on `task` reached
    (epochs to 95% test accuracy, mean over seeds and how many got there), or None where the plan
    did not run it. The timings come from a CostTiming record (run_or_load: timed once, then
    served from the cache or the shipped store)."""
    # in this process, even under GROKCORE_EXECUTOR: nothing else shares the CPU while it times
    timing = run_or_load([CostTiming(base, steps, repeats)], executor=InProcess())[0]
    secs = [timing.history[name] for name, _, _ in COST_VARIANTS]
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
                "cpu": timing.meta.get("cpu"),
            }
        )
    for r in rows:
        r["x_sgd"] = r["ms_per_step"] / rows[0]["ms_per_step"]
    return rows


def own_variant(egd_solver: str) -> str:
    """The cost table's row name of the chapter's exact EGD (the notebook's egd_solver)."""
    return next(n for n, f, _ in COST_VARIANTS if f.get("egd_solver") == egd_solver)
