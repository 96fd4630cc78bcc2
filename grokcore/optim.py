"""Optimizers by name: one `make_optimizer` that every chapter uses, and `register_optimizer` to
add one that every chapter then sees (OptimConfig.name accepts every registered name).

Names keep PyTorch's meaning: "adam" is torch.optim.Adam, whose weight_decay is an L2 term added
to the gradient (coupled; what the Grokfast, NeuralGrok and MED code run); "adamw" decouples it.
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch

from .stacked_optim import StackedAdamW

# name -> build(optim config, params, members' optim configs) -> torch.optim.Optimizer
OPTIMIZERS: dict[str, Callable] = {}


def register_optimizer(name: str, build: Callable) -> None:
    """Make `name` a valid OptimConfig.name: build(o, params, members) -> an Optimizer, where o is
    the stack's OptimConfig and members every member's (for per-member hyperparameters)."""
    OPTIMIZERS[name] = build


def _adamw(o, params, members):
    if len({(m.betas, m.weight_decay) for m in members}) > 1:  # per-member β and decay
        for flag in ("amsgrad", "fused"):
            if getattr(o, flag):
                raise ValueError(
                    f"OptimConfig.{flag}=True needs one betas and weight_decay for the whole stack"
                )
        return StackedAdamW(
            params,
            lr=o.lr,
            betas=[m.betas for m in members],
            weight_decay=[m.weight_decay for m in members],
            eps=o.eps,
        )
    return torch.optim.AdamW(
        params,
        lr=o.lr,
        betas=o.betas,
        weight_decay=o.weight_decay,
        eps=o.eps,
        amsgrad=o.amsgrad,
        fused=o.fused or None,
    )


register_optimizer(
    "sgd",
    lambda o, params, members: torch.optim.SGD(
        params, lr=o.lr, momentum=o.momentum, weight_decay=o.weight_decay, fused=o.fused or None
    ),
)
register_optimizer(
    "adam",
    lambda o, params, members: torch.optim.Adam(
        params,
        lr=o.lr,
        betas=o.betas,
        weight_decay=o.weight_decay,
        eps=o.eps,
        amsgrad=o.amsgrad,
        fused=o.fused or None,
    ),
)
register_optimizer("adamw", _adamw)


def make_optimizer(o, params, members: Sequence = ()) -> tuple[torch.optim.Optimizer, object]:
    """The optimizer OptimConfig `o` names and its warmup schedule (None without warmup).

    members: every stacked member's OptimConfig (AdamW members with differing betas or
    weight_decay get StackedAdamW). Warmup as Nanda / Grokfast: lr * min(step / warmup, 1), so
    step 0 runs at lr 0 as in their code."""
    opt = OPTIMIZERS[o.name](o, list(params), list(members) or [o])
    w = o.warmup_steps
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(s / w, 1.0)) if w else None
    return opt, sched
