"""Chapter 4's figures (grokcore.plotting's house style) and tables (rows for pandas.DataFrame),
from the records of its runs (chapters.adam_dynamics.configs and .transplant).

Every figure is returned closed, except the explorer's view (run_panel), which
grokcore.explore.figure_png renders and closes. A table cell is "—" or None where every seed, or
that seed, was censored.
"""

from __future__ import annotations

import statistics
from typing import Sequence

import matplotlib.pyplot as plt

from grokcore.claims import span
from grokcore.plotting import style
from grokcore.records import RunRecord

from . import measures as A
from . import transplant

TEST, TRAIN, NORM = "#d62728", "#1f77b4", "#555555"


def gap_figure(by_beta1: dict, budget: int):
    """Blog's β1 figure: median gap (line) and IQR (band) against β1; censored seeds noted."""
    with style():
        fig, ax = plt.subplots(figsize=(5.4, 3.4))
        xs, med, lo, hi = [], [], [], []
        for b1, recs in by_beta1.items():
            q = A.quartiles([A.gap(r.summary) for r in recs])
            n_cens = sum(A.gap(r.summary) is None for r in recs)
            if n_cens:
                ax.annotate(
                    f"{n_cens} cens.",
                    (b1, q[1] if q else 0),
                    fontsize=7,
                    textcoords="offset points",
                    xytext=(0, 6),
                    ha="center",
                )
            if q:
                xs.append(b1), lo.append(q[0]), med.append(q[1]), hi.append(q[2])
        ax.fill_between(xs, lo, hi, color=TEST, alpha=0.2, lw=0, label="IQR over seeds")
        ax.plot(xs, med, "o-", color=TEST, ms=4, label="median gap")
        ax.set_xlabel("β1")
        ax.set_ylabel("gap: test 95% − train 95% (steps)")
        ax.set_title(f"Gap against β1 (censored: no test 95% within {budget} steps)")
        ax.legend(loc="upper left")
        fig.tight_layout()
    plt.close(fig)
    return fig


def _marks(ax, r):
    for key, color in (("step_to_train_acc_95", TRAIN), ("step_to_test_acc_95", TEST)):
        if r.summary[key] is not None:
            ax.axvline(r.summary[key], color=color, lw=0.8, ls=":")


def oscillation_figure(by_wd: dict, weight_decays, seed: int = 0):
    """Post-grok test accuracy (left axis) and weight norm (right axis), one panel per weight
    decay."""
    with style():
        fig, axes = plt.subplots(
            1, len(weight_decays), figsize=(3.6 * len(weight_decays), 2.9), squeeze=False
        )
        for ax, wd in zip(axes[0], weight_decays):
            r = by_wd[wd][seed]
            h = r.history
            ax.plot(h["step"], h["test_acc"], color=TEST, lw=1.1, label="test acc")
            ax.plot(h["step"], h["train_acc"], color=TRAIN, lw=0.9, ls="--", label="train acc")
            ax.set_ylim(-0.02, 1.02)
            ax.set_xlabel("step")
            ax2 = ax.twinx()
            ax2.plot(h["step"], h["weight_norm"], color=NORM, lw=0.9)
            ax2.set_ylabel("weight norm", color=NORM)
            ax2.grid(False)
            ax.set_title(f"wd = {wd:g}, β1 = 0, seed {seed}")
        axes[0][0].set_ylabel("accuracy")
        axes[0][0].legend(loc="center right", fontsize=7)
        fig.tight_layout()
    plt.close(fig)
    return fig


