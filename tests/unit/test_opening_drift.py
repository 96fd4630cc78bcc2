"""grokcore.testing.opening_drift, the cross-CPU comparison of tests/test_shipped.py, on
histories with known differences."""

from __future__ import annotations

import math

from grokcore.testing import opening_drift

BASE = {
    "step": [0, 10, 20, 30, 40, 50, 60, 70],
    "loss": [4.0, 2.0, 1.0, 0.5, 0.25, 0.1, 0.05, 0.01],
    "acc": [0.0, 0.1, None, 0.5, 0.9, 1.0, 1.0, 1.0],
    "spectrum": [[1.0, 0.5], [1.0, 0.4], [0.9, 0.3], [0.9, 0.3]] * 2,
    "flag": [False, False, True, True, True, True, True, True],
}


def _copy(h):
    return {k: [list(x) if isinstance(x, list) else x for x in v] for k, v in h.items()}


def test_identical_and_last_bit_rounding_agree():
    assert opening_drift(BASE, _copy(BASE)) is None
    h = _copy(BASE)
    h["loss"][1] = math.nextafter(2.0, 3.0)  # one ulp
    h["spectrum"][0][1] = 0.5 + 1e-9
    assert opening_drift(BASE, h) is None


def test_a_change_in_the_opening_is_found_relative_to_the_series_scale():
    h = _copy(BASE)
    h["loss"][1] = 2.0 + 5e-6  # 4.0 * 1e-6 = 4e-6 allowed
    assert "history['loss'][1]" in opening_drift(BASE, h)
    h = _copy(BASE)
    h["loss"][1] = 2.0 + 3e-6
    assert opening_drift(BASE, h) is None
    h = _copy(BASE)
    h["spectrum"][1][0] = 1.1
    assert "history['spectrum'][1]" in opening_drift(BASE, h)


def test_only_the_opening_quarter_is_compared():
    h = _copy(BASE)
    h["loss"][1] = 2.5  # index 1: inside max(3, 8 // 4) = 3 entries
    assert opening_drift(BASE, h) is not None
    h = _copy(BASE)
    h["loss"][3] = 0.9  # index 3: after the opening, where a sign step may have moved it
    assert opening_drift(BASE, h) is None


def test_non_numbers_compare_exactly_and_nan_equals_nan():
    h = _copy(BASE)
    h["acc"][2] = 0.3  # None recorded
    assert "history['acc'][2]" in opening_drift(BASE, h)
    h = _copy(BASE)
    h["flag"][0] = True
    assert "history['flag'][0]" in opening_drift(BASE, h)
    a = {"x": [float("nan"), float("inf"), 1.0]}
    assert opening_drift(a, {"x": [float("nan"), float("inf"), 1.0]}) is None
    assert opening_drift(a, {"x": [float("nan"), -float("inf"), 1.0]}) is not None


def test_missing_keys_and_short_histories_are_found():
    h = _copy(BASE)
    del h["flag"]
    assert "only in the recorded run" in opening_drift(BASE, h)
    h = _copy(BASE)
    h["extra"] = [1]
    assert "only in the new run" in opening_drift(BASE, h)
    h = _copy(BASE)
    h["loss"] = h["loss"][:2]
    assert "2 entries now, 8 recorded" in opening_drift(BASE, h)
    h = _copy(BASE)
    h["loss"] = h["loss"][:5]  # a run that stopped early after the opening still agrees
    assert opening_drift(BASE, h) is None
