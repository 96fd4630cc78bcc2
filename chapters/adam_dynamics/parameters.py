"""What each parameter of notebooks/04_adam_dynamics.ipynb may hold, checked before anything runs
(grokcore.params)."""

from __future__ import annotations

from typing import Any

from grokcore.config import ModularTask
from grokcore.params import (
    at_scale,
    RECOMPUTE,
    SCALE,
    SCALE_VALUE,
    Bool,
    Float,
    Int,
    List,
    Str,
    check,
    config_problems,
)

from . import configs, scales

BETA = Float(0, 1, hi_open=True)  # an Adam β: [0, 1)
DIAG_BETA1S = (0.0, 0.9)  # the β1 whose diagnostic seeds log the Hessian (configs.sweep_configs)
SHOWN_WEIGHT_DECAYS = (0.25, 1.0, 2.0)  # the oscillation figure's panels (the notebook)


def _has_diagnostics(beta1s: list[float]) -> str:
    """The diagnostics figure needs a β1 whose runs log the Hessian and rank probes."""
    return "" if any(b in DIAG_BETA1S for b in beta1s) else "no β1 0 or 0.9"


def _has_shown(weight_decays: list[float]) -> str:
    """The oscillation figure needs a panel."""
    return "" if any(w in SHOWN_WEIGHT_DECAYS for w in weight_decays) else "no 0.25, 1 or 2"


SPECS = {
    "p": Int(3, prime=True, none=SCALE_VALUE),
    "frac_train": Float(0, 1, lo_open=True, hi_open=True),
    "d_model": Int(1, none=SCALE_VALUE),
    "d_mlp": Int(1, none=SCALE_VALUE),
    "n_layers": Int(1),
    "n_heads": Int(1),
    "lr": Float(0, lo_open=True),
    "beta2": BETA,
    "batch_size": Int(1, none="full batch"),
    "warmup_steps": Int(0),
    "eval_every": Int(1),
    "eval_test": Int(0, none=SCALE_VALUE),
    "per_token_first": Bool(),
    "weight_decay": Float(0),
    "beta1s": List(
        BETA,
        1,
        none=SCALE_VALUE,
        unique=True,
        rule=_has_diagnostics,
        rule_text="with 0 or 0.9 among them (the runs whose diagnostics are shown)",
    ),
    "weight_decays": List(
        Float(0),
        1,
        none=SCALE_VALUE,
        unique=True,
        rule=_has_shown,
        rule_text="with 0.25, 1 or 2 among them (the oscillation figure's panels)",
    ),
    "grokfast_beta1s": List(BETA, 2, 2, unique=True),
    "grokfast_alpha": BETA,
    "grokfast_lamb": Float(0, lo_open=True),
    "grokfast_settings": List(Str(*configs.GROKFAST_SETTINGS), 0, none=SCALE_VALUE, unique=True),
    "grokfast_model_seeds": Int(0, none=SCALE_VALUE),
    "grokfast_model_steps": Int(1, none=SCALE_VALUE),
    "transplant_fraction": Float(0, 1, lo_open=True),
    "transplant_seeds": Int(0, none=SCALE_VALUE),
    "dip_threshold": Float(0, 2, lo_open=True, hi_open=True),
    "num_steps": Int(1, none=SCALE_VALUE),
    "seeds": Int(1, none=SCALE_VALUE),
    "beta1_seeds": Int(1, none=SCALE_VALUE),
    "wd_seeds": Int(1, none=SCALE_VALUE),
    "grokfast_seeds": Int(1, none=SCALE_VALUE),
    "diag_seeds": Int(1, none=SCALE_VALUE),
    "hessian_every": Int(1, none=SCALE_VALUE),
    "lanczos_iters": Int(1),
    "max_stack": Int(1, none=SCALE_VALUE),
    "scale": SCALE,
    "recompute": RECOMPUTE,
}


def _cross(v: dict[str, Any]) -> list[tuple[str, str]]:
    P = at_scale(scales.SCALES, v)
    problems = []
    d_model, heads = P["d_model"], v["n_heads"]
    if d_model % heads:
        problems.append(
            ("d_model", f"not a multiple of n_heads={heads}")
            if v["d_model"] is not None
            else ("n_heads", f"not a divisor of the scale's d_model={d_model}")
        )
    h, every = P["hessian_every"], v["eval_every"]
    if h % every:  # the Hessian probe runs at evaluations
        problems.append(
            ("hessian_every", f"not a multiple of eval_every={every}")
            if v["hessian_every"] is not None
            else ("eval_every", f"not a divisor of the scale's hessian_every={h}")
        )
    if h > P["num_steps"]:  # no Hessian probe: the diagnostics figure has nothing to show
        problems.append(
            ("hessian_every", f"more than num_steps={P['num_steps']}: no Hessian probe")
        )
    if problems:
        return problems

    def build() -> None:
        configs.plan(P, v)

    problems = config_problems(
        build,
        fields={
            "alpha": "grokfast_alpha",
            "lamb": "grokfast_lamb",
            "fraction": "transplant_fraction",
        },
    )
    if problems:
        return problems
    n_train = ModularTask(p=P["p"], frac_train=v["frac_train"]).n_train
    if n_train < 2:  # the agreement probe splits a batch of training examples in two halves
        return [("frac_train", f"{n_train} training pair of the {P['p']}² (the probes need 2)")]
    return []


def check_parameters(namespace: dict[str, Any]) -> dict[str, Any]:
    """The notebook's parameters, normalized; ParameterError naming every bad one."""
    return check(SPECS, namespace, _cross)
