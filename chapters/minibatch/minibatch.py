"""Hanson 2026, §3: transformers grok in tens of passes with minibatches (chapter 6).

Configs follow fastgrok.py where grokcore's transformer allows (peer notes): 1 layer, 1 head,
d_model 64, a 4x ReLU MLP, untied embedding and unembedding, (a + b) mod p with inputs
"a b =", AdamW lr 1e-3 betas (0.9, 0.995), every step a fresh random minibatch, a budget of
effective epochs (samples seen / n_train), runs stopped at 99% test accuracy.
"""
from __future__ import annotations

import math
import statistics
from typing import Sequence

from grokcore.config import ModularTask, OptimConfig, RunConfig, TransformerConfig
from grokcore.records import RunRecord
from grokcore.outcomes import linfit
from grokcore.train import steps_per_epoch

SCALES = {  # a notebook parameter left as None takes these; batch size 0 = full batch
    "smoke": {"p": 23, "seeds": 2, "batch_sizes": [16, 64, 0], "num_epochs": 20,
              "fracs": [0.5, 0.8], "frac_batch_size": 64, "mlp_p": 23, "mlp_epochs": 60,
              "variant_batch_size": 16},
    "cpu": {"p": 59, "seeds": 5, "batch_sizes": [8, 16, 32, 64, 0], "num_epochs": 100,
            "fracs": [0.45, 0.6, 0.75], "frac_batch_size": 8, "mlp_p": 59, "mlp_epochs": 1500,
            "variant_batch_size": 8},
    # fastgrok.py run_experiment_batch_size: 1, 2, ..., 1024 and full batch, 250 effective epochs
    "paper": {"p": 59, "seeds": 5, "batch_sizes": [2 ** k for k in range(11)] + [0], "num_epochs": 250,
              "fracs": [0.3, 0.4, 0.5, 0.6, 0.7], "frac_batch_size": 8, "mlp_p": 59, "mlp_epochs": 2500,
              "variant_batch_size": 64},  # fastgrok.py run_experiment: batch 64
}


