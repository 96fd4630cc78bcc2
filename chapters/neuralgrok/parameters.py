"""What each parameter of notebooks/03_neuralgrok.ipynb may hold, checked before anything runs
(grokcore.params)."""

from __future__ import annotations

import dataclasses
from typing import Any

from grokcore.config import OPERATIONS
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
    Str,
    check,
    config_problems,
)

from . import configs, scales
from grokcore.neuralgrok import NeuralGrokConfig


def _distinct_names(values: list) -> str:
    """ "" if the values name distinct plan cells (the notebook names a cell f"{v:g}")."""
    names = [f"{x:g}" for x in values]
    return "" if len(set(names)) == len(names) else f"values that print alike ({names})"


_CELL_NAMES = "printing distinctly with :g (they name the plan's cells)"
# ablation_cell_seeds' keys: an ablation cell of configs.plan, a sweep's ("rescale/0.5") or one
# of its own; whether this plan has it is checked with the plan (_cross)
_SWEEPS = ("rescale", "neuralgrok_c", "adamw")
_SINGLES = (
    "adam_wd_large",
    "composite_rescale",
    "transfer_standard",
    "transfer",
    "transfer_hardest",
)


def _ablation_names(cells: dict) -> str:
    """ "" if every key could name an ablation cell of configs.plan."""

    def ok(name: str) -> bool:
        sweep, _, value = name.partition("/")
        if sweep not in _SWEEPS:
            return name in _SINGLES
        try:
            return f"{float(value):g}" == value
        except ValueError:
            return False

    bad = [name for name in cells if not ok(name)]
    return f"names {', '.join(bad)}: not an ablation cell" if bad else ""


# op_steps' keys: a task, or one Table 1 cell of it ("x^2-y/standard"), whose budget is its own
_BUDGET_KEYS = Str(*OPERATIONS, *(f"{op}/{m}" for op in OPERATIONS for m in configs.METHODS))

SPECS = {
    "operations": List(Str(*OPERATIONS), 1, none=SCALE_VALUE, unique=True),
    "p": Int(3, prime=True, none=SCALE_VALUE),
    "frac_train": Float(0, 1, lo_open=True, hi_open=True, none=SCALE_VALUE),
    "d_model": Int(1, none=SCALE_VALUE),
    "n_layers": Int(1),
    "n_heads": Int(1, rule_text="dividing d_model"),
    "lr": Float(0, lo_open=True),
    "weight_decay": Float(0),
    "betas": List(Float(0, 1, hi_open=True), 2, 2),
    "warmup_steps": Int(0),
    "batch_size": Int(1),
    "window_size": Int(1),
    "lamb_ma": Float(0),
    "alpha": Float(0, 1, hi_open=True),
    "lamb_ema": Float(0),
    "amp_hidden": List(Int(1), 1, none=SCALE_VALUE),
    "c": Float(0, lo_open=True),
    "inner_steps": Int(1),
    "meta_lr": Float(0, lo_open=True),
    "frac_outer": Float(0, 1, lo_open=True, hi_open=True),
    "clip_norm": Float(0),
    "rescale_cs": List(
        Float(0, lo_open=True),
        0,
        none=SCALE_VALUE,
        unique=True,
        rule=_distinct_names,
        rule_text=_CELL_NAMES,
    ),
    "neuralgrok_cs": List(
        Float(0, lo_open=True),
        0,
        none=SCALE_VALUE,
        unique=True,
        rule=_distinct_names,
        rule_text=_CELL_NAMES,
    ),
    "large_weight_decay": Float(0),
    "composite_c": Float(0, lo_open=True),
    # the weight-decay figure draws three AdamW lines (cell "adamw/{v:g}" each)
    "adamw_weight_decays": List(
        Float(0), 0, 3, none=SCALE_VALUE, unique=True, rule=_distinct_names, rule_text=_CELL_NAMES
    ),
    "transfer": Bool(none=SCALE_VALUE),
    "num_steps": Int(1, none=SCALE_VALUE),
    "task_steps": Int(1, none=SCALE_VALUE),
    "op_steps": Dict(_BUDGET_KEYS, Int(1), 0, none=SCALE_VALUE),
    "ablation_steps": Int(1, none=SCALE_VALUE),
    "eval_every": Int(1, none=SCALE_VALUE),
    "seeds": Int(1, none=SCALE_VALUE),
    "first_seeds": Int(1, none=SCALE_VALUE),
    "op_seeds": Dict(Str(*OPERATIONS), Int(1), 0, none=SCALE_VALUE),
    "ablation_seeds": Int(1, none=SCALE_VALUE),
    "ablation_cell_seeds": dataclasses.replace(
        Dict(Str(), Int(1), 0, none=SCALE_VALUE),
        rule=_ablation_names,
        rule_text="each key an ablation cell: "
        + ", ".join(f"{s}/<value :g>" for s in _SWEEPS)
        + " or "
        + ", ".join(_SINGLES),
    ),
    "row_seeds": Dict(Str(*configs.GROWABLE_ROWS), Int(1), 0, none=SCALE_VALUE),
    "scale": SCALE,
    "recompute": RECOMPUTE,
}


