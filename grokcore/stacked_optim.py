"""AdamW with per-member hyperparameters, for stacked models (grokcore.models).

torch.optim.AdamW takes one `betas` and one `weight_decay` for every tensor. A stacked model
holds M members along dim 0 of each parameter, so a sweep over β1 or weight decay would need one
model per value. `StackedAdamW` keeps torch.optim.AdamW's update (decoupled weight decay, bias
correction, eps outside the square root; torch 2.x single-tensor algorithm) but reads β1, β2
and the weight decay from tensors of length M, so each member trains with its own values:

    opt = StackedAdamW(model.parameters(), lr=1e-3, betas=[(0.9, 0.98), (0.0, 0.98)],
                       weight_decay=[1.0, 2.0])

Member i equals a single run with torch.optim.AdamW(lr, betas[i], weight_decay[i])
(tests/unit/test_stacked_optim.py). The learning rate stays shared (a scalar per param group),
so torch.optim.lr_scheduler works unchanged.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import torch


class StackedAdamW(torch.optim.Optimizer):
    """torch.optim.AdamW with per-member betas [M, 2] and weight_decay [M] (dim 0 = member)."""

    def __init__(
        self,
        params: Iterable[torch.Tensor],
        lr: float,
        betas: Sequence[tuple[float, float]],
        weight_decay: Sequence[float],
        eps: float = 1e-8,
    ):
        b = torch.tensor([tuple(x) for x in betas], dtype=torch.float64)  # [M, 2]
        wd = torch.tensor(list(weight_decay), dtype=torch.float64)  # [M]
        if b.ndim != 2 or b.shape[1] != 2 or b.shape[0] != wd.shape[0]:
            raise ValueError(
                f"betas must be M pairs and weight_decay M numbers; got {tuple(b.shape)} "
                f"and {tuple(wd.shape)}"
            )
        if not ((b >= 0) & (b < 1)).all() or (wd < 0).any():
            raise ValueError("betas must lie in [0, 1) and weight_decay be >= 0")
        super().__init__(params, dict(lr=lr, eps=eps))
        self.beta1, self.beta2, self.weight_decay = b[:, 0], b[:, 1], wd
        self._on: dict[torch.device, tuple[torch.Tensor, ...]] = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p.shape[0] != len(wd):
                    raise ValueError(
                        f"a parameter of shape {tuple(p.shape)} has no member dim of size {len(wd)}"
                    )

    def _hyper(self, device: torch.device) -> tuple[torch.Tensor, ...]:
        """(beta1, beta2, weight_decay), float64 [M] each, on `device`: copied there once."""
        if device not in self._on:
            self._on[device] = tuple(
                v.to(device) for v in (self.beta1, self.beta2, self.weight_decay)
            )
        return self._on[device]

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, eps = group["lr"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                state["step"] += 1
                t = state["step"]
                shape = (-1,) + (1,) * (p.ndim - 1)  # broadcast [M] over the member's tensor
                b1, b2, wd = (v.view(shape) for v in self._hyper(p.device))
                # the same order of operations as torch.optim.AdamW (_single_tensor_adamw)
                p.mul_((1 - lr * wd).to(p.dtype))
                m, v, g = state["exp_avg"], state["exp_avg_sq"], p.grad
                m.lerp_(g, (1 - b1).to(p.dtype).expand_as(m))
                v.mul_(b2.to(p.dtype)).add_(g * g * (1 - b2).to(p.dtype))
                step_size = (lr / (1 - b1**t)).to(p.dtype)  # [M, 1, ...]
                bc2_sqrt = ((1 - b2**t) ** 0.5).to(p.dtype)
                denom = (v.sqrt() / bc2_sqrt).add_(eps)
                p.sub_(step_size * m / denom)
        return loss
