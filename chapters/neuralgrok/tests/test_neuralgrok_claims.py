import pytest

from chapters.neuralgrok import claims as ngc
from chapters.neuralgrok.configs import COMPOSITE
from grokcore.claims import Claim

IDS = (
    "table1-fastest",
    "table1-vs-ma",
    "table1-vs-ema",
    "wd-large-fails",
    "adamw-differs",
    "oscillation-standard",
    "stable-neuralgrok",
    "stable-ma",
    "rescale-composite",
    "neuralgrok-c-robust",
    "neuralgrok-c2-slower",
    "transfer-keeps-delay",
    "amplifier-rotates",
)
CLAIMS = {k: Claim(k, "s", "t", "p", expect=(0, 100)) for k in IDS}


def test_table1_and_stability_claims(rec):
    cells = {
        "x+y/neuralgrok": [rec([0, 0.96, 1.0])],
        "x+y/standard": [rec([0, 0.5, 0.96, 0.5])],
        "x+y/grokfast_ma": [rec([0, 0.5, 0.96, 1.0])],
        "x+y/grokfast_ema": [rec([0, 0.1, 0.2])],
    }
    out = ngc.table1_claims(CLAIMS, cells, ["x+y"], "cpu")
    assert [r.value for r in out] == [2.0, 2.0, 2.0]
    assert "Grokfast-EMA censored (no 95% within 20 steps): x+y: 1/1" == out[2].note
    st = ngc.stability_claims(CLAIMS, cells, "x+y", "cpu")
    assert [r.value for r in st] == [1.0, 0.0, 0.0]


def test_weight_decay_claims_compare_adamw_with_adam(rec):
    cells = {
        "adam_wd_large": [rec([0, 0.01], train=[0, 0.05])],
        "adamw/0.01": [rec([0, 0.1], train=[0, 0.75])],
    }
    wd, adamw = ngc.weight_decay_claims(CLAIMS, cells, 0.01, [0.01], "cpu")
    assert wd.value == 0.05 and adamw.value == pytest.approx(0.7)
    assert ngc.weight_decay_claims(CLAIMS, cells, 0.01, [], "cpu")[1].note == ngc.NOT_RUN


def test_composite_and_transfer_not_planned_read_not_run(rec):
    (comp,) = ngc.composite_claim(CLAIMS, {}, "cpu")
    (tr,) = ngc.transfer_claim(CLAIMS, {}, "x+y", "cpu")
    assert (
        comp.verdict == tr.verdict == "not run at this scale"
        and comp.note == tr.note == ngc.NOT_RUN
    )
    cells = {"composite_rescale": [rec([0, 0.99])], f"{COMPOSITE}/standard": [rec([0, 0.1])]}
    assert ngc.composite_claim(CLAIMS, cells, "cpu")[0].value == 0.99


def test_transfer_claim_is_transfer_steps_over_standard_steps(rec):
    cells = {
        "transfer": [rec([0, 0.5, 0.96], neuralgrok=True), rec([0, 0.1, 0.2], neuralgrok=True)],
        "transfer_standard": [rec([0, 0.96, 1.0]), rec([0, 0.1, 0.3])],
    }
    (r,) = ngc.transfer_claim(CLAIMS, cells, "x+y", "cpu")
    assert r.value == 2.0 and r.n == 1 and r.censored == 1  # seed 1: both censored
    assert (
        "transfer: 1/2 censored" in r.note
        and "at step 20" in r.note
        and "transfer 1.00/0.58, standard 1.00/0.65" in r.note
    )


def test_c_claims_note_reads_every_c_at_the_sweep_budget(rec):
    long = [rec([0, 0.1, 0.2, 0.3], neuralgrok=True)]
    cells = {
        "x+y/neuralgrok": long,
        "neuralgrok_c/1": [rec([0, 0.1, 0.25], neuralgrok=True)],
        "neuralgrok_c/2": [rec([0, 0.1, 0.96], neuralgrok=True)],
    }
    robust, slower = ngc.neuralgrok_c_claims(CLAIMS, cells, "x+y", 0.2, [1.0, 2.0], "cpu")
    assert robust.verdict == "not reached within budget" and slower.value == pytest.approx(20 / 20)
    assert "at step 20 (mean): c = 0.2 1.00/0.20, c = 1 1.00/0.25, c = 2 1.00/0.96" in robust.note
    none = ngc.neuralgrok_c_claims(CLAIMS, {"x+y/neuralgrok": long}, "x+y", 0.2, [], "cpu")
    assert all(r.note == ngc.NOT_RUN for r in none)


def test_rescale_claims_read_accuracy_at_the_budget(rec):
    claims = {
        k: Claim(k, "s", "t", "p", expect=(0, 1))
        for k in ("rescale-05-fastest", "rescale-vs-standard", "rescale-001-collapses")
    }
    cells = {
        "rescale/0.5": [rec([0, 0.5, 0.8])],
        "rescale/0.01": [rec([0, 0.01, 0.02])],
        "x+y/standard": [rec([0, 0.1, 0.6, 1.0])],
    }
    out = ngc.rescale_claims(claims, cells, "x+y", [0.01, 0.5], "cpu")
    assert [r.value for r in out] == [pytest.approx(0.78), pytest.approx(0.2), pytest.approx(0.02)]
    none = ngc.rescale_claims(claims, cells, "x+y", [2.0], "cpu")
    assert all(r.verdict == "not run at this scale" and r.note == ngc.NOT_RUN for r in none)
