"""Chapter 5's figures (MED paper): MED against test loss, train-set layouts, coverage.

Every function returns a closed Figure built from run records, in grokcore.plotting's style."""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch

from .coverage import coverage_bound
from . import measures as M
from .measures import tracking, u_acc
from grokcore.plotting import style


def _axes_med(ax, rec, title: str) -> None:
    """Test loss (left axis, log) and MED (right axis) over steps; the memorization step dotted."""
    h = rec.history
    ax.plot(h["step"], h["test_loss"], color="#d62728", lw=1.3, label="test loss")
    ax.set_yscale("log")
    ax.set_xlabel("epoch (full batch: = step)")
    ax.set_ylabel("test loss", color="#d62728")
    twin = ax.twinx()
    twin.plot(h["step"], h["med"], color="#1f77b4", lw=1.3, label="MED")
    twin.set_ylabel("MED", color="#1f77b4")
    twin.grid(False)
    acc = ax.twinx()
    acc.plot(h["step"], h["test_acc"], color="grey", lw=0.8, ls="--")
    acc.set_ylim(-0.02, 1.02)
    acc.set_yticks([])
    acc.grid(False)
    s = rec.summary["step_to_train_acc_99"]
    if s is not None:
        ax.axvline(s, color="k", lw=0.7, ls=":")
    ax.set_title(title)


def med_figure(cells: dict, seed: int = 0):
    """MED Fig. 5 / App. D.2: test loss and MED over training, one panel per operation (one seed).
    Grey dashed: test accuracy (0 to 1); dotted line: train accuracy reaches 99%."""
    ops = list(cells)
    with style():
        fig, axes = plt.subplots(1, len(ops), figsize=(3.3 * len(ops), 3.0), squeeze=False)
        for ax, op in zip(axes[0], ops):
            rec = cells[op][seed]
            _axes_med(ax, rec, f"({op}) mod p, r = {tracking(rec):.2f}")
        fig.tight_layout()
    plt.close(fig)
    return fig


def fourier_figure(recs, n: int = 3):
    """MED against a Fourier progress measure, one panel for each of the first n runs: test loss
    (left axis, log), MED and the embedding's Fourier density (measures.fourier_density; right
    axis, each over its value at 99% train accuracy, dotted); the title gives each measure's r
    with the test loss from there on."""
    recs = list(recs)[:n]
    with style():
        fig, axes = plt.subplots(1, len(recs), figsize=(3.4 * len(recs), 3.0), squeeze=False)
        for ax, rec in zip(axes[0], recs):
            h, mem = rec.history, rec.summary["step_to_train_acc_99"]
            ax.plot(h["step"], h["test_loss"], color="#d62728", lw=1.3)
            ax.set_yscale("log")
            ax.set_xlabel("epoch (full batch: = step)")
            ax.set_ylabel("test loss", color="#d62728")
            twin = ax.twinx()
            i = h["step"].index(mem) if mem is not None else 0
            dens = M.fourier_density(rec)
            for y, color, label in ((h["med"], "#1f77b4", "MED"), (dens, "#2ca02c", "Fourier")):
                twin.plot(h["step"], [v / y[i] for v in y], color=color, lw=1.3, label=label)
            twin.set_ylabel("over its value at 99% train")
            twin.grid(False)
            twin.legend(loc="upper right", fontsize=7, frameon=False)
            if mem is not None:
                ax.axvline(mem, color="k", lw=0.7, ls=":")
            r_med, r_f = tracking(rec), tracking(rec, M.FOURIER_KEY)
            ax.set_title(f"seed {rec.cfg.seed}: r = {r_med:.2f} (MED), {r_f:.2f} (Fourier)")
        fig.tight_layout()
    plt.close(fig)
    return fig


def med_panel(rec, title: str):
    """One explorer view: one run's MED and test loss."""
    with style():
        fig, ax = plt.subplots(figsize=(5.2, 3.0))
        _axes_med(ax, rec, title)
        fig.tight_layout()
    return fig


def layout_grid(ax, task) -> None:
    """The train (blue) / test (grey) grid of a layout, i on the vertical axis (MED Fig. 3)."""
    from grokcore.data import modular_dataset

    mask = torch.zeros(task.p * task.p, dtype=torch.bool)
    mask[modular_dataset(task, seed=0).train_idx] = True
    ax.imshow(
        mask.view(task.p, task.p).numpy(),
        cmap="Blues",
        vmin=-0.6,
        vmax=1.2,
        interpolation="nearest",
    )
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("j")
    ax.set_ylabel("i")