def diagnostics_figure(runs: dict, title: str = ""):
    """runs: label -> record with Hessian probes. Rows: accuracy, top Hessian eigenvalue,
    gradient agreement, Adam moment cosine, effective rank; dotted lines at train/test 95%."""
    rows = [
        ("acc", "accuracy"),
        ("hessian_top", "top Hessian eigenvalue"),
        ("agreement", "half-batch agreement"),
        ("moment_cos", "cos(Adam m, gradient)"),
        ("effective_rank", "per-sample grad eff. rank"),
    ]
    with style():
        fig, axes = plt.subplots(
            len(rows),
            len(runs),
            figsize=(4.0 * len(runs), 1.7 * len(rows)),
            sharex="col",
            squeeze=False,
        )
        for j, (label, r) in enumerate(runs.items()):
            for i, (key, name) in enumerate(rows):
                ax = axes[i][j]
                if key == "acc":
                    ax.plot(
                        r.history["step"], r.history["test_acc"], color=TEST, lw=1.1, label="test"
                    )
                    ax.plot(
                        r.history["step"],
                        r.history["train_acc"],
                        color=TRAIN,
                        lw=1.1,
                        ls="--",
                        label="train",
                    )
                    ax.set_title(label)
                else:
                    grid = (
                        "hessian_step" if key in ("hessian_top", "effective_rank") else "probe_step"
                    )
                    ax.plot(*A.series(r, key, grid), color="k", lw=0.9)
                if key == "hessian_top":
                    ax.set_yscale("log")
                _marks(ax, r)
                if j == 0:
                    ax.set_ylabel(name, fontsize=8)
            axes[-1][j].set_xlabel("step")
        axes[0][0].legend(fontsize=7)
        if title:
            fig.suptitle(title)
        fig.tight_layout()
    plt.close(fig)
    return fig


def dips_figure(dips, gaps, stats: dict, labels):
    """Scatter of agreement dips against gap, one colour per β1."""
    with style():
        fig, ax = plt.subplots(figsize=(4.8, 3.4))
        cmap = plt.get_cmap("viridis")
        values = sorted(set(labels))
        for k, v in enumerate(values):
            pts = [(d, g) for d, g, lab in zip(dips, gaps, labels) if lab == v]
            ax.scatter(
                [p[0] for p in pts],
                [p[1] for p in pts],
                s=14,
                color=cmap(k / max(1, len(values) - 1)),
                label=f"β1 = {v:g}",
            )
        r = stats["r"]
        ax.set_title(f"r = {r:.2f} (n = {stats['n']})" if r is not None else "r undefined")
        ax.set_xlabel("dips in gradient agreement (up to the grokking step)")
        ax.set_ylabel("gap (steps)")
        if dips:
            ax.legend(fontsize=7)
        fig.tight_layout()
    plt.close(fig)
    return fig


def explorer_settings(part: dict) -> dict[str, list[RunRecord]]:
    """ "β1 = b, wd = w" (and Grokfast) -> the records of that setting, by seed."""
    out: dict = {}
    for name in ("beta1", "wd", "grokfast"):
        for r in sorted(part[name], key=lambda r: r.config["run"]["seed"]):
            run = r.config["run"]
            label = f"β1 = {run['optim']['betas'][0]:g}, wd = {run['optim']['weight_decay']:g}"
            if run["method"]["name"] != "none":
                label += ", Grokfast"
            if r not in out.setdefault(label, []):
                out[label].append(r)
    return out


def run_panel(r, title: str):
    """Explorer view: accuracy and weight norm (left), agreement and Adam cosine (right)."""
    with style():
        fig, (a, b) = plt.subplots(1, 2, figsize=(7.6, 2.7))
        h = r.history
        a.plot(h["step"], h["test_acc"], color=TEST, lw=1.1, label="test acc")
        a.plot(h["step"], h["train_acc"], color=TRAIN, lw=1.0, ls="--", label="train acc")
        a.set_ylim(-0.02, 1.02)
        a2 = a.twinx()
        a2.plot(h["step"], h["weight_norm"], color=NORM, lw=0.8)
        a2.set_ylabel("weight norm", color=NORM)
        a2.grid(False)
        a.legend(loc="center right", fontsize=7)
        b.plot(*A.series(r, "agreement"), color="#2ca02c", lw=0.8, label="half-batch agreement")
        b.plot(*A.series(r, "moment_cos"), color="#9467bd", lw=0.8, label="cos(Adam m, grad)")
        b.set_ylim(-1.02, 1.02)
        b.legend(loc="lower right", fontsize=7)
        for ax in (a, b):
            _marks(ax, r)
            ax.set_xlabel("step")
        fig.suptitle(title, fontsize=9)
        # Fixed margins, the widest tight_layout gives over the shipped runs: the explorer draws
        # about a hundred of these, and tight_layout's measuring took a third of each one's time.
        fig.subplots_adjust(left=0.057, right=0.966, bottom=0.199, top=0.831, wspace=0.38)
    return fig


