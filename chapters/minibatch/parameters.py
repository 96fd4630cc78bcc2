"""What each parameter of notebooks/06_minibatch.ipynb may hold, checked before anything runs
(grokcore.params)."""

from __future__ import annotations

from typing import Any

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
from grokcore.train import THRESHOLDS

from . import configs
from .topology import PENALTIES

FRACTION = Float(0, 1, lo_open=True, hi_open=True)
BATCH = Int(0)  # 0: full batch (configs.config)

SPECS = {
    "p": Int(3, prime=True, none=SCALE_VALUE),
    "frac_train": FRACTION,
    "batch_sizes": List(BATCH, 1, none=SCALE_VALUE, unique=True),
    "num_epochs": Int(1, none=SCALE_VALUE),
    "d_model": Int(1),
    "lr": Float(0, lo_open=True),
    # the variant runs set it against weight decay 0: it must differ from 0
    "weight_decay": Float(0, lo_open=True, rule_text="set against 0 by the variant runs"),
    "layer_norm": Bool(),
    "variant_batch_size": Int(0, none=SCALE_VALUE),
    "fracs": List(FRACTION, 1, none=SCALE_VALUE, unique=True),
    "frac_batch_size": Int(0, none=SCALE_VALUE),
    "mlp_p": Int(3, prime=True, none=SCALE_VALUE),
    "mlp_epochs": Int(1, none=SCALE_VALUE),
    # the summary's step_to_test_acc_NN keys exist for these thresholds only (grokcore.train)
    "mlp_threshold": Float(choices=THRESHOLDS),
    "mlp_penalties": List(Str(*PENALTIES), 1, unique=True),
    "recovery_frac": Float(0, 1, lo_open=True),
    "seeds": Int(1, none=SCALE_VALUE),
    "scale": SCALE,
    "recompute": RECOMPUTE,
}


def _cross(v: dict[str, Any]) -> list[tuple[str, str]]:
    P = at_scale(configs.SCALES, v)
    common = dict(d_model=v["d_model"], lr=v["lr"], layer_norm=v["layer_norm"])
    sweep: list = []

    def build_transformers() -> None:  # the batch-size sweep and the weight-decay variant
        sweep.extend(
            configs.grid(
                P["p"],
                P["batch_sizes"],
                P["seeds"],
                P["num_epochs"],
                frac_train=v["frac_train"],
                weight_decay=v["weight_decay"],
                **common,
            )
        )
        for wd in (v["weight_decay"], 0.0):
            configs.grid(
                P["p"],
                [P["variant_batch_size"]],
                P["seeds"],
                P["num_epochs"],
                frac_train=v["frac_train"],
                weight_decay=wd,
                **dict(common, layer_norm=False),
            )

    def build_fracs() -> None:
        for f in P["fracs"]:
            configs.grid(
                P["p"],
                [P["frac_batch_size"]],
                P["seeds"],
                P["num_epochs"],
                frac_train=f,
                weight_decay=v["weight_decay"],
                **common,
            )

    def build_mlp() -> None:
        configs.topo_grid(
            P["mlp_p"],
            v["mlp_penalties"],
            P["seeds"],
            P["mlp_epochs"],
            stop_at_test_acc=v["mlp_threshold"],
        )

    problems = (
        config_problems(build_transformers)
        + config_problems(build_fracs, {"frac_train": "fracs"})
        + config_problems(
            build_mlp,
            {
                "p": "mlp_p",
                "num_epochs": "mlp_epochs",
                "stop_at_test_acc": "mlp_threshold",
                "penalty": "mlp_penalties",
            },
        )
    )
    if problems:
        return problems
    # the sweep's cells are keyed by the batch size used (measures.batch_of: at most n_train, full
    # batch as n_train): two sizes that use the same batch would fall into one cell
    n_train = sweep[0].task.n_train
    used = [min(b, n_train) if b else n_train for b in P["batch_sizes"]]
    if len(set(used)) < len(used):
        sizes = P["batch_sizes"]
        return [("batch_sizes", f"{sizes} has two that are one batch at n_train={n_train}")]
    return []


def check_parameters(namespace: dict[str, Any]) -> dict[str, Any]:
    """The notebook's parameters, normalized; ParameterError naming every bad one."""
    return check(SPECS, namespace, _cross)
