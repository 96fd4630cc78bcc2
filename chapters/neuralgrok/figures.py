"""Chapter 3's figures (grokcore.plotting's house style) and its markdown tables: Table 1 beside
the paper's and as survival curves, post-grok stability, final accuracies; one run's view for
the explorer.

Figures take `cells` (cell name -> records over seeds, chapters.neuralgrok.configs.run_plan);
every figure but the explorer's is returned closed.
"""

from __future__ import annotations

import math
from typing import Sequence

import matplotlib.pyplot as plt

from grokcore import outcomes
from grokcore.claims import span
from grokcore.plotting import accuracy_curves, style, survival_panel
from grokcore.records import RunRecord

from .configs import (
    COMPOSITE,
    METHODS,
    NAMES,
    TRANSFER_TO,
    STABILITY_ROWS,
    row_cell,
    standard_a_minus_b,
    transfer_sources,
)
from .measures import min_after_grok, oscillation

COLORS = {
    "standard": "#1f77b4",
    "grokfast_ma": "#8c564b",
    "grokfast_ema": "#9467bd",
    "neuralgrok": "#d62728",
}  # one fixed color per method, in every figure and explorer view
# NeuralGrok Table 1: minimal steps to 95% test accuracy (None: never within 10^6 steps)
PAPER_TABLE1 = {
    "x+y": {"standard": 1650, "grokfast_ma": 1780, "grokfast_ema": 1820, "neuralgrok": 900},
    "x-y": {"standard": 4330, "grokfast_ma": 2990, "grokfast_ema": 1340, "neuralgrok": 1467},
    "x*y": {"standard": 1280, "grokfast_ma": 1150, "grokfast_ema": 1400, "neuralgrok": 918},
    "x^2-y": {"standard": 4820, "grokfast_ma": 3830, "grokfast_ema": 2730, "neuralgrok": 1845},
    "a*c+b*d-e": {"standard": None, "grokfast_ma": 8853, "grokfast_ema": None, "neuralgrok": 1896},
}


# ---- markdown tables -------------------------------------------------------------------------


def mean_steps(recs: Sequence[RunRecord]) -> str:
    """'mean ± sd (k/n censored)' of steps to 95% over the seeds that got there."""
    vals = [v for v in map(outcomes.time_to, recs) if v is not None]
    cens = outcomes.n_censored(recs)
    if not vals:
        return f"> {recs[0].summary['last_step']} (all censored)"
    m = sum(vals) / len(vals)
    sd = math.sqrt(sum((v - m) ** 2 for v in vals) / (len(vals) - 1)) if len(vals) > 1 else 0.0
    return f"{m:.0f} ± {sd:.0f}" + (f" ({cens}/{len(recs)} censored)" if cens else "")


def same_seed_markdown(base: Sequence[RunRecord], ours: Sequence[RunRecord]) -> str:
    """The baseline's runs (evaluated every few steps) against Table 1's standard runs of the
    same seeds (the same training, evaluated less often): per seed, both times to 95% and the
    largest test accuracy gap at the steps both evaluated, up to the baseline's stop."""
    lines = [
        "| seed | steps to 95%: baseline | Table 1 standard | largest test accuracy gap |",
        "|---|---|---|---|",
    ]
    by_seed = {_seed(r): r for r in base}
    for r in ours:
        b = by_seed.get(_seed(r))
        if b is None:
            continue
        acc = dict(zip(b.history["step"], b.history["test_acc"]))
        gaps = [
            abs(acc[s] - a) for s, a in zip(r.history["step"], r.history["test_acc"]) if s in acc
        ]
        gap = f"{max(gaps):.1e} over {len(gaps)} steps" if gaps else "—"
        t_b, t_o = (outcomes.time_to(x) for x in (b, r))
        t_b, t_o = ("—" if t is None else f"{t:.0f}" for t in (t_b, t_o))
        lines.append(f"| {_seed(r)} | {t_b} | {t_o} | {gap} |")
    return "\n".join(lines)


def _seed(rec: RunRecord) -> int:
    return getattr(rec.cfg, "run", rec.cfg).seed


def table1_markdown(cells: dict, ops: Sequence[str], p: int = 97) -> str:
    """Table 1 side by side: ours (mean ± sd of steps to 95%, censored counted) | paper."""
    head = "| task | " + " | ".join(f"{NAMES[m]}: ours | paper" for m in METHODS) + " |"
    lines = [head, "|---" * (1 + 2 * len(METHODS)) + "|"]
    for op in ops:
        paper = PAPER_TABLE1.get(op, {})
        row = [f"({op}) mod {7 if op == COMPOSITE else p}"]
        for m in METHODS:
            row += [mean_steps(cells[f"{op}/{m}"]), str(paper.get(m) or "—")]
        lines.append("| " + " | ".join(row).replace("*", "\\*") + " |")
    return "\n".join(lines)


