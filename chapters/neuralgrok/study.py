"""Chapter 3 (NeuralGrok, Grokfast, gradient rescaling): presets, run configs, analysis, figures.

Setup as the NeuralGrok code (peer notes §3): tokens `a b op =` with b in 1..p-1, half the
pairs for training, a pre-LN GELU decoder (2 layers, d_model 128, 4 heads, MLP 4x), Adam with
coupled L2 weight decay 1e-3, lr 1e-3, betas (0.9, 0.98), 10-step warmup, batch 512.
"""
from __future__ import annotations

import math
from typing import Sequence

import matplotlib.pyplot as plt

from grokcore.config import MethodConfig, ModularTask, OptimConfig, RunConfig, TransformerConfig
from .neuralgrok import AmplifierConfig, NeuralGrokConfig
from grokcore.plotting import accuracy_curves, style
from grokcore.records import RunRecord

SCALES = {  # a notebook parameter left as None takes these
    "smoke": {"operations": ["x+y", "x-y"], "p": 11, "frac_train": 0.5, "d_model": 16, "amp_hidden": [8, 8],
              "seeds": 2, "num_steps": 40, "ablation_steps": 40, "eval_every": 10,
              "rescale_cs": [0.01, 0.5, 1.0, 2.0], "neuralgrok_cs": [0.5, 1.0, 2.0], "adamw_weight_decays": [1e-3, 1e-2],
              "transfer": True},
    # 2 idle cores, 7 minutes: one task, width 64, 70% train (50% does not grok in 3000 steps at width 64);
    # the amplifier's width does not matter here (it stays uniform) and 8, 8 costs less than 32, 32
    "cpu": {"operations": ["x+y"], "p": 97, "frac_train": 0.7, "d_model": 64, "amp_hidden": [8, 8],
            "seeds": 3, "num_steps": 900, "ablation_steps": 400, "eval_every": 100,
            "rescale_cs": [0.01, 0.5, 2.0], "neuralgrok_cs": [1.0, 2.0], "adamw_weight_decays": [1e-2], "transfer": True},
    "paper": {"operations": ["x+y", "x-y", "x*y", "x^2-y", "a*c+b*d-e"], "p": 97, "frac_train": 0.5, "d_model": 128,
              "amp_hidden": [128, 128], "seeds": 3, "num_steps": 10000, "ablation_steps": 10000,
              "eval_every": 9, "rescale_cs": [0.01, 0.5, 1.0, 2.0], "neuralgrok_cs": [0.5, 1.0, 2.0],
              "adamw_weight_decays": [1e-3, 1e-2], "transfer": True},
}
NOT_RUN = "cells not in this scale's plan"  # the note of a claim whose runs are not planned
TRANSFER_TO = "x-y"  # Fig. 12: the task an amplifier is reused on
COMPOSITE = "a*c+b*d-e"  # NeuralGrok's 5-operand task: mod 7, 4 layers, T = 1 (code task1.sh)
METHODS = ("standard", "grokfast_ma", "grokfast_ema", "neuralgrok")
NAMES = {"standard": "standard", "grokfast_ma": "Grokfast-MA", "grokfast_ema": "Grokfast-EMA",
         "neuralgrok": "NeuralGrok"}
COLORS = {"standard": "#1f77b4", "grokfast_ma": "#8c564b", "grokfast_ema": "#9467bd", "neuralgrok": "#d62728"}
# NeuralGrok Table 1: minimal steps to 95% test accuracy (None: never within 10^6 steps)
PAPER_TABLE1 = {
    "x+y": {"standard": 1650, "grokfast_ma": 1780, "grokfast_ema": 1820, "neuralgrok": 900},
    "x-y": {"standard": 4330, "grokfast_ma": 2990, "grokfast_ema": 1340, "neuralgrok": 1467},
    "x*y": {"standard": 1280, "grokfast_ma": 1150, "grokfast_ema": 1400, "neuralgrok": 918},
    "x^2-y": {"standard": 4820, "grokfast_ma": 3830, "grokfast_ema": 2730, "neuralgrok": 1845},
    "a*c+b*d-e": {"standard": None, "grokfast_ma": 8853, "grokfast_ema": None, "neuralgrok": 1896},
}


