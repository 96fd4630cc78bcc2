"""House style: static matplotlib figures built from run records (never during training).

Every function returns a closed Figure: show it with IPython's display(fig) or fig.savefig;
closing keeps pyplot from drawing it a second time at the end of a notebook cell."""
from __future__ import annotations

import math
from contextlib import contextmanager

import matplotlib.pyplot as plt

COLORS = {"gd": "#1f77b4", "egd": "#d62728", "sgd": "#1f77b4", "none": "#1f77b4",
          "column_norm": "#2ca02c", "grokfast_ema": "#9467bd", "grokfast_ma": "#8c564b",
          "egd_rsvd128": "#ff7f0e", "egd_rsvd64": "#e377c2", "egd_newton_schulz": "#7f7f7f",
          "egd_noswitch": "#17becf"}
LABELS = {"gd": "GD", "egd": "EGD"}

RC = {"figure.dpi": 100, "savefig.dpi": 100, "font.size": 9, "axes.titlesize": 10,
      "axes.spines.top": False, "axes.spines.right": False, "legend.frameon": False,
      "axes.grid": True, "grid.alpha": 0.25}


@contextmanager
def style():
    with plt.rc_context(RC):
        yield


def mean_curve(records, key: str) -> tuple[list, list, list]:
    """Steps, mean and (min, max) envelope of a history metric over seeds (same step grid)."""
    steps = records[0].history["step"]
    cols = list(zip(*[r.history[key] for r in records]))
    return steps, [sum(c) / len(c) for c in cols], [(min(c), max(c)) for c in cols]


def _step_axis(ax, steps):
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xlim(0, max(steps))
    ax.set_xlabel("iteration k")


def toy_curves(ax, cells, method: str, init_scale: float, eps: float, color=None, label=None):
    """Simulated test error (solid: mean over seeds, band: min..max) and Theorem 1 (dashed)."""
    recs = cells[(method, init_scale, eps)]
    steps, mean, env = mean_curve(recs, "test_err")
    color = color or COLORS[method]
    ax.fill_between(steps, [e[0] for e in env], [e[1] for e in env], color=color, alpha=0.2, lw=0)
    ax.plot(steps, mean, color=color, lw=1.6, label=label)
    # theory in black on top: where it hides the simulation, the two agree
    ax.plot(steps, recs[0].history["theory_err"], color="k", lw=0.9, ls="--", zorder=3)
    _step_axis(ax, steps)
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel("test error")


def toy_figure(cells, eps: float, init_scales: list[float]):
    """EGD Fig. 6: GD (left) and EGD (right) test error for several init scales zeta."""
    with style():
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), sharey=True)
        cmap = plt.get_cmap("viridis")
        for ax, method in zip(axes, ("gd", "egd")):
            for j, z in enumerate(init_scales):
                c = cmap(j / max(1, len(init_scales) - 1))
                toy_curves(ax, cells, method, z, eps, color=c, label=f"ζ = {z:g}")
            ax.set_title(f"{LABELS[method]}, ε = {eps:g} (solid: simulation, black dashed: Theorem 1)")
        axes[0].legend(loc="lower left")
        fig.tight_layout()
    plt.close(fig)
    return fig


def plateau_figure(cells, eps_values: list[float], init_scales: list[float]):
    """Plateau length (first k with test error <= 1/2) against 1/eps, per method and init."""
    with style():
        fig, ax = plt.subplots(figsize=(5.2, 3.6))
        inv = [1 / e for e in eps_values]
        anchor = math.nan
        for method, marker in (("gd", "o"), ("egd", "s")):
            for j, z in enumerate(init_scales):
                ks = []
                for e in eps_values:
                    vals = [r.summary["plateau"] for r in cells[(method, z, e)]]
                    ks.append(math.nan if None in vals else sum(vals) / len(vals))
                anchor = ks[0] if method == "gd" else anchor  # the largest GD init anchors the guide
                ls = "-" if method == "gd" else ":"
                ax.plot(inv, ks, marker=marker, ls=ls, ms=4, color=plt.get_cmap("viridis")(j / max(1, len(init_scales) - 1)),
                        label=f"{LABELS[method]}, ζ = {z:g}")
        ref = [anchor * v / inv[0] for v in inv]  # slope-1 guide
        ax.plot(inv, ref, color="grey", lw=0.8, ls="--", label="∝ 1/ε")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("1/ε (condition number of the features)")
        ax.set_ylabel("plateau: first k with test error ≤ 1/2")
        ax.legend(fontsize=7, ncol=2)
        fig.tight_layout()
    plt.close(fig)
    return fig


