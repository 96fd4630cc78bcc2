"""What each parameter of the template chapter's notebook may hold, checked before anything runs
(grokcore.params).

REPLACE: one spec per parameter of your notebook's parameters cell, in its order; `_cross` builds
the configs the notebook will run (nothing is trained), so a ConfigError names its parameter."""

from __future__ import annotations

from typing import Any

from grokcore.params import (
    at_scale,
    RECOMPUTE,
    SCALE,
    SCALE_VALUE,
    Float,
    Int,
    Spec,
    check,
    config_problems,
)
from grokcore.transforms import TRANSFORMS

from . import configs, scales


def _registered(name: str) -> str:
    return "" if name in TRANSFORMS else f"not a registered transform ({', '.join(TRANSFORMS)})"


SPECS = {
    "method": Spec("str", rule=_registered, rule_text="a name registered in grokcore.transforms"),
    "p": Int(3, prime=True, none=SCALE_VALUE),
    "width": Int(1, none=SCALE_VALUE),
    "frac_train": Float(0, 1, lo_open=True, hi_open=True),
    "lr": Float(0, lo_open=True),
    "batch_size": Int(1),
    "loss_l2": Float(0),
    "num_steps": Int(1, none=SCALE_VALUE),
    "seeds": Int(1, none=SCALE_VALUE),
    "scale": SCALE,
    "recompute": RECOMPUTE,
}


def _cross(v: dict[str, Any]) -> list[tuple[str, str]]:
    P = at_scale(scales.SCALES, v)
    build = lambda: configs.make_configs(  # noqa: E731
        **P, method=v["method"], frac_train=v["frac_train"], lr=v["lr"],
        batch_size=v["batch_size"], loss_l2=v["loss_l2"],
    )  # fmt: skip
    return config_problems(build)  # a batch larger than the training set is the full batch


def check_parameters(namespace: dict[str, Any]) -> dict[str, Any]:
    """The notebook's parameters, normalized; ParameterError naming every bad one."""
    return check(SPECS, namespace, _cross)
