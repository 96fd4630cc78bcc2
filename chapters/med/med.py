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

EVAL_CHUNK = 2048  # test pairs per member per forward pass of the hole/rest accuracies

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
    """Logs per member at every evaluation: "med", the MED of the token embedding; "med_sd", the
    sd of the consecutive differences MED averages (their spread: equal spacing gives 0); and
    for a SQUARE or STRIP layout "hole_acc" and "rest_acc", the accuracy on the held-out hole
    and on the other test pairs (NaN where a part is empty)."""

    resumable = True  # its log is its state: setup recomputes the hole (grokcore.checkpoint)

    def __init__(self, task) -> None:
        super().__init__()
        self.p, self.shift, self.task = task.p, task.shift, task
        self.hole = None  # [M, n_test] bool: which test pairs lie in the hole (layouts only)

    def setup(self, ctx) -> None:
        if self.task.layout == "random":
            return
        x, y = ctx.data.first.inputs.unbind(1)  # [N] operands: the same for every member
        k = self.task.hole
        in_hole = (x <= k) & (y <= k) if self.task.layout == "square" else x <= k
        self.hole = in_hole.to(ctx.data.test_idx.device)[ctx.data.test_idx]  # [M, n_test]

    @torch.inference_mode()
    def at_eval(self, ctx) -> dict[str, torch.Tensor]:
        E = ctx.model.W_E.detach().double().cpu()  # [M, V, d]
        d = (E[:, 1 : self.p] - E[:, : self.p - 1]).norm(dim=-1)  # [M, p - 1]
        if self.shift:
            s, p = self.shift, self.p
            d = torch.cat([d, (E[:, s + 1 : s + p] - E[:, s : s + p - 1]).norm(dim=-1)], dim=-1)
        out = {"med": med(E, self.p, self.shift), "med_sd": d.std(dim=-1, unbiased=False)}
        if self.hole is not None:
            idx = ctx.data.test_idx
            right = torch.cat(
                [
                    (ctx.model(x).argmax(-1) == y).double().cpu()  # [M, chunk]
                    for x, y in (
                        ctx.data.batch(idx[:, j : j + EVAL_CHUNK])
                        for j in range(0, idx.shape[1], EVAL_CHUNK)
                    )
                ],
                dim=1,
            )  # [M, n_test]
            hole = self.hole.cpu().double()
            out["hole_acc"] = (right * hole).sum(1) / hole.sum(1)  # NaN: no hole pair
            out["rest_acc"] = (right * (1 - hole)).sum(1) / (1 - hole).sum(1)
        return out


# RunConfig.probes entry: MED of the token embedding at every evaluation. The name is part of
# every chapter-5 config key, so moving MED_PROBE means new keys (and reruns).
MED_PROBE_NAME = "chapters.med.med:MED_PROBE"
MED_PROBE = Probe(
    lambda cfg: _MEDProbe(cfg.task),
    lambda cfg: None
    if isinstance(cfg.model, TransformerConfig)
    else "() unless the model is a TransformerConfig (MED reads its token embedding)",
)
