"""Chapter 7's figures, in grokcore.plotting's house style, built from run records and timings.

A figure is returned closed (show it with IPython's display); an explorer view is left open for
grokcore.explore.figure_png, which renders and closes it.
"""

from __future__ import annotations

import math
import statistics
from typing import Mapping, Sequence

import matplotlib.pyplot as plt

from grokcore import claims, plotting
from grokcore.estimates import Between
from grokcore.records import RunRecord

from . import measures

COLORS = {  # one color per method label, the same in every figure and view
    "sgd": "#1f77b4",
    "adam": "#1f77b4",
    "egd": "#d62728",
    "egd_rsvd128": "#ff7f0e",
    "egd_rsvd64": "#ff9896",
    "egd_newton_schulz": "#e6550d",
    "column_norm": "#8c564b",
    "grokfast_ema": "#2ca02c",
    "grokfast_ma": "#98df8a",
    "sgd_b128": "#17becf",
    "adam_b128": "#17becf",
    "neuralgrok": "#9467bd",
    "rescale": "#e377c2",
    "adamw": "#7f7f7f",
    "adam_b05": "#bcbd22",
}


def summary_figure(tables: dict[str, list[dict]]):
    """One panel per task: each method's Kaplan-Meier median seconds to 95% test accuracy with
    its 95% interval (log axis), fastest on top; a median not reached is drawn from its lower
    bound as an arrow. `tables`: task -> measures.ranked rows."""
    with plotting.style():
        n = len(tables)
        height = max(len(rows) for rows in tables.values()) * 0.3 + 1.0
        fig, axes = plt.subplots(1, n, figsize=(4.0 * n, height), squeeze=False)
        for ax, (task, rows) in zip(axes[0], tables.items()):
            for i, r in enumerate(rows):
                est, color = r["seconds"], COLORS.get(r["label"], "k")
                y = len(rows) - 1 - i
                if est.identified:
                    hi = est.high if math.isfinite(est.high) else None
                    ax.plot([est.low, hi or est.estimate * 3], [y, y], color=color, lw=2)
                    ax.plot([est.estimate], [y], "o", color=color, ms=5)
                    if hi is None:  # open above
                        ax.annotate("", (est.estimate * 4, y), (est.estimate * 3, y),
                                    arrowprops=dict(arrowstyle="->", color=color))  # fmt: skip
                elif math.isfinite(est.low):
                    ax.annotate("", (est.low * 4, y), (est.low, y),
                                arrowprops=dict(arrowstyle="->", color=color, lw=2))  # fmt: skip
                    ax.plot([est.low], [y], "|", color=color, ms=9)
            ax.set_yticks(range(len(rows)), [r["method"] for r in reversed(rows)], fontsize=8)
            ax.set_xscale("log")
            ax.set_xlabel("seconds to 95% test accuracy (median, 95% interval)")
            ax.set_title(task, fontsize=9)
        fig.tight_layout()
    plt.close(fig)
    return fig


def survival_figure(
    cells: dict[str, Sequence[RunRecord]],
    costs: dict[str, dict[str, float]],
    names: dict[str, str],
    tasks: Sequence[str],
):
    """Per task, the Kaplan-Meier curves of the fraction of seeds not yet at 95% test accuracy
    against seconds, one per method (a tick: a censored run)."""
    with plotting.style():
        fig, axes = plt.subplots(1, len(tasks), figsize=(4.4 * len(tasks), 3.4), squeeze=False)
        for ax, task in zip(axes[0], tasks):
            groups, colors = {}, {}
            for name, recs in cells.items():
                t, m = name.split("/")
                if t == task:
                    groups[names[m]] = measures.seconds(recs, costs[task][m])
                    colors[names[m]] = COLORS.get(m)
            plotting.survival_panel(ax, groups, colors, xlabel="seconds (this CPU, one thread)")
            # times span three decades (EGD's seconds against SGD's): a log axis from below the
            # first time; each curve's start at 0 lies off it, left of the axis
            values = [o.value for obs in groups.values() for o in obs if o.value > 0]
            if values:
                ax.set_xscale("log")
                ax.set_xlim(min(values) / 2, max(values) * 1.5)
            ax.set_title(task, fontsize=9)
            ax.legend(fontsize=6)
        fig.tight_layout()
    plt.close(fig)
    return fig


