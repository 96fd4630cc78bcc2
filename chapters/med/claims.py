"""Chapter 5's claims (MED paper, Gu et al. 2025) as data, and the one function that computes
their rows from the chapter's runs.

`CLAIMS` holds every claim of the paper the book knows of, declared before the runs: the band
that counts as agreeing with the paper, why, the estimator and the fewest seeds that may decide
it (grokcore.claims). `results(...)` gives one row per claim, in CLAIMS order; a claim this run
does not cover (a hole, operation or width left out at this scale, or one the book never runs)
gives a "not run" row that says why.

Rules (tests: chapters/med/tests/test_med_claims.py):
- a per-seed value of a diverged run is undefined: counted as diverged, without a value;
- times to 90% test accuracy are grokcore.outcomes.times (censored at the budget, never the
  budget as the time); the Toeplitz speed-up pairs each seed's two inits (estimator
  "paired_speedup": a censored normal run makes its ratio a lower bound);
- the ResNet's rise and delay are grokcore.estimates.Obs: a seed that never reached an event is a
  lower bound, never dropped (chapters.med.measures.rise_obs, delay_obs);
- a quantity that exists only after an event (MED's correlation and "disappear" after 99% train
  accuracy, the oscillation after both runs of a seed reached 90% test accuracy) has no value in a
  seed that never reached it (censored, no bound): counted, and when they are half the seeds or
  more the quantity is not testable at this budget.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable, Mapping, Sequence

from grokcore.claims import Claim, ClaimResult
from grokcore.estimates import Estimate, Obs
from grokcore.outcomes import times

from . import measures as M
from .configs import PAPER_P, TABLE1
from .coverage import ball_size, coverage_bound

INF = math.inf
GROK_KEY = "step_to_test_acc_90"  # grokking, for the Toeplitz speed-up and the oscillation

# App. D.2 names further operations; the book knows these (the notebook's `operations`).
MED_OPERATIONS = ("x+y", "x-y", "x^2+y^2", "x^2", "x^3+xy")
COVERAGE_N = (3, 4, 5)
# Table 1's holes, in its order within each layout (smallest first): (layout, k at p = 97)
TABLE1_CELLS = tuple(sorted(TABLE1, key=lambda c: (c[0] != "square", c[1])))

_MED_WHY = (
    "§6.2: 'The MED function's variation curve closely matches that of the task's test loss'; "
    "Remark 4.3: 'nearly identical changes'. The paper gives no number: r >= 0.9 is the range the "
    "chapter set before its runs (r <= 1, so the band is open above)"
)


def _med_claim(op: str) -> Claim:
    return Claim(
        f"med-tracks-loss-{op}",
        "MED §6.2, Fig. 5; App. D.2",
        f"MED moves with the test loss after memorization ({op})",
        "curves closely match",
        "Pearson r of MED with test loss over the evaluations from 99% train accuracy on, per seed",
        (0.9, INF),
        _MED_WHY,
        min_seeds=3,
        digits=3,
    )


def _u_acc_claim(layout: str, k: int) -> Claim:
    u = TABLE1[(layout, k)][0]
    return Claim(
        f"u-acc-{layout}-{k}",
        "MED §6.1, Table 1",
        f"U-Acc with a {layout.upper()} hole k = {k} (at p = 97; scaled to p)",
        f"{u:.2f}%",
        "U-Acc: the highest test accuracy of the run, per seed",
        (u - 10, u + 10),
        "Table 1 (one run per layout, p = 97, 30% train; no spread given): the paper's U-Acc "
        "± 10 points, the range the chapter set before its runs (an edge above 100% never binds)",
        min_seeds=3,
        digits=1,
        unit="%",
    )


def _coverage_claim(n: int) -> Claim:
    return Claim(
        f"coverage-bound-n{n}",
        "MED Thm. 3.12",
        "2 ln p / C is the training fraction at which fewer than one pair of the p = 97 grid has "
        f"no training pair within Manhattan distance < {n}",
        "r = 2 ln p / C",
        "Monte Carlo fraction where the mean number of uncovered pairs crosses 1, over 2 ln p / C, "
        "per Monte Carlo seed",
        (0.9, 1.1),
        "Thm. 3.12 states the fraction as r = 2 ln p / C (its proof: the expected number of "
        "uncovered pairs below 1, with log(1 - x) ~ -x); within 10% of the Monte Carlo value, "
        "the range the chapter set before its runs",
        min_seeds=3,
        digits=3,
        unit="x",
    )


_ALL = [
    *(_med_claim(op) for op in MED_OPERATIONS),
    Claim(
        "med-beats-weight-norm",
        "MED abstract, §4",
        "MED traces the test loss more closely than a simple control, the total weight norm",
        "traces the changes in test loss more accurately",
        "r(MED, test loss) - r(weight norm, test loss) after memorization, per run (every "
        "operation and seed)",
        (0.0, INF),
        "Abstract: MED 'could trace the changes in test loss more accurately'; the paper compares "
        "with Fourier and local-complexity measures, not the weight norm: any positive difference "
        "counts (the chapter's range set before its runs; a difference of correlations is at most "
        "2, so the band is open above)",
        min_seeds=3,
        digits=3,
    ),
    Claim(
        "med-beats-other-measures",
        "MED abstract, §4",
        "MED traces the test loss more accurately than the Fourier and local-complexity progress "
        "measures",
        "more accurately",
        "r(MED, test loss) - r(other measure, test loss), per run",
        (0.0, INF),
        "Abstract: 'a novel, concise, and effective progress measure that could trace the changes "
        "in test loss more accurately'",
        min_seeds=3,
        digits=3,
    ),
    Claim(
        "random-layout-full",
        "MED §6.1",
        "With a random training set, test accuracy reaches 1 (U-Acc, x+y)",
        "100% (30% train)",
        "U-Acc: the highest test accuracy of the run, per seed",
        (99.0, INF),
        "§6.1: 'when the training set is randomly sampled, the test accuracy ... eventually "
        "reaches 1'; >= 99% is the range the chapter set before its runs (U-Acc <= 100%, so the "
        "band is open above)",
        min_seeds=3,
        digits=1,
        unit="%",
    ),
    *(_u_acc_claim(lay, k) for lay, k in TABLE1_CELLS),
    Claim(
        "strip-67-disappears",
        "MED §6.1, Table 1",
        "With a STRIP hole k = 67 (at p = 97; scaled to p) grokking disappears: test accuracy "
        "never rises after the train set is fit",
        "GO-Epoch 'disappear'",
        "share of seeds whose test accuracy never rose 10 points above its value at 99% train "
        "accuracy (a seed that never fit its train set has no value)",
        (0.5, 1.0),
        "Table 1 gives 'disappear' for STRIP k = 67 (one run): most seeds, a share above one half",
        estimator="proportion",
        min_seeds=6,  # Clopper-Pearson: 5 of 5 still allows 0.48
        digits=2,
    ),
    Claim(
        "square-hole-lowers-u-acc",
        "MED §6.1, Table 1",
        "A bigger SQUARE hole lowers U-Acc",
        "99.04 - 57.31 = 41.7 points (k = 30 vs 60)",
        "U-Acc with the smallest hole minus U-Acc with the largest, per seed, in points",
        (15.0, INF),
        "Table 1: U-Acc falls from 99.04% (k = 30) to 57.31% (k = 60); >= 15 points is the range "
        "the chapter set before its runs (a difference of accuracies is at most 100 points)",
        min_seeds=3,
        digits=1,
        unit="points",
    ),
    Claim(
        "strip-hole-lowers-u-acc",
        "MED §6.1, Table 1",
        "A bigger STRIP hole lowers U-Acc",
        "89.89 - 7.56 = 82.3 points (k = 40 vs 67)",
        "U-Acc with the smallest hole minus U-Acc with the largest, per seed, in points",
        (30.0, INF),
        "Table 1: U-Acc falls from 89.89% (k = 40) to 7.56% (k = 67); >= 30 points is the range "
        "the chapter set before its runs (a difference of accuracies is at most 100 points)",
        min_seeds=3,
        digits=1,
        unit="points",
    ),
    *(_coverage_claim(n) for n in COVERAGE_N),
    Claim(
        "wider-embedding-raises-accuracy",
        "MED App. D.1, Figs. 10-11",
        "A wider embedding raises U-Acc at a boundary layout",
        "0.7 -> 0.99 (d 128 -> 512)",
        "U-Acc of the widest d_model minus that of the narrowest, per seed, in points",
        (2.0, INF),
        "App. D.1: 'when the embedding dimension is set to 128, the test accuracy fluctuates "
        "around 0.7, but when the dimension is increased to 512, the test accuracy eventually "
        "reaches 0.99'; >= 2 points is the range the chapter set before its runs",
        min_seeds=3,
        digits=1,
        unit="points",
    ),
    Claim(
        "toeplitz-init-faster",
        "MED App. E, Fig. 20",
        "A Toeplitz (circulant) embedding init groks faster than the normal init",
        "faster (Fig. 20)",
        "per seed, steps to 90% test accuracy with the normal init over those with the Toeplitz "
        "init (the same seed: the same split and other weights); their geometric mean",
        (1.2, INF),
        "App. E asks 'can special initialization speed up grokking?' and answers with Fig. 20 "
        "(no number); at least 1.2x is the range the chapter set before its runs",
        estimator="paired_speedup",
        min_seeds=3,
        digits=2,
        unit="x",
    ),
    Claim(
        "deeper-oscillates-more",
        "MED §5, Fig. 2",
        "Deeper transformers oscillate more in test accuracy after grokking",
        "oscillates sharply in a large range",
        "U-Acc - L-Acc of the deepest model minus that of the 1-layer model, per seed, in points "
        "(a seed counts when both runs reached 90% test accuracy)",
        (2.0, INF),
        "§5, Fig. 2: 'As the number of layers increases ... the test accuracy rate oscillating "
        "sharply in a large range'; >= 2 points is the range the chapter set before its runs",
        min_seeds=3,
        digits=1,
        unit="points",
    ),
    Claim(
        "resnet-groks",
        "MED §6.3, Fig. 7",
        "A ResNet groks on the image-sum task: test accuracy climbs after train accuracy "
        "reaches 99%",
        "grokking on ResNet-18 (Fig. 7)",
        "highest later test accuracy minus test accuracy at 99% train accuracy, per seed, in "
        "points (a lower bound where the run never fit its train set or was still climbing)",
        (50.0, INF),
        "§6.3: 'successfully showcasing the occurrence of grokking' (Fig. 7: test accuracy "
        "climbs from low to high after the train set is fit); >= 50 points is the range the "
        "chapter set before its runs",
        min_seeds=3,
        digits=1,
        unit="points",
    ),
    Claim(
        "resnet-grok-delay",
        "MED §6.3, Fig. 7",
        "On the image-sum task the ResNet generalizes long after it memorizes",
        "delayed generalization (Fig. 7)",
        "epochs to 90% test accuracy over epochs to 99% train accuracy, per seed (a lower bound "
        "where 90% was not reached)",
        (2.0, INF),
        "Fig. 7 shows test accuracy rising long after train accuracy reaches 1 (no number); at "
        "least 2x is the range the chapter set before its runs",
        estimator="median",
        min_seeds=5,  # the Kaplan-Meier median's lower limit is the smallest of 3 seeds
        digits=2,
        unit="x",
    ),
]
CLAIMS: dict[str, Claim] = {c.id: c for c in _ALL}

NOT_RUN = {  # claims the book never runs, and why
    "med-beats-other-measures": "the book computes neither the Fourier (Nanda et al. 2023) nor "
    "the local-complexity (Humayun et al. 2024) progress measure on these runs",
}


# ---- the rows ------------------------------------------------------------------------------


class _Rows:
    """The rows computed so far, and why the others were not run."""

    def __init__(self, scale: str):
        self.scale, self.rows, self.reasons = scale, {}, dict(NOT_RUN)

    def check(self, cid: str, *data, note: str = "") -> None:
        self.rows[cid] = CLAIMS[cid].check(*data, scale=self.scale, note=note)

    def judge(self, cid: str, est: Estimate, note: str = "") -> None:
        self.rows[cid] = CLAIMS[cid].judge(est, scale=self.scale, note=note)

    def skip(self, cid: str, reason: str) -> None:
        self.reasons[cid] = reason

    def after_memorization(self, cid: str, recs: Sequence, stat: Callable, note: str = "") -> None:
        """stat per run where the run fit its train set (99%); see M.post_event."""
        # a share (estimator "proportion") takes True/False/None: a diverged run has no value
        undefined = None if CLAIMS[cid].estimator == "proportion" else Obs(math.nan, diverged=True)
        values, n_cens = M.post_event(recs, stat, M.memorized, undefined=undefined)
        if n_cens:
            note += f"{'; ' if note else ''}{n_cens}/{len(recs)} runs never reached 99% train "
            note += "accuracy (no post-memorization window)"
        self.judge(cid, after_event(CLAIMS[cid], values, n_cens), note=note)

    def in_order(self) -> list[ClaimResult]:
        return [
            self.rows[cid] if cid in self.rows else c.not_run(self.reasons[cid], scale=self.scale)
            for cid, c in CLAIMS.items()
        ]


def after_event(claim: Claim, values: Sequence, n_censored: int) -> Estimate:
    """The claim's estimate of a quantity that exists only after an event: `values` has None for
    the n_censored seeds that never reached it. When they are half the seeds or more, the
    quantity is not identified (no value, every censored seed counted as censored); otherwise
    the estimate over the others, the censored seeds counted as without a value."""
    est = claim.estimate(values)
    if 2 * n_censored < len(values) or not values:
        return est
    return dataclasses.replace(
        est,
        estimate=None,
        low=-INF,
        high=INF,
        n=len(values),
        censored=n_censored,
        missing=est.missing - n_censored,
        p=None,
    )


def _seed_list(values: Sequence, fmt: Callable = str) -> str:
    return ", ".join("—" if v is None else fmt(v) for v in values)


def results(
    R: Mapping[str, Mapping],
    resnet: Sequence,
    mc_ratios: Mapping[int, Sequence[float]],
    *,
    p: int,
    frac_train: float,
    mc_trials: int,
    scale: str,
) -> list[ClaimResult]:
    """One row per CLAIMS entry, in its order, from the chapter's runs.

    R: configs.attach's grouping of the transformer records ("operations", "layouts",
    "d_model", "embed_init", "layers"; a group left out gives "not run" rows); resnet: the
    image-sum records; mc_ratios: n -> the Monte Carlo ratios of coverage.coverage_ratios;
    p, frac_train, mc_trials: this run's parameters (for the notes)."""
    out = _Rows(scale)
    _med_rows(out, R.get("operations", {}))
    _layout_rows(out, R.get("layouts", {}), p, frac_train)
    _coverage_rows(out, mc_ratios, mc_trials)
    _comparison_rows(out, R, p)
    _resnet_rows(out, resnet)
    return out.in_order()


