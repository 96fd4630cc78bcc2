"""What chapter 7 reads from its runs, per seed and per cell: times to 95% test accuracy in steps
and in seconds (with the timing rounds' costs per step), final and post-grok accuracy, and the
ranked table. The tuning's pick is in configs.py: training reads it, and this module stays out of
the timing record's fingerprint.

A time to an event is censored data (grokcore.outcomes.times): a run that ended first only bounds
its time, and no budget stands in for an event time. Seconds are steps times the cell's measured
cost per step (chapters.accelerators.timing), so a censored step count stays a censored time.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Sequence

from grokcore import estimates, outcomes, store
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


def common(*cells: Sequence[RunRecord]) -> list[list[RunRecord]]:
    """Each cell's records of the seeds every one of `cells` ran, in seed order: a pair of
    methods is compared seed by seed (the same split and init), whatever more seeds one of them
    ran (a cell's `cell_seeds`)."""
    by_seed = [{r.cfg.seed: r for r in recs} for recs in cells]
    shared = sorted(set.intersection(*(set(b) for b in by_seed))) if by_seed else []
    return [[b[s] for s in shared] for b in by_seed]


def final_acc(rec: RunRecord) -> float:
    """The run's test accuracy at its last evaluation."""
    return rec.history["test_acc"][-1]


def after_grok(rec: RunRecord) -> list[float] | None:
    """The test accuracies evaluated from the run's first 95% to the end of its budget; None
    where it never reached 95% or stopped there (a stop_at_test_acc run: nothing after)."""
    run = getattr(rec.cfg, "run", rec.cfg)
    at = rec.summary[GROKKED]
    if at is None or run.stop_at_test_acc is not None:
        return None
    return [a for s, a in zip(rec.history["step"], rec.history["test_acc"]) if s >= at]


def post_grok_min(rec: RunRecord) -> float | None:
    """The lowest test accuracy after the run first reached 95% (after_grok); None without a
    later evaluation."""
    after = after_grok(rec)
    return min(after) if after and len(after) > 1 else None


def share_below(rec: RunRecord, floor: float = STABLE) -> float | None:
    """The share of after_grok's evaluations below `floor` test accuracy: how long a run stays
    down, where `stable` says only whether it ever dips (a run evaluated more often shows more
    dips; this share does not grow with the evaluations). None as after_grok."""
    after = after_grok(rec)
    return None if after is None else sum(a < floor for a in after) / len(after)


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


# ---- costs per step from a timing's rounds (chapters.accelerators.timing) ---------------------


def per_round(timing: RunRecord) -> dict[str, list[float]]:
    """Method label -> its seconds per step in each round of a StepTiming record, in order."""
    return {label: list(timing.history[label]) for label in timing.cfg.labels}


def cost_logs(rounds: dict[str, list[float]], fast: str, slow: str) -> list[float]:
    """Per round, log(slow's seconds per step / fast's), from `rounds` (per_round of a timing):
    the two were timed side by side in a round (interleaved), so a round pairs them
    (grokcore.estimates.timed_speedup)."""
    return [math.log(s / f) for f, s in zip(rounds[fast], rounds[slow], strict=True)]


def between(timing: RunRecord, seconds: bool = False) -> estimates.Between:
    """How much a cost ratio of `timing` (a StepTiming record) moves between timing sessions on
    its CPU kind beyond its rounds' spread (grokcore.store.timing_between: the shipped estimate
    over every timing the stores have held); seconds: how much a method's own seconds per step
    move (the machine's speed in it too)."""
    return store.timing_between(timing.meta.get("cpu"), seconds=seconds)


def cost(rounds: dict[str, list[float]]) -> dict[str, float]:
    """Method label -> seconds per step from `rounds`: the geometric mean over the rounds (the
    cost timed_speedup's estimate uses)."""
    return {m: math.exp(sum(map(math.log, ts)) / len(ts)) for m, ts in rounds.items()}


def timed_median(
    obs: Sequence[Obs],
    step_s: Sequence[float],
    level: float = estimates.LEVEL,
    between: estimates.Between | None = None,
) -> estimates.Estimate:
    """Kaplan-Meier median seconds to 95%: the median steps (`obs`, steps per seed) times the
    geometric mean of the seconds per step timed in each round (`step_s`). The interval carries
    both noises: the median's interval and the cost's (estimates.geomean of the rounds: t on
    their logs, with `between`, how much a method's seconds per step move between timing
    sessions, added to their squared standard error), each at level 1 - (1 - level) / 2,
    multiplied end by end, so it covers with probability >= level (Bonferroni, as
    estimates.speedup joins two medians). One round leaves the cost's interval open: [0, inf)
    seconds. A median not reached: a lower bound, its low end times the cost's."""
    each = 1 - (1 - level) / 2
    st = estimates.median(obs, each)
    c = estimates.geomean(list(step_s), each, between)
    if not math.isfinite(st.low):  # no seed with a value
        return dataclasses.replace(st, level=level)
    low = st.low * c.low
    if not st.identified:
        return dataclasses.replace(st, low=low, level=level)
    high = math.inf if st.high == math.inf or c.high == math.inf else st.high * c.high
    return dataclasses.replace(
        st, estimate=st.estimate * c.estimate, low=low, high=high, level=level
    )


def ranked(
    cells: dict[str, Sequence[RunRecord]],
    task: str,
    rounds: dict[str, list[float]],
    names: dict[str, str],
    between: estimates.Between | None = None,
) -> list[dict]:
    """The ranked table of `task`: one row per method, fastest first by Kaplan-Meier median
    seconds to 95% (medians not reached last, by their lower bound). `rounds`: the task's
    method -> seconds per step in each timing round (per_round). Columns: reached (of runs),
    median steps and median seconds (timed_median: the timing's spread included, and `between`,
    how much seconds per step move between timing sessions: between(timing, seconds=True)) with 95%
    intervals, ms per step and the cost per step relative to the plain optimizer (geometric
    means over the rounds), mean final test accuracy, and the post-grok runs that stayed above
    STABLE (of those measured)."""
    plain = next(iter(m for t, m in (n.split("/") for n in cells) if t == task))
    costs = cost(rounds)
    rows = []
    for name, recs in cells.items():
        t, m = name.split("/")
        if t != task:
            continue
        st, sec = (
            estimates.median(steps(recs)),
            timed_median(steps(recs), rounds[m], between=between),
        )
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
