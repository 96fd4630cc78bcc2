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
