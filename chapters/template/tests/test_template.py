"""Unit tests of the template chapter's configs and measures (tiny runs, a temporary run cache).

REPLACE: test your chapter's measures on records whose answer you know, and its configs' sources.
"""

import math
from types import SimpleNamespace

import pytest

from chapters.template import claims, configs, measures
from grokcore.config import resolve_scale


def rec(test95, train99, last=100):
    """A stand-in record: only the summary the measures read."""
    return SimpleNamespace(
        summary={"step_to_test_acc_95": test95, "step_to_train_acc_99": train99, "last_step": last}
    )


def test_every_scale_has_the_same_parameters():
    keys = {frozenset(v) for v in configs.SCALES.values()}
    assert len(keys) == 1
    assert resolve_scale(configs.SCALES, "cpu", p=None, seeds=3) == {
        **configs.SCALES["cpu"],
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


def test_speedup_counts_censoring():
    fast = [rec(10, 5), rec(None, 5), rec(20, 5)]
    slow = [rec(30, 5), rec(40, 5), rec(None, 5, last=100)]
    # seed 1: fast censored -> None; seed 2: slow censored -> its budget, a lower bound
    assert measures.speedup(fast, slow) == [3.0, None, 5.0]


def test_delay_is_none_when_either_event_is_censored():
    assert measures.delay([rec(60, 20), rec(None, 20), rec(60, None)]) == [3.0, None, None]


def test_claims_verdicts():
    declared = claims.declare("egd", p=7)
    assert declared["faster"].check([2.0, 3.0], scale="cpu").verdict == "reproduced"
    assert declared["faster"].check([1.2, 1.2], scale="cpu").verdict == "partial"
    assert (
        declared["faster"].check([None, None], scale="cpu").verdict == "not reached within budget"
    )
    assert declared["faster"].check([2.0], scale="smoke").verdict == "not run at this scale"
    assert declared["faster"].expect[1] == math.inf


@pytest.mark.parametrize("method", ["egd", "rescale"])
def test_tiny_runs_give_records_the_measures_read(method):
    cfgs = configs.make_configs(p=7, width=8, seeds=2, num_steps=6, method=method)
    groups = configs.run(cfgs, workers=1)
    assert [len(v) for v in groups.values()] == [2, 2]
    assert [r.key for r in groups[method]] == [c.key() for c in cfgs[method]]
    assert all(measures.per_epoch(r) == 1 for r in groups["none"])  # 24 train pairs, one batch
    results = claims.check(claims.declare(method, 7), groups, method, scale="smoke")
    assert [r.id for r in results] == ["faster", "no-delay"]
    assert {r.verdict for r in results} == {"not run at this scale"}
