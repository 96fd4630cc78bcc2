"""MED Theorem 3.12 (chapter 5): how large a random training set must be for every pair of the
grid to have a training pair nearby, as the bound r = 2 ln p / C and by Monte Carlo.

A pair (i, j) of Z_p^2 is covered when some training pair lies within Manhattan distance < n of
it on the torus; C = 2n^2 - 2n + 1 is the size of that ball. Nothing here trains a model.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch


def ball_size(n: int) -> int:
    """C: grid points at Manhattan distance < n from a point (|dx| + |dy| <= n - 1),
    2n^2 - 2n + 1."""
    return 2 * n * n - 2 * n + 1


def coverage_bound(p: int, n: int) -> float:
    """MED Thm. 3.12: the training fraction r at which the expected number of pairs with no
    training pair within Manhattan distance < n falls to 1, p^2 (1 - C/p^2)^(r p^2) = 1, with
    log(1 - x) ~ -x: r = 2 ln(p) / C."""
    return 2 * math.log(p) / ball_size(n)


def uncovered(train_mask: torch.Tensor, p: int, n: int) -> torch.Tensor:
    """Pairs farther than n - 1 (Manhattan, on the torus Z_p^2) from every training pair.

    train_mask [..., p, p] bool -> [...] counts. Covered = the mask dilated n - 1 times by the
    cross {(0, 0), (+-1, 0), (0, +-1)}, which is its dilation by the Manhattan ball of radius
    n - 1."""
    covered = train_mask
    for _ in range(n - 1):
        covered = (
            covered
            | covered.roll(1, -2)
            | covered.roll(-1, -2)
            | covered.roll(1, -1)
            | covered.roll(-1, -1)
        )
    return (~covered).flatten(-2).sum(-1)


def coverage_monte_carlo(
    p: int, n: int, fracs: Sequence[float], trials: int, seed: int = 0
) -> dict:
    """For each training fraction, over `trials` random training sets of int(frac p^2) pairs:
    the mean number of uncovered pairs and the probability that every pair is covered."""
    g = torch.Generator().manual_seed(seed)
    mean, full = [], []
    for r in fracs:
        k = int(r * p * p)
        idx = torch.rand(trials, p * p, generator=g).argsort(1)[:, :k]  # [trials, k] random subsets
        mask = (
            torch.zeros(trials, p * p, dtype=torch.bool).scatter_(1, idx, True).view(trials, p, p)
        )
        u = uncovered(mask, p, n).double()  # [trials]
        mean.append(u.mean().item())
        full.append((u == 0).double().mean().item())
    return {"frac": list(fracs), "mean_uncovered": mean, "p_full": full}


def threshold_fraction(fracs: Sequence[float], mean_uncovered: Sequence[float]) -> float:
    """The fraction at which the mean number of uncovered pairs crosses 1 (log-linear
    interpolation); NaN if it never crosses within the fractions given."""
    pts = list(zip(fracs, mean_uncovered))
    for (r0, u0), (r1, u1) in zip(pts, pts[1:]):
        if u0 >= 1 > u1:
            if u1 <= 0:
                return r1
            t = math.log(u0) / (math.log(u0) - math.log(u1))
            return r0 + t * (r1 - r0)
    return math.nan


def expected_uncovered(p: int, n: int, k: int) -> float:
    """E[#uncovered pairs] when k of the p^2 pairs are drawn without replacement (as
    coverage_monte_carlo draws them): a pair is uncovered when none of the C pairs of its ball
    is drawn, with chance C(p^2 - C, k) / C(p^2, k) (hypergeometric), so the mean is p^2 times
    that. Exact; needs p > 2(n - 1), where the ball's C points on the torus are distinct."""
    N, C = p * p, ball_size(n)
    if p <= 2 * (n - 1):
        raise ValueError(f"p={p} is invalid for n={n}: allowed p > {2 * (n - 1)}")
    if not 0 <= k <= N:
        raise ValueError(f"k={k} is invalid: allowed 0 to p^2 = {N}")
    if k > N - C:
        return 0.0
    return N * math.exp(sum(math.log((N - k - i) / (N - i)) for i in range(C)))


def exact_threshold(p: int, n: int) -> float:
    """The training fraction at which E[#uncovered pairs] (expected_uncovered) crosses 1, with
    threshold_fraction's log-linear interpolation between consecutive training-set sizes k:
    the quantity coverage_ratios estimates by Monte Carlo, without its sampling error."""
    N = p * p
    ks = range(N + 1)
    k = next(k for k in ks if expected_uncovered(p, n, k) < 1)
    return threshold_fraction(
        [(k - 1) / N, k / N], [expected_uncovered(p, n, k - 1), expected_uncovered(p, n, k)]
    )


def coverage_ratios(p: int, n: int, trials: int, seeds: int = 3, points: int = 13) -> list[float]:
    """Per Monte Carlo seed, the fraction at which E[#uncovered] crosses 1, over the Thm. 3.12
    bound; fractions on a grid around the exact torus value 1 - p^(-2/C) (0.7x to 1.3x)."""
    exact = 1 - p ** (-2 / ball_size(n))
    fracs = [exact * (0.7 + 0.6 * i / (points - 1)) for i in range(points)]
    out = []
    for s in range(seeds):
        mc = coverage_monte_carlo(p, n, fracs, trials, seed=s)
        out.append(threshold_fraction(mc["frac"], mc["mean_uncovered"]) / coverage_bound(p, n))
    return out
