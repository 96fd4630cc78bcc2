"""Outcome statistics the chapters share: times to an event with censoring, speed-ups (one
argument order), per-seed ratios, censoring notes, correlations and line fits.

A time to an event is a run summary's `step_to_*` value: an int, or None when the run ended
(at `summary["last_step"]`) before the event: censored. Every function here says what it does
with a censored run; none drops one silently.
"""

from __future__ import annotations

import math
import statistics
from typing import Any, Callable, Mapping, Sequence

from .estimates import Obs

Record = Any  # grokcore.records.RunRecord (anything with .summary)


def time_to(rec: Record, key: str = "step_to_test_acc_95", per: float = 1) -> float | None:
    """Steps to the event `key` (divided by `per`, e.g. steps per epoch); None if censored."""
    t = rec.summary[key]
    return None if t is None else t / per


def budget(rec: Record, per: float = 1) -> float:
    """The steps the run was given (its last evaluated step), divided by `per`."""
    return rec.summary["last_step"] / per


def time_or_budget(
    rec: Record, key: str = "step_to_test_acc_95", per: float = 1
) -> tuple[float, bool]:
    """(time to the event, or the budget where censored; whether it was censored)."""
    t = time_to(rec, key, per)
    return (budget(rec, per), True) if t is None else (t, False)


def budget_steps(rec: Record) -> float:
    """The steps a run was given: its config's num_steps (a wrapping config's run.num_steps),
    else its last evaluated step."""
    cfg = getattr(rec, "cfg", None)
    for c in (cfg, getattr(cfg, "run", None)):
        n = getattr(c, "num_steps", None)
        if isinstance(n, int):
            return n
    return rec.summary["last_step"]


def times(
    recs: Sequence[Record],
    key: str = "step_to_test_acc_95",
    per: Callable[[Record], float] | None = None,
) -> list[Obs]:
    """Per run, the time to the event `key` as an Obs for grokcore.estimates: the time where it
    was reached; censored at the last evaluated step where the run ended first; censored at
    its full budget and marked diverged where the run diverged before the event (a diverged
    run never reaches it). per(rec): divide by this (e.g. the run's steps per epoch)."""
    out = []
    for r in recs:
        p = per(r) if per else 1
        t = r.summary[key]
        if t is not None:
            out.append(Obs(t / p))
        elif r.summary.get("diverged_at") is not None:
            out.append(Obs(budget_steps(r) / p, censored=True, diverged=True))
        else:
            out.append(Obs(r.summary["last_step"] / p, censored=True))
    return out


def speedup(
    fast: Sequence[Record],
    slow: Sequence[Record],
    key: str = "step_to_test_acc_95",
    *,
    per: Callable[[Record], float] | None = None,
    fast_censored: str = "none",
) -> list[float | None]:
    """Per seed (paired in order), slow's time to `key` over fast's: > 1 when `fast` is faster.

    A censored slow run counts its budget, so the ratio is a lower bound ("at least"). A
    censored fast run gives None (fast_censored="none") or counts its budget too ("budget":
    then an upper bound); both censored: None. A fast time of 0 gives None (no ratio).
    per(rec): divide each run's times by this (e.g. its steps per epoch)."""
    if fast_censored not in ("none", "budget"):
        raise ValueError(f"fast_censored={fast_censored!r} is invalid: allowed 'none', 'budget'")
    out: list[float | None] = []
    for f, s in zip(fast, slow, strict=True):
        (tf, cf), (ts, cs) = (time_or_budget(r, key, per(r) if per else 1) for r in (f, s))
        if (cf and (cs or fast_censored == "none")) or tf == 0:
            out.append(None)
        else:
            out.append(ts / tf)
    return out


def ratio(
    a: Sequence[Record],
    b: Sequence[Record],
    key: str = "step_to_test_acc_95",
    *,
    per: Callable[[Record], float] | None = None,
) -> list[float | None]:
    """Per seed, a's time to `key` over b's; None where either is censored or b's time is 0."""
    out: list[float | None] = []
    for x, y in zip(a, b, strict=True):
        tx, ty = time_to(x, key, per(x) if per else 1), time_to(y, key, per(y) if per else 1)
        out.append(None if tx is None or ty is None or ty == 0 else tx / ty)
    return out


def n_censored(recs: Sequence[Record], key: str = "step_to_test_acc_95") -> int:
    """How many runs never reached the event `key`."""
    return sum(r.summary[key] is None for r in recs)


def censoring_note(
    groups: Mapping[str, Sequence[Record]],
    key: str = "step_to_test_acc_95",
    *,
    event: str = "95% test accuracy",
) -> str:
    """'never reached <event> within <budget> steps in <group>: k/n, ...' over the groups (label
    -> runs), or 'no censored runs' when every run reached it."""
    parts = [
        f"{name}: {n_censored(recs, key)}/{len(recs)}" for name, recs in groups.items() if recs
    ]
    if not any(n_censored(recs, key) for recs in groups.values()):
        return "no censored runs"
    budgets = sorted(
        {r.summary["last_step"] for recs in groups.values() for r in recs if r.summary[key] is None}
    )
    steps = " or ".join(map(str, budgets))
    return f"never reached {event} within {steps} steps in " + ", ".join(parts)


def pearson(x: Sequence[float], y: Sequence[float], min_n: int = 3) -> float | None:
    """Pearson's r of two equal-length series; None with fewer than min_n points or a constant
    series (r is undefined there)."""
    n = len(x)
    if n != len(y):
        raise ValueError(f"pearson needs equal lengths, got {n} and {len(y)}")
    if n < min_n:
        return None
    mx, my = math.fsum(x) / n, math.fsum(y) / n
    sxy = math.fsum((a - mx) * (b - my) for a, b in zip(x, y))
    sxx, syy = math.fsum((a - mx) ** 2 for a in x), math.fsum((b - my) ** 2 for b in y)
    return sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else None


def correlation_test(x: Sequence[float], y: Sequence[float], level: float = 0.95) -> dict:
    """Pearson r with a Fisher-z confidence interval and a two-sided p (normal approximation to
    atanh(r) sqrt(n - 3)); n < 4 or a constant series gives r None."""
    n = len(x)
    r = pearson(x, y)
    if r is None or n < 4:
        return {"r": r, "lo": None, "hi": None, "p": None, "n": n}
    r_c = max(min(r, 1 - 1e-12), -1 + 1e-12)
    z, se = math.atanh(r_c), 1 / math.sqrt(n - 3)
    q = statistics.NormalDist().inv_cdf(0.5 + level / 2)
    p = math.erfc(abs(z) / se / math.sqrt(2))
    return {"r": r, "lo": math.tanh(z - q * se), "hi": math.tanh(z + q * se), "p": p, "n": n}


def linfit(x: Sequence[float], y: Sequence[float]) -> tuple[float, float, float]:
    """Least-squares line y = a + b x: returns (b, a, r^2)."""
    n = len(x)
    if n < 2 or n != len(y):
        raise ValueError("linfit needs two equal-length sequences of at least 2 points")
    mx, my = sum(x) / n, sum(y) / n
    sxx = sum((v - mx) ** 2 for v in x)
    sxy = sum((u - mx) * (v - my) for u, v in zip(x, y))
    syy = sum((v - my) ** 2 for v in y)
    b = sxy / sxx
    r2 = (sxy * sxy / (sxx * syy)) if syy > 0 else 1.0
    return b, my - b * mx, r2


def loglog_slope(x: Sequence[float], y: Sequence[float]) -> float:
    """Exponent b of y ~ x^b (least squares in log-log)."""
    return linfit([math.log(v) for v in x], [math.log(v) for v in y])[0]
