import math

from grokcore.claims import MIMETYPE, Claim, claims_table

C = Claim("c1", "EGD §3", "statement", "1", expect=(0.9, 1.1), partial=(0.5, 1.5))


def test_verdicts():
    assert C.check([1.0, 1.05], scale="cpu").verdict == "reproduced"
    assert C.check([1.3, 1.3], scale="cpu").verdict == "partial"
    assert C.check([3.0], scale="cpu").verdict == "not reproduced"
    assert C.check([1.0, None], scale="cpu").verdict == "partial"  # a censored seed caps it
    assert (
        C.check([None], scale="cpu").verdict == "not reached within budget"
    )  # runs made, all censored
    assert C.check([None], scale="smoke").verdict == "not run at this scale"
    assert C.check([], scale="cpu").verdict == "not run at this scale"  # no runs at all
    assert C.check([1.0], scale="smoke").verdict == "not run at this scale"


def test_ours_reports_mean_sd_n_and_censoring():
    r = C.check([1.0, 2.0, None], scale="cpu")
    assert r.ours == "1.50 ± 0.71 (n=2), 1 censored"
    assert math.isclose(r.value, 1.5) and r.n == 2 and r.censored == 1
    med = Claim("m", "s", "t", "p", expect=(0, 1), stat="median").check([1, 2, 10], scale="cpu")
    assert med.value == 2


def test_table_bundle_carries_json():
    t = claims_table("01_x", [C.check([1.0], scale="cpu")])
    bundle = t._repr_mimebundle_()
    rows = bundle[MIMETYPE]
    assert rows[0]["chapter"] == "01_x" and rows[0]["verdict"] == "reproduced"
    assert {"chapter", "id", "source", "statement", "paper", "ours", "verdict", "scale"} <= set(
        rows[0]
    )
    assert "<table" in bundle["text/html"] and "c1" in bundle["text/plain"]
