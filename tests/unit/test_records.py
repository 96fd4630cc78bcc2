import json
import math
import os
import sys

import pytest

from grokcore import fingerprint, records
from grokcore.config import MLPConfig, ModularTask, OptimConfig, RunConfig
from grokcore.sweep import plan_units, run_or_load, unit_cost

CFG = RunConfig(
    task=ModularTask(p=7),
    model=MLPConfig(width=8),
    optim=OptimConfig(batch_size=None),
    num_steps=5,
    eval_every=5,
)


def test_round_trip_and_cache_hit(tmp_cache):
    rec = run_or_load([CFG])[0]
    path = records.record_path(rec.key)
    assert path.exists() and str(path).startswith(str(tmp_cache))
    again = run_or_load([CFG])[0]
    assert (
        again.history == rec.history and again.meta["wall_s"] == rec.meta["wall_s"]
    )  # loaded, not retrained
    assert records.RunRecord.from_json(path.read_text()).cfg == CFG


def test_recompute_forces_training():
    a = run_or_load([CFG])[0]
    b = run_or_load([CFG], recompute=True)[0]
    assert a.history == b.history and a.meta["wall_s"] != b.meta["wall_s"]


@pytest.mark.parametrize(
    "damage",
    [
        lambda t: t[: len(t) // 2],  # truncated
        lambda t: t.replace('"train_acc"', '"train_acx"', 1),  # edited
        lambda t: json.dumps({**json.loads(t), "schema": 0}),  # old schema
        lambda t: "",
    ],
)
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
    cfgs = [CFG.replace(seed=s) for s in range(4)] + [
        CFG.replace(num_steps=6, seed=s) for s in range(2)
    ]
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
    assert (
        "THP_MEM_ALLOC_ENABLE" not in os.environ and os.environ["MALLOC_MMAP_THRESHOLD_"] == "123"
    )


# ---- code fingerprints: stale records, freshest record, re-stamping


@pytest.fixture
def fresh_hashes():
    """Hash the code afresh in the test, and leave no simulated edit behind."""
    fingerprint.clear_cache()
    yield
    fingerprint.clear_cache()


def edit(monkeypatch, suffix: str) -> None:
    """Simulate an edit of the library file whose path ends with `suffix` (a statement appended):
    the records made before it are stale."""
    real = fingerprint._read
    monkeypatch.setattr(
        fingerprint,
        "_read",
        lambda p: real(p) + (b"\n_edited = 1\n" if p.as_posix().endswith(suffix) else b""),
    )
    fingerprint.clear_cache()


def commit(rec, results, monkeypatch):
    """Move rec's cached file under a temporary book/results/ (a committed record)."""
    monkeypatch.setattr(records, "RESULTS_DIR", results)
    path = results / "sub" / f"{rec.key}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    records.record_path(rec.key).replace(path)
    return path


def test_record_carries_its_code(fresh_hashes):
    rec = run_or_load([CFG])[0]
    assert rec.code == fingerprint.code_fingerprint(CFG)
    assert rec.code_files == fingerprint.code_of(CFG).hashes
    assert "grokcore/train.py" in rec.code_files
    assert "grokcore/plotting.py" not in rec.code_files
    assert rec.git is None or set(rec.git) == {"commit", "dirty"}
    assert rec.meta["created"]
    again = records.RunRecord.from_json(records.record_path(rec.key).read_text())
    assert (again.code, again.code_files, again.git) == (rec.code, rec.code_files, rec.git)


def test_stale_committed_record_is_recomputed_and_replaced(tmp_path, monkeypatch, fresh_hashes):
    rec = run_or_load([CFG])[0]
    path = commit(rec, tmp_path / "results", monkeypatch)
    assert records.load_record(rec.key).meta["wall_s"] == rec.meta["wall_s"]  # current: served
    edit(monkeypatch, "grokcore/train.py")
    hit = records.lookup(rec.key)
    assert hit.record is None and [s.path for s in hit.stale] == [path]
    assert hit.stale[0].changed == ["grokcore/train.py"]
    assert records.load_record(rec.key) is None  # stale: never served
    fresh = run_or_load([CFG])[0]
    assert fresh.meta["wall_s"] != rec.meta["wall_s"] and fresh.history == rec.history  # retrained
    stored = records.RunRecord.from_json(path.read_text())
    assert stored.code == fingerprint.code_fingerprint(CFG) != rec.code  # replaced where it was
    assert not records.record_path(rec.key).exists()
    assert records.load_record(rec.key).meta["wall_s"] == fresh.meta["wall_s"]


def test_stale_cached_record_is_replaced(monkeypatch, fresh_hashes):
    rec = run_or_load([CFG])[0]
    edit(monkeypatch, "grokcore/models.py")
    fresh = run_or_load([CFG])[0]
    assert fresh.meta["wall_s"] != rec.meta["wall_s"]
    assert records.RunRecord.from_json(records.record_path(rec.key).read_text()).code == fresh.code


def test_freshest_valid_record_is_served(tmp_path, monkeypatch):
    old = run_or_load([CFG])[0]
    path = commit(old, tmp_path / "results", monkeypatch)
    new = run_or_load([CFG], recompute=True)[0]  # cached, created later than the committed one
    assert new.meta["created"] > old.meta["created"]
    assert records.load_record(CFG.key()).meta["wall_s"] == new.meta["wall_s"]
    newest = run_or_load([CFG], recompute=True)[0]
    records.write_record(newest, path=path)  # a newer committed record wins over the cache
    records.write_record(new)
    assert records.load_record(CFG.key()).meta["wall_s"] == newest.meta["wall_s"]


def test_require_cache_names_stale_records(tmp_path, monkeypatch, fresh_hashes):
    recs = run_or_load([CFG, CFG.replace(seed=1)], workers=1)
    path = commit(recs[0], tmp_path / "results", monkeypatch)
    edit(monkeypatch, "grokcore/data.py")
    monkeypatch.setenv("GROKCORE_REQUIRE_CACHE", "1")
    with pytest.raises(records.StaleRecords) as err:
        run_or_load([CFG, CFG.replace(seed=1), CFG.replace(seed=2)])
    msg = str(err.value)
    assert "GROKCORE_REQUIRE_CACHE" in msg and "restamp" in msg
    assert f"{recs[0].key} at {path}" in msg and "grokcore/data.py" in msg
    assert str(records.record_path(recs[1].key)) in msg
    assert "1 runs have no record" in msg  # seed 2 was never run
    assert isinstance(err.value, records.CacheMiss)


def test_schema_1_record_is_rejected_and_recomputed():
    rec = run_or_load([CFG])[0]
    path = records.record_path(rec.key)
    body = json.loads(path.read_text())
    for name in ("checksum", "code", "code_files", "git"):  # a record as schema 1 wrote it
        body.pop(name)
    body["schema"] = 1
    body["checksum"] = records._checksum(body)
    path.write_text(json.dumps(body))
    with pytest.warns(UserWarning, match="schema 1 != 2"):
        assert records.load_record(rec.key) is None
    with pytest.warns(UserWarning, match="schema 1"):
        fresh = run_or_load([CFG])[0]
    assert fresh.history == rec.history and records.load_record(rec.key).code == fresh.code


def test_restamp_keeps_records_a_refactor_leaves_equal(monkeypatch, fresh_hashes):
    cfgs = [CFG.replace(seed=s) for s in range(4)]
    old = run_or_load(cfgs, workers=1)
    edit(monkeypatch, "grokcore/train.py")  # e.g. a comment: same numbers
    stale, problems = records.find_stale()
    assert problems == [] and sorted(s.record.key for s in stale) == sorted(r.key for r in old)
    out = records.restamp(stale, sample=2, seed=1)
    assert out.mismatch is None and len(out.checked) == 2 and len(out.rewritten) == 4
    assert records.find_stale() == ([], [])
    for r in old:  # served again, unchanged but for the stamp
        rec = records.load_record(r.key)
        assert rec.meta["wall_s"] == r.meta["wall_s"] and rec.history == r.history
        assert rec.code == fingerprint.code_fingerprint(CFG) != r.code
        assert rec.meta["restamped_from"] == r.code


def test_restamp_refuses_when_numbers_move(monkeypatch, fresh_hashes, capsys):
    from grokcore import sweep

    cfgs = [CFG.replace(seed=s) for s in range(3)]
    run_or_load(cfgs, workers=1)
    before = {p: p.read_bytes() for p in records.cache_dir().rglob("*.json")}
    edit(monkeypatch, "grokcore/train.py")
    real = sweep.run_unit

    def moved(unit, device="cpu", progress=False):  # a change that moves one number by one ulp
        recs = real(unit, device, progress)
        loss = recs[0].history["train_loss"]
        loss[-1] = math.nextafter(loss[-1], math.inf)
        return recs

    monkeypatch.setattr(sweep, "run_unit", moved)
    stale, _ = records.find_stale()
    out = records.restamp(stale, sample=1)
    assert out.rewritten == [] and len(out.checked) == 1
    assert "history['train_loss'][" in out.mismatch and out.checked[0] in out.mismatch
    assert {p: p.read_bytes() for p in records.cache_dir().rglob("*.json")} == before  # unchanged
    assert records.main(["restamp", "--sample", "3"]) == 1
    assert "nothing changed" in capsys.readouterr().out
    assert {p: p.read_bytes() for p in records.cache_dir().rglob("*.json")} == before


def test_restamp_cli_and_sample_size(monkeypatch, fresh_hashes, capsys):
    assert [records.default_sample(n) for n in (1, 3, 10, 100, 1000)] == [1, 3, 3, 5, 50]
    run_or_load([CFG])
    edit(monkeypatch, "grokcore/optim.py")
    assert records.main(["stale"]) == 0
    out = capsys.readouterr().out
    assert "1 stale records" in out and "grokcore/optim.py" in out
    assert records.main(["restamp"]) == 0
    assert "re-stamped 1" in capsys.readouterr().out
    assert records.load_record(CFG.key()) is not None


def test_history_comparison_is_bit_for_bit():
    same = {"step": [0, 1], "x": [0.1, float("nan")]}
    assert records.first_difference(same, {"step": [0, 1], "x": [0.1, float("nan")]}) is None
    ulp = {"step": [0, 1], "x": [math.nextafter(0.1, 1), 1.0]}
    where = records.first_difference(same, ulp)
    assert where == "history['x'][0]: recorded 0.1, now 0.10000000000000002"
    assert "only in the new" in records.first_difference(same, {**same, "y": []})
    assert "2 entries recorded, 1 now" in records.first_difference(same, {"step": [0], "x": [0.1]})
    assert records.first_difference({"s": [0.0]}, {"s": [-0.0]}) is not None


def test_restamp_samples_every_code_change(monkeypatch, fresh_hashes):
    """Stale records of two code versions: the sample takes one of each, even with sample=1."""
    from grokcore import sweep

    cfgs = [CFG.replace(seed=s) for s in range(4)]
    run_or_load(cfgs[:2], workers=1)
    edit(monkeypatch, "grokcore/train.py")
    run_or_load(cfgs[2:], workers=1)
    edit(monkeypatch, "grokcore/data.py")
    stale, _ = records.find_stale()
    assert len({s.record.code for s in stale}) == 2
    seen = []
    real = sweep.run_unit
    monkeypatch.setattr(sweep, "run_unit", lambda u, d="cpu": seen.append(u[0].seed) or real(u, d))
    out = records.restamp(stale, sample=1)
    assert out.mismatch is None and len(out.rewritten) == 4
    assert len(seen) == 2 and {s < 2 for s in seen} == {True, False}


def test_workers_see_transforms_registered_outside_grokcore(tmp_cache, tmp_path, monkeypatch):
    """A transform registered in any importable module trains in the spawn workers too."""
    from grokcore.config import MethodConfig
    from grokcore.transforms import TRANSFORMS

    (tmp_path / "my_sign.py").write_text(
        "from grokcore.transforms import GradientTransform, register_transform\n"
        "def make(method, seeds):\n"
        "    return GradientTransform(lambda params: (),\n"
        "        lambda grads, state, params: ({k: g.sign() for k, g in grads.items()}, state))\n"
        "register_transform('my_sign', make)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(TRANSFORMS, "my_sign", None)  # restored (removed) after the test
    __import__("my_sign")
    cfgs = [CFG.replace(method=MethodConfig(name="my_sign"), seed=s) for s in range(2)]
    pooled = run_or_load(cfgs, workers=2)  # two units: a spawn pool of two workers
    here = run_or_load(cfgs, workers=1, recompute=True)
    assert [r.history for r in pooled] == [r.history for r in here]


def test_transforms_registered_in_a_notebook_train_in_this_process(tmp_cache, monkeypatch):
    """A kernel's __main__ (no file) cannot be imported by a worker: warned, trained here."""
    import types

    from grokcore.config import MethodConfig
    from grokcore.transforms import TRANSFORMS, identity

    def make(method, seeds):
        return identity()

    make.__module__ = "__main__"
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    monkeypatch.setitem(TRANSFORMS, "kernel_only", make)
    cfgs = [CFG.replace(method=MethodConfig(name="kernel_only"), seed=s) for s in range(2)]
    with pytest.warns(UserWarning, match=r"\['kernel_only'\] are registered in __main__"):
        recs = run_or_load(cfgs, workers=2)
    plain = run_or_load([c.replace(method=MethodConfig()) for c in cfgs], workers=1)
    assert [r.history for r in recs] == [r.history for r in plain]


def test_restamp_retrains_a_stacked_record_with_its_stack_and_threads(monkeypatch, fresh_hashes):
    """A record trained in a stack is retrained in that stack, in its order (the members'
    numbers depend on it), at the thread count it was trained with; every member is compared."""
    import torch

    from grokcore import sweep

    cfgs = [CFG.replace(seed=s) for s in (4, 2, 7)]
    old = run_or_load(cfgs, workers=1, max_stack=3)
    assert {r.meta["stack_size"] for r in old} == {3}
    edit(monkeypatch, "grokcore/train.py")
    stale, _ = records.find_stale()
    units, threads = [], []
    real = sweep.run_unit

    def spy(unit, device="cpu"):
        units.append([c.seed for c in unit])
        threads.append(torch.get_num_threads())
        return real(unit, device)

    monkeypatch.setattr(sweep, "run_unit", spy)
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, old[0].meta["threads"] + 1))  # restamp sets the recorded one
    try:
        out = records.restamp(stale, sample=3)
    finally:
        torch.set_num_threads(before)
    assert units == [[4, 2, 7]] and threads == [old[0].meta["threads"]]  # as it was trained
    assert out.mismatch is None and sorted(out.checked) == sorted(r.key for r in old)
    assert len(out.rewritten) == 3


