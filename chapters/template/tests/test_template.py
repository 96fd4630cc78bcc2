"""Unit tests of the template chapter's configs, measures and claims (tiny runs, a temporary run
cache).

REPLACE: test your chapter's measures and each claim's rule on records whose answer you know (a
censored arm gives a bound, a claim not run says why), and its configs' sources.
"""

import math
from types import SimpleNamespace

import pytest

from chapters.template import claims, configs, measures, scales
from grokcore.config import resolve_scale
from grokcore.estimates import Obs
from grokcore.testing import paired_lower


def rec(test95, train99, last=100, diverged_at=None, num_steps=100):
    """A stand-in record: only the summary (and the budget) the measures read."""
    summary = {"step_to_test_acc_95": test95, "step_to_train_acc_99": train99, "last_step": last}
    summary["diverged_at"] = diverged_at
    return SimpleNamespace(summary=summary, cfg=SimpleNamespace(num_steps=num_steps))


def test_every_scale_has_the_same_parameters():
    keys = {frozenset(v) for v in scales.SCALES.values()}
    assert len(keys) == 1
    assert resolve_scale(scales.SCALES, "cpu", p=None, seeds=3) == {
        **scales.SCALES["cpu"],
        "seeds": 3,
    }


def test_configs_pair_the_arms_seed_by_seed():
    cfgs = configs.make_configs(p=7, width=8, seeds=3, num_steps=5, method="grokfast_ema")
    assert list(cfgs) == ["none", "grokfast_ema"]
    for arm, runs in cfgs.items():
        assert [c.seed for c in runs] == [0, 1, 2]
        assert {c.method.name for c in runs} == {arm}
    # the arms differ only in the method
    assert cfgs["none"][1].replace(method=cfgs["grokfast_ema"][1].method) == cfgs["grokfast_ema"][1]


def test_times_keep_censored_and_diverged_seeds():
    recs = [rec(10, 5), rec(None, 5, last=90), rec(None, 5, last=30, diverged_at=30)]
    # reached: its step; censored: the last evaluated step; diverged: the full budget (100)
    assert measures.times(recs) == [Obs(10), Obs(90, censored=True), Obs(100, True, True)]


def test_delay_is_a_bound_where_either_event_is_censored():
    recs = [rec(60, 20), rec(None, 20, last=100), rec(60, None), rec(None, 20, 10, diverged_at=10)]
    assert measures.delay(recs) == [
        Obs(3.0),
        Obs(5.0, censored=True),  # at least the last evaluated step over the train time
        Obs(0.0, censored=True),  # never fitted the train set: no bound but 0
        Obs(5.0, censored=True, diverged=True),  # diverged: the full budget (100) over 20
    ]


def runs(fast, slow):
    """Stand-in runs by arm from per-seed (test95, train99) pairs of the transform and standard."""
    return {"none": [rec(*s) for s in slow], "egd": [rec(*f) for f in fast]}


def test_every_claim_is_declared_once_and_gives_one_row_in_order():
    assert all(cid == c.id for cid, c in claims.CLAIMS.items())
    assert set(claims.NOT_RUN) <= set(claims.CLAIMS)
    rows = claims.results(runs([(10, 5)] * 8, [(90, 5)] * 8), "egd", 7, scale="cpu")
    assert (
        [r.id for r in rows]
        == list(claims.CLAIMS)
        == ["faster", "no-delay", "faster-multiplication"]
    )
    assert {r.scale for r in rows} == {"cpu"}
    # the notebook's parameters go in the note, never in the claim
    assert rows[0].note.startswith("egd against standard training on (x+y) mod 7")


def test_a_claim_not_run_says_why():
    rows = claims.results(runs([(10, 5)] * 8, [(90, 5)] * 8), "egd", 7, scale="cpu")
    (row,) = [r for r in rows if r.id == "faster-multiplication"]
    assert row.verdict == "not run" and "(x+y) mod p only" in row.reason and row.n == 0


