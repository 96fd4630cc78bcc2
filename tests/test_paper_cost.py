"""bench/paper_cost.py lists what each chapter's notebook trains at a scale, exactly (at cpu
scale: the chapter's shipped store, record for record), and clocks the units it lacks."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from grokcore import store

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import paper_cost  # noqa: E402  (bench/ is no package)


@pytest.mark.parametrize("stem", paper_cost.STEMS)
def test_the_cpu_listing_is_the_chapter_s_shipped_store(stem):
    """The plan functions list what the notebook trains: at cpu scale, the keys of the store a
    cpu build packed from the notebook's trace, no more and no fewer."""
    sweeps, _ = paper_cost.chapter_plan(stem, "cpu")
    listed = {c.key() for cfgs, _ in sweeps for c in cfgs}
    (path,) = [p for p in store.stores("cpu") if p.name.startswith(stem)]
    assert listed == {r.key for r in store.read_store(path)}


def test_a_smoke_estimate_clocks_every_unit_it_lacks(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GROKCORE_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "cost.json"
    argv = ["--scale", "smoke", "--chapters", "06", "--from-scratch", "--k1", "2", "--k2", "4"]
    assert paper_cost.main(argv + ["--json", str(out)]) == 0
    (row,) = json.loads(out.read_text())["rows"]
    assert row["chapter"] == "06_minibatch" and row["listed"] == row["missing"] > 0
    assert row["shipped"] == 0 and not row["not_clocked"]
    shapes = row["shapes"].values()
    assert all(s["s_per"] > 0 for s in shapes)
    assert row["cpu_hours"] * 3600 == pytest.approx(sum(s["seconds"] for s in shapes))
    assert row["cpu_hours"] / 2 <= row["hours_2_workers"] <= row["cpu_hours"]
    assert not list((tmp_path / "cache").rglob("*.json"))  # a clock run keeps no record
    assert "06_minibatch" in capsys.readouterr().out


def test_bad_arguments_name_what_is_allowed(capsys):
    with pytest.raises(SystemExit):
        paper_cost.main(["--chapters", "03,x"])
    assert "--chapters '03,x': ['x'] start no chapter (allowed: prefixes of 01_egd_toy" in (
        capsys.readouterr().err
    )
    with pytest.raises(SystemExit):
        paper_cost.main(["--k1", "5", "--k2", "5"])
    assert "--k1 < --k2" in capsys.readouterr().err


def test_the_schedule_onto_two_workers_takes_the_longest_first():
    assert paper_cost.lpt([3, 3, 2, 2, 2]) == 7  # 3+2+2 | 3+2
    assert paper_cost.lpt([5, 1, 1]) == 5 and paper_cost.lpt([]) == 0


def test_a_typical_estimate_takes_the_share_its_recorded_seeds_trained(monkeypatch):
    """Runs that stop at 95%: beside the whole budget (an upper bound), the share of it that the
    config's recorded seeds trained (their mean for one run, their largest for a stack); units
    without recorded seeds count whole."""
    from types import SimpleNamespace

    from grokcore.config import RunConfig

    cfg = RunConfig(num_steps=1000, stop_at_test_acc=0.95)
    stopped = {3: 200, 5: 600}  # seed -> last_step of its record; no other seed recorded

    def lookup(key, c):
        step = stopped.get(c.seed) if c.replace(seed=0) == cfg.replace(seed=0) else None
        record = SimpleNamespace(summary={"last_step": step}) if step else None
        return SimpleNamespace(record=record)

    monkeypatch.setattr(paper_cost, "lookup", lookup)
    assert sorted(paper_cost.trained_share(cfg.replace(seed=9))) == [0.2, 0.6]
    assert paper_cost.trained_share(cfg.replace(num_steps=400)) == []  # another config
    cache: dict = {}
    assert sorted(paper_cost.trained_share(cfg, cache)) == [0.2, 0.6] and len(cache) == 1
    stopped.clear()  # a cached answer is not looked up again
    assert sorted(paper_cost.trained_share(cfg.replace(seed=4), cache)) == [0.2, 0.6]
    stopped.update({3: 200, 5: 600})
    other = cfg.replace(eval_every=cfg.eval_every * 2)  # no seed of it recorded
    one, stack, bare = [cfg.replace(seed=7)], [cfg.replace(seed=s) for s in (7, 8)], [other]
    args = SimpleNamespace(scale="cpu")
    clocks = {}
    for unit in (one, stack, bare):
        shape = f"{paper_cost.with_budget(unit[0], 1).replace(seed=0).key()[:16]}x{len(unit)}"
        clocks[shape] = (0.01, "")  # 10 s per 1000 steps
    row = paper_cost.cost({}, [[one, stack, bare]], args, clocks)
    assert row["cpu_hours"] * 3600 == pytest.approx(30.0)
    assert row["typical_cpu_hours"] * 3600 == pytest.approx(10 * 0.4 + 10 * 0.6 + 10)
    assert row["typical_from"] == 2
    assert row["typical_hours_2_workers"] <= row["hours_2_workers"]
