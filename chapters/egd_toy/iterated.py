"""The toy's update rules without a closed form, iterated: EGD as eq. 11 defines it, and SGD.

- EGD (EGD §4, eq. 11) replaces a layer's gradient G by (G Gᵀ)^(-1/2) G = U Vᵀ. The toy's model
  is one linear layer with one output: G is the 1×2 row gᵀ, g = Σ̂ w − Xᵀ Y / n (eq. 2 without
  η), so G Gᵀ = ‖g‖² and the step is w ← w − η g / ‖g‖: normalized GD. (Read as a 2×1 layer,
  Remark 1's pseudo-inverse gives (g gᵀ)^{+1/2} g = g / ‖g‖ too.) Its step has length η at every
  iteration, so it has no linear recursion to solve: we iterate it in float64 Python floats
  (a tight loop, ~0.1 s per 10^5 iterations).
- SGD (EGD §3, after Cor. 1: "This result can be extended to vanilla stochastic gradient descent
  (SGD)") takes eq. 2's step on a minibatch of B training points drawn with replacement:
  w ← A_k w + b_k with A_k = I − η x_Bᵀ x_B / B, b_k = η x_Bᵀ y_B / B. The maps of a chunk of
  steps are built at once from pre-drawn indices; the 2-d recurrence then runs in a tight loop.

Both return every iterate, w(0) .. w(num_steps): [num_steps + 1, 2] float64 (4.8 MB at 3·10^5
steps). `errors_along` gives the test error of all of them at once, so that a run's plateau is
the first iteration with test error ≤ 1/2 even where that error is not monotone: normalized
GD's fixed step length keeps the fast coordinate in a period-2 orbit around its optimum, and
SGD's noise moves every coordinate, so their errors oscillate around 1/2 before they settle.
"""

from __future__ import annotations

import math

import torch

from grokcore.train import stream_seed

SGD_CHUNK = 10_000  # steps whose minibatch maps are built at once: [10^4, B, 2] at a time
SGD_STREAM = 1  # grokcore.train.stream_seed's minibatch stream: independent of the data's draw


def egd11_path(
    u: tuple[float, float], sigma: torch.Tensor, xty: torch.Tensor, lr: float, num_steps: int
) -> torch.Tensor:
    """Every iterate of eq. 11 on the toy, w(k) = w(k-1) − η g / ‖g‖, g = Σ̂ w(k-1) − Xᵀ Y / n,
    from w(0) = u: [num_steps + 1, 2] float64. Where g = 0 (w at the least-squares solution) the
    pseudo-inverse of Remark 1 gives no step."""
    (s11, s12), (s21, s22) = sigma.tolist()
    c1, c2 = xty.tolist()
    w1, w2 = u
    out = [(w1, w2)]
    for _ in range(num_steps):
        g1 = s11 * w1 + s12 * w2 - c1
        g2 = s21 * w1 + s22 * w2 - c2
        norm = math.hypot(g1, g2)
        if norm > 0:
            w1, w2 = w1 - lr * g1 / norm, w2 - lr * g2 / norm
        out.append((w1, w2))
    return torch.tensor(out, dtype=torch.float64)


def sgd_indices(seed: int, n: int, batch_size: int, num_steps: int, chunk: int = SGD_CHUNK):
    """The minibatches of an SGD run, chunk by chunk: [c, batch_size] int64 indices into the
    training set (with replacement), drawn from the run's own stream (stream_seed(seed, 1)), so
    the same seed gives the same batches and the data's draw (seeded by seed) is untouched."""
    g = torch.Generator().manual_seed(stream_seed(seed, SGD_STREAM))
    for start in range(0, num_steps, chunk):
        yield torch.randint(n, (min(chunk, num_steps - start), batch_size), generator=g)


def sgd_path(
    u: tuple[float, float],
    x: torch.Tensor,
    y: torch.Tensor,
    lr: float,
    batch_size: int,
    num_steps: int,
    seed: int,
) -> torch.Tensor:
    """Every iterate of minibatch SGD on the loss (1) from w(0) = u (x [n, 2], y [n]):
    [num_steps + 1, 2] float64."""
    w1, w2 = u
    out = [(w1, w2)]
    for idx in sgd_indices(seed, x.shape[0], batch_size, num_steps):
        c = idx.shape[0]
        xb, yb = x[idx], y[idx]  # [c, B, 2], [c, B]
        # step k: w <- w - S_k w + b_k (A_k = I - S_k), S_k = η x_Bᵀ x_B / B, b_k = η x_Bᵀ y_B / B
        s = torch.einsum("cbi,cbj->cij", xb, xb).reshape(c, 4) * (lr / batch_size)  # [c, 4]
        b = torch.einsum("cbi,cb->ci", xb, yb) * (lr / batch_size)  # [c, 2]
        for s11, s12, s21, s22, b1, b2 in torch.cat([s, b], dim=1).tolist():
            w1, w2 = w1 - (s11 * w1 + s12 * w2) + b1, w2 - (s21 * w1 + s22 * w2) + b2
            out.append((w1, w2))
    return torch.tensor(out, dtype=torch.float64)


def errors_along(x: torch.Tensor, y: torch.Tensor, ws: torch.Tensor) -> torch.Tensor:
    """Fraction of (x [n, 2], y [n]) misclassified by sign(x w) for every row w of ws [K, 2]: [K].

    toy.error's count, by sorted angles in O((n + K) log n) instead of its O(n K) products:
    w misclassifies point i iff p_i · w ≤ 0 (p_i = y_i x_i), i.e. iff the angle of p_i lies in
    the closed half circle from φ + π/2 to φ + 3π/2, φ the angle of w. The two counts differ
    only for a point within rounding (~1e-16 rad) of w's boundary."""
    p = x * y[:, None]  # [n, 2]
    alpha = torch.atan2(p[:, 1], p[:, 0]).sort().values  # [n], in [-π, π]
    phi = torch.atan2(ws[:, 1], ws[:, 0])  # [K]
    lo = torch.remainder(phi + 1.5 * math.pi, 2 * math.pi) - math.pi  # [K]: φ + π/2, in [-π, π)
    hi = lo + math.pi  # [K], in [0, 2π): past π the half circle wraps round to -π
    wraps = hi > math.pi
    left = torch.searchsorted(alpha, lo)  # first angle >= lo
    right = torch.searchsorted(alpha, torch.where(wraps, hi - 2 * math.pi, hi), right=True)
    n = alpha.numel()
    count = torch.where(wraps, n - left + right, right - left)
    count = torch.where((ws == 0).all(dim=1), n, count)  # w = 0: p · w = 0 <= 0 everywhere
    return count.double() / n
