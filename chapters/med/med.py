"""MED paper (Gu et al. 2025, "Beyond Progress Measures"): MED, train-set layouts, coverage (chapter 5).

MED, the "main embedding diff" (MED Def. 4.2), as grokcore defines it: for a token embedding E
[V, d] (row t = token t) of a task mod p whose second operand's tokens are j + shift,

    MED(E) = mean_{i=0..p-2} ||E[i+1] - E[i]||_2                              (shift = 0)
    MED(E) = 1/2 (mean_i ||E[i+1] - E[i]||_2 + mean_i ||E[d+i+1] - E[d+i]||_2)  (shift = d > 0)

on the raw embedding (no normalization by its scale), p - 1 differences per operand block. The
public code (Qihuai27/Grokking-Insight) normalizes it three ways in three files and stops one
difference short (p - 2 per block); `med_public` reproduces each exactly, and the unit tests
show they differ from one another by constant factors (1, 2 and 2 (p - 1)).
"""
from __future__ import annotations

import math
from typing import Sequence

import torch

from grokcore.config import ModularTask, OptimConfig, RunConfig, TransformerConfig
from grokcore.hooks import Hook, Probe

PUBLIC_VARIANTS = {"base": "transformer/base.py, MLP/*.py", "str": "transformer/str.py",
                   "rec": "transformer/rec.py"}


def _block_mean(E: torch.Tensor, start: int, stop: int) -> torch.Tensor:
    """Mean over t in [start, stop - 1) of ||E[t+1] - E[t]||_2; E [..., V, d] -> [...]."""
    return (E[..., start + 1:stop, :] - E[..., start:stop - 1, :]).norm(dim=-1).mean(-1)


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
    raise ValueError(f"variant={variant!r} is invalid: allowed " + ", ".join(map(repr, PUBLIC_VARIANTS)))


class _MEDProbe(Hook):
    def __init__(self, p: int, shift: int) -> None:
        super().__init__()
        self.p, self.shift = p, shift

    @torch.inference_mode()
    def at_eval(self, ctx) -> dict[str, torch.Tensor]:
        return {"med": med(ctx.model.W_E.detach().double().cpu(), self.p, self.shift)}  # [M]


# RunConfig.probes name "chapters.med.med:MED_PROBE": MED of the token embedding at every evaluation
MED_PROBE = Probe(lambda cfg: _MEDProbe(cfg.task.p, cfg.task.shift),
                  lambda cfg: None if isinstance(cfg.model, TransformerConfig)
                  else "() unless the model is a TransformerConfig (MED reads its token embedding)")


# ---- Theorem 3.12: how much training data covers the grid ------------------------------------

def ball_size(n: int) -> int:
    """C: grid points at Manhattan distance < n from a point (|dx| + |dy| <= n - 1), 2n^2 - 2n + 1."""
    return 2 * n * n - 2 * n + 1


def coverage_bound(p: int, n: int) -> float:
    """MED Thm. 3.12: the training fraction r at which the expected number of pairs with no
    training pair within Manhattan distance < n falls to 1, p^2 (1 - C/p^2)^(r p^2) = 1, with
    log(1 - x) ~ -x: r = 2 ln(p) / C."""
    return 2 * math.log(p) / ball_size(n)


def uncovered(train_mask: torch.Tensor, p: int, n: int) -> torch.Tensor:
    """Pairs farther than n - 1 (Manhattan, on the torus Z_p^2) from every training pair.

    train_mask [..., p, p] bool -> [...] counts. Covered = the mask dilated n - 1 times by the
    cross {(0, 0), (+-1, 0), (0, +-1)}, which is its dilation by the Manhattan ball of radius n - 1."""
    covered = train_mask
    for _ in range(n - 1):
        covered = (covered | covered.roll(1, -2) | covered.roll(-1, -2) | covered.roll(1, -1)
                   | covered.roll(-1, -1))
    return (~covered).flatten(-2).sum(-1)