def config(p: int, batch_size: int | None, num_epochs: int, *, frac_train: float = 0.6,
           d_model: int = 64, layer_norm: bool = False, weight_decay: float = 0.02, lr: float = 1e-3,
           betas: tuple[float, float] = (0.9, 0.995), evals_per_epoch: int = 1,
           stop_at_test_acc: float | None = 0.99, probes: tuple[str, ...] = ("embedding_fourier",),
           seed: int = 0) -> RunConfig:
    """One fastgrok-style run; the budget is num_epochs effective epochs (n_train // bs steps
    each, as fastgrok.py counts them), evaluated evals_per_epoch times per epoch (at most
    every step). batch_size 0 or None: full batch."""
    task = ModularTask(operation="x+y", p=p, frac_train=frac_train)
    model = TransformerConfig(n_layers=1, d_model=d_model, n_heads=1, d_mlp=4 * d_model,
                              layer_norm=layer_norm, act="relu")
    optim = OptimConfig(name="adamw", lr=lr, weight_decay=weight_decay, loss_l2=0.0, betas=betas,
                        batch_size=batch_size or None, sampling="iid")
    cfg = RunConfig(task=task, model=model, optim=optim, num_steps=1, seed=seed,
                    stop_at_test_acc=stop_at_test_acc, probes=probes)
    per_epoch = steps_per_epoch(cfg)
    return cfg.replace(num_steps=num_epochs * per_epoch,
                       eval_every=max(1, per_epoch // evals_per_epoch))


def grid(p: int, batch_sizes: Sequence[int | None], seeds: int, num_epochs: int, **kw) -> list[RunConfig]:
    """Every (batch size, seed) run at a fixed budget of effective epochs."""
    return [config(p, bs, num_epochs, seed=s, **kw) for bs in batch_sizes for s in range(seeds)]


def by(records: list[RunRecord], key) -> dict:
    """Group records by key(record), each group ordered by seed."""
    cells: dict = {}
    for r in sorted(records, key=lambda r: r.config["seed"]):
        cells.setdefault(key(r), []).append(r)
    return cells


def batch_of(rec: RunRecord) -> int:
    """The batch size a run used (full batch as n_train)."""
    bs = rec.config["optim"]["batch_size"]
    n = rec.cfg.task.n_train
    return n if bs is None else min(bs, n)


def epochs_to(rec: RunRecord, key: str = "step_to_test_acc_99") -> float | None:
    """Effective epochs (steps * batch / n_train) to a summary threshold; None if censored."""
    step = rec.summary[key]
    return None if step is None else step / _per_epoch(rec)


def epochs_or_budget(recs: list[RunRecord]) -> list[float]:
    """Per seed, epochs to 99%, or the budget where censored (then a lower bound)."""
    return [e if (e := epochs_to(r)) is not None else budget_epochs(r) for r in recs]


def budget_epochs(rec: RunRecord) -> float:
    """The run's budget in (effective) epochs."""
    if rec.config["_type"] != "RunConfig":
        return rec.config["num_epochs"]
    return rec.cfg.num_steps / steps_per_epoch(rec.cfg)


def seed_slopes(cells: dict[int, list[RunRecord]], min_points: int = 2) -> list[float | None]:
    """Per seed, the log-log slope of epochs to 99% against batch size, over the batch sizes
    where that seed grokked (None with fewer than min_points). Slope 1: a fixed number of
    steps, i.e. grokking speed linear in the number of gradient steps."""
    sizes = sorted(cells)
    out = []
    for i in range(min(len(cells[b]) for b in sizes)):
        pts = [(math.log(b), math.log(e)) for b in sizes if (e := epochs_to(cells[b][i])) is not None]
        out.append(linfit(*zip(*pts))[0] if len(pts) >= min_points else None)
    return out


def slope_bound(cells: dict[int, list[RunRecord]], small: int, large: int) -> list[float | None]:
    """Per seed, the log-log slope of epochs to 99% between two batch sizes; a censored run at
    the larger one counts its budget, giving a lower bound. None where the smaller is censored."""
    out = []
    for a, b in zip(cells[small], cells[large]):
        ea, eb = epochs_to(a), epochs_to(b)
        out.append(None if ea is None else math.log((eb or budget_epochs(b)) / ea) / math.log(large / small))
    return out


def cell_summary(recs: list[RunRecord], key: str = "step_to_test_acc_99") -> tuple[float, float, int]:
    """Mean and sd of epochs to a threshold over the seeds that got there, and how many did not."""
    vals = [e for r in recs if (e := epochs_to(r, key)) is not None]
    mean = statistics.fmean(vals) if vals else math.nan
    sd = statistics.stdev(vals) if len(vals) > 1 else 0.0 if vals else math.nan
    return mean, sd, len(recs) - len(vals)


def speedup_bound(slow: list[RunRecord], fast: list[RunRecord], *, epochs: bool = False,
                  key: str = "step_to_test_acc_99") -> list[float | None]:
    """Per seed, steps (or effective epochs) to 99% of `slow` over `fast`; a censored slow run
    counts its budget (a lower bound). None where fast is censored."""
    out = []
    for s, f in zip(slow, fast):
        tf, ts = f.summary[key], s.summary[key] or s.summary["last_step"]
        if epochs and tf is not None:
            tf, ts = tf / _per_epoch(f), ts / _per_epoch(s)
        out.append(None if tf is None else ts / tf)
    return out


def _per_epoch(rec: RunRecord) -> int:
    """Steps per epoch of a record: a transformer run's, or 1 (a full-batch MLP run)."""
    return steps_per_epoch(rec.cfg) if rec.config["_type"] == "RunConfig" else 1


def fourier_share(rec: RunRecord, k: int = 3, at: int = -1) -> float:
    """Share of the token embedding's variance in its k strongest frequencies at evaluation `at`."""
    power = sorted(rec.history["emb_power"][at], reverse=True)
    return sum(power[:k])


def epoch_ratio(a: list[RunRecord], b: list[RunRecord]) -> list[float | None]:
    """Per seed, a's epochs to 99% over b's; None where either is censored."""
    return [None if x is None or y is None else x / y for x, y in zip(map(epochs_to, a), map(epochs_to, b))]


def censoring_note(cells: dict, n_train: int) -> str:
    """Which cells had seeds that never reached 99% test accuracy within the budget."""
    parts = [f"{'full' if k == n_train else k}: {c}/{len(v)}" for k, v in sorted(cells.items())
             if (c := cell_summary(v)[2])]
    return ("censored (batch: seeds) " + ", ".join(parts)) if parts else "no censored runs"


def chunks(records: list, sizes: Sequence[int]) -> list[list]:
    """Split records (returned in config order) into consecutive groups of the given sizes."""
    out, i = [], 0
    for n in sizes:
        out.append(records[i:i + n])
        i += n
    return out


def explorer_epochs(num_epochs: int) -> list[int]:
    """Epochs the explorer offers: 0, then about doubling up to the budget (few: every view
    is stored in the page)."""
    marks = [0] + [e for e in (20, 50, 120) if e < num_epochs]
    return marks + [num_epochs]


class Table:
    """A small HTML table for notebooks (no pandas): rows of cells under a header."""

    def __init__(self, header: Sequence[str], rows: Sequence[Sequence]):
        self.header, self.rows = list(header), [list(r) for r in rows]

    def __repr__(self) -> str:
        return "\n".join(" | ".join(map(str, r)) for r in [self.header] + self.rows)

    def _repr_html_(self) -> str:
        import html
        head = "".join(f"<th>{html.escape(str(h))}</th>" for h in self.header)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>"
                       for r in self.rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def summary_table(cells: dict, n_train: int | None = None, key: str = "step_to_test_acc_99") -> Table:
    """Per cell: epochs and steps to a threshold (default 99% test accuracy; mean ± sd over
    the seeds that got there), censored seeds, and the budget."""
    rows = []
    pct = key.rsplit("_", 1)[-1]
    for k, recs in cells.items():
        mean, sd, cens = cell_summary(recs, key)
        per = _per_epoch(recs[0])
        label = f"full ({k})" if k == n_train and isinstance(k, int) else k
        fmt = (lambda v: "—" if math.isnan(v) else f"{v:.1f}")
        rows.append([label, f"{fmt(mean)} ± {fmt(sd)}", f"{fmt(mean * per)} ± {fmt(sd * per)}",
                     f"{cens}/{len(recs)}", f"{budget_epochs(recs[0]):.0f}"])
    return Table(["cell", f"epochs to {pct}%", f"steps to {pct}%", "censored", "budget (epochs)"], rows)
