"""Chapter 4's claims (the Grokking Dynamics blog on Adam β1 and weight decay): what the blog
states, how we measure it, when it agrees, and one function that computes every row from the runs.

Every claim of the blog that the book knows of is declared once in `CLAIMS`, before any run: the
band of values that agree with the blog and why, the estimator (grokcore.estimates) and the
fewest seeds that may decide it. `results` turns the chapter's run records into one row per
claim, in CLAIMS order; a claim the book does not run (`NOT_RUN`) or that this scale does not
run gives a "not run" row saying why. A verdict follows from the estimate's 95% interval set
against the band (grokcore.claims.verdict_of).

How the per-seed values treat a run that did not get there within its budget (censored):

- times to an event (steps to 95% test accuracy, and the gap: steps from 95% train to 95% test
  accuracy) are Obs, censored at the last evaluated step (grokcore.outcomes.times); medians are
  Kaplan-Meier; ratios of arms pair their seeds (the same seed: the same split and init) and
  take the geometric mean of the per-seed ratios (estimator "paired_speedup": a censored
  numerator run leaves a lower bound, never the budget as a time);
- a quantity read at an event that a run never reached (what happens after grokking, at the
  memorization point or across the transition) is not observed: censored at the lowest value it
  can take, so the row counts the seed and can only give a bound ("not testable at this budget"
  when half the seeds or more are censored);
- a quantity that a run that got there still leaves undefined (no cycle in the autocorrelation,
  no transplant taken) is None: counted as "without a value";
- a statement about how a run gets to generalizing (weight decay 2's "generalizes without
  memorizing first", wd2-no-memo) is read only on the seeds that generalized (95% test accuracy)
  within the budget, the others without a value; with fewer such seeds than min_seeds, because
  the others did not generalize, the row is "not testable at this budget" (with the count),
  never a verdict from the few that did.

The dips-versus-gap correlation pools the β1 sweep's grokked runs; pooling β1 values whose gaps
differ confounds dips and gaps with β1, so `dips_by_beta1` gives each β1's r (with its interval
and p) beside it. A dip is defined before the runs: the gradient agreement falls more than
dip_threshold (0.1) below the median of its previous 5 probes (consecutive probes count once),
counted up to the grokking step.

min_seeds is the fewest seeds that may decide a claim: 5 (a t interval on means and on the log
ratios of paired seeds; a Kaplan-Meier median, whose interval stays open above below 6 seeds, so
that such a row can be contradicted from below before it can be reproduced; a Clopper-Pearson
rate, whose interval lies above 0.8 only from 17 of 17 seeds but below it from 1 of 5, and above
0.6 from 8 of 8); the correlation of gaps with dips declares 15 runs (at the blog's r = 0.896,
the Fisher-z interval lies above 0.7 from 15).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Mapping, Sequence

import torch

from grokcore import estimates, outcomes
from grokcore.claims import Claim, ClaimResult, describe, looks_at, with_looks_note, verdict_of
from grokcore.config import from_dict
from grokcore.estimates import Looks, Obs, sequential_level
from grokcore.records import RunRecord

from . import configs
from . import measures as A
from . import transplant as T

# Phrases of the notebook's text with a number no run made (tests/test_prose_numbers.py): why each
PROSE_LITERALS = {
    "(39,890 iterations at weight decay 0)": "Grokfast's README baseline, the source's number",
    "**β1 sweep** (13 values, 30 seeds)": "the blog's own sweep, the source's numbers",
    "lr / 3": "the lr-scaled settings' definition (configs.GROKFAST_SETTINGS)",
    "(weight decay 3)": "the lr-scaled-same-decay setting's definition",
    "The weight decay 3 and": "the lr-scaled-same-decay setting's definition",
    "(one needs 6)": "the signed-rank bound's fewest pairs at 95% (estimates.signed_rank_lower)",
    "it takes 6 seeds to give one at 95%": "the signed-rank bound's fewest pairs at 95%",
    "where 6 of the 16 runs": "an earlier build's count, history",
    "stacks of 6 runs train\n1.3x faster": (
        "the measurement behind the cpu preset's max_stack (bench/adam_dynamics_speed.py)"
    ),
}

INF = math.inf
GROKFAST = "grokfast_ema"
UNTESTABLE = "not testable at this budget"
BLOG_STEPS = 3000  # the blog's weight-decay sweep: "generalize within 3000 steps"
# Rows whose quantity can only move one way with a longer budget: "up" (the share of seeds that
# grokked, the train accuracy reached) can only grow, "down" (the share still stuck) only fall.
# Measured within fewer steps than the blog's 3000, such a value is a bound on the blog's: its
# interval's limit on the other side says nothing (budget_bound).
BUDGET_DIRECTION = {
    "wd0-rate": "up",
    "wd1-rate": "up",
    "wd2-rate": "up",
    "wd5-dead": "up",
    "wd0-stuck": "down",
}


def budget_bound(result: ClaimResult, direction: str, budget: int) -> ClaimResult:
    """A row measured within `budget` < BLOG_STEPS steps, whose value (a share or an accuracy,
    in [0, 1]) can only go `direction` ("up" or "down") with more steps. Only the interval's
    limit on that side bounds the blog's value, so the row is judged on [low, 1] ("up") or
    [0, high] ("down"): contradicted if that lies outside the band, reproduced if inside it.
    Otherwise a face-value "inconclusive" that more seeds could settle stays; any other verdict
    becomes "not testable at this budget". E.g. ("up") a grokking rate of 0.2 [0.01, 0.72]
    within 1500 steps does not contradict "every seed generalizes within 3000": the rate within
    3000 is at least 0.01, and that is all."""
    if budget >= BLOG_STEPS or result.verdict not in ("reproduced", "contradicted", "inconclusive"):
        return result
    lo, hi = (result.ci_low, 1.0) if direction == "up" else (0.0, result.ci_high)
    b_lo, b_hi = result.band_low, result.band_high
    if hi < b_lo or lo > b_hi:
        verdict = "contradicted"
    elif b_lo <= lo and hi <= b_hi:
        verdict = "reproduced"
    elif result.verdict == "inconclusive" and (
        hi <= b_hi if direction == "up" else b_lo <= lo
    ):  # the fixed side is inside the band: more seeds could move the other into it
        return result
    else:
        verdict = "not testable at this budget"
    if verdict == result.verdict:
        return result
    side = "at least its lower" if direction == "up" else "at most its upper"
    decides = (
        "which decides the band"
        if verdict != "not testable at this budget"
        else "which does not decide the band"
    )
    return dataclasses.replace(
        result,
        verdict=verdict,
        reason=f"measured within {budget} steps, fewer than the blog's {BLOG_STEPS}: with more "
        f"steps this value can only go {direction}, so the blog's is {side} limit, {decides}",
    )


STUCK_RISE = 0.1  # wd0-stuck: a memorized run is stuck if test accuracy rises at most this
SMOOTH_WINDOW = 500  # hess-smooth: steps either side of the grokking step
CYCLE_PROBES = 5  # rank-cycle: the fewest rank probes after grokking that give a seed an r

_GF_WHY = (
    "The blog: 'Grokfast + default Adam grokks at ~800 steps. Just lowering beta1 to 0.5 grokks "
    "at ~700. Grokfast + low beta1 is worse than either alone.'"
)
_SPEEDUP_SEEDS = 5  # pairs of seeds: a t interval on the log ratios
_MEDIAN_SEEDS = 5  # below 7, a Kaplan-Meier median's 95% interval stays open above
_MEAN_SEEDS = 5

CLAIMS: dict[str, Claim] = {
    c.id: c
    for c in (
        Claim(
            "gf-default",
            "blog, Grokfast test (introduction)",
            "Grokfast-EMA speeds up default Adam (β1 0.9): it reaches 95% test accuracy in fewer "
            "steps with Grokfast than without",
            paper="~800 steps with Grokfast; without it not stated (the geometry section's "
            "figure of default training: transition at ~step 1500)",
            quantity="steps to 95% test accuracy per seed of each arm (β1 0.9, weight decay 1); "
            "paired seeds' geometric-mean ratio, with Grokfast over without (< 1: "
            "Grokfast faster)",
            band=(-INF, 0.8),
            why=_GF_WHY + " ~800 against ~1500 is 0.53; at most 0.8 is the earlier 'expect' "
            "range (0, 0.8), kept (a ratio cannot be below 0)",
            estimator="paired_speedup",
            min_seeds=_SPEEDUP_SEEDS,
            unit="x",
        ),
        Claim(
            "b05-default",
            "blog, Grokfast test (introduction)",
            "Lowering Adam's β1 from 0.9 to 0.5 alone speeds up grokking",
            paper="~700 steps at β1 0.5; default Adam not stated (the geometry section's figure: "
            "~1500)",
            quantity="steps to 95% test accuracy per seed of each arm (weight decay 1, no "
            "Grokfast); paired seeds' geometric-mean ratio, β1 0.5 over β1 0.9 (< 1: "
            "β1 0.5 faster)",
            band=(-INF, 0.8),
            why=_GF_WHY + " ~700 against ~1500 is 0.47; at most 0.8 is the earlier 'expect' "
            "range (0, 0.8), kept",
            estimator="paired_speedup",
            min_seeds=_SPEEDUP_SEEDS,
            unit="x",
        ),
        Claim(
            "gf-b05-worse-than-gf",
            "blog, Grokfast test (introduction)",
            "Grokfast with β1 0.5 groks later than Grokfast with default Adam (β1 0.9)",
            paper="'worse than either alone' (no number)",
            quantity="steps to 95% test accuracy per seed of each arm (weight decay 1, "
            "Grokfast-EMA); paired seeds' geometric-mean ratio, β1 0.5 over β1 0.9 "
            "(> 1: β1 0.5 worse)",
            band=(1.1, INF),
            why=_GF_WHY + " 'Worse' read as at least 10% more steps: the earlier 'expect' "
            "range (1.1, ∞), kept. One of the claim's two comparisons",
            estimator="paired_speedup",
            min_seeds=_SPEEDUP_SEEDS,
            unit="x",
        ),
        Claim(
            "gf-b05-worse-than-b05",
            "blog, Grokfast test (introduction)",
            "Grokfast with β1 0.5 groks later than β1 0.5 without Grokfast",
            paper="'worse than either alone' (no number; β1 0.5 alone: ~700 steps)",
            quantity="steps to 95% test accuracy per seed of each arm (β1 0.5, weight decay 1); "
            "paired seeds' geometric-mean ratio, with Grokfast over without (> 1: "
            "Grokfast worse)",
            band=(1.1, INF),
            why=_GF_WHY + " 'Worse' read as at least 10% more steps: the earlier 'expect' "
            "range (1.1, ∞), kept. One of the claim's two comparisons",
            estimator="paired_speedup",
            min_seeds=_SPEEDUP_SEEDS,
            unit="x",
        ),
        Claim(
            "b1-flat",
            "blog, 'The beta1 sweep' (figure: median gap against β1)",
            "The gap between memorizing and generalizing is flat for β1 from 0 to 0.4",
            paper="flat, ~280-345 steps for β1 0 to 0.4 (345 / 280 = 1.23)",
            quantity="gap (steps from 95% train to 95% test accuracy, at least one evaluation "
            "interval) per seed at weight decay 1 and every β1 of the sweep from 0 to 0.4; per "
            "seed (the same split and initialization at every β1), the least-squares trend of "
            "log gap on β1, as the factor it fits from β1 0 to the largest of those β1 "
            "(exp(slope · β1)); geometric mean over seeds. A seed with a censored gap in that "
            "range has no trend (counted as without a value)",
            band=(1 / 1.35, 1.35),
            why="The blog: 'The gap is flat (~280–345 steps) for beta1 between 0 and 0.4'. "
            "Flat read as a fitted change of at most a factor 1.35 either way over the range "
            "(its own 345 / 280 is 1.23): the earlier 'expect' range, kept. The trend uses every "
            "β1 of the range the sweep ran (the blog's 0, 0.1, 0.2, 0.3, 0.4), not two ends",
            estimator="geomean",
            min_seeds=_SPEEDUP_SEEDS,
            unit="x",
        ),
        Claim(
            "b1-rise",
            "blog, 'The beta1 sweep' (figure: median gap against β1)",
            "High momentum amplifies the gap 2-3x over β1 0",
            paper="2-3x (the figure: up to β1 0.95)",
            quantity="gap (steps from 95% train to 95% test accuracy) per seed at weight decay "
            "1; paired seeds' geometric-mean ratio of the gaps at the sweep's largest β1 and at "
            "β1 0",
            band=(2.0, 3.5),
            why="The blog: 'High momentum amplifies the delay 2–3x'; the earlier 'expect' range "
            "(2, 3.5), kept",
            estimator="paired_speedup",
            min_seeds=_SPEEDUP_SEEDS,
            unit="x",
            digits=2,
        ),
        Claim(
            "b1-zero-gap",
            "blog, 'The beta1 sweep' and 'Weight decay'",
            "β1 = 0 does not remove the gap: at β1 0 and weight decay 1 the model generalizes "
            "~300 steps after it memorizes",
            paper="~300 steps ('a baseline delay of ~300 steps with zero momentum'; at wd = 1.0 "
            "'gap of ~300 steps')",
            quantity="gap (steps from 95% train to 95% test accuracy) per seed at β1 0 and "
            "weight decay 1; Kaplan-Meier median",
            band=(100, 600),
            why="The blog states ~300 steps twice, for the β1 sweep's β1 0 and the weight-decay "
            "sweep's wd 1.0 (one setting: one row). Our model, learning rate and batch are not "
            "the blog's, so a factor 2-3 either way: the earlier β1-sweep 'expect' range "
            "(100, 600), kept (the weight-decay row's was (150, 600))",
            estimator="median",
            min_seeds=_MEDIAN_SEEDS,
            unit="steps",
            digits=0,
        ),
        Claim(
            "wd0-rate",
            "blog, 'Weight decay'",
            "Without weight decay (β1 0) grokking almost never happens within the budget",
            paper="5/30 = 0.17 seeds generalize within 3000 steps",
            quantity="whether a seed reaches 95% test accuracy within the budget (β1 0, weight "
            "decay 0); the share of seeds",
            band=(-INF, 0.4),
            why="The blog: 'Without weight decay, grokking almost never happens. Only 5/30 "
            "seeds generalize within 3000 steps'. The earlier 'expect' range (0, 0.4), kept",
            estimator="proportion",
            min_seeds=5,  # 0/5 has a Clopper-Pearson upper limit of 0.52; 0/8 of 0.37
        ),
        Claim(
            "wd0-memo-fast",
            "blog, 'Weight decay'",
            "Without weight decay (β1 0) the model memorizes at once",
            paper="'the model memorizes instantly' (no number)",
            quantity="steps to 95% train accuracy per seed at weight decay 0 and at weight decay "
            "1 (β1 0); paired seeds' geometric-mean ratio, weight decay 0 over weight decay 1 "
            "(< 1: sooner without weight decay)",
            band=(-INF, 0.8),
            why="The blog: 'Only 5/30 seeds generalize within 3000 steps at wd = 0 — the model "
            "memorizes instantly and gets stuck.' No number for 'instantly' and our steps are not "
            "the blog's, so read against the same seeds at weight decay 1 (where the blog's "
            "model memorizes and then groks): at most 0.8 of their steps, the chapter's "
            "threshold for 'faster' (as gf-default and b05-default)",
            estimator="paired_speedup",
            min_seeds=_SPEEDUP_SEEDS,
            unit="x",
        ),
        Claim(
            "wd0-stuck",
            "blog, 'Weight decay'",
            "Without weight decay (β1 0) the model that has memorized gets stuck",
            paper="'gets stuck' (25/30 seeds do not generalize within 3000 steps)",
            quantity="whether a seed that memorized (95% train accuracy) is stuck: its test "
            "accuracy at the end of the run at most 0.1 above its test accuracy at the "
            "memorization step (β1 0, weight decay 0); the share of the seeds that memorized",
            band=(0.6, 1.0),
            why="The blog: 'Only 5/30 seeds generalize within 3000 steps at wd = 0 — the model "
            "memorizes instantly and gets stuck.' Stuck read as test accuracy not rising by "
            "more than 0.1 after memorizing; the blog's 25/30 = 0.83 not generalizing, and "
            "wd0-rate's band (at most 0.4 generalize), give at least 0.6 of the seeds stuck",
            estimator="proportion",
            min_seeds=5,  # 5/5 has a Clopper-Pearson lower limit of 0.48; 7/7 of 0.59, 8/8 0.63
        ),
        Claim(
            "wd1-rate",
            "blog, 'Weight decay'",
            "At weight decay 1 (β1 0) every seed groks",
            paper="100% grokking rate (30/30)",
            quantity="whether a seed reaches 95% test accuracy within the budget (β1 0, weight "
            "decay 1); the share of seeds",
            band=(0.8, 1.0),
            why="The blog: 'At wd = 1.0: 100% grokking rate'. An interval cannot lie above 1 - "
            "ε with finitely many seeds (30/30: lower limit 0.88), so the earlier 'partial' "
            "edge 0.8 is the band's lower edge",
            estimator="proportion",
            min_seeds=5,  # 17/17 is the fewest whose Clopper-Pearson interval lies above 0.8
        ),
        Claim(
            "wd2-no-memo",
            "blog, 'Weight decay'",
            "At weight decay 2 (β1 0) the model does not memorize first",
            paper="'the model generalizes without memorizing first'",
            quantity="largest train minus test accuracy up to the grokking step, per seed that "
            "generalized (reached 95% test accuracy) within the budget (β1 0, weight decay 2); "
            "a seed that did not generalize has no value, and with fewer generalized seeds than "
            "min_seeds the row is not testable at this budget",
            band=(-INF, 0.2),
            why="The blog: 'At wd = 2.0: the model generalizes without memorizing first'. A "
            "statement about how a run gets to generalizing, so it is read only on runs that "
            "generalize, within the budget (the blog's sweep: 3000 steps); a run that has not "
            "generalized has not shown what comes first. A run that memorizes first reaches a "
            "margin near 0.9; the earlier 'expect' range (0, 0.2), kept (a margin below 0 is "
            "no memorization either)",
            estimator="mean",
            min_seeds=_MEAN_SEEDS,
        ),
        Claim(
            "wd2-rate",
            "blog, 'Weight decay'",
            "At weight decay 2 (β1 0) the model generalizes",
            paper="'the model generalizes'",
            quantity="whether a seed reaches 95% test accuracy within the budget (β1 0, weight "
            "decay 2); the share of seeds",
            band=(0.8, 1.0),
            why="The blog: 'At wd = 2.0: the model generalizes without memorizing first' (no "
            "rate given; read as nearly every seed). The earlier 'expect' range (0.8, 1), kept",
            estimator="proportion",
            min_seeds=5,
        ),
        Claim(
            "wd5-dead",
            "blog, 'Weight decay'",
            "At weight decay 5 (β1 0) nothing learns",
            paper="'nothing learns at all'",
            quantity="train accuracy at the end of the run, per seed (β1 0, weight decay 5)",
            band=(-INF, 0.1),
            why="The blog: 'At wd = 5.0, nothing learns at all. Too much regularization kills "
            "both memorization and generalization.' Chance is 1/p; the earlier 'expect' range "
            "(0, 0.1), kept",
            estimator="mean",
            min_seeds=_MEAN_SEEDS,
        ),
        Claim(
            "osc-period",
            "blog, '\"Grokked\" isn't a fixed point'",
            "After grokking at weight decay 1 test accuracy oscillates with a period of ~150 steps",
            paper="'Period ≈ 150 steps'",
            quantity="period of detrended test accuracy after the grokking step (highest "
            "autocorrelation peak after its first zero crossing), per seed (β1 0, weight "
            "decay 1)",
            band=(100, 225),
            why="The blog: 'Under wd = 1.0, accuracy oscillates ... Period ≈ 150 steps.' Our "
            "steps are not the blog's (other model, learning rate, batch); the earlier "
            "'expect' range (100, 225), 150 within a factor 1.5, kept",
            estimator="mean",
            min_seeds=_MEAN_SEEDS,
            unit="steps",
            digits=0,
        ),
        Claim(
            "osc-norm",
            "blog, '\"Grokked\" isn't a fixed point'",
            "At weight decay 1 the weight norm oscillates in step with test accuracy",
            paper="'perfectly correlated with accuracy'",
            quantity="Pearson r of detrended test accuracy and detrended weight norm after the "
            "grokking step, per seed (β1 0, weight decay 1)",
            band=(0.7, INF),
            why="The blog: 'The weight norm under wd = 1.0 shows clean sinusoidal oscillation "
            "perfectly correlated with accuracy.' The earlier 'expect' range (0.7, 1), kept "
            "(r cannot exceed 1)",
            estimator="mean",
            min_seeds=_MEAN_SEEDS,
        ),
        Claim(
            "osc-collapse",
            "blog, '\"Grokked\" isn't a fixed point'",
            "At weight decay 0.25 grokked runs collapse and re-grok",
            paper="'catastrophic collapses (accuracy drops to 0.25), full re-grokking from "
            "scratch'",
            quantity="falls of test accuracy below 50% after the grokking step, per seed (β1 0, "
            "weight decay 0.25)",
            band=(1.0, INF),
            why="The blog: 'At wd = 0.25: slow erosion, catastrophic collapses (accuracy drops "
            "to 0.25), full re-grokking'. Collapses, plural: at least one per run on average, "
            "the earlier 'expect' range (1, ∞), kept",
            estimator="mean",
            min_seeds=_MEAN_SEEDS,
            digits=1,
        ),
        Claim(
            "osc-drop",
            "blog, '\"Grokked\" isn't a fixed point'",
            "At weight decay 0.25 a grokked run's test accuracy drops to about 0.25",
            paper="'accuracy drops to 0.25'",
            quantity="lowest test accuracy after the grokking step, per seed (β1 0, weight decay "
            "0.25)",
            band=(0.125, 0.5),
            why="The blog: 'At wd = 0.25: slow erosion, catastrophic collapses (accuracy drops "
            "to 0.25), full re-grokking from scratch.' 0.25 within a factor 2 either way (the "
            "chapter's reading of an approximate number from another setup, as hess-spike and "
            "hess-lag)",
            estimator="mean",
            min_seeds=_MEAN_SEEDS,
        ),
        Claim(
            "osc-hover",
            "blog, '\"Grokked\" isn't a fixed point'",
            "At weight decay 2 the grokked model hovers gently, without sharp crashes",
            paper="'gentle hovering near the boundary, no sharp crashes'",
            quantity="lowest test accuracy after the grokking step, per seed (β1 0, weight "
            "decay 2)",
            band=(0.8, INF),
            why="The blog: 'At wd = 2.0: gentle hovering near the boundary, no sharp crashes.' "
            "Hovering near the 95% boundary without crashing read as never below 80%: the "
            "earlier 'expect' range (0.8, 1), kept (accuracy cannot exceed 1)",
            estimator="mean",
            min_seeds=_MEAN_SEEDS,
        ),
        Claim(
            "hess-spike",
            "blog, 'What the geometry is doing'",
            "The top Hessian eigenvalue spikes during memorization (β1 0.9)",
            paper="'Curvature spikes 20x during memorization'",
            quantity="peak of the top Hessian eigenvalue up to the grokking step over its "
            "initial value, per seed (β1 0.9, weight decay 1)",
            band=(10.0, 40.0),
            why="The blog: 'Curvature spikes 20x during memorization'; 20 within a factor 2, "
            "the earlier 'expect' range (10, 40), kept",
            estimator="mean",
            min_seeds=_MEAN_SEEDS,
            unit="x",
            digits=1,
        ),
        Claim(
            "hess-decline",
            "blog, 'What the geometry is doing'",
            "The top Hessian eigenvalue declines from about step 600",
            paper="'then declines starting around step 600'",
            quantity="step of the top Hessian eigenvalue's peak up to the grokking step (the "
            "end where never grokked), where its decline starts, per diagnostic seed (β1 0 and "
            "0.9, weight decay 1); censored at the peak where no later probe lies below it (no "
            "decline seen)",
            band=(300.0, 1200.0),
            why="The blog: 'Curvature spikes 20x during memorization ... then declines starting "
            "around step 600 as weight decay reshapes the geometry. At beta1 = 0, generalization "
            "follows almost immediately. At beta1 = 0.9, there's a ~400-step lag': the decline "
            "is stated before and apart from β1, so both β1 are read. Our steps are not the "
            "blog's (other model, learning rate, batch): 600 within a factor 2",
            estimator="mean",
            min_seeds=_MEAN_SEEDS,
            unit="steps",
            digits=0,
        ),
        Claim(
            "hess-lag",
            "blog, 'What the geometry is doing'",
            "At β1 0.9 generalization lags the curvature's decline by ~400 steps more than at β1 0",
            paper="'At beta1 = 0.9, there's a ~400-step lag' (at β1 0: 'almost immediately')",
            quantity="steps from the top Hessian eigenvalue's peak to 95% test accuracy at β1 "
            "0.9 minus the same at β1 0, per seed (same seed: same split and initialization)",
            band=(200.0, 800.0),
            why="The blog: 'At beta1 = 0, generalization follows almost immediately. At beta1 "
            "= 0.9, there's a ~400-step lag while the momentum buffer catches up.' 400 within "
            "a factor 2, the earlier 'expect' range (200, 800), kept",
            estimator="mean",
            min_seeds=_MEAN_SEEDS,
            unit="steps",
            digits=0,
        ),
        Claim(
            "hess-lag-b0",
            "blog, 'What the geometry is doing'",
            "At β1 0 generalization follows the curvature's decline almost immediately",
            paper="'At beta1 = 0, generalization follows almost immediately'",
            quantity="steps from the top Hessian eigenvalue's peak to 95% test accuracy, per "
            "seed (β1 0, weight decay 1)",
            band=(-INF, 100.0),
            why="The blog: 'At beta1 = 0, generalization follows almost immediately. At beta1 "
            "= 0.9, there's a ~400-step lag'. No number for 'almost immediately': ours, at "
            "most a quarter of that ~400-step lag (the earlier table had this part only in "
            "the hess-lag row's note)",
            estimator="mean",
            min_seeds=_MEAN_SEEDS,
            unit="steps",
            digits=0,
        ),
        Claim(
            "hess-smooth",
            "blog, 'What the geometry is doing'",
            "The top Hessian eigenvalue changes smoothly through the transition",
            paper="'The Hessian shows the underlying process is smooth — curvature changes "
            "continuously'",
            quantity="largest change of the top Hessian eigenvalue between consecutive probes "
            "(hessian_every steps apart) within 500 steps either side of the grokking step, "
            "over its whole range in that window, per diagnostic seed (β1 0 and 0.9, weight "
            "decay 1)",
            band=(-INF, 0.5),
            why='The blog: \'"Phase transition" is what you see when you project a '
            "high-dimensional geometric process onto a single scalar (test accuracy). The "
            "Hessian shows the underlying process is smooth — curvature changes continuously. "
            "The transition is in the measurement, not the system.' Smooth read as no single "
            "interval between probes carrying half of the change or more (a step-like jump "
            "puts nearly all of it in one)",
            estimator="mean",
            min_seeds=_MEAN_SEEDS,
        ),
        Claim(
            "agree-rise",
            "blog, 'What the geometry is doing' (gradient agreement)",
            "Gradient agreement rises during memorization",
            paper="'Agreement rises during memorization' (no number)",
            quantity="mean cosine of two half-batch gradients over the 100 steps up to 95% "
            "train accuracy minus its mean over steps 1-100, per run of the β1 sweep",
            band=(0.1, INF),
            why="The blog: 'Gradient agreement ... Agreement rises during memorization.' A rise "
            "read as at least 0.1 in cosine: the earlier 'expect' range (0.1, ∞), kept",
            estimator="mean",
            min_seeds=_MEAN_SEEDS,
        ),
        Claim(
            "moment-cos",
            "blog, 'What the geometry is doing' (gradient agreement)",
            "After memorization Adam's first moment is anti-correlated with the current gradient "
            "(β1 0.9)",
            paper="cosine -0.1 to -0.3",
            quantity="mean cosine of Adam's first moment and the batch gradient from 95% train "
            "to 95% test accuracy (or the end of the run), per seed (β1 0.9, weight decay 1)",
            band=(-0.3, -0.1),
            why="The blog: 'The momentum buffer is anti-correlated with the current gradient "
            "during the post-memorization phase (cosine: -0.1 to -0.3).' Its range, as the "
            "earlier 'expect' range",
            estimator="mean",
            min_seeds=_MEAN_SEEDS,
        ),
        Claim(
            "rank-drop",
            "blog, 'Smaller findings' (gradient rank collapse)",
            "The effective rank of per-sample gradients drops 30-40% at the grokking transition",
            paper="-30% to -40%",
            quantity="relative change of the effective rank from the last probe at or before "
            "95% train accuracy to the first at or after 95% test accuracy, per diagnostic seed "
            "(β1 0 and 0.9)",
            band=(-0.4, -0.3),
            why="The blog: 'Effective rank of per-sample gradients drops 30–40% at the grokking "
            "transition'. Its range, as the earlier 'expect' range",
            estimator="mean",
            min_seeds=_MEAN_SEEDS,
        ),
        Claim(
            "rank-cycle",
            "blog, 'Smaller findings' (gradient rank collapse)",
            "After grokking the effective rank oscillates in step with the accuracy limit cycle",
            paper="'Then it oscillates, synchronized with the accuracy limit cycle' (no number)",
            quantity="Pearson r of detrended effective rank and detrended test accuracy at the "
            "rank probes from the grokking step on (at least 5), per diagnostic seed (β1 0 and "
            "0.9, weight decay 1)",
            band=(-INF, -0.5),
            why="The blog: 'Effective rank of per-sample gradients drops 30–40% at the grokking "
            "transition — each sample stops pulling in independent directions and aligns to "
            "shared structure. Then it oscillates, synchronized with the accuracy limit cycle.' "
            "Lower rank goes with generalizing, so in step with the cycle: rank low where test "
            "accuracy is high, r at most -0.5 (r cannot be below -1)",
            estimator="mean",
            min_seeds=_MEAN_SEEDS,
        ),
        Claim(
            "dips-gap",
            "blog, 'Smaller findings' (agreement instability)",
            "The number of gradient-agreement dips predicts the grokking gap",
            paper="r = 0.896 (n = 30, p < 0.0001)",
            quantity="Pearson r over the β1 sweep's runs that grokked, pooled over β1: agreement "
            "dips up to the grokking step against the gap (runs that never grokked have no "
            "gap). A dip (ours, declared before the runs; the blog gives no definition): the "
            "gradient agreement, probed every evaluation, falls more than dip_threshold (0.1) "
            "below the median of its previous 5 probes; consecutive probes below count as one "
            "dip. The r of each β1 alone is given beside it (the notebook's table)",
            band=(0.7, 1.0),
            why="The blog: 'The number of gradient-agreement dips during training predicts the "
            "grokking gap with r = 0.896 (n = 30, p < 0.0001)'. A strong correlation read as "
            "r ≥ 0.7: the earlier 'expect' range (0.7, 1), kept. Its n = 30 is one setting's "
            "30 seeds; pooling β1 values whose gaps differ confounds dips and gaps with β1, so "
            "each β1's r, with its interval, is reported beside the pooled one (a β1 with fewer "
            "than the 15 runs declared shows where it lies but does not decide)",
            estimator="correlation",
            min_seeds=15,  # runs: at r = 0.896 the Fisher-z interval lies above 0.7 from n = 15
        ),
        Claim(
            "transplant",
            "blog, 'Smaller findings' (Fourier transplant failure)",
            "Fourier neurons of the grokked model, transplanted at the memorization point, "
            "neither help nor hurt",
            paper="'doesn't accelerate grokking ... neither help nor hurt'",
            quantity="steps from the memorization point to 95% test accuracy with the "
            "transplant over without, per seed (β1 0.9, weight decay 1)",
            band=(0.8, 1.25),
            why="The blog: 'Injecting pre-learned Fourier neurons ... doesn't accelerate "
            "grokking. The transplanted neurons neither help nor hurt.' Ours: within 20% "
            "either way (0.8 to 1/0.8), the earlier 'expect' range, set before the runs",
            estimator="mean",
            min_seeds=_MEAN_SEEDS,
            unit="x",
        ),
        Claim(
            "fourier-early",
            "blog, 'Smaller findings' (Fourier transplant failure)",
            "The Fourier features are present during memorization",
            paper="'present by step 700 (during memorization)'",
            quantity="Fourier score of the transplanted neurons at the memorization point over "
            "their score in the grokked model, per seed (β1 0.9, weight decay 1)",
            band=(0.7, INF),
            why="The blog: 'The Fourier features are present by step 700 (during "
            "memorization).' Present read as at least 70% of the grokked model's score: the "
            "earlier 'expect' range (0.7, ∞), kept",
            estimator="mean",
            min_seeds=_MEAN_SEEDS,
        ),
        Claim(
            "cifar-no-grok",
            "blog, '\"Grokked\" isn't a fixed point' (CIFAR-10 control)",
            "A tiny ViT on 5k CIFAR-10 examples does not grok",
            paper="'No grokking.'",
            quantity="whether a seed groks (test accuracy rises long after the train set is "
            "fitted); the share of seeds",
            band=(-INF, 0.2),
            why="The blog: 'running CIFAR-10 with a tiny ViT (0.8M params, 5k examples). No "
            "oscillation. No grokking.' Ours, were it run: a share of seeds that grok of at "
            "most 0.2",
            estimator="proportion",
            min_seeds=5,
        ),
        Claim(
            "cifar-no-osc",
            "blog, '\"Grokked\" isn't a fixed point' (CIFAR-10 control)",
            "A tiny ViT on 5k CIFAR-10 examples shows no post-fit oscillation of test accuracy",
            paper="'No oscillation.'",
            quantity="whether test accuracy cycles after the train set is fitted, per seed",
            band=(-INF, 0.2),
            why="The blog: 'running CIFAR-10 with a tiny ViT (0.8M params, 5k examples). No "
            "oscillation. No grokking.' Ours, were it run: a share of seeds that oscillate of "
            "at most 0.2",
            estimator="proportion",
            min_seeds=5,
        ),
    )
}

GROKFAST_IDS = ("gf-default", "b05-default", "gf-b05-worse-than-gf", "gf-b05-worse-than-b05")
# the optimizer settings (configs.GROKFAST_SETTINGS) at which the same 2x2 also runs
SETTING_TEXT = {
    "lr-scaled": "AdamW at lr / (1 + λ)",
    "lr-scaled-same-decay": "AdamW at lr / (1 + λ) and weight decay × (1 + λ)",
    "grokfast-code": "Adam with coupled L2 0.005 and lr 1e-3 (Grokfast's code)",
    "adam-l2": "Adam with the chapter's lr and weight decay as a coupled L2",
}
SETTING_WHY = {
    "lr-scaled": "lucidrains' GrokFastAdamW divides the learning rate by 1 + λ to undo the "
    "filter's (1 + λ)-fold gradient; the decoupled decay per step (lr · wd) falls with it",
    "lr-scaled-same-decay": "the same smaller step as lr-scaled, with the chapter's decoupled "
    "decay per step (lr · wd) kept: separates the step from the decay",
    "grokfast-code": "as Grokfast's authors run EMA (README: main.py with torch.optim.Adam, "
    "coupled L2 0.005, lr 1e-3): the 2x2 where Grokfast works as its authors use it",
    "adam-l2": "the blog says 'Adam': torch.optim.Adam with the chapter's numbers makes its "
    "weight decay a coupled L2, a different regularizer from AdamW's decoupled decay",
}
assert set(SETTING_TEXT) == set(configs.GROKFAST_SETTINGS)


def _at_setting(c: Claim, setting: str) -> Claim:
    return dataclasses.replace(
        c,
        id=f"{c.id}-{setting}",
        statement=f"{c.statement}, at {SETTING_TEXT[setting]}",
        why=f"{c.why}. The same 2x2 at another optimizer setting, because at the chapter's "
        f"AdamW Grokfast did not speed grokking up (the rows without a suffix): "
        f"{SETTING_WHY[setting]}",
    )


CLAIMS.update(
    {
        f"{cid}-{s}": _at_setting(CLAIMS[cid], s)
        for s in configs.GROKFAST_SETTINGS
        for cid in GROKFAST_IDS
    }
)

# the 2x2 on Grokfast's own run (configs.grokfast_model_runs), declared with the same bands
# before its runs: the blog's "~800 steps" with Grokfast is Grokfast's README number (910)
GROKFAST_MODEL = "grokfast-model"
MODEL_TEXT = (
    "Grokfast's own run (its decoder on x·y mod 97, Adam with coupled L2 0.005, lr 1e-3, "
    "EMA α 0.98, λ 2: the README's EMA run)"
)


def _at_model(c: Claim) -> Claim:
    return dataclasses.replace(
        c,
        id=f"{c.id}-{GROKFAST_MODEL}",
        statement=f"{c.statement}, on {MODEL_TEXT}",
        quantity="steps to 95% test accuracy per seed of each arm (Grokfast's README run of "
        "EMA, its weight decay); " + c.quantity.split("; ", 1)[1],
        why=f"{c.why}. The same 2x2 on Grokfast's own model, task and run: the blog's "
        "'Grokfast + default Adam grokks at ~800 steps' is close to the README's 910 "
        "iterations for that run, while on the chapter's transformer no optimizer setting "
        "made Grokfast speed grokking up (the rows without a suffix and the settings' rows)",
    )


CLAIMS.update({f"{cid}-{GROKFAST_MODEL}": _at_model(CLAIMS[cid]) for cid in GROKFAST_IDS})

# the headline at each other optimizer setting (the sensitivity test, declared before
# the settings ran): does the gap at β1 0 stay what it is at the chapter's AdamW, and does
# momentum still lengthen it?
SENSITIVITY = {
    "zero-gap-robust": Claim(
        "zero-gap-robust",
        "ours: the sensitivity of the blog's headline gap to the optimizer it leaves open",
        "The gap at β1 0 is the chapter's gap within a factor 2",
        paper="~300 steps at β1 0 and weight decay 1, with 'Adam' (no learning rate given)",
        quantity="gap (steps from 95% train to 95% test accuracy) per seed at β1 0 at the "
        "setting over the same seed's gap at the chapter's AdamW (the β1 sweep's run: the same "
        "split and initialization); paired seeds' geometric mean (a gap floored at one "
        "evaluation)",
        band=(0.5, 2.0),
        why="Ours, set before these runs: the blog's ~300 steps is read within a factor 2 "
        "(b1-zero-gap's band); an optimizer choice that moves the gap by more than 2x would "
        "make the blog's number a property of that choice",
        estimator="paired_speedup",
        min_seeds=_SPEEDUP_SEEDS,
        unit="x",
        digits=2,
    ),
    "momentum-lengthens": Claim(
        "momentum-lengthens",
        "blog, 'The beta1 sweep' (the headline), at another optimizer setting",
        "Momentum lengthens the gap: β1 0.9 over β1 0",
        paper="'High momentum amplifies the delay 2–3x'",
        quantity="gap per seed at β1 0.9 over the same seed's at β1 0, both at the setting; "
        "paired seeds' geometric mean (a gap floored at one evaluation)",
        band=(1.0, INF),
        why="Ours, set before these runs: the direction of the blog's headline, longer beyond "
        "the seeds' noise (the interval above 1); its size (2-3x, up to β1 0.95) is b1-rise's",
        estimator="paired_speedup",
        min_seeds=_SPEEDUP_SEEDS,
        unit="x",
        digits=2,
    ),
}


def _sensitive(c: Claim, setting: str) -> Claim:
    return dataclasses.replace(
        c,
        id=f"{c.id}-{setting}",
        statement=f"{c.statement}, at {SETTING_TEXT[setting]}",
        why=f"{c.why}. The setting: {SETTING_WHY[setting]}",
    )


CLAIMS.update(
    {
        f"{cid}-{s}": _sensitive(c, s)
        for s in configs.GROKFAST_SETTINGS
        for cid, c in SENSITIVITY.items()
    }
)

NOT_RUN = {  # claim id -> why the book does not run it
    "cifar-no-grok": "the book runs modular arithmetic only; a ViT on CIFAR-10 is outside this "
    "chapter's model family and its CPU budget",
    "cifar-no-osc": "the book runs modular arithmetic only; a ViT on CIFAR-10 is outside this "
    "chapter's model family and its CPU budget",
}

# Rows by the part of the plan whose seeds they read (looks_of): a part whose seeds (or budget)
# grew after a look that left one of its rows undecided has its rows judged at Pocock's level
# for those looks (scales.py's "looks"). The rows not named read parts run once at their seeds.
LOOK_PARTS = {
    **dict.fromkeys(GROKFAST_IDS, "grokfast"),
    **dict.fromkeys((f"{cid}-{GROKFAST_MODEL}" for cid in GROKFAST_IDS), "grokfast_model"),
    **dict.fromkeys(("b1-flat", "b1-rise", "agree-rise", "moment-cos", "dips-gap"), "beta1"),
    "b1-zero-gap": "zero",  # the β1 sweep's β1 0 and the weight-decay sweep's wd 1, one setting
    **dict.fromkeys(
        ("wd0-rate", "wd0-memo-fast", "wd0-stuck", "wd1-rate", "wd2-no-memo", "wd2-rate")
        + ("wd5-dead", "osc-period", "osc-norm", "osc-collapse", "osc-drop", "osc-hover"),
        "wd",
    ),
    **dict.fromkeys(
        ("hess-spike", "hess-decline", "hess-lag", "hess-lag-b0", "hess-smooth")
        + ("rank-drop", "rank-cycle"),
        "diag",
    ),
    **dict.fromkeys(("transplant", "fourier-early"), "transplant"),
}
assert set(LOOK_PARTS) <= set(CLAIMS)
# the notebook parameter that sets each part's seeds (configs.plan; None: `seeds`)
PART_SEEDS = {
    "beta1": "beta1_seeds",
    "wd": "wd_seeds",
    "grokfast": "grokfast_seeds",
    "diag": "diag_seeds",
    "transplant": "transplant_seeds",
    "grokfast_model": "grokfast_model_seeds",
}


def looks_of(P: Mapping[str, Any], preset: Mapping[str, Any]) -> dict[str, Looks]:
    """The scale's looks (part -> Claim.check's looks, LOOK_PARTS) for the parts that run the
    scale's own seeds and budget on its own model (grokcore.claims.looks_at): a part whose
    seeds, steps, p, d_model or d_mlp the notebook changed is other runs, judged once. "zero"
    (b1-zero-gap) reads the β1 sweep's β1 0 and the weight-decay sweep's wd 1 together: the
    larger of their seeds."""

    def seeds(Q: Mapping[str, Any], part: str) -> tuple:
        def n(key: str) -> int:
            return Q.get(PART_SEEDS[key]) or Q["seeds"]

        if part == "grokfast_model":  # Grokfast's own model and task: its seeds and budget
            return n(part), Q["grokfast_model_steps"]
        count = max(n("beta1"), n("wd")) if part == "zero" else n(part)
        return count, Q["num_steps"], Q["p"], Q["d_model"], Q["d_mlp"]

    return looks_at(P, preset, seeds)


# ---- per-seed values -------------------------------------------------------------------------


def same_at_longer_budget(longer: Sequence[RunRecord], shorter: Sequence[RunRecord]) -> dict:
    """Runs that stopped at their test-accuracy target before their budget, against the same
    configs with a longer budget (`longer`: any records; pairs are configs equal but for
    num_steps). A budget only bounds the loop, so each such pair must be one run, bit for bit:
    {"stopped": shorter runs that stopped early and have a pair, "equal": of them, those whose
    history is identical, "differ": the seeds of the others, "shift": the largest difference in
    the step of reaching the target among those (0 if none), a size for rounding differences:
    records made on another CPU or instruction set differ in their float32 rounding}."""

    def rest(r: RunRecord) -> str:
        # the key of the config rebuilt (from_dict): a record written before a config field
        # existed has no entry for it, and the rebuilt config takes its default, as its key did
        return from_dict(r.config).replace(num_steps=1).key()

    long = {rest(r): r for r in longer}
    stopped, equal, differ, shift = 0, 0, [], 0
    for r in shorter:
        pair = long.get(rest(r))
        if pair is None or r.summary["last_step"] >= r.config["num_steps"]:
            continue
        stopped += 1
        if pair.history == r.history:
            equal += 1
        else:
            differ.append(r.config.get("seed"))
            shift = max(shift, abs(r.summary["last_step"] - pair.summary["last_step"]))
    return {"stopped": stopped, "equal": equal, "differ": differ, "shift": shift}


def _diverged(r: RunRecord) -> bool:
    return r.summary.get("diverged_at") is not None


def grok_times(recs: Sequence[RunRecord]) -> list[Obs]:
    """Per run, steps to 95% test accuracy: censored at the last evaluated step where never
    reached (at the full budget and marked diverged where the run diverged)."""
    return outcomes.times(recs, A.KEY)


def gaps(recs: Sequence[RunRecord]) -> list[Obs | None]:
    """Per run, the blog's gap (steps from 95% train to 95% test accuracy): censored (at least
    the steps from 95% train accuracy to the end) where 95% test accuracy was never reached;
    None where 95% train accuracy was not reached either (no memorization: no gap)."""
    out: list[Obs | None] = []
    for r, t in zip(recs, grok_times(recs), strict=True):
        tr = r.summary["step_to_train_acc_95"]
        out.append(None if tr is None else Obs(t.value - tr, t.censored, t.diverged))
    return out


def grokked_flags(recs: Sequence[RunRecord]) -> list[bool]:
    """Per run, whether it reached 95% test accuracy within its budget (a diverged run did not)."""
    return [A.grokked(r) for r in recs]


def unobserved(floor: float, r: RunRecord) -> Obs:
    """A quantity read at an event the run never reached within its budget: censored at the
    lowest value the quantity can take (counted, but only a bound)."""
    return Obs(floor, censored=True, diverged=_diverged(r))


def post_grok(recs: Sequence[RunRecord], key: str, floor: float) -> list[Obs | None]:
    """Per run, measures.post_grok(r)[key] after the grokking step; censored at `floor` where the
    run did not grok (or grokked with fewer than 8 evaluations left); None where it grokked but
    the quantity is undefined (e.g. no cycle in the autocorrelation)."""
    out: list[Obs | None] = []
    for r in recs:
        f = A.post_grok(r)
        if not f:
            out.append(unobserved(floor, r))
        else:
            out.append(None if f.get(key) is None else Obs(float(f[key])))
    return out


def hessian_lag(r: RunRecord) -> Obs | None:
    """Steps from the top Hessian eigenvalue's peak (up to the grokking step) to 95% test
    accuracy; censored (at least the steps from the peak to the end) where never grokked; None
    without Hessian probes."""
    h = A.hessian_features(r)
    if not h:
        return None
    (t,) = grok_times([r])
    return Obs(t.value - h["peak_step"], t.censored, t.diverged)


def lag_differences(diag: dict) -> list[Obs | None]:
    """Per seed of the β1 0.9 diagnostic runs, its Hessian lag minus the same seed's at β1 0:
    censored where the β1 0.9 run never grokked (a lower bound); None where the β1 0 run never
    grokked (no bound) or the seed has no β1 0 run."""
    zero = {r.config["run"]["seed"]: hessian_lag(r) for r in diag.get(0.0, [])}
    out: list[Obs | None] = []
    for r in diag.get(0.9, []):
        hi, lo = hessian_lag(r), zero.get(r.config["run"]["seed"])
        if hi is None or lo is None or lo.censored:
            out.append(None)
        else:
            out.append(Obs(hi.value - lo.value, hi.censored, hi.diverged))
    return out


def spikes(recs: Sequence[RunRecord]) -> list[float | None]:
    """Per run, the top Hessian eigenvalue's peak up to the grokking step (the end where never
    grokked) over its first value; None without probes or with a first value <= 0."""
    return [A.hessian_features(r).get("spike") for r in recs]


def agreement_rises(recs: Sequence[RunRecord]) -> list[Obs | None]:
    """Per run, measures.agreement_rise; censored at -2 (a cosine difference's floor) where the
    run never reached 95% train accuracy (memorization not observed)."""
    out: list[Obs | None] = []
    for r in recs:
        if r.summary["step_to_train_acc_95"] is None:
            out.append(unobserved(-2.0, r))
        else:
            v = A.agreement_rise(r)
            out.append(None if v is None else Obs(v))
    return out


def moment_cosines(recs: Sequence[RunRecord]) -> list[Obs | None]:
    """Per run, the mean moment cosine from 95% train accuracy to 95% test accuracy (or the end
    of the run: the post-memorization phase it ran); censored at -1 where the run never reached
    95% train accuracy."""
    out: list[Obs | None] = []
    for r in recs:
        tr = r.summary["step_to_train_acc_95"]
        if tr is None:
            out.append(unobserved(-1.0, r))
            continue
        v = A.window_mean(r, "moment_cos", tr, A.grok_step(r) or r.summary["last_step"])
        out.append(None if v is None else Obs(v))
    return out


def rank_changes(recs: Sequence[RunRecord]) -> list[Obs | None]:
    """Per run, measures.rank_change across the transition; censored at -1 where the run never
    reached 95% train or test accuracy (no transition observed)."""
    out: list[Obs | None] = []
    for r in recs:
        if r.summary["step_to_train_acc_95"] is None or not A.grokked(r):
            out.append(unobserved(-1.0, r))
        else:
            v = A.rank_change(r)
            out.append(None if v is None else Obs(v))
    return out


def _probes(r: RunRecord, key: str) -> tuple[list[int], list[float]]:
    """(steps, values) of a Hessian-grid series; empty where the run logged no such probes."""
    return A.series(r, key, "hessian_step") if r.history.get("hessian_step") else ([], [])


def margin_before_grok(r: RunRecord) -> float | None:
    """Largest train minus test accuracy up to the grokking step (wd2-no-memo's reading of
    "memorizing first"); None where the run never generalized within its budget."""
    te = A.grok_step(r)
    if te is None:
        return None
    h = r.history
    return max(a - b for s, a, b in zip(h["step"], h["train_acc"], h["test_acc"]) if s <= te)


def memorization_times(recs: Sequence[RunRecord]) -> list[Obs]:
    """Per run, steps to 95% train accuracy: censored at the last evaluated step where never
    reached (grokcore.outcomes.times)."""
    return outcomes.times(recs, "step_to_train_acc_95")


def stuck_flags(recs: Sequence[RunRecord], rise: float = STUCK_RISE) -> list[bool | None]:
    """Per run, whether it is stuck after memorizing: test accuracy at the end of the run at most
    `rise` above its value at the step train accuracy reached 95%; None where the run never
    memorized (the statement is about a model that did) or diverged."""
    out: list[bool | None] = []
    for r in recs:
        tr, h = r.summary["step_to_train_acc_95"], r.history
        if tr is None or _diverged(r):
            out.append(None)
        else:
            at = max(i for i, s in enumerate(h["step"]) if s <= tr)  # the evaluation at tr
            out.append(h["test_acc"][-1] - h["test_acc"][at] <= rise)
    return out


def decline_starts(recs: Sequence[RunRecord]) -> list[Obs | None]:
    """Per run, the step of the top Hessian eigenvalue's peak up to the grokking step (the end
    where never grokked; measures.hessian_features), where its decline starts: censored at that
    step where no later probe lies below the peak (no decline seen); None without probes."""
    out: list[Obs | None] = []
    for r in recs:
        f = A.hessian_features(r)
        if not f:
            out.append(None)
            continue
        steps, lam = A.series(r, "hessian_top", "hessian_step")
        fell = any(v < f["peak"] for s, v in zip(steps, lam) if s > f["peak_step"])
        out.append(Obs(float(f["peak_step"]), censored=not fell))
    return out


def jump_shares(recs: Sequence[RunRecord], window: int = SMOOTH_WINDOW) -> list[Obs | None]:
    """Per run, the largest change of the top Hessian eigenvalue between consecutive probes
    within `window` steps either side of the grokking step, over its range there (1: all of the
    change in one interval); censored at 0 where the run never grokked (no transition seen);
    None without probes, with fewer than 3 probes in the window or a constant one."""
    out: list[Obs | None] = []
    for r in recs:
        steps, lam = _probes(r, "hessian_top")
        te = A.grok_step(r)
        if not steps:
            out.append(None)
            continue
        if te is None:
            out.append(unobserved(0.0, r))
            continue
        v = [x for s, x in zip(steps, lam) if abs(s - te) <= window]
        span = max(v) - min(v) if len(v) >= 3 else 0.0
        jumps = [abs(b - a) for a, b in zip(v, v[1:])]
        out.append(Obs(max(jumps) / span) if span > 0 else None)
    return out


def rank_cycles(recs: Sequence[RunRecord], min_probes: int = CYCLE_PROBES) -> list[Obs | None]:
    """Per run, Pearson r of the detrended effective rank and the detrended test accuracy at the
    rank probes from the grokking step on; censored at -1 where the run never grokked or has
    fewer than `min_probes` probes after it; None without probes or where r is undefined."""
    out: list[Obs | None] = []
    for r in recs:
        steps, rank = _probes(r, "effective_rank")
        if not steps:
            out.append(None)
            continue
        te, acc = A.grok_step(r), dict(zip(r.history["step"], r.history["test_acc"]))
        pairs = [
            (acc[s], v) for s, v in zip(steps, rank) if te is not None and s >= te and s in acc
        ]
        if len(pairs) < min_probes:
            out.append(unobserved(-1.0, r))
            continue
        a, k = (A._detrend(torch.tensor(x, dtype=torch.float64)).tolist() for x in zip(*pairs))
        c = outcomes.pearson(a, k)
        out.append(None if c is None else Obs(c))
    return out


def dips_and_gaps_all(
    recs: Sequence[RunRecord], threshold: float
) -> tuple[list[int], list[float | None]]:
    """Per run: agreement dips up to its grokking step (the end where it never grokked) and its
    gap (None where it never grokked: a correlation has no censored form, so such a run is
    counted as without a value)."""
    dips, gap = [], []
    for r in recs:
        steps, vals = A.series(r, "agreement")
        end = A.grok_step(r)
        dips.append(
            A.count_dips([v for s, v in zip(steps, vals) if end is None or s <= end], threshold)
        )
        gap.append(A.gap(r.summary))
    return dips, gap


def dip_correlations(
    recs: Sequence[RunRecord], threshold: float, looks: Looks = 1
) -> dict[str, estimates.Estimate]:
    """Dips against gaps (dips_and_gaps_all, the dips-gap row's definition): Pearson r with its
    Fisher-z interval (at Pocock's level for `looks`, the β1 sweep's) and p
    (grokcore.estimates.correlation) for each β1 of the sweep alone ("0.9"), then pooled
    ("pooled")."""
    level = sequential_level(looks)
    groups = {f"{b:g}": rs for b, rs in A.group(recs, "beta1").items()}
    groups["pooled"] = list(recs)
    return {
        k: estimates.correlation(*dips_and_gaps_all(rs, threshold), level=level)
        for k, rs in groups.items()
    }


def dips_by_beta1(recs: Sequence[RunRecord], threshold: float, looks: Looks = 1) -> list[dict]:
    """Rows for a table of dip_correlations: runs, runs with a gap, r (undefined with fewer than
    4 runs with a gap or a constant series, saying which), its interval (95%, or Pocock's level
    for the β1 sweep's looks) and p, and what the dips-gap claim's band and declared runs make
    of it (grokcore.claims.verdict_of)."""
    ci = f"{sequential_level(looks):.2%}".replace(".00%", "%") + " CI"
    c = CLAIMS["dips-gap"]
    runs = {f"{b:g}": len(rs) for b, rs in A.group(recs, "beta1").items()} | {"pooled": len(recs)}
    rows = []
    for name, est in dip_correlations(recs, threshold, looks).items():
        verdict, reason = verdict_of(est, c.band, c.min_seeds)
        undefined = "fewer than 4 runs with a gap" if est.n < 4 else "a constant series"
        rows.append(
            {
                "β1": name,
                "runs": runs[name],
                "with a gap": est.n,
                "r": round(est.estimate, 3) if est.identified else f"undefined: {undefined}",
                ci: f"[{est.low:.2f}, {est.high:.2f}]" if est.identified else "—",
                "p": None if est.p is None else float(f"{est.p:.2g}"),
                f"against {c.band_text}": f"{verdict}: {reason}",
            }
        )
    return rows


def transplant_ratios(recs: Sequence[RunRecord]) -> list[Obs | None]:
    """Per seed, transplant.speedup (steps from the memorization point to 95% test accuracy,
    transplanted over not); censored (at least the steps the copy ran, over the donor's) where
    the transplanted copy never got there; None where no transplant was made."""
    out: list[Obs | None] = []
    for r in recs:
        s = r.summary
        if not s["transplanted"]:
            out.append(None)
        elif s["transplant_grok"] is None:
            last = r.history["transplant_step"][-1]
            out.append(Obs((last - s["at_step"]) / max(1, s["donor_grok"] - s["at_step"]), True))
        else:
            out.append(Obs(T.speedup(r)))
    return out


def presences(recs: Sequence[RunRecord]) -> list[float | None]:
    """Per seed, transplant.presence; None where no transplant was made."""
    return [T.presence(r) if r.summary["transplanted"] else None for r in recs]


def _spacing(r: RunRecord) -> int:
    """Steps between a run's first two evaluations."""
    steps = r.history["step"]
    return steps[1] - steps[0] if len(steps) > 1 else 1


def flat_factors(cells: dict[float, Sequence[RunRecord]]) -> list[float | None]:
    """Per seed (the i-th run of every β1 cell: the same seed, split and initialization), the
    factor its least-squares trend of log gap on β1 fits from the smallest to the largest β1
    of `cells`: exp(slope · (max β1 - min β1)). A gap is floored at the run's evaluation spacing
    as logged (a gap of 0 is within one evaluation). None where a gap is censored or missing (no
    trend)."""
    beta1s = sorted(cells)
    out: list[float | None] = []
    for runs in zip(*(cells[b] for b in beta1s), strict=True):
        gs = [gaps([r])[0] for r in runs]
        if any(g is None or g.censored for g in gs):
            out.append(None)
            continue
        ys = [math.log(max(g.value, _spacing(r))) for g, r in zip(gs, runs)]
        out.append(math.exp(estimates.slope(beta1s, ys) * (beta1s[-1] - beta1s[0])))
    return out


# ---- the rows ---------------------------------------------------------------------------------


def _median_text(values) -> str:
    """'median (of n)' over the finite values, or '—'."""
    v = sorted(x for x in values if x is not None and math.isfinite(x))
    if not v:
        return "—"
    m = v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2
    return f"{m:.2f} (median of {len(v)})"


def _km(values, digits: int = 0) -> str:
    return describe(estimates.median(values), digits)


def _probe_every(recs: Sequence[RunRecord]) -> str:
    """The spacing of the Hessian and rank probes, as logged ('100'; '—' without two probes)."""
    gaps = {
        b - a
        for r in recs
        for a, b in zip(r.history["hessian_step"], r.history["hessian_step"][1:])
    }
    return " or ".join(map(str, sorted(gaps))) or "—"


def _unique(recs: Sequence[RunRecord]) -> list[RunRecord]:
    return list({r.key: r for r in recs}.values())


def _unreached(values: Sequence) -> int:
    """How many per-seed values are missing or censored (the event they need was not reached)."""
    return sum(v is None or (isinstance(v, Obs) and v.censored) for v in values)


def results(
    part: dict[str, Sequence[RunRecord]],
    moved: Sequence[RunRecord],
    *,
    settings: dict[str, Sequence[RunRecord]] | None = None,
    model: Sequence[RunRecord] = (),
    weight_decay: float,
    grokfast_beta1s: Sequence[float],
    dip_threshold: float,
    scale: str,
    looks: Mapping[str, Looks] | None = None,
) -> list[ClaimResult]:
    """One row per claim, in CLAIMS order, from the chapter's runs: `part` as
    configs.sweep_configs names them ("beta1", "wd", "grokfast": records), `settings` its
    "settings" part (optimizer setting -> records), `model` its "grokfast_model" part (the 2x2
    on Grokfast's own run; empty: its rows read not run), `moved` the Fourier transplant's records;
    weight_decay: the β1 sweep's; grokfast_beta1s: (default Adam's β1, the lower one) of the
    Grokfast 2x2 table; looks: the scale's looks by part (looks_of), each row judged at
    Pocock's level for its part's (LOOK_PARTS; none: one look)."""
    rows: dict[str, ClaimResult] = {}
    settings = settings or {}
    looks = looks or {}

    def not_run(cid: str, reason: str) -> None:
        rows[cid] = CLAIMS[cid].not_run(reason, scale=scale)

    def check(cid: str, *data, note: str = "", unreached: tuple[int, int] | None = None) -> None:
        """The claim's estimate and verdict. unreached = (seeds, censored): where the runs were
        made but no seed has a value because none reached the event the quantity is defined
        by (memorization, grokking), the row counts them as censored, so it reads "not testable
        at this budget" (or "inconclusive" below min_seeds) instead of "not run"."""
        c, seen = CLAIMS[cid], looks.get(LOOK_PARTS.get(cid, ""), 1)
        est = c.estimate(*data, level=sequential_level(seen))
        if est.n == 0 and unreached and unreached[0]:
            est = dataclasses.replace(est, n=unreached[0], censored=unreached[1], missing=0)
        note = with_looks_note(note, seen)
        rows[cid] = c.judge(est, scale=scale, note=note, data=data)

    by_beta1 = A.group(part["beta1"], "beta1")
    by_wd = A.group(part["wd"], "weight_decay")
    event = "95% test accuracy"

    # Grokfast and β1: ratios of Kaplan-Meier medians of the steps to 95% test accuracy, the
    # numerator arm as the estimator's "slow" one, so that a numerator that never grokked
    # leaves a lower bound (a denominator that never grokked, where the numerator did, an upper one)
    b_hi, b_lo = grokfast_beta1s
    cells = {
        "gf-default": ((b_hi, GROKFAST), (b_hi, "none")),
        "b05-default": ((b_lo, "none"), (b_hi, "none")),
        "gf-b05-worse-than-gf": ((b_lo, GROKFAST), (b_hi, GROKFAST)),
        "gf-b05-worse-than-b05": ((b_lo, GROKFAST), (b_lo, "none")),
    }

    def cell_name(c) -> str:
        return f"β1 {c[0]:g}{' + Grokfast' if c[1] == GROKFAST else ''}"

    def grokfast_rows(gf: dict, suffix: str, where: str) -> None:
        for cid, (num, den) in cells.items():
            if num not in gf or den not in gf:
                not_run(
                    cid + suffix,
                    f"this build's Grokfast table has no {cell_name(num)} or {cell_name(den)}",
                )
                continue
            groups = {cell_name(c): gf[c] for c in (num, den)}
            check(
                cid + suffix,
                grok_times(gf[den]),
                grok_times(gf[num]),
                note=f"{cell_name(num)} over {cell_name(den)}, {where}; "
                + outcomes.censoring_note(groups, event=event),
            )

    def floored(recs: Sequence[RunRecord]) -> list[Obs | None]:
        """Gaps with 0 floored at one evaluation (a gap of 0 is within one), as b1-flat."""
        return [
            g if g is None or g.value > 0 else Obs(_spacing(r), g.censored, g.diverged)
            for g, r in zip(gaps(recs), recs)
        ]

    def by_seed(recs: Sequence[RunRecord]) -> dict[int, RunRecord]:
        return {r.config["run"]["seed"]: r for r in recs}

    def sensitivity_rows(name: str) -> None:
        ids = [f"{cid}-{name}" for cid in SENSITIVITY]
        if name not in settings:
            for cid in ids:
                not_run(cid, f"this build does not run the setting {name} (the notebook's "
                        "grokfast_settings leaves it out)")  # fmt: skip
            return
        at = A.grokfast_cells(settings[name], grokfast_beta1s)
        zero, high = by_seed(at.get((0.0, "none"), [])), by_seed(at.get((b_hi, "none"), []))
        chapter = by_seed(by_beta1.get(0.0, []))
        where = SETTING_TEXT[name]
        # claim id -> (numerator's runs by seed, its name, denominator's, its name)
        ratios = {
            ids[0]: (zero, f"β1 0 at {where}", chapter, "β1 0 at the chapter's AdamW"),
            ids[1]: (high, f"β1 {b_hi:g}", zero, f"β1 0, both at {where}"),
        }
        for cid, (num, num_name, den, den_name) in ratios.items():
            seeds = sorted(set(num) & set(den))
            if not seeds:
                not_run(cid, f"no seed ran both {num_name} and {den_name}")
                continue
            top, bottom = [num[s] for s in seeds], [den[s] for s in seeds]
            check(
                cid,
                floored(bottom),  # paired_speedup's "fast": the ratio's denominator
                floored(top),
                note=f"{num_name} over {den_name}, seeds {seeds[0]}–{seeds[-1]}; "
                + outcomes.censoring_note({num_name: top, den_name: bottom}, event=event),
            )

    grokfast_rows(
        A.grokfast_cells(part["grokfast"], grokfast_beta1s),
        "",
        f"the chapter's AdamW, weight decay {weight_decay:g}",
    )
    for name in configs.GROKFAST_SETTINGS:
        if name not in settings:
            for cid in cells:
                not_run(
                    f"{cid}-{name}",
                    f"this build does not run the setting {name} (the notebook's "
                    "grokfast_settings leaves it out)",
                )
        else:
            grokfast_rows(
                A.grokfast_cells(settings[name], grokfast_beta1s), f"-{name}", SETTING_TEXT[name]
            )
    if model:
        grokfast_rows(
            A.grokfast_cells(model, grokfast_beta1s), f"-{GROKFAST_MODEL}", "Grokfast's own run"
        )
    else:
        for cid in cells:
            not_run(
                f"{cid}-{GROKFAST_MODEL}",
                "this build does not run the 2x2 on Grokfast's own run (grokfast_model_seeds 0)",
            )
    for name in configs.GROKFAST_SETTINGS:
        sensitivity_rows(name)

    # the β1 sweep's gaps
    gap_b = {b: gaps(rs) for b, rs in by_beta1.items()}
    wd_b1 = f"weight decay {weight_decay:g}"

    def gap_ratio(cid: str, top: float, note: str) -> None:
        low, high = gap_b[0.0], gap_b[top]
        both = {f"β1 {b:g}": by_beta1[b] for b in (0.0, top)}
        check(
            cid,
            low,
            high,
            note=f"β1 {top:g} over β1 0, {wd_b1}; {note}"
            + outcomes.censoring_note(both, event=event),
            unreached=(min(len(low), len(high)), _unreached(low + high)),
        )

    if 0.0 not in gap_b:
        not_run("b1-flat", f"this scale's β1 sweep ({sorted(gap_b)}) has no β1 0")
        not_run("b1-rise", f"this scale's β1 sweep ({sorted(gap_b)}) has no β1 0")
    else:
        low = sorted(b for b in gap_b if b <= 0.4)
        if len(low) < 3:
            not_run(
                "b1-flat",
                f"this scale's β1 sweep ({sorted(gap_b)}) has fewer than 3 β1 in [0, 0.4]: "
                "no trend",
            )
        else:
            meds = "; ".join(f"β1 {b:g}: {_km(gap_b[b])}" for b in low)
            factors = flat_factors({b: by_beta1[b] for b in low})
            check(
                "b1-flat",
                factors,
                note=f"per-seed trend over β1 {', '.join(f'{b:g}' for b in low)}, {wd_b1}; "
                f"Kaplan-Meier median gaps (steps) {meds}; "
                + outcomes.censoring_note({f"β1 {b:g}": by_beta1[b] for b in low}, event=event),
                unreached=(len(factors), _unreached(factors)),
            )
        if max(gap_b) < 0.9:
            not_run("b1-rise", f"this scale's β1 sweep ({sorted(gap_b)}) has no β1 ≥ 0.9")
        else:
            gap_ratio("b1-rise", max(gap_b), "")

    # β1 0 at weight decay 1: the β1 sweep's β1 0 cell and the weight-decay sweep's wd 1 cell
    # are one setting, and their runs the same configs (trained once): each run counts once
    sources = {
        "the β1 sweep": by_beta1.get(0.0, []) if weight_decay == 1.0 else [],
        "the weight-decay sweep": by_wd.get(1.0, []),
    }
    zero = _unique([r for rs in sources.values() for r in rs])
    if not zero:
        not_run("b1-zero-gap", "this scale runs no β1 0 at weight decay 1")
    else:
        named = " and ".join(k for k, rs in sources.items() if rs)
        how = (
            f"{len(zero)} runs, shared by {named} (the same configs, trained once): each "
            "counted once"
            if len(zero) < sum(len(rs) for rs in sources.values())
            else f"{len(zero)} runs of {named}"
        )
        values = gaps(zero)
        check(
            "b1-zero-gap",
            values,
            note=f"{how}; " + outcomes.censoring_note({"β1 0, wd 1": zero}, event=event),
            unreached=(len(values), _unreached(values)),
        )

    # the weight-decay sweep at β1 0
    budget = max((r.summary["last_step"] for r in part["wd"]), default=0)
    have = f"this scale's weight decays are {sorted(by_wd)}"

    def finals(rs, key):
        return [r.final.get(key) for r in rs]

    blog = f"within {budget} steps (blog: {BLOG_STEPS})"
    wd_rows = {
        "wd0-rate": (0.0, grokked_flags, blog),
        "wd0-stuck": (
            0.0,
            stuck_flags,
            f"{blog}; without a value: never reached 95% train accuracy (or diverged); test "
            "accuracy at the end " + _median_text(finals(by_wd.get(0.0, []), "test_acc")),
        ),
        "wd1-rate": (1.0, grokked_flags, f"within {budget} steps"),
        "wd2-rate": (
            2.0,
            grokked_flags,
            f"within {budget} steps; final test accuracy "
            + _median_text(finals(by_wd.get(2.0, []), "test_acc")),
        ),
        "wd5-dead": (5.0, lambda rs: finals(rs, "train_acc"), ""),
    }
    for cid, (wd, values, note) in wd_rows.items():
        if wd not in by_wd:
            not_run(cid, have)
        else:
            check(cid, values(by_wd[wd]), note=note)
            rows[cid] = budget_bound(rows[cid], BUDGET_DIRECTION[cid], budget)

    if 0.0 not in by_wd or 1.0 not in by_wd:
        not_run("wd0-memo-fast", f"needs weight decays 0 and 1 ({have})")
    else:
        # pairs of seeds (the same seed: the same split and init) in both cells
        seed = {w: {r.config["run"]["seed"]: r for r in by_wd[w]} for w in (0.0, 1.0)}
        both = sorted(set(seed[0.0]) & set(seed[1.0]))
        check(
            "wd0-memo-fast",
            memorization_times([seed[1.0][k] for k in both]),
            memorization_times([seed[0.0][k] for k in both]),
            note=f"weight decay 0 over weight decay 1, β1 0, {len(both)} seeds run in both; "
            + outcomes.censoring_note(
                {"wd 0": by_wd[0.0], "wd 1": by_wd[1.0]},
                "step_to_train_acc_95",
                event="95% train accuracy",
            ),
        )

    # weight decay 2's "without memorizing first": read only on the seeds that generalized
    if 2.0 not in by_wd:
        not_run("wd2-no-memo", have)
    else:
        runs2 = by_wd[2.0]
        margins = [margin_before_grok(r) for r in runs2]
        k, c = sum(m is not None for m in margins), CLAIMS["wd2-no-memo"]
        margin1 = _median_text([margin_before_grok(r) for r in by_wd.get(1.0, [])])
        check(
            "wd2-no-memo",
            margins,
            note=f"seeds that generalized {blog}: {k}/{len(runs2)} (without a value: the "
            f"others); margin up to the grokking step at weight decay 1: {margin1}",
        )
        if k < min(c.min_seeds, len(runs2)):
            rows["wd2-no-memo"] = dataclasses.replace(
                rows["wd2-no-memo"],
                verdict=UNTESTABLE,
                reason=f"{k} of {len(runs2)} seeds generalized {blog}: the row reads only "
                f"seeds that generalized, and needs the {c.min_seeds} declared",
            )

    # after grokking (β1 0): a run that did not grok is censored at the quantity's floor
    unseen = "censored: no grokking within the budget (or fewer than 8 evaluations after it)"
    osc = {
        "osc-period": (1.0, "period", 0.0, unseen + "; without a value: no cycle"),
        "osc-norm": (1.0, "corr_norm", -1.0, unseen),
        "osc-collapse": (0.25, "collapses", 0.0, unseen),
        "osc-drop": (0.25, "min_acc", 0.0, unseen),
        "osc-hover": (2.0, "min_acc", 0.0, unseen),
    }
    for cid, (wd, key, floor, note) in osc.items():
        if wd not in by_wd:
            not_run(cid, have)
        else:
            check(cid, post_grok(by_wd[wd], key, floor), note=note)

    # curvature, on the diagnostic seeds
    diag = A.diagnostic_runs(part["beta1"])
    seeds = "diagnostic seeds " + (
        ", ".join(f"β1 {b:g}: {len(rs)}" for b, rs in diag.items()) or "none"
    )
    if 0.9 not in diag:
        not_run("hess-spike", f"no Hessian probes at β1 0.9 at this scale ({seeds})")
    else:
        check("hess-spike", spikes(diag[0.9]), note=seeds)
    if 0.9 not in diag or 0.0 not in diag:
        not_run("hess-lag", f"needs Hessian probes at β1 0 and 0.9 ({seeds})")
    else:
        diffs = lag_differences(diag)
        check(
            "hess-lag",
            diffs,
            note=f"{seeds}; censored where the β1 0.9 run never grokked, without a value where "
            "the same seed's β1 0 run never grokked; lag at β1 0 (Kaplan-Meier median, steps) "
            + _km([hessian_lag(r) for r in diag[0.0]]),
            unreached=(len(diffs), _unreached(diffs)),
        )
    if 0.0 not in diag:
        not_run("hess-lag-b0", f"no Hessian probes at β1 0 at this scale ({seeds})")
    else:
        check(
            "hess-lag-b0",
            [hessian_lag(r) for r in diag[0.0]],
            note=f"{seeds}; censored where the run never grokked",
        )

    diag_runs = [r for rs in diag.values() for r in rs]
    if not diag_runs:
        for cid in ("hess-decline", "hess-smooth", "rank-cycle"):
            not_run(
                cid,
                "no Hessian or rank probes at this scale: they are logged every hessian_every "
                "steps by the first diag_seeds seeds of β1 0 and 0.9",
            )
    else:
        check(
            "hess-decline",
            decline_starts(diag_runs),
            note=f"{seeds}; censored: no probe after the peak lies below it",
        )
        check(
            "hess-smooth",
            jump_shares(diag_runs),
            note=f"{seeds}; probes every {_probe_every(diag_runs)} steps; censored where the run "
            "never grokked; without a value: fewer than 3 probes in the window or a constant one",
        )
        check(
            "rank-cycle",
            rank_cycles(diag_runs),
            note=f"{seeds}; probes every {_probe_every(diag_runs)} steps; censored where the run "
            f"never grokked or has fewer than {CYCLE_PROBES} probes after it",
        )

    # gradients
    check(
        "agree-rise",
        agreement_rises(part["beta1"]),
        note=f"runs of every β1 of the sweep ({', '.join(f'{b:g}' for b in by_beta1)}), "
        f"{wd_b1}; censored where the run never reached 95% train accuracy",
    )
    if 0.9 not in by_beta1:
        not_run("moment-cos", f"this scale's β1 sweep ({sorted(by_beta1)}) has no β1 0.9")
    else:
        check(
            "moment-cos",
            moment_cosines(by_beta1[0.9]),
            note=f"{wd_b1}; censored where the run never reached 95% train accuracy",
        )
    if not diag_runs:
        not_run("rank-drop", "no rank probes at this scale")
    else:
        check(
            "rank-drop",
            rank_changes(diag_runs),
            note=f"{seeds}; censored where the run never grokked",
        )
    dips, dgaps = dips_and_gaps_all(part["beta1"], dip_threshold)
    per_b1 = dip_correlations(part["beta1"], dip_threshold, looks.get("beta1", 1))
    rates, rgaps = A.dip_rates(part["beta1"], dip_threshold)
    by_rate = estimates.correlation(rates, rgaps, level=per_b1["pooled"].level)
    check(
        "dips-gap",
        dips,
        dgaps,
        note=f"runs of every β1 of the sweep pooled; a dip: {dip_threshold:g} below the median "
        "of the previous 5 probes; without a value: never grokked (no gap); dips per 100 "
        f"steps instead: {describe(by_rate)}; each β1 alone: "
        + "; ".join(f"β1 {b}: {describe(e)}" for b, e in per_b1.items() if b != "pooled"),
        unreached=(len(dgaps), _unreached(dgaps)),
    )

    # the Fourier transplant
    if not moved:
        not_run("transplant", "no transplant seeds at this scale")
        not_run("fourier-early", "no transplant seeds at this scale")
    else:
        took = [r for r in moved if r.summary["transplanted"]]
        took_note = (
            f"{len(took)}/{len(moved)} seeds memorized and then grokked (the others took no "
            "transplant: without a value); test accuracy at the transplant "
            + _median_text([r.summary.get("test_acc_at") for r in took])
        )
        ratios, present = transplant_ratios(moved), presences(moved)
        check(
            "transplant",
            ratios,
            note=took_note + "; censored: the transplanted copy never grokked",
            unreached=(len(ratios), _unreached(ratios)),
        )
        check(
            "fourier-early",
            present,
            note=took_note
            + "; score in the grokked model "
            + _median_text([r.summary["score_end"] for r in took]),
            unreached=(len(present), _unreached(present)),
        )

    for cid, reason in NOT_RUN.items():
        not_run(cid, reason)
    missing = set(CLAIMS) - set(rows)
    if missing:
        raise AssertionError(f"claims without a row: {sorted(missing)}")
    return [rows[cid] for cid in CLAIMS]


def describe_correlation(s: dict) -> str:
    """One line for a grokcore.outcomes.correlation_test result (the dips figure's statistics):
    r, its Fisher-z interval, p and n."""
    if s["r"] is None:
        return f"r undefined (n = {s['n']})"
    return (
        f"Pearson r = {s['r']:.3f}, 95% CI [{s['lo']:.3f}, {s['hi']:.3f}] (Fisher z), "
        f"p = {s['p']:.2g} (normal approximation), n = {s['n']} runs"
    )


# Baseline first (grokcore.baselines): Nanda et al.'s transformer and run (the modular-addition
# setup the blog starts from), rerun at the source's own setup (grokcore.presets) from shipped
# records; the notebook puts these rows first in its table.
BASELINE_IDS = ("nanda",)
