"""What each parameter of notebooks/02_egd_modular.ipynb may hold, checked before anything runs
(grokcore.params)."""

from __future__ import annotations

from typing import Any

from grokcore.config import OPERATIONS, ConfigError, config_key, is_prime, to_dict
from grokcore.params import (
    at_scale,
    RECOMPUTE,
    SCALE,
    SCALE_VALUE,
    Dict,
    Float,
    Int,
    List,
    Spec,
    Str,
    check,
    config_problems,
)

from grokcore.train import steps_per_epoch

from . import configs, scales

# x/y needs y != 0, and this chapter's modular tasks take every y in 0..p-1 (ModularTask.min_y 0)
_OPS = tuple(op for op in OPERATIONS if op != "x/y")


def _task_problem(label: str) -> str:
    """The problem with a plan task label (configs.parse_task); "" where this chapter runs it."""
    try:
        task = configs.parse_task(label)
    except ConfigError:
        return "not a task label"
    if task[0] == "modular":
        if task[1] not in _OPS:
            return f"{task[1]} needs y ≠ 0; this chapter's modular tasks take every y mod p"
        mod = label.partition(" mod ")[2]
        if mod and (mod != str(task[2]) or task[2] < 3 or not is_prime(task[2])):
            return f"the modulus {mod} is not a prime ≥ 3 written plainly"
    return ""


_TASK = Spec(
    "str",
    rule=_task_problem,
    rule_text="a task label: "
    + ", ".join(_OPS)
    + " (at p, or followed by ' mod P' for a prime P ≥ 3), or "
    + ", ".join(f"parity({n},{k})" for n, k in configs.PARITY)
    + " (hinge loss; '/mse' after it: squared loss)",
)


def _method_problem(label: str) -> str:
    """The problem with a plan method label (configs.parse_method); "" where it is one."""
    try:
        configs.parse_method(label)
    except ConfigError:
        return "not a method label"
    return ""


_METHOD = Spec(
    "str",
    rule=_method_problem,
    rule_text="a method label: "
    + ", ".join(configs.METHODS)
    + " (optionally followed by '@lr=' and a positive learning rate, e.g. 'egd@lr=0.35')",
)

SPECS = {
    "plan": Dict(_TASK, List(_METHOD, 1, unique=True), none=SCALE_VALUE),
    "p": Int(3, prime=True, none=SCALE_VALUE),
    "frac_train": Float(0, 1, lo_open=True, hi_open=True),
    "width": Int(1),
    "lr": Float(0, lo_open=True),
    "batch_size": Int(1),
    "loss_l2": Float(0),
    "egd_solver": Str("svd", "eigh"),
    "switch_off_at": Float(0, 1, lo_open=True),
    "ablation_stop_at": Float(
        0,
        1,
        lo_open=True,
        rule_text="≥ switch_off_at where the plan has egd_noswitch",
        none="the ablation's EGD arms run their whole budget",
    ),
    "num_steps": Int(1, none=SCALE_VALUE),
    "long_methods": List(_METHOD, 0, unique=True, none=SCALE_VALUE),
    "long_epochs": Int(1, none="the authors' 15,000"),
    "ablation_epochs": Int(
        1, none=SCALE_VALUE + "; where that is None, the ablation's arms run num_steps' epochs"
    ),
    "parity_epochs": Int(1, none=SCALE_VALUE + "; at paper scale, the authors' budget per task"),
    "task_epochs": Dict(_TASK, Int(1), 0, none=SCALE_VALUE),
    "seeds": Int(1, none=SCALE_VALUE),
    "task_seeds": Dict(_TASK, Int(1), 0, none=SCALE_VALUE),
    "cost_steps": Int(0, none=SCALE_VALUE),
    "scale": SCALE,
    "recompute": RECOMPUTE,
}