def coverage_monte_carlo(p: int, n: int, fracs: Sequence[float], trials: int, seed: int = 0) -> dict:
    """For each training fraction, over `trials` random training sets of int(frac p^2) pairs:
    the mean number of uncovered pairs and the probability that every pair is covered."""
    g = torch.Generator().manual_seed(seed)
    mean, full = [], []
    for r in fracs:
        k = int(r * p * p)
        idx = torch.rand(trials, p * p, generator=g).argsort(1)[:, :k]  # [trials, k] random subsets
        mask = torch.zeros(trials, p * p, dtype=torch.bool).scatter_(1, idx, True).view(trials, p, p)
        u = uncovered(mask, p, n).double()
        mean.append(u.mean().item())
        full.append((u == 0).double().mean().item())
    return {"frac": list(fracs), "mean_uncovered": mean, "p_full": full}


def threshold_fraction(fracs: Sequence[float], mean_uncovered: Sequence[float]) -> float:
    """The fraction at which the mean number of uncovered pairs crosses 1 (log-linear interpolation)."""
    pts = list(zip(fracs, mean_uncovered))
    for (r0, u0), (r1, u1) in zip(pts, pts[1:]):
        if u0 >= 1 > u1:
            if u1 <= 0:
                return r1
            t = math.log(u0) / (math.log(u0) - math.log(u1))
            return r0 + t * (r1 - r0)
    return math.nan


# ---- Configs: the public code's setup (MED §6.1 and peer notes) --------------------------------

SCALES = {  # a notebook parameter left as None takes these
    "smoke": {"p": 23, "d_model": 32, "lr": 3e-3, "frac_train": 0.5, "seeds": 2, "num_steps": 60,
              "eval_every": 20, "square_holes": [60], "strip_holes": [67], "d_models": [16, 32],
              "layers": [1, 2], "mc_trials": 10},
    "cpu": {"p": 41, "d_model": 64, "lr": 3e-3, "frac_train": 0.5, "seeds": 3, "num_steps": 1500,
            "eval_every": 25, "square_holes": [30, 60], "strip_holes": [40, 67],
            "d_models": [32, 64], "layers": [1, 2], "mc_trials": 200},
    "paper": {"p": 97, "d_model": 128, "lr": 1e-3, "frac_train": 0.3, "seeds": 3, "num_steps": 30_000,
              "eval_every": 100, "square_holes": [30, 35, 40, 45, 50, 55, 60],
              "strip_holes": [40, 50, 60, 67], "d_models": [128, 512], "layers": [1, 2, 3],
              "mc_trials": 2000},  # MED code: 30000 epochs, full batch, p = 97, 30% train
}
# MED Table 1 (p = 97, 30% train): (layout, k) -> (U-Acc %, L-Acc %, GO-Epoch or None = "disappear")
TABLE1 = {("square", 30): (99.04, 91.27, 1500), ("square", 35): (91.07, 80.73, 1500),
          ("square", 40): (84.50, 81.68, 1700), ("square", 45): (79.03, 76.07, 1900),
          ("square", 50): (77.39, 66.02, 3400), ("square", 55): (62.09, 57.69, 2600),
          ("square", 60): (57.31, 55.18, 2200), ("strip", 67): (7.56, 3.58, None),
          ("strip", 60): (33.25, 17.05, 900), ("strip", 50): (80.10, 73.61, 1600),
          ("strip", 40): (89.89, 84.80, 1300)}
PAPER_P = 97
MED_PROBE_NAME = "chapters.med.med:MED_PROBE"


def scaled_hole(k: int, p: int) -> int:
    """The paper's hole k at p = 97 scaled to modulus p so that the hole's side k + 1 keeps its
    share of p: round((k + 1) p / 97) - 1."""
    return max(0, round((k + 1) * p / PAPER_P) - 1)


