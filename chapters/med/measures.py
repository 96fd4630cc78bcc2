"""What chapter 5 reads from a run record (MED paper): MED's correlation with test loss after
memorization, Table 1's U-Acc, L-Acc and GO-Epoch, the oscillation after grokking, and the
table that sets them beside the paper's.

Speed-ups between cells are grokcore.outcomes.speedup (key "step_to_test_acc_90" here).
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

from .configs import TABLE1
from grokcore.outcomes import pearson
from grokcore.records import RunRecord


def post_memorization(rec: RunRecord) -> slice:
    """Evaluations from the first with train accuracy >= 99% to the end (MED §6.2's window:
    "after training accuracy reaches 1"); empty if the run never memorizes."""
    step = rec.summary["step_to_train_acc_99"]
    if step is None:
        return slice(0, 0)
    return slice(rec.history["step"].index(step), None)


def tracking(rec: RunRecord, key: str = "med") -> float:
    """Pearson correlation of a history metric (MED, or weight_norm as a control) with test loss
    over the post-memorization window; NaN (not None: the notebook subtracts and averages these)
    if the window has fewer than 3 evaluations or a constant series."""
    w = post_memorization(rec)
    r = pearson(rec.history[key][w], rec.history["test_loss"][w])
    return math.nan if r is None else r


def u_acc(rec: RunRecord) -> float:
    """U-Acc (MED Table 1): the highest test accuracy reached."""
    return max(rec.history["test_acc"])


def l_acc(rec: RunRecord, tol: float = 0.02) -> float:
    """L-Acc (MED Table 1): the lowest test accuracy after first coming within `tol` of U-Acc."""
    acc = rec.history["test_acc"]
    top = u_acc(rec)
    first = next(i for i, a in enumerate(acc) if a >= top - tol)
    return min(acc[first:])


def go_epoch(rec: RunRecord, min_rise: float = 0.1) -> int | None:
    """GO-Epoch (MED Table 1): the first epoch (= step: full batch) at which test accuracy reaches
    half its U-Acc, once training accuracy is 99%; None ("disappear") when test accuracy never
    rises `min_rise` above its value at memorization or the run never memorizes."""
    w = post_memorization(rec)
    acc, steps = rec.history["test_acc"][w], rec.history["step"][w]
    if not acc or max(acc) - acc[0] < min_rise:
        return None
    return next(s for s, a in zip(steps, acc) if a >= u_acc(rec) / 2)


def oscillation(rec: RunRecord) -> float:
    """U-Acc - L-Acc: how far test accuracy falls back after reaching its top (MED §5, Fig. 2)."""
    return u_acc(rec) - l_acc(rec)


def paired(
    a: Sequence[RunRecord], b: Sequence[RunRecord], stat: Callable[[RunRecord], float]
) -> list[float]:
    """Per seed, stat(a_i) - stat(b_i) (cells of the same seeds share their splits)."""
    return [stat(x) - stat(y) for x, y in zip(a, b)]


def mean_sd(values: Sequence[float | None], scale: float = 1.0, digits: int = 1) -> str:
    """'mean ± sd' of the values that are not None, times scale; '—' if none; '(k none)'."""
    vals = [v * scale for v in values if v is not None]
    miss = len(values) - len(vals)
    if not vals:
        return "—" + (f" ({miss} none)" if miss else "")
    m = sum(vals) / len(vals)
    sd = math.sqrt(sum((v - m) ** 2 for v in vals) / (len(vals) - 1)) if len(vals) > 1 else 0.0
    return f"{m:.{digits}f} ± {sd:.{digits}f}" + (f" ({miss} none)" if miss else "")


def table1(cells: dict, p: int):
    """MED Table 1 beside ours: one row per layout, paper values at p = 97, ours mean ± sd."""
    import pandas as pd

    rows = []
    for (layout, k), recs in cells.items():
        paper = TABLE1.get((layout, k), (None, None, None))
        task = recs[0].cfg.task
        rows.append(
            {
                "layout": layout.upper(),
                "k (p=97)": k,
                f"k (p={p})": task.hole,
                "held out": f"{task.n_held_out / p**2:.0%}",
                "rest in test": task.n_examples - task.n_held_out - task.n_train,
                "U-Acc paper": paper[0],
                "U-Acc ours": mean_sd([u_acc(r) for r in recs], 100),
                "L-Acc paper": paper[1],
                "L-Acc ours": mean_sd([l_acc(r) for r in recs], 100),
                "GO-Epoch paper": paper[2] if paper[0] is not None else None,
                "GO-Epoch ours": mean_sd([go_epoch(r) for r in recs], digits=0),
            }
        )
    return pd.DataFrame(rows)


# ---- the ResNet runs (MED §6.3, chapters.med.image_sum) --------------------------------------


def rise_after_memorization(rec) -> float | None:
    """Highest test accuracy from the first evaluation with train accuracy >= 99% on, minus the test
    accuracy there (MED Fig. 7's grokking: test accuracy climbs after the train set is fit);
    None if train accuracy never reaches 99% (censored)."""
    s, h = rec.summary, rec.history
    if s["epoch_to_train_acc_99"] is None:
        return None
    i = h["epoch"].index(s["epoch_to_train_acc_99"])
    return max(h["test_acc"][i:]) - h["test_acc"][i]


def delay_ratio(rec, level: int = 90) -> float | None:
    """Epochs to `level`% test accuracy over epochs to 99% train accuracy (grokking: >> 1);
    None if either is not reached (censored)."""
    s = rec.summary
    mem, gen = s["epoch_to_train_acc_99"], s[f"epoch_to_test_acc_{level}"]
    return None if not mem or gen is None else gen / mem


def seed_table(recs):
    """One row per seed: when the train set is fit, test accuracy then and later, speed."""
    import pandas as pd

    def pct(v):
        return None if v is None else 100 * v

    rows = [
        {
            "seed": r.cfg.seed,
            "epoch train 99%": r.summary["epoch_to_train_acc_99"],
            "test acc then (%)": pct(r.summary["test_acc_at_train_acc_99"]),
            "max test acc (%)": pct(r.summary["max_test_acc"]),
            "final train acc (%)": pct(r.final["train_acc"]),
            "final test acc (%)": pct(r.final["test_acc"]),
            "epoch test 90%": r.summary["epoch_to_test_acc_90"],
            "epochs": r.summary["last_epoch"],
            "wall (s)": r.meta["wall_s"],
            "train steps/s": r.meta["train_steps_per_s"],
        }
        for r in recs
    ]
    return pd.DataFrame(rows)