def transplant_figure(records, shown: int = 6):
    """Test accuracy of the first `shown` seeds' runs (solid) and of their transplanted copies
    (dashed); the dotted line marks the transplant (the memorization point). More lines than
    the colour cycle's would be unreadable; the transplant table has every seed."""
    with style():
        fig, ax = plt.subplots(figsize=(5.4, 3.2))
        colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        for i, r in enumerate(records[:shown]):
            c, h = colors[i % len(colors)], r.history
            seed = r.config["run"]["seed"]
            ax.plot(h["step"], h["test_acc"], color=c, lw=1.2, label=f"seed {seed}")
            if "transplant_step" in h:
                ax.plot(h["transplant_step"], h["transplant_test_acc"], color=c, lw=1.2, ls="--")
                ax.axvline(r.summary["at_step"], color=c, lw=0.8, ls=":")
        ax.plot([], [], color="k", ls="--", label="with transplant")
        ax.set_xlabel("step")
        ax.set_ylabel("test accuracy")
        first = "" if len(records) <= shown else f" (first {shown} of {len(records)} seeds)"
        ax.set_title("Fourier transplant at the memorization point" + first)
        ax.legend(fontsize=7, loc="lower right")
        fig.tight_layout()
    plt.close(fig)
    return fig


# ---- tables (rows for pandas.DataFrame) ------------------------------------------------------


def _q(values) -> str:
    """'median (25%–75%)' of the uncensored values, or '—'."""
    q = A.quartiles(values)
    return "—" if q is None else f"{q[1]:.0f} ({q[0]:.0f}–{q[2]:.0f})"


def _round(x, d=3):
    """x rounded to d digits; None stays None."""
    return None if x is None else round(x, d)


def gap_table(groups: dict, name: str) -> list[dict]:
    """Per value: grok rate, median (IQR) gap, median steps to train and test 95%, final train
    acc."""
    rows = []
    for v, recs in groups.items():
        rows.append(
            {
                name: v,
                "grokked": f"{sum(map(A.grokked, recs))}/{len(recs)}",
                "gap, median (IQR)": _q([A.gap(r.summary) for r in recs]),
                "train 95% at": _q([r.summary["step_to_train_acc_95"] for r in recs]),
                "test 95% at": _q([A.grok_step(r) for r in recs]),
                "final train acc": round(statistics.fmean(r.final["train_acc"] for r in recs), 3),
            }
        )
    return rows


def fit(r) -> bool:
    """Whether a run fit its training set: train accuracy reached 95% within its budget (where
    the gap starts). A run that never does is not slow to grok but untrained."""
    return r.summary["step_to_train_acc_95"] is not None


