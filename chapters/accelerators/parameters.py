"""What each parameter of notebooks/07_accelerators.ipynb may hold, checked before anything runs
(grokcore.params)."""

from __future__ import annotations

from typing import Any, Sequence

from grokcore.params import (
    at_scale,
    RECOMPUTE,
    SCALE,
    SCALE_VALUE,
    Dict,
    Float,
    Int,
    List,
    Str,
    check,
    config_problems,
)

from . import configs, scales

_LABELS = tuple(dict.fromkeys(m for fam in configs.METHODS.values() for m in fam))
CELLS = tuple(f"{t}/{m}" for t in configs.TASKS for m in configs.methods_of(t))  # "task/method"

SPECS = {
    "tasks": List(Str(*configs.TASKS), 1, none=SCALE_VALUE, unique=True),
    "methods": List(Str(*_LABELS), 1, none="every method of each task's family", unique=True),
    "p": Int(3, prime=True, none=SCALE_VALUE),
    "seeds": Int(1, none=SCALE_VALUE),
    "decoder_seeds": Int(1, none=SCALE_VALUE),
    "cell_seeds": Dict(Str(*CELLS), Int(1), 0, none=SCALE_VALUE),
    "mlp_epochs": Int(1, none=SCALE_VALUE),
    "decoder_steps": Int(1, none=SCALE_VALUE),
    "decoder_eval_every": Int(1, none=SCALE_VALUE),
    "d_model": Int(4, rule_text="a multiple of the decoder's 4 heads", none=SCALE_VALUE),
    "amp_hidden": List(Int(1), 1, none=SCALE_VALUE),
    "lr_factors": List(Float(0, lo_open=True), 1, none=SCALE_VALUE, unique=True),
    "tune_seeds": Int(0, none=SCALE_VALUE),
    "mlp_timing_steps": Int(1, none=SCALE_VALUE),
    "decoder_timing_steps": Int(1, none=SCALE_VALUE),
    "timing_rounds": Int(1, none=SCALE_VALUE),
    "timing_offset": Int(0, none=SCALE_VALUE),
    "scale": SCALE,
    "recompute": RECOMPUTE,
}


def _cross(v: dict[str, Any]) -> list[tuple[str, str]]:
    P = at_scale(scales.SCALES, v, scales.SCOPED)
    if v["methods"] is not None:
        fams = {configs.family_of(t) for t in P["tasks"]}
        ran = {m for fam in fams for m in configs.METHODS[fam]}
        stray = [m for m in v["methods"] if m not in ran]
        if stray:
            return [("methods", f"{stray} belong to no family of the tasks {P['tasks']}")]
    ran = {f"{t}/{m}" for t in P["tasks"] for m in configs.methods_of(t, v["methods"])}
    stray = [c for c in P["cell_seeds"] if c not in ran]
    if stray:
        return [("cell_seeds", f"names {', '.join(stray)}, not a cell the notebook runs (tasks "
                               f"{P['tasks']}, methods {v['methods'] or 'all'})")]  # fmt: skip

    def build() -> None:
        chosen = {name: f for name in configs.tune_plan(P, v["methods"]) for f in P["lr_factors"]}
        cells = plan(P, chosen, v["methods"])
        configs.timings(P, cells)

    return config_problems(build, {"hidden": "amp_hidden", "num_steps": "decoder_steps"})


def cell_seeds(name: str, P: dict) -> int:
    """How many evaluation seeds `name` runs at the values `P`: a cell ("task/method") its
    `cell_seeds` entry or else its task's, a task its own (configs.n_seeds)."""
    return P["cell_seeds"].get(name, configs.n_seeds(name.split("/")[0], P))


def plan(
    P: dict, chosen: dict[str, float], methods: Sequence[str] | None = None
) -> dict[str, list]:
    """configs.plan with each cell over seeds 0..cell_seeds(cell)-1: a cell named in `cell_seeds`
    runs more (or fewer) seeds than its task's, the others as configs.plan. Here and not in
    configs.py, which the timing records' code fingerprint covers (grokcore.fingerprint): a
    timing is measured again, never re-stamped, and more seeds of a cell change no run."""
    cells = configs.plan(P, chosen, methods)
    return {
        name: configs.seeds_of(cfgs[0], range(cell_seeds(name, P))) for name, cfgs in cells.items()
    }


def check_parameters(namespace: dict[str, Any]) -> dict[str, Any]:
    """The notebook's parameters, normalized; ParameterError naming every bad one."""
    return check(SPECS, namespace, _cross)
