"""House style and the plot helpers several chapters share: static matplotlib figures built from
run records (never during training). Each chapter's figures live in its own package.

A chapter's figure function returns a closed Figure: show it with IPython's display(fig) or
fig.savefig; closing keeps pyplot from drawing it a second time at the end of a notebook cell."""

from __future__ import annotations

from contextlib import contextmanager

import matplotlib.pyplot as plt

COLORS = {
    "gd": "#1f77b4",
    "egd": "#d62728",
    "sgd": "#1f77b4",
    "none": "#1f77b4",
    "column_norm": "#2ca02c",
    "grokfast_ema": "#9467bd",
    "grokfast_ma": "#8c564b",
    "egd_rsvd128": "#ff7f0e",
    "egd_rsvd64": "#e377c2",
    "egd_newton_schulz": "#7f7f7f",
    "egd_noswitch": "#17becf",
}

RC = {
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "axes.grid": True,
    "grid.alpha": 0.25,
}


@contextmanager
def style():
    """The house style's matplotlib settings, for the figures built inside the block."""
    with plt.rc_context(RC):
        yield


def mean_curve(records, key: str) -> tuple[list, list, list]:
    """Steps, mean and (min, max) envelope of a history metric over seeds (same step grid)."""
    steps = records[0].history["step"]
    cols = list(zip(*[r.history[key] for r in records]))
    return steps, [sum(c) / len(c) for c in cols], [(min(c), max(c)) for c in cols]


def accuracy_curves(ax, records, color, label=None, per_epoch: int = 1):
    """Test accuracy (solid, mean over seeds, min-max band) and train accuracy (dashed) over
    epochs. Runs that stopped early hold their last value, so seeds share one axis."""
    steps = max((r.history["step"] for r in records), key=len)

    def padded(key):
        return [
            r.history[key] + [r.history[key][-1]] * (len(steps) - len(r.history[key]))
            for r in records
        ]

    epochs = [s / per_epoch for s in steps]
    for key, ls, lab in (("test_acc", "-", label), ("train_acc", "--", None)):
        cols = list(zip(*padded(key)))
        mean = [sum(c) / len(c) for c in cols]
        if key == "test_acc":
            ax.fill_between(
                epochs, [min(c) for c in cols], [max(c) for c in cols], color=color, alpha=0.2, lw=0
            )
        ax.plot(epochs, mean, color=color, ls=ls, lw=1.4, label=lab)
    ax.set_xlabel("epoch")
    ax.set_ylim(-0.02, 1.02)
