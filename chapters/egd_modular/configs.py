"""Chapter 2's runs (EGD paper §5): a two-layer ReLU MLP on modular arithmetic and sparse parity.

Configs follow the authors' code (EGD App. B and peer notes). Modular: all p^2 pairs, half for
training, concatenated one-hot input, width 512, SGD lr 0.7, batch 512 (remainder dropped), loss
+ 0.5 * 1e-4 * (|W1|^2 + |W2|^2). Parity: Table 1's width, lr and L2, batch 32, b1 ~ N(0, 2/n).
EGD acts on the hidden layer's gradient only.

A chapter's runs are a *plan*: task label -> method labels, e.g.
{"x+y": ["none", "egd", "egd@lr=0.35"], "parity(400,2)": ["egd", "egd_noswitch"]}.
Task labels: an operation of grokcore.data ("x+y", "x*y"), optionally " mod P" for a modulus
other than the chapter's, or "parity(n,k)" with the hinge loss (EGD §5.1) or "parity(n,k)/mse"
with the authors' squared loss. Method labels: a key of METHODS, optionally "@lr=" and a learning
rate other than the task's (an EGD learning-rate sweep). task_label and method_label read these
labels back from a run's config.

Budgets: a modular task at the chapter's p runs `num_steps` steps; at another modulus P it runs
the same number of epochs (steps per epoch grow with P). Methods in `long_methods` run the
authors' budget instead (EGD code: 15,000 epochs on the modular tasks), so that a method that
stagnates is seen through its plateau rather than censored after a few hundred epochs.
"""

from __future__ import annotations

import dataclasses
import math
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
_LR_LABEL = re.compile(r"([a-z0-9_]+)@lr=([0-9.eE+-]+)")
MODULAR_LR = 0.7  # the EGD code's SGD learning rate (mod_add.py, mod_mult.py)
AUTHORS_EPOCHS = 15_000  # the EGD code's modular budget (mod_add.py: epochs = 15000)


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


def parse_method(label: str) -> tuple[str, float | None]:
    """(METHODS key, learning rate or None for the task's own): "egd@lr=0.35" -> ("egd", 0.35).
    ConfigError names the allowed labels."""
    m = _LR_LABEL.fullmatch(label)
    name, lr = (m[1], m[2]) if m else (label, None)
    if name in METHODS:
        try:
            rate = None if lr is None else float(lr)
        except ValueError:
            rate = -1.0
        if rate is None or (math.isfinite(rate) and rate > 0):
            return name, rate
    raise ConfigError(
        f"method {label!r} is invalid: allowed {', '.join(METHODS)}, each optionally "
        "followed by '@lr=' and a positive learning rate (e.g. 'egd@lr=0.35')"
    )


