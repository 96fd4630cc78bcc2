"""What chapter 6 reads from its run records (Hanson 2026): effective epochs (and seconds) to
99% and 100% test accuracy per cell, with censored runs counted, per-seed batch-size slopes,
the embedding's Fourier concentration, and the notebook's summary tables.

Times are grokcore.outcomes.time_to(rec, key, per=per_epoch(rec)): steps over steps per
effective epoch (samples seen / n_train, as fastgrok.py counts), None if the run never got there
(censored). 100% (fastgrok.py's stop) is not one of grokcore's summary thresholds: `with_full`
adds it from the history. The claims (chapters.minibatch.claims) take times as
grokcore.outcomes.times, where a censored run stays a bound.
"""

from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from grokcore import claims
from grokcore.estimates import Estimate, Obs, median, median_text  # noqa: F401 (re-exported)
from grokcore.outcomes import time_to, times
from grokcore.records import RunRecord
from grokcore.train import first_step, steps_per_epoch

GROK_KEY = "step_to_test_acc_99"  # the chapter's event: 99% test accuracy
FULL_KEY = "step_to_test_acc_100"  # fastgrok.py's stop: validation accuracy 1.0 (with_full)


@dataclass(frozen=True)
class Run:
    """A run record seen with FULL_KEY in its summary (the first evaluation at 100% test
    accuracy, None if never); everything else is the record's."""

    rec: Any
    summary: dict

    def __getattr__(self, name: str) -> Any:
        return getattr(self.rec, name)


def with_full(recs: Sequence[RunRecord]) -> list[Run]:
    """Records with summary[FULL_KEY] added from their history."""
    return [
        Run(r, {**r.summary, FULL_KEY: first_step(r.history["step"], r.history["test_acc"], 1.0)})
        for r in recs
    ]


def seconds(recs: Sequence[RunRecord], key: str = GROK_KEY) -> list[Obs]:
    """Per run, seconds of training to `key` (steps over the run's own training steps per
    second, evaluations and setup left out; censored at its last evaluated step)."""
    return times(recs, key, per=lambda r: r.meta["train_steps_per_s"])


def grokking_sizes(cells: dict[int, list], key: str = GROK_KEY) -> list[int]:
    """The minibatch sizes, from the smallest up, whose every seed reached `key`; the first cell
    with a censored seed (or the full-batch cell) ends the run of sizes."""
    out = []
    for bs in sorted(cells):
        recs = cells[bs]
        if recs[0].config["optim"]["batch_size"] is None or any(
            time_to(r, key) is None for r in recs
        ):
            break
        out.append(bs)
    return out


def seed_slopes(cells: dict[int, list], sizes: Sequence[int], key: str = GROK_KEY) -> list:
    """Per seed (the cells' i-th runs: the same seed), the least-squares slope of log(effective
    epochs to `key`) on log(batch size) over `sizes`; None where a seed lacks a time."""
    xs = [math.log(b) for b in sizes]
    mx = statistics.fmean(xs)
    out = []
    for runs in zip(*(cells[b] for b in sizes)):
        ts = [time_to(r, key, per_epoch(r)) for r in runs]
        if any(t is None or t <= 0 for t in ts):
            out.append(None)
            continue
        ys = [math.log(t) for t in ts]
        my = statistics.fmean(ys)
        out.append(
            sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
        )
    return out


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


def fourier_share(rec: RunRecord, k: int = 3, at: int = -1) -> float:
    """Share of the token embedding's variance in its k strongest frequencies at the `at`-th
    logged view (chapters.minibatch.embedding: the first is at initialization, the last at the
    run's end)."""
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