def _med_rows(out: _Rows, ops: Mapping[str, Sequence]) -> None:
    for op in MED_OPERATIONS:
        if op in ops:
            out.after_memorization(f"med-tracks-loss-{op}", ops[op], M.tracking)
        else:
            out.skip(f"med-tracks-loss-{op}", f"{op} is not among this run's operations")
    if not ops:
        out.skip("med-beats-weight-norm", "no operations were run")
        return
    out.after_memorization(
        "med-beats-weight-norm",
        [r for recs in ops.values() for r in recs],
        lambda r: M.tracking(r) - M.tracking(r, "weight_norm"),
        note=f"operations {', '.join(ops)}",
    )


def _layout_rows(out: _Rows, L: Mapping[tuple, Sequence], p: int, frac_train: float) -> None:
    if ("random", 0) in L:
        out.check(
            "random-layout-full",
            M.per_run(L[("random", 0)], M.u_acc, 100),
            note=f"{frac_train:.0%} of the pairs train here (paper 30%)",
        )
    else:
        out.skip("random-layout-full", "the random layout was not run")
    for lay, k in TABLE1_CELLS:
        cid = f"u-acc-{lay}-{k}"
        if (lay, k) not in L:
            out.skip(cid, f"the {lay.upper()} hole k = {k} is not among this run's holes")
            continue
        recs = L[(lay, k)]
        go = ", ".join(str(g) if g is not None else "disappear" for g in map(M.go_epoch, recs))
        paper_go = TABLE1[(lay, k)][2] or "disappear"
        note = f"k' = {recs[0].cfg.task.hole} at p = {p}; GO-Epoch per seed {go} (paper {paper_go})"
        out.check(cid, M.per_run(recs, M.u_acc, 100), note=note)
    if ("strip", 67) in L:
        recs = L[("strip", 67)]
        out.after_memorization(
            "strip-67-disappears",
            recs,
            M.disappears,
            note=f"k' = {recs[0].cfg.task.hole} at p = {p}; within {recs[0].summary['last_step']} "
            "epochs (paper 30000)",
        )
    else:
        out.skip("strip-67-disappears", "the STRIP hole k = 67 is not among this run's holes")
    for lay, cid in (("square", "square-hole-lowers-u-acc"), ("strip", "strip-hole-lowers-u-acc")):
        ks = sorted(k for (layout, k) in L if layout == lay)
        if len(ks) < 2:
            out.skip(cid, f"needs two {lay.upper()} holes; this run has {len(ks)}")
            continue
        out.check(
            cid,
            M.per_seed_diff(L[(lay, ks[0])], L[(lay, ks[-1])], M.u_acc, 100),
            note=f"k = {ks[0]} vs {ks[-1]} (at p = {PAPER_P})",
        )


