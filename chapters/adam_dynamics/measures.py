"""What chapter 4 reads from its run records, per seed: gaps, grok steps and their ratios,
post-grok oscillation, and features of the probe series (Hessian, agreement, rank).

Nothing here trains. Correlations over runs are grokcore.outcomes' (pearson, correlation_test);
a censored run (no 95% test accuracy within the budget) gives None, never a dropped seed.
"""

from __future__ import annotations

import math
import statistics
from typing import Sequence

import torch

from grokcore import outcomes
from grokcore.records import RunRecord

KEY = "step_to_test_acc_95"  # the grokking step: first evaluation at 95% test accuracy

# ---- gaps and grouping ----------------------------------------------------------------------


def gap(summary: dict) -> int | None:
    """The blog's gap: first step with test acc >= 95% minus first with train acc >= 95%; None
    if test never got there (censored). Negative when the model generalizes before it memorizes."""
    te, tr = summary["step_to_test_acc_95"], summary["step_to_train_acc_95"]
    return None if te is None or tr is None else te - tr


def grok_step(r: RunRecord) -> int | None:
    """First evaluated step with test accuracy >= 95%; None if censored."""
    return r.summary[KEY]


def grokked(r: RunRecord) -> bool:
    """Whether the run reached 95% test accuracy within its budget."""
    return grok_step(r) is not None


def group(records: Sequence[RunRecord], by: str) -> dict:
    """Records keyed by "beta1", "weight_decay" or "method", in first-seen order, each by seed."""

    def key(r):
        run = r.config["run"]
        return {
            "beta1": run["optim"]["betas"][0],
            "weight_decay": run["optim"]["weight_decay"],
            "method": run["method"]["name"],
        }[by]

    out: dict = {}
    for r in sorted(records, key=lambda r: r.config["run"]["seed"]):
        out.setdefault(key(r), []).append(r)
    return out


def grokfast_cells(records: Sequence[RunRecord], beta1s) -> dict[tuple, list[RunRecord]]:
    """(β1, "grokfast_ema" or "none") -> records by seed (the Grokfast part's 2x2 cells): of
    DynamicsRuns, or of plain RunConfigs (the 2x2 on Grokfast's own run)."""

    def run_of(r: RunRecord) -> dict:
        return r.config.get("run", r.config)

    cells: dict = {}
    for r in sorted(records, key=lambda r: run_of(r)["seed"]):
        run = run_of(r)
        cells.setdefault((run["optim"]["betas"][0], run["method"]["name"]), []).append(r)
    return cells


def diagnostic_runs(records: Sequence[RunRecord]) -> dict[float, list[RunRecord]]:
    """β1 -> the runs that logged the Hessian and rank probes."""
    return group([r for r in records if r.history.get("hessian_step")], "beta1")


def quartiles(values: Sequence[float | None]) -> tuple[float, float, float] | None:
    """(25%, median, 75%) of the uncensored values, linear interpolation; None if there are none."""
    v = [x for x in values if x is not None]
    if not v:
        return None
    q = torch.quantile(
        torch.tensor(v, dtype=torch.float64), torch.tensor([0.25, 0.5, 0.75], dtype=torch.float64)
    )
    return tuple(q.tolist())


def median(values: Sequence[float | None]) -> float | None:
    """Median of the uncensored values; None if there are none."""
    v = [x for x in values if x is not None]
    return statistics.median(v) if v else None


def ratio(a: float | None, b: float | None) -> float | None:
    """a / b; None if either is None (censored) or b is 0."""
    return None if a is None or b is None or b == 0 else a / b


def grok_ratio(a: Sequence[RunRecord], b: Sequence[RunRecord]) -> list[float | None]:
    """Per seed, a's grok step over b's, where a censored run counts its budget: then a lower
    bound (a censored) or an upper bound (b censored) on the ratio; None if both are censored.
    This is outcomes.speedup(b, a) with fast_censored="budget" (b is the "fast" side). For
    tables only: the claims' verdicts use the ratio of Kaplan-Meier medians of the two arms
    (chapters.adam_dynamics.claims), which never counts a budget as a time."""
    return outcomes.speedup(b, a, KEY, fast_censored="budget")


