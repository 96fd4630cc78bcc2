"""Estimates with confidence intervals, from maintained libraries (SciPy), for the claims' verdicts.

Every estimator takes one value per seed and returns an `Estimate`: the point estimate, a
two-sided interval at `level` (95% by default) and the counts behind it. A seed's value is a
float, an `Obs` (a value that may be censored, or a run that diverged) or None (no value: the
quantity is undefined for that seed); none is dropped without being counted.

- Times to an event (steps or epochs to a test-accuracy level) are censored data: a run that
  ended before the event is known only to take longer than its budget. `median` is the
  Kaplan-Meier median with the Brookmeyer-Crowley interval from the log-log pointwise band
  (scipy.stats.ecdf); the budget never stands in for the event time. When half the seeds or more
  are censored the median is not identified: the estimate is a lower bound and the interval is
  open above.
- `speedup`: the ratio of two arms' Kaplan-Meier medians (slow over fast), its interval from the
  two medians' intervals at level 1 - (1 - level) / 2 each (Bonferroni: joint coverage >= level);
  a censored median keeps its side of the ratio a bound.
- `paired_speedup`: when both arms run the same seeds (same split and init), the geometric
  mean of the per-seed ratios with a t interval on their logs: it decides with a handful of
  seeds where the ratio of medians cannot. A censored slow run makes its ratio a lower bound
  (interval open above); a censored fast run makes it an upper bound (interval (0, high]). With
  censoring the bound is the signed-rank one (`mean`), so that a longer budget never loosens it.
  Seeds bounded from both sides (one censored in both arms, or some from above and some from
  below) leave the geometric mean unidentified; the median ratio then gets the sign test's
  interval with each seed's ratio at its bounds (`sign_interval`): it assumes no symmetry,
  holds whatever the censored values are, and a longer budget never loosens it; at 30 seeds its
  lower limit is the 10th smallest ratio (bound), so it exists while fewer than 10 seeds are
  unbounded below.
- `timed_speedup`: `paired_speedup` in seconds, where each arm's cost per step is itself measured
  in a few interleaved timing rounds: the rounds' spread of the cost ratio joins the seeds' spread
  in a Welch interval, so a verdict in seconds does not rest on one timing's luck, and so does
  how much the ratio moves between timing sessions (`between_sessions`, pooled over the shipped
  timings of a CPU kind).
- `mean`: Student's t interval (scipy.stats.ttest_1samp). Not the bootstrap: at 3-10 seeds the
  percentile bootstrap of a mean covers well below its nominal level (tests/unit/
  test_estimates.py measures both); t is exact for normal data. With censored values the mean
  is only bounded below, by the Wilcoxon signed-rank limit of the values as they stand
  (`signed_rank_lower`): distribution-free for a symmetric spread, and never lowered by a
  larger bound, where the t limit of bounds falls as a bound grows.
- `bootstrap`: any other statistic, BCa (scipy.stats.bootstrap, seeded: deterministic).
- `exact`: a quantity a formula gives exactly (no seeds): its interval is the value.
- `proportion`: Clopper-Pearson (scipy.stats.binomtest). `correlation`: Pearson's r with its
  Fisher-z interval and p (scipy.stats.pearsonr).
- `sequential_level`: where seeds are added to an undecided row and it is judged again, each
  look's interval is at Pocock's level for the number of looks (`pocock_constant`), so that the
  looks together keep the chance of a false verdict at 1 - LEVEL (two looks at 95% each: 8%).
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass, replace
from typing import Callable, Sequence

import numpy as np

LEVEL = 0.95
# paired_speedup's method where seeds are bounded from both sides (sign_interval)
SIGN_TEST = "median of paired ratios, sign-test interval (censored seeds at their bounds)"
# timed_speedup's, where seeds are bounded from both sides: the same in seconds, the cost's t
# interval joined (Bonferroni)
SIGN_TEST_SECONDS = (
    "median of paired ratios in seconds, sign-test interval (censored seeds at their bounds) "
    "+ t (cost)"
)
SIGN_TESTS = (SIGN_TEST, SIGN_TEST_SECONDS)


@dataclass(frozen=True)
class Obs:
    """One seed's value. censored: the true value is at least `value` (the run ended first);
    diverged: the run stopped on a non-finite loss (its time counts as censored at `value`, the
    budget; its other quantities are undefined)."""

    value: float
    censored: bool = False
    diverged: bool = False


Value = "float | Obs | None"


@dataclass(frozen=True)
class Estimate:
    """A point estimate and its interval [low, high] (+-inf: open on that side).

    estimate None: not identified (see `bound`); bound "lower": the data only say the quantity
    is at least `low` (e.g. a median that half the seeds or more never reached); bound "upper":
    they only say it is at most `high` (a ratio whose denominator run never got there); n
    counts seeds with a value (censored ones included), missing those without one."""

    estimate: float | None
    low: float
    high: float
    n: int
    censored: int = 0
    diverged: int = 0
    missing: int = 0
    method: str = ""
    level: float = LEVEL
    bound: str = ""  # "", "lower" or "upper"
    p: float | None = None  # correlation: two-sided p of r = 0

    @property
    def identified(self) -> bool:
        return self.estimate is not None


def _split(values: Sequence) -> tuple[np.ndarray, np.ndarray, int, int]:
    """(values [k], censored [k] bool, missing count, diverged count) from mixed values; a
    non-finite float counts as missing."""
    vals, cens, missing, diverged = [], [], 0, 0
    for v in values:
        if v is None:
            missing += 1
            continue
        if isinstance(v, Obs):
            diverged += v.diverged
            v, c = v.value, v.censored or v.diverged
        else:
            c = False
        if v is None or not math.isfinite(v):
            missing += 1
            continue
        vals.append(float(v))
        cens.append(bool(c))
    return np.array(vals, dtype=float), np.array(cens, dtype=bool), missing, diverged


def _empty(method: str, missing: int, diverged: int, level: float) -> Estimate:
    return Estimate(None, -math.inf, math.inf, 0, 0, diverged, missing, method, level)


# ---- medians of (censored) values: Kaplan-Meier ------------------------------------------------


def _first_at_or_below(times: np.ndarray, surv: np.ndarray, q: float) -> float:
    """inf{t : S(t) <= q} on a step function given at its jump times; inf where never (a NaN
    band value is undefined there: never)."""
    hit = np.nonzero(surv <= q)[0]
    return float(times[hit[0]]) if hit.size else math.inf


def median_text(m: Estimate, scale: float = 1) -> str:
    """A Kaplan-Meier median as '45.0 [30.0, 64.0]' (its 95% interval; ∞: open above), '≥ 100.0'
    where half the seeds or more never got there, '—' without runs; every number times scale."""
    if m.n == 0:
        return "—"

    def f(x: float) -> str:
        return "∞" if math.isinf(x) else f"{x * scale:.1f}"

    return f"{f(m.estimate)} [{f(m.low)}, {f(m.high)}]" if m.identified else f"≥ {f(m.low)}"


def median(values: Sequence, level: float = LEVEL) -> Estimate:
    """Kaplan-Meier median of right-censored values with the Brookmeyer-Crowley interval
    (log-log pointwise band, scipy.stats.ecdf).

    The log-log band is undefined where the curve reaches 0, at the largest value when that
    value is an event. Without censoring that point has an exact bound: every seed at or below
    it, so S there is at most Clopper-Pearson's upper limit for 0 of n, 1 - ((1 - level) / 2)
    ** (1 / n); that is below 1/2 when 0.5 ** n <= (1 - level) / 2 (n >= 6 at 95%), and the
    largest value is then the upper limit, as the sample median's order-statistic interval has
    it (the chance that every seed lies below the true median is 0.5 ** n). Without this bound
    a tie at the top (times on an evaluation grid) left the interval open above however many
    seeds had reached the event. With censoring the undefined point is widened to 1 (open
    above), as R's survfit leaves it undefined."""
    from scipy import stats

    method = "Kaplan-Meier median, log-log interval"
    x, c, missing, diverged = _split(values)
    if x.size == 0:
        return _empty(method, missing, diverged, level)
    n, n_cens = int(x.size), int(c.sum())
    if n_cens == n:  # nothing observed: only that the median exceeds the smallest budget
        lo = float(x.min())
        return Estimate(None, lo, math.inf, n, n_cens, diverged, missing, method, level, "lower")
    data = stats.CensoredData(uncensored=x[~c], right=x[c])
    sf = stats.ecdf(data).sf
    times, surv = sf.quantiles, sf.probabilities
    with warnings.catch_warnings():  # undefined at S = 0 or 1: a feature of the formula (SciPy)
        warnings.simplefilter("ignore", RuntimeWarning)
        band = sf.confidence_interval(level, method="log-log")
    # where the band is undefined (S = 0 at the last event): the lower curve to 0; the upper to
    # the exact bound for 0 of n above it where nothing is censored, else to 1 (docstring)
    top = 1.0 - ((1.0 - level) / 2) ** (1.0 / n) if n_cens == 0 else 1.0
    low_s = np.nan_to_num(band.low.probabilities, nan=0.0)
    high_s = np.nan_to_num(band.high.probabilities, nan=top)
    est = _first_at_or_below(times, surv, 0.5)
    lo = _first_at_or_below(times, low_s, 0.5)
    hi = _first_at_or_below(times, high_s, 0.5)
    if not math.isfinite(lo):  # even the lower curve stays above 1/2: beyond the last time
        lo = float(times[-1])
    if math.isfinite(est):
        return Estimate(est, lo, hi, n, n_cens, diverged, missing, method, level)
    return Estimate(None, lo, math.inf, n, n_cens, diverged, missing, method, level, "lower")


