"""MED, the "main embedding diff" of Gu et al. 2025 ("Beyond Progress Measures", chapter 5), and
the probe that logs it during training.

MED (MED Def. 4.2), as grokcore defines it: for a token embedding E [V, d] (row t = token t) of a
task mod p whose second operand's tokens are j + shift,

    MED(E) = mean_{i=0..p-2} ||E[i+1] - E[i]||_2                              (shift = 0)
    MED(E) = 1/2 (mean_i ||E[i+1] - E[i]||_2 + mean_i ||E[d+i+1] - E[d+i]||_2)  (shift = d > 0)

on the raw embedding (no normalization by its scale), p - 1 differences per operand block. The
public code (Qihuai27/Grokking-Insight) normalizes it three ways in three files and stops one
difference short (p - 2 per block); `med_public` reproduces each exactly, and the unit tests
show they differ from one another by constant factors (1, 2 and 2 (p - 1)).
"""

from __future__ import annotations

import torch

from grokcore.config import TransformerConfig
from grokcore.hooks import Hook, Probe

PUBLIC_VARIANTS = {
    "base": "transformer/base.py, MLP/*.py",
    "str": "transformer/str.py",
    "rec": "transformer/rec.py",
}


def _block_mean(E: torch.Tensor, start: int, stop: int) -> torch.Tensor:
    """Mean over t in [start, stop - 1) of ||E[t+1] - E[t]||_2; E [..., V, d] -> [...]."""
    return (E[..., start + 1 : stop, :] - E[..., start : stop - 1, :]).norm(dim=-1).mean(-1)


def med(E: torch.Tensor, p: int, shift: int = 0) -> torch.Tensor:
    """grokcore's MED of E [..., V, d] (rows are tokens); [...] (one value per member)."""
    first = _block_mean(E, 0, p)
    if not shift:
        return first
    return 0.5 * (first + _block_mean(E, shift, shift + p))


def med_public(E: torch.Tensor, p: int, shift: int = 0, variant: str = "base") -> torch.Tensor:
    """MED exactly as the public code's `calculate_embedding_diff(W_E, 0, p-1, d, d+p-1)`.

    Its ranges stop at b - 1 = p - 2 (p - 2 differences per block). "base": 1/2 (m1 + m2);
    "str": m1 + m2; "rec": (b - a) m1 + (d - c) m2 = (p - 1)(m1 + m2). E [..., V, d], rows tokens
    (the code stores W_E transposed, [d, V]; the norms are the same)."""
    a, b, c, d = 0, p - 1, shift, shift + p - 1
    m1, m2 = _block_mean(E, a, b), _block_mean(E, c, d)
    if variant == "base":
        return 0.5 * (m1 + m2)
    if variant == "str":
        return m1 + m2
    if variant == "rec":
        return (b - a) * m1 + (d - c) * m2
    allowed = ", ".join(map(repr, PUBLIC_VARIANTS))
    raise ValueError(f"variant={variant!r} is invalid: allowed {allowed}")


class _MEDProbe(Hook):
    """Logs "med", the MED of the token embedding, per member at every evaluation."""

    def __init__(self, p: int, shift: int) -> None:
        super().__init__()
        self.p, self.shift = p, shift

    @torch.inference_mode()
    def at_eval(self, ctx) -> dict[str, torch.Tensor]:
        return {"med": med(ctx.model.W_E.detach().double().cpu(), self.p, self.shift)}  # [M]


# RunConfig.probes entry: MED of the token embedding at every evaluation. The name is part of
# every chapter-5 config key, so moving MED_PROBE means new keys (and reruns).
MED_PROBE_NAME = "chapters.med.med:MED_PROBE"
MED_PROBE = Probe(
    lambda cfg: _MEDProbe(cfg.task.p, cfg.task.shift),
    lambda cfg: None
    if isinstance(cfg.model, TransformerConfig)
    else "() unless the model is a TransformerConfig (MED reads its token embedding)",
)
