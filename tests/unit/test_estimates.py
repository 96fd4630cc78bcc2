"""The estimators against simulated data with known answers: coverage at the nominal level,
censoring kept as bounds, and the edge cases (few seeds, all censored, diverged, missing)."""

import math

import numpy as np
import pytest

from grokcore import estimates as E
from grokcore.estimates import Obs


def _censored_exponential(rng, n, scale=100.0):
    """Exponential event times with random censoring (budgets uniform on [50, 400])."""
    t, c = rng.exponential(scale, n), rng.uniform(50, 400, n)
    return [Obs(float(min(a, b)), censored=bool(a > b)) for a, b in zip(t, c)]


@pytest.mark.parametrize("n", [20, 40])
def test_kaplan_meier_median_interval_covers_at_its_nominal_rate(n):
    rng = np.random.default_rng(n)
    true = 100 * math.log(2)
    studies = [E.median(_censored_exponential(rng, n)) for _ in range(400)]
    cover = np.mean([e.low <= true <= e.high for e in studies])
    assert 0.90 <= cover <= 0.99, cover  # nominal 0.95; 400 studies: sd ~0.011


def test_median_without_censoring_is_the_sample_median_and_five_seeds_leave_it_open():
    e = E.median([3.0, 5.0, 7.0, 8.0, 9.0, 11.0, 12.0, 15.0, 18.0, 30.0, 31.0])
    assert e.estimate == 11.0 and e.low < 11.0 < e.high < math.inf
    few = E.median([3.0, 5.0, 7.0, 8.0, 9.0])  # 5 seeds cannot bound a median's upper side at 95%
    assert few.estimate == 7.0 and few.high == math.inf and few.bound == ""


def test_a_tie_at_the_top_bounds_the_median_by_the_largest_value_from_six_seeds_on():
    # times on an evaluation grid: the last three seeds tie, the curve drops from 3/8 to 0 there
    # and the log-log band is undefined at that point (it used to leave the interval open above)
    e = E.median([63.0, 63.0, 66.0, 66.0, 69.0, 69.0, 69.0, 69.0])
    assert e.estimate == 66.0 and e.low == 63.0 and e.high == 69.0
    # the order-statistic argument: every one of n seeds below the true median has chance 0.5**n
    six = E.median([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])  # 0.5**6 < 0.025: the largest bounds it
    assert six.high == 6.0
    five = E.median([1.0, 2.0, 3.0, 4.0, 5.0])  # 0.5**5 > 0.025: no upper limit at 95%
    assert five.high == math.inf
    # at a level where 0.5**6 no longer suffices, six seeds leave it open again
    assert E.median([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], level=0.99).high == math.inf
    # with censoring the undefined point stays open (no exact count above the last event)
    cens = E.median([Obs(2.0, censored=True), 1.0, 3.0, 3.0, 4.0, 4.0, 4.0, 4.0])
    assert cens.high == math.inf


@pytest.mark.parametrize("n", [6, 8])
def test_kaplan_meier_median_on_an_evaluation_grid_covers_and_stays_bounded(n):
    # log-normal times rounded up to an evaluation every 100 (median 1000): many ties, the top
    # one often several seeds wide; the interval keeps its level and is never open above
    rng = np.random.default_rng(n)
    studies = [
        E.median(list(np.ceil(np.exp(rng.normal(0, 0.4, n)) * 10) * 100)) for _ in range(400)
    ]
    cover = np.mean([e.low <= 1000 <= e.high for e in studies])
    assert 0.93 <= cover, cover  # nominal 0.95 (ties make it conservative: ~0.98)
    assert all(math.isfinite(e.high) for e in studies)


def test_a_censored_majority_leaves_only_a_lower_bound_never_the_budget_as_a_time():
    e = E.median([Obs(100, censored=True)] * 3 + [10.0, 20.0])
    assert e.estimate is None and e.bound == "lower" and e.high == math.inf
    assert e.censored == 3 and e.n == 5
    all_censored = E.median([Obs(100, censored=True), Obs(80, censored=True)])
    assert (
        all_censored.estimate is None and all_censored.low == 80 and all_censored.high == math.inf
    )


def test_mean_t_interval_covers_at_few_seeds_where_the_percentile_bootstrap_does_not():
    from scipy import stats

    rng = np.random.default_rng(0)
    t_cover, boot_cover = [], []
    for _ in range(300):
        x = rng.normal(1.0, 1.0, 5)
        e = E.mean(list(x))
        t_cover.append(e.low <= 1.0 <= e.high)
        ci = stats.bootstrap((x,), np.mean, method="percentile", n_resamples=999, rng=rng)
        boot_cover.append(ci.confidence_interval.low <= 1.0 <= ci.confidence_interval.high)
    assert 0.92 <= np.mean(t_cover) <= 0.98
    assert np.mean(boot_cover) < 0.91  # why the mean uses t (grokcore.estimates docstring)


