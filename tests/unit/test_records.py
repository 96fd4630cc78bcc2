import json
import os

import pytest

from grokcore import records
from grokcore.config import MLPConfig, ModularTask, OptimConfig, RunConfig
from grokcore.sweep import plan_units, run_or_load, unit_cost

CFG = RunConfig(task=ModularTask(p=7), model=MLPConfig(width=8), optim=OptimConfig(batch_size=None),
                num_steps=5, eval_every=5)


def test_round_trip_and_cache_hit(tmp_cache):
    rec = run_or_load([CFG])[0]
    path = records.record_path(rec.key)
    assert path.exists() and str(path).startswith(str(tmp_cache))
    again = run_or_load([CFG])[0]
    assert again.history == rec.history and again.meta["wall_s"] == rec.meta["wall_s"]  # loaded, not retrained
    assert records.RunRecord.from_json(path.read_text()).cfg == CFG


def test_recompute_forces_training():
    a = run_or_load([CFG])[0]
    b = run_or_load([CFG], recompute=True)[0]
    assert a.history == b.history and a.meta["wall_s"] != b.meta["wall_s"]


@pytest.mark.parametrize("damage", [
    lambda t: t[: len(t) // 2],  # truncated
    lambda t: t.replace('"train_acc"', '"train_acx"', 1),  # edited
    lambda t: json.dumps({**json.loads(t), "schema": 0}),  # old schema
    lambda t: "",
])
def test_corrupt_record_is_detected_and_recomputed(damage):
    rec = run_or_load([CFG])[0]
    path = records.record_path(rec.key)
    path.write_text(damage(path.read_text()))
    with pytest.warns(UserWarning, match="corrupt record"):
        assert records.load_record(rec.key) is None
    with pytest.warns(UserWarning):
        fresh = run_or_load([CFG])[0]
    assert fresh.history == rec.history
    assert records.RunRecord.from_json(path.read_text()).key == rec.key  # repaired


def test_record_under_another_key_is_rejected():
    rec = run_or_load([CFG])[0]
    other = CFG.replace(seed=9).key()
    with pytest.raises(records.CorruptRecord, match="key"):
        records.RunRecord.from_json(rec.to_json(), expect_key=other)


def test_atomic_write_leaves_no_partial_file(monkeypatch):
    rec = run_or_load([CFG])[0]
    path = records.record_path(rec.key)
    before = path.read_text()

    def crash(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        records.write_record(rec)
    assert path.read_text() == before
    assert not list(path.parent.glob("*.tmp"))


def test_require_cache_turns_miss_into_error(monkeypatch):
    monkeypatch.setenv("GROKCORE_REQUIRE_CACHE", "1")
    with pytest.raises(records.CacheMiss, match="GROKCORE_REQUIRE_CACHE"):
        run_or_load([CFG])


def test_plan_units_groups_seeds_and_fills_workers():
    cfgs = [CFG.replace(seed=s) for s in range(4)] + [CFG.replace(num_steps=6, seed=s) for s in range(2)]
    assert sorted(len(u) for u in plan_units(cfgs, workers=1)) == [2, 4]
    assert len(plan_units(cfgs[:4], workers=2)) == 2
    assert all(len(u) <= 1 for u in plan_units(cfgs, workers=1, max_stack=1))
    # longest unit first (members x steps), so no long unit starts while the others finish
    order = plan_units(cfgs + [CFG.replace(num_steps=CFG.num_steps * 10, seed=9)], workers=1)
    assert [unit_cost(u) for u in order] == sorted((unit_cost(u) for u in order), reverse=True)
    assert order[0][0].seed == 9 and unit_cost(order[0]) == CFG.num_steps * 10


def test_executor_is_pluggable():
    from concurrent.futures import ThreadPoolExecutor
    cfgs = [CFG.replace(seed=s) for s in range(3)]
    with ThreadPoolExecutor(2) as ex:
        recs = run_or_load(cfgs, executor=ex, workers=2)  # one seed per unit on CPU
    assert [r.key for r in recs] == [c.key() for c in cfgs]
    assert recs[1].history == run_or_load([cfgs[1]], recompute=True)[0].history


def test_worker_env_is_set_while_workers_start_and_restored(monkeypatch):
    from grokcore import sweep

    monkeypatch.delenv("THP_MEM_ALLOC_ENABLE", raising=False)
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "123")  # a caller's own value wins
    with sweep._worker_env():
        assert os.environ["THP_MEM_ALLOC_ENABLE"] == sweep.WORKER_ENV["THP_MEM_ALLOC_ENABLE"]
        assert os.environ["MALLOC_MMAP_THRESHOLD_"] == "123"
    assert "THP_MEM_ALLOC_ENABLE" not in os.environ and os.environ["MALLOC_MMAP_THRESHOLD_"] == "123"
