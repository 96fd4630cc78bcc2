"""What chapter 5 reads from a run record (MED paper): MED's correlation with test loss after
memorization, Table 1's U-Acc, L-Acc, GO-Epoch and "disappear", the oscillation after grokking,
the ResNet's rise and delay (as censoring-aware grokcore.estimates.Obs for the claims), and the
table that sets them beside the paper's.

Times to an event for the claims are grokcore.outcomes.times (key "step_to_test_acc_90" here).
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

from .configs import TABLE1
from grokcore.estimates import Obs
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


def disappears(rec: RunRecord) -> bool | None:
    """MED Table 1's "disappear": the run fit its train set (99%) and its test accuracy never rose
    10 points above its value then (go_epoch is None); None where the run never fit the train
    set within its budget or diverged (not decided)."""
    if diverged(rec) or not memorized(rec):
        return None
    return go_epoch(rec) is None


def diverged(rec) -> bool:
    """Whether the run stopped on a non-finite loss or weights (summary "diverged_at")."""
    return rec.summary.get("diverged_at") is not None


def memorized(rec) -> bool:
    """Whether the run reached 99% train accuracy."""
    return rec.summary["step_to_train_acc_99"] is not None


def grokked(rec, key: str = "step_to_test_acc_90") -> bool:
    """Whether the run reached the test accuracy of `key`."""
    return rec.summary[key] is not None


def oscillation(rec: RunRecord) -> float:
    """U-Acc - L-Acc: how far test accuracy falls back after reaching its top (MED §5, Fig. 2)."""
    return u_acc(rec) - l_acc(rec)


def per_run(recs: Sequence, stat: Callable, scale: float = 1.0) -> list:
    """stat(run) * scale per run, for grokcore.estimates; a diverged run's value is undefined:
    Obs(nan, diverged) (counted as diverged, without a value)."""
    return [Obs(math.nan, diverged=True) if diverged(r) else scale * stat(r) for r in recs]


def per_seed_diff(a: Sequence, b: Sequence, stat: Callable, scale: float = 1.0) -> list:
    """Per seed, (stat(a_i) - stat(b_i)) * scale; undefined where either run diverged."""
    return [
        Obs(math.nan, diverged=True) if diverged(x) or diverged(y) else scale * (stat(x) - stat(y))
        for x, y in zip(a, b, strict=True)
    ]


def post_event(
    items: Sequence,
    stat: Callable,
    reached: Callable,
    runs: Callable = lambda item: (item,),
    undefined=Obs(math.nan, diverged=True),
) -> tuple[list, int]:
    """Per item (a run, or a seed's pair of runs): `undefined` where one of its runs diverged,
    None where the event the quantity needs never came within the budget (`reached(item)`
    False: censored, with no bound on the quantity), else stat(item). Returns (values, number
    censored)."""
    values = [
        undefined
        if any(diverged(r) for r in runs(item))
        else (stat(item) if reached(item) else None)
        for item in items
    ]
    return values, sum(v is None for v in values)


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


def _budget_epochs(rec) -> float:
    """The epochs a ResNet run was given: its config's num_epochs, else its last evaluation."""
    cfg = getattr(rec, "cfg", None)
    n = getattr(cfg, "num_epochs", None)
    return n if isinstance(n, int) else rec.summary["last_epoch"]


def rise_obs(rec, scale: float = 100.0) -> Obs:
    """rise_after_memorization (times `scale`: points) as an Obs for grokcore.estimates.

    Exact where the run fit its train set and its test accuracy stopped climbing before the last
    evaluation (or reached 99%); censored (a lower bound: the climb may go on) where the highest
    test accuracy is at the last evaluation, or the run diverged after fitting; where it never fit
    its train set the rise is unobserved and known only to be >= 0: Obs(0, censored)."""
    div = diverged(rec)
    rise = rise_after_memorization(rec)
    if rise is None:
        return Obs(0.0, censored=True, diverged=div)
    acc = rec.history["test_acc"]
    climbing = max(acc) == acc[-1] and acc[-1] < 0.99
    return Obs(scale * rise, censored=div or climbing, diverged=div)


def delay_obs(rec, level: int = 90) -> Obs | None:
    """delay_ratio as an Obs for grokcore.estimates: epochs to `level`% test accuracy over epochs
    to 99% train accuracy.

    Both reached: the ratio. Train fit, test level not reached: at least last epoch / fit epoch
    (censored; a diverged run never reaches it: its full budget). Neither reached: unobserved,
    known only to be >= 0: Obs(0, censored). Test level reached before the train set was fit (or
    fit at epoch 0): None, no lower bound (the ratio is below 1 there), counted as no value."""
    s = rec.summary
    div = diverged(rec)
    mem, gen = s["epoch_to_train_acc_99"], s[f"epoch_to_test_acc_{level}"]
    if mem and gen is not None:
        return Obs(gen / mem)
    if mem:
        budget = _budget_epochs(rec) if div else s["last_epoch"]
        return Obs(budget / mem, censored=True, diverged=div)
    if gen is None:
        return Obs(0.0, censored=True, diverged=div)
    return None