def speedup(fast: Sequence, slow: Sequence, level: float = LEVEL) -> Estimate:
    """Slow's median time over fast's (> 1: `fast` is faster), each a Kaplan-Meier median.

    The interval joins the two medians' intervals at level 1 - (1 - level) / 2 each, so it
    covers with probability >= level: [slow low / fast high, slow high / fast low]. A slow
    median that is not identified makes the ratio a lower bound (estimate None, bound "lower");
    a fast one that is not identified leaves the ratio unknown above zero."""
    each = 1 - (1 - level) / 2
    f, s = median(fast, each), median(slow, each)
    n = min(f.n, s.n)  # seeds per arm (what a claim's min_seeds counts); the other counts: both
    counts = dict(
        censored=f.censored + s.censored,
        diverged=f.diverged + s.diverged,
        missing=f.missing + s.missing,
    )
    method = "ratio of Kaplan-Meier medians, Bonferroni-joined intervals"
    if f.n == 0 or s.n == 0:
        return Estimate(None, -math.inf, math.inf, n, method=method, level=level, **counts)
    lo = s.low / f.high if f.high > 0 else 0.0
    hi = s.high / f.low if f.low > 0 else math.inf
    if f.identified and s.identified and f.estimate > 0:
        return Estimate(s.estimate / f.estimate, lo, hi, n, method=method, level=level, **counts)
    if f.identified and f.estimate > 0:  # slow censored: at least its bound over fast's median
        return Estimate(None, lo, math.inf, n, method=method, level=level, bound="lower", **counts)
    return Estimate(None, 0.0, math.inf, n, method=method, level=level, **counts)


