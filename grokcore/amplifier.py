"""NeuralGrok's neural amplifier (Zhou et al. 2025, eq. 2) and its meta step (Algorithm 2).

One MLP 1 -> h -> ... -> h -> 1 (ReLU) scores every gradient entry; per parameter tensor,

    p = softmax over all N entries of MLP(g),   g' = c (p * g) / ||p * g||,

as the authors' final code (neuralgrad branch): one amplifier shared by all tensors, softmax over
the entries of each tensor (dim 0 of the [N, 1] view). The earlier code's softmax over the
size-1 axis gives p = 1 and an inert amplifier; `tests/unit/test_amplifier.py` guards against it.

Stacked like grokcore.models: every amplifier parameter has a leading member dimension M, so
member i is amplifier i of model i, trained on model i's data only.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from grokcore.models import StackedModule

Tensors = dict[str, torch.Tensor]


class Amplifier(StackedModule):
    """Per-member MLP scoring gradient entries: layers L0 [1, h0], ..., L_k [h_{k-1}, 1].

    Init as torch.nn.Linear (the code leaves PyTorch's default): weight and bias
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)), drawn per member from its own seeded generator."""

    def __init__(
        self, hidden: Sequence[int], seeds: Sequence[int], dtype: torch.dtype = torch.float32
    ):
        dims = [1, *hidden, 1]
        per_member = []
        for seed in seeds:
            g = torch.Generator().manual_seed(seed)
            tensors = {}
            for i, (a, b) in enumerate(zip(dims[:-1], dims[1:])):
                bound = 1 / math.sqrt(a)
                tensors[f"W{i}"] = (
                    torch.rand(a, b, generator=g, dtype=torch.float64) * 2 - 1
                ) * bound
                tensors[f"b{i}"] = (torch.rand(b, generator=g, dtype=torch.float64) * 2 - 1) * bound
            per_member.append(tensors)
        names = list(per_member[0])
        super().__init__(
            {n: nn.Parameter(torch.stack([t[n] for t in per_member]).to(dtype)) for n in names}
        )
        self.n_layers = len(dims) - 1

    def forward(self, g: torch.Tensor) -> torch.Tensor:
        """Scores of entries g [M, N] -> [M, N]."""
        h = F.relu(
            g[..., None] * self.W0[:, None, 0] + self.b0[:, None]
        )  # 1 -> h0 elementwise: [M, N, h0]
        for i in range(1, self.n_layers):
            w, b = getattr(self, f"W{i}"), getattr(self, f"b{i}")
            h = torch.baddbmm(b[:, None], h, w)  # [M, N, h_i]
            if i < self.n_layers - 1:
                h = F.relu(h)
        return h.squeeze(-1)  # [M, N]


def code_tensors(names: Sequence[str]) -> list[list[str]]:
    """The parameter tensors as the code's model holds them, as groups of our names.

    The code's decoder keeps attention's query, key and value projections in one
    nn.MultiheadAttention `in_proj_weight` [3d, d] and one `in_proj_bias` [3d]; grokcore.decoder
    holds them as `{layer}_W_Q`, `_W_K`, `_W_V` (and `_b_Q`, ...). The code's amplifier scores
    and normalizes each of its tensors as a whole, so each such triple is one group: 29 groups
    for the 2-layer decoder (37 of our tensors). Every other name is a group of its own."""
    groups: list[list[str]] = []
    seen: dict[str, list[str]] = {}
    for n in names:
        layer, _, rest = n.partition("_")
        if rest in ("W_Q", "W_K", "W_V", "b_Q", "b_K", "b_V") and layer.isdigit():
            key = f"{layer}_{rest[0]}_in_proj"
            if key not in seen:
                seen[key] = []
                groups.append(seen[key])
            seen[key].append(n)
        else:
            groups.append([n])
    return groups


def amplify(
    amp: Amplifier | Callable[[torch.Tensor], torch.Tensor],
    grads: Tensors,
    c: float,
    groups: Sequence[Sequence[str]] | None = None,
) -> Tensors:
    """g' = c (p * g) / ||p * g|| per tensor and member, p = softmax over the tensor's entries.

    `groups` (code_tensors) says which of our tensors are one tensor of the code's model (the
    softmax and the norm are then taken over their entries together); default: each its own.
    The MLP runs once over all entries of all tensors (one batched call)."""
    groups = [[n] for n in grads] if groups is None else groups
    flat = [torch.cat([grads[n].flatten(1) for n in g], dim=1) for g in groups]  # [M, N_group]
    scores = amp(torch.cat(flat, dim=1)).split([f.shape[1] for f in flat], dim=1)
    out = {}
    for names, g, s in zip(groups, flat, scores):
        pg = s.softmax(dim=1) * g  # softmax over the group's N entries, not a size-1 axis
        norm = pg.norm(dim=1, keepdim=True).clamp_min(1e-30)
        pieces = (c * pg / norm).split([grads[n][0].numel() for n in names], dim=1)
        for n, piece in zip(names, pieces):
            out[n] = piece.view_as(grads[n])
    return {n: out[n] for n in grads}


def clip_per_member(grads: Tensors, max_norm: float) -> Tensors:
    """torch.nn.utils.clip_grad_norm_ per member: scale by
    min(1, max_norm / (total norm + 1e-6))."""
    total = torch.sqrt(sum(g.flatten(1).pow(2).sum(1) for g in grads.values()))  # [M]
    scale = (max_norm / (total + 1e-6)).clamp_max(1.0)
    return {n: g * scale.view(-1, *(1,) * (g.ndim - 1)) for n, g in grads.items()}


def meta_loss(
    model: nn.Module,
    amp: Amplifier,
    params: Tensors,
    grads: Tensors,
    c: float,
    lr: float,
    outer_loss: Callable[[Callable], torch.Tensor],
    groups: Sequence[Sequence[str]] | None = None,
) -> torch.Tensor:
    """Algorithm 2's objective L_outer(theta - lr * A_phi(g)) as a function of the amplifier.

    outer_loss(forward) -> [M] per-member losses, where forward(x) runs the model at the virtual
    parameters. Returns [M]; members are independent, so backward() on the sum is per member.
    params (theta) and grads (g) are constants (detached): only the amplifier carries a graph,
    so backward() gives the first-order meta gradient of the authors' code. The virtual SGD step
    goes through torch.func.functional_call; the model itself is never edited."""
    new = amplify(amp, {n: g.detach() for n, g in grads.items()}, c, groups)
    virtual = {n: p.detach() - lr * new[n] for n, p in params.items()}
    return outer_loss(lambda x: functional_call(model, virtual, (x,)))


def meta_step(
    model: nn.Module,
    amp: Amplifier,
    meta_opt: torch.optim.Optimizer,
    params: Tensors,
    grads: Tensors,
    c: float,
    lr: float,
    outer_loss,
    norms: list | None = None,
    groups: Sequence[Sequence[str]] | None = None,
) -> list[float]:
    """One Adam step of the amplifier on the meta objective; returns each member's outer loss.

    With `norms`, appends (|dL_outer/dphi|, |weight_decay * phi|) per member, both [M] lists,
    taken before the step: the meta gradient and the coupled L2 term torch.optim.Adam adds to it
    (the code passes the base weight decay to the meta Adam)."""
    meta_opt.zero_grad(set_to_none=True)
    loss = meta_loss(model, amp, params, grads, c, lr, outer_loss, groups)  # [M]
    loss.sum().backward()
    if norms is not None:
        wd = meta_opt.param_groups[0]["weight_decay"]
        ps = list(amp.parameters())
        grad = torch.sqrt(sum(p.grad.flatten(1).pow(2).sum(1) for p in ps))  # [M]
        l2 = wd * torch.sqrt(sum(p.detach().flatten(1).pow(2).sum(1) for p in ps))  # [M]
        norms.append((grad.tolist(), l2.tolist()))
    meta_opt.step()
    return loss.tolist()
