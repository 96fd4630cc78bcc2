"""Figures of chapter 6 (minibatch SGD, training fraction, topology), in the house style.

Every figure function takes run records (or arrays) and returns a matplotlib Figure, closed
except the explorer's view; explorer_epochs lists the epochs the explorer offers."""

from __future__ import annotations


import matplotlib.pyplot as plt

from .measures import GROK_KEY, budget_epochs, per_epoch
from grokcore.outcomes import time_to, times
from grokcore.plotting import style, survival_panel
from grokcore.train import steps_per_epoch

PENALTY_NAMES = {
    "none": "plain",
    "laplacian_data": "Laplacian (from the data)",
    "laplacian_oracle": "Laplacian (oracle order)",
    "agop": "AGOP",
}
PENALTY_COLORS = {
    "none": "#1f77b4",
    "laplacian_data": "#2ca02c",
    "laplacian_oracle": "#9467bd",
    "agop": "#d62728",
}


def _bs_label(bs: int, n: int) -> str:
    return f"full ({n})" if bs == n else str(bs)


def _colors(keys):
    cmap = plt.get_cmap("viridis")
    return {k: cmap(j / max(1, len(keys) - 1)) for j, k in enumerate(keys)}


def _mean_test_curve(recs, per_epoch):
    """Epochs and mean test accuracy over seeds; a stopped run holds its last value."""
    steps = max((r.history["step"] for r in recs), key=len)
    cols = [
        r.history["test_acc"]
        + [r.history["test_acc"][-1]] * (len(steps) - len(r.history["test_acc"]))
        for r in recs
    ]
    return [s / per_epoch for s in steps], [sum(c) / len(c) for c in zip(*cols)]


def batch_figure(cells: dict[int, list], n_train: int):
    """Left: mean test accuracy against effective epochs per batch size. Then effective
    epochs, optimizer steps and seconds of training to 99% test accuracy against batch size
    (dots: seeds; open triangles: censored at the budget; black bar: the mean where no seed was
    censored)."""
    sizes = sorted(cells)
    col = _colors(sizes)
    with style():
        fig, axes = plt.subplots(1, 4, figsize=(15, 3.5))
        for bs in sizes:
            per = steps_per_epoch(cells[bs][0].cfg)
            ep, acc = _mean_test_curve(cells[bs], per)
            axes[0].plot(ep, acc, color=col[bs], lw=1.4, label=_bs_label(bs, n_train))
        axes[0].set_xlabel("effective epochs (samples seen / n_train)")
        axes[0].set_ylabel("test accuracy (mean over seeds)")
        axes[0].set_xscale("symlog", linthresh=1)
        axes[0].legend(title="batch size", fontsize=7, loc="upper left")
        units = {  # an epoch in each panel's unit, per run
            "effective epochs to 99% test": lambda r: 1.0,
            "optimizer steps to 99% test": per_epoch,
            "seconds of training to 99% test": lambda r: per_epoch(r) / r.meta["train_steps_per_s"],
        }
        for ax, (ylabel, unit) in zip(axes[1:], units.items()):
            for bs in sizes:
                ys = []
                for r in cells[bs]:
                    e = time_to(r, GROK_KEY, per_epoch(r))
                    if e is None:
                        y = budget_epochs(r) * unit(r)
                        ax.scatter(bs, y, marker="^", facecolors="none", edgecolors=col[bs], s=28)
                    else:
                        ys.append(e * unit(r))
                        ax.scatter(bs, ys[-1], color=col[bs], s=14)
                if ys and len(ys) == len(cells[bs]):
                    ax.scatter(bs, sum(ys) / len(ys), marker="_", color="k", s=200)
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.set_xlabel("batch size")
            ax.set_ylabel(ylabel)
        axes[1].set_title("dots: seeds, black bar: mean, ▵: censored", fontsize=8)
        fig.tight_layout()
    plt.close(fig)
    return fig


