"""Chapter 5's runs (MED paper): scale presets, the paper's Table 1, and the configs of every
experiment, set up as the public code (Qihuai27/Grokking-Insight) does (MED §6.1, peer notes).

A run is a grokcore RunConfig (Nanda transformer, full-batch AdamW) that logs MED at every
evaluation through the probe `chapters.med.med:MED_PROBE`. The image-sum ResNet runs are
`image_sum.ImageSumConfig`s.
"""

from __future__ import annotations

from typing import Sequence

from .inits import CODE_TOEPLITZ_NAME, EMBED_INIT as CODE_INIT
from .med import MED_PROBE_NAME
from grokcore.config import ModularTask, OptimConfig, RunConfig, TransformerConfig

# MED Table 1 (p = 97, 30% train): (layout, k) -> (U-Acc %, L-Acc %, GO-Epoch or None = "disappear")
TABLE1 = {
    ("square", 30): (99.04, 91.27, 1500),
    ("square", 35): (91.07, 80.73, 1500),
    ("square", 40): (84.50, 81.68, 1700),
    ("square", 45): (79.03, 76.07, 1900),
    ("square", 50): (77.39, 66.02, 3400),
    ("square", 55): (62.09, 57.69, 2600),
    ("square", 60): (57.31, 55.18, 2200),
    ("strip", 67): (7.56, 3.58, None),
    ("strip", 60): (33.25, 17.05, 900),
    ("strip", 50): (80.10, 73.61, 1600),
    ("strip", 40): (89.89, 84.80, 1300),
}
PAPER_P = 97  # the modulus of Table 1; holes k are given at this p


CODE_SHIFT = 60  # transformer/str.py: the second operand's tokens are j + 60 at p = 97


def scaled_shift(p: int) -> int:
    """The STRIP code's second-operand offset d = 60 at p = 97 scaled to modulus p, so that the
    share of first-operand tokens that never appear as a second operand is kept."""
    return round(CODE_SHIFT * p / PAPER_P)


def scaled_hole(k: int, p: int) -> int:
    """The paper's hole k at p = 97 scaled to modulus p so that the hole's side k + 1 keeps its
    share of p: round((k + 1) p / 97) - 1."""
    return max(0, round((k + 1) * p / PAPER_P) - 1)


def config(
    p: int,
    *,
    operation: str = "x+y",
    d_model: int = 128,
    n_layers: int = 1,
    embed_init: str = "normal",
    layout: str = "random",
    hole: int = 0,
    shift: int = 0,
    frac_train: float = 0.3,
    lr: float = 1e-3,
    weight_decay: float = 1.0,
    num_steps: int = 30_000,
    eval_every: int = 100,
    seed: int = 0,
    fast: bool = False,
) -> RunConfig:
    """One run as the MED code sets it up: Nanda transformer without LayerNorm (4 heads,
    d_mlp = 4 d_model, ReLU), AdamW(lr, weight_decay, betas (0.9, 0.98)) with a 10-step linear
    warmup, full batch, cross-entropy; MED logged at every evaluation. embed_init: a grokcore
    TransformerConfig.embed_init, or "toeplitz_code" (the code's own commented-out Toeplitz
    init: the "normal" model with its token embedding replaced by chapters.med.inits).

    fast: torch.optim's fused AdamW and, for 2 layers or more, position 0 computed once per token
    (TransformerConfig.per_token_first; with 1 layer the model reads out only the last position
    already): the same function with other float rounding (tests/unit/test_shortcuts.py), about
    1.4x per step and 1.9x per evaluation on the 2-layer model (bench/presets_speed.py). Off where
    records were made without it (their keys would change)."""
    code_init = embed_init == CODE_INIT
    task = ModularTask(
        operation=operation, p=p, frac_train=frac_train, layout=layout, hole=hole, shift=shift
    )
    model = TransformerConfig(
        n_layers=n_layers,
        d_model=d_model,
        n_heads=4,
        d_mlp=4 * d_model,
        embed_init="normal" if code_init else embed_init,
        per_token_first=fast and n_layers > 1,
    )
    optim = OptimConfig(
        name="adamw",
        lr=lr,
        weight_decay=weight_decay,
        loss_l2=0.0,
        betas=(0.9, 0.98),
        warmup_steps=10,
        batch_size=None,
        fused=fast,
    )
    return RunConfig(
        task=task,
        model=model,
        optim=optim,
        num_steps=num_steps,
        eval_every=eval_every,
        seed=seed,
        probes=(MED_PROBE_NAME, CODE_TOEPLITZ_NAME) if code_init else (MED_PROBE_NAME,),
    )


