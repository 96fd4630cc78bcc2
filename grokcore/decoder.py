"""The Grokfast / NeuralGrok decoder, as their public code builds it (a stacked model).

ironjr/grokfast main.py and Blackzxy/NeuralOptGrok src/model.py define the same `Decoder`
(../shared/notes/peer-code.md §1, §3). What sets it apart from a textbook pre-LN block:

- each block **overwrites its residual stream with ln_1(x)** before attention
  (x = ln_1(x); x = x + attn(x); x = x + mlp(ln_2(x))), so attention's residual carries the
  normalised stream, not x;
- attention is `nn.MultiheadAttention`: in-projection and out-projection biases;
- every tensor keeps PyTorch's default init: token and position embeddings N(0, 1), Linear
  weights and biases U(+-1/sqrt(fan_in)), the attention in-projection xavier-uniform over its
  [3d, d] matrix with zero bias, the out-projection zero bias, LayerNorm 1 and 0;
- GELU MLP d -> 4d -> d with biases, a final LayerNorm, a head without bias over **every token**
  (p + 2 logits at p = 97: the operator and '=' are classes too);
- position embeddings for the whole equation (seq_len = tokens read + the answer: 5 rows, 4 used).

At p = 97 it has 422,784 parameters (tests/unit/test_presets.py). Same function, fewer FLOPs:
layer 0 up to its attention depends on the (token, position) pair alone, so it is computed once
per pair (V x T rows) and gathered; the last layer computes its query, MLP, final LayerNorm and
head at the read-out position only (the loss reads nothing else).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import torch
import torch.nn.functional as F

from .config import KEY_OMITS_DEFAULT, ModelConfig, _check, _positive_int
from .models import StackedModule, _mm, _stack_init


@dataclass(frozen=True)
class DecoderConfig(ModelConfig):
    """The Grokfast / NeuralGrok code's decoder; defaults: Grokfast main.py
    (`Decoder(dim=128, num_layers=2, num_heads=4)`, MLP 4 x dim)."""

    n_layers: int = 2  # Grokfast main.py / NeuralGrok task1.sh
    d_model: int = 128  # Grokfast main.py `dim`
    n_heads: int = 4  # Grokfast main.py
    d_mlp: int = 512  # Grokfast main.py: dim * 4
    # the same function with fewer FLOPs and kernels, other float rounding (ours; off in the
    # sources' presets): the leading positions whose causal prefix holds one varying token (the
    # first operand, and the operator after it in the Grokfast format [x, op, y, =]) computed once
    # per vocabulary token through every layer, not once per example; attention over the few
    # positions as elementwise products, not B x n_heads tiny matmuls (GrokfastDecoder.forward)
    shortcuts: bool = field(default=False, metadata=KEY_OMITS_DEFAULT)

    reads = "tokens"

    def __post_init__(self) -> None:
        w = "DecoderConfig"
        _positive_int(
            w, n_layers=self.n_layers, d_model=self.d_model, n_heads=self.n_heads, d_mlp=self.d_mlp
        )
        _check(
            isinstance(self.shortcuts, bool),
            w,
            "shortcuts",
            self.shortcuts,
            "True or False",
        )
        _check(
            self.d_model % self.n_heads == 0,
            w,
            "n_heads",
            self.n_heads,
            f"a divisor of d_model={self.d_model}",
        )

    @property
    def d_head(self) -> int:
        return self.d_model // self.n_heads

    def build(self, run: Any, ds: Any, seeds: Any, dtype: Any) -> "GrokfastDecoder":
        return GrokfastDecoder(self, ds.n_vocab, ds.tokens.shape[1], seeds, dtype)


def torch_default_init(shapes: dict[str, tuple], d: int, d_mlp: int) -> dict[str, Any]:
    """PyTorch's default init of each Decoder tensor (names as GrokfastDecoder's)."""
    linear = ("uniform", 1 / math.sqrt(d))  # kaiming_uniform(a=sqrt(5)) = U(+-1/sqrt(fan_in))
    init: dict[str, Any] = {}
    for name in shapes:
        kind = name.split(".")[-1]
        if kind in ("W_E", "W_pos"):
            init[name] = 1.0  # nn.Embedding: N(0, 1)
        elif kind in ("W_Q", "W_K", "W_V"):  # xavier_uniform over in_proj_weight [3d, d]
            init[name] = ("uniform", math.sqrt(6 / (3 * d + d)))
        elif kind in ("b_Q", "b_K", "b_V", "b_O", "ln1_b", "ln2_b", "ln_f_b"):
            init[name] = 0.0  # MHA zeroes its biases; LayerNorm bias 0
        elif kind.endswith("_w"):
            init[name] = -1.0  # LayerNorm weight 1
        elif kind in ("W_out", "b_out"):
            init[name] = ("uniform", 1 / math.sqrt(d_mlp))  # fan_in = 4d
        else:  # W_O (out_proj weight), W_in, b_in, W_U: fan_in = d
            init[name] = linear
    return init


class GrokfastDecoder(StackedModule):
    """Stacked Decoder of the Grokfast / NeuralGrok code: tokens [M, B, T] -> logits over the
    whole vocabulary at the last position [M, B, V]."""

    def __init__(
        self,
        cfg: DecoderConfig,
        n_vocab: int,
        n_ctx: int,
        seeds: Sequence[int],
        dtype: torch.dtype = torch.float32,
    ):
        d, f = cfg.d_model, cfg.d_mlp
        # the code sizes positions for the whole equation: the tokens read plus the answer
        shapes: dict[str, tuple] = {"W_E": (n_vocab, d), "W_pos": (n_ctx + 1, d)}
        for i in range(cfg.n_layers):
            for name, shape in (
                ("ln1_w", (d,)),
                ("ln1_b", (d,)),
                ("ln2_w", (d,)),
                ("ln2_b", (d,)),
                ("W_Q", (d, d)),
                ("W_K", (d, d)),
                ("W_V", (d, d)),
                ("b_Q", (d,)),
                ("b_K", (d,)),
                ("b_V", (d,)),
                ("W_O", (d, d)),
                ("b_O", (d,)),
                ("W_in", (d, f)),
                ("b_in", (f,)),
                ("W_out", (f, d)),
                ("b_out", (d,)),
            ):
                shapes[f"{i}.{name}"] = shape
        shapes.update({"ln_f_w": (d,), "ln_f_b": (d,), "W_U": (d, n_vocab)})
        params = _stack_init(seeds, shapes, torch_default_init(shapes, d, f), dtype)
        super().__init__({n.replace(".", "_"): p for n, p in params.items()})
        self.cfg = cfg

    def _p(self, i: int, name: str) -> torch.Tensor:
        return getattr(self, f"{i}_{name}")

    def _ln(self, x: torch.Tensor, prefix: str) -> torch.Tensor:
        """nn.LayerNorm(d) (eps 1e-5) with member prefix's weight and bias; x [M, ..., d]."""
        shape = (x.shape[0],) + (1,) * (x.ndim - 2) + (x.shape[-1],)
        w, b = getattr(self, f"{prefix}_w"), getattr(self, f"{prefix}_b")
        return F.layer_norm(x, x.shape[-1:]) * w.view(shape) + b.view(shape)

    def _lin(self, i: int, x: torch.Tensor, w: str, b: str) -> torch.Tensor:
        """x [M, ..., a] @ W [M, a, c] + bias [M, c]."""
        bias = self._p(i, b).view(x.shape[0], *(1,) * (x.ndim - 2), -1)
        return _mm(x, self._p(i, w)) + bias

    def _qkv(self, i: int, h: torch.Tensor, last_only: bool) -> tuple[torch.Tensor, ...]:
        q = self._lin(i, h[:, :, -1:] if last_only else h, "W_Q", "b_Q")
        return q, self._lin(i, h, "W_K", "b_K"), self._lin(i, h, "W_V", "b_V")

    def _attend(self, i: int, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """Causal multi-head attention, then the out-projection. q [M,B,Tq,d] holds the last Tq
        of the T positions of k and v [M,B,T,d] -> [M,B,Tq,d]."""
        m, b, t, d = k.shape
        tq, nh, dh = q.shape[2], self.cfg.n_heads, self.cfg.d_head
        if self.cfg.shortcuts:  # T is a handful: products and sums, no per-(example, head) bmm
            q = q.reshape(m, b, tq, 1, nh, dh)
            scores = (q * k.reshape(m, b, 1, t, nh, dh)).sum(-1) / math.sqrt(dh)  # [M,B,Tq,T,H]
            if tq > 1:
                mask = torch.ones(tq, t, dtype=torch.bool, device=q.device).tril(t - tq)
                scores = scores.masked_fill(~mask[:, :, None], float("-inf"))
            a = scores.softmax(3)[..., None]  # [M,B,Tq,T,H,1]
            z = (a * v.reshape(m, b, 1, t, nh, dh)).sum(3).reshape(m, b, tq, d)  # [M,B,Tq,d]
            return self._lin(i, z, "W_O", "b_O")
        q = q.reshape(m, b, tq, nh, dh).transpose(2, 3)  # [M,B,H,Tq,dh]
        k = k.reshape(m, b, t, nh, dh).transpose(2, 3)  # [M,B,H,T,dh]
        v = v.reshape(m, b, t, nh, dh).transpose(2, 3)
        scores = q @ k.transpose(-1, -2) / math.sqrt(dh)  # [M,B,H,Tq,T]
        if tq > 1:  # the last position sees every key: no mask needed there
            mask = torch.ones(tq, t, dtype=torch.bool, device=q.device).tril(t - tq)
            scores = scores.masked_fill(~mask, float("-inf"))
        z = (scores.softmax(-1) @ v).transpose(2, 3).reshape(m, b, tq, d)  # [M,B,Tq,d]
        return self._lin(i, z, "W_O", "b_O")

    def _mlp(self, i: int, x: torch.Tensor, keep: dict | None) -> torch.Tensor:
        hidden = F.gelu(self._lin(i, x, "W_in", "b_in"))  # nn.GELU(): exact erf form
        if keep is not None:
            keep[i] = hidden
        return self._lin(i, hidden, "W_out", "b_out")

    def forward(self, tokens: torch.Tensor, keep: dict | None = None) -> torch.Tensor:
        """tokens [M, B, T] int64 -> logits [M, B, V]. keep: receives each layer's GELU
        activations {layer: [M, B, T, d_mlp]} (the last layer's at the read-out position only)."""
        m, b, t = tokens.shape
        vocab, last = self.W_E.shape[1], self.cfg.n_layers - 1
        # layer 0 through its q, k, v: per (token, position) pair, [M, V, T, d]
        table = self._ln(self.W_E[:, :, None] + self.W_pos[:, None, :t], "0_ln1")
        q_tab, k_tab, v_tab = self._qkv(0, table, last_only=False)
        member = torch.arange(m, device=tokens.device).view(m, 1, 1)

        def look(tok: torch.Tensor, at: int = 0) -> tuple[torch.Tensor, ...]:
            """Layer 0's x = ln_1(embeddings), q, k, v of tokens [M, R, S] at positions at.. ."""
            pos = torch.arange(at, at + tok.shape[-1], device=tok.device)
            pair = (member * vocab + tok) * t + pos  # [M, R, S]
            return tuple(
                F.embedding(pair, tab.reshape(-1, tab.shape[-1]))  # [M, R, S, d]
                for tab in (table, q_tab, k_tab, v_tab)
            )

        n_pre = self._prefix_len(tokens) if keep is None and vocab < b else 0
        if n_pre:  # the prefix rows: every token at position 0, then the constant tokens
            first = torch.arange(vocab, device=tokens.device)[:, None]  # [V, 1]
            rows = torch.cat([first, tokens[0, 0, 1:n_pre].expand(vocab, -1)], 1)
            xp, qp, kp, vp = look(rows.expand(m, vocab, n_pre))  # [M, V, P, d]
            which = member[:, :, 0] * vocab + tokens[:, :, 0]  # [M, B]: each example's prefix row

            def per_example(tab: torch.Tensor) -> torch.Tensor:  # [M, V, P, d] -> [M, B, P, d]
                return F.embedding(which, tab.reshape(m * vocab, -1)).view(m, b, n_pre, -1)

        x, q, k, v = look(tokens[:, :, n_pre:], n_pre)  # the per-example positions [M, B, S, d]
        for i in range(self.cfg.n_layers):
            if i > 0:
                x = self._ln(x, f"{i}_ln1")  # the block overwrites its residual stream
                q, k, v = self._qkv(i, x, last_only=i == last)
                if n_pre:
                    xp = self._ln(xp, f"{i}_ln1")
                    qp, kp, vp = self._qkv(i, xp, last_only=False)
            if n_pre:  # keys and values of all T positions: the prefix's gathered per example
                k, v = torch.cat([per_example(kp), k], 2), torch.cat([per_example(vp), v], 2)
                if i < last:  # the last layer reads the prefix's keys and values only
                    xp = xp + self._attend(i, qp, kp, vp)
                    xp = xp + self._mlp(i, self._ln(xp, f"{i}_ln2"), None)
            if i == last:  # only the read-out position from here on: [M, B, 1, d]
                x, q = x[:, :, -1:], q[:, :, -1:]
            x = x + self._attend(i, q, k, v)
            x = x + self._mlp(i, self._ln(x, f"{i}_ln2"), keep)
        return _mm(self._ln(x[:, :, -1], "ln_f"), self.W_U)  # [M, B, V]

    @torch.compiler.disable  # a data-dependent branch: under RunConfig.compile it runs eagerly
    def _prefix_len(self, tokens: torch.Tensor) -> int:
        """DecoderConfig.shortcuts: how many leading positions depend on the first token
        alone (1 + the constant columns after it, never the read-out position); 0 when off."""
        if not self.cfg.shortcuts:
            return 0
        n = 1
        while n < tokens.shape[2] - 1 and bool((tokens[..., n] == tokens[0, 0, n]).all()):
            n += 1
        return n