def faster(a: RunRecord, b: RunRecord) -> RunRecord:
    """The run that grokked first: a censored run loses to one that grokked; a tie or two
    censored runs give `a`. Not used by the claims (a comparison with the faster of two arms
    over uncensored seeds drops an arm that never grokked; chapters.adam_dynamics.claims
    compares each arm separately)."""
    return min((a, b), key=lambda r: (grok_step(r) is None, grok_step(r) or 0))


def memorization_margin(r: RunRecord) -> float:
    """Largest train minus test accuracy over training: ~0.9 for a run that memorizes first,
    near 0 for one whose train and test accuracy rise together."""
    h = r.history
    return max(a - b for a, b in zip(h["train_acc"], h["test_acc"]))


# ---- probe series ---------------------------------------------------------------------------


def series(r: RunRecord, key: str, grid: str = "probe_step") -> tuple[list[int], list[float]]:
    """(steps, values) of a logged series, dropping non-finite values."""
    pairs = [(s, v) for s, v in zip(r.history[grid], r.history[key]) if math.isfinite(v)]
    return [s for s, _ in pairs], [v for _, v in pairs]


def window_mean(
    r: RunRecord, key: str, start: int | None, stop: int | None, grid: str = "probe_step"
) -> float | None:
    """Mean of a series over start <= step <= stop; None if an end is None or nothing is there."""
    if start is None or stop is None:
        return None
    vals = [v for s, v in zip(*series(r, key, grid)) if start <= s <= stop]
    return sum(vals) / len(vals) if vals else None


def count_dips(values: Sequence[float], threshold: float = 0.1, window: int = 5) -> int:
    """Excursions of a series below the median of its previous `window` values by more than
    `threshold`; consecutive points below count as one dip."""
    dips, inside = 0, False
    for t in range(window, len(values)):
        below = values[t] < statistics.median(values[t - window : t]) - threshold
        dips += below and not inside
        inside = below
    return dips


def hessian_features(r: RunRecord) -> dict:
    """From the top-eigenvalue series: the first value, the peak, its step, and the spike (peak /
    first value); the peak is sought up to the grokking step (the end of the run if censored)."""
    steps, lam = series(r, "hessian_top", "hessian_step")
    if not steps:
        return {}
    end = grok_step(r) or steps[-1]
    upto = [(s, v) for s, v in zip(steps, lam) if s <= end] or [(steps[0], lam[0])]
    s_peak, peak = max(upto, key=lambda sv: sv[1])
    return {
        "first": lam[0],
        "peak": peak,
        "peak_step": s_peak,
        "spike": peak / lam[0] if lam[0] > 0 else None,
        "lag": None if grok_step(r) is None else grok_step(r) - s_peak,
    }


def rank_change(r: RunRecord) -> float | None:
    """Relative change of the per-sample-gradient effective rank across the transition: the
    first value logged at or after the grokking step over the last one at or before the step
    where train accuracy reached 95%, minus 1. None if either step is missing."""
    steps, rank = series(r, "effective_rank", "hessian_step")
    tr, te = r.summary["step_to_train_acc_95"], grok_step(r)
    if tr is None or te is None:
        return None
    before = [v for s, v in zip(steps, rank) if s <= tr]
    after = [v for s, v in zip(steps, rank) if s >= te]
    return after[0] / before[-1] - 1 if before and after else None


def agreement_rise(r: RunRecord, early: int = 100, window: int = 100) -> float | None:
    """Mean agreement over the `window` steps up to the train-95% step minus its mean over the
    first `early` steps after step 0 (at initialization every example's gradient shares the
    direction away from the uniform output, so step 0 is left out)."""
    tr = r.summary["step_to_train_acc_95"]
    if tr is None:
        return None
    start = window_mean(r, "agreement", 1, early)
    end = window_mean(r, "agreement", max(tr - window, 1), tr)
    return None if start is None or end is None else end - start


