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

from . import configs, scales
from .topology import PENALTIES

FRACTION = Float(0, 1, lo_open=True, hi_open=True)
BATCH = Int(0)  # 0: full batch (configs.config)

SPECS = {
    "p": Int(3, prime=True, none=SCALE_VALUE),
    "frac_train": FRACTION,
    "batch_sizes": List(BATCH, 1, none=SCALE_VALUE, unique=True),
    "num_epochs": Int(1, none=SCALE_VALUE),
    "full_epochs": Int(1, none=SCALE_VALUE),
    # RoPE rotates pairs of the one head's coordinates: an even width
    "d_model": Int(2, rule=lambda d: "" if d % 2 == 0 else "odd", rule_text="even"),
    "lr": Float(0, lo_open=True),
    "weight_decay": Float(0),
    "layer_norm": Bool(),
    "mlp_bias": Bool(),
    "conditions_batch_size": Int(1, none=SCALE_VALUE),
    "conditions_epochs": Int(1, none=SCALE_VALUE),
    "frac_p": Int(3, prime=True, none=SCALE_VALUE),
    "fracs": List(FRACTION, 1, none=SCALE_VALUE, unique=True),
    "frac_batch_size": Int(0, none=SCALE_VALUE),
    "frac_epochs": Int(1, none=SCALE_VALUE),
    "schedule_wd": Bool(),
    "progress_epochs": Int(1, none=SCALE_VALUE),
    "mlp_p": Int(3, prime=True, none=SCALE_VALUE),
    "mlp_epochs": Int(1, none=SCALE_VALUE),
    # the summary's step_to_test_acc_NN keys exist for these thresholds only (grokcore.train)
    "mlp_threshold": Float(choices=THRESHOLDS),
    "mlp_penalties": List(Str(*PENALTIES), 1, unique=True),
    "recovery_frac": Float(0, 1, lo_open=True),
    "seeds": Int(1, none=SCALE_VALUE),
    "batch_seeds": Int(1, none=SCALE_VALUE),
    "scale": SCALE,
    "recompute": RECOMPUTE,
}


def batch_seeds(P: dict) -> int:
    """The seeds of the batch-size sweep's minibatch cells: P["batch_seeds"], at least
    P["seeds"] (a scale's count below the user's seeds is seeds)."""
    return max(P["seeds"], P["batch_seeds"])


def plan(P: dict, v: dict) -> dict[str, dict]:
    """configs.plan's groups with the batch-size sweep's minibatch cells at batch_seeds(P)
    seeds (seeds 0..n-1; those below P["seeds"] are the plan's own; the full-batch cell keeps
    P["seeds"]). Here, not in configs.py, which the records' fingerprint reads: a cell's seed
    count is no part of any run."""
    groups = configs.plan(P, v)
    n = batch_seeds(P)
    for bs, runs in groups["batch"].items():
        if bs != 0:
            runs += [runs[0].replace(seed=s) for s in range(len(runs), n)]
    return groups


def _cross(v: dict[str, Any]) -> list[tuple[str, str]]:
    P = at_scale(scales.SCALES, v)
    plan_: dict = {}

    def build() -> None:
        plan_.update(plan(P, v))

    problems = config_problems(
        build,
        {
            "p": "p",
            "frac_train": "fracs",
            "num_epochs": "mlp_epochs",
            "stop_at_test_acc": "mlp_threshold",
            "penalty": "mlp_penalties",
        },
    )
    if problems:
        return problems
    if v["batch_seeds"] is not None and v["batch_seeds"] < P["seeds"]:
        return [
            (
                "batch_seeds",
                f"gives {v['batch_seeds']}, fewer than seeds ({P['seeds']}): allowed at least "
                "seeds (the sweep's minibatch runs extend the plan's)",
            )
        ]
    # the sweep's cells are keyed by the batch size used (measures.batch_of: at most n_train, full
    # batch as n_train): two sizes that use the same batch would fall into one cell
    n_train = plan_["batch"][P["batch_sizes"][0]][0].task.n_train
    used = [min(b, n_train) if b else n_train for b in P["batch_sizes"]]
    if len(set(used)) < len(used):
        sizes = P["batch_sizes"]
        return [("batch_sizes", f"{sizes} has two that are one batch at n_train={n_train}")]
    return []


def check_parameters(namespace: dict[str, Any]) -> dict[str, Any]:
    """The notebook's parameters, normalized; ParameterError naming every bad one."""
    return check(SPECS, namespace, _cross)
