"""Chapter 2's runs (EGD paper §5): a two-layer ReLU MLP on modular arithmetic and sparse parity.

Configs follow the authors' code (EGD App. B and peer notes). Modular: all p^2 pairs, half for
training, concatenated one-hot input, width 512, SGD lr 0.7, batch 512 (remainder dropped), loss
+ 0.5 * 1e-4 * (|W1|^2 + |W2|^2). Parity: Table 1's width, lr and L2, batch 32, b1 ~ N(0, 2/n).
EGD acts on the hidden layer's gradient only.

A chapter's runs are a *plan*: task label -> method labels, e.g.
{"x+y": ["none", "egd", "egd_rsvd128"], "parity(400,2)": ["egd", "egd_noswitch"]}.
Task labels: an operation of grokcore.data ("x+y", "x*y"), or "parity(n,k)" with the hinge loss
(EGD §5.1) or "parity(n,k)/mse" with the authors' squared loss. Method labels: see METHODS.
task_label and method_label read these labels back from a run's config.
"""

from __future__ import annotations

import re
from typing import Sequence

from grokcore.config import (
    OPERATIONS,
    ConfigError,
    MethodConfig,
    MLPConfig,
    ModularTask,
    OptimConfig,
    ParityTask,
    RunConfig,
    to_dict,
)
from grokcore.records import RunRecord
from grokcore.train import steps_per_epoch

# (n, k) -> (width, lr, L2 coefficient): EGD App. B Table 1 (lr digits from the authors' parity.py)
PARITY = {
    (400, 2): (50, 0.01, 1e-3),
    (100, 3): (100, 0.0416239, 1e-2),
    (50, 4): (100, 0.0230841, 1e-2),
}
PARITY_EPOCHS = {(400, 2): 10100, (100, 3): 2000, (50, 4): 6000}  # the authors' parity.py budgets

# method label -> MethodConfig fields (EGD §5; Grokfast README values for grokfast_ema)
METHODS = {
    "none": {"name": "none"},  # plain SGD
    "egd": {"name": "egd"},  # exact U V^T (the notebook's egd_solver)
    "column_norm": {"name": "column_norm"},
    "grokfast_ema": {"name": "grokfast_ema", "alpha": 0.98, "lamb": 2.0},
    "egd_rsvd128": {"name": "egd", "egd_solver": "rsvd", "rank": 128},  # EGD code's two ranks
    "egd_rsvd64": {"name": "egd", "egd_solver": "rsvd", "rank": 64},
    "egd_newton_schulz": {"name": "egd", "egd_solver": "newton_schulz"},
    "egd_noswitch": {"name": "egd", "switch_off_at": None},  # EGD without the switch back to SGD
}
_PARITY_LABEL = re.compile(r"parity\((\d+),(\d+)\)(/mse)?")

_PLAN = {
    "x+y": ["none", "egd", "egd_rsvd128"],
    "x*y": ["none", "egd", "column_norm", "grokfast_ema"],
    "parity(400,2)": ["none", "egd", "column_norm", "egd_noswitch"],
    "parity(400,2)/mse": ["none", "egd"],
}
_PAPER_PLAN = {
    **{
        op if p == 97 else f"{op} mod {p}": list(METHODS)  # EGD Figs. 1-2: p = 79, 97, 127
        for op in ("x+y", "x*y")
        for p in (79, 97, 127)
    },
    **{
        f"parity({n},{k}){loss}": ["none", "egd", "column_norm", "grokfast_ema", "egd_noswitch"]
        for n, k in PARITY
        for loss in ("", "/mse")
    },
}
SCALES = {  # a notebook parameter left as None takes these
    "smoke": {
        "p": 23,
        "seeds": 2,
        "num_steps": 300,
        "parity_epochs": 3,
        "plan": _PLAN,
        "cost_steps": 0,
    },  # no timing: nbval compares the smoke claims table (cost_rows has a unit test)
    "cpu": {
        "p": 97,
        "seeds": 5,
        "num_steps": 2000,
        "parity_epochs": 100,
        "plan": _PLAN,
        "cost_steps": 100,
    },
    # 15000 epochs as the EGD code; parity: the code's budgets (PARITY_EPOCHS)
    "paper": {
        "p": 97,
        "seeds": 10,
        "num_steps": 135_000,
        "parity_epochs": None,
        "plan": _PAPER_PLAN,
        "cost_steps": 300,
    },
}


