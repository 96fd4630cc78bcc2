"""grokcore.claims.seeds_by_resampling: how many seeds would decide a row whose interval is not a
t interval, projected by resampling its own seeds; checked against exact binomial answers, the t
projection, and rows that no number of seeds at their budget can decide."""

import math

import numpy as np
import pytest
from scipy import stats

from grokcore.claims import (
    PROJECTION_DRAWS,
    SEEDS_CAP,
    seeds_by_resampling,
    seeds_to_decide,
    verdict_of,
)
from grokcore.estimates import Obs
from test_claims import claim  # a claim with test defaults (tests/unit is on sys.path)


def test_a_proportion_is_projected_where_the_exact_binomial_chance_of_deciding_reaches_half():
    """4 of 5 seeds succeed against a band of at most 0.5: a resample of k seeds has Bin(k, 0.8)
    successes, so the chance that k seeds decide it is exact. That chance is a sawtooth in k
    (Clopper-Pearson's limit moves in whole successes); the projection lies between the first k
    where it reaches 1/2 and the first from which it stays at 0.45 or more."""
    c = claim(estimator="proportion", band=(0.0, 0.5))
    data = [True] * 4 + [False]

    def chance(k):
        x = np.arange(1, k + 1)
        low = stats.beta.ppf(0.0125, x, k - x + 1)  # Clopper-Pearson's lower limit at 97.5%
        hits = x[low > 0.5]
        return float(stats.binom.sf(hits[0] - 1, k, 0.8)) if hits.size else 0.0

    p = {k: chance(k) for k in range(6, 80)}
    first = min(k for k in p if p[k] >= 0.5)
    steady = min(k for k in p if all(p[j] >= 0.45 for j in range(k, 80)))
    k = seeds_by_resampling(c, (data,), 0.95)
    assert first <= k <= steady
    r = c.check(data, scale="cpu")
    assert r.verdict == "inconclusive"
    assert r.reason.endswith(
        f"about {k} seeds at this budget would decide it at one more look, in half of "
        f"{PROJECTION_DRAWS} resamples of these 5 seeds"
    )


def test_on_a_mean_it_agrees_with_the_t_projection_within_the_plug_in_spread():
    """Where both apply, the resampled projection is near the t one (seeds_to_decide): the
    resamples' spread is the plug-in one (ddof 0) and their t quantile the same, so it reads a
    few seeds fewer at 6 seeds, never twice as many or half."""
    z = np.linspace(-1.0, 1.0, 6)
    x = (0.3 + 0.2 * (z - z.mean()) / z.std(ddof=1)).tolist()
    c = claim(estimator="mean", band=(0.2, math.inf))
    t, k = seeds_to_decide(c.estimate(x), c.band), seeds_by_resampling(c, (x,), 0.95)
    assert t / 1.5 <= k <= t


def test_a_median_half_censored_below_the_band_is_never_decided_by_more_seeds():
    """8 of 14 seeds censored at 50, the band at most 60: at that budget the median is only
    known to exceed about 50, whatever the seeds, so no count decides it; the reason says that a
    longer budget, not more seeds, could."""
    c = claim(estimator="median", band=(0.0, 60.0), min_seeds=5)
    rng = np.random.default_rng(1)
    data = [Obs(float(v)) for v in rng.uniform(20, 45, 6)] + [Obs(50.0, censored=True)] * 8
    assert seeds_by_resampling(c, (data,), 0.95) == SEEDS_CAP + 1
    r = c.check(data, scale="cpu")
    assert r.verdict == "not testable at this budget"
    assert "more seeds at this budget would not decide it" in r.reason
    assert "a longer budget" in r.reason


def test_a_median_half_censored_past_the_band_is_contradicted_by_more_seeds():
    """The same share censored, at a budget of 100 past the band's 60: the median is at least
    100, and enough seeds bound it above 60 (contradicted). The projection is finite, and a
    sample of that many seeds with the same shares decides it."""
    c = claim(estimator="median", band=(0.0, 60.0), min_seeds=5)
    rng = np.random.default_rng(1)
    data = [Obs(float(v)) for v in rng.uniform(20, 45, 6)] + [Obs(100.0, censored=True)] * 8
    k = seeds_by_resampling(c, (data,), 0.95)
    assert k <= SEEDS_CAP
    scaled = [data[i % len(data)] for i in range(7 * k)]  # the shares held, many seeds
    assert verdict_of(c.estimate(scaled, level=0.975), c.band, 5)[0] == "contradicted"