def stability_markdown(cells: dict, first: str) -> str:
    """Per method on the first task: oscillation fraction and lowest test accuracy after 95%,
    per seed of the cell its stability row reads (configs.row_cell)."""
    lines = [
        "| method | evaluations below 90% after first 95% (per seed) "
        "| lowest test acc. after 95% |",
        "|---|---|---|",
    ]
    for row, m in STABILITY_ROWS.items():
        recs = cells[row_cell(cells, row, f"{first}/{m}")]
        osc = ", ".join("—" if v is None else f"{v:.3f}" for v in map(oscillation, recs))
        low = ", ".join("—" if v is None else f"{v:.3f}" for v in map(min_after_grok, recs))
        lines.append(f"| {NAMES[m]} | {osc} | {low} |")
    return "\n".join(lines)


def seeds_markdown(cells: dict, rows: Sequence[tuple[str, str]]) -> str:
    """Steps to 95% test accuracy per seed (columns) of each (cell, label) (rows); a run that
    never got there reads '> its last evaluation'."""
    n = max(len(cells[name]) for name, _ in rows)
    lines = ["| run | " + " | ".join(f"seed {i}" for i in range(n)) + " |", "|---" * (n + 1) + "|"]
    for name, label in rows:
        by_seed = {_seed(r): r for r in cells[name]}
        vals = []
        for i in range(n):
            r = by_seed.get(i)
            t = None if r is None else outcomes.time_to(r)
            vals.append(
                "—" if r is None else f"> {r.summary['last_step']}" if t is None else f"{t:.0f}"
            )
        lines.append(f"| {label} | " + " | ".join(vals) + " |")
    return "\n".join(lines)


def final_markdown(cells: dict, rows: Sequence[tuple[str, str]]) -> str:
    """Per (cell, label): train and test accuracy at the end (mean ± sd) and steps to 95% test."""

    def sd(v: list[float]) -> float:
        return math.sqrt(sum((x - sum(v) / len(v)) ** 2 for x in v) / max(1, len(v) - 1))

    lines = [
        "| run | final train acc. | final test acc. | steps to 95% test |",
        "|---|---|---|---|",
    ]
    for name, label in rows:
        recs = cells[name]
        tr, te = ([r.final[k] for r in recs] for k in ("train_acc", "test_acc"))
        lines.append(
            f"| {label} | {sum(tr) / len(tr):.3f} ± {sd(tr):.3f} | "
            f"{sum(te) / len(te):.3f} ± {sd(te):.3f} | {mean_steps(recs)} |"
        )
    return "\n".join(lines)


# ---- figures ---------------------------------------------------------------------------------


def curves_figure(cells: dict, panels: Sequence[tuple[str, str, Sequence[tuple[str, str, str]]]]):
    """One panel per (title, ylabel, [(cell name, label, color)]): test (solid, band min-max)
    and train (dashed) accuracy over steps, mean over seeds."""
    with style():
        fig, axes = plt.subplots(1, len(panels), figsize=(4.4 * len(panels), 3.3), squeeze=False)
        for ax, (title, ylabel, lines) in zip(axes[0], panels):
            for name, label, color in lines:
                accuracy_curves(ax, cells[name], color, label)
            ax.set_xlabel("step")
            ax.set_ylabel(ylabel)
            ax.set_title(title)
            ax.legend(fontsize=7, loc="center right")
        fig.tight_layout()
    plt.close(fig)
    return fig


def survival_figure(cells: dict, ops: Sequence[str], p: int = 97):
    """Table 1 as censored times: per task, each method's Kaplan-Meier curve of the seeds not
    yet at 95% test accuracy against steps (the times the speed rows pair), runs that never got
    there within the budget as ticks. A mean of the seeds that got there hides those."""
    with style():
        fig, axes = plt.subplots(1, len(ops), figsize=(4.4 * len(ops), 3.3), squeeze=False)
        for ax, op in zip(axes[0], ops):
            groups = {NAMES[m]: outcomes.times(cells[f"{op}/{m}"]) for m in METHODS}
            survival_panel(ax, groups, {NAMES[m]: COLORS[m] for m in METHODS}, xlabel="step")
            ax.set_title(f"({op}) mod {7 if op == COMPOSITE else p}")
        fig.tight_layout()
    plt.close(fig)
    return fig


def transfer_lines(cells: dict, ops: Sequence[str]) -> list[tuple[str, str, str]]:
    """Fig. 12's runs on a-b as (cell name, label, color): its standard baseline (Table 1's cell,
    else the transfer baseline), NeuralGrok trained on a-b where planned, each transfer cell."""
    lines = [(standard_a_minus_b(cells), "standard", COLORS["standard"])]
    if f"{TRANSFER_TO}/neuralgrok" in cells:
        lines.append((f"{TRANSFER_TO}/neuralgrok", "NeuralGrok", COLORS["neuralgrok"]))
    colors = ("#ff7f0e", "#2ca02c")
    for (name, op), color in zip(transfer_sources(ops).items(), colors):
        lines.append((name, f"amplifier from ({op}), frozen", color))
    return lines


