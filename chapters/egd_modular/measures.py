"""What chapter 2 reads from its runs: records grouped by (task, method) and the per-seed values
behind its claims. Nothing here trains.

Times to 95% (or 99%) test accuracy with censored runs are grokcore.outcomes' (`times` for the
claims, as censoring-aware values; `time_to` for tables); `per_epoch` turns their steps into
epochs. `first_task` picks the task a claim compares two methods on.
"""

from __future__ import annotations

import math

from typing import Callable, Collection, Sequence

from grokcore.config import OPERATIONS
from grokcore.outcomes import n_censored
from grokcore.records import RunRecord
from grokcore.train import steps_per_epoch

from .configs import method_label, parse_task, task_label

MODULAR_KINDS = OPERATIONS  # task_kind of every modular task


def by_cell(
    records: list[RunRecord], p: int | None = None, lr: float | None = None
) -> dict[tuple[str, str], list[RunRecord]]:
    """Group records by (task label, method label); each list ordered by seed. Modular tasks at
    a modulus other than `p` are labelled "op mod P", runs at a learning rate other than `lr`
    (the notebook's; None: the EGD code's 0.7) "method@lr=..."."""
    cells: dict[tuple, list] = {}
    for r in sorted(records, key=lambda r: r.config["seed"]):
        key = (task_label(r.config, p), method_label(r.config, lr))
        cells.setdefault(key, []).append(r)
    return cells


def task_kind(label: str) -> str:
    """A task label's kind: its operation for a modular task ("x+y" for "x+y mod 79"), else
    "parity" (hinge loss) or "parity/mse" (the authors' squared loss)."""
    task = parse_task(label)
    if task[0] == "modular":
        return task[1]
    return "parity/mse" if task[3] == "mse" else "parity"


def first_task(
    cells: dict, methods: Sequence[str], kinds: Collection[str] | None = None
) -> str | None:
    """The first task (in plan order, tasks at the chapter's modulus before "op mod P" ones) of
    one of `kinds` (None: any) where every method in `methods` has runs; None if there is none."""
    tasks = [
        t for t in dict.fromkeys(t for t, _ in cells) if kinds is None or task_kind(t) in kinds
    ]
    tasks.sort(key=lambda t: " mod " in t)  # stable: plan order within each group
    return next((t for t in tasks if all(cells.get((t, m)) for m in methods)), None)


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
    "update_cond_W1" (EGD Fig. 4); None where the run logged no such series, NaN where the series
    has a non-finite value (so that an estimator counts it as missing, not as an extreme)."""
    out: list[float | None] = []
    for r in records:
        series = r.history.get(key)
        if not series:
            out.append(None)
        elif all(v is not None and math.isfinite(v) for v in series):
            out.append(reduce(series))
        else:
            out.append(math.nan)
    return out


def test_acc_at(rec: RunRecord, step: int) -> float:
    """Test accuracy at the last evaluation at or before `step`; a run that stopped earlier keeps
    its last value (it stopped at its stopping accuracy)."""
    hist = rec.history
    j = max((i for i, s in enumerate(hist["step"]) if s <= step), default=0)
    return hist["test_acc"][j]


LEVELS = (50, 90, 95)  # onset, 90% and 95% test accuracy (EGD §5 reports grokking at 95%)


def method_name(label: str, names: dict[str, str]) -> str:
    """A method label's display name: names[label], or for "egd@lr=0.35" names["egd"] + ", lr
    0.35"."""
    base, _, lr = label.partition("@lr=")
    return names.get(label) or (f"{names.get(base, base)}, lr {lr}" if lr else label)


def times_table(cells: dict, names: dict[str, str], levels: Sequence[int] = LEVELS) -> list[dict]:
    """Per (task, method), methods in `names`' order and then any others (e.g. a learning-rate
    sweep's "egd@lr=0.35"): the epochs to 95% train accuracy (where the plateau starts) and to
    each test-accuracy level: the Kaplan-Meier median with its 95% interval
    (grokcore.estimates.median on censored times: "≥ x" where half the seeds or more never got
    there), then the median in optimizer steps; and how many seeds never reached 95% test
    accuracy. On parity, chance is 50%: that level reads "chance". Rows are dicts."""
    from grokcore.estimates import median
    from grokcore.outcomes import times

    def cell(recs, key: str, per: float) -> str:
        est = median(times(recs, key))  # in steps

        def num(x: float, by: float = per) -> str:
            return "∞" if math.isinf(x) else f"{x / by:,.0f}"

        if est.estimate is None:
            return f"≥ {num(est.low)} [{num(est.low)}, ∞]; ≥ {num(est.low, 1)} steps"
        return (
            f"{num(est.estimate)} [{num(est.low)}, {num(est.high)}]; {num(est.estimate, 1)} steps"
        )

    rows = []
    order = list(names) + [m for _, m in cells if m not in names]
    for task in dict.fromkeys(t for t, _ in cells):
        parity = task_kind(task).startswith("parity")
        for m in dict.fromkeys(order):
            recs = cells.get((task, m))
            if not recs:
                continue
            per = per_epoch(recs[0])
            row = {"task": task, "method": method_name(m, names), "seeds": len(recs)}
            row["epochs to 95% train"] = cell(recs, "step_to_train_acc_95", per)
            for lv in levels:
                chance = parity and lv <= 50
                row[f"epochs to {lv}%"] = (
                    "chance" if chance else cell(recs, f"step_to_test_acc_{lv}", per)
                )
            row[f"never at {levels[-1]}%"] = n_censored(recs, f"step_to_test_acc_{levels[-1]}")
            rows.append(row)
    return rows