def test_mean_counts_censored_missing_and_diverged_and_censoring_makes_a_lower_bound():
    e = E.mean([1.0, 2.0, None, float("nan"), Obs(5.0, censored=True, diverged=True)])
    assert e.n == 3 and e.missing == 2 and e.diverged == 1 and e.censored == 1
    assert e.estimate is None and e.bound == "lower" and e.high == math.inf
    one = E.mean([2.0])
    assert one.estimate == 2.0 and (one.low, one.high) == (-math.inf, math.inf)
    assert E.mean([]).n == 0 and E.mean([None]).missing == 1


def test_speedup_is_a_ratio_of_medians_and_a_censored_slow_arm_keeps_a_bound():
    rng = np.random.default_rng(3)
    fast = [float(v) for v in rng.normal(100, 5, 12)]
    slow = [float(v) for v in rng.normal(400, 20, 12)]
    e = E.speedup(fast, slow)
    assert e.estimate == pytest.approx(np.median(slow) / np.median(fast), rel=0.1)
    assert e.low < e.estimate < e.high and e.low > 2
    bound = E.speedup(fast, [Obs(1000, censored=True)] * 12)
    assert bound.estimate is None and bound.bound == "lower" and bound.low > 5
    assert bound.high == math.inf
    unknown = E.speedup([Obs(1000, censored=True)] * 12, slow)
    assert unknown.estimate is None and unknown.low == 0 and unknown.high == math.inf


def test_speedup_interval_covers_the_true_ratio():
    rng = np.random.default_rng(5)
    cover = []
    for _ in range(200):
        fast = _censored_exponential(rng, 30, 50.0)
        slow = _censored_exponential(rng, 30, 100.0)
        e = E.speedup(fast, slow)
        cover.append(e.low <= 2.0 <= e.high)
    assert np.mean(cover) >= 0.93  # Bonferroni: at least the nominal 0.95, up to sampling


def test_proportion_and_correlation():
    p = E.proportion([True, True, False, None])
    assert p.estimate == pytest.approx(2 / 3) and p.missing == 1 and 0 < p.low < p.high < 1
    rng = np.random.default_rng(2)
    x = rng.normal(size=50)
    r = E.correlation(x, 0.8 * x + 0.6 * rng.normal(size=50))
    assert 0.6 < r.estimate < 0.95 and r.low < r.estimate < r.high and r.p < 1e-6
    assert E.correlation([1, 2, 3], [1, 2, 3]).estimate is None  # n < 4
    assert E.correlation([1, 1, 1, 1], [1, 2, 3, 4]).estimate is None  # constant
    # every estimator says the level it was asked for (a row's "level" reads it)
    wide = E.proportion([True, True, False, True, True], level=0.99)
    assert wide.level == 0.99 and E.proportion([True, False], level=0.9).level == 0.9
    assert wide.low < E.proportion([True, True, False, True, True]).low
    for est in (E.mean, E.median, E.geomean):
        assert est([1.0, 2.0, 3.0, 2.5], level=0.9).level == 0.9, est.__name__


def test_bootstrap_is_deterministic_and_refuses_censored_values():
    x = [1.0, 2.0, 4.0, 3.0, 5.0, 2.5]
    a, b = E.bootstrap(x, np.median), E.bootstrap(x, np.median)
    assert a == b and a.low <= a.estimate <= a.high
    with pytest.raises(ValueError, match="censored"):
        E.bootstrap([1.0, Obs(2.0, censored=True)], np.median)


def test_paired_speedup_covers_the_true_ratio_and_decides_with_few_seeds():
    rng = np.random.default_rng(11)
    cover = []
    for _ in range(300):
        base = rng.lognormal(5, 0.5, 5)  # per seed: how hard its split is, shared by both arms
        fast = base * rng.lognormal(0, 0.2, 5)
        slow = 3 * base * rng.lognormal(0, 0.2, 5)  # true geometric-mean ratio: 3
        e = E.paired_speedup(list(fast), list(slow))
        cover.append(e.low <= 3.0 <= e.high)
    assert 0.92 <= np.mean(cover) <= 0.98
    assert e.low > 1.5  # 5 paired seeds bound a 3x speed-up away from 1.5x; the KM ratio cannot
    assert E.speedup(list(fast), list(slow)).low < 1.5


def test_paired_speedup_keeps_bounds_as_bounds():
    fast, slow = [10.0, 12.0, 11.0], [40.0, Obs(100, censored=True), 44.0]
    e = E.paired_speedup(fast, slow)
    assert e.estimate is None and e.bound == "lower" and e.high == math.inf and e.censored == 1
    upper = E.paired_speedup([Obs(100, censored=True), 10.0], [50.0, 40.0])  # fast censored
    assert upper.estimate is None and upper.bound == "upper" and upper.low == 0.0
    unknown = E.paired_speedup([Obs(100, censored=True), 10.0], [50.0, Obs(100, censored=True)])
    assert unknown.estimate is None and (unknown.low, unknown.high) == (0.0, math.inf)
    missing = E.paired_speedup([None, 10.0, 10.0, 10.0], [5.0, 20.0, 30.0, 40.0])
    assert (
        missing.missing == 1
        and missing.n == 3
        and missing.estimate == pytest.approx((2 * 3 * 4) ** (1 / 3))
    )
    with pytest.raises(ValueError):
        E.paired_speedup([1.0], [1.0, 2.0])  # unpaired lengths