def config(p: int, *, operation: str = "x+y", d_model: int = 128, n_layers: int = 1,
           embed_init: str = "normal", layout: str = "random", hole: int = 0, shift: int = 0,
           frac_train: float = 0.3, lr: float = 1e-3, weight_decay: float = 1.0,
           num_steps: int = 30_000, eval_every: int = 100, seed: int = 0) -> RunConfig:
    """One run as the MED code sets it up: Nanda transformer without LayerNorm (4 heads,
    d_mlp = 4 d_model, ReLU), AdamW(lr, weight_decay, betas (0.9, 0.98)) with a 10-step linear
    warmup, full batch, cross-entropy; MED logged at every evaluation."""
    task = ModularTask(operation=operation, p=p, frac_train=frac_train, layout=layout, hole=hole,
                       shift=shift)
    model = TransformerConfig(n_layers=n_layers, d_model=d_model, n_heads=4, d_mlp=4 * d_model,
                              embed_init=embed_init)
    optim = OptimConfig(name="adamw", lr=lr, weight_decay=weight_decay, loss_l2=0.0,
                        betas=(0.9, 0.98), warmup_steps=10, batch_size=None)
    return RunConfig(task=task, model=model, optim=optim, num_steps=num_steps,
                     eval_every=eval_every, seed=seed, probes=(MED_PROBE_NAME,))


def experiments(p: int, *, operations: Sequence[str], square_holes: Sequence[int],
                strip_holes: Sequence[int], d_models: Sequence[int], dim_layout: tuple[str, int],
                layers: Sequence[int], embed_inits: Sequence[str], seeds: int, **kw) -> dict:
    """Every run of the chapter, grouped: name -> {cell label: [configs, one per seed]}.

    kw goes to `config` (d_model, lr, weight_decay, frac_train, num_steps, eval_every). Holes are
    given at the paper's p = 97 and scaled to p (`scaled_hole`). Runs equal across groups (x+y,
    random layout, 1 layer, normal init) share one config key, so they train once."""
    def cell(**c) -> list[RunConfig]:
        return [config(p, **{**kw, **c}, seed=s) for s in range(seeds)]

    return {
        "operations": {op: cell(operation=op) for op in operations},
        "layouts": {("random", 0): cell(),
                    **{("square", k): cell(layout="square", hole=scaled_hole(k, p)) for k in square_holes},
                    **{("strip", k): cell(layout="strip", hole=scaled_hole(k, p)) for k in strip_holes}},
        "d_model": {d: cell(d_model=d, layout=dim_layout[0], hole=scaled_hole(dim_layout[1], p))
                    for d in d_models},
        "embed_init": {e: cell(embed_init=e) for e in embed_inits},
        "layers": {n: cell(n_layers=n) for n in layers},
    }


def all_configs(groups: dict) -> list[RunConfig]:
    """Every config once, in order (shared cells appear once)."""
    seen = {}
    for cells in groups.values():
        for cfgs in cells.values():
            for c in cfgs:
                seen.setdefault(c.key(), c)
    return list(seen.values())


def attach(groups: dict, records: Sequence) -> dict:
    """The same grouping with each config replaced by its record."""
    by_key = {r.key: r for r in records}
    return {g: {label: [by_key[c.key()] for c in cfgs] for label, cfgs in cells.items()}
            for g, cells in groups.items()}


# ---- Statistics of one run ---------------------------------------------------------------------

def pearson(x: Sequence[float], y: Sequence[float]) -> float:
    n = len(x)
    if n < 3:
        return math.nan
    mx, my = sum(x) / n, sum(y) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sxx, syy = sum((a - mx) ** 2 for a in x), sum((b - my) ** 2 for b in y)
    return sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else math.nan


def post_memorization(rec) -> slice:
    """Evaluations from the first with train accuracy >= 99% to the end (MED §6.2's window:
    "after training accuracy reaches 1"); empty if the run never memorizes."""
    step = rec.summary["step_to_train_acc_99"]
    if step is None:
        return slice(0, 0)
    return slice(rec.history["step"].index(step), None)


def tracking(rec, key: str = "med") -> float:
    """Pearson correlation of a history metric (MED, or weight_norm as a control) with test loss
    over the post-memorization window; NaN if the window has fewer than 3 evaluations."""
    w = post_memorization(rec)
    return pearson(rec.history[key][w], rec.history["test_loss"][w])


def u_acc(rec) -> float:
    """U-Acc (MED Table 1): the highest test accuracy reached."""
    return max(rec.history["test_acc"])


def l_acc(rec, tol: float = 0.02) -> float:
    """L-Acc (MED Table 1): the lowest test accuracy after first coming within `tol` of U-Acc."""
    acc = rec.history["test_acc"]
    top = u_acc(rec)
    first = next(i for i, a in enumerate(acc) if a >= top - tol)
    return min(acc[first:])


