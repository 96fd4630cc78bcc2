"""What each parameter of notebooks/05_med.ipynb may hold, checked before anything runs
(grokcore.params)."""

from __future__ import annotations

import dataclasses
from typing import Any

from grokcore.config import EMBED_INITS, LAYOUTS, OPERATIONS, resolve_scale
from grokcore.params import (
    at_scale,
    RECOMPUTE,
    SCALE,
    SCALE_VALUE,
    Bool,
    Dict,
    Float,
    Int,
    List,
    Spec,
    Str,
    Tuple,
    check,
    config_problems,
)

from . import configs, image_sum, scales
from .inits import EMBED_INIT as CODE_INIT

# the operations a run of this chapter can have: two operands (a layout is a grid of pairs) and
# any second operand (configs.config keeps min_y = 0, which x/y forbids)
CHAPTER_OPERATIONS = tuple(op for op in OPERATIONS if op not in ("a*c+b*d-e", "x/y"))
N_HEADS = 4  # configs.config: 4 heads


def _heads_divide(d: int) -> str:
    return "" if d % N_HEADS == 0 else f"not a multiple of {N_HEADS} (the 4 heads)"


WIDTH = Int(N_HEADS, rule=_heads_divide, rule_text=f"a multiple of {N_HEADS} (4 heads)")
HOLE = Int(0, configs.PAPER_P - 2)  # a hole k at p = 97 leaves pairs to train on (k < 96)


def _layout_and_hole(v: list) -> str:
    """dim_layout is [layout, k]: k is 0 for the random layout."""
    layout, k = v
    return "" if layout != "random" or k == 0 else "k must be 0 for the 'random' layout"


def hole_key(layout: str, k: int) -> str:
    """The hole_seeds (and looks) key of a layout cell: ("strip", 67) -> "strip-67"."""
    return f"{layout}-{k}"


def hole_cell(key: str) -> tuple[str, int] | None:
    """The layout cell a hole_seeds key names: "strip-67" -> ("strip", 67); None if it names
    none (a SQUARE or STRIP layout, a hyphen, a whole k)."""
    layout, _, k = key.partition("-")
    return (layout, int(k)) if layout in ("square", "strip") and k.isdigit() else None


HOLE_KEY = Spec(
    "str",
    rule=lambda key: "" if hole_cell(key) else "not a hole",
    rule_text="'square-<k>' or 'strip-<k>', k a hole at p = 97 of square_holes or strip_holes",
)


SPECS = {
    "p": Int(3, prime=True, none=SCALE_VALUE),
    "d_model": dataclasses.replace(WIDTH, none=SCALE_VALUE),
    "lr": Float(0, lo_open=True, none=SCALE_VALUE),
    "weight_decay": Float(0),
    "frac_train": Float(0, 1, lo_open=True, hi_open=True, none=SCALE_VALUE),
    "shift": Int(0),
    "strip_shift": Int(0, none="the STRIP code's 60 scaled to p"),
    "random_fracs": List(Float(0, 1, lo_open=True, hi_open=True), 0, unique=True),
    "compare_weight_decays": List(Float(0), 0, unique=True),
    "operations": List(Str(*CHAPTER_OPERATIONS), 1, unique=True),
    "square_holes": List(HOLE, 1, none=SCALE_VALUE, unique=True),
    "strip_holes": List(HOLE, 1, none=SCALE_VALUE, unique=True),
    "d_models": List(WIDTH, 1, none=SCALE_VALUE, unique=True),
    "dim_layout": Tuple(
        Str(*LAYOUTS),
        HOLE,
        rule=_layout_and_hole,
        rule_text="as [layout, k]: k the hole at p 97 (0 for 'random')",
    ),
    "layers": List(Int(1), 1, none=SCALE_VALUE, unique=True),
    "embed_inits": List(Str(*EMBED_INITS, CODE_INIT), 1, unique=True),
    "coverage_n": List(Int(1, 49), 1, unique=True),
    "mc_trials": Int(1, none=SCALE_VALUE),
    "num_steps": Int(1, none=SCALE_VALUE),
    "layout_steps": Int(1, none=SCALE_VALUE),
    "op_steps": Int(1, none=SCALE_VALUE),
    "eval_every": Int(1, none=SCALE_VALUE),
    "seeds": Int(1, none=SCALE_VALUE),
    "op_seeds": Dict(Str(*CHAPTER_OPERATIONS), Int(1), 0, none=SCALE_VALUE),
    "wd_seeds": Int(1, none=SCALE_VALUE),
    "hole_seeds": Dict(HOLE_KEY, Int(1), 0, none=SCALE_VALUE),
    "fourier_seeds": Int(0, none=SCALE_VALUE),
    "resnet_tile": Int(4, none=SCALE_VALUE),
    "resnet_channels": Int(1, none=SCALE_VALUE),
    "resnet_widths": List(Int(1), 1, none=SCALE_VALUE),
    "resnet_blocks": List(Int(1), 1, none=SCALE_VALUE),
    "resnet_stem": Str(*image_sum.STEMS, none=SCALE_VALUE),
    "resnet_optimizer": Str(*image_sum.OPTIMIZERS),
    "resnet_lr": Float(0, lo_open=True),
    "resnet_weight_decay": Float(0),
    "resnet_batch_size": Int(1),
    "resnet_epochs": Int(1, none=SCALE_VALUE),
    "resnet_eval_every": Int(1, none=SCALE_VALUE),
    "resnet_bn_recalibrate": Bool(none=SCALE_VALUE),
    "scale": SCALE,
    "recompute": RECOMPUTE,
}