def test_restamp_skips_a_stack_whose_mates_are_not_all_stale(monkeypatch, fresh_hashes):
    cfgs = [CFG.replace(seed=s) for s in range(2)]
    run_or_load(cfgs, workers=1, max_stack=2)
    edit(monkeypatch, "grokcore/train.py")
    stale, _ = records.find_stale()
    out = records.restamp(stale[:1], sample=1)  # its stack-mate is not among the stale
    assert out.checked == [] and out.mismatch is None and len(out.rewritten) == 1


def test_restamp_never_restamps_a_timing(monkeypatch, fresh_hashes, capsys):
    from grokcore.config import RunConfig

    cfgs = [CFG.replace(seed=s) for s in range(2)]
    old = run_or_load(cfgs, workers=1)
    edit(monkeypatch, "grokcore/train.py")
    monkeypatch.setattr(RunConfig, "reproducible", False)  # as a timing's class says
    stale, _ = records.find_stale()
    out = records.restamp(stale, sample=2)
    assert out.checked == [] and out.rewritten == [] and out.mismatch is None
    assert sorted(out.skipped) == sorted(r.key for r in old)
    assert len(records.find_stale()[0]) == 2  # they stay stale: measured again where needed


def test_restamp_never_picks_a_run_that_reads_other_records(monkeypatch, fresh_hashes):
    from grokcore.config import RunConfig

    cfgs = [CFG.replace(seed=s) for s in range(3)]
    old = run_or_load(cfgs, workers=1)
    edit(monkeypatch, "grokcore/train.py")
    # seed 0 reads another record (as a NeuralGrok transfer run reads its source's amplifier)
    monkeypatch.setattr(RunConfig, "requires", lambda self: (self,) if self.seed == 0 else ())
    stale, _ = records.find_stale()
    out = records.restamp(stale, sample=3)
    assert out.mismatch is None and old[0].key not in out.checked and len(out.checked) == 2
    assert len(out.rewritten) == 3  # re-stamped with the rest once the sample passes