def summary_table(
    cells: dict,
    n_train: int | None = None,
    keys: Sequence[str] = (GROK_KEY, FULL_KEY),
    wall: bool = True,
) -> Table:
    """Per cell: effective epochs to each threshold in `keys` (default 99% and 100% test
    accuracy), the Kaplan-Meier median over seeds with its 95% interval (censored seeds kept as
    bounds) and how many seeds were censored (and diverged); then optimizer steps and (wall)
    seconds of training to the first threshold, and the budget."""
    rows = []
    pcts = [k.rsplit("_", 1)[-1] for k in keys]
    for label, recs in cells.items():
        runs = with_full(recs)
        row = [f"full ({label})" if label == n_train and isinstance(label, int) else label]
        for k in keys:
            m = median(times(runs, k, per=per_epoch))
            div = f", {m.diverged} diverged" if m.diverged else ""
            row.append(f"{median_text(m)} ({m.censored}/{len(recs)} censored{div})")
        row.append(median_text(median(times(runs, keys[0]))))
        if wall:
            row.append(median_text(median(seconds(runs, keys[0]))))
        row.append(f"{budget_epochs(recs[0]):.0f}")
        rows.append(row)
    header = (
        ["cell"]
        + [f"epochs to {p}% (median [95% CI])" for p in pcts]
        + [f"steps to {pcts[0]}%"]
        + ([f"seconds to {pcts[0]}%"] if wall else [])
        + ["budget (epochs)"]
    )
    return Table(header, rows)


def by_batch(cells: dict[int, list]) -> dict[int, list]:
    """A plan's batch cells (batch size -> runs, 0 = full batch) keyed by the batch used
    (batch_of: full batch as n_train), in increasing order."""
    return dict(sorted((batch_of(recs[0]), recs) for recs in cells.values()))


# ---- the numbers the chapter's prose quotes (grokcore.claims.quote) ---------------------------


def number(x: float) -> str:
    """A number as the prose writes it: 8.5, 36, 1,700 (∞ open)."""
    if math.isinf(x):
        return "∞"
    return f"{x:.1f}" if abs(x) < 10 and x != round(x) else f"{round(x):,}"


def span(values: Sequence[float], fmt=number, unit: str = "") -> str:
    """'8580–10,990' (least-most, as `number`s), one value where they agree, '—' without any
    (grokcore.claims.span)."""
    return claims.span(values, fmt, unit)


def _pct(x: float) -> str:
    return f"{x:.0f}"


def slug_of(label: object) -> str:
    """A label as a quote's name: lower case, every run of characters other than letters,
    digits and '.' one '-' (a glue name holds no ':')."""
    return re.sub(r"[^a-z0-9.]+", "-", str(label).lower()).strip("-")


def cell_quotes(
    prefix: str, cells: dict, keys: Sequence[str], expect: Sequence = ()
) -> dict[str, str]:
    """Per cell (label -> runs over seeds) and event key (step_to_test_acc_NN): for
    `{prefix}{label}.{NN}` the Kaplan-Meier median of effective epochs ('≥ 250' where half the
    seeds never got there), `.{NN}ci` with its interval, `.{NN}steps` the median in optimizer
    steps, `.{NN}censored` and `.{NN}reached` the seeds without and with a time, `.{NN}range`
    the fewest-most epochs of those that got there; `.n` seeds; `.final` their final test
    accuracy, least-most, in %. A label is named by slug_of ("LayerNorm, no MLP bias" ->
    "layernorm-no-mlp-bias").
    A label of `expect` without runs at this scale quotes '—' everywhere (the prose still
    renders)."""
    out: dict[str, str] = {}
    for label in expect:
        if label not in cells:
            slug = slug_of(label)
            for k in keys:
                pct = k.rsplit("_", 1)[-1]
                for part in ("", "ci", "steps", "censored", "reached", "range"):
                    out[f"{prefix}{slug}.{pct}{part}"] = "—"
            out[f"{prefix}{slug}.n"] = out[f"{prefix}{slug}.final"] = "—"
    for label, recs in cells.items():
        slug = slug_of(label)
        runs, name = with_full(recs), f"{prefix}{slug}"
        for k in keys:
            pct = k.rsplit("_", 1)[-1]
            m = median(times(runs, k, per=per_epoch))
            s = median(times(runs, k))
            got = [t for r in runs if (t := time_to(r, k, per_epoch(r))) is not None]

            def text(e: Estimate) -> str:
                return number(e.estimate) if e.identified else f"≥ {number(e.low)}"

            ci = f" [{number(m.low)}, {number(m.high)}]" if m.identified else ""
            out.update({
                f"{name}.{pct}": text(m),
                f"{name}.{pct}ci": text(m) + ci,
                f"{name}.{pct}steps": text(s),
                f"{name}.{pct}censored": str(m.censored),
                f"{name}.{pct}reached": str(len(got)),
                f"{name}.{pct}range": span(got),
            })  # fmt: skip
        final = [100 * r.history["test_acc"][-1] for r in recs]
        out[f"{name}.n"] = str(len(recs))
        out[f"{name}.final"] = span(final, _pct, "%")
    return out


