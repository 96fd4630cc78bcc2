"""What chapter 5 reads from a run record (MED paper): MED's correlation with test loss after
memorization (on the loss, its log and its ranks), whether a run grokked, Table 1's U-Acc, L-Acc
(over a plateau window), GO-Epoch and "disappear", the oscillation on the plateau, the
accuracies on the hole and the rest of the test set and the embedding's spacing spread (where the
records log them), the ResNet's rise and delay (as censoring-aware grokcore.estimates.Obs for the
claims), and the tables that set them beside the paper's.

Times to an event for the claims are grokcore.outcomes.times (key "step_to_test_acc_90" here).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable, Sequence

from .configs import PAPER_P, TABLE1
from grokcore.estimates import Estimate, Obs, correlation, median, median_text
from grokcore.outcomes import pearson, times
from grokcore.records import RunRecord

GROK_KEY = "step_to_test_acc_90"  # grokking: 90% test accuracy
MEM_KEY = "step_to_train_acc_99"  # memorization: 99% train accuracy
PLATEAU_SPAN = 0.25  # the plateau window: the last quarter of a run's evaluations
PLATEAU_RISE = 0.01  # ... where the top test accuracy rises at most 1 point from half to half
# (a highest accuracy still rises where its last quarter beats the rest by more: still_rising)
PLATEAU_MIN = 4  # ... and which holds at least 4 evaluations (2 per half)
HOLE_KEYS = ("hole_acc", "rest_acc")  # per-evaluation accuracies on the hole / the rest of test
SPREAD_KEY = "med_sd"  # per-evaluation sd of the consecutive differences ||E[t+1] - E[t]||


def post_memorization(rec: RunRecord) -> slice:
    """Evaluations from the first with train accuracy >= 99% to the end (MED §6.2's window:
    "after training accuracy reaches 1"); empty if the run never memorizes."""
    step = rec.summary[MEM_KEY]
    if step is None:
        return slice(0, 0)
    return slice(rec.history["step"].index(step), None)


LOSS_SCALES = ("raw", "log", "rank")  # test loss as it is, its log, the ranks of both series


def _ranks(x: Sequence[float]) -> list[float]:
    """Ranks 1..n, ties the mean of their ranks (Pearson's r of ranks is Spearman's rho)."""
    from scipy.stats import rankdata

    return rankdata(x).tolist()


def gini(values: Sequence[float]) -> float:
    """Gini coefficient of nonnegative values: 0 when all are equal, (n - 1) / n when one holds
    everything (the mean absolute difference over twice the mean); NaN for all zeros."""
    v, n = sorted(values), len(values)
    total = sum(v)
    if n == 0 or total <= 0:
        return math.nan
    return sum((2 * i - n + 1) * x for i, x in enumerate(v)) / (n * total)


FOURIER_KEY = "fourier_density"  # a history series derived from the probe's "emb_power"


def fourier_density(rec: RunRecord) -> list[float]:
    """Per evaluation, 1 - the Gini coefficient of the token embedding's norms per frequency
    k = 1..p//2 (the square roots of the "embedding_fourier" probe's power shares): Nanda et
    al. (2023) read the circuit's formation off W_E growing sparse in the Fourier basis; this
    falls from about 1 (the power spread over every frequency, at init) towards 0 as the
    embedding concentrates on a few key frequencies, so, like MED, it should fall with the test
    loss."""
    return [1 - gini([math.sqrt(max(x, 0.0)) for x in pw[1:]]) for pw in rec.history["emb_power"]]


DERIVED = {FOURIER_KEY: fourier_density}  # tracking's keys that are not logged as they are


def _history(rec: RunRecord, key: str) -> list[float]:
    return DERIVED[key](rec) if key in DERIVED else rec.history[key]


def _series(rec: RunRecord, key: str, loss: str) -> tuple[list[float], list[float]]:
    """(metric, test loss) over the post-memorization window, on the scale `loss`."""
    if loss not in LOSS_SCALES:
        raise ValueError(f"loss={loss!r} is invalid: allowed {', '.join(LOSS_SCALES)}")
    w = post_memorization(rec)
    x, y = list(_history(rec, key)[w]), list(rec.history["test_loss"][w])
    if loss == "log":
        y = [math.log(v) if v > 0 else math.nan for v in y]
    elif loss == "rank":
        x, y = _ranks(x), _ranks(y)
    return x, y


def tracking(rec: RunRecord, key: str = "med", loss: str = "raw") -> float:
    """Pearson correlation of a history metric (MED; weight_norm, a control; FOURIER_KEY, the
    embedding's Fourier density, where the record logs "emb_power") with test loss
    over the post-memorization window: with the loss as it is ("raw"), with its log ("log"), or
    of the two series' ranks ("rank": Spearman's rho). NaN (not None: the notebook subtracts and
    averages these) if the window has fewer than 3 evaluations or a constant series."""
    x, y = _series(rec, key, loss)
    if any(math.isnan(v) for v in y):
        return math.nan
    r = pearson(x, y)
    return math.nan if r is None else r


def mean_tracking(recs: Sequence[RunRecord], key: str = "med") -> float | None:
    """The mean of tracking(rec, key) over the runs that grokked (grokked_late, not diverged):
    a description beside the rows, which decide over seeds; None where none grokked."""
    r = [tracking(rec, key) for rec in recs if grokked_late(rec) and not diverged(rec)]
    return sum(r) / len(r) if r else None


def tracking_estimate(rec: RunRecord, key: str = "med", loss: str = "raw") -> Estimate:
    """tracking's correlation with its 95% interval and p (grokcore.estimates.correlation:
    Fisher z). The evaluations of one run are serially dependent, so this interval is narrower
    than its nominal level: the claims decide over seeds, this only describes one run."""
    est = correlation(*_series(rec, key, loss))
    if loss == "rank":
        return dataclasses.replace(
            est, method="Spearman rho (Pearson r of ranks), Fisher-z interval"
        )
    return est


def grokked_late(rec) -> bool:
    """Whether the run grokked: it reached 99% train accuracy and, at a later evaluation, 90%
    test accuracy (delayed generalization). False for a run that never reached 90%, or reached it
    at or before memorization (generalized with it: no delay)."""
    mem, gen = rec.summary[MEM_KEY], rec.summary[GROK_KEY]
    return mem is not None and gen is not None and gen > mem


def grok_status(rec) -> str:
    """'grokked', 'generalized with memorization' (90% test accuracy no later than 99% train),
    'memorized only' or 'not memorized' (within the budget), for notes and tables."""
    mem, gen = rec.summary[MEM_KEY], rec.summary[GROK_KEY]
    if grokked_late(rec):
        return "grokked"
    if gen is not None:
        return "generalized with memorization"
    return "memorized only" if mem is not None else "not memorized"


def u_acc(rec: RunRecord, key: str = "test_acc") -> float:
    """U-Acc (MED Table 1): the highest test accuracy reached (or of another accuracy `key`:
    on the hole, on the rest; NaN where it is undefined at every evaluation)."""
    return _finite_max(rec.history[key])


def _last_stretch(rec: RunRecord, after: str) -> int | None:
    """How many evaluations the last PLATEAU_SPAN of the run's holds (at least PLATEAU_MIN), or
    None where the run has fewer, or the event summary[after] came later than their start or
    never: the stretch plateau_window and still_rising read."""
    steps = rec.history["step"]
    n = max(PLATEAU_MIN, math.ceil(PLATEAU_SPAN * len(steps)))
    event = rec.summary[after]
    return None if len(steps) < n or event is None or event > steps[-n] else n


def plateau_window(rec: RunRecord, after: str = MEM_KEY) -> slice | None:
    """The evaluations where test accuracy has plateaued, or None: the last PLATEAU_SPAN of the
    run's evaluations (at least PLATEAU_MIN), every one at or after the step of summary[after]
    (99% train accuracy by default; 90% test accuracy for the oscillation after grokking), in
    which the highest test accuracy of the second half is at most PLATEAU_RISE above that of the
    first half (the top no longer rises). None where the run is still rising there, or the event
    came later than the window's start or never (a run without a window gives no L-Acc)."""
    n = _last_stretch(rec, after)
    if n is None:
        return None
    w = rec.history["test_acc"][-n:]
    if max(w[n // 2 :]) > max(w[: n // 2]) + PLATEAU_RISE:
        return None
    return slice(len(rec.history["step"]) - n, None)


def still_rising(rec: RunRecord, acc: Sequence[float] | None = None) -> bool:
    """Whether a highest accuracy (U-Acc, of `acc`: one value per evaluation, the run's test
    accuracy by default) may still rise with more epochs, so that it is only a lower bound: the run
    fit its train set (99%) only within the last PLATEAU_SPAN of its evaluations (at least
    PLATEAU_MIN) or never, or that last stretch set a new high more than PLATEAU_RISE above every
    evaluation before it. A run that swings about a level it reached earlier is not rising, however
    its swings fall; plateau_window (L-Acc's) asks the stricter question whether the level is flat,
    and a swing up in the window's second half fails it."""
    acc = rec.history["test_acc"] if acc is None else acc
    n = _last_stretch(rec, MEM_KEY)
    if n is None or n == len(acc):  # no evaluation before the stretch to beat
        return True
    return _finite_max(acc[-n:]) > _finite_max(acc[:-n]) + PLATEAU_RISE


def l_acc(rec: RunRecord, after: str = MEM_KEY) -> float | None:
    """L-Acc (MED Table 1, "the lowest accuracy observed after reaching this upper limit"): the
    lowest test accuracy over the plateau window; None where the run has none."""
    w = plateau_window(rec, after)
    return None if w is None else min(rec.history["test_acc"][w])


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


def oscillation(rec: RunRecord, after: str = GROK_KEY) -> float | None:
    """The range of test accuracy (highest - lowest) over the plateau window after the event
    `after` (90% test accuracy: after grokking): how far it swings once it no longer rises (MED
    §5, Fig. 2; Table 1's U-Acc - L-Acc on the plateau); None where the run has no such window."""
    w = plateau_window(rec, after)
    if w is None:
        return None
    acc = rec.history["test_acc"][w]
    return max(acc) - min(acc)


def per_run(recs: Sequence, stat: Callable, scale: float = 1.0) -> list:
    """stat(run) * scale per run, for grokcore.estimates; a diverged run's value is undefined:
    Obs(nan, diverged) (counted as diverged, without a value)."""
    return [Obs(math.nan, diverged=True) if diverged(r) else scale * stat(r) for r in recs]


def per_run_capped(
    recs: Sequence, stat: Callable, scale: float = 1.0, key: str = "test_acc"
) -> list:
    """per_run for a highest accuracy reached (U-Acc and its parts: the history `key` whose
    highest value stat reads), which more epochs can only raise: a run whose highest `key` has
    stopped rising (still_rising) gives its value; one still rising, or that memorized late or
    never, gives it censored (at least that: a lower bound)."""
    return [
        v if isinstance(v, Obs) else Obs(v, censored=still_rising(r, r.history[key]))
        for r, v in zip(recs, per_run(recs, stat, scale))
    ]


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
    """'mean ± sd' of the values that are not None or NaN (undefined, e.g. an accuracy over no
    pairs), times scale; '—' if none; '(k none)'."""
    vals = [v * scale for v in values if v is not None and not math.isnan(v)]
    miss = len(values) - len(vals)
    if not vals:
        return "—" + (f" ({miss} none)" if miss else "")
    m = sum(vals) / len(vals)
    sd = math.sqrt(sum((v - m) ** 2 for v in vals) / (len(vals) - 1)) if len(vals) > 1 else 0.0
    return f"{m:.{digits}f} ± {sd:.{digits}f}" + (f" ({miss} none)" if miss else "")


def table1(cells: dict, p: int):
    """MED Table 1 beside ours: one row per layout, paper values at p = 97, ours mean ± sd; L-Acc
    over the plateau window (runs without one counted as none). Where the records log them, our
    highest accuracies on the hole and on the rest of the test set too."""
    import pandas as pd

    rows = []
    for (layout, k), recs in cells.items():
        paper = TABLE1.get((layout, k), (None, None, None))
        task = recs[0].cfg.task
        row = {
            "layout": layout.upper(),
            "k (p=97)": k,
            f"k (p={p})": task.hole,
            "held out": f"{task.n_held_out / p**2:.0%}",
            "rest in test": task.n_examples - task.n_held_out - task.n_train,
            "U-Acc paper": paper[0],
            "U-Acc ours": mean_sd([u_acc(r) for r in recs], 100),
            "L-Acc paper": paper[1],
            "L-Acc ours (plateau)": mean_sd([l_acc(r) for r in recs], 100),
            "GO-Epoch paper": paper[2] if paper[0] is not None else None,
            "GO-Epoch ours": mean_sd([go_epoch(r) for r in recs], digits=0),
        }
        if layout != "random" and all(logs_hole_split(r) for r in recs):
            row["hole acc ours"] = mean_sd([u_acc(r, "hole_acc") for r in recs], 100)
            row["rest acc ours"] = mean_sd([u_acc(r, "rest_acc") for r in recs], 100)
        rows.append(row)
    return pd.DataFrame(rows)


def vocab_table(shared: dict, separate: dict, p: int):
    """The STRIP holes with a shared vocabulary (layouts ("strip", k)) beside the same holes with
    the second operand on its own tokens (strip_vocab k): our U-Acc, highest hole and rest
    accuracies and U-Acc on Table 1's test set (mean ± sd), Table 1's U-Acc, and the U-Acc that
    Table 1's test set allows when the hole is never learned (its rest share: rest accuracy 1,
    hole accuracy 0)."""
    import pandas as pd

    rows = []
    for k in sorted(separate):
        n_hole, n_rest = paper_test_counts("strip", k)
        for vocab, recs in (("shared", shared.get(("strip", k))), ("separate", separate[k])):
            if not recs:
                continue
            split = all(logs_hole_split(r) for r in recs)
            rows.append(
                {
                    "STRIP k (p=97)": k,
                    f"k (p={p})": recs[0].cfg.task.hole,
                    "vocabulary": vocab
                    + (f" (j + {recs[0].cfg.task.shift})" if vocab == "separate" else ""),
                    "U-Acc ours": mean_sd([u_acc(r) for r in recs], 100),
                    "hole acc": mean_sd([u_acc(r, "hole_acc") for r in recs], 100)
                    if split
                    else "—",
                    "rest acc": mean_sd([u_acc(r, "rest_acc") for r in recs], 100)
                    if split
                    else "—",
                    "U-Acc on Table 1's test set": mean_sd(
                        [u_acc_paper_test_set(r, "strip", k) for r in recs], 100
                    )
                    if split
                    else "—",
                    "U-Acc paper": TABLE1[("strip", k)][0],
                    "paper's test set, hole unlearned": round(100 * n_rest / (n_hole + n_rest), 1),
                }
            )
    return pd.DataFrame(rows)


def spread_curves(recs: Sequence) -> list[tuple[list[int], list[float]]]:
    """Per run, (steps, spread): the sd of the consecutive embedding differences over their
    mean (MED) at every evaluation."""
    return [
        (r.history["step"], [sd / m for sd, m in zip(r.history[SPREAD_KEY], r.history["med"])])
        for r in recs
    ]


def _r_text(est: Estimate) -> str:
    """'0.95 [0.91, 0.97], p=3e-08', or '—' where r is undefined."""
    if not est.identified:
        return "—"
    return f"{est.estimate:.3f} [{est.low:.3f}, {est.high:.3f}], p={est.p:.2g}"


def tracking_table(ops: dict, extra: Sequence[tuple[str, str]] = ()):
    """One row per operation and seed: whether the run grokked, and MED's correlation with the
    test loss after memorization (r on the loss, r on its log, Spearman's rho), the weight
    norm's and those of the `extra` (column label, tracking key: FOURIER_KEY for the Fourier
    runs), each with its per-run interval and p (tracking_estimate), and the final test
    accuracy."""
    import pandas as pd

    rows = [
        {
            "operation": op,
            "seed": r.cfg.seed,
            "run": grok_status(r),
            "r(MED, loss)": _r_text(tracking_estimate(r)),
            "r(MED, log loss)": _r_text(tracking_estimate(r, loss="log")),
            "rho(MED, loss)": _r_text(tracking_estimate(r, loss="rank")),
            **{label: _r_text(tracking_estimate(r, key)) for label, key in extra},
            "r(weight norm, loss)": _r_text(tracking_estimate(r, "weight_norm")),
            "final test acc (%)": 100 * r.final["test_acc"],
        }
        for op, recs in ops.items()
        for r in recs
    ]
    return pd.DataFrame(rows)


# ---- what the records would need to log (issue 21) -------------------------------------------


def logs_hole_split(rec) -> bool:
    """Whether the record logs the accuracy on the hole and on the rest of the test set."""
    return all(k in rec.history for k in HOLE_KEYS)


def paper_test_counts(layout: str, k: int, p: int = PAPER_P, frac: float = 0.3) -> tuple:
    """(pairs in the hole, other test pairs) of Table 1's test set: a SQUARE hole i, j <= k or a
    STRIP i <= k, then frac of all p^2 pairs train from the rest (all of it when fewer remain)."""
    hole = (k + 1) ** 2 if layout == "square" else (k + 1) * p
    others = p * p - hole
    return hole, others - min(int(frac * p * p), others)


def paper_test_set_acc(rec, layout: str, k: int) -> list[float]:
    """Per evaluation, the accuracy on Table 1's test set: our hole and rest accuracies weighted
    by the paper's hole and rest test counts for (layout, k) at p = 97."""
    n_hole, n_rest = paper_test_counts(layout, k)
    h = rec.history
    return [
        (n_hole * a + n_rest * b) / (n_hole + n_rest) if n_rest else a
        for a, b in zip(h["hole_acc"], h["rest_acc"])
    ]


def u_acc_paper_test_set(rec, layout: str, k: int) -> float:
    """U-Acc as Table 1 measures it: the highest, over evaluations, of paper_test_set_acc."""
    return _finite_max(paper_test_set_acc(rec, layout, k))


def _finite_max(values: Sequence[float]) -> float:
    """The largest finite value; NaN if none (an accuracy over no pairs is undefined)."""
    return max((v for v in values if v is not None and math.isfinite(v)), default=math.nan)


def spacing_spread(E, p: int, shift: int = 0):
    """The spread of the consecutive differences MED averages: sd / mean of ||E[t+1] - E[t]||
    over both operand blocks (MED is their mean, this their coefficient of variation; 0 when
    the tokens are equally spaced). E [..., V, d] -> [...]."""
    import torch

    d = (E[..., 1:p, :] - E[..., : p - 1, :]).norm(dim=-1)
    if shift:
        d2 = E[..., shift + 1 : shift + p, :] - E[..., shift : shift + p - 1, :]
        d = torch.cat([d, d2.norm(dim=-1)], dim=-1)
    return d.std(dim=-1, unbiased=False) / d.mean(dim=-1)


def end_spread(rec) -> float:
    """The spread (SPREAD_KEY, the sd of the consecutive differences, over MED, their mean) at
    the run's last evaluation."""
    return rec.history[SPREAD_KEY][-1] / rec.history["med"][-1]


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


# ---- the cpu scale's deviation, measured on the baseline (issue 16) ----------------------------


def deviation_effect(base: Sequence, ours: Sequence, threshold: int = 50):
    """The measured effect of the chapter's setup on the baseline's time to grok: one row per
    setting, the source's (its "baseline first" runs, `base`, which stop at `threshold`) and the
    chapter's random layout x+y (`ours`): modulus, training fraction, width, learning rate,
    seeds, and the Kaplan-Meier median over seeds of full-batch epochs to `threshold`% test
    accuracy (95% interval; censored seeds kept as bounds; '≥' where half or more never got
    there)."""
    import pandas as pd

    rows = []
    settings = (("the source's (baseline)", base), ("this scale's (random layout)", ours))
    for label, recs in settings:
        if not recs:
            continue
        c, m = recs[0].cfg, median(times(recs, f"step_to_test_acc_{threshold}"))
        rows.append(
            {
                "setup": label,
                "p": c.task.p,
                "train": f"{c.task.frac_train:.0%}",
                "d_model": c.model.d_model,
                "lr": f"{c.optim.lr:g}",
                f"epochs to {threshold}% (median [95% CI])": median_text(m),
                "censored": f"{m.censored}/{len(recs)}",
            }
        )
    return pd.DataFrame(rows).set_index("setup")