@pytest.mark.parametrize("rounds, cost_sd", [(3, 0.15), (5, 0.05), (5, 0.3)])
def test_timed_speedup_covers_the_true_ratio_in_seconds(rounds, cost_sd):
    """Steps from paired seeds, the cost ratio from a few noisy timing rounds: the Welch
    interval covers the true ratio in seconds (3x in steps at a 0.5x cost: 1.5x) at its level,
    where an interval that ignored the timing's spread does not when that spread dominates."""
    rng = np.random.default_rng(rounds * 100 + int(cost_sd * 100))
    cover, naive = [], []
    for _ in range(400):
        base = rng.lognormal(5, 0.5, 6)
        fast, slow = base * rng.lognormal(0, 0.1, 6), 3 * base * rng.lognormal(0, 0.1, 6)
        c = math.log(0.5) + rng.normal(0, cost_sd, rounds)  # per round, log(slow / fast cost)
        e = E.timed_speedup(list(fast), list(slow), list(c))
        cover.append(e.low <= 1.5 <= e.high)
        p = E.paired_speedup(list(fast), list(slow))
        naive.append(p.low * math.exp(c.mean()) <= 1.5 <= p.high * math.exp(c.mean()))
    assert 0.92 <= np.mean(cover) <= 0.995, np.mean(cover)
    if cost_sd >= 0.3:
        assert np.mean(naive) < 0.85  # the timing's spread left out: the interval misses


@pytest.mark.parametrize("tau", [0.0, 0.05, 0.15])
def test_between_sessions_recovers_the_variance_component(tau):
    """Simulated timings with a known spread between sessions (tau, on the log ratio) on top of
    the rounds' within a session (sd 0.05 a round, 5 rounds): the pooled estimate over 40
    quantities timed in 3-6 sessions each is near tau^2 (0 when there is none), and its df
    counts the sessions beyond the first of each quantity."""
    rng = np.random.default_rng(int(tau * 1000))
    groups, df = [], 0
    for q in range(40):
        k = 3 + q % 4
        truth = rng.normal(0, 1)
        sessions = []
        for _ in range(k):
            rounds = truth + rng.normal(0, tau) + rng.normal(0, 0.05, 5)
            sessions.append((rounds.mean(), rounds.var(ddof=1) / 5))
        groups.append(sessions)
        df += k - 1
    groups.append([(0.3, 0.001)])  # one session: no information on the spread, not counted
    b = E.between_sessions(groups)
    assert b.df == df
    assert b.var == pytest.approx(tau**2, abs=0.004 + 0.3 * tau**2)


def test_between_sessions_names_bad_input():
    with pytest.raises(ValueError, match="two sessions"):
        E.between_sessions([[(0.1, 0.01)], []])
    with pytest.raises(ValueError, match="finite"):
        E.between_sessions([[(0.1, 0.01), (float("nan"), 0.01)]])
    with pytest.raises(ValueError, match="var >= 0"):
        E.Between(-0.1, 3)
    assert E.between_sessions([[(0.0, 0.1), (0.0, 0.1)]]) == E.Between(0.0, 1)  # clipped at 0


@pytest.mark.parametrize("tau", [0.1, 0.2])
def test_timed_speedup_with_sessions_covers_where_rounds_alone_do_not(tau):
    """Each simulated timing comes from its own session, whose cost ratio is off by a draw of
    sd tau: its 5 rounds (sd 0.03) cannot see that. With the between-session component the
    interval covers the true 1.5x at its level; without it, it does not."""
    rng = np.random.default_rng(int(tau * 100))
    cover, rounds_only = [], []
    for _ in range(400):
        base = rng.lognormal(5, 0.5, 8)
        fast, slow = base * rng.lognormal(0, 0.05, 8), 3 * base * rng.lognormal(0, 0.05, 8)
        c = math.log(0.5) + rng.normal(0, tau) + rng.normal(0, 0.03, 5)
        e = E.timed_speedup(list(fast), list(slow), list(c), E.Between(tau**2, 60))
        cover.append(e.low <= 1.5 <= e.high)
        r = E.timed_speedup(list(fast), list(slow), list(c))
        rounds_only.append(r.low <= 1.5 <= r.high)
    assert 0.92 <= np.mean(cover) <= 0.995, np.mean(cover)
    assert np.mean(rounds_only) < 0.85, np.mean(rounds_only)