def layout_panel(recs, title: str):
    """One explorer view: a layout's grid and its test accuracy over training (all seeds)."""
    with style():
        fig, (a, b) = plt.subplots(1, 2, figsize=(6.4, 2.8), gridspec_kw={"width_ratios": [1, 2]})
        layout_grid(a, recs[0].cfg.task)
        for r in recs:
            b.plot(r.history["step"], r.history["test_acc"], lw=1.0)
            b.plot(r.history["step"], r.history["train_acc"], lw=0.6, ls="--", color="grey")
        b.set_ylim(-0.02, 1.02)
        b.set_xlabel("epoch")
        b.set_ylabel("test accuracy (seeds)")
        fig.suptitle(title)
        fig.tight_layout()
    return fig


def table1_figure(cells: dict, paper: dict):
    """MED Table 1: U-Acc (bar: mean over seeds, dots: seeds) against the paper's, per layout."""
    labels = [lab for lab in cells if lab[0] != "random"]
    with style():
        fig, ax = plt.subplots(figsize=(7.5, 3.2))
        xs = range(len(labels))
        ours = [[u_acc(r) * 100 for r in cells[lab]] for lab in labels]
        ax.bar(xs, [sum(v) / len(v) for v in ours], color="#1f77b4", alpha=0.6, label="ours (mean)")
        for x, v in zip(xs, ours):
            ax.plot([x] * len(v), v, "k.", ms=4)
        ax.plot(xs, [paper[lab][0] for lab in labels], "rD", ms=5, label="paper (p = 97)")
        ax.set_xticks(
            list(xs), [f"{s[:2].upper()} k={k}" for s, k in labels], rotation=45, fontsize=7
        )
        ax.set_ylabel("U-Acc (%)")
        ax.set_ylim(0, 105)
        ax.legend(fontsize=7)
        fig.tight_layout()
    plt.close(fig)
    return fig


def coverage_figure(mc: dict, p: int, n: int):
    """Thm. 3.12: Monte Carlo mean number of uncovered pairs and P(full coverage) against the
    training fraction, with the bound r = 2 ln p / C."""
    with style():
        fig, ax = plt.subplots(figsize=(5.2, 3.0))
        ax.plot(mc["frac"], mc["mean_uncovered"], "o-", ms=3, label="E[#uncovered] (Monte Carlo)")
        ax.set_yscale("symlog", linthresh=0.1)
        ax.axhline(1, color="grey", lw=0.7)
        ax.axvline(coverage_bound(p, n), color="r", ls="--", label="2 ln p / C (Thm. 3.12)")
        t = ax.twinx()
        t.plot(mc["frac"], mc["p_full"], "s:", ms=3, color="#2ca02c", label="P(full coverage)")
        t.set_ylim(-0.02, 1.02)
        t.grid(False)
        ax.set_xlabel("training fraction r")
        ax.set_title(f"p = {p}, distance < n = {n}")
        ax.legend(fontsize=7, loc="upper right")
        t.legend(fontsize=7, loc="center right")
        fig.tight_layout()
    plt.close(fig)
    return fig


def explorer_panel(rec, title: str):
    """One explorer view: the run's training layout, its accuracies, its MED against test loss."""
    with style():
        fig, (a, b, c) = plt.subplots(
            1, 3, figsize=(9.6, 2.7), gridspec_kw={"width_ratios": [1, 1.6, 1.6]}
        )
        layout_grid(a, rec.cfg.task)
        a.set_title("train (blue) / test")
        h = rec.history
        b.plot(h["step"], h["test_acc"], color="#d62728", lw=1.2, label="test")
        b.plot(h["step"], h["train_acc"], color="grey", lw=0.9, ls="--", label="train")
        b.set_ylim(-0.02, 1.02)
        b.set_xlabel("epoch")
        b.set_title("accuracy")
        b.legend(fontsize=7, loc="lower right")
        _axes_med(c, rec, "MED (blue), test loss (red)")
        fig.suptitle(title, fontsize=9)
        # Fixed margins, the widest tight_layout gives over the shipped runs: the explorer draws
        # over a hundred of these, and tight_layout's measuring took half of each one's time.
        fig.subplots_adjust(left=0.033, right=0.928, bottom=0.205, top=0.777, wspace=0.41)
    return fig