def toy_panel(cells, eps: float, init_scale: float):
    """One explorer view: GD and EGD at (eps, init_scale), simulation and theory."""
    with style():
        fig, ax = plt.subplots(figsize=(5.2, 3.0))
        for method in ("gd", "egd"):
            toy_curves(ax, cells, method, init_scale, eps, label=LABELS[method])
        ax.set_title(f"ε = {eps:g}, ζ = {init_scale:g}  (black dashed: Theorem 1)")
        ax.legend(loc="lower left")
        fig.tight_layout()
    return fig


def accuracy_curves(ax, records, color, label=None, per_epoch: int = 1):
    """Test accuracy (solid, mean over seeds, min-max band) and train accuracy (dashed) over
    epochs. Runs that stopped early hold their last value, so seeds share one axis."""
    steps = max((r.history["step"] for r in records), key=len)
    def padded(key):
        return [r.history[key] + [r.history[key][-1]] * (len(steps) - len(r.history[key])) for r in records]
    epochs = [s / per_epoch for s in steps]
    for key, ls, lab in (("test_acc", "-", label), ("train_acc", "--", None)):
        cols = list(zip(*padded(key)))
        mean = [sum(c) / len(c) for c in cols]
        if key == "test_acc":
            ax.fill_between(epochs, [min(c) for c in cols], [max(c) for c in cols], color=color, alpha=0.2, lw=0)
        ax.plot(epochs, mean, color=color, ls=ls, lw=1.4, label=lab)
    ax.set_xlabel("epoch")
    ax.set_ylim(-0.02, 1.02)


def methods_figure(cells, operations, methods, names: dict[str, str], per_epoch, titles=None):
    """EGD Figs. 1-3: accuracy against epochs, one panel per task, one color per method.

    per_epoch: steps per epoch, an int or {task: int}; a (task, method) absent from `cells` is
    left out; titles: {task: panel title} (default "(task) mod p")."""
    with style():
        fig, axes = plt.subplots(1, len(operations), figsize=(4.6 * len(operations), 3.4), squeeze=False)
        for ax, op in zip(axes[0], operations):
            epoch = per_epoch[op] if isinstance(per_epoch, dict) else per_epoch
            for m in methods:
                if (op, m) in cells:
                    accuracy_curves(ax, cells[(op, m)], COLORS[m], names[m], epoch)
            ax.set_title((titles or {}).get(op, f"({op}) mod p") + ": test (solid), train (dashed)")
            ax.set_ylabel("accuracy")
            ax.legend(loc="center right", fontsize=7)
        fig.tight_layout()
    plt.close(fig)
    return fig


def run_panel(records, color, title: str, per_epoch: int):
    """One explorer view: one run's train and test accuracy."""
    with style():
        fig, ax = plt.subplots(figsize=(5.2, 3.0))
        accuracy_curves(ax, records, color, per_epoch=per_epoch)
        ax.set_title(title)
        fig.tight_layout()
    return fig


def spectrum_figure(cells, op: str, per_epoch: int, name: str = "W1"):
    """EGD Fig. 4: largest and smallest nonzero singular value of the hidden layer's gradient
    under SGD, and of the update EGD takes, over training (mean over seeds)."""
    with style():
        fig, ax = plt.subplots(figsize=(5.6, 3.4))
        for method, kind, label in (("none", "grad", "SGD gradient"), ("egd", "update", "EGD update")):
            recs = cells[(op, method)]
            n = min(len(r.history["spectrum_step"]) for r in recs)
            epochs = [s / per_epoch for s in recs[0].history["spectrum_step"][:n]]
            for stat, ls in (("smax", "-"), ("smin", ":")):
                vals = [sum(r.history[f"{kind}_{stat}_{name}"][j] for r in recs) / len(recs) for j in range(n)]
                ax.plot(epochs, vals, color=COLORS[method], ls=ls, lw=1.4,
                        label=f"{label}: {'largest' if stat == 'smax' else 'smallest nonzero'} s")
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("singular value")
        ax.set_title(f"({op}) mod p: spectrum of the hidden layer's gradient")
        ax.legend(fontsize=7)
        fig.tight_layout()
    plt.close(fig)
    return fig