def authors_budget(task: tuple) -> int:
    """The authors' budget in epochs for a parsed task (parse_task): 15,000 on the modular tasks
    (EGD code), parity.py's per task (PARITY_EPOCHS)."""
    return AUTHORS_EPOCHS if task[0] == "modular" else PARITY_EPOCHS[task[1:3]]


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
    ablation_stop_at: float | None = 0.99,
    long_methods: Sequence[str] = (),
    long_epochs: int | None = None,
    **modular,
) -> list[RunConfig]:
    """Every (task, method, seed) run of a plan. Where a task's methods include "egd_noswitch",
    its "egd" and "egd_noswitch" runs stop at `ablation_stop_at` instead (None: they run their
    whole budget), so the switch back to SGD has time to act and the final accuracy with and
    without it can be read. parity_epochs None: the authors' budget per task (PARITY_EPOCHS).
    A modular task at a modulus other than p runs num_steps' number of epochs at p.
    `long_methods`: method labels that run `long_epochs` epochs on the modular tasks instead
    (None: the authors' 15,000), evaluated every LONG_EVALS-th of it. Parity keeps
    parity_epochs: its authors' budgets (2,000 to 10,100 epochs of 62 steps) would cost about
    30-40 minutes per stacked cell on the project's CPU.
    `modular`: keyword arguments of modular_configs (frac_train, width, lr, ...)."""
    if switch_off_at is None:
        raise ConfigError(
            "switch_off_at=None is invalid: allowed a number in (0, 1]; the method "
            "'egd_noswitch' runs EGD without the switch back to SGD"
        )
    for m in long_methods:
        _in("long_methods", parse_method, m)
    out = []
    for label, methods in plan.items():
        task = parse_task(label)
        parsed = [_in(f"plan[{label!r}]", parse_method, m) for m in methods]
        for m, (name, lr) in zip(methods, parsed):
            fields = {
                "targets": ("W1",),
                "egd_solver": egd_solver,
                "switch_off_at": switch_off_at,
                **METHODS[name],
            }
            stop = (
                ablation_stop_at
                if m in ("egd", "egd_noswitch") and "egd_noswitch" in methods
                else stop_at_test_acc
            )
            long = m in long_methods and task[0] == "modular"  # parity keeps parity_epochs
            epochs = (long_epochs or authors_budget(task)) if long else None
            if task[0] == "modular":
                at = task[2] or p
                kw = dict(modular, **({"lr": lr} if lr is not None else {}))
                if epochs:
                    steps, every = epochs * modular_epoch(at, **kw), max(3, epochs // LONG_EVALS)
                else:  # the same number of epochs as num_steps is at the chapter's p
                    steps = round(num_steps * modular_epoch(at, **kw) / modular_epoch(p, **kw))
                    every = 3
                base = modular_configs(
                    at,
                    [task[1]],
                    ["none"],
                    1,
                    max(1, steps),
                    stop_at_test_acc=stop,
                    eval_epochs=every,
                    **kw,
                )[0]
            else:
                budget = parity_epochs or authors_budget(task)
                base = parity_config(*task[1:], epochs=budget, stop_at_test_acc=stop)
                if lr is not None:
                    base = base.replace(optim=dataclasses.replace(base.optim, lr=lr))
            base = base.replace(method=MethodConfig(**fields))
            out += [base.replace(seed=s) for s in range(seeds)]
    return out


def _in(where: str, parse, label: str):
    """parse(label), with a ConfigError saying where the label came from."""
    try:
        return parse(label)
    except ConfigError as e:
        raise ConfigError(f"{where} {e}") from None


LONG_EVALS = 1000  # a long run evaluates about this many times (every 15 epochs of 15,000)


def modular_epoch(p: int, frac_train: float = 0.5, batch_size: int = 512, **_: object) -> int:
    """Steps per epoch of a modular task at modulus p (the remainder batch dropped, EGD code)."""
    n_train = ModularTask(operation="x+y", p=p, frac_train=frac_train).n_train
    return max(1, n_train // min(batch_size, n_train))


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
    lr: float = MODULAR_LR,
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


def method_label(cfg: dict, lr: float | None = None) -> str:
    """The plan's method label of a record's config: "egd_rsvd64" for EGD through a rank-64
    randomized SVD, "egd_noswitch" without the switch back to SGD, otherwise the method's name;
    followed by "@lr=..." where the learning rate is not the task's own: `lr` (the notebook's, by
    default MODULAR_LR) on modular tasks, Table 1's on parity. A bare method dict (no task) gives
    the label without the learning rate."""
    method = cfg.get("method", cfg)
    label = method["name"]
    if method["name"] == "egd":
        if method["egd_solver"] == "rsvd":
            label = f"egd_rsvd{method['rank']}"
        elif method["egd_solver"] == "newton_schulz":
            label = "egd_newton_schulz"
        elif method["switch_off_at"] is None:
            label = "egd_noswitch"
    if "task" not in cfg:
        return label
    t = cfg["task"]
    own = (lr or MODULAR_LR) if t["_type"] == "ModularTask" else PARITY[(t["n"], t["k"])][1]
    rate = cfg["optim"]["lr"]
    return label if rate == own else f"{label}@lr={rate:g}"


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