def parse_task(label: str) -> tuple:
    """("modular", operation, p or None) or ("parity", n, k, loss); ConfigError names the allowed
    labels. "x+y" runs at the chapter's p, "x+y mod 79" at p = 79."""
    op, _, mod = label.partition(" mod ")
    if op in OPERATIONS and (not mod or mod.isdigit()):
        return ("modular", op, int(mod) if mod else None)
    m = _PARITY_LABEL.fullmatch(label)
    if m and (int(m[1]), int(m[2])) in PARITY:
        return ("parity", int(m[1]), int(m[2]), "mse" if m[3] else "hinge")
    allowed = (
        ", ".join(OPERATIONS)
        + " (optionally followed by ' mod P'), "
        + ", ".join(f"parity({n},{k})[/mse]" for n, k in PARITY)
    )
    raise ConfigError(f"plan task {label!r} is invalid: allowed {allowed}")


def plan_configs(
    plan: dict[str, Sequence[str]],
    *,
    p: int,
    seeds: int,
    num_steps: int,
    parity_epochs: int | None,
    egd_solver: str = "eigh",
    switch_off_at: float | None = 0.95,
    stop_at_test_acc: float = 0.95,
    ablation_stop_at: float = 0.99,
    **modular,
) -> list[RunConfig]:
    """Every (task, method, seed) run of a plan. Where a task's methods include "egd_noswitch",
    its "egd" and "egd_noswitch" runs stop at `ablation_stop_at` instead, so the switch back to
    SGD has time to act. parity_epochs None: the authors' budget per task (PARITY_EPOCHS).
    `modular`: keyword arguments of modular_configs (frac_train, width, lr, ...)."""
    if switch_off_at is None:
        raise ConfigError(
            "switch_off_at=None is invalid: allowed a number in (0, 1]; the method "
            "'egd_noswitch' runs EGD without the switch back to SGD"
        )
    out = []
    for label, methods in plan.items():
        task = parse_task(label)
        bad = sorted(set(methods) - set(METHODS))
        if bad:
            raise ConfigError(
                f"plan[{label!r}] methods {bad} are invalid: allowed {', '.join(METHODS)}"
            )
        for m in methods:
            fields = {
                "targets": ("W1",),
                "egd_solver": egd_solver,
                "switch_off_at": switch_off_at,
                **METHODS[m],
            }
            stop = (
                ablation_stop_at
                if m in ("egd", "egd_noswitch") and "egd_noswitch" in methods
                else stop_at_test_acc
            )
            if task[0] == "modular":
                base = modular_configs(
                    task[2] or p,
                    [task[1]],
                    ["none"],
                    1,
                    num_steps,
                    stop_at_test_acc=stop,
                    **modular,
                )[0]
            else:
                epochs = parity_epochs or PARITY_EPOCHS[task[1:3]]
                base = parity_config(*task[1:], epochs=epochs, stop_at_test_acc=stop)
            base = base.replace(method=MethodConfig(**fields))
            out += [base.replace(seed=s) for s in range(seeds)]
    return out


def parity_config(
    n: int,
    k: int,
    loss: str,
    epochs: int,
    *,
    eval_epochs: int = 2,
    stop_at_test_acc: float | None = 0.95,
) -> RunConfig:
    """Parity(n, k) as EGD App. B Table 1 and the authors' parity.py: 2000 train and 10000 test
    samples, batch 32, W1 and b1 ~ N(0, 2/n), L2 in the loss; `loss` "hinge" (EGD §5.1) or "mse"."""
    width, lr, l2 = PARITY[(n, k)]
    task = ParityTask(n=n, k=k)
    per_epoch = task.n_train // 32
    return RunConfig(
        task=task,
        model=MLPConfig(width=width, b1_init="he"),
        optim=OptimConfig(name="sgd", lr=lr, loss_l2=l2, batch_size=32),
        loss=loss,
        num_steps=epochs * per_epoch,
        eval_every=eval_epochs * per_epoch,
        stop_at_test_acc=stop_at_test_acc,
    )