def settings_table(cells: dict[str, dict], beta1s, lamb: float) -> list[dict]:
    """The Grokfast 2x2 (and β1 0 without it) at each optimizer setting: `cells` maps a
    setting's name to its measures.grokfast_cells (β1 0 as (0.0, "none")). Per setting: the
    optimizer as its first record has it, the median (IQR) gap at β1 0, and per cell the
    median (IQR) step of 95% test accuracy with the grokked count, and how many runs fit their
    training set where not all did (fit)."""
    rows = []
    for name, cell in cells.items():
        first = next(iter(cell.values()))[0].config
        o = first.get("run", first)["optim"]  # a DynamicsRun's, or a plain RunConfig's
        decay = "decoupled" if o["name"] == "adamw" else "coupled L2"
        row = {
            "setting": name,
            "optimizer": f"{o['name']}, lr {o['lr']:.2g}, {decay} {o['weight_decay']:g}",
            "gap at β1 0": _q([A.gap(r.summary) for r in cell.get((0.0, "none"), [])]),
        }
        for b in beta1s:
            for m, label in (("none", ""), ("grokfast_ema", f" + Grokfast (λ {lamb:g})")):
                rs = cell.get((b, m), [])
                k = sum(map(fit, rs))
                row[f"β1 {b:g}{label}"] = (
                    f"{_q([A.grok_step(r) for r in rs])}, {sum(map(A.grokked, rs))}/{len(rs)}"
                    + (f" ({k}/{len(rs)} fit train)" if k < len(rs) else "")
                    if rs
                    else "—"
                )
        rows.append(row)
    return rows


def oscillation_table(by_wd: dict) -> list[dict]:
    """Per weight decay: medians over the grokked runs of measures.post_grok's features."""
    rows = []
    for wd, recs in by_wd.items():
        feats = [A.post_grok(r) for r in recs]
        feats = [f for f in feats if f]

        def med(k):
            v = [f[k] for f in feats if f[k] is not None]
            return round(statistics.median(v), 3) if v else None

        rows.append(
            {
                "weight decay": wd,
                "grokked runs": len(feats),
                "amplitude": med("amplitude"),
                "period (steps)": med("period"),
                "r(test acc, weight norm)": med("corr_norm"),
                "lowest test acc": med("min_acc"),
                "collapses / run": med("collapses"),
            }
        )
    return rows


def diagnostics_table(diag: dict) -> list[dict]:
    """One row per run with the Hessian and rank probes: the features of the blog's geometry."""
    rows = []
    for b1, recs in diag.items():
        for r in recs:
            h = A.hessian_features(r)
            tr, te = r.summary["step_to_train_acc_95"], A.grok_step(r)
            rows.append(
                {
                    "β1": b1,
                    "seed": r.config["run"]["seed"],
                    "train 95%": tr,
                    "test 95%": te,
                    "λmax first": round(h["first"], 2),
                    "λmax peak": round(h["peak"], 2),
                    "peak step": h["peak_step"],
                    "grok − peak": h["lag"],
                    "agreement rise": _round(A.agreement_rise(r)),
                    "moment cos (train→test 95%)": _round(A.window_mean(r, "moment_cos", tr, te)),
                    "rank change": _round(A.rank_change(r)),
                }
            )
    return rows


def transplant_table(records: Sequence[RunRecord]) -> list[dict]:
    """One row per seed of the Fourier transplant (chapters.adam_dynamics.transplant)."""
    return [
        {
            "seed": r.config["run"]["seed"],
            "memorized at": r.summary["at_step"],
            "test acc then": _round(r.summary.get("test_acc_at")),
            "grokked at": r.summary["donor_grok"],
            "with transplant": r.summary["transplant_grok"],
            "steps after, ratio": _round(transplant.speedup(r)),
            "Fourier score then / at end": _round(transplant.presence(r)),
        }
        for r in records
    ]


# ---- the numbers the chapter's prose quotes (grokcore.claims.quote) ---------------------------

_ARMS = {"grokfast_ema": "gf", "none": "none"}


