"""What chapter 2 reads from its runs: records grouped by (task, method) and the per-seed values
behind its claims. Nothing here trains.

Times to 95% (or 99%) test accuracy, speed-ups and ratios with censored runs are
grokcore.outcomes' (time_to, speedup, ratio); `per_epoch` turns their steps into epochs.
"""

from __future__ import annotations

from typing import Callable, Sequence

from grokcore.outcomes import n_censored
from grokcore.records import RunRecord
from grokcore.train import steps_per_epoch

from .configs import method_label, task_label


def by_cell(
    records: list[RunRecord], p: int | None = None
) -> dict[tuple[str, str], list[RunRecord]]:
    """Group records by (task label, method label); each list ordered by seed. Modular tasks at
    a modulus other than `p` are labelled "op mod P"."""
    cells: dict[tuple, list] = {}
    for r in sorted(records, key=lambda r: r.config["seed"]):
        key = (task_label(r.config, p), method_label(r.config["method"]))
        cells.setdefault(key, []).append(r)
    return cells


def per_epoch(rec: RunRecord) -> int:
    """Optimizer steps per epoch of a record's run: the chapter counts time in epochs, e.g.
    outcomes.time_to(rec, per=per_epoch(rec)) or outcomes.ratio(a, b, per=per_epoch)."""
    return steps_per_epoch(rec.cfg)


def accuracy_lead(a: list[RunRecord], b: list[RunRecord]) -> list[float]:
    """Per seed, a's last test accuracy minus b's (a run that stopped at 95% keeps its value)."""
    return [x.final["test_acc"] - y.final["test_acc"] for x, y in zip(a, b)]


def censoring_note(cells, method: str, tasks: Sequence[str] | None = None) -> str:
    """How many runs of `method` never reached 95% test accuracy, per task (all tasks by default),
    with the tasks' step budgets: "none never reached 95% within 300 steps in x+y: 2/2, ...".

    Unlike grokcore.outcomes.censoring_note it names the method and always lists the counts,
    0/n included (the claims table's notes read this way)."""
    groups = {
        task: recs
        for (task, m), recs in cells.items()
        if m == method and (tasks is None or task in tasks)
    }
    budgets = sorted({recs[0].cfg.num_steps for recs in groups.values()})
    parts = [f"{task}: {n_censored(recs)}/{len(recs)}" for task, recs in groups.items()]
    steps = " or ".join(map(str, budgets))
    return f"{method} never reached 95% within {steps} steps in " + ", ".join(parts)


def spectrum_extreme(
    records: list[RunRecord], key: str, reduce: Callable[[list[float]], float] = max
) -> list[float]:
    """Per seed, the max (or min) over training of a logged spectrum series, e.g.
    "update_cond_W1" (EGD Fig. 4)."""
    return [reduce(r.history[key]) for r in records]
