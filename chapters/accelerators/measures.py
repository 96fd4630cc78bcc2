"""What chapter 7 reads from its runs, per seed and per cell: times to 95% test accuracy in steps
and in seconds, final and post-grok accuracy, the tuning's pick, and the ranked table.

A time to an event is censored data (grokcore.outcomes.times): a run that ended first only bounds
its time, and no budget stands in for an event time. Seconds are steps times the cell's measured
cost per step (chapters.accelerators.timing), so a censored step count stays a censored time.
"""

from __future__ import annotations

import math
from typing import Sequence

from grokcore import estimates, outcomes
from grokcore.estimates import Obs
from grokcore.records import RunRecord

from .configs import GROKKED

STABLE = 0.9  # post-grok: the test accuracy a run that reached 95% should not fall below


def steps(recs: Sequence[RunRecord]) -> list[Obs]:
    """Per seed, steps to 95% test accuracy (censored where the run ended or diverged first)."""
    return outcomes.times(recs, GROKKED)


def seconds(recs: Sequence[RunRecord], step_s: float) -> list[Obs]:
    """Per seed, seconds to 95% test accuracy: steps times `step_s`, the cell's measured seconds
    per training step (evaluations left out), censoring kept."""
    return [Obs(o.value * step_s, o.censored, o.diverged) for o in steps(recs)]


def final_acc(rec: RunRecord) -> float:
    """The run's test accuracy at its last evaluation."""
    return rec.history["test_acc"][-1]


def post_grok_min(rec: RunRecord) -> float | None:
    """The lowest test accuracy after the run first reached 95%, up to the end of its budget;
    None where it never reached 95% or stopped there (a stop_at_test_acc run: nothing after)."""
    run = getattr(rec.cfg, "run", rec.cfg)
    at = rec.summary[GROKKED]
    if at is None or run.stop_at_test_acc is not None:
        return None
    after = [a for s, a in zip(rec.history["step"], rec.history["test_acc"]) if s >= at]
    return min(after) if len(after) > 1 else None


def stable(recs: Sequence[RunRecord], floor: float = STABLE) -> list[bool | None]:
    """Per run, whether it stayed at or above `floor` test accuracy after first reaching 95%
    (None where that is not measured: see post_grok_min)."""
    return [None if (m := post_grok_min(r)) is None else m >= floor for r in recs]


def runner_up(
    cells: dict[str, Sequence[RunRecord]], task: str, method: str, costs: dict[str, float] | None
) -> str | None:
    """On `task`, the method other than `method` with the lowest Kaplan-Meier median time to
    95% (in seconds when `costs` (label -> seconds per step) is given, else in steps); a median
    not reached counts as its lower bound, after every identified one. In seconds, when no other
    method's median is reached, the runner-up in steps: bounds in seconds would rank methods by
    this machine's timing of runs that never got there. None: no other method."""
    if costs is not None:
        reached = [
            m
            for name, recs in cells.items()
            if (m := name.split("/")[1]) != method and name.split("/")[0] == task
            and estimates.median(steps(recs)).identified
        ]  # fmt: skip
        if not reached:
            costs = None
    best = None
    for name, recs in cells.items():
        t, m = name.split("/")
        if t != task or m == method:
            continue
        obs = seconds(recs, costs[m]) if costs else steps(recs)
        est = estimates.median(obs)
        score = (0, est.estimate) if est.identified else (1, est.low)
        if best is None or score < best[0]:
            best = (score, m)
    return best and best[1]


def ranked(
    cells: dict[str, Sequence[RunRecord]],
    task: str,
    costs: dict[str, float],
    names: dict[str, str],
) -> list[dict]:
    """The ranked table of `task`: one row per method, fastest first by Kaplan-Meier median
    seconds to 95% (medians not reached last, by their lower bound). Columns: reached (of runs),
    median steps and seconds with 95% intervals, cost per step relative to the plain optimizer,
    mean final test accuracy, and the post-grok runs that stayed above STABLE (of those
    measured)."""
    plain = next(iter(m for t, m in (n.split("/") for n in cells) if t == task))
    rows = []
    for name, recs in cells.items():
        t, m = name.split("/")
        if t != task:
            continue
        st, sec = estimates.median(steps(recs)), estimates.median(seconds(recs, costs[m]))
        kept = [s for s in stable(recs) if s is not None]
        rows.append(
            {
                "method": names[m],
                "label": m,
                "reached": f"{sum(r.summary[GROKKED] is not None for r in recs)}/{len(recs)}",
                "steps": st,
                "seconds": sec,
                "cost": costs[m] / costs[plain],
                "ms_per_step": 1e3 * costs[m],
                "final_test_acc": sum(map(final_acc, recs)) / len(recs),
                "stable": f"{sum(kept)}/{len(kept)}" if kept else "not measured",
            }
        )
    rows.sort(
        key=lambda r: (0, r["seconds"].estimate) if r["seconds"].identified
        else (1, r["seconds"].low)
    )  # fmt: skip
    return rows


def interval(est: estimates.Estimate, digits: int = 0) -> str:
    """'1,200 [1,050, 1,450]' (or '≥ 2,000' where only a lower bound is known)."""
    f = f"{{:,.{digits}f}}"
    if not est.identified:
        return f"≥ {f.format(est.low)}" if math.isfinite(est.low) else "—"
    hi = f.format(est.high) if math.isfinite(est.high) else "∞"
    return f"{f.format(est.estimate)} [{f.format(est.low)}, {hi}]"
