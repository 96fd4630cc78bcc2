"""House style and the plot helpers several chapters share: static matplotlib figures built from
run records (never during training). Each chapter's figures live in its own package.

A chapter's figure function returns a closed Figure: show it with IPython's display(fig) or
fig.savefig; closing keeps pyplot from drawing it a second time at the end of a notebook cell."""

from __future__ import annotations

from contextlib import contextmanager

import matplotlib.pyplot as plt
import numpy as np

from .estimates import Obs

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


def survival(ax, obs, color=None, label=None, per: float = 1.0, lw: float = 1.5):
    """Kaplan-Meier curve of the fraction of seeds that have not yet reached the event, from
    grokcore.outcomes.times' Obs (values divided by `per`, e.g. steps per epoch).

    Drawn from the same estimator as estimates.median (scipy.stats.ecdf on CensoredData), so a
    claim's median is where this curve first falls to 1/2 or below. A censored run stays in the
    risk set up to its budget and then leaves it: its tick ("|", "x" where it diverged) sits on
    the curve at that time. The curve runs on to the largest time, so that a flat tail shows how
    long the survivors were watched. The label counts seeds, censored (diverged included) and
    diverged. Returns the curve's Line2D; None for no observations."""
    from scipy import stats

    obs = [o if isinstance(o, Obs) else Obs(float(o)) for o in obs]
    obs = [o for o in obs if np.isfinite(o.value)]
    if not obs:
        return None
    t = np.array([o.value / per for o in obs], dtype=float)
    cens = np.array([o.censored or o.diverged for o in obs])
    div = np.array([o.diverged for o in obs])
    events = np.unique(t[~cens])
    if events.size:
        sf = stats.ecdf(stats.CensoredData(uncensored=t[~cens], right=t[cens])).sf
        surv_at = sf.evaluate
    else:  # nothing reached the event: S stays 1 (no estimator needed, and none is defined)
        surv_at = np.ones_like
    s = surv_at(events)
    xs = np.concatenate([[0.0], events, [t.max()]])
    ys = np.concatenate([[1.0], s, [s[-1] if s.size else 1.0]])
    n, k, d = len(obs), int(cens.sum()), int(div.sum())
    counts = ", ".join(
        [f"n={n}"] + [f"{v} {w}" for v, w in ((k, "censored"), (d, "diverged")) if v]
    )
    text = f"{label} ({counts})" if label else counts
    (line,) = ax.step(xs, ys, where="post", color=color, lw=lw, label=text)
    tick = dict(ms=9, mew=1.4, color=line.get_color(), clip_on=False)  # whole ticks at S = 1
    for mask, marker in ((cens & ~div, "|"), (div, "x")):
        if mask.any():
            ax.plot(t[mask], surv_at(t[mask]), ls="none", marker=marker, **tick)
    return line


def survival_panel(
    ax,
    groups: dict,
    colors: dict | None = None,
    xlabel: str = "steps",
    ylabel: str = "fraction not yet at 95% test accuracy",
):
    """One survival curve per group {label: [Obs]} (colors: {label: color}), on one axis: arms
    compared as censored times, where a table of medians would hide the censoring.

    Arms often coincide (all censored at one budget, or two arms that only differ after the
    event), so each curve is drawn a little thinner than the one before: one that lies on
    another still shows as a coloured edge."""
    m = len(groups)
    for j, (name, obs) in enumerate(groups.items()):
        survival(ax, obs, (colors or {}).get(name), name, lw=1.2 + min(0.6, 2 / m) * (m - 1 - j))
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlim(left=0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7)