def modular_configs(
    p: int,
    operations: Sequence[str],
    methods: Sequence[str],
    seeds: int,
    num_steps: int,
    *,
    frac_train: float = 0.5,
    width: int = 512,
    lr: float = 0.7,
    batch_size: int = 512,
    loss_l2: float = 1e-4,
    egd_solver: str = "eigh",
    rank: int = 128,
    switch_off_at: float | None = 0.95,
    eval_epochs: int = 3,
    stop_at_test_acc: float | None = 0.95,
    spectrum_of: tuple[str, ...] = ("W1",),
) -> list[RunConfig]:
    """Every (operation, method, seed) modular run, evaluated every `eval_epochs` epochs (the EGD
    code evaluates every epoch; at 3 the evaluations cost a third, and ~115-epoch times barely
    move)."""
    out = []
    for op in operations:
        task = ModularTask(operation=op, p=p, frac_train=frac_train)
        per_epoch = max(1, task.n_train // min(batch_size, task.n_train))
        for m in methods:
            method = MethodConfig(
                name=m,
                targets=("W1",),
                egd_solver=egd_solver,
                rank=rank,
                switch_off_at=switch_off_at,
            )
            base = RunConfig(
                task=task,
                model=MLPConfig(width=width),
                optim=OptimConfig(name="sgd", lr=lr, loss_l2=loss_l2, batch_size=batch_size),
                method=method,
                num_steps=num_steps,
                eval_every=eval_epochs * per_epoch,
                stop_at_test_acc=stop_at_test_acc,
                spectrum_of=spectrum_of,
            )
            out += [base.replace(seed=s) for s in range(seeds)]
    return out


def epoch_lengths(cfgs: Sequence[RunConfig], p: int | None = None) -> dict[str, int]:
    """Optimizer steps per epoch of each task label in `cfgs` (for epoch axes)."""
    return {task_label(to_dict(c), p): steps_per_epoch(c) for c in cfgs}


def task_label(cfg: dict, p: int | None = None) -> str:
    """The plan label of a record's task, e.g. "x*y", "x*y mod 79" (a modulus other than the
    chapter's `p`) or "parity(400,2)/mse"."""
    t = cfg["task"]
    if t["_type"] == "ModularTask":
        return t["operation"] if p is None or t["p"] == p else f"{t['operation']} mod {t['p']}"
    return f"parity({t['n']},{t['k']})" + ("/mse" if cfg["loss"] == "mse" else "")


def method_label(method: dict) -> str:
    """The METHODS label of a record's method: "egd_rsvd64" for EGD through a rank-64
    randomized SVD, "egd_noswitch" without the switch back to SGD; otherwise the method's name."""
    if method["name"] == "egd":
        if method["egd_solver"] == "rsvd":
            return f"egd_rsvd{method['rank']}"
        if method["egd_solver"] == "newton_schulz":
            return "egd_newton_schulz"
        if method["switch_off_at"] is None:
            return "egd_noswitch"
    return method["name"]


def run(
    cfgs: Sequence[RunConfig], *, recompute: bool = False, progress: bool = False
) -> list[RunRecord]:
    """Train or load a plan's runs. Modular runs train one seed per single-threaded process (the
    fastest on CPU, bench/README.md); parity models are so small that Python overhead dominates,
    so their seeds train stacked, one process per (task, method)."""
    from grokcore.sweep import run_or_load

    parity = [c for c in cfgs if isinstance(c.task, ParityTask)]
    modular = [c for c in cfgs if not isinstance(c.task, ParityTask)]
    return run_or_load(modular, recompute=recompute, progress=progress) + run_or_load(
        parity, recompute=recompute, progress=progress, max_stack=len(parity) or None
    )
