"""Hanson's one-layer transformer, as tlh24/fastgrok's `GrokkingTransformer` builds it (stacked).

From ../shared/notes/peer-code.md §5 (fastgrok.py, commit 5fca23b):

- tokens [a, b, '='] with '=' = p (vocabulary p + 1); logits over p classes, read at '=';
- token embedding N(0, 0.02^2); rotary position embeddings on queries and keys (the
  rotary-embedding-torch defaults: theta 10000, interleaved pairs, positions 0, 1, 2) or, with
  `rope=False`, a learned 3-position embedding N(0, 0.02^2) added to the tokens;
- ln1 before attention (when `layer_norm`), W_q, W_k, W_v without bias; the attention output is
  **not** projected (the code defines W_o and never uses it, so it never changes and is left out
  here: 64 x 64 = 4,096 parameters fewer than the code's count);
- h = e + context; **the MLP reads ln2(context), not ln2(h)**; MLP d -> 4d (ReLU or square)
  -> d, biases optional; h = h + mlp; logits = h[-1] W_out + b_out with W_out N(0, 1/d);
- the other Linear tensors keep PyTorch's default U(+-1/sqrt(fan_in)).

Same function, fewer FLOPs: only the read-out position's query, context and MLP are computed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import torch
import torch.nn.functional as F

from .config import ModelConfig, _check, _choice, _positive_int
from .models import StackedModule, _mm, _stack_init


@dataclass(frozen=True)
class FastgrokConfig(ModelConfig):
    """fastgrok.py's GrokkingTransformer; defaults: its `run_experiment_batch_size()` (the
    minibatch-effect runs: d 64, 1 head, LayerNorm on, no MLP bias, ReLU, RoPE)."""

    d_model: int = 64  # fastgrok.py train_model(d=64)
    n_heads: int = 1  # fastgrok.py GrokkingTransformer(n_heads=1)
    layer_norm: bool = True  # run_experiment_batch_size: use_norm=True
    mlp_bias: bool = False  # run_experiment_batch_size: mlp_bias=False
    act: str = "relu"  # fastgrok.py mlp_act: "relu" | "quadratic"
    rope: bool = True  # fastgrok.py USE_ROPE = True; False: learned positions

    reads = "tokens"

    def __post_init__(self) -> None:
        w = "FastgrokConfig"
        _positive_int(w, d_model=self.d_model, n_heads=self.n_heads)
        _check(
            self.d_model % self.n_heads == 0,
            w,
            "n_heads",
            self.n_heads,
            f"a divisor of d_model={self.d_model}",
        )
        _check(self.d_head % 2 == 0, w, "n_heads", self.n_heads, "one leaving an even head width")
        _choice(w, "act", self.act, ("relu", "quadratic"))

    @property
    def d_head(self) -> int:
        return self.d_model // self.n_heads

    def build(self, run: Any, ds: Any, seeds: Any, dtype: Any) -> "FastgrokTransformer":
        return FastgrokTransformer(self, ds.n_vocab, ds.tokens.shape[1], ds.n_classes, seeds, dtype)


def rope_angles(n_pos: int, d_head: int, theta: float = 10000.0) -> torch.Tensor:
    """Rotation angle of each position and pair [n_pos, d_head / 2]: position * theta^(-2i/d)."""
    inv = theta ** (-torch.arange(0, d_head, 2, dtype=torch.float64) / d_head)
    return torch.arange(n_pos, dtype=torch.float64)[:, None] * inv


def rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate interleaved pairs (x[2i], x[2i+1]) by the angles; x [..., T, H, dh], cos/sin
    [T, 1, dh/2]."""
    pairs = x.unflatten(-1, (-1, 2))  # [..., T, H, dh/2, 2]
    a, b = pairs[..., 0], pairs[..., 1]
    return torch.stack((a * cos - b * sin, b * cos + a * sin), -1).flatten(-2)


