"""Chapter 2's figures (EGD Figs. 1-4): accuracy curves per method and the hidden layer's
gradient spectrum, and each method's epochs to 95% as survival curves, in grokcore.plotting's
house style.

They read the cells of chapters.egd_modular.measures.by_cell: (task, method) -> records.
methods_figure, survival_figure and spectrum_figure return a closed Figure (show it with
IPython's display); run_panel is the explorer's view, rendered by grokcore.explore.figure_png."""

from __future__ import annotations

import matplotlib.pyplot as plt

from grokcore.claims import span
from grokcore.outcomes import times
from grokcore.plotting import COLORS, accuracy_curves, style, survival_panel

from . import measures

LOG_FROM = 1000  # epochs: a panel whose runs go on longer gets a log epoch axis, so that EGD's
# first hundred epochs and SGD's 15,000-epoch plateau both show


def _epoch_axis(ax, longest: float) -> None:
    """A log epoch axis from epoch 1 where the longest run exceeds LOG_FROM epochs."""
    if longest > LOG_FROM:
        ax.set_xscale("log")
        ax.set_xlim(left=1)


PER_ROW = 4  # panels per row: a plan with more tasks wraps onto more rows


def _panels(n: int):
    """A figure with n panels, PER_ROW to a row; returns (fig, the n axes in order). Unused
    slots of the last row are removed."""
    cols, rows = min(n, PER_ROW), -(-n // PER_ROW)
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.4 * rows), squeeze=False)
    flat = [ax for row in axes for ax in row]
    for ax in flat[n:]:
        ax.remove()
    return fig, flat[:n]


def _last_epoch(recs, per_epoch: int) -> float:
    return max(r.history["step"][-1] for r in recs) / per_epoch


def methods_figure(cells, operations, methods, names: dict[str, str], per_epoch, titles=None):
    """EGD Figs. 1-3: accuracy against epochs, one panel per task (PER_ROW to a row), one color
    per method.

    per_epoch: steps per epoch, an int or {task: int}; a (task, method) absent from `cells` is
    left out; titles: {task: panel title} (default "(task) mod p"). A panel with a run longer
    than LOG_FROM epochs has a log epoch axis."""
    with style():
        fig, axes = _panels(len(operations))
        for ax, op in zip(axes, operations):
            epoch = per_epoch[op] if isinstance(per_epoch, dict) else per_epoch
            shown = [m for m in methods if (op, m) in cells]
            for m in shown:
                accuracy_curves(ax, cells[(op, m)], COLORS[m], names[m], epoch)
            if shown:
                _epoch_axis(ax, max(_last_epoch(cells[(op, m)], epoch) for m in shown))
            ax.set_title((titles or {}).get(op, f"({op}) mod p") + ": test (solid), train (dashed)")
            ax.set_ylabel("accuracy")
            ax.legend(loc="center right", fontsize=7)
        fig.tight_layout()
    plt.close(fig)
    return fig


def survival_figure(cells, tasks, methods, names: dict[str, str], titles=None):
    """Per task, each method's Kaplan-Meier curve of the seeds not yet at 95% test accuracy
    against epochs: the times behind the claims' speed-ups (grokcore.outcomes.times, in epochs as
    the claims count them), with the runs that never got there within the budget as ticks.

    A (task, method) absent from `cells` is left out; titles: {task: panel title}."""
    with style():
        fig, axes = _panels(len(tasks))
        for ax, task in zip(axes, tasks):
            groups = {
                names[m]: times(cells[(task, m)], per=measures.per_epoch)
                for m in methods
                if (task, m) in cells
            }
            survival_panel(ax, groups, {names[m]: COLORS[m] for m in methods}, xlabel="epoch")
            longest = [o.value for obs in groups.values() for o in obs if o.value == o.value]
            _epoch_axis(ax, max(longest, default=0))
            ax.set_title((titles or {}).get(task, f"({task}) mod p"))
        fig.tight_layout()
    plt.close(fig)
    return fig


def run_panel(records, color, title: str, per_epoch: int):
    """One explorer view: one run's train and test accuracy."""
    with style():
        fig, ax = plt.subplots(figsize=(5.2, 3.0))
        accuracy_curves(ax, records, color, per_epoch=per_epoch)
        ax.set_title(title)
        # Fixed margins, the widest tight_layout gives over the shipped runs: the explorer draws
        # some two hundred of these, and tight_layout's measuring took a third of each one's time.
        fig.subplots_adjust(left=0.083, right=0.952, bottom=0.184, top=0.891)
    return fig


def spectrum_figure(cells, op: str, per_epoch: int, name: str = "W1"):
    """EGD Fig. 4: largest and smallest nonzero singular value of the hidden layer's gradient
    under SGD, and of the update EGD takes, over training (mean over seeds)."""
    with style():
        fig, ax = plt.subplots(figsize=(5.6, 3.4))
        for method, kind, label in (
            ("none", "grad", "SGD gradient"),
            ("egd", "update", "EGD update"),
        ):
            recs = cells[(op, method)]
            n = min(len(r.history["spectrum_step"]) for r in recs)
            epochs = [s / per_epoch for s in recs[0].history["spectrum_step"][:n]]
            for stat, ls in (("smax", "-"), ("smin", ":")):
                vals = [
                    sum(r.history[f"{kind}_{stat}_{name}"][j] for r in recs) / len(recs)
                    for j in range(n)
                ]
                ax.plot(
                    epochs,
                    vals,
                    color=COLORS[method],
                    ls=ls,
                    lw=1.4,
                    label=f"{label}: {'largest' if stat == 'smax' else 'smallest nonzero'} s",
                )
        ax.set_yscale("log")
        _epoch_axis(ax, max(_last_epoch(cells[(op, m)], per_epoch) for m in ("none", "egd")))
        ax.set_xlabel("epoch")
        ax.set_ylabel("singular value")
        ax.set_title(f"({op}) mod p: spectrum of the hidden layer's gradient")
        ax.legend(fontsize=7)
        fig.tight_layout()
    plt.close(fig)
    return fig


# ---- the numbers the chapter's prose quotes (grokcore.claims.quote) ---------------------------


def prose_quotes(cells: dict, expect: dict[str, list[str]]) -> dict[str, str]:
    """Per (task, method) cell, in epochs to 95% test accuracy: `{task}.{method}.95range` (the
    fewest-most of the seeds that got there), `.95max`, `.95reached`, `.95censored`, `.n` and
    `.budget` (the runs' budget in epochs, the largest).
    The cells of `expect` (a plan: task -> methods; the book's cpu plan) that this run lacks
    quote '—', so the prose renders at every scale."""
    out: dict[str, str] = {}
    for task, methods in expect.items():
        for m in methods:
            out.update(dict.fromkeys((f"{task}.{m}.{k}" for k in _CELL_QUOTES), "—"))
    for (task, m), recs in cells.items():
        obs = times(recs, "step_to_test_acc_95", per=measures.per_epoch)
        got = [round(o.value) for o in obs if not o.censored]
        budget = max(r.cfg.num_steps // measures.per_epoch(r) for r in recs)
        out.update({
            f"{task}.{m}.95range": span(got),
            f"{task}.{m}.95max": f"{max(got):,}" if got else "—",
            f"{task}.{m}.95reached": str(len(got)),
            f"{task}.{m}.95censored": str(len(recs) - len(got)),
            f"{task}.{m}.n": str(len(recs)),
            f"{task}.{m}.budget": f"{budget:,}",
        })  # fmt: skip
    return out


_CELL_QUOTES = ("95range", "95max", "95reached", "95censored", "n", "budget")
