"""The template chapter's figures, in grokcore.plotting's house style, built from run records.

REPLACE: your figures. A figure is returned closed: show it with IPython's display(fig). An
explorer view is left open for grokcore.explore.figure_png, which renders and closes it.
Shared figure helpers live in grokcore.plotting, a chapter's own here.
"""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt

from grokcore import plotting
from grokcore.records import RunRecord

from .measures import per_epoch

# REPLACE: one fixed color per arm, so an arm looks the same in every figure and explorer view.
COLORS = {"none": "#1f77b4", "egd": "#d62728"}  # standard training blue, EGD red (as chapter 2)
OTHERS = ("#2ca02c", "#9467bd", "#8c564b", "#ff7f0e")  # any other transform


def color(name: str) -> str:
    """The color of arm `name`, the same in every figure (and every run of the notebook)."""
    return COLORS.get(name, OTHERS[sum(map(ord, name)) % len(OTHERS)])


def accuracy_figure(groups: dict[str, Sequence[RunRecord]], labels: dict[str, str], title: str):
    """Test (solid, mean and min-max band over seeds) and train accuracy (dashed) against
    epochs, one color per arm."""
    with plotting.style():
        fig, ax = plt.subplots(figsize=(5.6, 3.4))
        for name, recs in groups.items():
            plotting.accuracy_curves(
                ax, recs, color(name), labels.get(name, name), per_epoch(recs[0])
            )
        ax.set_ylabel("accuracy")
        ax.set_title(title + ": test (solid), train (dashed)")
        ax.legend(loc="center right", fontsize=7)
        fig.tight_layout()
    plt.close(fig)
    return fig


def run_view(rec: RunRecord, name: str, title: str):
    """One explorer view: one run's train and test accuracy (left open: explore.figure_png
    renders and closes it)."""
    with plotting.style():
        fig, ax = plt.subplots(figsize=(5.2, 3.0))
        plotting.accuracy_curves(ax, [rec], color(name), per_epoch=per_epoch(rec))
        ax.set_ylabel("accuracy")
        ax.set_title(title)
        fig.tight_layout()
    return fig
