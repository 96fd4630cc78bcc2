"""EGD paper §5.2: a two-layer ReLU MLP on modular addition and multiplication (chapter 2).

Configs follow the authors' code (EGD App. B and peer notes): all p^2 pairs, half for training,
concatenated one-hot input, width 512, SGD lr 0.7, batch 512 (remainder dropped), loss
+ 0.5 * 1e-4 * (|W1|^2 + |W2|^2), EGD on the hidden layer's gradient only.
"""
from __future__ import annotations

from typing import Sequence

from .config import MethodConfig, MLPConfig, ModularTask, OptimConfig, RunConfig
from .records import RunRecord
from .train import steps_per_epoch

SCALES = {  # a notebook parameter left as None takes these
    "smoke": {"p": 23, "seeds": 2, "num_steps": 300},
    "cpu": {"p": 97, "seeds": 5, "num_steps": 3000},
    "paper": {"p": 97, "seeds": 10, "num_steps": 135_000},  # 15000 epochs as the EGD code
}


def configs(p: int, operations: Sequence[str], methods: Sequence[str], seeds: int, num_steps: int, *,
            frac_train: float = 0.5, width: int = 512, lr: float = 0.7, batch_size: int = 512,
            loss_l2: float = 1e-4, egd_solver: str = "eigh", rank: int = 128,
            switch_off_at: float | None = 0.95,
            eval_epochs: int = 3, stop_at_test_acc: float | None = 0.95,
            spectrum_of: tuple[str, ...] = ("W1",)) -> list[RunConfig]:
    """Every (operation, method, seed) run, evaluated every `eval_epochs` epochs (the EGD code
    evaluates every epoch; at 3 the evaluations cost a third, and ~115-epoch times barely move)."""
    out = []
    for op in operations:
        task = ModularTask(operation=op, p=p, frac_train=frac_train)
        per_epoch = max(1, task.n_train // min(batch_size, task.n_train))
        for m in methods:
            method = MethodConfig(name=m, targets=("W1",), egd_solver=egd_solver, rank=rank,
                                  switch_off_at=switch_off_at)
            base = RunConfig(task=task, model=MLPConfig(width=width),
                             optim=OptimConfig(name="sgd", lr=lr, loss_l2=loss_l2, batch_size=batch_size),
                             method=method, num_steps=num_steps, eval_every=eval_epochs * per_epoch,
                             stop_at_test_acc=stop_at_test_acc, spectrum_of=spectrum_of)
            out += [base.replace(seed=s) for s in range(seeds)]
    return out


def method_label(method: dict) -> str:
    """"egd_rsvd64" for EGD through a rank-64 randomized SVD; otherwise the method's name."""
    if method["name"] == "egd" and method["egd_solver"] == "rsvd":
        return f"egd_rsvd{method['rank']}"
    return method["name"]


def by_cell(records: list[RunRecord]) -> dict[tuple[str, str], list[RunRecord]]:
    """Group records by (operation, method label); each list ordered by seed."""
    cells: dict[tuple, list] = {}
    for r in sorted(records, key=lambda r: r.config["seed"]):
        key = (r.config["task"]["operation"], method_label(r.config["method"]))
        cells.setdefault(key, []).append(r)
    return cells


def epoch_ratio(a: list[RunRecord], b: list[RunRecord]) -> list[float | None]:
    """Per seed, a's epochs to 95% over b's; None where either is censored."""
    return [None if x is None or y is None else x / y
            for x, y in zip(map(epochs_to, a), map(epochs_to, b))]


def epochs_to(rec: RunRecord, key: str = "step_to_test_acc_95") -> float | None:
    """Epochs (optimizer steps / steps per epoch) to a summary threshold; None if censored."""
    step = rec.summary[key]
    return None if step is None else step / steps_per_epoch(rec.cfg)


def accuracy_lead(a: list[RunRecord], b: list[RunRecord]) -> list[float]:
    """Per seed, a's last test accuracy minus b's (a run that stopped at 95% keeps its value)."""
    return [x.final["test_acc"] - y.final["test_acc"] for x, y in zip(a, b)]


def speedup_bound(fast: list[RunRecord], slow: list[RunRecord]) -> list[float | None]:
    """Per seed, steps-to-95% of `slow` over `fast`. A censored slow run gives a lower bound
    (its budget over fast's time): the verdict reads it as 'at least'. None if fast is censored."""
    out = []
    for f, s in zip(fast, slow):
        tf = f.summary["step_to_test_acc_95"]
        ts = s.summary["step_to_test_acc_95"] or s.summary["last_step"]
        out.append(None if tf is None else ts / tf)
    return out


def censoring_note(cells, method: str) -> str:
    """How many runs of `method` never reached 95% test accuracy, per task."""
    parts = []
    for (op, m), recs in cells.items():
        if m == method:
            n = sum(r.summary["step_to_test_acc_95"] is None for r in recs)
            parts.append(f"{op}: {n}/{len(recs)}")
    budget = next(r for (_, m), rs in cells.items() if m == method for r in rs).summary["last_step"]
    return f"{method} never reached 95% within {budget} steps in " + ", ".join(parts)


def spectrum_extreme(records: list[RunRecord], key: str, reduce=max) -> list[float]:
    """Per seed, the max (or min) over training of a logged spectrum series, e.g.
    "update_cond_W1" (EGD Fig. 4)."""
    return [reduce(r.history[key]) for r in records]
