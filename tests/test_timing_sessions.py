"""bench/timing_sessions.py pools how much a timing's cost ratios move between sessions, and
grokcore.store.timing_between serves the shipped estimate per CPU kind."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from grokcore import store
from grokcore.estimates import Between

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import timing_sessions  # noqa: E402  (bench/ is no package)


def _timing(key, cpu, a, b, labels=("a", "b")):
    return {"key": key, "meta": {"cpu": cpu}, "config": {"_type": "StepTiming", "labels": labels},
            "history": {"step": list(range(len(a))), labels[0]: a, labels[1]: b}}  # fmt: skip


def test_groups_hold_one_log_ratio_per_session_against_the_first_method():
    recs = {
        "s1": ("c1", _timing("k", "intel", [1.0, 1.0], [2.0, 8.0])),
        "s2": ("c2", _timing("k", "intel", [1.0, 1.0, 1.0], [4.0, 4.0, 4.0])),
        "s3": ("c3", _timing("k", "amd", [1.0, 1.0], [2.0, 2.0])),
        "s4": ("c4", _timing("k2", "intel", [1.0], [3.0])),  # one round: no standard error
    }
    g = timing_sessions.groups(recs)
    assert set(g) == {("intel", "k", "b"), ("amd", "k", "b")}
    (m1, se1, c1), (m2, se2, c2) = g[("intel", "k", "b")]
    assert (c1, c2) == ("c1", "c2") and m1 == pytest.approx(math.log(4)) and se2 == 0
    assert se1 == pytest.approx((math.log(2) - math.log(4)) ** 2 * 2 / 1 / 2)
    s = timing_sessions.groups(recs, seconds=True)  # each method's own log seconds per step
    assert set(s) == {(k, "k", m) for k in ("intel", "amd") for m in "ab"}
    (m1, se1, _), (m2, se2, _) = s[("intel", "k", "b")]
    assert m1 == pytest.approx(math.log(4)) and m2 == pytest.approx(math.log(4)) and se2 == 0
    assert s[("amd", "k", "a")] == [(0.0, 0.0, "c3")]


def test_pooled_estimates_per_kind_and_over_all():
    rng = np.random.default_rng(3)
    recs = {}
    for i in range(24):  # 4 quantities timed 6 times each on "intel", each off by sd 0.2
        off = rng.normal(0, 0.2)
        a = np.exp(rng.normal(0, 0.01, 5))
        recs[f"s{i}"] = (
            f"c{i % 3}",
            _timing(f"k{i // 6}", "intel", list(a), list(2 * a * np.exp(off))),
        )
    recs["one"] = ("c9", _timing("k9", "amd", [1.0, 1.0], [2.0, 2.0]))  # one session only
    p = timing_sessions.pooled(timing_sessions.groups(recs))
    assert set(p["kinds"]) == {"intel"}  # amd: no timing in two sessions
    assert p["kinds"]["intel"]["sd"] == pytest.approx(0.2, abs=0.1)
    assert p["kinds"]["intel"]["quantities"] == 4 and p["all"]["df"] == p["kinds"]["intel"]["df"]


def test_the_shipped_estimate_covers_every_kind_of_the_shipped_timings():
    data = json.loads(store.TIMING_SESSIONS.read_text())
    assert data["all"]["df"] >= 1 and data["all"]["var"] >= 0
    kinds = {r.meta.get("cpu") for p in store.stores("cpu") for r in store.read_store(p)
             if type(r.cfg).__name__ in timing_sessions.TIMINGS}  # fmt: skip
    for kind in kinds:  # each timing the book renders has its kind's estimate, or the pooled one
        assert isinstance(store.timing_between(kind), Between)


def test_the_shipped_estimate_pooled_every_shipped_timing():
    # a timing measured again must be followed by `python bench/timing_sessions.py`, else the
    # claims in seconds would carry an estimate that never saw it
    pooled = set(json.loads(store.TIMING_SESSIONS.read_text())["checksums"])
    missing = timing_sessions.shipped_checksums() - pooled
    assert timing_sessions.shipped_checksums(), "no timing record in the cpu stores"
    assert not missing, f"{len(missing)} shipped timings not pooled: run bench/timing_sessions.py"


def test_timing_between_serves_a_kind_or_the_pooled_estimate(tmp_path):
    path = tmp_path / "sessions.json"
    path.write_text(json.dumps({"kinds": {"intel": {"var": 0.0, "df": 70}},
                                "all": {"var": 0.0016, "df": 166}}))  # fmt: skip
    assert store.timing_between("intel", path) == Between(0.0, 70)
    assert store.timing_between("arm", path) == Between(0.0016, 166)  # no sessions of its own
    assert store.timing_between(None, path) == Between(0.0016, 166)
    with pytest.raises(store.StoreError, match="timing_sessions.py writes it"):
        store.timing_between("intel", tmp_path / "missing.json")
    with pytest.raises(store.StoreError, match="no estimate for seconds per step"):
        store.timing_between("intel", path, seconds=True)
    data = json.loads(path.read_text())
    data["seconds"] = {"kinds": {"intel": {"var": 0.01, "df": 40}}, "all": {"var": 0.04, "df": 90}}
    path.write_text(json.dumps(data))
    assert store.timing_between("intel", path, seconds=True) == Between(0.01, 40)
    assert store.timing_between("arm", path, seconds=True) == Between(0.04, 90)
    assert store.timing_between("intel", path) == Between(0.0, 70)  # the ratios' unchanged
