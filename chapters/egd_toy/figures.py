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


def theorem_figure(theorem: dict, show: tuple[float, ...] = (0.01, 0.1, 1.0, 10.0, 100.0)):
    """Theorem 1 against Corollary 1, from measures.theorem_sweep (no runs).

    Left: Theorem 1's plateau against 1/eps (solid) and Cor. 1's formulas (dashed): 1B's
    (1/eta) ln(1/(tau eps)) below the corollary's threshold tau = m1, 1A's ln(tau)/(eta eps)
    above it, for the init scales in `show` (the grid's nearest). Right: the plateau at the
    smallest eps against zeta, the theorem over the whole grid, the corollary's two regimes."""
    rows = theorem["rows"]
    eps_values, lr = theorem["eps_values"], theorem["lr"]
    tan_m2 = theorem["tau_per_zeta"]  # tau = tan_m2 * zeta

    def corollary(z: float, e: float) -> float:
        tau = z * tan_m2  # tau = |u2| tan(theta) m2, |u2| = zeta |sin(init angle)|
        if tau > theorem["m1"]:
            return math.log(tau) / (lr * e)  # Cor. 1A
        return max(math.log(1 / (tau * e)), 0.0) / lr  # Cor. 1B

    inv = [1 / e for e in eps_values]
    with style():
        fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
        cmap = plt.get_cmap("viridis")
        for j, z in enumerate(show):
            row = min(rows, key=lambda r: abs(math.log(r["zeta"] / z)))
            c = cmap(j / max(1, len(show) - 1))
            ks = [math.nan if k is None else k for k in row["plateaus"]]
            left.plot(inv, ks, marker="o", ms=3, color=c, label=f"ζ = {row['zeta']:.3g}")
            left.plot(inv, [corollary(row["zeta"], e) for e in eps_values], ls="--", color=c)
        left.set_xscale("log")
        left.set_yscale("log")
        left.set_xlabel("1/ε")
        left.set_ylabel("plateau k*")
        left.set_title("Theorem 1 (solid) and Cor. 1 (dashed)")
        left.legend(fontsize=7)
        e_min = min(eps_values)
        zs = [r["zeta"] for r in rows]
        j_min = eps_values.index(e_min)
        theo = [math.nan if r["plateaus"][j_min] is None else r["plateaus"][j_min] for r in rows]
        right.plot(zs, theo, color="k", lw=1.6, label="Theorem 1")
        right.plot(zs, [corollary(z, e_min) for z in zs], color="C3", ls="--", label="Cor. 1")
        right.axvline(theorem["m1"] / tan_m2, color="grey", lw=0.8, ls=":", label="τ = m₁")
        right.set_xscale("log")
        right.set_yscale("log")
        right.set_xlabel("init scale ζ")
        right.set_ylabel(f"plateau k* at ε = {e_min:g}")
        right.set_title("the plateau at the smallest ε, against ζ")
        right.legend(fontsize=7)
        fig.tight_layout()
    plt.close(fig)
    return fig