@pytest.mark.parametrize("tau", [0.1, 0.2])
def test_geomean_of_rounds_with_sessions_covers_where_rounds_alone_do_not(tau):
    """A cost ratio of 2 timed in 5 rounds (sd 0.03 of the log) in a session whose ratio is off
    by a draw of sd tau: with the between-session component the geometric mean's interval
    covers 2 at its level; the rounds' alone do not."""
    rng = np.random.default_rng(int(tau * 1000) + 7)
    cover, rounds_only = [], []
    for _ in range(400):
        r = np.exp(math.log(2) + rng.normal(0, tau) + rng.normal(0, 0.03, 5)).tolist()
        e = E.geomean(r, between=E.Between(tau**2, 60))
        cover.append(e.low <= 2 <= e.high)
        plain = E.geomean(r)
        rounds_only.append(plain.low <= 2 <= plain.high)
    assert 0.92 <= np.mean(cover) <= 0.995, np.mean(cover)
    assert np.mean(rounds_only) < 0.85, np.mean(rounds_only)


def test_geomean_with_sessions_reduces_to_the_rounds_and_never_narrows_them():
    r = [2.1, 2.3, 2.2, 2.6]
    plain = E.geomean(r)
    for b in (None, E.Between(0.0, 10)):  # no component: the t interval on logs, unchanged
        assert E.geomean(r, between=b) == plain
    tiny = E.geomean(r, between=E.Between(1e-6, 1))  # its df of 1 alone would narrow nothing
    assert tiny.estimate == pytest.approx(plain.estimate)
    assert tiny.low <= plain.low and tiny.high >= plain.high
    assert "between sessions" in tiny.method
    same = E.geomean([2.0, 2.0, 2.0], between=E.Between(0.01, math.inf))  # rounds agree
    half = 1.959964 * 0.1
    assert (same.low, same.high) == (
        pytest.approx(2 * math.exp(-half)),
        pytest.approx(2 * math.exp(half)),
    )
    one = E.geomean([2.0], between=E.Between(0.01, 50))  # one round: no spread measured
    assert (one.low, one.high) == (0.0, math.inf)


def test_timed_speedup_reduces_to_paired_speedup_and_keeps_bounds():
    fast, slow = [10.0, 12.0, 11.0, 9.0], [40.0, 30.0, 44.0, 20.0]
    p = E.paired_speedup(fast, slow)
    same = E.timed_speedup(fast, slow, [math.log(2)] * 3)  # rounds that agree: no added spread
    assert same.estimate == pytest.approx(2 * p.estimate)
    assert (same.low, same.high) == (pytest.approx(2 * p.low), pytest.approx(2 * p.high))
    spread = E.timed_speedup(fast, slow, [0.6, 0.7, 0.8])
    k = math.exp(0.7)  # the rounds' geometric-mean cost ratio
    assert spread.estimate == pytest.approx(k * p.estimate)
    assert spread.low < k * p.low and spread.high > k * p.high  # wider than the seeds alone
    assert E.timed_speedup(fast, slow, [0.6, 0.7, 0.8], E.Between()) == spread  # none
    wider = E.timed_speedup(fast, slow, [0.6, 0.7, 0.8], E.Between(0.01, 20))
    assert wider.estimate == spread.estimate and wider.low < spread.low < spread.high < wider.high
    assert "between sessions" in wider.method
    agree = E.timed_speedup(fast, slow, [math.log(2)] * 3, E.Between(0.01, 20))
    assert agree.low < same.low and agree.high > same.high  # rounds that agree, sessions not
    one = E.timed_speedup(fast, slow, [0.7])  # one round: the cost's spread is unmeasured
    assert one.estimate == pytest.approx(math.exp(0.7) * p.estimate)
    assert (one.low, one.high) == (0.0, math.inf)
    few = E.timed_speedup([10.0, 12.0, 11.0], [40.0, Obs(100, censored=True), 44.0], [0, 0.1])
    assert few.estimate is None and few.bound == "lower" and (few.low, few.high) == (0, math.inf)
    fast8, slow8 = [10.0 + i for i in range(8)], [40.0 + 3 * i for i in range(8)]
    slow8[1] = Obs(100, censored=True)
    bound = E.timed_speedup(fast8, slow8, [0.6, 0.7, 0.8])
    steps = E.paired_speedup(fast8, slow8, level=1 - 0.05 / 2)  # the steps' side at alpha / 4
    assert bound.estimate is None and bound.bound == "lower" and bound.high == math.inf
    assert 0 < bound.low < steps.low * math.exp(0.6)  # below the steps' bound at the least cost
    lower = E.timed_speedup(fast8, slow8, [0.6, 0.7, 0.8], E.Between(0.1, 20))
    assert lower.bound == "lower" and 0 < lower.low < bound.low  # sessions loosen the bound
    unknown = E.timed_speedup([Obs(100, censored=True), 10.0], [50.0, 40.0], [0.0, 0.1])
    assert unknown.estimate is None and (unknown.low, unknown.high) == (0.0, math.inf)
    for bad in ([], [float("nan"), 0.1], [[0.1, 0.2]]):
        with pytest.raises(ValueError, match="cost_logs"):
            E.timed_speedup(fast, slow, bad)
    assert "timed_speedup" in E.ESTIMATORS