def conditions_figure(conditions: dict[str, list], code_epochs: float | None = None):
    """fastgrok.py run_experiment's conditions: every seed's test accuracy against effective
    epochs, one colour per condition (its figure's left panel); a dotted line at code_epochs
    (the code's own budget, where the runs go past it)."""
    colors = dict(zip(conditions, ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728")))
    with style():
        fig, ax = plt.subplots(figsize=(6.4, 3.4))
        for name, recs in conditions.items():
            for j, r in enumerate(recs):
                per = per_epoch(r)
                ax.plot(
                    [s / per for s in r.history["step"]],
                    r.history["test_acc"],
                    color=colors.get(name, "k"),
                    alpha=0.55,
                    lw=1,
                    label=name if j == 0 else None,
                )
        if code_epochs is not None:
            ax.axvline(code_epochs, color="0.4", ls=":", lw=1, label="the code's budget")
        ax.set_xscale("log")
        ax.set_xlabel("effective epochs")
        ax.set_ylabel("test accuracy")
        ax.set_ylim(-0.02, 1.02)
        ax.legend(fontsize=7, loc="lower right")
        fig.tight_layout()
    plt.close(fig)
    return fig


def progress_figure(progress: list):
    """Nanda et al.'s progress measures per seed against effective epochs: train and test loss,
    and the restricted (key frequencies only, every pair) and excluded (key frequencies removed,
    training pairs) losses, on a log scale."""
    with style():
        fig, ax = plt.subplots(figsize=(6.8, 3.6))
        lines = (
            ("train_loss", "step", "#1f77b4", "train"),
            ("test_loss", "step", "#ff7f0e", "test"),
            ("restricted_loss", "progress_step", "#2ca02c", "restricted"),
            ("excluded_loss", "progress_step", "#d62728", "excluded"),
        )
        for j, r in enumerate(progress):
            per = per_epoch(r)
            for key, grid, color, label in lines:
                ax.plot(
                    [s / per for s in r.history[grid]],
                    r.history[key],
                    color=color,
                    alpha=0.5,
                    lw=1,
                    label=label if j == 0 else None,
                )
        ax.set_yscale("log")
        ax.set_xlabel("effective epochs")
        ax.set_ylabel("cross-entropy loss")
        ax.legend(fontsize=7)
        fig.tight_layout()
    plt.close(fig)
    return fig


def batch_survival_figure(cells: dict[int, list], n_train: int):
    """Per batch size, the Kaplan-Meier curve of the seeds not yet at 99% test accuracy against
    effective epochs (the times the slope rows pair, censored runs as ticks): with a budget of
    epochs, larger batches get fewer steps, and their curves show how many the budget cut off."""
    sizes = sorted(cells)
    col = _colors(sizes)
    label = {bs: _bs_label(bs, n_train) for bs in sizes}
    groups = {label[bs]: times(cells[bs], GROK_KEY, per=per_epoch) for bs in sizes}
    with style():
        fig, ax = plt.subplots(figsize=(6, 3.6))
        survival_panel(
            ax,
            groups,
            {label[bs]: col[bs] for bs in sizes},
            xlabel="effective epochs (samples seen / n_train)",
            ylabel="fraction not yet at 99% test accuracy",
        )
        ax.legend(title="batch size", fontsize=7, title_fontsize=7)
        fig.tight_layout()
    plt.close(fig)
    return fig


def frac_figure(cells: dict[float, list]):
    """Epochs and optimizer steps to 99% test accuracy against the training fraction."""
    fracs = sorted(cells)
    with style():
        fig, axes = plt.subplots(1, 2, figsize=(8, 3.2))
        for ax, steps in ((axes[0], False), (axes[1], True)):
            for f in fracs:
                per = steps_per_epoch(cells[f][0].cfg)
                for r in cells[f]:
                    e = time_to(r, GROK_KEY, per_epoch(r))
                    y = (budget_epochs(r) if e is None else e) * (per if steps else 1)
                    if e is None:
                        ax.scatter(f, y, marker="^", facecolors="none", edgecolors="#1f77b4", s=28)
                    else:
                        ax.scatter(f, y, color="#1f77b4", s=14)
            ax.set_xlabel("training fraction")
            ax.set_ylabel(
                "optimizer steps to 99% test" if steps else "effective epochs to 99% test"
            )
            ax.set_yscale("log")
        axes[0].set_title("dots: seeds, ▵: censored at the budget", fontsize=8)
        fig.tight_layout()
    plt.close(fig)
    return fig


def topo_figure(cells: dict[str, list]):
    """Quadratic MLP: mean test accuracy against epochs, one line per penalty."""
    with style():
        fig, ax = plt.subplots(figsize=(6, 3.4))
        for pen, recs in cells.items():
            ep, acc = _mean_test_curve(recs, 1)
            ax.plot(ep, acc, color=PENALTY_COLORS[pen], lw=1.5, label=PENALTY_NAMES[pen])
        ax.set_xlabel("epoch (full batch)")
        ax.set_ylabel("test accuracy (mean over seeds)")
        ax.set_ylim(-0.02, 1.02)
        ax.legend(fontsize=8)
        fig.tight_layout()
    plt.close(fig)
    return fig


def circle_axes(ax, xy, values, p: int, title: str = ""):
    """Points xy [n, 2] coloured by their true integer (hue wraps around like the integers
    mod p)."""
    xs, ys = [v[0] for v in xy], [v[1] for v in xy]
    sc = ax.scatter(
        xs, ys, c=values, cmap="hsv", vmin=0, vmax=p, s=18, edgecolors="k", linewidths=0.3
    )
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=9)
    return sc


def recovery_figure(rec: dict, p: int):
    """Laplacian eigenmap of a scrambled table's rows (topology.recover_order): each symbol at
    its recovered angle, coloured by the integer it secretly stands for (left) and by that
    integer divided by the recovered step s mod p (right: the same order, with s = 1)."""
    inv = pow(rec["step"], -1, p)
    with style():
        fig, axes = plt.subplots(1, 2, figsize=(7.2, 3.4))
        circle_axes(axes[0], rec["xy"], rec["value"], p, "colour: the true integer x")
        sc = circle_axes(
            axes[1],
            rec["xy"],
            [v * inv % p for v in rec["value"]],
            p,
            f"colour: x / {rec['step']} mod {p}",
        )
        fig.colorbar(sc, ax=axes, fraction=0.046, label="colour value")
        fig.suptitle(
            f"recovered order: {rec['agreement']:.0%} of neighbours one step of "
            f"{rec['step']} apart",
            fontsize=9,
        )
        fig.subplots_adjust(top=0.82)
    plt.close(fig)
    return fig


def fourier_figure(rec, p: int):
    """The token embedding of one grokked run: variance share per frequency at init and at the
    end, and the tokens in the plane of the strongest final frequency."""
    h = rec.history
    with style():
        fig, axes = plt.subplots(1, 2, figsize=(8.4, 3.2), gridspec_kw={"width_ratios": [2, 1]})
        ks = list(range(len(h["emb_power"][0])))
        axes[0].bar(
            [k - 0.2 for k in ks], h["emb_power"][0], width=0.4, color="#aaaaaa", label="init"
        )
        end = h["step"][-1] / steps_per_epoch(rec.cfg)
        state = "grokked" if time_to(rec, GROK_KEY) is not None else "not grokked"
        axes[0].bar(
            [k + 0.2 for k in ks],
            h["emb_power"][-1],
            width=0.4,
            color="#d62728",
            label=f"end: epoch {end:.0f} ({state})",
        )
        axes[0].set_xlabel("frequency k (cos/sin of 2πkx/p)")
        axes[0].set_ylabel("share of embedding variance")
        axes[0].legend(fontsize=8)
        k = int(h["emb_top_freq"][-1])
        circle_axes(
            axes[1], h["emb_circle"][-1], list(range(p)), p, f"tokens in the plane of k = {k}"
        )
        fig.tight_layout()
    plt.close(fig)
    return fig


def explorer_view(cells: dict[int, list], bs: int, epoch: float, n_train: int, p: int):
    """One explorer view: a batch size's test/train accuracy over epochs (seed 0 solid, others
    faint) with a marker at `epoch`, and seed 0's token embedding circle at that epoch."""
    recs = cells[bs]
    per = steps_per_epoch(recs[0].cfg)
    r0 = recs[0]
    ep = [s / per for s in r0.history["step"]]
    i = min(range(len(ep)), key=lambda j: abs(ep[j] - epoch))
    with style():
        fig, axes = plt.subplots(1, 2, figsize=(7.2, 2.8), gridspec_kw={"width_ratios": [1.6, 1]})
        for r in recs[1:]:
            axes[0].plot(
                [s / per for s in r.history["step"]],
                r.history["test_acc"],
                color="#1f77b4",
                alpha=0.25,
                lw=0.8,
            )
        axes[0].plot(ep, r0.history["test_acc"], color="#1f77b4", lw=1.5, label="test")
        axes[0].plot(ep, r0.history["train_acc"], color="#1f77b4", ls="--", lw=1.2, label="train")
        axes[0].axvline(ep[i], color="k", lw=0.8, ls=":")
        axes[0].set_xlim(0, budget_epochs(r0))
        axes[0].set_ylim(-0.02, 1.02)
        axes[0].set_xlabel("effective epochs")
        axes[0].set_title(f"batch size {_bs_label(bs, n_train)}", fontsize=9)
        axes[0].legend(fontsize=7, loc="center right")
        views = [s / per for s in r0.history["fourier_step"]]  # the embedding's logged views
        j = min(range(len(views)), key=lambda j: abs(views[j] - ep[i]))
        k = int(r0.history["emb_top_freq"][j])
        circle_axes(
            axes[1],
            r0.history["emb_circle"][j],
            list(range(p)),
            p,
            f"epoch {views[j]:.0f}: embedding, k = {k}",
        )
        fig.tight_layout()
    return fig


def explorer_epochs(num_epochs: int) -> list[int]:
    """Epochs the explorer offers: 0, then about doubling up to the budget (few: every view
    is stored in the page)."""
    marks = [0] + [e for e in (20, 50, 120) if e < num_epochs]
    return marks + [num_epochs]
