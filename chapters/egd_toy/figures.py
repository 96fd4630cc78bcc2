"""Chapter 1's figures (EGD Fig. 6 and the plateau scaling), in grokcore.plotting's house style.

They read the cells of chapters.egd_toy.measures.by_cell: (method, init_scale, eps) -> records.
toy_figure and plateau_figure return a closed Figure (show it with IPython's display);
toy_panel is the explorer's view, rendered by grokcore.explore.figure_png."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt

from grokcore.plotting import COLORS, mean_curve, style

LABELS = {"gd": "GD", "egd": "EGD"}


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
            ax.set_title(
                f"{LABELS[method]}, ε = {eps:g} (solid: simulation, black dashed: Theorem 1)"
            )
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
        cmap = plt.get_cmap("viridis")
        for method, marker in (("gd", "o"), ("egd", "s")):
            for j, z in enumerate(init_scales):
                ks = []
                for e in eps_values:
                    vals = [r.summary["plateau"] for r in cells[(method, z, e)]]
                    ks.append(math.nan if None in vals else sum(vals) / len(vals))
                anchor = (
                    ks[0] if method == "gd" else anchor
                )  # the largest GD init anchors the guide
                ls = "-" if method == "gd" else ":"
                ax.plot(
                    inv,
                    ks,
                    marker=marker,
                    ls=ls,
                    ms=4,
                    color=cmap(j / max(1, len(init_scales) - 1)),
                    label=f"{LABELS[method]}, ζ = {z:g}",
                )
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