def test_pairs_censored_in_both_arms_are_never_decided_and_paired_seeds_stay_paired():
    """Every pair censored in both arms: no count of such pairs bounds the median ratio. Pairs
    resample together: a fast arm that is always 10 and a slow one always 30 give a ratio of 3 in
    every resample, a decided row at every count (the fewest past 8, doubled: 16, bisected)."""
    c = claim(estimator="paired_speedup", band=(3.5, math.inf), min_seeds=5)
    both = [Obs(222.0, censored=True)] * 8
    assert seeds_by_resampling(c, (both, both), 0.95) == SEEDS_CAP + 1
    spread = [10.0 * (1 + 0.01 * i) for i in range(8)]
    k = seeds_by_resampling(c, (spread, [3 * v for v in spread]), 0.95)
    assert k == 9  # exactly 3 in every pair: contradicted as soon as a look is due


def test_two_arms_of_a_speedup_resample_on_their_own_and_timings_are_kept():
    """speedup's arms (unequal sizes allowed) are resampled each on its own; timed_speedup's
    cost rounds are a timing, not seeds, and stay as they are."""
    rng = np.random.default_rng(3)
    fast = rng.lognormal(math.log(100), 0.3, 5).tolist()
    slow = rng.lognormal(math.log(150), 0.3, 7).tolist()
    c = claim(estimator="speedup", band=(2.0, math.inf), min_seeds=5)
    k = seeds_by_resampling(c, (fast, slow), 0.95)
    assert 7 < k <= SEEDS_CAP + 1
    near = claim(estimator="speedup", band=(1.3, math.inf), min_seeds=5)
    r = near.check(fast, slow, scale="cpu")  # 1.5x [0, 2.9]: across 1.3
    k = seeds_by_resampling(near, (fast, slow), 0.95)
    assert r.verdict == "inconclusive" and k <= SEEDS_CAP
    assert r.reason.endswith(
        f"about {k} seeds per arm at this budget would decide it at one more look, in half of "
        f"{PROJECTION_DRAWS} resamples of these 5 and 7 seeds"
    )
    t = claim(estimator="timed_speedup", band=(1.2, math.inf), min_seeds=5)
    costs = [math.log(1.0), math.log(1.02), math.log(0.98)]
    pairs = (fast, [1.5 * v for v in fast])
    assert seeds_by_resampling(t, (*pairs, costs), 0.95) is not None


def test_it_is_deterministic_and_says_nothing_it_cannot_project():
    c = claim(estimator="proportion", band=(0.0, 0.5))
    data = ([True] * 4 + [False],)
    assert seeds_by_resampling(c, data, 0.95) == seeds_by_resampling(c, data, 0.95)
    assert seeds_by_resampling(claim(estimator="exact", min_seeds=1), (1.0,), 0.95) is None
    paired = claim(estimator="paired_speedup")
    assert seeds_by_resampling(paired, ([1.0] * 5, [2.0] * 6), 0.95) is None  # unequal pairs
    assert seeds_by_resampling(paired, ([], []), 0.95) is None


@pytest.mark.parametrize("estimator", ["mean", "geomean"])
def test_a_t_row_keeps_the_t_projection(estimator):
    """Rows with a t interval read seeds_to_decide's projection, not the resampled one."""
    z = np.linspace(-1.0, 1.0, 5)
    x = (0.3 + 0.2 * (z - z.mean()) / z.std(ddof=1)).tolist()
    if estimator == "geomean":
        x = np.exp(x).tolist()
    band = (0.2, math.inf) if estimator == "mean" else (math.exp(0.2), math.inf)
    r = claim(estimator=estimator, band=band).check(x, scale="cpu")
    assert "seeds with a value (5 here)" in r.reason and "resamples" not in r.reason


def test_too_few_seeds_run_say_so_and_nothing_more():
    r = claim(estimator="median", min_seeds=5).check([1.0, 1.2], scale="cpu")
    assert r.verdict == "inconclusive" and "resamples" not in r.reason


def test_judge_projects_only_when_given_the_data_its_estimate_came_from():
    """Claim.judge (an estimate computed elsewhere, as chapter 4's rows are) adds the resampled
    projection where it is given the estimator's arguments, and nothing without them."""
    c = claim(estimator="proportion", band=(0.0, 0.5))
    data = ([True] * 4 + [False],)
    est = c.estimate(*data)
    with_data = c.judge(est, scale="cpu", data=data)
    assert with_data.reason == c.check(*data, scale="cpu").reason
    assert "resamples" in with_data.reason
    assert "resamples" not in c.judge(est, scale="cpu").reason


def test_one_seed_with_a_value_projects_nothing():
    """One value among censored seeds: its resamples repeat it (no spread), which would decide
    a mean at once; the reason says nothing more than its verdict."""
    c = claim(estimator="mean", band=(0.05, math.inf), min_seeds=3)
    r = c.check([0.0] + [None] * 7, scale="cpu")
    assert r.verdict == "not testable at this budget" and "resamples" not in r.reason
