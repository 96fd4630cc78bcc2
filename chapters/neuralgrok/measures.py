"""What chapter 3 reads from one run record (or one pair of records), per seed: accuracy at a
step, post-grok oscillation, the entropy phases and ratios of NeuralGrok §4, the amplifier's
rotation and its meta-gradient signal. Nothing here trains or formats.

Times to 95% test accuracy, with censoring, are grokcore.outcomes.times'; chapters.neuralgrok.claims
compares them by grokcore.estimates' Kaplan-Meier medians.
"""

from __future__ import annotations

import math
import statistics
from typing import Sequence

from grokcore.records import RunRecord


def acc_at(rec: RunRecord, step: int, key: str = "test_acc") -> float:
    """A history metric at the last evaluation <= step (a run that stopped holds its last value)."""
    return [v for s, v in zip(rec.history["step"], rec.history[key]) if s <= step][-1]


def first_grok(rec: RunRecord, grok: float = 0.95) -> int | None:
    """Index of the first evaluation with test accuracy >= grok; None if there is none."""
    return next((i for i, a in enumerate(rec.history["test_acc"]) if a >= grok), None)


def evals_after_grok(rec: RunRecord, grok: float = 0.95) -> int | None:
    """Evaluations after the first one at `grok` test accuracy; None if there is none."""
    first = first_grok(rec, grok)
    return None if first is None else len(rec.history["test_acc"]) - 1 - first


def oscillation(
    rec: RunRecord, grok: float = 0.95, low: float = 0.9, min_after: int = 1
) -> float | None:
    """Fraction of the evaluations after the first one at `grok` test accuracy that fall below
    `low`; None if the run never got there or has fewer than `min_after` evaluations after it."""
    acc, first = rec.history["test_acc"], first_grok(rec, grok)
    if first is None or len(acc) - 1 - first < max(min_after, 1):
        return None
    after = acc[first + 1 :]
    return sum(a < low for a in after) / len(after)


def min_after_grok(rec: RunRecord, grok: float = 0.95) -> float | None:
    """Lowest test accuracy after the first evaluation at `grok`; None as for oscillation."""
    acc, first = rec.history["test_acc"], first_grok(rec, grok)
    return None if first is None or first == len(acc) - 1 else min(acc[first + 1 :])


def entropy_at(rec: RunRecord, key: str, step: int) -> float:
    """A logged entropy series at the last logged step <= step."""
    steps = rec.history["entropy_step"]
    j = max(i for i, s in enumerate(steps) if s <= step)
    return rec.history[key][j]


def age_phases(
    rec: RunRecord, key: str = "age_raw", start_below: float = 0.1
) -> tuple[float, float] | None:
    """(peak AGE up to 99% train accuracy / AGE when memorization starts, AGE at 95% test / its
    peak since then). Memorization starts at the last evaluation with train accuracy below
    `start_below` (after the warmup dip; the initial gradient is large). None if the run never
    reached 99% train and 95% test accuracy."""
    t_mem, t_gen = rec.summary["step_to_train_acc_99"], rec.summary["step_to_test_acc_95"]
    if t_mem is None or t_gen is None:
        return None
    t0 = max(
        s
        for s, a in zip(rec.history["step"], rec.history["train_acc"])
        if a < start_below and s <= t_mem
    )
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


def meta_signal(rec: RunRecord) -> float | None:
    """Median over the logged meta steps of |dL_outer/dphi| / |weight_decay * phi|: below 1 the
    meta Adam follows its own coupled L2 term, not the outer loss. None if nothing was logged."""
    pairs = [
        (g, l2)
        for g, l2 in zip(rec.history.get("meta_grad", []), rec.history.get("meta_l2", []))
        if l2 > 0
    ]
    return statistics.median(g / l2 for g, l2 in pairs) if pairs else None


def n_tensors(run, code: bool = True) -> int:
    """Tensors of a run's model as the code holds them (amplifier.code_tensors: the amplifier
    normalizes each to norm c, so its update has total norm c * sqrt(n_tensors)), or as grokcore
    holds them (code=False: the tensors grokcore.transforms' rescale normalizes one by one)."""
    from grokcore.data import make_dataset
    from grokcore.train import build_model

    from grokcore.amplifier import code_tensors

    model = build_model(run, make_dataset(run.task, 0), [0])
    names = [n for n, _ in model.named_parameters()]
    return len(code_tensors(names)) if code else len(names)
