"""grokcore.outcomes: censoring-aware times, speed-ups and correlations, edge cases once."""

import math
from types import SimpleNamespace

import pytest

from grokcore import outcomes as O


def rec(t, last=100, key="step_to_test_acc_95"):
    return SimpleNamespace(summary={key: t, "last_step": last})


def test_time_to_budget_and_censoring():
    assert O.time_to(rec(40)) == 40 and O.time_to(rec(40), per=4) == 10
    assert O.time_to(rec(None)) is None
    assert O.budget(rec(None, 300), per=3) == 100
    assert O.time_or_budget(rec(None, 300)) == (300, True)
    assert O.time_or_budget(rec(0)) == (0, False)  # reached at step 0 is not censored


def test_speedup_is_slow_over_fast_with_censoring_bounds():
    fast = [rec(10), rec(None, 50), rec(20), rec(None, 50), rec(0)]
    slow = [rec(30), rec(40), rec(None, 200), rec(None, 80), rec(5)]
    assert O.speedup(fast, slow) == [3.0, None, 10.0, None, None]
    # a censored fast run counting its budget: an upper bound; both censored: None
    assert O.speedup(fast, slow, fast_censored="budget") == [3.0, 40 / 50, 10.0, None, None]
    assert O.speedup([rec(10)], [rec(30)], per=lambda r: 2) == [3.0]
    with pytest.raises(ValueError, match="fast_censored"):
        O.speedup(fast, slow, fast_censored="drop")
    with pytest.raises(ValueError):  # unpaired seeds are an error, not a silent truncation
        O.speedup(fast, slow[:2])


def test_ratio_needs_both_times():
    assert O.ratio([rec(10), rec(None), rec(5)], [rec(5), rec(5), rec(0)]) == [2.0, None, None]


def test_censoring_note_counts_and_budgets():
    groups = {"a": [rec(1), rec(None, 100)], "b": [rec(None, 200)]}
    assert O.n_censored(groups["a"]) == 1
    assert (
        O.censoring_note(groups)
        == "never reached 95% test accuracy within 100 or 200 steps in a: 1/2, b: 1/1"
    )
    assert O.censoring_note({"a": [rec(3)]}) == "no censored runs"


def test_pearson_against_known_values_and_undefined_cases():
    assert O.pearson([1, 2, 3, 4], [2, 4, 6, 8]) == pytest.approx(1.0)
    assert O.pearson([1, 2, 3, 4], [8, 6, 4, 2]) == pytest.approx(-1.0)
    x, y = [1.0, 2.0, 3.0, 4.0, 5.0], [2.0, 1.0, 4.0, 3.0, 5.0]
    assert O.pearson(x, y) == pytest.approx(0.8)  # sxy 8, sxx syy 10 each
    assert O.pearson([1, 2], [3, 4]) is None  # too few points
    assert O.pearson([1, 1, 1], [1, 2, 3]) is None  # constant series
    with pytest.raises(ValueError):
        O.pearson([1, 2, 3], [1, 2])


def test_correlation_test_interval_contains_r_and_p_is_small_for_a_strong_link():
    x = list(range(30))
    y = [v + (-1) ** v * 3 for v in x]
    t = O.correlation_test(x, y)
    assert t["lo"] < t["r"] < t["hi"] and t["n"] == 30 and t["p"] < 1e-6
    assert O.correlation_test([1, 2, 3], [1, 2, 4])["lo"] is None  # n < 4


def test_simulated_censoring_bounds_hold():
    """Simulated exponential times with a known 2x speed-up: the censored-slow lower bounds
    never exceed the true ratio and the uncensored ratios average near 2."""
    import random

    g = random.Random(0)
    fast, slow, true = [], [], []
    for _ in range(400):
        t = g.expovariate(1 / 100)
        fast.append(rec(round(t) + 1, 10_000))
        ts = 2 * (round(t) + 1)
        slow.append(rec(ts if ts <= 300 else None, 300))
        true.append(ts / (round(t) + 1))
    got = O.speedup(fast, slow)
    assert all(s <= tr + 1e-12 for s, tr in zip(got, true))
    exact = [s for s, r in zip(got, slow) if r.summary["step_to_test_acc_95"] is not None]
    assert math.isclose(sum(exact) / len(exact), 2.0)


def test_linfit_and_loglog_slope():
    b, a, r2 = O.linfit([0, 1, 2], [1, 3, 5])
    assert (b, a, r2) == (2.0, 1.0, 1.0)
    assert O.loglog_slope([1, 10, 100], [2, 20, 200]) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        O.linfit([1], [1])
