"""What each parameter of notebooks/01_egd_toy.ipynb may hold, checked before anything runs
(grokcore.params)."""

from __future__ import annotations

from typing import Any

from grokcore.params import (
    at_scale,
    RECOMPUTE,
    SCALE,
    SCALE_VALUE,
    Float,
    Int,
    List,
    Str,
    check,
    config_problems,
)

from . import configs, scales

SPECS = {
    "eps": Float(0, 1, lo_open=True),
    "theta_deg": Float(0, 90, lo_open=True, hi_open=True),
    "s": Float(0),
    "lr": Float(0, lo_open=True, rule_text="with lr · m2 < 2 (GD stable)"),
    "init_scale": Float(0, lo_open=True),
    "init_scale_small": Float(0, lo_open=True),
    "init_angle_deg": Float(-360, 360),
    "n": Int(2, none=SCALE_VALUE),
    "n_test": Int(1, none=SCALE_VALUE),
    "num_steps": Int(1, none=SCALE_VALUE),
    "seeds": Int(1, none=SCALE_VALUE),
    "eps_sweep": List(Float(0, 1, lo_open=True), 2, none=SCALE_VALUE, unique=True),
    "init_scales": List(Float(0, lo_open=True), 1, none=SCALE_VALUE, unique=True),
    "methods": List(
        Str(*configs.METHODS),
        2,
        none=SCALE_VALUE,
        unique=True,
        rule=lambda v: "" if {"gd", "egd"} <= set(v) else "'gd' or 'egd' missing",
        rule_text="including 'gd' and 'egd' (the figures and most rows read them)",
    ),
    "batch_size": Int(1),
    "scale": SCALE,
    "recompute": RECOMPUTE,
}


def _cross(v: dict[str, Any]) -> list[tuple[str, str]]:
    P = at_scale(scales.SCALES, v)

    def build() -> None:
        configs.ToyConfig(
            eps=v["eps"],
            theta_deg=v["theta_deg"],
            s=v["s"],
            lr=v["lr"],
            init_scale=v["init_scale"],
            init_angle_deg=v["init_angle_deg"],
            n=P["n"],
            n_test=P["n_test"],
            num_steps=P["num_steps"],
        )
        if "sgd" in P["methods"]:  # batch_size is SGD's only, at most n
            configs.ToyConfig(n=P["n"], method="sgd", batch_size=v["batch_size"])

    return config_problems(build)


def check_parameters(namespace: dict[str, Any]) -> dict[str, Any]:
    """The notebook's parameters, normalized; ParameterError naming every bad one."""
    return check(SPECS, namespace, _cross)