def run_view(recs: Sequence[RunRecord], step_s: float, label: str, title: str):
    """One explorer view: each seed's test (solid) and train accuracy (dashed) against seconds
    (steps times the method's seconds per step); left open for explore.figure_png."""
    with plotting.style():
        fig, ax = plt.subplots(figsize=(5.2, 3.0))
        color = COLORS.get(label, "k")
        for r in recs:
            secs = [s * step_s for s in r.history["step"]]
            ax.plot(secs, r.history["test_acc"], color=color, lw=1.0)
            ax.plot(secs, r.history["train_acc"], color=color, lw=0.8, ls="--", alpha=0.6)
        ax.axhline(0.95, color="0.6", lw=0.6, ls=":")
        ax.set_xscale("log")  # the first evaluation (step 0) lies off the axis
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("seconds (this CPU, one thread)")
        ax.set_ylabel("accuracy")
        ax.set_title(title, fontsize=9)
        fig.tight_layout()
    return fig


# ---- the numbers the chapter's prose quotes (grokcore.claims.quote) ---------------------------


def spread(rounds: dict[str, dict[str, list[float]]], tasks: Sequence[str]) -> str:
    """'1.1–1.6x': over the methods of `tasks`, the least and the most any method's timing
    rounds span (its slowest round's seconds per step over its fastest's)."""
    spans = [max(ts) / min(ts) for t in tasks for ts in rounds[t].values()]
    return claims.span(spans, lambda x: f"{x:.1f}", "x")


def _sds(between: Mapping[str, Between] | None) -> str:
    """Each distinct standard deviation of `between`'s components, "—" with none."""
    return ", ".join(sorted({f"{math.sqrt(b.var):.3f}" for b in (between or {}).values()})) or "—"


def prose_quotes(
    cells: dict[str, list[RunRecord]],
    rounds: dict[str, dict[str, list[float]]],
    P: dict,
    between: Mapping[str, Between] | None = None,
    between_s: Mapping[str, Between] | None = None,
) -> dict[str, str]:
    """The numbers of the setup and discussion that no claims row holds, from this run: the
    timing rounds' spread per family, how many decoder Grokfast-EMA runs on x+y miss 95% (all of
    them, and among the first five seeds, the count that set `decoder_seeds`), and per decoder
    task, how many batch-128 runs stay at 90% or more after reaching 95% ("b128-stable-add":
    "1 of 8"; measures.stable) and the median share of Adam's and batch 128's evaluations after
    95% that lie below 90% ("b128-below-mul": "28%"; measures.share_below); "between-sd": the
    standard deviation of a cost ratio's log between timing sessions (`between`: task ->
    measures.between; each distinct value, "—" with none); "between-s-sd": the same for a
    method's seconds per step (`between_s`: task -> measures.between(timing, seconds=True))."""
    fam = {f: [t for t in P["tasks"] if t.startswith(f)] for f in ("mlp", "decoder")}
    ema = cells.get("decoder x+y/grokfast_ema", [])
    missed = [r.summary[measures.GROKKED] is None for r in ema]
    out = {
        "rounds-mlp": spread(rounds, fam["mlp"]),
        "rounds-decoder": spread(rounds, fam["decoder"]),
        "ema-missed": str(sum(missed)),
        "ema-runs": str(len(missed)),
        "ema-missed-first5": str(sum(missed[:5])),
        "between-sd": _sds(between),
        "between-s-sd": _sds(between_s),
    }
    for op, suffix in (("x+y", "add"), ("x*y", "mul")):  # "—" where the task does not run
        run = f"decoder {op}" in P["tasks"]
        b128 = cells.get(f"decoder {op}/adam_b128", [])
        kept = [s for s in measures.stable(b128) if s is not None]
        out[f"b128-stable-{suffix}"] = f"{sum(kept)} of {len(kept)}" if run else "—"
        for label in ("adam", "adam_b128"):
            shares = [
                s
                for r in cells.get(f"decoder {op}/{label}", [])
                if (s := measures.share_below(r)) is not None
            ]
            name = f"{'b128' if label == 'adam_b128' else 'adam'}-below-{suffix}"
            out[name] = f"{100 * statistics.median(shares):.0f}%" if run and shares else "—"
    return out