def base_run(op: str, *, p: int, d_model: int, num_steps: int, eval_every: int, n_layers: int = 2,
             n_heads: int = 4, lr: float = 1e-3, weight_decay: float = 1e-3, optimizer: str = "adam",
             betas: tuple = (0.9, 0.98), warmup_steps: int = 10, batch_size: int = 512,
             frac_train: float = 0.5, stop_at_test_acc: float | None = 0.95, log_entropy: bool = False,
             method: MethodConfig = MethodConfig()) -> RunConfig:
    """One run of the code's setup; the composite task (p = 7 in the paper) is the caller's p."""
    task = ModularTask(operation=op, p=p, frac_train=frac_train, min_y=1, token_format="neuralgrok")
    model = TransformerConfig(n_layers=n_layers, d_model=d_model, n_heads=n_heads, d_mlp=4 * d_model,
                              layer_norm=True, act="gelu")
    optim = OptimConfig(name=optimizer, lr=lr, weight_decay=weight_decay, loss_l2=0.0, betas=betas,
                        warmup_steps=warmup_steps, batch_size=batch_size)
    return RunConfig(task=task, model=model, optim=optim, method=method, num_steps=num_steps,
                     eval_every=eval_every, stop_at_test_acc=stop_at_test_acc, log_entropy=log_entropy)


def method_config(method: str, run: RunConfig, *, window_size: int = 100, lamb_ma: float = 5.0,
                  alpha: float = 0.98, lamb_ema: float = 2.0, rescale_c: float | None = None,
                  amp: AmplifierConfig | None = None) -> RunConfig | NeuralGrokConfig:
    """The run of `method` ("standard", "grokfast_ma", "grokfast_ema", "neuralgrok", "rescale")."""
    if method == "standard":
        return run
    if method == "grokfast_ma":
        return run.replace(method=MethodConfig(name="grokfast_ma", window_size=window_size, lamb=lamb_ma))
    if method == "grokfast_ema":
        return run.replace(method=MethodConfig(name="grokfast_ema", alpha=alpha, lamb=lamb_ema))
    if method == "rescale":
        return run.replace(method=MethodConfig(name="rescale", c=rescale_c))
    if method == "neuralgrok":
        return NeuralGrokConfig(run=run, amp=amp or AmplifierConfig())
    raise ValueError(f"method={method!r} is invalid: allowed {METHODS + ('rescale',)}")


def seeds_of(cfg, seeds: int) -> list:
    return [cfg.replace(seed=s) for s in range(seeds)]


def cells_of(records: Sequence[RunRecord], plan: dict[str, list]) -> dict[str, list[RunRecord]]:
    """Regroup the records of run_or_load(sum(plan.values(), [])) by the plan's cell names."""
    by_key = {r.key: r for r in records}
    return {name: [by_key[c.key()] for c in cfgs] for name, cfgs in plan.items()}


# ---- analysis ------------------------------------------------------------------------------

def steps_to(recs: Sequence[RunRecord], key: str = "step_to_test_acc_95") -> list[int | None]:
    """Per seed, the first evaluated step at the threshold; None = censored (not reached)."""
    return [r.summary[key] for r in recs]


def speedup(fast: Sequence[RunRecord], slow: Sequence[RunRecord]) -> list[float | None]:
    """Per seed, slow's steps to 95% over fast's. A censored run counts its budget: a censored
    slow run makes the ratio a lower bound, a censored fast run an upper bound; None if both are."""
    out = []
    for f, s in zip(fast, slow):
        tf, ts = f.summary["step_to_test_acc_95"], s.summary["step_to_test_acc_95"]
        out.append(None if tf is None and ts is None else (ts or s.summary["last_step"]) / (tf or f.summary["last_step"]))
    return out


def acc_at(rec: RunRecord, step: int, key: str = "test_acc") -> float:
    """A history metric at the last evaluation <= step (a run that stopped holds its last value)."""
    return [v for s, v in zip(rec.history["step"], rec.history[key]) if s <= step][-1]


def mean_steps(recs: Sequence[RunRecord]) -> str:
    """'mean ± sd (k/n censored)' of steps to 95% over the seeds that got there."""
    vals = [v for v in steps_to(recs) if v is not None]
    cens = len(recs) - len(vals)
    if not vals:
        return f"> {recs[0].summary['last_step']} (all censored)"
    m = sum(vals) / len(vals)
    sd = math.sqrt(sum((v - m) ** 2 for v in vals) / (len(vals) - 1)) if len(vals) > 1 else 0.0
    return f"{m:.0f} ± {sd:.0f}" + (f" ({cens}/{len(recs)} censored)" if cens else "")


