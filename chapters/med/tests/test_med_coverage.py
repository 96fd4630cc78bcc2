import itertools
import math

import pytest
import torch

from chapters.med import coverage


# ---- coverage (Theorem 3.12) -----------------------------------------------------------------


def test_ball_size_counts_the_manhattan_ball():
    for n in (1, 2, 3, 5):
        count = sum(abs(x) + abs(y) < n for x in range(-n, n + 1) for y in range(-n, n + 1))
        assert coverage.ball_size(n) == count


def test_uncovered_counts_pairs_far_from_training():
    p = 9
    mask = torch.zeros(p, p, dtype=torch.bool)
    mask[4, 4] = True
    assert coverage.uncovered(mask, p, 1).item() == p * p - 1
    assert coverage.uncovered(mask, p, 3).item() == p * p - coverage.ball_size(3)
    mask[0, 0] = True  # wraps around the torus: (8, 0) and (0, 8) are at distance 1
    assert coverage.uncovered(mask, p, 2).item() == p * p - 2 * coverage.ball_size(2)


def test_coverage_bound_and_monte_carlo_agree_roughly():
    p, n = 31, 3
    r = coverage.coverage_bound(p, n)
    assert r == pytest.approx(2 * math.log(31) / 13)
    mc = coverage.coverage_monte_carlo(p, n, [0.1, 0.2, 0.3, 0.4, 0.5], trials=50, seed=0)
    assert mc["mean_uncovered"] == sorted(mc["mean_uncovered"], reverse=True)
    t = coverage.threshold_fraction(mc["frac"], mc["mean_uncovered"])
    assert 0.5 * r < t < 1.5 * r
    assert coverage.threshold_fraction([0.1, 0.2], [5.0, 2.0]) != coverage.threshold_fraction(
        [0.1, 0.2], [5.0, 2.0]
    )  # nan


def _mask(p: int, chosen) -> torch.Tensor:
    m = torch.zeros(p * p, dtype=torch.bool)
    m[list(chosen)] = True
    return m.view(p, p)


def test_expected_uncovered_is_the_mean_over_every_training_set_of_size_k():
    # a slow reference: all C(9, k) training sets of the 3 x 3 torus, uncovered counted by
    # coverage.uncovered (the Monte Carlo's own counter), averaged
    p, n = 3, 2
    for k in range(p * p + 1):
        sets = list(itertools.combinations(range(p * p), k))
        brute = sum(coverage.uncovered(_mask(p, c), p, n).item() for c in sets) / len(sets)
        assert coverage.expected_uncovered(p, n, k) == pytest.approx(brute, abs=1e-12), k


def test_expected_uncovered_against_integer_arithmetic_and_the_monte_carlo():
    p, n = 97, 5
    N, C = p * p, coverage.ball_size(n)
    for k in (0, 1, 500, 1878, 1879, 5000, N - C, N - C + 1, N):
        ref = N * math.comb(N - C, k) / math.comb(N, k)  # exact rationals: the formula itself
        assert coverage.expected_uncovered(p, n, k) == pytest.approx(ref, rel=1e-9, abs=1e-300)
    q, m = 31, 3  # the Monte Carlo's mean at one size is within 4 standard errors of the exact
    mc = coverage.coverage_monte_carlo(q, m, [0.2], trials=400, seed=1)
    k = int(0.2 * q * q)
    exact = coverage.expected_uncovered(q, m, k)
    assert abs(mc["mean_uncovered"][0] - exact) < 4 * math.sqrt(exact / 400) + 1e-9
    with pytest.raises(ValueError, match="p=3 is invalid for n=3"):
        coverage.expected_uncovered(3, 3, 1)
    with pytest.raises(ValueError, match="k=82 is invalid"):
        coverage.expected_uncovered(9, 2, 82)


def test_exact_threshold_brackets_the_crossing_of_one():
    p = 97
    for n in (3, 4, 5, 6):
        r = coverage.exact_threshold(p, n)
        k = math.ceil(r * p * p)  # the first size below 1 expected uncovered pair
        assert coverage.expected_uncovered(p, n, k) < 1 <= coverage.expected_uncovered(p, n, k - 1)
        # drawn without replacement, a little below the independent draws' 1 - p^(-2/C)
        assert r < 1 - p ** (-2 / coverage.ball_size(n)) < 1.01 * r
        assert r < coverage.coverage_bound(p, n)  # Thm. 3.12's bound is sufficient, not tight
