"""Training-dynamics diagnostics of a stacked model, per member (Grokking Dynamics blog).

All functions take a stacked model (grokcore.models, dim 0 = member) and return one value per
member, as a tensor [M]. The loss is summed over members, so its Hessian is block-diagonal across
members and one Hessian-vector product serves every member at once.

- `top_hessian_eigenvalue`: Lanczos on Hessian-vector products (torch.func forward-over-reverse),
  with full reorthogonalization; no dense Hessian is ever formed.
- `gradient_agreement`: cosine between the gradients of two random halves of a batch.
- `moment_cosine`: cosine between Adam's first moment (exp_avg) and a gradient.
- `effective_rank`: exp(entropy) of the normalized singular values of the per-sample gradient
  matrix [n, n_params] (Roy & Vetterli 2007), per-sample gradients by torch.func.vmap.
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch.func import functional_call, grad, jvp, vmap

from grokcore.config import RunConfig
from grokcore.models import StackedModule
from grokcore.train import member_loss

Tensors = dict[str, torch.Tensor]


def _dot(a: Tensors, b: Tensors) -> torch.Tensor:
    """Per-member inner product of two parameter dicts: [M] (float64)."""
    return sum((a[n].double() * b[n].double()).flatten(1).sum(1) for n in a)


def cosine(a: Tensors, b: Tensors) -> torch.Tensor:
    """Per-member cosine of two parameter dicts (all tensors flattened together): [M]."""
    return _dot(a, b) / (_dot(a, a).sqrt() * _dot(b, b).sqrt()).clamp_min(1e-300)


def _params(model: StackedModule) -> Tensors:
    return {n: p.detach() for n, p in model.named_parameters()}


def _loss_fn(cfg: RunConfig, model: StackedModule, x: torch.Tensor, y: torch.Tensor) -> Callable:
    """params -> loss summed over members on x [M, B, ...], y [M, B]."""

    def f(params: Tensors) -> torch.Tensor:
        return member_loss(cfg, functional_call(model, params, (x,)), y).sum()

    return f


def gradients(cfg: RunConfig, model: StackedModule, x: torch.Tensor, y: torch.Tensor) -> Tensors:
    """Each member's mean-loss gradient on its examples x [M, B, ...]: dict of [M, ...]."""
    return grad(_loss_fn(cfg, model, x, y))(_params(model))


def gradient_agreement(
    cfg: RunConfig, model: StackedModule, x: torch.Tensor, y: torch.Tensor
) -> torch.Tensor:
    """Cosine between the gradients of the two halves of each member's batch x [M, B, ...]
    (the caller draws the batch at random): [M]."""
    h = x.shape[1] // 2
    return cosine(
        gradients(cfg, model, x[:, :h], y[:, :h]),
        gradients(cfg, model, x[:, h : 2 * h], y[:, h : 2 * h]),
    )


def moment_cosine(
    opt: torch.optim.Optimizer, model: StackedModule, g: Tensors
) -> torch.Tensor | None:
    """Cosine between Adam's first moment and the gradient g, per member; None before step 1."""
    m = {
        n: opt.state[p]["exp_avg"]
        for n, p in model.named_parameters()
        if "exp_avg" in opt.state.get(p, {})
    }
    if len(m) != len(g):
        return None
    return cosine(m, g)


def top_hessian_eigenvalue(
    cfg: RunConfig,
    model: StackedModule,
    x: torch.Tensor,
    y: torch.Tensor,
    iters: int = 15,
    generators: Sequence[torch.Generator] | None = None,
) -> torch.Tensor:
    """Largest eigenvalue of each member's loss Hessian on x [M, B, ...]: [M].

    `iters` Lanczos steps from a random start (member i draws it from generators[i]), each one
    Hessian-vector product
    (jvp of grad) for all members together; the Krylov basis is reorthogonalized in full, and
    the answer is the top Ritz value of each member's tridiagonal matrix."""
    params = _params(model)
    names = list(params)
    m = next(iter(params.values())).shape[0]
    g_of = grad(_loss_fn(cfg, model, x, y))

    def hvp(v: Tensors) -> Tensors:
        return jvp(g_of, (params,), (v,))[1]

    def scale(v: Tensors, s: torch.Tensor) -> Tensors:  # s: [M]
        return {n: v[n] * s.view(-1, *(1,) * (v[n].ndim - 1)).to(v[n].dtype) for n in names}

    def axpy(v: Tensors, s: torch.Tensor, w: Tensors) -> Tensors:  # v - s * w
        sw = scale(w, s)
        return {n: v[n] - sw[n] for n in names}

    gens = generators or [None] * m
    q = {
        # drawn on the CPU (the generators are), so a member's start vector is the same anywhere
        n: torch.stack([torch.randn(p.shape[1:], generator=g, dtype=p.dtype) for g in gens]).to(
            p.device
        )
        for n, p in params.items()
    }
    q = scale(q, 1 / _dot(q, q).sqrt())
    basis, alphas, betas = [q], [], []
    for j in range(iters):
        w = hvp(basis[-1])
        alphas.append(_dot(w, basis[-1]))
        for b in basis:  # full reorthogonalization: the basis stays orthogonal in float32 too
            w = axpy(w, _dot(w, b), b)
        if j == iters - 1:
            break
        beta = _dot(w, w).sqrt()
        betas.append(beta)
        basis.append(scale(w, 1 / beta.clamp_min(1e-300)))
    k = len(alphas)
    t = torch.zeros(m, k, k, dtype=torch.float64, device=alphas[0].device)
    idx = torch.arange(k, device=t.device)
    t[:, idx, idx] = torch.stack(alphas, 1)
    if k > 1:
        off = torch.stack(betas, 1)
        t[:, idx[:-1], idx[1:]] = off
        t[:, idx[1:], idx[:-1]] = off
    return torch.linalg.eigvalsh(t)[:, -1]


def per_sample_gradients(
    cfg: RunConfig, model: StackedModule, x: torch.Tensor, y: torch.Tensor
) -> torch.Tensor:
    """Every sample's loss gradient, flattened per member: x [M, n, ...] -> [M, n, n_params]."""
    params = _params(model)

    def one(xi: torch.Tensor, yi: torch.Tensor) -> Tensors:  # xi [M, ...]: one sample per member
        return grad(_loss_fn(cfg, model, xi[:, None], yi[:, None]))(params)

    per = vmap(one, in_dims=(1, 1))(x, y)  # name -> [n, M, ...]
    return torch.cat([g.transpose(0, 1).flatten(2) for g in per.values()], dim=2)


def effective_rank(
    cfg: RunConfig, model: StackedModule, x: torch.Tensor, y: torch.Tensor
) -> torch.Tensor:
    """exp(entropy of s / sum s) of the per-sample gradient matrix's singular values s: [M]."""
    return matrix_effective_rank(per_sample_gradients(cfg, model, x, y))


def matrix_effective_rank(g: torch.Tensor) -> torch.Tensor:
    """exp(entropy of s / sum s) of each member's matrix g [M, n, P]: between 1 (rank one) and
    n (n orthogonal rows of equal norm)."""
    g = g.double()
    lam = torch.linalg.eigvalsh(g @ g.mT).clamp_min(0)  # s^2, from the [n, n] Gram matrix
    s = lam.sqrt()
    q = s / s.sum(1, keepdim=True).clamp_min(1e-300)
    ent = -(q * torch.where(q > 0, q.log(), torch.zeros_like(q))).sum(1)
    return ent.exp()