def _cross(v: dict[str, Any]) -> list[tuple[str, str]]:
    P = at_scale(scales.SCALES, v)
    problems = []
    # a label "op mod P" at the chapter's p reads back as "op" (configs.task_label): the notebook
    # would not find its runs
    same = [t for t in P["plan"] if t.partition(" mod ")[2] == str(P["p"])]
    if same:
        problems.append(
            (
                "plan" if v["plan"] is not None else "p",
                f"plan tasks {same} are at the chapter's p = {P['p']}: write them without ' mod P'",
            )
        )
    if v["task_seeds"] is not None:  # the scale's own are passed over where they do not fit
        stray = [t for t in P["task_seeds"] if t not in P["plan"]]
        if stray:
            problems.append(
                (
                    "task_seeds",
                    f"names {', '.join(stray)}, not among the plan's tasks "
                    f"({', '.join(P['plan'])})",
                )
            )
        few = {t: n for t, n in P["task_seeds"].items() if n < P["seeds"]}
        if few:
            problems.append(
                (
                    "task_seeds",
                    f"gives {', '.join(f'{t} {n}' for t, n in few.items())}, fewer than seeds "
                    f"({P['seeds']}): allowed at least seeds (a task's runs extend the plan's)",
                )
            )
    if v["task_epochs"] is not None:  # the scale's own are passed over where they do not fit
        bad = [t for t in P["task_epochs"] if t not in P["plan"] or not t.startswith("parity")]
        if bad:
            problems.append(
                (
                    "task_epochs",
                    f"names {', '.join(bad)}: allowed the plan's parity tasks "
                    f"({', '.join(t for t in P['plan'] if t.startswith('parity')) or 'none'}; "
                    "a modular task's budget is num_steps)",
                )
            )
    if v["ablation_epochs"] is not None:  # the scale's own is passed over where nothing reads it
        ablation = ablation_tasks(P)
        if not ablation:
            problems.append(
                (
                    "ablation_epochs",
                    "names no run: allowed only where the plan has a modular task with "
                    "egd_noswitch (the switch-back ablation's two EGD arms)",
                )
            )
        both = [m for m in ABLATION if m in P["long_methods"]]
        if ablation and both:
            problems.append(
                (
                    "ablation_epochs",
                    f"and long_methods both set the budget of {', '.join(both)} on "
                    f"{', '.join(ablation)}: allowed one of them (drop {', '.join(both)} from "
                    "long_methods, or ablation_epochs)",
                )
            )
    stop = v["ablation_stop_at"]
    if (
        stop is not None
        and stop < v["switch_off_at"]
        and any("egd_noswitch" in methods for methods in P["plan"].values())
    ):
        problems.append(
            (
                "ablation_stop_at",
                f"the switch-back ablation's EGD arm would stop before it switches back to SGD "
                f"at switch_off_at={v['switch_off_at']!r}: allowed a value ≥ switch_off_at",
            )
        )

    def build() -> None:
        plan_runs(P, v)

    fields = {"stop_at_test_acc": "ablation_stop_at", "operation": "plan", "min_y": "plan"}
    return problems + config_problems(build, fields)


def with_task_seeds(cfgs: list, P: dict) -> list:
    """cfgs (configs.plan_configs at P["seeds"]) with every method's runs of each task in
    P["task_seeds"] at that many seeds (seeds 0..n-1: the runs below P["seeds"] are the plan's
    own; a task the plan does not run, or a count below seeds, adds nothing). Here, not in
    configs.py, which the records' fingerprint reads: a task's seed count is no part of any
    run. A seed's run is its seed-0 run with the seed replaced, as plan_configs makes it."""
    out = list(cfgs)
    for task, n in P["task_seeds"].items():
        cells: dict[str, tuple] = {}  # a run's key at seed 0 -> (its seed-0 run, seeds it has)
        for c in cfgs:
            if configs.task_label(to_dict(c), P["p"]) == task:
                first = c.replace(seed=0)
                _, have = cells.get(config_key(first), (first, 0))
                cells[config_key(first)] = (first, have + 1)
        for first, have in cells.values():
            out += [first.replace(seed=s) for s in range(have, n)]
    return out