def transfer_figure(cells: dict, lines: Sequence[tuple[str, str, str]], title: str):
    """Fig. 12 as runs: test (solid, band min-max) and train (dashed) accuracy over steps, mean
    over seeds (left), and the seeds not yet at 95% test accuracy, Kaplan-Meier (right), of each
    (cell name, label, color)."""
    with style():
        fig, axes = plt.subplots(1, 2, figsize=(8.8, 3.3))
        for name, label, color in lines:
            accuracy_curves(axes[0], cells[name], color, label)
        groups = {label: outcomes.times(cells[name]) for name, label, _ in lines}
        survival_panel(axes[1], groups, {label: color for _, label, color in lines}, xlabel="step")
        axes[0].set_xlabel("step")
        axes[0].set_ylabel("accuracy")
        axes[0].set_title(title)
        axes[0].legend(fontsize=7, loc="center right")
        axes[1].set_title("time to 95% test accuracy")
        fig.tight_layout()
    plt.close(fig)
    return fig


def entropy_figure(cells: dict, names: Sequence[tuple[str, str, str]], seed: int = 0):
    """NeuralGrok Figs. 5-6: AWE (left), AGE of the raw gradient (solid) and of the update
    (dotted, right) of one seed, with its train/test accuracy on a twin axis."""
    with style():
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.3))
        for name, label, color in names:
            r = cells[name][seed]
            t = r.history["entropy_step"]
            axes[0].plot(t, r.history["awe"], color=color, label=label)
            axes[1].plot(t, r.history["age_raw"], color=color, label=f"{label}: raw gradient")
            axes[1].plot(t, r.history["age_update"], color=color, ls=":", label=f"{label}: update")
        for ax, what in zip(
            axes, ("absolute weight entropy (AWE)", "absolute gradient entropy (AGE)")
        ):
            ax.set_xlabel("step")
            ax.set_title(what)
            ax.set_yscale("log")
            ax.legend(fontsize=7)
        fig.tight_layout()
    plt.close(fig)
    return fig


def run_view(rec: RunRecord, color: str, title: str, entropy: bool):
    """One explorer view: a run's train (dashed) and test (solid) accuracy; with `entropy`,
    its AGE (raw gradient) on a twin log axis in grey. Left open: explore.figure_png closes it."""
    with style():
        fig, ax = plt.subplots(figsize=(5.2, 3.0))
        accuracy_curves(ax, [rec], color)
        ax.set_xlabel("step")
        ax.set_title(title, fontsize=9)
        if entropy and "age_raw" in rec.history:
            tw = ax.twinx()
            tw.plot(rec.history["entropy_step"], rec.history["age_raw"], color="grey", lw=0.9)
            tw.set_yscale("log")
            tw.set_ylabel("AGE (grey)")
        fig.tight_layout()
    return fig


# ---- the numbers the chapter's prose quotes (grokcore.claims.quote) ---------------------------


def _budget(cfg) -> int:
    """A run's step budget (a NeuralGrok run's is its base run's)."""
    return getattr(cfg, "run", cfg).num_steps


def prose_quotes(
    cells: dict[str, list[RunRecord]], expect: Sequence[str], key: str = "step_to_test_acc_95"
) -> dict[str, str]:
    """Per cell ("op/method", "rescale/0.5", ...), in steps to `key`: `{cell}.95range` (the
    fewest-most of the seeds that got there), `.95max`, `.95list` (every seed's, sorted; '∞'
    for a seed that never got there), `.95reached`, `.95censored`, `.95censored5` (among the
    first five seeds: what set the seeds of a cell), `.n` and `.budget` (the runs' step budget,
    the largest); `{cell}.over4000`, the seeds not there by step 4000 (the budget that was first
    tried on a-b). Cells of `expect` that this run lacks quote '—', so the prose renders at
    every scale. A row's own cell ("<row>:<cell>", configs.grown_name) is quoted as
    "<row>/<cell>": a glue key's ':' would start a format spec."""
    parts = ("95range", "95max", "95list", "95reached", "95censored", "95censored5", "n", "budget")
    expect = [c.replace(":", "/") for c in expect]
    out = {f"{c}.{k}": "—" for c in expect for k in (*parts, "over4000")}
    for name, recs in cells.items():
        name = name.replace(":", "/")
        ts = [r.summary[key] for r in recs]
        got = sorted(t for t in ts if t is not None)
        out.update({
            f"{name}.95range": span(got),
            f"{name}.95max": f"{got[-1]:,}" if got else "—",  # got is sorted
            f"{name}.95list": ", ".join([f"{t:,}" for t in got] + ["∞"] * (len(ts) - len(got))),
            f"{name}.95reached": str(len(got)),
            f"{name}.95censored": str(len(ts) - len(got)),
            f"{name}.95censored5": str(sum(t is None for t in ts[:5])),
            f"{name}.n": str(len(ts)),
            f"{name}.budget": f"{max(_budget(r.cfg) for r in recs):,}",
            f"{name}.over4000": str(sum(t is None or t > 4000 for t in ts)),
        })  # fmt: skip
    return out