def oscillation(rec: RunRecord, grok: float = 0.95, low: float = 0.9) -> float | None:
    """Fraction of the evaluations after the first one at `grok` test accuracy that fall below
    `low`; None if the run never got there or stopped there."""
    steps, acc = rec.history["step"], rec.history["test_acc"]
    first = next((i for i, a in enumerate(acc) if a >= grok), None)
    if first is None or first == len(acc) - 1:
        return None
    after = acc[first + 1:]
    return sum(a < low for a in after) / len(after)


def after_grok_note(recs: Sequence[RunRecord], grok: float = 0.95) -> str:
    """How many evaluations each seed had after its first one at `grok` test accuracy."""
    counts = []
    for r in recs:
        first = next((i for i, a in enumerate(r.history["test_acc"]) if a >= grok), None)
        counts.append("—" if first is None else str(len(r.history["test_acc"]) - 1 - first))
    return "evaluations after the first 95% per seed: " + ", ".join(counts)


def min_after_grok(rec: RunRecord, grok: float = 0.95) -> float | None:
    acc = rec.history["test_acc"]
    first = next((i for i, a in enumerate(acc) if a >= grok), None)
    return None if first is None or first == len(acc) - 1 else min(acc[first + 1:])


def entropy_at(rec: RunRecord, key: str, step: int) -> float:
    """A logged entropy series at the last logged step <= step."""
    steps = rec.history["entropy_step"]
    j = max(i for i, s in enumerate(steps) if s <= step)
    return rec.history[key][j]


def age_phases(rec: RunRecord, key: str = "age_raw", start_below: float = 0.1) -> tuple[float, float] | None:
    """(peak AGE up to 99% train accuracy / AGE when memorization starts, AGE at 95% test / its
    peak since then). Memorization starts at the last evaluation with train accuracy below
    `start_below` (after the warmup dip; the initial gradient is large). None if the run never
    reached 99% train and 95% test accuracy."""
    t_mem, t_gen = rec.summary["step_to_train_acc_99"], rec.summary["step_to_test_acc_95"]
    if t_mem is None or t_gen is None:
        return None
    t0 = max(s for s, a in zip(rec.history["step"], rec.history["train_acc"]) if a < start_below and s <= t_mem)
    logged = list(zip(rec.history["entropy_step"], rec.history[key]))
    peak_mem = max(v for s, v in logged if t0 <= s <= t_mem)
    peak_gen = max(v for s, v in logged if t0 <= s <= t_gen)
    return peak_mem / entropy_at(rec, key, t0), entropy_at(rec, key, t_gen) / peak_gen


def entropy_ratio(a: Sequence[RunRecord], b: Sequence[RunRecord], key: str) -> list[float]:
    """Per seed, a's mean entropy over the first n logged steps over b's (n: the shorter run)."""
    out = []
    for x, y in zip(a, b):
        n = min(len(x.history[key]), len(y.history[key]))
        out.append(sum(x.history[key][:n]) / sum(y.history[key][:n]))
    return out


def rotation(rec: RunRecord) -> float:
    """1 - cos(g', g) at the last logged NeuralGrok step (mean over tensors): 0 when the
    amplifier only rescales, i.e. when its softmax is uniform."""
    return 1 - rec.history["update_cos"][-1]


def roughness(series: Sequence[float]) -> float:
    """Mean |step-to-step change| of log(series): 0 for a constant, large for a spiky series."""
    logs = [math.log(v) for v in series if v > 0]
    return sum(abs(b - a) for a, b in zip(logs, logs[1:])) / max(1, len(logs) - 1)


def table1_markdown(cells: dict, ops: Sequence[str], p: int = 97) -> str:
    """Table 1 side by side: ours (mean ± sd of steps to 95%, censored counted) | paper."""
    head = "| task | " + " | ".join(f"{NAMES[m]}: ours | paper" for m in METHODS) + " |"
    lines = [head, "|---" * (1 + 2 * len(METHODS)) + "|"]
    for op in ops:
        paper = PAPER_TABLE1.get(op, {})
        row = [f"({op}) mod {7 if op == COMPOSITE else p}"]
        for m in METHODS:
            row += [mean_steps(cells[f"{op}/{m}"]), str(paper.get(m) or "—")]
        lines.append("| " + " | ".join(row).replace("*", "\\*") + " |")
    return "\n".join(lines)


