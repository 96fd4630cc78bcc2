import math

import pytest

from chapters.neuralgrok import claims, configs, measures
from chapters.neuralgrok.figures import mean_steps
from grokcore.neuralgrok import AmplifierConfig, train_neuralgrok
from grokcore import outcomes


def test_speedup_with_censoring_and_mean_steps(rec):
    """The chapter's speed-up: grokcore.outcomes.speedup with fast_censored="budget"."""
    fast, slow, never = rec([0, 0.96, 1]), rec([0, 0.5, 0.97]), rec([0, 0.1, 0.2])

    def speedup(a, b):
        return outcomes.speedup(a, b, "step_to_test_acc_95", fast_censored="budget")

    assert speedup([fast], [slow]) == [2.0]
    assert speedup([fast], [never]) == [2.0]  # censored slow: its budget, a lower bound
    assert speedup([never], [fast]) == [0.5]  # censored fast: its budget, an upper bound
    assert speedup([never], [never]) == [None]
    assert measures.acc_at(slow, 15) == 0.5 and measures.acc_at(slow, 100) == 0.97
    assert mean_steps([fast, slow]) == "15 ± 7"
    assert "censored" in mean_steps([fast, never]) and "all censored" in mean_steps([never])


def test_oscillation_counts_drops_after_the_first_grok(rec):
    assert measures.oscillation(rec([0, 0.96, 0.5, 1.0, 0.04])) == pytest.approx(2 / 3)
    assert measures.min_after_grok(rec([0, 0.96, 0.5, 1.0, 0.04])) == 0.04
    assert measures.oscillation(rec([0, 0.96, 0.99])) == 0.0
    assert (
        measures.oscillation(rec([0, 0.5])) is None and measures.oscillation(rec([0, 0.96])) is None
    )


def test_entropy_phases_ratio_and_roughness(rec):
    r = rec(
        [0, 0.1, 0.5, 0.96],
        train=[0.05, 0.995, 1, 1],
        entropy_step=[0, 10, 20],
        age_raw=[1.0, 2.0, 1.5],
        awe=[3.0, 3.0, 3.0],
        age_update=[1.0, 1.0, 1.0],
    )
    assert measures.age_phases(r) == (2.0, 0.75)
    assert measures.entropy_at(r, "age_raw", 25) == 1.5
    assert measures.entropy_ratio([r], [r], "awe") == [1.0]
    assert measures.roughness([1.0, 1.0, 1.0]) == 0.0
    assert measures.roughness([1.0, math.e, 1.0]) == pytest.approx(1.0)
    assert measures.age_phases(rec([0, 0.2])) is None
    assert measures.rotation(rec([0, 0.1], update_cos=[1.0, 0.75])) == 0.25


def test_meta_signal_is_the_median_ratio_and_reaches_the_rotation_note(rec):
    r = rec([0, 0.1], meta_grad=[1e-6, 3e-6, 2e-6], meta_l2=[1e-3, 1e-3, 1e-3])
    assert measures.meta_signal(r) == pytest.approx(2e-3)
    assert measures.meta_signal(rec([0, 0.1])) is None
    assert claims.meta_signal_note([r]).endswith("2.0e-03")


def test_meta_signal_of_a_real_run_is_small():
    """At a tiny scale too the first-order meta gradient is far below the amplifier's L2 term."""
    run = configs.base_run(
        "x-y", p=7, d_model=16, num_steps=12, eval_every=4, batch_size=8, warmup_steps=2
    )
    r = train_neuralgrok(
        [configs.neuralgrok_run(run, AmplifierConfig(hidden=(4, 4), inner_steps=2, frac_outer=0.2))]
    )[0]
    assert 0 < measures.meta_signal(r) < 0.1