def test_geomean_covers_the_true_factor_and_counts_missing():
    rng = np.random.default_rng(5)
    cover = [
        (lambda e: e.low <= 2.0 <= e.high)(E.geomean(list(2.0 * rng.lognormal(0, 0.4, 8))))
        for _ in range(400)
    ]
    assert 0.92 <= np.mean(cover) <= 0.98
    e = E.geomean([2.0, None, 8.0])
    assert e.estimate == pytest.approx(4.0) and e.n == 2 and e.missing == 1
    assert E.geomean([None]).estimate is None
    with pytest.raises(ValueError):
        E.geomean([1.0, -1.0])  # a factor is positive
    with pytest.raises(ValueError):
        E.geomean([1.0, Obs(3.0, censored=True)])  # a bound is not a factor


def test_slope_is_least_squares_and_refuses_one_x():
    assert E.slope([0, 1, 2, 3], [1, 3, 5, 7]) == pytest.approx(2.0)
    xs = np.linspace(0, 1, 7)
    ys = 0.5 - 1.5 * xs + np.sin(9 * xs) * 0.01
    assert E.slope(xs, ys) == pytest.approx(np.polyfit(xs, ys, 1)[0])
    with pytest.raises(ValueError):
        E.slope([1, 1], [2, 3])


def test_paired_speedup_bounds_from_above_where_only_fast_runs_are_censored():
    """Seeds whose fast run never got there (censored at its budget) have ratios of at most
    slow / budget: the estimate is an upper bound, the mirror image of the lower bound, i.e.
    exactly 1 / the lower bound of the arms swapped; mixed directions leave (0, inf) at 6 seeds
    (the sign test's bound needs more: sign_interval)."""
    fast = [Obs(3000, censored=True), 1000.0, 1200.0, 900.0, 1100.0, 1000.0]
    slow = [1500.0, 500.0, 700.0, 400.0, 600.0, 450.0]
    up = E.paired_speedup(fast, slow)
    assert up.estimate is None and up.bound == "upper" and up.low == 0.0
    assert up.censored == 1 and up.n == 6
    swapped = E.paired_speedup(slow, fast)  # the same data as a lower bound on the inverse
    assert swapped.bound == "lower" and up.high == pytest.approx(1 / swapped.low)
    # every true ratio is at most its bound: the true geometric mean lies below `high`
    assert up.high >= math.exp(sum(math.log(s / f.value if isinstance(f, Obs) else s / f)
                                   for f, s in zip(fast, slow)) / 6)  # fmt: skip
    both = E.paired_speedup(fast, [Obs(3000, censored=True)] + slow[1:])
    assert both.bound == "" and (both.low, both.high) == (0.0, math.inf) and both.n == 6
    mixed = E.paired_speedup(fast, [1500.0, Obs(3000, censored=True)] + slow[2:])
    assert mixed.estimate is None and (mixed.low, mixed.high) == (0.0, math.inf)
    assert E.timed_speedup(fast, slow, [0.0, 0.1]).high == math.inf  # seconds: not carried


@pytest.mark.parametrize("n", [6, 7, 8, 10, 20, 30, 31])
@pytest.mark.parametrize("level", [0.95, 0.9])
def test_sign_interval_is_scipys_quantile_test_interval_for_exact_values(n, level):
    """With every value exact, sign_interval is the median's interval of scipy.stats.quantile_test
    (the order statistics the binomial picks); its estimate is the sample median."""
    from scipy import stats

    x = np.random.default_rng(n).normal(size=n)
    ci = stats.quantile_test(x, q=0.0, p=0.5).confidence_interval(level)
    m, lo, hi = E.sign_interval(x, x, level)
    assert (lo, hi) == (ci.low, ci.high) and m == pytest.approx(np.median(x))


def test_sign_interval_is_open_at_five_values_and_refuses_crossed_bounds():
    m, lo, hi = E.sign_interval([1.0, 2, 3, 4, 5], [1.0, 2, 3, 4, 5])
    assert m == 3.0 and (lo, hi) == (-math.inf, math.inf)  # 2 * 0.5**5 > 5%
    with pytest.raises(ValueError, match="at most its high"):
        E.sign_interval([1.0, 3.0], [2.0, 2.0])
    with pytest.raises(ValueError, match="as many lows"):
        E.sign_interval([1.0, 2.0], [2.0])