def image_sum_dictionary(cfg, sample: int = 0):
    """MED Fig. 6: the 11 dictionary images (title: side count) and one 2x2 sample with its
    label."""
    from . import image_sum

    tiles = image_sum.dictionary(cfg)  # [11, t, t]
    combos, labels = image_sum.samples()
    with style():
        fig, axes = plt.subplots(
            1, 13, figsize=(10.4, 1.4), gridspec_kw={"width_ratios": [1] * 11 + [0.3, 2]}
        )
        for ax, img, s in zip(axes, tiles, image_sum.SIDES):
            ax.imshow(img.numpy(), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            ax.set_title(str(s), fontsize=8)
        axes[11].set_visible(False)
        axes[12].imshow(
            image_sum.images(tiles, combos[sample : sample + 1])[0, 0].numpy(),
            cmap="gray",
            vmin=0,
            vmax=1,
            interpolation="nearest",
        )
        sides = [image_sum.SIDES[i] for i in combos[sample].tolist()]
        axes[12].set_title(f"{' + '.join(map(str, sides))} = {labels[sample].item()}", fontsize=8)
        t = tiles.shape[-1]
        axes[12].axhline(t - 0.5, color="0.6", lw=0.6)
        axes[12].axvline(t - 0.5, color="0.6", lw=0.6)
        for ax in axes:  # a grey frame: the images are white on white
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            for spine in ax.spines.values():
                spine.set_visible(True)
                spine.set_color("0.6")
    plt.close(fig)
    return fig


def image_sum_figure(recs, title: str = ""):
    """MED Fig. 7: train (dashed) and test (solid) accuracy over epochs, one colour per seed; the
    dotted grey line is the code's train accuracy (train-mode, on the epoch's batches)."""
    with style():
        fig, ax = plt.subplots(figsize=(6.4, 3.0))
        for i, r in enumerate(recs):
            h, c = r.history, plt.get_cmap("tab10")(i)
            ax.plot(h["epoch"], h["test_acc"], color=c, lw=1.4, label=f"seed {r.cfg.seed}: test")
            ax.plot(h["epoch"], h["train_acc"], color=c, lw=1.0, ls="--")
            ax.plot(h["epoch"], h["train_acc_running"], color="grey", lw=0.6, ls=":")
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("epoch")
        ax.set_ylabel("accuracy (dashed: train)")
        ax.set_title(title)
        ax.legend(fontsize=7, loc="lower right")
        fig.tight_layout()
    plt.close(fig)
    return fig


def spread_figure(by_wd: dict):
    """The spread of the consecutive embedding differences (sd over mean) over training, one line
    per seed, one colour per weight decay (measures.spread_curves)."""
    with style():
        fig, ax = plt.subplots(figsize=(5.2, 2.6))
        for j, (wd, recs) in enumerate(sorted(by_wd.items())):
            colour = plt.get_cmap("viridis")(j / max(1, len(by_wd) - 1))
            for i, (steps, spread) in enumerate(M.spread_curves(recs)):
                ax.plot(
                    steps,
                    spread,
                    color=colour,
                    lw=1,
                    label=f"weight decay {wd:g}" if i == 0 else None,
                )
        ax.set_xlabel("epoch")
        ax.set_ylabel("spread (sd / mean)")
        ax.set_title("spacing of consecutive token embeddings", fontsize=9)
        ax.legend(fontsize=7)
        fig.tight_layout()
        plt.close(fig)
    return fig


# ---- the numbers the chapter's prose quotes (grokcore.claims.quote) ---------------------------


def prose_quotes(R: dict) -> dict[str, str]:
    """The discussion's numbers that no claims row holds: the rest's share of Table 1's STRIP
    k = 40 test set (`strip40-rest-share`, the most U-Acc allows when the hole is never learned),
    x³+xy's final test accuracy (`x3xy-final`, the mean, %), and how many seeds of the code's
    Toeplitz init reach 90% (`toeplitz-code-reached`, of `toeplitz-code-n`), and the mean r with
    the test loss of MED and of the Fourier density over the Fourier runs that grokked
    (`fourier-r-med`, `fourier-r-density`); '—' where this run lacks the runs."""
    from grokcore.outcomes import times

    from .inits import EMBED_INIT

    n_hole, n_rest = M.paper_test_counts("strip", 40)
    out = {"strip40-rest-share": f"{100 * n_rest / (n_hole + n_rest):.1f}%"}
    ops = R.get("operations", {})
    final = [100 * r.history["test_acc"][-1] for r in ops.get("x^3+xy", [])]
    out["x3xy-final"] = f"{sum(final) / len(final):.1f}%" if final else "—"
    code = R.get("embed_init", {}).get(EMBED_INIT, [])
    out["toeplitz-code-reached"] = str(sum(not o.censored for o in times(code, M.GROK_KEY)))
    out["toeplitz-code-n"] = str(len(code)) if code else "—"
    runs = R.get("fourier", {}).get("x+y", [])
    for name, key in (("fourier-r-med", "med"), ("fourier-r-density", M.FOURIER_KEY)):
        r = M.mean_tracking(runs, key)
        out[name] = "—" if r is None else f"{r:.2f}"
    return out