def dips_and_gaps(
    records: Sequence[RunRecord], threshold: float
) -> tuple[list[int], list[int], list[float]]:
    """For every grokked run: agreement dips up to its grokking step, its gap, its β1."""
    dips, gaps, b1 = [], [], []
    for r in records:
        g = gap(r.summary)
        if g is None:
            continue
        steps, vals = series(r, "agreement")
        dips.append(count_dips([v for s, v in zip(steps, vals) if s <= grok_step(r)], threshold))
        gaps.append(g)
        b1.append(r.config["run"]["optim"]["betas"][0])
    return dips, gaps, b1


def dip_rates(records: Sequence[RunRecord], threshold: float) -> tuple[list[float], list[int]]:
    """Dips per 100 steps up to the grokking step, and the gap, for every grokked run."""
    dips, gaps, _ = dips_and_gaps(records, threshold)
    steps = [grok_step(r) for r in records if gap(r.summary) is not None]
    return [100 * d / max(s, 1) for d, s in zip(dips, steps)], gaps


# ---- post-grok oscillation ------------------------------------------------------------------


def _detrend(x: torch.Tensor) -> torch.Tensor:
    """x minus its least-squares line, in closed form: the same bits on every execution (LAPACK's
    lstsq under a multi-threaded BLAS gave last-digit differences between two renders of the
    same records)."""
    xc = x - x.mean()
    if len(x) < 2:
        return xc
    tc = torch.arange(len(x), dtype=torch.float64)
    tc = tc - tc.mean()
    return xc - tc * ((tc * xc).sum() / (tc * tc).sum())


def autocorrelation(x: Sequence[float]) -> list[float]:
    """Normalized autocorrelation of a detrended series at lags 0..len-1."""
    raw = torch.tensor(list(x), dtype=torch.float64)
    v = _detrend(raw)
    n, den = len(v), float((v * v).sum())
    if den <= 1e-20 * float((raw * raw).sum()):  # a line detrends to rounding noise: no cycle
        return [1.0] + [0.0] * (n - 1)
    return [float((v[: n - k] * v[k:]).sum()) / den for k in range(n)]


def dominant_period(x: Sequence[float], max_frac: float = 0.5) -> int | None:
    """Lag (in samples) of the highest autocorrelation peak after the first zero crossing, up to
    max_frac of the series; None if the autocorrelation never crosses zero (no cycle)."""
    acf = autocorrelation(x)
    limit = int(len(acf) * max_frac)
    cross = next((k for k in range(1, limit) if acf[k] < 0), None)
    if cross is None:
        return None
    peaks = [
        k for k in range(cross + 1, limit - 1) if acf[k - 1] < acf[k] >= acf[k + 1] and acf[k] > 0
    ]
    return max(peaks, key=lambda k: acf[k]) if peaks else None


def post_grok(r: RunRecord, settle: int = 0) -> dict:
    """After the grokking step (+ settle steps): amplitude (sd of detrended test accuracy),
    period (steps, autocorrelation), correlation of detrended test accuracy with detrended
    weight norm, minimum test accuracy, and collapses (falls below 50% test accuracy)."""
    te = grok_step(r)
    h = r.history
    if te is None:
        return {}
    idx = [i for i, s in enumerate(h["step"]) if s >= te + settle]
    if len(idx) < 8:
        return {}
    acc = [h["test_acc"][i] for i in idx]
    norm = [h["weight_norm"][i] for i in idx]
    every = h["step"][1] - h["step"][0]
    period = dominant_period(acc)
    acc_d = _detrend(torch.tensor(acc, dtype=torch.float64))
    norm_d = _detrend(torch.tensor(norm, dtype=torch.float64))
    collapses = sum(1 for a, b in zip(acc, acc[1:]) if a >= 0.5 > b)
    return {
        "amplitude": float(acc_d.std()),
        "period": None if period is None else period * every,
        "corr_norm": outcomes.pearson(acc_d.tolist(), norm_d.tolist()),
        "min_acc": min(acc),
        "collapses": collapses,
        "n": len(acc),
    }
