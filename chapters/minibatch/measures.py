"""What chapter 6 reads from its run records (Hanson 2026): effective epochs to 99% test
accuracy per batch size, with censored runs counted or flagged, log-log slopes against batch
size, the embedding's Fourier concentration, and the notebook's summary tables.

Times are grokcore.outcomes.time_to(rec, key, per=per_epoch(rec)): steps over steps per
effective epoch (samples seen / n_train, as fastgrok.py counts), None if the run never got there
(censored). Speed-ups and ratios between cells are outcomes.speedup and outcomes.ratio with
per=per_epoch.
"""

from __future__ import annotations

import math
import statistics
from typing import Callable, Sequence

from grokcore.outcomes import linfit, time_to
from grokcore.records import RunRecord
from grokcore.train import steps_per_epoch

GROK_KEY = "step_to_test_acc_99"  # the chapter's event: 99% test accuracy (fastgrok.py stops there)


def per_epoch(rec: RunRecord) -> int:
    """Steps per effective epoch of a record: a transformer run's, or 1 (a full-batch MLP run,
    one step per epoch)."""
    return steps_per_epoch(rec.cfg) if rec.config["_type"] == "RunConfig" else 1


def by(records: list[RunRecord], key: Callable[[RunRecord], object]) -> dict:
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


def budget_epochs(rec: RunRecord) -> float:
    """The run's configured budget in (effective) epochs (a run stopped at 99% ends earlier)."""
    if rec.config["_type"] != "RunConfig":
        return rec.config["num_epochs"]
    return rec.cfg.num_steps / steps_per_epoch(rec.cfg)


def epochs_or_budget(recs: list[RunRecord]) -> list[float]:
    """Per seed, epochs to 99%, or the budget where censored (then a lower bound)."""
    return [
        e if (e := time_to(r, GROK_KEY, per_epoch(r))) is not None else budget_epochs(r)
        for r in recs
    ]


def seed_slopes(cells: dict[int, list[RunRecord]], min_points: int = 2) -> list[float | None]:
    """Per seed, the log-log slope of epochs to 99% against batch size, over the batch sizes
    where that seed grokked (None with fewer than min_points). Slope 1: a fixed number of
    steps, i.e. grokking speed linear in the number of gradient steps."""
    sizes = sorted(cells)
    out = []
    for i in range(min(len(cells[b]) for b in sizes)):
        pts = [
            (math.log(b), math.log(e))
            for b in sizes
            if (e := time_to(cells[b][i], GROK_KEY, per_epoch(cells[b][i]))) is not None
        ]
        out.append(linfit(*zip(*pts))[0] if len(pts) >= min_points else None)
    return out


def slope_bound(cells: dict[int, list[RunRecord]], small: int, large: int) -> list[float | None]:
    """Per seed, the log-log slope of epochs to 99% between two batch sizes; a censored run at
    the larger one counts its budget, giving a lower bound. None where the smaller is censored."""
    out = []
    for a, b in zip(cells[small], cells[large]):
        ea, eb = time_to(a, GROK_KEY, per_epoch(a)), time_to(b, GROK_KEY, per_epoch(b))
        out.append(
            None
            if ea is None
            else math.log((eb or budget_epochs(b)) / ea) / math.log(large / small)
        )
    return out


def cell_summary(recs: list[RunRecord], key: str = GROK_KEY) -> tuple[float, float, int]:
    """Mean and sd of epochs to a threshold over the seeds that got there, and how many did not."""
    vals = [e for r in recs if (e := time_to(r, key, per_epoch(r))) is not None]
    mean = statistics.fmean(vals) if vals else math.nan
    sd = statistics.stdev(vals) if len(vals) > 1 else 0.0 if vals else math.nan
    return mean, sd, len(recs) - len(vals)


def fourier_share(rec: RunRecord, k: int = 3, at: int = -1) -> float:
    """Share of the token embedding's variance in its k strongest frequencies at evaluation `at`."""
    power = sorted(rec.history["emb_power"][at], reverse=True)
    return sum(power[:k])


def censoring_note(cells: dict, n_train: int) -> str:
    """Which batch sizes had seeds that never reached 99% test accuracy within the budget."""
    parts = [
        f"{'full' if k == n_train else k}: {c}/{len(v)}"
        for k, v in sorted(cells.items())
        if (c := cell_summary(v)[2])
    ]
    return ("censored (batch: seeds) " + ", ".join(parts)) if parts else "no censored runs"


class Table:
    """A small HTML table for notebooks (no pandas): rows of cells under a header."""

    def __init__(self, header: Sequence[str], rows: Sequence[Sequence]):
        self.header, self.rows = list(header), [list(r) for r in rows]

    def __repr__(self) -> str:
        return "\n".join(" | ".join(map(str, r)) for r in [self.header] + self.rows)

    def _repr_html_(self) -> str:
        import html

        head = "".join(f"<th>{html.escape(str(h))}</th>" for h in self.header)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>"
            for r in self.rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _fmt(v: float) -> str:
    return "—" if math.isnan(v) else f"{v:.1f}"


def summary_table(cells: dict, n_train: int | None = None, key: str = GROK_KEY) -> Table:
    """Per cell: epochs and steps to a threshold (default 99% test accuracy; mean ± sd over
    the seeds that got there), censored seeds, and the budget."""
    rows = []
    pct = key.rsplit("_", 1)[-1]
    for k, recs in cells.items():
        mean, sd, cens = cell_summary(recs, key)
        per = per_epoch(recs[0])
        label = f"full ({k})" if k == n_train and isinstance(k, int) else k
        rows.append(
            [
                label,
                f"{_fmt(mean)} ± {_fmt(sd)}",
                f"{_fmt(mean * per)} ± {_fmt(sd * per)}",
                f"{cens}/{len(recs)}",
                f"{budget_epochs(recs[0]):.0f}",
            ]
        )
    header = ["cell", f"epochs to {pct}%", f"steps to {pct}%", "censored", "budget (epochs)"]
    return Table(header, rows)