def prose_quotes(
    cells: dict[str, dict[tuple, list[RunRecord]]],
    by_wd: dict[float, list[RunRecord]],
    expect: Sequence[str],
    beta1s: Sequence[float] = (0.0, 0.5, 0.9),
) -> dict[str, str]:
    """The discussion's numbers that no claims row holds. Per Grokfast 2x2 setting `s` (the
    chapter's, each of GROKFAST_SETTINGS, Grokfast's own run), β1 `b` and arm `a` ("gf" with the
    filter, "none" without), under `gf.{s}.{b}.{a}`: `.grokked` and `.memorized` (seeds at 95%
    test and train accuracy), `.grokked5` (of the first five seeds), `.n`, `.grokrange` and
    `.grokmedian` (steps to 95% test accuracy of the seeds that got there), `.memorange` (to
    95% train accuracy); `gf.{s}.{b}.faster`, the seeds where the filter groks first (a run
    that never grokked comes last), and `gf.{s}.{a}.memorized-all`, `.grokked-all`, `.n-all`,
    `.memorange-all` over its β1 values; `gf.{s}.b05-b09.bothcensored`, the seeds where
    Grokfast at β1 0.5 and at 0.9 both never grokked. `wd1-margin`: the median train-minus-test
    margin up to grokking at weight decay 1 (wd2-no-memo's reading). Settings of `expect` and
    β1 of `beta1s` that this run lacks quote '—'."""
    from .claims import margin_before_grok

    def steps(recs, key):
        return [t for r in recs if (t := r.summary[key]) is not None]

    def b(x: float) -> str:
        return f"{x:g}"

    out: dict[str, str] = {}
    for s in expect:
        for a in _ARMS.values():
            for k in ("memorized-all", "grokked-all", "n-all", "memorange-all"):
                out[f"gf.{s}.{a}.{k}"] = "—"
            for x in beta1s:
                for k in ("grokked", "memorized", "grokked5", "n", "grokrange", "grokmedian"):
                    out[f"gf.{s}.{b(x)}.{a}.{k}"] = "—"
                out[f"gf.{s}.{b(x)}.{a}.memorange"] = "—"
        out.update({f"gf.{s}.{b(x)}.faster": "—" for x in beta1s})
        out[f"gf.{s}.b05-b09.bothcensored"] = "—"
    for s, by_cell in cells.items():
        for a in _ARMS.values():
            arm = [r for (x, m), recs in by_cell.items() if _ARMS[m] == a for r in recs]
            out.update({
                f"gf.{s}.{a}.memorized-all": str(len(steps(arm, "step_to_train_acc_95"))),
                f"gf.{s}.{a}.grokked-all": str(len(steps(arm, A.KEY))),
                f"gf.{s}.{a}.n-all": str(len(arm)),
                f"gf.{s}.{a}.memorange-all": span(steps(arm, "step_to_train_acc_95")),
            })  # fmt: skip
        for (x, m), recs in by_cell.items():
            name, got = f"gf.{s}.{b(x)}.{_ARMS[m]}", steps(recs, A.KEY)
            out.update({
                f"{name}.grokked": str(len(got)),
                f"{name}.memorized": str(len(steps(recs, "step_to_train_acc_95"))),
                f"{name}.grokked5": str(len(steps(recs[:5], A.KEY))),
                f"{name}.n": str(len(recs)),
                f"{name}.grokrange": span(got),
                f"{name}.grokmedian": f"{statistics.median(got):,.0f}" if got else "—",
                f"{name}.memorange": span(steps(recs, "step_to_train_acc_95")),
            })  # fmt: skip
        for x in {x for x, _ in by_cell}:
            gf, none = by_cell.get((x, "grokfast_ema"), []), by_cell.get((x, "none"), [])
            inf = float("inf")
            first = [
                (g.summary[A.KEY] or inf) < (n.summary[A.KEY] or inf) for g, n in zip(gf, none)
            ]
            out[f"gf.{s}.{b(x)}.faster"] = str(sum(first))
        g05, g09 = by_cell.get((0.5, "grokfast_ema"), []), by_cell.get((0.9, "grokfast_ema"), [])
        both = [u.summary[A.KEY] is None and v.summary[A.KEY] is None for u, v in zip(g05, g09)]
        out[f"gf.{s}.b05-b09.bothcensored"] = str(sum(both))
    margins = [m for r in by_wd.get(1.0, []) if (m := margin_before_grok(r)) is not None]
    out["wd1-margin"] = f"{statistics.median(margins):.2f}" if margins else "—"
    return out
