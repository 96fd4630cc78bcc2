"""Stacked models: every parameter has a leading member dimension M.

A stack of M members trains M independent models in one set of kernels; member i is built
from its own generator seeded with seeds[i], so it equals a single run (M = 1) with that seed.
Losses must be summed (not averaged) over members so their gradients stay independent.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .config import MLPConfig, TransformerConfig


def _stack_init(
    seeds: Sequence[int],
    shapes: dict[str, tuple],
    init: dict[str, float | tuple],
    dtype: torch.dtype,
) -> dict[str, nn.Parameter]:
    """Draw each member's tensors from its own generator, in a fixed name order.

    init[name] is the std of a normal draw; 0 means zeros and a negative value means ones; a
    pair ("uniform", b) draws U(-b, b) (PyTorch's default Linear and xavier inits)."""
    per_member = []
    for seed in seeds:
        g = torch.Generator().manual_seed(seed)
        tensors = {}
        for name, shape in shapes.items():
            spec = init[name]
            if isinstance(spec, tuple):  # ("uniform", bound)
                u = torch.rand(shape, generator=g, dtype=torch.float64)
                tensors[name] = (2 * u - 1) * spec[1]
            elif spec > 0:
                tensors[name] = torch.randn(shape, generator=g, dtype=torch.float64) * spec
            else:
                tensors[name] = torch.full(shape, 0.0 if spec == 0 else 1.0, dtype=torch.float64)
        per_member.append(tensors)
    return {n: nn.Parameter(torch.stack([t[n] for t in per_member]).to(dtype)) for n in shapes}


def _mm(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Per-member matmul: x [M, ..., a] @ w [M, a, b] -> [M, ..., b] (one bmm)."""
    m, a = x.shape[0], x.shape[-1]
    return torch.bmm(x.reshape(m, -1, a), w).reshape(*x.shape[:-1], w.shape[-1])


class StackedModule(nn.Module):
    """Parameters are registered from a dict of stacked tensors."""

    def __init__(self, params: dict[str, nn.Parameter]):
        super().__init__()
        for name, p in params.items():
            self.register_parameter(name, p)

    @property
    def n_members(self) -> int:
        return next(self.parameters()).shape[0]

    def weight_norm(self) -> torch.Tensor:
        """L2 norm of all parameters, per member: [M]."""
        return torch.sqrt(
            sum(p.detach().double().pow(2).flatten(1).sum(1) for p in self.parameters())
        )

    def matrices(self) -> list[str]:
        """Names of weight matrices (what a loss-L2 term decays): 2-D per member."""
        return [n for n, p in self.named_parameters() if p.ndim == 3]


class MLP(StackedModule):
    """f(x) = ReLU(x W1 + b1) W2 (+ b2): EGD paper §5 (He-normal init, no output bias).

    Integer inputs [M, B, n_in] are operands; the input is their concatenated one-hot encoding
    of width n_in * n_vocab, computed as a sum of gathered rows of W1 (the same result as the
    dense product, without the zeros). Float inputs [M, B, d_in] use a dense product."""

    def __init__(
        self,
        cfg: MLPConfig,
        d_in: int,
        d_out: int,
        seeds: Sequence[int],
        dtype: torch.dtype = torch.float32,
        n_vocab: int | None = None,
    ):
        h = cfg.width
        shapes = {"W1": (d_in, h), "b1": (h,), "W2": (h, d_out)}
        init = {
            "W1": math.sqrt(2 / d_in),
            "W2": math.sqrt(2 / h),
            "b1": math.sqrt(2 / d_in) if cfg.b1_init == "he" else 0.0,
        }
        if cfg.output_bias:
            shapes["b2"], init["b2"] = (d_out,), 0.0
        super().__init__(_stack_init(seeds, shapes, init, dtype))
        self.n_vocab = n_vocab  # per-operand vocabulary when inputs are operands

    def hidden(self, x: torch.Tensor) -> torch.Tensor:
        """Pre-activation of the hidden layer, [M, B, width]."""
        m, d_in, h = self.W1.shape
        if x.dtype == torch.int64:  # operands -> rows of W1 at (position * n_vocab + token)
            offsets = torch.arange(x.shape[-1], device=x.device) * self.n_vocab
            member = torch.arange(m, device=x.device).view(m, 1, 1) * d_in
            idx = (x + offsets + member).reshape(-1, x.shape[-1])  # [M*B, n_in]
            # a summing embedding bag: 1.4x faster per training step than gather-then-sum (bench/)
            rows = F.embedding_bag(idx, self.W1.reshape(m * d_in, h), mode="sum")  # [M*B, h]
            return rows.view(m, -1, h) + self.b1[:, None]
        return torch.baddbmm(self.b1[:, None], x, self.W1)  # [M, B, h]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.bmm(F.relu(self.hidden(x)), self.W2)  # [M, B, d_out]
        if hasattr(self, "b2"):
            out = out + self.b2[:, None]
        return out.squeeze(-1) if out.shape[-1] == 1 else out


def structured_embedding(kind: str, n_vocab: int, d: int, std: float, seed: int) -> torch.Tensor:
    """A token embedding [n_vocab, d] built from one random vector v ~ N(0, std^2) (MED App. E).

    "toeplitz": E[i, j] = v[i - j + d - 1], v of length n_vocab + d - 1 (constant diagonals; the
    public code's commented-out variant). "circulant": E[i, j] = v[(j - i) mod d], v of length d
    (row i is v rolled by i; rows repeat with period d). Either way E[i+1] is E[i] shifted by one
    place. v comes from its own generator (seed + 2^32), not from the init stream."""
    g = torch.Generator().manual_seed(seed + 2**32)
    i, j = torch.arange(n_vocab)[:, None], torch.arange(d)[None, :]
    if kind == "toeplitz":
        v = torch.randn(n_vocab + d - 1, generator=g, dtype=torch.float64) * std
        return v[i - j + d - 1]
    if kind == "circulant":
        v = torch.randn(d, generator=g, dtype=torch.float64) * std
        return v[(j - i) % d]
    raise ValueError(f"kind={kind!r} is invalid: allowed 'toeplitz', 'circulant'")


class Transformer(StackedModule):
    """Decoder-only transformer read out at the last position (Nanda et al. 2023 layout).

    Optional pre-LN (Grokfast/NeuralGrok). Init as Nanda: weights N(0, 1/d_model), W_U
    N(0, 1/n_classes). The last layer computes its query, MLP and unembedding only at the
    readout position: the loss reads nothing else."""

    def __init__(
        self,
        cfg: TransformerConfig,
        n_vocab: int,
        n_ctx: int,
        n_classes: int,
        seeds: Sequence[int],
        dtype: torch.dtype = torch.float32,
    ):
        d, s = cfg.d_model, 1 / math.sqrt(cfg.d_model)
        shapes = {"W_E": (n_vocab, d), "W_pos": (n_ctx, d)}
        for i in range(cfg.n_layers):
            shapes.update(
                {
                    f"{i}.W_Q": (d, d),
                    f"{i}.W_K": (d, d),
                    f"{i}.W_V": (d, d),
                    f"{i}.W_O": (d, d),
                    f"{i}.W_in": (d, cfg.d_mlp),
                    f"{i}.b_in": (cfg.d_mlp,),
                    f"{i}.W_out": (cfg.d_mlp, d),
                    f"{i}.b_out": (d,),
                }
            )
            if cfg.layer_norm:
                shapes.update(
                    {f"{i}.ln1_w": (d,), f"{i}.ln1_b": (d,), f"{i}.ln2_w": (d,), f"{i}.ln2_b": (d,)}
                )
        if cfg.layer_norm:
            shapes.update({"ln_f_w": (d,), "ln_f_b": (d,)})
        shapes["W_U"] = (d, n_classes)
        init = {
            n: (
                0.0
                if ("_b" in n or n.endswith("b_in") or n.endswith("b_out"))
                else -1.0
                if n.endswith("_w")
                else s
            )
            for n in shapes
        }
        # Nanda's code: W_U / sqrt(d_vocab) (its logits span the vocabulary); MED's: / sqrt(d_model)
        init["W_U"] = s if cfg.unembed_scale == "d_model" else 1 / math.sqrt(n_classes)
        params = _stack_init(seeds, shapes, init, dtype)
        if cfg.embed_init != "normal":  # the other tensors stay those of the "normal" init
            params["W_E"] = nn.Parameter(
                torch.stack(
                    [structured_embedding(cfg.embed_init, n_vocab, d, s, seed) for seed in seeds]
                ).to(dtype)
            )
        super().__init__({n.replace(".", "_"): p for n, p in params.items()})
        self.cfg = cfg

    def _p(self, i: int, name: str) -> torch.Tensor:
        return getattr(self, f"{i}_{name}")

    def _ln(self, x: torch.Tensor, w: str, b: str) -> torch.Tensor:
        if not self.cfg.layer_norm:
            return x
        shape = (x.shape[0],) + (1,) * (x.ndim - 2) + (x.shape[-1],)
        weight, bias = getattr(self, w), getattr(self, b)
        return F.layer_norm(x, x.shape[-1:]) * weight.view(shape) + bias.view(shape)

    def _qkv(self, i: int, h: torch.Tensor, read_out: bool) -> tuple[torch.Tensor, ...]:
        """Layer i's queries (only the last position when read_out), keys and values: [M,B,T,d]."""
        q = _mm(h[:, :, -1:] if read_out else h, self._p(i, "W_Q"))
        return q, _mm(h, self._p(i, "W_K")), _mm(h, self._p(i, "W_V"))

    def _layer0_lookup(self, tokens: torch.Tensor, read_out: bool) -> tuple[torch.Tensor, ...]:
        """Layer 0's residual, queries, keys and values looked up in tables over the V x T
        (token, position) pairs: everything before the first attention depends on the pair
        alone, so its projections are computed once per pair rather than once per example."""
        m, b, t = tokens.shape
        vocab = self.W_E.shape[1]
        table = self.W_E[:, :, None, :] + self.W_pos[:, None, :t, :]  # [M, V, T, d]
        q_tab, k_tab, v_tab = self._qkv(0, self._ln(table, "0_ln1_w", "0_ln1_b"), read_out)
        member = torch.arange(m, device=tokens.device).view(m, 1, 1)
        pair = (member * vocab + tokens) * t + torch.arange(t, device=tokens.device)  # [M, B, T]

        def look(tab: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
            return F.embedding(idx, tab.reshape(-1, tab.shape[-1]))

        q_idx = member * vocab + tokens[:, :, -1:] if read_out else pair  # q_tab: [M, V, 1, d]
        return look(table, pair), look(q_tab, q_idx), look(k_tab, pair), look(v_tab, pair)

    def _attend(
        self, i: int, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool
    ) -> torch.Tensor:
        """Multi-head attention from projected q [M,B,Tq,d], k and v [M,B,T,d], then W_O."""
        m, b, t, d = k.shape
        tq, nh, dh = q.shape[2], self.cfg.n_heads, self.cfg.d_head
        q = q.reshape(m, b, tq, nh, dh).transpose(2, 3)  # [M,B,H,Tq,dh]
        k = k.reshape(m, b, t, nh, dh).transpose(2, 3)  # [M,B,H,T,dh]
        v = v.reshape(m, b, t, nh, dh).transpose(2, 3)  # [M,B,H,T,dh]
        if tq == 1 and not causal:  # one read-out query: elementwise beats many tiny matmuls
            scores = (q * k).sum(-1, keepdim=True) / math.sqrt(dh)  # [M,B,H,T,1]
            z = (scores.softmax(-2) * v).sum(-2, keepdim=True)  # [M,B,H,1,dh]
        else:
            scores = q @ k.transpose(-1, -2) / math.sqrt(dh)  # [M,B,H,Tq,T]
            if causal:
                mask = torch.ones(tq, t, dtype=torch.bool, device=q.device).tril(t - tq)
                scores = scores.masked_fill(~mask, float("-inf"))
            z = scores.softmax(-1) @ v  # [M,B,H,Tq,dh]
        z = z.transpose(2, 3).reshape(m, b, tq, d)  # [M,B,Tq,d]
        return _mm(z, self._p(i, "W_O"))

    def _act(self, pre: torch.Tensor) -> torch.Tensor:
        return F.relu(pre) if self.cfg.act == "relu" else F.gelu(pre)

    def _mlp(self, i: int, x: torch.Tensor, keep: dict | None = None) -> torch.Tensor:
        pre = _mm(x, self._p(i, "W_in")) + self._p(i, "b_in").view(
            x.shape[0], *(1,) * (x.ndim - 2), -1
        )
        hidden = self._act(pre)  # [M, B, T, d_mlp]
        if keep is not None:
            keep[i] = hidden
        return _mm(hidden, self._p(i, "W_out")) + self._p(i, "b_out").view(
            x.shape[0], *(1,) * (x.ndim - 2), -1
        )

    def forward(self, tokens: torch.Tensor, keep: dict | None = None) -> torch.Tensor:
        """tokens [M, B, T] int64 -> logits at the last position [M, B, n_classes].
        keep: a dict that receives each layer's MLP activations {layer: [M, B, T, d_mlp]} (the
        last layer's only at the read-out position, T = 1)."""
        m, b, t = tokens.shape
        last = self.cfg.n_layers - 1
        if self.cfg.per_token_first and last > 0 and self.W_E.shape[1] <= b:
            return self._forward_per_token_first(tokens, keep)
        if self.W_E.shape[1] <= b:  # fewer (token, position) pairs than example positions
            x, q, k, v = self._layer0_lookup(tokens, read_out=last == 0)
        else:
            vocab = self.W_E.shape[1]
            member = torch.arange(m, device=tokens.device).view(m, 1, 1) * vocab
            x = (
                F.embedding(tokens + member, self.W_E.reshape(m * vocab, -1))
                + self.W_pos[:, None, :t]
            )
            q, k, v = self._qkv(
                0, self._ln(x, "0_ln1_w", "0_ln1_b"), read_out=last == 0
            )  # x: [M,B,T,d]
        for i in range(self.cfg.n_layers):
            if i > 0:
                q, k, v = self._qkv(i, self._ln(x, f"{i}_ln1_w", f"{i}_ln1_b"), read_out=i == last)
            if i < last:
                x = x + self._attend(i, q, k, v, causal=True)
            else:  # only the readout position from here on: [M, B, 1, d]
                x = x[:, :, -1:] + self._attend(i, q, k, v, causal=False)
            x = x + self._mlp(i, self._ln(x, f"{i}_ln2_w", f"{i}_ln2_b"), keep)
        x = self._ln(x[:, :, 0], "ln_f_w", "ln_f_b")  # [M, B, d]
        return _mm(x, self.W_U)  # [M, B, n_classes]

    # ---- TransformerConfig.per_token_first: the same function, computed with fewer FLOPs ----

    def _attend_short(
        self, i: int, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor
    ) -> torch.Tensor:
        """Causal attention of the last Tq of T positions, elementwise (for a context of a few
        tokens, thousands of 3x3 matmuls cost more than the products they hold), then W_O.
        q [M,B,Tq,d], k and v [M,B,T,d] -> [M,B,Tq,d]."""
        m, b, t, d = k.shape
        tq, nh, dh = q.shape[2], self.cfg.n_heads, self.cfg.d_head
        scores = (q.view(m, b, tq, 1, nh, dh) * k.view(m, b, 1, t, nh, dh)).sum(-1) / math.sqrt(
            dh
        )  # [M,B,Tq,T,H]
        mask = torch.ones(tq, t, dtype=torch.bool, device=q.device).tril(
            t - tq
        )  # query j sees keys <= its position
        w = scores.masked_fill(~mask.view(1, 1, tq, t, 1), float("-inf")).softmax(3)  # [M,B,Tq,T,H]
        z = (w.unsqueeze(-1) * v.view(m, b, 1, t, nh, dh)).sum(3)  # [M,B,Tq,H,dh]
        return _mm(z.reshape(m, b, tq, d), self._p(i, "W_O"))

    def _mlp_fused(self, i: int, x: torch.Tensor, keep: dict | None = None) -> torch.Tensor:
        """_mlp with the biases added inside the matmuls (baddbmm): a broadcast add over a
        [M, B, T, d_mlp] activation costs as much as the matmul on this CPU."""
        m, d = x.shape[0], x.shape[-1]
        hidden = self._act(
            torch.baddbmm(self._p(i, "b_in")[:, None], x.reshape(m, -1, d), self._p(i, "W_in"))
        )
        if keep is not None:
            keep[i] = hidden.view(*x.shape[:-1], -1)  # [M, B, T, d_mlp]
        return torch.baddbmm(self._p(i, "b_out")[:, None], hidden, self._p(i, "W_out")).view(
            x.shape
        )

    def _forward_per_token_first(self, tokens: torch.Tensor, keep: dict | None) -> torch.Tensor:
        """forward() with position 0 computed once per token: under the causal mask the first
        position attends only to itself, so up to the last layer its residual stream is a function
        of the first token alone ([M, V, 1, d] instead of [M, B, 1, d]: 113 rows instead of 512
        per member at batch 512). Positions 1..T-1 run per example; their keys and values at
        position 0 are gathered from the per-token stream. Same function as the plain path;
        float rounding differs (sums are grouped by token in the backward pass)."""
        m, b, t = tokens.shape
        vocab, last = self.W_E.shape[1], self.cfg.n_layers - 1
        member = torch.arange(m, device=tokens.device).view(m, 1)
        first = member * vocab + tokens[:, :, 0]  # [M, B]: row of each example's first token

        def gather(tab: torch.Tensor) -> torch.Tensor:  # [M, V, 1, d] -> [M, B, 1, d]
            return F.embedding(first, tab.reshape(m * vocab, -1)).unsqueeze(2)

        table = self.W_E[:, :, None, :] + self.W_pos[:, None, :t, :]  # [M, V, T, d]
        q_tab, k_tab, v_tab = self._qkv(0, self._ln(table, "0_ln1_w", "0_ln1_b"), read_out=False)
        pair = (member.unsqueeze(2) * vocab + tokens) * t + torch.arange(
            t, device=tokens.device
        )  # [M, B, T]

        def look(tab: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
            return F.embedding(idx, tab.reshape(-1, tab.shape[-1]))

        # position 0 needs no query: it attends to itself alone (weight 1 on its own value)
        z = table[:, :, :1]  # position 0 per token: [M, V, 1, d]
        x = look(table, pair[:, :, 1:])  # positions 1..T-1 per example: [M, B, T-1, d]
        kz, vz = k_tab[:, :, :1], v_tab[:, :, :1]
        qx, kx, vx = (
            look(q_tab, pair[:, :, 1:]),
            look(k_tab, pair[:, :, 1:]),
            look(v_tab, pair[:, :, 1:]),
        )
        for i in range(self.cfg.n_layers):
            if i > 0:
                hz = self._ln(z, f"{i}_ln1_w", f"{i}_ln1_b")
                kz, vz = _mm(hz, self._p(i, "W_K")), _mm(hz, self._p(i, "W_V"))
                qx, kx, vx = self._qkv(
                    i, self._ln(x, f"{i}_ln1_w", f"{i}_ln1_b"), read_out=i == last
                )
            k = torch.cat([gather(kz), kx], 2)  # [M, B, T, d]
            v = torch.cat([gather(vz), vx], 2)
            if i < last:
                x = x + self._attend_short(i, qx, k, v)
                z = z + _mm(vz, self._p(i, "W_O"))
                kz_mlp, kx_mlp = ({}, {}) if keep is not None else (None, None)
                z = z + self._mlp_fused(i, self._ln(z, f"{i}_ln2_w", f"{i}_ln2_b"), kz_mlp)
                x = x + self._mlp_fused(i, self._ln(x, f"{i}_ln2_w", f"{i}_ln2_b"), kx_mlp)
                if keep is not None:
                    keep[i] = torch.cat([gather(kz_mlp[i]), kx_mlp[i]], 2)  # [M, B, T, d_mlp]
            else:  # only the readout position from here on: [M, B, 1, d]
                x = x[:, :, -1:] + self._attend(i, qx, k, v, causal=False)
                x = x + self._mlp_fused(i, self._ln(x, f"{i}_ln2_w", f"{i}_ln2_b"), keep)
        x = self._ln(x[:, :, 0], "ln_f_w", "ln_f_b")  # [M, B, d]
        return _mm(x, self.W_U)  # [M, B, n_classes]


class Linear(StackedModule):
    """x -> x w (no bias), w [M, d_in, d_out]: the EGD §3 toy model."""

    def __init__(
        self,
        d_in: int,
        d_out: int,
        seeds: Sequence[int],
        init_std: float = 1.0,
        dtype: torch.dtype = torch.float64,
    ):
        super().__init__(_stack_init(seeds, {"w": (d_in, d_out)}, {"w": init_std}, dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.bmm(x, self.w)  # [M, B, d_out]
        return out.squeeze(-1) if out.shape[-1] == 1 else out