class FastgrokTransformer(StackedModule):
    """Stacked GrokkingTransformer: tokens [M, B, T] -> logits [M, B, n_classes]."""

    def __init__(
        self,
        cfg: FastgrokConfig,
        n_vocab: int,
        n_ctx: int,
        n_classes: int,
        seeds: Sequence[int],
        dtype: torch.dtype = torch.float32,
    ):
        d, f = cfg.d_model, 4 * cfg.d_model
        lin, lin_f = ("uniform", 1 / math.sqrt(d)), ("uniform", 1 / math.sqrt(f))
        spec: dict[str, tuple[tuple, Any]] = {"W_E": ((n_vocab, d), 0.02)}
        if not cfg.rope:
            spec["W_pos"] = ((n_ctx, d), 0.02)
        spec.update({"W_Q": ((d, d), lin), "W_K": ((d, d), lin), "W_V": ((d, d), lin)})
        if cfg.layer_norm:
            spec.update({"ln1_w": ((d,), -1.0), "ln1_b": ((d,), 0.0)})
            spec.update({"ln2_w": ((d,), -1.0), "ln2_b": ((d,), 0.0)})
        spec["W_in"] = ((d, f), lin)
        if cfg.mlp_bias:
            spec["b_in"] = ((f,), lin)
        spec["W_out"] = ((f, d), lin_f)
        if cfg.mlp_bias:
            spec["b_out"] = ((d,), lin_f)
        spec.update({"W_U": ((d, n_classes), 1 / math.sqrt(d)), "b_U": ((n_classes,), lin)})
        shapes = {n: s for n, (s, _) in spec.items()}
        super().__init__(_stack_init(seeds, shapes, {n: i for n, (_, i) in spec.items()}, dtype))
        self.cfg = cfg
        angles = rope_angles(n_ctx, cfg.d_head)[:, None, :]  # [T, 1, dh/2]
        self.register_buffer("cos", angles.cos().to(dtype), persistent=False)
        self.register_buffer("sin", angles.sin().to(dtype), persistent=False)

    def _ln(self, x: torch.Tensor, name: str) -> torch.Tensor:
        if not self.cfg.layer_norm:
            return x
        shape = (x.shape[0],) + (1,) * (x.ndim - 2) + (x.shape[-1],)
        w, b = getattr(self, f"{name}_w"), getattr(self, f"{name}_b")
        return F.layer_norm(x, x.shape[-1:]) * w.view(shape) + b.view(shape)

    def _bias(self, name: str, x: torch.Tensor) -> torch.Tensor | float:
        if not self.cfg.mlp_bias:
            return 0.0
        return getattr(self, name).view(x.shape[0], *(1,) * (x.ndim - 2), -1)

    def forward(self, tokens: torch.Tensor, keep: dict | None = None) -> torch.Tensor:
        """tokens [M, B, T] -> logits at the last position [M, B, n_classes]. keep: receives the
        MLP activations {0: [M, B, 1, 4d]} at the read-out position."""
        m, b, t = tokens.shape
        vocab, nh, dh = self.W_E.shape[1], self.cfg.n_heads, self.cfg.d_head
        member = torch.arange(m, device=tokens.device).view(m, 1, 1) * vocab
        e = F.embedding(tokens + member, self.W_E.reshape(m * vocab, -1))  # [M, B, T, d]
        if not self.cfg.rope:
            e = e + self.W_pos[:, None, :t]
        x = self._ln(e, "ln1")
        q = _mm(x[:, :, -1:], self.W_Q).view(m, b, 1, nh, dh)  # the read-out query only
        k = _mm(x, self.W_K).view(m, b, t, nh, dh)
        v = _mm(x, self.W_V).view(m, b, t, nh, dh)
        if self.cfg.rope:
            q = rotate(q, self.cos[t - 1 : t], self.sin[t - 1 : t])
            k = rotate(k, self.cos[:t], self.sin[:t])
        scores = (q * k).sum(-1) / math.sqrt(dh)  # [M, B, T, H]: the last query sees every key
        context = (scores.softmax(2).unsqueeze(-1) * v).sum(2).reshape(m, b, 1, -1)  # [M,B,1,d]
        hidden = _mm(self._ln(context, "ln2"), self.W_in) + self._bias("b_in", context)
        hidden = F.relu(hidden) if self.cfg.act == "relu" else hidden.square()  # [M, B, 1, 4d]
        if keep is not None:
            keep[0] = hidden
        mlp = _mm(hidden, self.W_out) + self._bias("b_out", context)
        h = e[:, :, -1] + context[:, :, 0] + mlp[:, :, 0]  # [M, B, d]
        return _mm(h, self.W_U) + self.b_U[:, None]  # [M, B, n_classes]