# ImageSumConfig field -> the notebook parameter that sets it
RESNET_FIELDS = {
    "tile": "resnet_tile",
    "channels": "resnet_channels",
    "widths": "resnet_widths",
    "blocks": "resnet_blocks",
    "stem": "resnet_stem",
    "optimizer": "resnet_optimizer",
    "lr": "resnet_lr",
    "weight_decay": "resnet_weight_decay",
    "batch_size": "resnet_batch_size",
    "num_epochs": "resnet_epochs",
    "eval_every": "resnet_eval_every",
    "bn_recalibrate": "resnet_bn_recalibrate",
}


# grokcore's probe of the token embedding's Fourier power per evaluation (grokcore.fourier): the
# "fourier" group's x+y runs log it beside MED, for med-beats-fourier
FOURIER_PROBE = "embedding_fourier"

# the groups whose runs measure a layout's U-Acc: they train P["layout_steps"] full-batch steps
# (their hole cells; every cell of "random_frac"), the others P["num_steps"]
LAYOUT_GROUPS = ("layouts", "strip_vocab", "d_model", "random_frac")


def at_layout_budget(group: str, cfg) -> bool:
    """Whether a run of `group` trains the layout budget (layout_steps): a run of "random_frac",
    or a SQUARE or STRIP run of the other LAYOUT_GROUPS (the random layout there is the MED runs'
    own, shared with "operations")."""
    return group == "random_frac" or (group in LAYOUT_GROUPS and cfg.task.layout != "random")


# the operation whose MED runs are the random layout's own (shared with the other groups, every
# one x+y): it trains P["num_steps"], the other operations P["op_steps"]
SHARED_OPERATION = "x+y"


def at_op_budget(group: str, cfg) -> bool:
    """Whether a run of `group` trains the operations' budget (op_steps): a MED run of an
    operation other than SHARED_OPERATION."""
    return group == "operations" and cfg.task.operation != SHARED_OPERATION


def budget(P: dict, group: str, cfg) -> int:
    """The full-batch steps of a run of `group`: layout_steps for the layout runs
    (at_layout_budget), op_steps for the operations but x+y (at_op_budget), else num_steps."""
    if at_layout_budget(group, cfg):
        return P["layout_steps"]
    return P["op_steps"] if at_op_budget(group, cfg) else P["num_steps"]


def plan(P: dict, v: dict) -> dict:
    """configs.plan's groups with the layout runs (at_layout_budget) at P["layout_steps"]
    full-batch steps and the operations' but x+y (at_op_budget) at P["op_steps"] (budget),
    and the MED runs of each operation in P["op_seeds"] at that many
    seeds, the weight-decay comparison's runs (group "weight_decay", every weight decay) at
    P["wd_seeds"] and each hole in P["hole_seeds"] (group "layouts", key "strip-67": the cell
    ("strip", 67)) at its count (seeds 0..n-1; the runs at seeds below P["seeds"] are the plan's
    own, shared with the other groups; a scale's operation or hole the notebook does not run is
    passed over, and a scale's count below seeds is seeds); group "fourier" holds the x+y runs
    of the random layout again at P["fourier_seeds"] seeds, each also logging the token
    embedding's Fourier power (FOURIER_PROBE: a probe changes no weight, but it is part of the
    run's key). Here, not in configs.py, which the records' fingerprint reads: a cell's seed
    count is no part of any run, and a run's budget is in its config."""
    groups = {
        g: {
            label: [c.replace(num_steps=budget(P, g, c)) for c in cfgs]
            for label, cfgs in cells.items()
        }
        for g, cells in configs.plan(P, v).items()
    }
    extend = [(groups["operations"].get(op, []), n) for op, n in P["op_seeds"].items()]
    extend += [(runs, P["wd_seeds"]) for runs in groups["weight_decay"].values()]
    extend += [(groups["layouts"].get(hole_cell(h), []), n) for h, n in P["hole_seeds"].items()]
    for runs, n in extend:
        if runs:
            runs += [runs[0].replace(seed=s) for s in range(len(runs), n)]
    base = groups["layouts"][("random", 0)][0]  # x+y on the random layout at num_steps
    probes = base.probes + (FOURIER_PROBE,)
    groups["fourier"] = {
        "x+y": [base.replace(seed=s, probes=probes) for s in range(P["fourier_seeds"])]
    }
    return groups