def go_epoch(rec, min_rise: float = 0.1) -> int | None:
    """GO-Epoch (MED Table 1): the first epoch (= step: full batch) at which test accuracy reaches
    half its U-Acc, once training accuracy is 99%; None ("disappear") when test accuracy never
    rises `min_rise` above its value at memorization or the run never memorizes."""
    w = post_memorization(rec)
    acc, steps = rec.history["test_acc"][w], rec.history["step"][w]
    if not acc or max(acc) - acc[0] < min_rise:
        return None
    return next(s for s, a in zip(steps, acc) if a >= u_acc(rec) / 2)


def oscillation(rec) -> float:
    """U-Acc - L-Acc: how far test accuracy falls back after reaching its top (MED §5, Fig. 2)."""
    return u_acc(rec) - l_acc(rec)


def paired(a: Sequence, b: Sequence, stat) -> list[float]:
    """Per seed, stat(a_i) - stat(b_i) (cells of the same seeds share their splits)."""
    return [stat(x) - stat(y) for x, y in zip(a, b)]


def speedup(fast: Sequence, slow: Sequence, key: str = "step_to_test_acc_90") -> list[float | None]:
    """Per seed, slow's steps to `key` over fast's; a censored slow run counts its budget (a lower
    bound); None if fast is censored."""
    out = []
    for f, s in zip(fast, slow):
        tf, ts = f.summary[key], s.summary[key] or s.summary["last_step"]
        out.append(None if not tf else ts / tf)
    return out


def coverage_ratios(p: int, n: int, trials: int, seeds: int = 3, points: int = 13) -> list[float]:
    """Per Monte Carlo seed, the fraction at which E[#uncovered] crosses 1, over the Thm. 3.12
    bound; fractions on a grid around the exact torus value 1 - p^(-2/C) (0.7x to 1.3x)."""
    exact = 1 - p ** (-2 / ball_size(n))
    fracs = [exact * (0.7 + 0.6 * i / (points - 1)) for i in range(points)]
    out = []
    for s in range(seeds):
        mc = coverage_monte_carlo(p, n, fracs, trials, seed=s)
        out.append(threshold_fraction(mc["frac"], mc["mean_uncovered"]) / coverage_bound(p, n))
    return out


def mean_sd(values: Sequence[float | None], scale: float = 1.0, digits: int = 1) -> str:
    """'mean ± sd' of the values that are not None, times scale; '—' if none; '(k censored)'."""
    vals = [v * scale for v in values if v is not None]
    miss = len(values) - len(vals)
    if not vals:
        return "—" + (f" ({miss} none)" if miss else "")
    m = sum(vals) / len(vals)
    sd = math.sqrt(sum((v - m) ** 2 for v in vals) / (len(vals) - 1)) if len(vals) > 1 else 0.0
    return f"{m:.{digits}f} ± {sd:.{digits}f}" + (f" ({miss} none)" if miss else "")


def table1(cells: dict, p: int):
    """MED Table 1 beside ours: one row per layout, paper values at p = 97, ours mean ± sd."""
    import pandas as pd

    rows = []
    for (layout, k), recs in cells.items():
        paper = TABLE1.get((layout, k), (None, None, None))
        rows.append({"layout": layout.upper(), "k (p=97)": k, f"k (p={p})": recs[0].cfg.task.hole,
                     "held out": f"{recs[0].cfg.task.n_held_out / p**2:.0%}",
                     "rest in test": recs[0].cfg.task.n_examples - recs[0].cfg.task.n_held_out - recs[0].cfg.task.n_train,
                     "U-Acc paper": paper[0], "U-Acc ours": mean_sd([u_acc(r) for r in recs], 100),
                     "L-Acc paper": paper[1], "L-Acc ours": mean_sd([l_acc(r) for r in recs], 100),
                     "GO-Epoch paper": paper[2] if paper[0] is not None else None,
                     "GO-Epoch ours": mean_sd([go_epoch(r) for r in recs], digits=0)})
    return pd.DataFrame(rows)