def _paired_bounds(fast: Sequence, slow: Sequence) -> tuple[list[tuple[float, float]], dict]:
    """Per seed with a value in both arms, the bounds (low, high) its log(slow / fast) is known
    to lie in: the value itself where both runs reached the event, [log, inf) where the slow one
    was censored, (-inf, log] where the fast one was, (-inf, inf) where both were; and the counts
    (censored, diverged, missing: a seed without a value in an arm, or reached at step 0)."""
    bounds: list[tuple[float, float]] = []
    counts = dict(censored=0, diverged=0, missing=0)
    for f, s in zip(fast, slow, strict=True):
        f, s = (v if isinstance(v, Obs) or v is None else Obs(float(v)) for v in (f, s))
        if f is None or s is None or not (math.isfinite(f.value) and math.isfinite(s.value)):
            counts["missing"] += 1
            continue
        counts["diverged"] += f.diverged + s.diverged
        f_cens, s_cens = f.censored or f.diverged, s.censored or s.diverged
        counts["censored"] += f_cens + s_cens
        if f_cens and s_cens:  # both times bounded from below: the ratio on neither side
            bounds.append((-math.inf, math.inf))
        elif f.value <= 0 or s.value <= 0:  # reached at step 0: no finite ratio
            counts["missing"] += 1
        else:
            x = math.log(s.value / f.value)
            bounds.append((-math.inf if f_cens else x, math.inf if s_cens else x))
    return bounds, counts


def _paired_logs(
    bounds: Sequence[tuple[float, float]], counts: dict, method: str, level: float
) -> tuple[list, Estimate | None, bool]:
    """From `_paired_bounds`: per seed, log(slow / fast) as an Obs, and the estimate where the
    logs cannot give one: no seed (unbounded), or seeds bounded from opposite sides, or a seed
    with both runs censored ((0, inf); paired_speedup then takes the sign test).

    A seed whose slow run was censored has its log ratio known from below (Obs censored). Where
    every censored seed has its fast run censored instead (its ratio known from above), the logs
    come back negated, each such seed's censored: (-log ratio) is then known from below, and
    `mean` of them bounds the negated mean from below, the ratio from above (paired_speedup);
    the last value says whether they were negated."""
    upper = sum(lo == -math.inf and hi < math.inf for lo, hi in bounds)  # known from above
    lower = sum(hi == math.inf and lo > -math.inf for lo, hi in bounds)  # known from below
    both = sum(lo == -math.inf and hi == math.inf for lo, hi in bounds)  # neither
    logs = [
        Obs(lo if lo > -math.inf else hi, censored=lo != hi)
        for lo, hi in bounds
        if lo > -math.inf or hi < math.inf
    ]
    if not bounds:
        unknown = Estimate(None, -math.inf, math.inf, 0, method=method, level=level, **counts)
        return logs, unknown, False
    if both or (upper and lower):  # bounds from both sides: the mean is not identified
        unknown = Estimate(None, 0.0, math.inf, len(bounds), method=method, level=level, **counts)
        return logs, unknown, False
    if upper:
        return [Obs(-o.value, censored=o.censored) for o in logs], None, True
    return logs, None, False