def test_a_censored_standard_arm_gives_a_bound_that_decides():
    # the transform groks at 10..17 steps; standard training never does within 100 steps
    fast = [(10 + i, 5) for i in range(8)]
    faster = claims.results(runs(fast, [(None, 5)] * 8), "egd", 7, scale="cpu")[0]
    assert faster.estimate is None and faster.censored == 8  # a bound, not a value
    assert faster.ours.startswith("≥ ") and faster.ci_high == math.inf
    # per seed at least the budget over the transform's time: the signed-rank limit of those
    assert faster.ci_low == pytest.approx(paired_lower(100, [10 + i for i in range(8)]))
    assert faster.verdict == "reproduced"  # at least 6x, above the band's 1.5
    # a budget too short for the bound to clear 1.5 leaves it undecided
    short = [rec(None, 5, last=20) for _ in range(8)]
    bound = claims.CLAIMS["faster"].check(
        measures.times([rec(*f) for f in fast]), measures.times(short), scale="cpu"
    )
    assert bound.ci_low == pytest.approx(paired_lower(20, [10 + i for i in range(8)]))
    assert bound.ci_low < 1.5 and bound.verdict == "not testable at this budget"


def test_faster_from_two_observed_arms_and_its_contradiction():
    fast = [(10 + i, 5) for i in range(8)]
    slow = [(100 + 10 * i, 5) for i in range(8)]
    faster = claims.results(runs(fast, slow), "egd", 7, scale="cpu")[0]
    # slow 100 + 10 i over fast 10 + i: 10 in every seed, the geometric mean and both limits
    assert faster.estimate == pytest.approx(10.0) and faster.ci_low == pytest.approx(10.0)
    assert faster.verdict == "reproduced"
    same = claims.results(runs(fast, fast), "egd", 7, scale="cpu")[0]
    # the same times in every seed: each ratio is 1, the interval [1, 1] lies below 1.5
    assert same.estimate == 1 and same.verdict == "contradicted"
    slower = claims.results(runs(slow, fast), "egd", 7, scale="cpu")[0]
    assert slower.ci_high < 1.5 and slower.verdict == "contradicted"


def test_no_delay_verdicts():
    def no_delay(pairs):
        return claims.results(runs(pairs, [(None, 5)] * len(pairs)), "egd", 7, scale="cpu")[1]

    assert no_delay([(20 + i, 20) for i in range(8)]).verdict == "reproduced"  # 1-1.35
    # ratios 1-1.7: the median's interval (the 1st to the 7th of 8) crosses 1.5
    assert no_delay([(10 + i, 10) for i in range(8)]).verdict == "inconclusive"
    assert no_delay([(50 + i, 10) for i in range(8)]).verdict == "contradicted"  # 5-5.7
    late = no_delay([(None, 10)] * 8)  # none reaches 95% within 100 steps: each ratio >= 10
    assert late.verdict == "contradicted" and late.censored == 8 and late.estimate is None
    some = no_delay([(10, 10)] * 3 + [(None, 10)] * 5)  # 5 of 8 censored: the bound is >= 1
    assert some.verdict == "not testable at this budget" and some.ci_low == 1
    unfit = no_delay([(None, None)] * 8)  # no seed fits the train set: nothing to decide on
    assert unfit.n == 8 and unfit.censored == 8 and unfit.verdict == "not testable at this budget"


def test_fewer_seeds_than_declared_is_inconclusive():
    rows = claims.results(runs([(10, 5)] * 2, [(None, 5)] * 2), "egd", 7, scale="smoke")
    assert [(r.verdict, r.reason) for r in rows[:2]] == [
        ("inconclusive", "2 seeds, fewer than the 5 declared"),
        ("inconclusive", "2 seeds, fewer than the 5 declared"),
    ]


def test_the_book_scales_have_the_seeds_every_claim_needs():
    most = max(c.min_seeds for c in claims.CLAIMS.values())
    assert scales.SCALES["cpu"]["seeds"] >= most and scales.SCALES["paper"]["seeds"] >= most


@pytest.mark.parametrize("method", ["egd", "rescale"])
def test_tiny_runs_give_records_the_measures_read(method):
    cfgs = configs.make_configs(p=7, width=8, seeds=2, num_steps=6, method=method)
    groups = configs.run(cfgs, workers=1)
    assert [len(v) for v in groups.values()] == [2, 2]
    assert [r.key for r in groups[method]] == [c.key() for c in cfgs[method]]
    assert all(measures.per_epoch(r) == 1 for r in groups["none"])  # 24 train pairs, one batch
    rows = claims.results(groups, method, 7, scale="smoke")
    assert [r.id for r in rows] == list(claims.CLAIMS)
    # two seeds, fewer than any claim declares: each claim that runs is "inconclusive"
    assert [r.verdict for r in rows] == ["inconclusive", "inconclusive", "not run"]
    assert [r.n for r in rows] == [2, 2, 0]