def _cross(v: dict[str, Any]) -> list[tuple[str, str]]:
    P = at_scale(scales.SCALES, v, scales.SCOPED)
    # a budget or seeds of its own only for a task that stops at 95% (the first task's are
    # num_steps and first_seeds), or a budget for one Table 1 cell of any task: the rule that
    # scales.SCOPED keeps the scale's entries by, so a user's dict is refused by the same rule
    first_task = P["operations"][0]
    for name, first in (
        ("op_steps", "budget is num_steps, but for one of its cells"),
        ("op_seeds", "seeds are first_seeds"),
    ):
        stray = [op for op in P[name] if not scales.SCOPED[name](op, P, v)]
        if stray:
            later = ", ".join(P["operations"][1:]) or "none"
            return [
                (
                    name,
                    f"names {', '.join(stray)}, not among the operations after the first "
                    f"({later}): the first task's {first}",
                )
            ]
    # a row's own seeds extend its Table 1 cells' runs, which every other row reads
    for row, n in P["row_seeds"].items():
        op = configs.row_cells(row, first_task)[0].split("/")[0]
        if op not in P["operations"]:
            return [("row_seeds", f"names {row}, whose task ({op}) is not among the operations")]
        least = configs.task_seeds(P, op)
        if n < least:
            return [
                (
                    "row_seeds",
                    f"gives {row} {n} seeds, fewer than its task's ({op}: {least}), whose runs "
                    f"it extends: at least {least}",
                )
            ]
    built: list = []  # every config of the notebook's plan (nothing is trained)

    def build() -> None:
        built.extend(c for cfgs in configs.plan(P, v).values() for c in cfgs)

    fields = {"hidden": "amp_hidden", "meta_weight_decay": "weight_decay"}
    problems = config_problems(build, fields)
    if problems:
        return problems
    table1 = {f"{op}/{m}" for op in P["operations"] for m in configs.METHODS}
    cells = configs.plan(P, v)
    ablations = [n for n in cells if n not in table1 and ":" not in n]  # ":": a row's own
    stray = [name for name in P["ablation_cell_seeds"] if name not in ablations]
    if stray:
        return [
            (
                "ablation_cell_seeds",
                f"names {', '.join(stray)}, not among this plan's ablation cells "
                f"({', '.join(ablations)})",
            )
        ]
    # a transfer run starts from its source's run of the same seed: it has no more seeds
    for name, source_op in configs.transfer_sources(P["operations"]).items():
        n, m = len(cells.get(name, [])), len(cells[f"{source_op}/neuralgrok"])
        if n > m:
            return [
                (
                    "ablation_cell_seeds",
                    f"gives the {name} cell {n} seeds, but its amplifiers come from the "
                    f"({source_op})/neuralgrok runs of the same seeds, which have {m}: at most {m}",
                )
            ]
    # NeuralGrok trains on the train set less its outer set (neuralgrok.outer_split: at least
    # one example): it must keep at least one example
    for cfg in built:
        if isinstance(cfg, NeuralGrokConfig):
            n = cfg.run.task.n_train
            if n - max(1, round(v["frac_outer"] * n)) < 1:
                task = cfg.run.task
                where = f"({task.operation}) mod {task.p}"
                if n == 1:  # no frac_outer helps: the outer set takes at least one example
                    return [
                        (
                            "frac_train" if v["frac_train"] is not None else "p",
                            f"NeuralGrok needs 2 or more training examples (one for the outer "
                            f"set); {where} has {n}",
                        )
                    ]
                return [
                    (
                        "frac_outer",
                        f"the outer set takes all {n} training examples of {where}, leaving "
                        f"none for the model's own steps",
                    )
                ]
    return []


def check_parameters(namespace: dict[str, Any]) -> dict[str, Any]:
    """The notebook's parameters, normalized; ParameterError naming every bad one."""
    return check(SPECS, namespace, _cross)
