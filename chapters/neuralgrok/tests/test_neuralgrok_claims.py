import pytest

from chapters.neuralgrok import claims as ngc
from chapters.neuralgrok import study as ng
from grokcore.claims import Claim
from chapters.neuralgrok.neuralgrok import AmplifierConfig, NeuralGrokConfig, train_neuralgrok
from grokcore.records import new_record
from grokcore.train import summarize

IDS = ("table1-fastest", "table1-vs-ma", "table1-vs-ema", "wd-large-fails", "adamw-differs", "oscillation-standard",
       "stable-neuralgrok", "stable-ma", "rescale-composite", "neuralgrok-c-robust", "neuralgrok-c2-slower",
       "transfer-keeps-delay", "amplifier-rotates")
CLAIMS = {k: Claim(k, "s", "t", "p", expect=(0, 100)) for k in IDS}


def rec(test, train=None, step=10, neuralgrok=False, **extra):
    steps = [i * step for i in range(len(test))]
    h = {"step": steps, "test_acc": test, "train_acc": train or [1.0] * len(test), **extra}
    cfg = ng.base_run("x+y", p=5, d_model=8, num_steps=steps[-1] or 1, eval_every=step)
    return new_record(NeuralGrokConfig(run=cfg) if neuralgrok else cfg, h, summarize(h), {})


def test_table1_and_stability_claims():
    cells = {"x+y/neuralgrok": [rec([0, 0.96, 1.0])], "x+y/standard": [rec([0, 0.5, 0.96, 0.5])],
             "x+y/grokfast_ma": [rec([0, 0.5, 0.96, 1.0])], "x+y/grokfast_ema": [rec([0, 0.1, 0.2])]}
    out = ngc.table1_claims(CLAIMS, cells, ["x+y"], "cpu")
    assert [r.value for r in out] == [2.0, 2.0, 2.0]
    assert "Grokfast-EMA censored (no 95% within 20 steps): x+y: 1/1" == out[2].note
    st = ngc.stability_claims(CLAIMS, cells, "x+y", "cpu")
    assert [r.value for r in st] == [1.0, 0.0, 0.0]


def test_weight_decay_claims_compare_adamw_with_adam():
    cells = {"adam_wd_large": [rec([0, 0.01], train=[0, 0.05])], "adamw/0.01": [rec([0, 0.1], train=[0, 0.75])]}
    wd, adamw = ngc.weight_decay_claims(CLAIMS, cells, 0.01, [0.01], "cpu")
    assert wd.value == 0.05 and adamw.value == pytest.approx(0.7)
    assert ngc.weight_decay_claims(CLAIMS, cells, 0.01, [], "cpu")[1].note == ng.NOT_RUN


def test_composite_and_transfer_not_planned_read_not_run():
    (comp,) = ngc.composite_claim(CLAIMS, {}, "cpu")
    (tr,) = ngc.transfer_claim(CLAIMS, {}, "x+y", "cpu")
    assert comp.verdict == tr.verdict == "not run at this scale" and comp.note == tr.note == ng.NOT_RUN
    cells = {"composite_rescale": [rec([0, 0.99])], f"{ng.COMPOSITE}/standard": [rec([0, 0.1])]}
    assert ngc.composite_claim(CLAIMS, cells, "cpu")[0].value == 0.99


def test_transfer_claim_is_transfer_steps_over_standard_steps():
    cells = {"transfer": [rec([0, 0.5, 0.96], neuralgrok=True), rec([0, 0.1, 0.2], neuralgrok=True)],
             "transfer_standard": [rec([0, 0.96, 1.0]), rec([0, 0.1, 0.3])]}
    (r,) = ngc.transfer_claim(CLAIMS, cells, "x+y", "cpu")
    assert r.value == 2.0 and r.n == 1 and r.censored == 1  # seed 1: both censored
    assert "transfer: 1/2 censored" in r.note and "at step 20" in r.note and "transfer 1.00/0.58, standard 1.00/0.65" in r.note


def test_c_claims_note_reads_every_c_at_the_sweep_budget():
    long = [rec([0, 0.1, 0.2, 0.3], neuralgrok=True)]
    cells = {"x+y/neuralgrok": long, "neuralgrok_c/1": [rec([0, 0.1, 0.25], neuralgrok=True)],
             "neuralgrok_c/2": [rec([0, 0.1, 0.96], neuralgrok=True)]}
    robust, slower = ngc.neuralgrok_c_claims(CLAIMS, cells, "x+y", 0.2, [1.0, 2.0], "cpu")
    assert robust.verdict == "not reached within budget" and slower.value == pytest.approx(20 / 20)
    assert "at step 20 (mean): c = 0.2 1.00/0.20, c = 1 1.00/0.25, c = 2 1.00/0.96" in robust.note
    none = ngc.neuralgrok_c_claims(CLAIMS, {"x+y/neuralgrok": long}, "x+y", 0.2, [], "cpu")
    assert all(r.note == ng.NOT_RUN for r in none)


def test_meta_signal_is_the_median_ratio_and_reaches_the_rotation_note():
    r = rec([0, 0.1], meta_grad=[1e-6, 3e-6, 2e-6], meta_l2=[1e-3, 1e-3, 1e-3])
    assert ngc.meta_signal(r) == pytest.approx(2e-3)
    assert ngc.meta_signal(rec([0, 0.1])) is None
    assert ngc.meta_signal_note([r]).endswith("2.0e-03")


def test_meta_signal_of_a_real_run_is_small():
    """At a tiny scale too the first-order meta gradient is far below the amplifier's L2 term."""
    run = ng.base_run("x-y", p=7, d_model=16, num_steps=12, eval_every=4, batch_size=8, warmup_steps=2)
    r = train_neuralgrok([NeuralGrokConfig(run=run, amp=AmplifierConfig(hidden=(4, 4), inner_steps=2, frac_outer=0.2))])[0]
    assert 0 < ngc.meta_signal(r) < 0.1