def experiments(
    p: int,
    *,
    operations: Sequence[str],
    square_holes: Sequence[int],
    strip_holes: Sequence[int],
    d_models: Sequence[int],
    dim_layout: tuple[str, int],
    layers: Sequence[int],
    embed_inits: Sequence[str],
    seeds: int,
    strip_shift: int | None = None,
    random_fracs: Sequence[float] = (),
    compare_weight_decays: Sequence[float] = (),
    **kw,
) -> dict:
    """Every run of the chapter, grouped: name -> {cell label: [configs, one per seed]}.

    kw goes to `config` (d_model, lr, weight_decay, frac_train, shift, num_steps, eval_every, fast).
    Holes are given at the paper's p = 97 and scaled to p (`scaled_hole`). "strip_vocab" repeats
    the STRIP holes with the second operand on its own tokens j + strip_shift (the code's
    str.py; None: `scaled_shift(p)`), "random_frac" the random layout at each training fraction of
    `random_fracs`, "weight_decay" the random layout at weight_decay and at each of
    `compare_weight_decays`. Runs equal across groups (x+y, random layout, 1 layer, normal init)
    share one config key, so they train once."""

    def cell(**c) -> list[RunConfig]:
        return [config(p, **{**kw, **c}, seed=s) for s in range(seeds)]

    vocab_shift = scaled_shift(p) if strip_shift is None else strip_shift
    wd = kw.get("weight_decay", 1.0)
    return {
        "operations": {op: cell(operation=op) for op in operations},
        "layouts": {
            ("random", 0): cell(),
            **{("square", k): cell(layout="square", hole=scaled_hole(k, p)) for k in square_holes},
            **{("strip", k): cell(layout="strip", hole=scaled_hole(k, p)) for k in strip_holes},
        },
        "strip_vocab": {
            k: cell(layout="strip", hole=scaled_hole(k, p), shift=vocab_shift) for k in strip_holes
        },
        "random_frac": {f: cell(frac_train=f) for f in random_fracs},
        "weight_decay": {w: cell(weight_decay=w) for w in sorted({wd, *compare_weight_decays})},
        "d_model": {
            d: cell(d_model=d, layout=dim_layout[0], hole=scaled_hole(dim_layout[1], p))
            for d in d_models
        },
        "embed_init": {e: cell(embed_init=e) for e in embed_inits},
        "layers": {n: cell(n_layers=n) for n in layers},
    }


def plan(P: dict, v: dict) -> dict:
    """The chapter's transformer runs (experiments' groups) from the scale's values `P`
    (resolve_scale) and the notebook's parameters `v`: the notebook trains exactly these and
    parameters.py builds them to check the parameters before anything runs."""
    return experiments(
        P["p"],
        operations=v["operations"],
        square_holes=P["square_holes"],
        strip_holes=P["strip_holes"],
        d_models=P["d_models"],
        dim_layout=tuple(v["dim_layout"]),
        layers=P["layers"],
        embed_inits=v["embed_inits"],
        seeds=P["seeds"],
        strip_shift=v["strip_shift"],
        random_fracs=v["random_fracs"],
        compare_weight_decays=v["compare_weight_decays"],
        d_model=P["d_model"],
        lr=P["lr"],
        weight_decay=v["weight_decay"],
        frac_train=P["frac_train"],
        shift=v["shift"],
        num_steps=P["num_steps"],
        eval_every=P["eval_every"],
        fast=P["fast"],
    )


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
    return {
        g: {label: [by_key[c.key()] for c in cfgs] for label, cfgs in cells.items()}
        for g, cells in groups.items()
    }
