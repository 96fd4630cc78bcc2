"""grokcore.baselines: the sources' baselines as runs, claims, a table and a figure."""

from __future__ import annotations

import math

import matplotlib
import matplotlib.pyplot as plt

from grokcore import baselines
from grokcore.baselines import BASELINES, Baseline
from grokcore.config import ModularTask
from grokcore.decoder import DecoderConfig

matplotlib.use("Agg")

TINY = Baseline(
    "tiny",
    "grokfast",
    reported=40,
    unit="steps",
    threshold=50,
    where="a test",
    changes={
        "task": ModularTask(operation="x+y", p=5, frac_train=0.6, min_y=1, token_format="grokfast"),
        "model": DecoderConfig(n_layers=1, d_model=8, n_heads=2, d_mlp=16),
        "eval_every": 5,
    },
    budget=30,
    seeds=3,
    min_seeds=3,
)


def test_smoke_scale_does_not_run_them():
    rows, runs = baselines.results(["neuralgrok", "fastgrok"], scale="smoke")
    assert runs == {} and [r.verdict for r in rows] == ["not run", "not run"]
    assert [r.id for r in rows] == ["baseline-neuralgrok", "baseline-fastgrok"]


def test_cpu_scale_runs_each_seed_and_judges_the_median(monkeypatch):
    monkeypatch.setitem(BASELINES, "tiny", TINY)
    rows, runs = baselines.results(["tiny"], scale="cpu")
    (row,) = rows
    recs = runs["tiny"]
    assert [r.cfg.seed for r in recs] == [0, 1, 2]
    assert all(r.cfg.stop_at_test_acc == 0.5 and r.cfg.num_steps == 30 for r in recs)
    assert row.n == 3 and row.band_low == 20 and row.band_high == 80
    reached = [r.summary["step_to_test_acc_50"] for r in recs]
    assert row.censored == sum(t is None for t in reached)
    if row.censored == 0:  # the KM median of three exact times is the middle one
        assert math.isclose(row.estimate, sorted(reached)[1])
    again, _ = baselines.results(["tiny"], scale="cpu")  # served from the records
    assert again[0].estimate == row.estimate or (again[0].estimate is None is row.estimate)
    fig = baselines.figure(runs)
    assert len(fig.axes) == 1 and fig.axes[0].get_xscale() == "log"
    assert plt.get_fignums() == []  # closed: the notebook displays it once
    frame = baselines.table(rows)
    assert list(frame.index) == ["tiny"] and frame.loc["tiny", "verdict"] == row.verdict


def test_a_baseline_with_looks_is_judged_at_pococks_level(monkeypatch):
    """Seeds added after a look that left the row undecided: a wider interval, said in the note."""
    import dataclasses

    from grokcore.estimates import sequential_level

    monkeypatch.setitem(BASELINES, "tiny", TINY)
    one, runs = baselines.results(["tiny"], scale="cpu")
    looked = dataclasses.replace(TINY, looks=(2, 3))
    monkeypatch.setitem(BASELINES, "tiny", looked)
    two, _ = baselines.results(["tiny"], scale="cpu")  # the same records, served
    assert one[0].level == 0.95 and two[0].level == sequential_level((2, 3)) > 0.95
    assert "Pocock" in two[0].note and "Pocock" not in one[0].note
    assert looked.check(runs["tiny"], "cpu").level == two[0].level
    # the shipped fastgrok baseline: its second look at 100 seeds
    assert BASELINES["fastgrok"].looks[-1] == BASELINES["fastgrok"].seeds


def test_the_medians_by_threshold_describe_each_accuracy(monkeypatch):
    from grokcore.estimates import median
    from grokcore.outcomes import times

    monkeypatch.setitem(BASELINES, "tiny", TINY)
    _, runs = baselines.results(["tiny"], scale="cpu")
    recs = runs["tiny"]
    by = TINY.medians_by_threshold(recs)
    assert list(by) == [50, 90, 95, 99]
    assert by[50].estimate == median(times(recs, "step_to_test_acc_50")).estimate
    q = TINY.quotes(recs)
    assert set(q) == {f"baseline-tiny.median-{t}" for t in (50, 90, 95, 99)}
    e = by[50].estimate
    assert q["baseline-tiny.median-50"] == ("—" if e is None else f"{e:.0f}")
