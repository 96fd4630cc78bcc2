"""Gradient transforms in the spirit of optax: (init, update) pairs composed with `chain`.

Applied between `loss.backward()` and `optimizer.step()`:

    tx = chain(egd(targets=["W1"]), grokfast_ema(alpha=0.98, lamb=2.0))
    state = tx.init(params)
    grads, state = tx.update(grads, state, params)

`params` and `grads` are dicts name -> tensor whose dim 0 is the member of a stacked model
(grokcore.models); every per-tensor operation (norms, SVDs) is taken per member.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, Sequence

import torch

Tensors = dict[str, torch.Tensor]


class GradientTransform(NamedTuple):
    init: Callable[[Tensors], Any]
    update: Callable[[Tensors, Any, Tensors], tuple[Tensors, Any]]
    # Passed to train_stack, a transform may read state the loop does not hold (a closure's),
    # so such a stack is not checkpointed; ResumableTransform says it is all held
    resumable = False


class ResumableTransform(GradientTransform):
    """A GradientTransform whose state is all in what init returns and update threads, or in a
    resumable hook's state (grokcore.hooks.Hook.state): a stack that passes one to train_stack
    is checkpointed (e.g. NeuralGrok's amplifier, which its hook holds)."""

    __slots__ = ()
    resumable = True


def _selected(grads: Tensors, targets: Sequence[str] | None, matrices_only: bool) -> list[str]:
    names = [n for n in grads if targets is None or n in targets]
    if targets is not None:
        missing = sorted(set(targets) - set(grads))
        if missing:
            raise ValueError(f"targets {missing} are not parameters; allowed: {sorted(grads)}")
    if matrices_only:
        bad = [n for n in names if grads[n].ndim != 3]
        if bad and targets is not None:
            raise ValueError(f"targets {bad} are not 2-D weight matrices (per member)")
        names = [n for n in names if grads[n].ndim == 3]
    return names


def chain(*transforms: GradientTransform) -> GradientTransform:
    """Apply transforms in order; the state is the tuple of their states (resumable where each
    transform is)."""

    def init(params):
        return tuple(t.init(params) for t in transforms)

    def update(grads, state, params):
        new_state = []
        for t, s in zip(transforms, state):
            grads, s = t.update(grads, s, params)
            new_state.append(s)
        return grads, tuple(new_state)

    kind = ResumableTransform if all(t.resumable for t in transforms) else GradientTransform
    return kind(init, update)


def identity() -> GradientTransform:
    return GradientTransform(lambda params: (), lambda grads, state, params: (grads, state))


# ---- EGD: G = U S V^T  ->  U V^T ---------------------------------------------------------


def _pinv_tol(s: torch.Tensor, shape: torch.Size) -> torch.Tensor:
    """Moore-Penrose cut-off as numpy.linalg.pinv: max(rows, cols) * eps * s_max, per member."""
    eps = torch.finfo(s.dtype).eps
    return max(shape[-2:]) * eps * s.amax(-1, keepdim=True)


def polar_svd(g: torch.Tensor) -> torch.Tensor:
    """U V^T of each member's matrix g [M, a, b], dropping singular values below the cut-off."""
    u, s, vh = torch.linalg.svd(g, full_matrices=False)
    keep = (s > _pinv_tol(s, g.shape)).to(g.dtype)
    return (u * keep[..., None, :]) @ vh


def polar_eigh(g: torch.Tensor) -> torch.Tensor:
    """U V^T through an eigendecomposition of the smaller Gram matrix (float64), EGD eq. 11:
    (G G^T)^{-1/2} G, with the Moore-Penrose inverse on rank-deficient G."""
    g64 = g.double()
    wide = g.shape[-2] <= g.shape[-1]
    gram = g64 @ g64.mT if wide else g64.mT @ g64  # [M, k, k], k = min(a, b)
    lam, q = torch.linalg.eigh(gram)  # lam = s^2, ascending
    s = lam.clamp_min(0).sqrt()
    inv = torch.where(s > _pinv_tol(s, g.shape), 1 / s, torch.zeros_like(s))
    root = (q * inv[..., None, :]) @ q.mT  # (Gram)^{+1/2}
    return (root @ g64 if wide else g64 @ root).to(g.dtype)


def polar_rsvd(g: torch.Tensor, rank: int, gen: torch.Generator, n_iter: int = 2) -> torch.Tensor:
    """Rank-r randomized SVD (Halko et al. 2011; EGD code: 2 power iterations with QR), then
    U_r U_r^T-restricted polar factor U_r S_r^{-1} U_r^T G."""
    m, a, b = g.shape
    r = min(rank, a, b)
    omega = torch.randn(m, b, r, generator=gen, dtype=g.dtype)  # [M, b, r]
    y = g @ omega
    q, _ = torch.linalg.qr(y)
    for _ in range(n_iter):
        q, _ = torch.linalg.qr(g.mT @ q)
        q, _ = torch.linalg.qr(g @ q)
    u_small, s, vh = torch.linalg.svd(q.mT @ g, full_matrices=False)  # [M, r, r], [M, r], [M, r, b]
    keep = (s > _pinv_tol(s, g.shape)).to(g.dtype)
    return ((q @ u_small) * keep[..., None, :]) @ vh


def polar_newton_schulz(g: torch.Tensor, steps: int = 15) -> torch.Tensor:
    """Cubic Newton-Schulz iteration X <- 1.5 X - 0.5 X X^T X from G / ||G||_F (matmuls only).

    Converges to U V^T; a singular value s grows about 1.5x per step while small, so values
    below ~1.5^-steps of the largest stay short of 1 (an approximation, measured in bench/)."""
    x = g / g.flatten(1).norm(dim=1).clamp_min(1e-30).view(-1, 1, 1)
    wide = x.shape[-2] <= x.shape[-1]
    for _ in range(steps):
        x = 1.5 * x - 0.5 * ((x @ x.mT) @ x if wide else x @ (x.mT @ x))
    return x


def egd(
    targets: Sequence[str] | None = ("W1",),
    solver: str = "svd",
    rank: int = 128,
    seeds: Sequence[int] = (0,),
    ns_steps: int = 15,
) -> GradientTransform:
    """Egalitarian gradient descent (EGD paper eq. 11): G -> U V^T on each target matrix.

    solver: "svd" (exact), "eigh" (Gram matrix, float64), "rsvd" (randomized, rank `rank`;
    one generator per member seeded from `seeds`), "newton_schulz" (matmuls only)."""
    allowed = ("svd", "eigh", "rsvd", "newton_schulz")
    if solver not in allowed:
        raise ValueError(f"solver={solver!r} is invalid: allowed {allowed}")

    def init(params):
        if solver != "rsvd":
            return ()
        return [torch.Generator().manual_seed(10_000 + s) for s in seeds]

    def update(grads, state, params):
        out = dict(grads)
        for n in _selected(grads, targets, matrices_only=True):
            g = grads[n]
            if solver == "svd":
                out[n] = polar_svd(g)
            elif solver == "eigh":
                out[n] = polar_eigh(g)
            elif solver == "newton_schulz":
                out[n] = polar_newton_schulz(g, ns_steps)
            else:  # each member draws its own sketch, so a member equals its single run
                out[n] = torch.cat(
                    [polar_rsvd(g[i : i + 1], rank, gen) for i, gen in enumerate(state)]
                )
        return out, state

    return GradientTransform(init, update)


def column_norm(
    targets: Sequence[str] | None = ("W1",), min_norm: float = 0.01
) -> GradientTransform:
    """Divide each column of G [M, fan_in, fan_out] by max(||column||, min_norm) (EGD code)."""

    def update(grads, state, params):
        out = dict(grads)
        for n in _selected(grads, targets, matrices_only=True):
            out[n] = grads[n] / grads[n].norm(dim=-2, keepdim=True).clamp_min(min_norm)
        return out, state

    return GradientTransform(lambda params: (), update)


def rescale(c: float, targets: Sequence[str] | None = None) -> GradientTransform:
    """g -> c g / ||g|| per tensor and member (NeuralGrok §4 gradient rescaling)."""

    def update(grads, state, params):
        out = dict(grads)
        for n in _selected(grads, targets, matrices_only=False):
            g = grads[n]
            norm = g.flatten(1).norm(dim=1).clamp_min(1e-30).view(-1, *(1,) * (g.ndim - 1))
            out[n] = c * g / norm
        return out, state

    return GradientTransform(lambda params: (), update)


def clip_by_global_norm(max_norm: float) -> GradientTransform:
    """torch.nn.utils.clip_grad_norm_ per member: scale every tensor of a member by
    min(1, max_norm / (its global L2 norm + 1e-6)) (OptimConfig.clip_norm; NeuralGrok code)."""

    def update(grads, state, params):
        total = torch.sqrt(sum(g.flatten(1).pow(2).sum(1) for g in grads.values()))  # [M]
        scale = (max_norm / (total + 1e-6)).clamp_max(1.0)
        return {n: g * scale.view(-1, *(1,) * (g.ndim - 1)) for n, g in grads.items()}, state

    return GradientTransform(lambda params: (), update)


# ---- Grokfast (Lee et al. 2024), exactly as ironjr/grokfast's grokfast.py ------------------


def grokfast_ema(alpha: float = 0.98, lamb: float = 2.0) -> GradientTransform:
    """g -> g + lamb * mu, mu <- alpha mu + (1 - alpha) g, with mu starting at the first g."""

    def init(params):
        return {"mu": None}

    def update(grads, state, params):
        mu = state["mu"] or {n: g.clone() for n, g in grads.items()}
        mu = {n: alpha * mu[n] + (1 - alpha) * g for n, g in grads.items()}
        return {n: g + lamb * mu[n] for n, g in grads.items()}, {"mu": mu}

    return GradientTransform(init, update)


def grokfast_ma(
    window_size: int = 100, lamb: float = 5.0, warmup: bool = True
) -> GradientTransform:
    """g -> g + lamb * mean of the last `window_size` raw gradients (the current one included).

    With warmup the gradient passes unchanged until the window is full (Grokfast code).
    The window is a ring buffer; its sum is kept incrementally and recomputed exactly
    once per window to stop rounding drift."""

    def init(params):
        return {
            "buf": {
                n: torch.zeros((window_size, *p.shape), dtype=p.dtype, device=p.device)
                for n, p in params.items()
            },
            "sum": {n: torch.zeros_like(p) for n, p in params.items()},
            "count": 0,
        }

    def update(grads, state, params):
        buf, sums, count = state["buf"], state["sum"], state["count"]
        slot = count % window_size
        out = {}
        for n, g in grads.items():
            old = buf[n][slot].clone()
            buf[n][slot] = g
            sums[n] = buf[n].sum(0) if slot == window_size - 1 else sums[n] - old + g
            filled = min(count + 1, window_size)
            out[n] = g + lamb * sums[n] / filled if (not warmup or filled == window_size) else g
        return out, {"buf": buf, "sum": sums, "count": count + 1}

    return GradientTransform(init, update)


# name -> factory(MethodConfig, seeds) -> GradientTransform: what MethodConfig.name may be
TRANSFORMS: dict[str, Callable[[Any, Sequence[int]], GradientTransform]] = {}


def register_transform(name: str, make: Callable[[Any, Sequence[int]], GradientTransform]) -> None:
    """Make `name` a valid MethodConfig.name: make(method, seeds) builds the transform from the
    MethodConfig (its fields are the hyperparameters) and the members' seeds."""
    TRANSFORMS[name] = make


register_transform("none", lambda m, seeds: identity())
register_transform("egd", lambda m, seeds: egd(m.targets, m.egd_solver, m.rank, seeds, m.ns_steps))
register_transform("column_norm", lambda m, seeds: column_norm(m.targets))
register_transform("grokfast_ema", lambda m, seeds: grokfast_ema(m.alpha, m.lamb))
register_transform("grokfast_ma", lambda m, seeds: grokfast_ma(m.window_size, m.lamb, m.warmup))
register_transform("rescale", lambda m, seeds: rescale(m.c))


def from_config(method, seeds: Sequence[int] = (0,)) -> GradientTransform:
    """The transform a grokcore.config.MethodConfig names."""
    if method.name not in TRANSFORMS:
        raise ValueError(f"method.name={method.name!r} is invalid: allowed {sorted(TRANSFORMS)}")
    return TRANSFORMS[method.name](method, seeds)
