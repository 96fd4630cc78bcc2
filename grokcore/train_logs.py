"""What train_stack logs besides losses and accuracies: chapter metrics named by
RunConfig.track (MED), gradient spectra (RunConfig.spectrum_of) and absolute weight/gradient
entropies (RunConfig.log_entropy). Each function appends to the history dict it is given."""
from __future__ import annotations

import torch

from .config import RunConfig
from .models import StackedModule


@torch.inference_mode()
def tracked(cfg: RunConfig, model: StackedModule) -> dict[str, torch.Tensor]:
    """The extra per-member metrics cfg.track names, each [M] on the CPU."""
    out = {}
    if "med" in cfg.track:  # MED paper Def. 4.2, from the token embedding (chapter 5)
        from .med import med

        out["med"] = med(model.W_E.detach().double().cpu(), cfg.task.p, cfg.task.shift)
    return out


def log_spectrum(spec: dict, step: int, raw: dict, used: dict, names) -> None:
    """Largest and smallest nonzero singular value, condition number and rank of each named
    matrix's raw gradient ("grad") and of the update the optimizer received ("update"), per
    member. Nonzero: above the Moore-Penrose cut-off max(shape) * eps * s_max of the gradient's
    dtype (a token absent from a batch leaves a zero row in the MLP's first-layer gradient)."""
    spec["spectrum_step"].append(step)
    for n in names:
        for kind, g in (("grad", raw[n]), ("update", used[n])):
            s = torch.linalg.svdvals(g.detach().double())  # [M, min(rows, cols)], descending
            tol = max(g.shape[-2:]) * torch.finfo(g.dtype).eps * s[:, :1]
            kept = torch.where(s > tol, s, torch.full_like(s, float("inf")))
            smin = kept.amin(1)
            for stat, v in (("smax", s[:, 0]), ("smin", smin), ("cond", s[:, 0] / smin),
                            ("rank", (s > tol).sum(1).double())):
                spec.setdefault(f"{kind}_{stat}_{n}", []).append(v.tolist())


def abs_entropy(tensors) -> torch.Tensor:
    """Absolute entropy -sum |x| ln |x| over all entries of all tensors, per member: [M]
    (Golechha 2024 AWE on weights; NeuralGrok eq. 4 AGE on gradients; 0 ln 0 = 0)."""
    return sum(torch.special.xlogy(a, a).flatten(1).sum(1).neg()
               for a in (t.detach().double().abs() for t in tensors))


def log_entropy(ent: dict, step: int, params: dict, raw: dict, used: dict) -> None:
    """AWE of the weights before the step, AGE of the raw gradient and of the update."""
    ent["entropy_step"].append(step)
    for k, ts in (("awe", params.values()), ("age_raw", raw.values()), ("age_update", used.values())):
        ent.setdefault(k, []).append(abs_entropy(ts).tolist())