def _coverage_rows(out: _Rows, mc_ratios: Mapping[int, Sequence[float]], mc_trials: int) -> None:
    for n in COVERAGE_N:
        cid = f"coverage-bound-n{n}"
        if n not in mc_ratios:
            out.skip(cid, f"n = {n} is not among this run's coverage_n")
            continue
        exact = 1 - PAPER_P ** (-2 / ball_size(n))
        out.check(
            cid,
            list(mc_ratios[n]),
            note=f"bound {coverage_bound(PAPER_P, n):.3f}, exact torus value {exact:.3f}; Monte "
            f"Carlo over {mc_trials} training sets per fraction",
        )


def _comparison_rows(out: _Rows, R: Mapping[str, Mapping], p: int) -> None:
    """Width, embedding init and depth (App. D.1, App. E, §5)."""
    D = R.get("d_model", {})
    if len(D) >= 2:
        wide, narrow = max(D), min(D)
        task = D[wide][0].cfg.task
        out.check(
            "wider-embedding-raises-accuracy",
            M.per_seed_diff(D[wide], D[narrow], M.u_acc, 100),
            note=f"d_model {narrow} vs {wide}; {task.layout.upper()} hole k' = {task.hole} at "
            f"p = {p}",
        )
    else:
        out.skip("wider-embedding-raises-accuracy", "needs two embedding widths (d_models)")

    E = R.get("embed_init", {})
    if "toeplitz" in E and "normal" in E:
        fast, slow = times(E["toeplitz"], GROK_KEY), times(E["normal"], GROK_KEY)
        n_fast, n_slow = (sum(o.censored for o in arm) for arm in (fast, slow))
        note = (
            f"censored (never reached 90% within the budget): normal {n_slow}/{len(slow)}, "
            f"Toeplitz {n_fast}/{len(fast)}"
        )
        out.check("toeplitz-init-faster", fast, slow, note=note)
    else:
        out.skip("toeplitz-init-faster", "needs the normal and the toeplitz embed_inits")

    Ly = R.get("layers", {})
    if 1 not in Ly or max(Ly) == 1:
        out.skip("deeper-oscillates-more", "needs 1 layer and a deeper model (layers)")
        return
    deep = max(Ly)
    pairs = list(zip(Ly[deep], Ly[1], strict=True))
    values, n_cens = M.post_event(
        pairs,
        lambda ab: 100 * (M.oscillation(ab[0]) - M.oscillation(ab[1])),
        lambda ab: M.grokked(ab[0], GROK_KEY) and M.grokked(ab[1], GROK_KEY),
        runs=lambda ab: ab,
    )
    out.judge(
        "deeper-oscillates-more",
        after_event(CLAIMS["deeper-oscillates-more"], values, n_cens),
        note=f"{deep} layers vs 1; {n_cens}/{len(pairs)} seeds where a run never reached 90% "
        "test accuracy (no oscillation after grokking to measure)",
    )


