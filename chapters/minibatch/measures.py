"""What chapter 6 reads from its run records (Hanson 2026): effective epochs to 99% test
accuracy per batch size, with censored runs counted, the embedding's Fourier concentration, and
the notebook's summary tables.

Times are grokcore.outcomes.time_to(rec, key, per=per_epoch(rec)): steps over steps per
effective epoch (samples seen / n_train, as fastgrok.py counts), None if the run never got there
(censored). The claims (chapters.minibatch.claims) take times as grokcore.outcomes.times, where
a censored run stays a bound.
"""

from __future__ import annotations

import math
import statistics
from typing import Callable, Sequence

from grokcore.estimates import Estimate, median
from grokcore.outcomes import time_to, times
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


def median_text(m: Estimate, scale: float = 1) -> str:
    """A Kaplan-Meier median as '45.0 [30.0, 64.0]' (its 95% interval; ∞: open above), '≥ 100.0'
    where half the seeds or more never got there, '—' without runs; every number times scale."""
    if m.n == 0:
        return "—"

    def f(x: float) -> str:
        return "∞" if math.isinf(x) else f"{x * scale:.1f}"

    return f"{f(m.estimate)} [{f(m.low)}, {f(m.high)}]" if m.identified else f"≥ {f(m.low)}"


def summary_table(cells: dict, n_train: int | None = None, key: str = GROK_KEY) -> Table:
    """Per cell: epochs and steps to a threshold (default 99% test accuracy), the Kaplan-Meier
    median over seeds with its 95% interval (censored seeds kept as bounds), how many seeds were
    censored (and diverged), and the budget."""
    rows = []
    pct = key.rsplit("_", 1)[-1]
    for k, recs in cells.items():
        m = median(times(recs, key, per=per_epoch))
        label = f"full ({k})" if k == n_train and isinstance(k, int) else k
        div = f" ({m.diverged} diverged)" if m.diverged else ""
        rows.append(
            [
                label,
                median_text(m),
                median_text(m, per_epoch(recs[0])),
                f"{m.censored}/{len(recs)}{div}",
                f"{budget_epochs(recs[0]):.0f}",
            ]
        )
    header = [
        "cell",
        f"epochs to {pct}% (median [95% CI])",
        f"steps to {pct}%",
        "censored",
        "budget (epochs)",
    ]
    return Table(header, rows)