def stability_markdown(cells: dict, first: str) -> str:
    """Per method on the first task: oscillation fraction and lowest test accuracy after 95%."""
    lines = ["| method | evaluations below 90% after first 95% (per seed) | lowest test acc. after 95% |",
             "|---|---|---|"]
    for m in ("standard", "grokfast_ma", "neuralgrok"):
        recs = cells[f"{first}/{m}"]
        osc = ", ".join("—" if v is None else f"{v:.3f}" for v in map(oscillation, recs))
        low = ", ".join("—" if v is None else f"{v:.3f}" for v in map(min_after_grok, recs))
        lines.append(f"| {NAMES[m]} | {osc} | {low} |")
    return "\n".join(lines)



def final_markdown(cells: dict, rows: Sequence[tuple[str, str]]) -> str:
    """Per (cell, label): train and test accuracy at the end (mean ± sd) and steps to 95% test."""
    lines = ["| run | final train acc. | final test acc. | steps to 95% test |", "|---|---|---|---|"]
    for name, label in rows:
        recs = cells[name]
        tr, te = ([r.final[k] for r in recs] for k in ("train_acc", "test_acc"))
        sd = (lambda v: math.sqrt(sum((x - sum(v) / len(v)) ** 2 for x in v) / max(1, len(v) - 1)))
        lines.append(f"| {label} | {sum(tr) / len(tr):.3f} ± {sd(tr):.3f} | {sum(te) / len(te):.3f} ± {sd(te):.3f} | {mean_steps(recs)} |")
    return "\n".join(lines)


# ---- figures -------------------------------------------------------------------------------

def curves_figure(cells: dict, panels: Sequence[tuple[str, str, Sequence[tuple[str, str, str]]]]):
    """One panel per (title, ylabel, [(cell name, label, color)]): test (solid, band min-max)
    and train (dashed) accuracy over steps, mean over seeds."""
    with style():
        fig, axes = plt.subplots(1, len(panels), figsize=(4.4 * len(panels), 3.3), squeeze=False)
        for ax, (title, ylabel, lines) in zip(axes[0], panels):
            for name, label, color in lines:
                accuracy_curves(ax, cells[name], color, label)
            ax.set_xlabel("step")
            ax.set_ylabel(ylabel)
            ax.set_title(title)
            ax.legend(fontsize=7, loc="center right")
        fig.tight_layout()
    plt.close(fig)
    return fig


def entropy_figure(cells: dict, names: Sequence[tuple[str, str, str]], seed: int = 0):
    """NeuralGrok Figs. 5-6: AWE (left), AGE of the raw gradient (solid) and of the update
    (dotted, right) of one seed, with its train/test accuracy on a twin axis."""
    with style():
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.3))
        for name, label, color in names:
            r = cells[name][seed]
            t = r.history["entropy_step"]
            axes[0].plot(t, r.history["awe"], color=color, label=label)
            axes[1].plot(t, r.history["age_raw"], color=color, label=f"{label}: raw gradient")
            axes[1].plot(t, r.history["age_update"], color=color, ls=":", label=f"{label}: update")
        for ax, what in zip(axes, ("absolute weight entropy (AWE)", "absolute gradient entropy (AGE)")):
            ax.set_xlabel("step")
            ax.set_title(what)
            ax.set_yscale("log")
            ax.legend(fontsize=7)
        fig.tight_layout()
    plt.close(fig)
    return fig


def run_view(rec: RunRecord, color: str, title: str, entropy: bool):
    """One explorer view: a run's train (dashed) and test (solid) accuracy; with `entropy`,
    its AGE (raw gradient) on a twin log axis in grey."""
    with style():
        fig, ax = plt.subplots(figsize=(5.2, 3.0))
        accuracy_curves(ax, [rec], color)
        ax.set_xlabel("step")
        ax.set_title(title, fontsize=9)
        if entropy and "age_raw" in rec.history:
            tw = ax.twinx()
            tw.plot(rec.history["entropy_step"], rec.history["age_raw"], color="grey", lw=0.9)
            tw.set_yscale("log")
            tw.set_ylabel("AGE (grey)")
        fig.tight_layout()
    return fig


def run_plan(plan: dict[str, list], recompute: bool = False, **kw) -> dict[str, list[RunRecord]]:
    """run_or_load every cell of the plan and regroup by cell. Transfer runs (a `source`) go
    second: they start from their source run's recorded amplifier."""
    from grokcore.sweep import run_or_load

    cfgs = [c for cfgs in plan.values() for c in cfgs]
    first = [c for c in cfgs if getattr(c, "source", None) is None]
    records = run_or_load(first, recompute=recompute, **kw)
    records += run_or_load([c for c in cfgs if getattr(c, "source", None) is not None], recompute=recompute, **kw)
    return cells_of(records, plan)