def _resnet_rows(out: _Rows, resnet: Sequence) -> None:
    if not resnet:
        for cid in ("resnet-groks", "resnet-grok-delay"):
            out.skip(cid, "no image-sum ResNet runs")
        return
    cfg = resnet[0].cfg

    def pct(v: float) -> str:
        return f"{100 * v:.0f}%"

    out.check(
        "resnet-groks",
        [M.rise_obs(r) for r in resnet],
        note=f"{cfg.tile}-px tiles, widths {list(cfg.widths)}, blocks {list(cfg.blocks)}, "
        f"{cfg.num_epochs} epochs; per seed: final train acc "
        f"{_seed_list([r.final['train_acc'] for r in resnet], pct)}, highest test acc "
        f"{_seed_list([r.summary['max_test_acc'] for r in resnet], pct)}",
    )
    out.check(
        "resnet-grok-delay",
        [M.delay_obs(r) for r in resnet],
        note="epochs to 99% train / 90% test per seed: "
        + ", ".join(
            f"{_seed_list([r.summary['epoch_to_train_acc_99']])} / "
            f"{_seed_list([r.summary['epoch_to_test_acc_90']])}"
            for r in resnet
        ),
    )


# Baseline first (grokcore.baselines): the MED paper's §6.1 random-split run, rerun at the
# source's own setup (grokcore.presets) from shipped records; the notebook puts these rows first
# in its table.
BASELINE_IDS = ("med",)