def _cross(v: dict[str, Any]) -> list[tuple[str, str]]:
    P = at_scale(scales.SCALES, v)
    if v["op_seeds"] is not None:  # the scale's own are passed over where they do not fit (plan)
        stray = [op for op in P["op_seeds"] if op not in v["operations"]]
        if stray:
            return [("op_seeds", f"names {', '.join(stray)}, not among the operations")]
        few = {op: n for op, n in P["op_seeds"].items() if n < P["seeds"]}
        if few:
            return [
                (
                    "op_seeds",
                    f"gives {', '.join(f'{op} {n}' for op, n in few.items())}, fewer than seeds "
                    f"({P['seeds']}): allowed at least seeds (an operation's runs extend the "
                    "plan's)",
                )
            ]
    if v["hole_seeds"] is not None:  # the scale's own are passed over where they do not fit
        holes = {("square", k) for k in P["square_holes"]} | {
            ("strip", k) for k in P["strip_holes"]
        }
        stray = [h for h in P["hole_seeds"] if hole_cell(h) not in holes]
        if stray:
            have = ", ".join(hole_key(*c) for c in sorted(holes)) or "none"
            return [
                (
                    "hole_seeds",
                    f"names {', '.join(stray)}, not among this run's holes: allowed "
                    f"'<layout>-<k>' for a hole of square_holes or strip_holes ({have})",
                )
            ]
        few = {h: n for h, n in P["hole_seeds"].items() if n < P["seeds"]}
        if few:
            return [
                (
                    "hole_seeds",
                    f"gives {', '.join(f'{h} {n}' for h, n in few.items())}, fewer than seeds "
                    f"({P['seeds']}): allowed at least seeds (a hole's runs extend the plan's)",
                )
            ]
    if v["wd_seeds"] is not None and v["wd_seeds"] < P["seeds"]:
        return [
            (
                "wd_seeds",
                f"gives {v['wd_seeds']}, fewer than seeds ({P['seeds']}): allowed at least seeds "
                "(the weight-decay comparison's runs extend the plan's)",
            )
        ]
    RN = resolve_scale(
        scales.IMAGE_SUM_SCALES,
        v["scale"],
        tile=v["resnet_tile"],
        channels=v["resnet_channels"],
        widths=v["resnet_widths"],
        blocks=v["resnet_blocks"],
        stem=v["resnet_stem"],
        num_epochs=v["resnet_epochs"],
        eval_every=v["resnet_eval_every"],
        bn_recalibrate=v["resnet_bn_recalibrate"],
    )
    p = P["p"]
    problems = []
    # the holes are given at p = 97 and scaled to p (configs.scaled_hole): each must leave pairs
    # to train on at this p
    holes = {
        "square_holes": P["square_holes"],
        "strip_holes": P["strip_holes"],
        "dim_layout": [v["dim_layout"][1]] if v["dim_layout"][0] != "random" else [],
    }
    for name, ks in holes.items():
        big = [k for k in ks if configs.scaled_hole(k, p) >= p - 1]
        if big:
            problems.append((name, f"holes {big} scaled to p={p} leave no pair to train on"))
    if len(RN["widths"]) != len(RN["blocks"]):  # one number of blocks per stage
        problems.append(
            ("resnet_blocks", f"not one per stage of resnet_widths={list(RN['widths'])}")
            if v["resnet_blocks"] is not None
            else ("resnet_widths", f"not one per stage of the scale's blocks {RN['blocks']}")
        )
    if problems:
        return problems

    def build_transformers() -> None:
        plan(P, v)

    def build_resnets() -> None:
        for s in range(P["seeds"]):
            image_sum.ImageSumConfig(
                **RN,
                optimizer=v["resnet_optimizer"],
                lr=v["resnet_lr"],
                weight_decay=v["resnet_weight_decay"],
                batch_size=v["resnet_batch_size"],
                seed=s,
            )

    transformer_fields = {
        "operation": "operations",
        "n_layers": "layers",
        "embed_init": "embed_inits",
        "probes": "embed_inits",  # the code's Toeplitz init is a hook (chapters.med.inits)
        "hole": "dim_layout",
    }
    return config_problems(build_transformers, transformer_fields) + config_problems(
        build_resnets, RESNET_FIELDS
    )


def check_parameters(namespace: dict[str, Any]) -> dict[str, Any]:
    """The notebook's parameters, normalized; ParameterError naming every bad one."""
    return check(SPECS, namespace, _cross)
