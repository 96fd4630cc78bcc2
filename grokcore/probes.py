"""grokcore's own probes: gradient spectra (RunConfig.spectrum_of), absolute weight and gradient
entropies (RunConfig.log_entropy) and the token embedding's Fourier summary
("embedding_fourier" in RunConfig.probes). Each is a Hook (grokcore.hooks)."""

from __future__ import annotations

import torch

from .fourier import embedding_probe
from .hooks import Context, Hook, eval_probe, register_probe


def spectrum_stats(g: torch.Tensor) -> dict[str, torch.Tensor]:
    """Largest and smallest nonzero singular value, condition number and rank of each member's
    matrix g [M, a, b]. Nonzero: above the Moore-Penrose cut-off max(shape) * eps * s_max of g's
    dtype (a token absent from a batch leaves a zero row in the MLP's first-layer gradient)."""
    s = torch.linalg.svdvals(g.detach().double())  # [M, min(a, b)], descending
    tol = max(g.shape[-2:]) * torch.finfo(g.dtype).eps * s[:, :1]
    kept = torch.where(s > tol, s, torch.full_like(s, float("inf")))
    smin = kept.amin(1)
    return {
        "smax": s[:, 0],
        "smin": smin,
        "cond": s[:, 0] / smin,
        "rank": (s > tol).sum(1).double(),
    }


class Spectrum(Hook):
    """Spectra of the named matrices' raw gradient ("grad_*") and of the update the optimizer
    receives ("update_*") at each update that follows an evaluation (EGD Fig. 4)."""

    resumable = True  # its log is its state

    def __init__(self, names) -> None:
        keys = tuple(
            f"{kind}_{stat}_{n}"
            for n in names
            for kind in ("grad", "update")
            for stat in ("smax", "smin", "cond", "rank")
        )
        self.grids = {"spectrum_step": ("update", keys)}
        super().__init__()
        self.names = tuple(names)

    def setup(self, ctx: Context) -> None:
        matrices = ctx.model.matrices()
        bad = sorted(set(self.names) - set(matrices))
        if bad:
            raise ValueError(
                f"RunConfig.spectrum_of={bad} are not weight matrices; allowed: {matrices}"
            )

    def at_update(self, ctx: Context) -> None:
        values = {}
        for n in self.names:
            for kind, g in (("grad", ctx.raw[n]), ("update", ctx.grads[n])):
                values.update({f"{kind}_{stat}_{n}": v for stat, v in spectrum_stats(g).items()})
        self.record("spectrum_step", ctx.step, values)


def abs_entropy(tensors) -> torch.Tensor:
    """Absolute entropy -sum |x| ln |x| over all entries of all tensors, per member: [M]
    (Golechha 2024 AWE on weights; NeuralGrok eq. 4 AGE on gradients; 0 ln 0 = 0)."""
    return sum(
        torch.special.xlogy(a, a).flatten(1).sum(1).neg()
        for a in (t.detach().double().abs() for t in tensors)
    )


class Entropy(Hook):
    """AWE of the weights before the step, AGE of the raw gradient and of the update, at each
    update that follows an evaluation (NeuralGrok §4)."""

    grids = {"entropy_step": ("update", ("awe", "age_raw", "age_update"))}
    resumable = True  # its log is its state

    def at_update(self, ctx: Context) -> None:
        self.record(
            "entropy_step",
            ctx.step,
            {
                "awe": abs_entropy(ctx.params.values()),
                "age_raw": abs_entropy(ctx.raw.values()),
                "age_update": abs_entropy(ctx.grads.values()),
            },
        )


def _needs_transformer(cfg) -> str | None:
    from .config import TransformerConfig

    return (
        None
        if isinstance(cfg.model, TransformerConfig)
        else "() for an MLP (the probe reads a Transformer's embedding)"
    )


register_probe("embedding_fourier", eval_probe(embedding_probe), _needs_transformer)
register_probe("spectrum", lambda cfg: Spectrum(cfg.spectrum_of))
register_probe("entropy", lambda cfg: Entropy())


def config_hooks(cfg) -> list[Hook]:
    """The hooks a RunConfig asks for: its spectra, entropies and named probes, in that order."""
    from .hooks import resolve_probe

    names = (("spectrum",) if cfg.spectrum_of else ()) + (("entropy",) if cfg.log_entropy else ())
    return [resolve_probe(n).make(cfg) for n in names + tuple(cfg.probes)]