def test_sign_interval_holds_whatever_the_censored_values_are():
    """Bounds in place of values only widen the interval: for every way of filling them in, the
    true values' interval lies inside it; a longer budget (tighter bounds) never loosens it; the
    median is identified only where the middle values are pinned."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=20)  # [20] the true values
    lows, highs = x.copy(), x.copy()
    lows[[1, 5]] = -math.inf  # bounded from above only
    highs[[2, 7, 9]] = x[[2, 7, 9]] + 5  # from below, at a budget 5 above each
    highs[[11]] = math.inf  # censored in both arms... from below, unbounded
    lows[[11]] = -math.inf
    _, lo, hi = E.sign_interval(lows, highs)
    for _ in range(50):  # fillings consistent with the bounds
        t = np.where(np.isfinite(lows), lows, highs - rng.exponential(3, 20))
        t = np.where(np.isfinite(t), t, rng.normal(size=20) * 10)
        t = np.clip(t, lows, highs)
        _, t_lo, t_hi = E.sign_interval(t, t)
        assert lo <= t_lo and t_hi <= hi
    longer = highs.copy()
    longer[[2, 7, 9]] -= 2  # a longer budget: the bounds move toward the values
    _, lo2, hi2 = E.sign_interval(lows, longer)
    assert lo <= lo2 and hi2 <= hi
    m, *_ = E.sign_interval(lows, highs)
    assert m is None or m == pytest.approx(np.median(x))
    pinned = highs.copy()
    pinned[[2, 7, 9]] = math.inf
    ends = np.argsort(x)[[0, -1]]  # unbounded values at the ends leave the middle pinned
    lo3, hi3 = x.copy(), x.copy()
    lo3[ends[0]], hi3[ends[1]] = -math.inf, math.inf
    assert E.sign_interval(lo3, hi3)[0] == pytest.approx(np.median(x))


def test_paired_speedup_with_censoring_in_both_arms_covers_the_median_ratio():
    """30 paired seeds, per-seed ratios skewed (no symmetry), about a third of the seeds censored
    in one arm or both at a budget: the sign-test interval covers the true median ratio (1.5) at
    least at its level, and decides that it exceeds 1 in most samples, where the geometric mean
    leaves (0, inf)."""
    rng = np.random.default_rng(5)
    budget, cover, above_one = 2500.0, [], []
    for _ in range(400):
        base = rng.lognormal(7, 0.5, 30)  # [30] per seed: how hard its split is
        base[0] = 2 * budget  # at least one seed censored in both arms: the sign-test path
        g = rng.gamma(2.0, size=30)
        ratio = 1.5 * np.exp(0.3 * (g - 1.678346990016661))  # median: gamma(2)'s is 1.6783...
        fast, slow = base, base * ratio

        def arm(t):
            return [Obs(budget, censored=True) if v > budget else float(v) for v in t]

        e = E.paired_speedup(arm(fast), arm(slow))
        assert e.method.startswith("median of paired ratios, sign-test")
        cover.append(e.low <= 1.5 <= e.high)
        above_one.append(e.low > 1.0)
    assert np.mean(cover) >= 0.94 and np.mean(above_one) > 0.8


def test_paired_speedup_bounds_the_median_where_seeds_are_bounded_from_both_sides():
    """24 seeds with the fast arm 2x faster, two of them censored in the slow arm and one in the
    fast arm: a two-sided interval on the median ratio, its median identified (the middle seeds
    are exact)."""
    fast = [100.0 + 10 * i for i in range(24)]
    slow = [2 * f * (1 + 0.01 * (i % 5 - 2)) for i, f in enumerate(fast)]
    slow[3], slow[10] = Obs(300.0, censored=True), Obs(400.0, censored=True)
    fast[20] = Obs(200.0, censored=True)
    e = E.paired_speedup(fast, slow)
    assert e.estimate == pytest.approx(2.0) and e.bound == "" and e.n == 24 and e.censored == 3
    assert 1.9 < e.low <= 2.0 <= e.high < 2.1


def test_timed_speedup_takes_the_sign_test_where_seeds_are_bounded_from_both_sides():
    """In seconds as in steps: with rounds that agree (no cost spread) the interval is
    paired_speedup's sign-test interval at the steps' half of the Bonferroni pair (97.5%) times
    the cost ratio; rounds that scatter widen it; one round leaves it open."""
    fast = [100.0 + 10 * i for i in range(24)]
    slow = [2 * f * (1 + 0.01 * (i % 5 - 2)) for i, f in enumerate(fast)]
    slow[3], slow[10] = Obs(300.0, censored=True), Obs(400.0, censored=True)
    fast[20] = Obs(200.0, censored=True)  # bounded from both sides: the sign test
    steps = E.paired_speedup(fast, slow, level=0.975)
    same = E.timed_speedup(fast, slow, [math.log(2)] * 3)
    assert same.method == E.SIGN_TEST_SECONDS and steps.method == E.SIGN_TEST
    assert same.estimate == pytest.approx(2 * steps.estimate)
    assert (same.low, same.high) == (pytest.approx(2 * steps.low), pytest.approx(2 * steps.high))
    assert (same.n, same.censored) == (24, 3)
    spread = E.timed_speedup(fast, slow, [0.6, 0.7, 0.8])
    assert spread.low < math.exp(0.6) * steps.low and spread.high > math.exp(0.8) * steps.high
    one = E.timed_speedup(fast, slow, [0.7])
    assert one.estimate == pytest.approx(math.exp(0.7) * steps.estimate)
    assert (one.low, one.high) == (0.0, math.inf)


def test_timed_speedup_with_censoring_in_both_arms_covers_the_median_ratio_in_seconds():
    """30 paired seeds with skewed ratios (median 1.5 in steps), a third censored in an arm or
    both at a budget, and a cost ratio of 1.2 timed in 5 noisy rounds: the interval covers the
    true median ratio in seconds (1.8) at least at its level."""
    rng = np.random.default_rng(7)
    budget, cover = 2500.0, []
    for _ in range(300):
        base = rng.lognormal(7, 0.5, 30)  # [30]
        base[0] = 2 * budget  # a seed censored in both arms: the sign-test path
        g = rng.gamma(2.0, size=30)
        ratio = 1.5 * np.exp(0.3 * (g - 1.678346990016661))  # median 1.5 (gamma(2)'s median)

        def arm(t):
            return [Obs(budget, censored=True) if v > budget else float(v) for v in t]

        costs = rng.normal(math.log(1.2), 0.05, 5).tolist()
        e = E.timed_speedup(arm(base), arm(base * ratio), costs)
        assert e.method == E.SIGN_TEST_SECONDS
        cover.append(e.low <= 1.8 <= e.high)
    assert np.mean(cover) >= 0.95


@pytest.mark.parametrize("n", [6, 8, 12, 20, 30])
def test_signed_rank_lower_is_the_limit_of_scipys_exact_wilcoxon_test(n):
    """Inverting scipy.stats.wilcoxon (exact, one-sided): centers just below the limit are
    rejected at alpha, just above it are not."""
    from scipy import stats

    x = np.random.default_rng(n).normal(0.3, 1.0, n)
    low = E.signed_rank_lower(x, 0.025)
    p = [
        stats.wilcoxon(x - d, alternative="greater", method="exact").pvalue
        for d in (low - 1e-9, low + 1e-9)
    ]
    assert p[0] <= 0.025 < p[1]
    assert E.signed_rank_lower(np.arange(5.0), 0.025) == -math.inf  # 2^-5 > 0.025: no bound
    assert E.signed_rank_lower(np.arange(6.0), 0.025) == 0.0  # 2^-6: the smallest value


@pytest.mark.parametrize("alpha", [0.0125, 0.025, 0.05, 0.3, 0.5, 0.75])
def test_signed_rank_critical_value_matches_the_exact_null_distribution(alpha):
    """The critical value (counted on half the table, in floats) against the null distribution
    of T+ in exact integers: by enumerating every sign pattern for small n, by counting subsets
    of the ranks per sum beyond; alpha at 1/2 or more too, where half the table would not do."""
    import itertools
    from fractions import Fraction

    def largest(counts, n):  # the largest c with #{T+ <= c} <= alpha 2^n, exactly
        cum = np.cumsum(np.asarray(counts, dtype=object))
        limit = Fraction(alpha * (1 + 1e-9)) * 2**n
        reach = [c for c, k in enumerate(cum) if k <= limit]
        return reach[-1] if reach else -1

    for n in range(0, 11):  # every one of the 2^n sign patterns
        sums = [sum(r for r, s in zip(range(1, n + 1), signs) if s)
                for signs in itertools.product((0, 1), repeat=n)]  # fmt: skip
        E._signed_rank_critical.cache_clear()
        assert E._signed_rank_critical(n, alpha) == largest(np.bincount(sums), n), n
    for n in (11, 25, 60, 120):
        counts = [1] + [0] * (n * (n + 1) // 2)  # subsets of {1..r} per sum, Python integers
        for r in range(1, n + 1):
            counts = [k + (counts[s - r] if s >= r else 0) for s, k in enumerate(counts)]
        E._signed_rank_critical.cache_clear()
        assert E._signed_rank_critical(n, alpha) == largest(counts, n), n


def test_a_longer_budget_never_loosens_a_censored_bound():
    """The flaw this replaces: with the t limit of censored values as they stand, raising one
    censored value (a longer budget) widened s faster than it moved the mean, and the bound fell.
    The signed-rank limit never falls, in the mean and in the paired speed-up (its mirror too)."""
    rng = np.random.default_rng(7)
    x = list(rng.normal(1.0, 0.2, 8))
    bounds = [1.5, 2, 4, 8, 16, 64]
    lows = [E.mean(x[:-1] + [Obs(b, censored=True)]).low for b in bounds]
    assert lows == sorted(lows) and lows[0] > 0.8
    fast = [1000.0] * 8
    slow = [2000.0 * math.exp(v - 1) for v in x[:-1]]
    ratio = [E.paired_speedup(fast, slow + [Obs(b, censored=True)]).low for b in (3e3, 6e3, 6e4)]
    assert ratio == sorted(ratio) and ratio[0] > 1.5
    cap = [E.paired_speedup(slow + [Obs(b, censored=True)], fast).high for b in (3e3, 6e3, 6e4)]
    assert cap == sorted(cap, reverse=True) and cap[0] < 1 / 1.5  # the mirror image tightens


@pytest.mark.parametrize("n, shape", [(8, "normal"), (20, "normal"), (12, "laplace")])
def test_censored_lower_bound_covers_the_true_center(n, shape):
    """Symmetric values about 1.0, each censored at a random budget (about a third of them):
    the lower limit of the values as they stand is below the true center in at least 97.5% of
    studies (one side of a 95% interval), and decides when the center is far from zero."""
    rng = np.random.default_rng(n)
    cover, above_zero = [], []
    for _ in range(400):
        v = 1.0 + (rng.normal(0, 0.5, n) if shape == "normal" else rng.laplace(0, 0.4, n))
        budget = rng.uniform(0.8, 3.0, n)
        obs = [Obs(float(min(a, b)), censored=bool(a > b)) for a, b in zip(v, budget)]
        e = E.mean(obs) if any(o.censored for o in obs) else E.mean([o.value for o in obs])
        cover.append(e.low <= 1.0)
        above_zero.append(e.low > 0)
    assert np.mean(cover) >= 0.97, np.mean(cover)
    assert np.mean(above_zero) > 0.8


@pytest.mark.parametrize("sizes", [(1, 10), (1, 2, 20)])
def test_pocock_constant_for_unequal_looks_keeps_the_false_verdicts_at_5_percent(sizes):
    """z statistics of accumulating N(0, 1) data looked at after sizes[k] values: crossing the
    spacing's constant at any look happens 5% of the time; equal spacing's constant, lower
    here, lets through more."""
    rng = np.random.default_rng(11)
    sums = np.cumsum(rng.standard_normal((200_000, sizes[-1])), axis=1)
    z = np.stack([sums[:, n - 1] / np.sqrt(n) for n in sizes], axis=1)

    def rate(c: float) -> float:
        return float((np.abs(z) > c).any(axis=1).mean())

    assert rate(E.pocock_constant(sizes)) == pytest.approx(0.05, abs=0.002)
    assert rate(E.pocock_constant(len(sizes))) > 0.054
    assert E.sequential_level(sizes) > E.sequential_level(len(sizes))


def test_pocock_constant_matches_the_published_table():
    # Jennison and Turnbull (2000), Table 2.1: Pocock's constants at alpha 0.05
    assert E.pocock_constant(1) == pytest.approx(1.95996, abs=1e-4)
    for looks, c in ((2, 2.178), (3, 2.289)):
        assert E.pocock_constant(looks) == pytest.approx(c, abs=1e-3)
    assert E.sequential_level(2) == pytest.approx(0.9706, abs=2e-4)
    assert E.sequential_level(1) == pytest.approx(0.95)
    for bad in (0, 1.5, "2", (5, 5), (8, 5), (), (0, 3), True):
        with pytest.raises(ValueError, match="looks="):
            E.pocock_constant(bad)
    # equally spaced looks given as their seeds: the same constants, whatever the unit
    assert E.pocock_constant((5, 10)) == pytest.approx(E.pocock_constant(2), abs=1e-9)
    assert E.pocock_constant((10, 20, 30)) == pytest.approx(E.pocock_constant(3), abs=1e-9)
    with pytest.raises(ValueError, match="alpha="):
        E.pocock_constant(2, 1.2)


def test_a_second_look_at_the_sequential_level_keeps_false_verdicts_at_5_percent():
    """Simulated null data (no effect): 5 seeds, then, where the interval held 0, 5 seeds more
    and the interval again (how a chapter adds seeds to an undecided row). At 95% each look the
    two looks find an effect that is not there about 8% of the time; at sequential_level(2),
    about 5%."""
    from scipy.stats import t

    rng = np.random.default_rng(0)
    x = rng.standard_normal((40_000, 10))

    def excludes_zero(n: int, level: float) -> np.ndarray:
        v = x[:, :n]
        half = t.ppf(1 - (1 - level) / 2, n - 1) * v.std(1, ddof=1) / math.sqrt(n)
        return np.abs(v.mean(1)) > half

    def false_rate(level: float) -> float:
        return float((excludes_zero(5, level) | excludes_zero(10, level)).mean())

    assert false_rate(0.95) > 0.075
    assert 0.045 < false_rate(E.sequential_level(2)) < 0.055


def test_exact_is_its_own_interval_and_a_claim_decides_on_it_without_seeds():
    from grokcore.claims import Claim, describe

    e = E.exact(0.894)
    assert (e.estimate, e.low, e.high, e.n, e.method) == (0.894, 0.894, 0.894, 1, E.EXACT)
    assert describe(e, digits=3, unit="x") == "0.894 x [0.894, 0.894] (exact)"
    with pytest.raises(ValueError, match="allowed a finite number"):
        E.exact(math.nan)
    claim = Claim("c", "src", "s", "1", "q", (0.9, 1.1), "why", estimator="exact", min_seeds=1)
    assert claim.check(0.894, scale="cpu").verdict == "contradicted"
    assert claim.check(0.95, scale="cpu").verdict == "reproduced"
    with pytest.raises(ValueError, match="min_seeds=3 is invalid with estimator 'exact'"):
        Claim("c", "src", "s", "1", "q", (0.9, 1.1), "why", estimator="exact", min_seeds=3)