# the notebook's parameters that plan_configs takes as they are (the others come from the scale)
_OWN = ("egd_solver", "switch_off_at", "ablation_stop_at", "long_epochs", "frac_train", "width")
_OWN += ("lr", "batch_size", "loss_l2")


def plan_runs(P: dict, v: dict) -> list:
    """Every run the notebook trains: configs.plan_configs at the scale's values P (at_scale)
    and the notebook's own v, with the tasks of task_epochs and task_seeds at their own budget
    and seeds (with_task_epochs, with_task_seeds). The notebook, the parameter checks and
    bench/paper_cost.py build the runs here, so they cannot drift apart."""
    cfgs = configs.plan_configs(
        P["plan"], p=P["p"], seeds=P["seeds"], num_steps=P["num_steps"],
        parity_epochs=P["parity_epochs"], long_methods=P["long_methods"],
        **{k: v[k] for k in _OWN},
    )  # fmt: skip
    return with_task_seeds(with_ablation_epochs(with_task_epochs(cfgs, P), P, v["lr"]), P)


def plan_task_epochs(P: dict) -> dict[str, int]:
    """P["task_epochs"] on the plan's parity tasks (the scale's own name tasks a user's plan may
    not run: those are passed over, as task_seeds' are)."""
    return {t: n for t, n in P["task_epochs"].items() if t in P["plan"] and t.startswith("parity")}


def with_task_epochs(cfgs: list, P: dict) -> list:
    """cfgs (configs.plan_configs at P["parity_epochs"]) with every run of each parity task in
    plan_task_epochs(P) at that many epochs: the run plan_configs makes with parity_epochs at
    that value (its num_steps alone differs; evaluations stay every 2 epochs). Here, not in
    configs.py, which the fingerprint of chapter 2's cost record reads."""
    own = plan_task_epochs(P)
    return [
        c.replace(num_steps=own[label] * steps_per_epoch(c)) if label in own else c
        for c, label in ((c, configs.task_label(to_dict(c), P["p"])) for c in cfgs)
    ]


ABLATION = ("egd", "egd_noswitch")  # the switch-back ablation's two arms (configs.plan_configs)


def ablation_tasks(P: dict) -> list[str]:
    """The plan's modular tasks that run the switch-back ablation (egd_noswitch among their
    methods): those whose two EGD arms P["ablation_epochs"] sets."""
    return [
        t
        for t, methods in P["plan"].items()
        if "egd_noswitch" in methods and configs.parse_task(t)[0] == "modular"
    ]


def with_ablation_epochs(cfgs: list, P: dict, lr: float = configs.MODULAR_LR) -> list:
    """cfgs with the two EGD arms of each modular task of the switch-back ablation
    (ablation_tasks) at P["ablation_epochs"] epochs (None: as plan_configs made them, at
    num_steps' epochs). Only num_steps differs: they evaluate every 3 epochs as before, so their
    first num_steps steps are the shorter runs' own, and the arms' final accuracy can be read at
    the authors' 15,000 epochs without the other methods' budgets. A long method (long_methods)
    keeps its own budget. `lr`: the notebook's (a method label's "@lr=" suffix is read against
    it). Here, not in configs.py, which the fingerprint of chapter 2's cost record reads."""
    epochs = P.get("ablation_epochs")
    if not epochs:
        return list(cfgs)
    tasks = set(ablation_tasks(P))
    out = []
    for c in cfgs:
        d = to_dict(c)
        method = configs.method_label(d, lr)
        if (
            method in ABLATION
            and method not in P["long_methods"]
            and configs.task_label(d, P["p"]) in tasks
        ):
            c = c.replace(num_steps=epochs * steps_per_epoch(c))
        out.append(c)
    return out


def check_parameters(namespace: dict[str, Any]) -> dict[str, Any]:
    """The notebook's parameters, normalized; ParameterError naming every bad one."""
    return check(SPECS, namespace, _cross)