def prose_quotes(
    groups: dict[str, dict], cells: dict[int, list], progress: Sequence[RunRecord], *,
    n_train: int, mlp_key: str, code_epochs: int, top_freqs: int, mlp_at: int = 1500,
) -> dict[str, str]:  # fmt: skip
    """Every number the chapter's discussion quotes that no claims row holds (grokcore.claims.
    quote): cell_quotes of the batch sizes (`batch-<B>`, `batch-full`; fastgrok.py's sizes
    expected), the conditions (`cond-<label>`: 50%, 90%, 99%), the smallest and largest
    training fraction (`frac-lo`, `frac-hi`, and their values under those names) and the MLP
    penalties (`topo-<penalty>`); then the sizes the slope is read over (`slope-sizes`); per
    condition, the seeds short of 99% at the code's `code_epochs` (`cond-<label>.short`); the
    plain MLP's test accuracy at epoch `mlp_at` (`topo-none.at`, least-most; the epoch as
    `topo-none.at-epoch`); the smallest
    batch's Fourier share at initialization (`fourier-init`, the mean); and the progress runs'
    excluded loss (`progress-excluded`, in nats, least-most), train loss (`progress-train`,
    median), their ratio (`progress-fold`, geometric mean) and key frequencies per seed
    (`progress-keys`, fewest-most)."""
    conditions, mlp, fracs = groups["conditions"], groups["mlp"], groups["fracs"]
    lo_hi = {"lo": fracs[min(fracs)], "hi": fracs[max(fracs)]} if fracs else {}
    out = {
        **cell_quotes(
            "batch-",
            {("full" if b == n_train else b): recs for b, recs in cells.items()},
            (GROK_KEY, FULL_KEY),
            expect=[2**k for k in range(11)] + ["full"],
        ),
        **cell_quotes(
            "cond-", conditions, ("step_to_test_acc_50", "step_to_test_acc_90", GROK_KEY)
        ),
        **cell_quotes("frac-", lo_hi, (GROK_KEY,), expect=("lo", "hi")),
        "frac-lo": f"{min(fracs):g}" if fracs else "—",
        "frac-hi": f"{max(fracs):g}" if fracs else "—",
        **cell_quotes("topo-", mlp, (mlp_key,), expect=("none",)),
    }
    sizes = grokking_sizes(cells)
    out["slope-sizes"] = f"{sizes[0]} to {sizes[-1]}" if sizes else "—"
    for label, recs in conditions.items():
        short = [(t := time_to(r, GROK_KEY, per_epoch(r))) is None or t > code_epochs for r in recs]
        out[f"cond-{slug_of(label)}.short"] = str(sum(short))
    at = [
        100 * r.history["test_acc"][r.history["step"].index(mlp_at)]
        for r in mlp.get("none", [])
        if mlp_at in r.history["step"]
    ]
    out["topo-none.at"] = span(at, _pct, "%")
    out["topo-none.at-epoch"] = f"{mlp_at:,}"
    minibatch = [b for b in sorted(cells) if cells[b][0].config["optim"]["batch_size"]]
    init = [fourier_share(r, top_freqs, at=0) for r in cells[minibatch[0]]] if minibatch else []
    out["fourier-init"] = f"{statistics.fmean(init):.2f}" if init else "—"
    out.update(
        dict.fromkeys(
            ("progress-excluded", "progress-train", "progress-fold", "progress-keys"), "—"
        )
    )
    if progress:
        exc = [r.history["excluded_loss"][-1] for r in progress]
        train = [r.history["train_loss"][-1] for r in progress]
        fold = statistics.geometric_mean([e / max(t, 1e-30) for e, t in zip(exc, train)])
        keys = [len(r.meta["key_freqs"]) for r in progress]
        out.update({
            "progress-excluded": f"{min(exc):.1f} to {max(exc):.1f}",
            "progress-train": f"{statistics.median(train):.1g}",
            "progress-fold": number(float(f"{fold:.2g}")),
            "progress-keys": f"{min(keys)} to {max(keys)}",
        })  # fmt: skip
    return out
