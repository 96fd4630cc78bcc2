"""Chapter 1's figures (EGD Fig. 6 and the plateau scaling), in grokcore.plotting's house style.

They read the cells of chapters.egd_toy.measures.by_cell: (method, init_scale, eps) -> records.
toy_figure, plateau_figure, methods_figure and theorem_figure return a closed Figure (show it
with IPython's display); toy_panel is the explorer's view, rendered by grokcore.explore.figure_png.
Records of eq. 11 (egd11) have no Theorem 1 curve (the theorem does not cover it); SGD's is GD's,
the curve of its mean iterate."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt

from grokcore.plotting import COLORS, mean_curve, style

LABELS = {"gd": "GD", "egd": "EGD (eq. 9)", "egd11": "EGD (eq. 11)", "sgd": "SGD"}
# the library's palette draws SGD as GD (they are one arm in other chapters): here both appear
METHOD_COLORS = {"gd": COLORS["gd"], "egd": COLORS["egd"], "egd11": "#ff7f0e", "sgd": "#2ca02c"}


def _step_axis(ax, steps):
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xlim(0, max(steps))
    ax.set_xlabel("iteration k")


def toy_curves(
    ax, cells, method: str, init_scale: float, eps: float, color=None, label=None, theory=True
):
    """Simulated test error (solid: mean over seeds, band: min..max) and Theorem 1 (dashed,
    where the record has it and `theory`)."""
    recs = cells[(method, init_scale, eps)]
    steps, mean, env = mean_curve(recs, "test_err")
    color = color or METHOD_COLORS[method]
    ax.fill_between(steps, [e[0] for e in env], [e[1] for e in env], color=color, alpha=0.2, lw=0)
    ax.plot(steps, mean, color=color, lw=1.6, label=label)
    if theory and "theory_err" in recs[0].history:
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
            ax.set_title(f"{LABELS[method]}, ε = {eps:g} (solid: simulation, dashed: Theorem 1)")
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
    """One explorer view: every method run at (eps, init_scale), simulation and theory (Theorem
    1 drawn for GD and eq. 9; SGD's would repeat GD's, eq. 11 has none)."""
    with style():
        fig, ax = plt.subplots(figsize=(5.2, 3.0))
        for method in LABELS:
            if (method, init_scale, eps) in cells:
                toy_curves(
                    ax, cells, method, init_scale, eps, label=LABELS[method],
                    theory=method in ("gd", "egd"),
                )  # fmt: skip
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


def _mean_plateau(recs) -> float:
    """Mean plateau over seeds; NaN where any seed's outlasted the budget (a bound, not drawn)."""
    vals = [r.summary["plateau"] for r in recs]
    return math.nan if None in vals else sum(vals) / len(vals)


def methods_figure(cells, eps_values: list[float], large: float, eps: float, theorem: dict):
    """The four update rules side by side (from measures.theorem_sweep: EGD's expected plateau).

    Left: plateau against 1/eps at the large init scale, per method run there (mean over seeds;
    the grey line has slope 1). Right: EGD's (eq. 9) plateau against zeta at the Fig. 6 eps,
    every seed (dots) and the mean, with Theorem 1 evaluated on eq. 10's iterates (dashed)."""
    inv = [1 / e for e in eps_values]
    with style():
        fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
        for method, marker in (("gd", "o"), ("sgd", "v"), ("egd11", "D"), ("egd", "s")):
            if not all((method, large, e) in cells for e in eps_values):
                continue
            ks = [_mean_plateau(cells[(method, large, e)]) for e in eps_values]
            left.plot(
                inv, ks, marker=marker, ms=4, color=METHOD_COLORS[method], label=LABELS[method]
            )
        if all(("gd", large, e) in cells for e in eps_values):  # a 1/ε guide through GD's first
            gd = [_mean_plateau(cells[("gd", large, e)]) for e in eps_values]
            guide = [gd[0] * v / inv[0] for v in inv]
            left.plot(inv, guide, color="grey", lw=0.8, ls="--", label="∝ 1/ε")
        left.set_xscale("log")
        left.set_yscale("log")
        left.set_xlabel("1/ε")
        left.set_ylabel("plateau: first k with test error ≤ 1/2")
        left.set_title(f"ζ = {large:g}")
        left.legend(fontsize=7)
        zetas = sorted(z for (m, z, e) in cells if m == "egd" and e == eps)
        for z in zetas:
            ks = [r.summary["plateau"] for r in cells[("egd", z, eps)]]
            right.plot([z] * len(ks), ks, ls="", marker=".", color=METHOD_COLORS["egd"], alpha=0.5)
        means = [_mean_plateau(cells[("egd", z, eps)]) for z in zetas]
        right.plot(zetas, means, marker="s", ms=4, color=METHOD_COLORS["egd"], label=LABELS["egd"])
        expected = theorem.get("egd", {}) if theorem.get("eps") == eps else {}
        if expected:
            zs = sorted(expected)
            right.plot(
                zs, [expected[z] for z in zs], color="k", lw=0.9, ls="--",
                label="Theorem 1 with eq. 10",
            )  # fmt: skip
        right.set_xscale("log")
        right.set_xlabel("init scale ζ")
        right.set_ylabel(f"plateau k* at ε = {eps:g}")
        right.set_title("EGD (eq. 9) against the init scale")
        right.legend(fontsize=7)
        fig.tight_layout()
    plt.close(fig)
    return fig