def sign_interval(
    lows: Sequence[float], highs: Sequence[float], level: float = LEVEL
) -> tuple[float | None, float, float]:
    """(sample median or None, low, high): the sign test's interval for the median of values
    each known only to lie in [lows[i], highs[i]] (+-inf: unbounded on that side), two-sided at
    `level`.

    With n exact values the interval [x_(j+1), x_(n-j)] (order statistics, 1-based) covers the
    median with probability at least level, where j is the largest count with P(Bin(n, 1/2) <= j)
    <= (1 - level) / 2: the lower limit exceeds the median only if j or fewer values fall at or
    below it. Order statistics are nondecreasing in every value, so the j+1-th smallest of the
    lows lies at or below that of the true values, and the n-j-th of the highs at or above:
    the interval keeps its coverage whatever the censored values are, assuming nothing of their
    distribution (no symmetry, unlike `signed_rank_lower`), and a longer budget (a larger bound)
    never loosens it. -inf / inf where the order statistic is unbounded, or where even the
    extremes do not reach the level (n <= 5 at 95%). The sample median is identified where the
    lows' and the highs' medians agree."""
    from scipy import stats

    lo_x, hi_x = np.asarray(lows, dtype=float), np.asarray(highs, dtype=float)  # [n] each
    n = lo_x.size
    if n == 0 or lo_x.shape != (n,) or hi_x.shape != (n,) or not (lo_x <= hi_x).all():
        raise ValueError(f"need as many lows as highs, each at most its high: {lows!r}, {highs!r}")
    lo_x, hi_x = np.sort(lo_x), np.sort(hi_x)
    cdf = stats.binom.cdf(np.arange(n), n, 0.5)  # [n] P(Bin(n, 1/2) <= j)
    reach = np.nonzero(cdf <= (1 - level) / 2 * (1 + 1e-9))[0]  # slack: float sums at the edge
    if reach.size == 0:
        low, high = -math.inf, math.inf
    else:
        j = int(reach[-1])
        low, high = float(lo_x[j]), float(hi_x[n - 1 - j])
    mid = [(n - 1) // 2, n // 2]  # the middle one, or the middle two
    with np.errstate(invalid="ignore"):  # -inf + inf: a middle unbounded both ways, None
        m_lo, m_hi = float(lo_x[mid].mean()), float(hi_x[mid].mean())
    m = m_lo if math.isfinite(m_lo) and m_lo == m_hi else None
    return m, low, high


def paired_speedup(fast: Sequence, slow: Sequence, level: float = LEVEL) -> Estimate:
    """Geometric mean of per-seed ratios slow / fast, seeds paired in order (the same seed: the
    same split and init in both arms), with Student's t interval on the log ratios.

    A seed whose slow run was censored (its fast one reached the event) has a ratio of at least
    budget / fast time: a lower bound, so the estimate is a lower bound (interval open above:
    the signed-rank lower limit of the log ratios as they stand, as `mean`; it bounds the median
    ratio, the geometric mean where the log ratios are symmetric; at 5 seeds or fewer it is
    open at 95%). A seed whose fast run
    was censored (its slow one reached the event) has a ratio of at most slow time / budget:
    the estimate is then an upper bound (bound "upper", interval (0, high]), the mirror image.
    Seeds bounded from both sides, or one with both runs censored, leave the geometric mean
    unidentified; the median ratio is then bounded by the sign test with each seed's ratio at its
    bounds (`sign_interval`: distribution-free, no symmetry assumed), open on a side where too
    many seeds are unbounded there. A seed missing in either arm is missing."""
    method = "geometric mean of paired ratios, t interval on logs"
    bounds, counts = _paired_bounds(fast, slow)
    logs, unknown, negated = _paired_logs(bounds, counts, method, level)
    if unknown is not None:
        if unknown.n == 0:
            return unknown
        return _sign_estimate(bounds, counts, SIGN_TEST, level)
    n = len(logs)
    e = mean(logs, level)
    if e.censored:
        method = "median of paired ratios (symmetric logs), signed-rank bound on logs"
    if negated:  # e bounds -log ratio from below: exp(-e.low) bounds the ratio from above
        hi = math.exp(-e.low) if e.low > -math.inf else math.inf
        return Estimate(None, 0.0, hi, n, method=method, level=level, bound="upper", **counts)
    lo = math.exp(e.low) if e.low > -math.inf else 0.0
    hi = math.exp(e.high) if e.high < math.inf else math.inf
    est = math.exp(e.estimate) if e.identified else None
    return Estimate(est, lo, hi, n, method=method, level=level, bound=e.bound, **counts)


@dataclass(frozen=True)
class Between:
    """How much a cost ratio's log moves between timing sessions on one CPU kind beyond what
    its rounds' spread within a session predicts: the variance component `var` (0: none beyond
    the rounds) and its degrees of freedom `df` (between_sessions)."""

    var: float = 0.0
    df: float = math.inf

    def __post_init__(self) -> None:
        if not (math.isfinite(self.var) and self.var >= 0 and self.df > 0):
            raise ValueError(f"Between(var={self.var!r}, df={self.df!r}): need var >= 0, df > 0")


def between_sessions(groups: Sequence[Sequence[tuple[float, float]]]) -> Between:
    """The variance component between timing sessions, pooled over quantities (method of
    moments, one-way random effects). groups: per quantity (one cost ratio of one timing on one
    CPU kind), per session that timed it, (mean log ratio over its rounds, that mean's squared
    standard error from the rounds). A quantity's sessions scatter by var(means) = tau^2 +
    mean(squared standard errors) in expectation; each quantity timed in k >= 2 sessions gives
    one estimate with k - 1 degrees of freedom, pooled by them. The estimate is clipped at 0
    (the rounds already account for the sessions' scatter); df is the pooled k - 1 (at least 1;
    a single session anywhere leaves the component unmeasured: ValueError)."""
    num = den = 0.0
    for g in groups:
        if len(g) < 2:
            continue
        means = np.array([m for m, _ in g], dtype=float)
        se2 = np.array([v for _, v in g], dtype=float)
        if not (np.isfinite(means).all() and np.isfinite(se2).all() and (se2 >= 0).all()):
            raise ValueError(f"a group's (mean, squared standard error) must be finite, got {g!r}")
        k = len(g)
        num += (k - 1) * (float(means.var(ddof=1)) - float(se2.mean()))
        den += k - 1
    if den == 0:
        raise ValueError("no quantity was timed in two sessions or more: nothing to pool")
    return Between(max(num / den, 0.0), den)


def _cost_spread(c: np.ndarray, between: Between) -> tuple[float, float]:
    """The squared standard error of the rounds' mean log cost ratio plus the between-session
    component, and its Welch-Satterthwaite degrees of freedom."""
    b = float(c.var(ddof=1)) / c.size
    v = b + between.var
    if v == 0:
        return 0.0, math.inf
    d = b**2 / (c.size - 1) + between.var**2 / between.df
    return v, (v**2 / d if d else math.inf)


def _cost_half(c: np.ndarray, between: Between, q: float) -> float:
    """The t half-width at quantile q of the rounds' mean log cost ratio: the wider of it with
    the between-session component and without (the component's larger df never narrows it)."""
    from scipy import stats

    return max(
        float(stats.t.ppf(q, df)) * math.sqrt(v) if v else 0.0
        for v, df in {_cost_spread(c, b) for b in (between, Between())}
    )


def timed_speedup(
    fast: Sequence,
    slow: Sequence,
    cost_logs: Sequence[float],
    between: Between | None = None,
    level: float = LEVEL,
) -> Estimate:
    """`paired_speedup` of times in seconds, each arm's steps times its measured seconds per
    step, where the cost ratio is itself a measurement with its own spread.

    fast, slow: per seed, steps (or any count) to the event, paired as in paired_speedup;
    cost_logs: per timing round, log(slow's seconds per step / fast's), the two timed side by
    side in that round; between: how much that log moves between timing sessions beyond its
    rounds' spread (between_sessions; None: not at all). The estimate is exp(mean log step ratio
    + mean cost log): the geometric mean of the per-seed ratios in seconds at the rounds'
    geometric-mean cost. The interval is Welch's: the two means are independent (seeds and
    timing), their variances add (the cost's: the rounds' squared standard error plus the
    between-session component), and the t quantile takes the Welch-Satterthwaite degrees of
    freedom (at most the seeds' n - 1, so the interval is never narrower than the seeds' alone),
    so an interval at few rounds is as wide as their spread warrants. One round alone has no
    spread: the interval is open ((0, inf)). Censoring as in paired_speedup, except that an upper
    bound (a seed's fast run censored) is left unidentified here ((0, inf)); a lower bound joins
    the steps' signed-rank limit and the cost's one-sided t limit, each at (1 - level) / 4
    (Bonferroni: the two hold together with probability at least 1 - (1 - level) / 2, the lower
    side of a two-sided interval at `level`). Seeds bounded from both sides (one censored in both
    arms, or some from above and others from below) bound the median ratio in seconds as
    paired_speedup bounds it in steps, by the sign test (`sign_interval`), the cost a common
    factor of every seed's ratio: the steps' sign-test interval and the cost mean's t interval,
    each two-sided at 1 - (1 - level) / 2, added on logs (Bonferroni again; SIGN_TEST_SECONDS)."""
    from scipy import stats

    between = between or Between()
    method = "geometric mean of paired ratios in seconds, Welch interval (seeds, timing rounds)"
    if between.var:
        method = method.removesuffix(")") + ", between sessions)"
    c = np.asarray(cost_logs, dtype=float)
    if c.ndim != 1 or c.size == 0 or not np.isfinite(c).all():
        raise ValueError(f"cost_logs must be one finite log ratio per timing round, got {c!r}")
    bounds, counts = _paired_bounds(fast, slow)
    logs, unknown, negated = _paired_logs(bounds, counts, method, level)
    if unknown is not None:
        if unknown.n == 0:
            return unknown
        # the steps' sign test and the cost's t interval, each at 1 - (1 - level) / 2 (one
        # timing round: no spread, open)
        half = math.inf if c.size == 1 else _cost_half(c, between, 1 - (1 - level) / 4)
        est = _sign_estimate(
            bounds, counts, SIGN_TEST_SECONDS, 1 - (1 - level) / 2, float(c.mean()), half
        )
        return replace(est, level=level)
    n = len(logs)
    if negated:  # an upper bound in steps: not carried into seconds here, nothing identified
        return Estimate(None, 0.0, math.inf, n, method=method, level=level, **counts)
    x = np.array([o.value for o in logs])
    if any(o.censored for o in logs):  # the step ratios as they stand bound theirs from below
        method = "median of paired ratios in seconds, signed-rank (steps) + t (cost) bounds"
        alpha = (1 - level) / 4
        steps = signed_rank_lower(x, alpha)
        if c.size == 1 or not math.isfinite(steps):
            lo = 0.0
        else:  # the component only widens: never above the rounds' own limit (its larger df)
            lo = math.exp(steps + c.mean() - _cost_half(c, between, 1 - alpha))
        return Estimate(None, lo, math.inf, n, method=method, level=level, bound="lower", **counts)
    m = float(x.mean() + c.mean())
    if n == 1 or c.size == 1:  # a spread unmeasured on either side: nothing bounds the ratio
        lo, hi = 0.0, math.inf
    else:
        a = x.var(ddof=1) / n  # the seeds' squared standard error
        halves = []
        # the cost's, with the component and without: the component only widens (its larger
        # df never narrows the interval below the rounds' alone)
        for b, df_b in {_cost_spread(c, bw) for bw in (between, Between())}:
            if a + b == 0:
                halves.append(0.0)
                continue
            # Welch-Satterthwaite, capped at the seeds' own n - 1: at few seeds the uncapped
            # df can grow faster than the standard error and narrow the interval below the
            # seeds' alone, as if timing added certainty
            df = min((a + b) ** 2 / (a**2 / (n - 1) + (b**2 / df_b if b else 0.0)), n - 1)
            halves.append(float(stats.t.ppf(1 - (1 - level) / 2, df)) * math.sqrt(a + b))
        lo, hi = math.exp(m - max(halves)), math.exp(m + max(halves))
    return Estimate(math.exp(m), lo, hi, n, method=method, level=level, **counts)


def _sign_estimate(
    bounds: Sequence[tuple[float, float]],
    counts: dict,
    method: str,
    level: float,
    shift: float = 0.0,
    half: float = 0.0,
) -> Estimate:
    """The median ratio where seeds are bounded from both sides: the sign test's interval of the
    median log ratio (`sign_interval`) at `level`, moved by `shift` and widened by `half` on
    each side (timed_speedup's cost: its mean log and its interval's half-width; inf: open),
    on the ratio's scale."""
    m, lo, hi = sign_interval(*zip(*bounds), level)
    lo, hi = lo + shift - half, hi + shift + half  # +-inf where either side is open
    bound = {(True, False): "lower", (False, True): "upper"}.get(
        (math.isfinite(lo), math.isfinite(hi)), ""
    )
    return Estimate(
        None if m is None else math.exp(m + shift),
        math.exp(lo),  # exp(-inf) = 0: open below
        math.exp(hi) if hi < math.inf else math.inf,
        len(bounds),
        method=method,
        level=level,
        bound=bound if m is None else "",
        **counts,
    )


# ---- means and other statistics ----------------------------------------------------------------


def signed_rank_lower(values: Sequence[float], alpha: float) -> float:
    """The one-sided (1 - alpha) lower confidence limit of the center of a symmetric
    distribution from the Wilcoxon signed-rank test: the k-th smallest of the n (n + 1) / 2 Walsh
    averages (x_i + x_j) / 2, i <= j, where k - 1 is the largest c with P(T+ <= c) <= alpha
    under the null (T+: the signed-rank statistic, its exact distribution). -inf where even the
    smallest Walsh average does not reach the level (2^-n > alpha: 5 values at alpha 0.025).

    Every Walsh average is nondecreasing in every value, so the limit is too: values that are
    only lower bounds of the true ones give a limit at or below the true values' limit, and a
    larger bound (a longer budget) never lowers it. The t limit has neither property (a large
    value widens s faster than it moves the mean)."""
    x = np.asarray(values, dtype=float)  # [n]
    n = x.size
    if n == 0:
        return -math.inf
    k = _signed_rank_critical(n, alpha)
    if k < 0:
        return -math.inf
    i, j = np.triu_indices(n)
    walsh = (x[i] + x[j]) / 2  # [n (n + 1) / 2]
    return float(np.partition(walsh, k)[k])  # the (k + 1)-th smallest


@functools.lru_cache(maxsize=None)
def _signed_rank_critical(n: int, alpha: float) -> int:
    """The largest c with P(T+ <= c) <= alpha under the null for n values (T+: the signed-rank
    statistic, its exact distribution), -1 where there is none; cached, as it depends on n and
    alpha alone (resampled projections ask for it at every size up to SEEDS_CAP)."""
    # Only P(T+ <= c) for c up to the mean m / 2 is read (alpha < 1/2), and the counts there
    # need only counts there: each step adds the distribution shifted right by r. Kept to that
    # range and to the support so far, the work is about a sixth of the whole table's; every
    # entry sums and halves exactly as on the whole table, so the result is the same to the bit.
    m = n * (n + 1) // 2
    top = m // 2 + 1 if alpha < 0.5 else m + 1  # P(T+ <= m // 2) >= 1/2: entries 0 .. m // 2
    pmf = np.zeros(top)  # [top] null distribution of T+ below its mean
    pmf[0] = 1.0
    for r in range(1, n + 1):
        end = min(top, r * (r + 1) // 2 + 1)  # T+ <= r (r + 1) / 2 after r ranks
        if r < end:
            pmf[r:end] += pmf[: end - r]  # numpy buffers the overlapping read
        pmf[:end] /= 2
    cdf = np.cumsum(pmf)  # [top]
    # a relative slack: cdf is a float sum and the boundary c can sit exactly at alpha
    reach = np.nonzero(cdf <= alpha * (1 + 1e-9))[0]
    return int(reach[-1]) if reach.size else -1


def mean(values: Sequence, level: float = LEVEL) -> Estimate:
    """Mean with Student's t interval.

    Censored values (known only from below) leave a lower limit only, open above: the
    signed-rank limit of the values as they stand (`signed_rank_lower` at (1 - level) / 2, the
    lower side of a two-sided interval at `level`). It bounds the center of symmetry, the mean
    where the values are symmetric about it (as the t interval assumes); at most 5 values give
    no bound at 95%. The t limit of the values as they stand is no bound here: it falls as a
    censored value grows (see signed_rank_lower), so a longer budget would loosen it."""
    from scipy import stats

    method = "mean, Student's t interval"
    x, c, missing, diverged = _split(values)
    n, n_cens = int(x.size), int(c.sum())
    if n == 0:
        return _empty(method, missing, diverged, level)
    if n_cens:
        lo = signed_rank_lower(x, (1 - level) / 2)
        method = "center (the mean if symmetric), signed-rank lower limit of the censored values"
        return Estimate(None, lo, math.inf, n, n_cens, diverged, missing, method, level, "lower")
    m = float(x.mean())
    if n == 1 or np.ptp(x) == 0:
        lo, hi = (-math.inf, math.inf) if n == 1 else (m, m)
    else:
        ci = stats.ttest_1samp(x, m).confidence_interval(level)
        lo, hi = float(ci.low), float(ci.high)
    return Estimate(m, lo, hi, n, 0, diverged, missing, method, level)


def bootstrap(
    values: Sequence, statistic: Callable[[np.ndarray], float], level: float = LEVEL
) -> Estimate:
    """statistic(values) with a BCa bootstrap interval (scipy.stats.bootstrap, 9999 resamples,
    seeded). Censored values are not allowed here (the statistic would treat bounds as values)."""
    from scipy import stats

    method = "BCa bootstrap"
    x, c, missing, diverged = _split(values)
    if c.any():
        raise ValueError("bootstrap got censored values: use median() for censored data")
    n = int(x.size)
    if n == 0:
        return _empty(method, missing, diverged, level)
    est = float(statistic(x))
    if n < 3 or np.ptp(x) == 0:
        lo, hi = (-math.inf, math.inf) if n < 3 else (est, est)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # degenerate resamples at few seeds
            res = stats.bootstrap(
                (x,),
                lambda s, axis=-1: np.apply_along_axis(statistic, axis, s),
                confidence_level=level,
                method="BCa",
                n_resamples=9999,
                rng=np.random.default_rng(0),
            )
        lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
        if not (math.isfinite(lo) and math.isfinite(hi)):
            lo, hi = -math.inf, math.inf
    return Estimate(est, lo, hi, n, 0, diverged, missing, method, level)


def proportion(successes: Sequence[bool | None], level: float = LEVEL) -> Estimate:
    """Share of seeds where something happened, with the Clopper-Pearson interval."""
    from scipy import stats

    method = "proportion, Clopper-Pearson interval"
    k_n = [bool(s) for s in successes if s is not None]
    missing = len(successes) - len(k_n)
    if not k_n:
        return _empty(method, missing, 0, level)
    k, n = sum(k_n), len(k_n)
    ci = stats.binomtest(k, n).proportion_ci(level, method="exact")
    return Estimate(
        k / n, float(ci.low), float(ci.high), n, missing=missing, method=method, level=level
    )


def correlation(x: Sequence[float], y: Sequence[float], level: float = LEVEL) -> Estimate:
    """Pearson's r with the Fisher-z interval and the two-sided p of r = 0 (scipy.stats.pearsonr);
    not identified with fewer than 4 points or a constant series."""
    from scipy import stats

    method = "Pearson r, Fisher-z interval"
    pairs = [
        (float(a), float(b))
        for a, b in zip(x, y, strict=True)
        if a is not None and b is not None and math.isfinite(a) and math.isfinite(b)
    ]
    missing = len(x) - len(pairs)
    n = len(pairs)
    if n < 4 or len({a for a, _ in pairs}) < 2 or len({b for _, b in pairs}) < 2:
        return Estimate(None, -1.0, 1.0, n, missing=missing, method=method, level=level)
    res = stats.pearsonr(*zip(*pairs))
    ci = res.confidence_interval(level)
    return Estimate(
        float(res.statistic),
        float(ci.low),
        float(ci.high),
        n,
        missing=missing,
        method=method,
        level=level,
        p=float(res.pvalue),
    )


def geomean(values: Sequence, level: float = LEVEL, between: Between | None = None) -> Estimate:
    """Geometric mean of positive per-seed values (factors, ratios) with Student's t interval on
    their logs; None (a seed without a value) is missing. Censored values are refused: a factor
    known only from one side needs its own estimator (paired_speedup for ratios of times).

    between: for cost ratios from one timing's rounds (one value a round), how much their log
    moves between timing sessions beyond the rounds' spread (between_sessions). Its variance
    joins the rounds' squared standard error, with Welch-Satterthwaite degrees of freedom, as in
    timed_speedup; the interval is the wider of that and the rounds' alone (the component's df
    never narrows it). One round alone leaves the interval open."""

    method = "geometric mean, t interval on logs"
    x, c, missing, diverged = _split(values)
    if c.any():
        raise ValueError("geomean takes uncensored values")
    if (x <= 0).any():
        raise ValueError(f"geomean takes positive values, got {x[x <= 0].tolist()}")
    if x.size == 0:
        return _empty(method, missing, diverged, level)
    logs = np.log(x)
    if between is None or not between.var or x.size == 1:
        e = mean(logs.tolist(), level)
        m, lo, hi = e.estimate, e.low, e.high
    else:
        method += ", between sessions"
        m = float(logs.mean())
        half = _cost_half(logs, between, (1 + level) / 2)
        lo, hi = m - half, m + half
    lo = math.exp(lo) if lo > -math.inf else 0.0
    hi = math.exp(hi) if hi < math.inf else math.inf
    return Estimate(math.exp(m), lo, hi, int(x.size), 0, diverged, missing, method, level)


def slope(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Least-squares slope of ys on xs (at least two distinct xs)."""
    x, y = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    dx = x - x.mean()
    if x.size != y.size or not (dx**2).sum() > 0:
        raise ValueError("slope needs as many ys as xs and at least two distinct xs")
    return float((dx * (y - y.mean())).sum() / (dx**2).sum())


Looks = int | Sequence[int]  # how many looks (equally spaced), or the seeds at each look


def look_sizes(looks: Looks) -> tuple[int, ...]:
    """The seeds at each look, increasing: `looks` itself, or 1..looks for a count (equal
    spacing); ValueError naming what is allowed."""

    def whole(n: object) -> bool:
        return isinstance(n, int) and not isinstance(n, bool) and n >= 1

    if whole(looks):
        return tuple(range(1, looks + 1))
    sizes = tuple(looks) if isinstance(looks, Sequence) and not isinstance(looks, str) else ()
    if not sizes or not all(map(whole, sizes)) or any(b <= a for a, b in zip(sizes, sizes[1:])):
        raise ValueError(f"looks={looks!r} is invalid: allowed an integer >= 1 or the seeds at "
                         "each look, increasing")  # fmt: skip
    return sizes


def pocock_constant(looks: Looks, alpha: float = 1 - LEVEL) -> float:
    """Pocock's constant c for two-sided looks at data that accumulate (seeds added between
    looks): a z statistic crossing +-c at any look happens with probability `alpha` under the
    null, where +-z_{1-alpha/2} at every look would happen more often (two looks at 1.96: 8.3%,
    not 5%). `looks`: their number, equally spaced, or the seeds at each look (5, 8, 16: the
    constant for that spacing; equal spacing's would be off by a few tenths of a percent).
    Computed, not tabulated: the sums S_k of the first n_k independent N(0, 1) values (in units
    of n_1), propagated on a grid of step 0.01 over the region where no look has crossed
    (trapezoid convolutions, as Armitage, McPherson and Rowe 1969), and c found by bisection;
    Jennison and Turnbull (2000, Table 2.1) list 2.178, 2.289, 2.361, 2.413 for 2-5 equally
    spaced looks at alpha 0.05."""
    return _pocock(look_sizes(looks), alpha)


@functools.lru_cache(maxsize=None)
def _pocock(sizes: tuple[int, ...], alpha: float) -> float:
    from scipy.stats import norm

    if not 0 < alpha < 1:
        raise ValueError(f"alpha={alpha!r} is invalid: allowed a number in (0, 1)")
    if len(sizes) == 1:
        return float(norm.ppf(1 - alpha / 2))
    t = [n / sizes[0] for n in sizes]  # information at each look, the first's 1

    def grid(bound: float) -> tuple[np.ndarray, np.ndarray]:
        """Points from -bound to bound about 0.01 apart, and their trapezoid weights."""
        x = np.linspace(-bound, bound, 2 * math.ceil(bound / 0.01) + 1)
        w = np.full(x.size, x[1] - x[0])
        w[[0, -1]] /= 2
        return x, w

    def crossing(c: float) -> float:
        """P(some |S_k| >= c sqrt(t_k)) under the null."""
        x, w = grid(c)  # S_1 inside the first boundary
        f = norm.pdf(x)  # S_1's density there (the rest crossed at look 1)
        for k in range(1, len(t)):
            y, v = grid(c * math.sqrt(t[k]))
            sd = math.sqrt(t[k] - t[k - 1])  # the increment's spread
            f, x, w = norm.pdf((y[:, None] - x[None, :]) / sd) / sd @ (w * f), y, v
        return float(1 - (w * f).sum())

    lo, hi = float(norm.ppf(1 - alpha / 2)), float(norm.ppf(1 - alpha / (2 * len(t))))
    for _ in range(30):  # crossing(c) falls as c grows; Bonferroni's c is above Pocock's
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if crossing(mid) > alpha else (lo, mid)
    return (lo + hi) / 2


def sequential_level(looks: Looks, level: float = LEVEL) -> float:
    """The level of each look's two-sided interval such that the looks (seeds added after an
    undecided look, and looked at again; their number or the seeds at each) keep the chance of a
    false verdict at 1 - level: 2 Phi(c) - 1 for Pocock's constant c (pocock_constant). 95% over
    2 equally spaced looks: 97.06% each. A t interval at this level stands in for the z one (as
    is usual for small samples)."""
    from scipy.stats import norm

    c = pocock_constant(looks, 1 - level)
    return float(2 * norm.cdf(c) - 1)


EXACT = "exact computation"


def exact(value: float, level: float = LEVEL) -> Estimate:
    """A quantity computed exactly (no seeds, no sampling): its interval is the value itself.
    For a claim whose quantity is a formula's value; describe() shows it as '(exact)'."""
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"value={value!r} is invalid: allowed a finite number")
    return Estimate(v, v, v, 1, method=EXACT, level=level)


ESTIMATORS: dict[str, Callable[..., Estimate]] = {
    "mean": mean,
    "geomean": geomean,
    "median": median,
    "speedup": speedup,
    "paired_speedup": paired_speedup,
    "timed_speedup": timed_speedup,
    "proportion": proportion,
    "correlation": correlation,
    "exact": exact,
}
