"""Shipped stores (grokcore.store): deterministic packing, validation on read, unpacking into
the cache without replacing a current local run, and the trace of used keys."""

from __future__ import annotations

import json
import lzma
import os

import pytest

from grokcore import campaign, fingerprint, records, store
from grokcore.sweep import run_or_load
from grokcore.testing import tiny_run

CFG = tiny_run()


@pytest.fixture
def recs():
    return run_or_load([CFG.replace(seed=s) for s in range(3)], workers=1)


def test_pack_read_roundtrip_is_deterministic(recs, tmp_path):
    keys = [r.key for r in recs]
    path, changed = store.pack("ch", "cpu", keys[::-1] + keys[:1], root=tmp_path)  # dups ok
    assert changed and path == tmp_path / "cpu" / "ch.jsonl.xz"
    again = store.read_store(path)
    assert [r.key for r in again] == sorted(keys)
    assert {r.key: r.to_json() for r in again} == {r.key: r.to_json() for r in recs}
    # the same records give the same bytes: an unchanged store is not rewritten
    assert store.pack("ch", "cpu", keys, root=tmp_path) == (path, False)
    assert store.stores("cpu", tmp_path) == [path] and store.stores("paper", tmp_path) == []


def test_record_json_is_to_json_byte_for_byte(recs):
    """The store's serializer skips asdict's deep copy and the second encoding; its bytes are
    the record's own, for records fresh from training (tuples in their configs) and read back."""
    for r in recs + [records.RunRecord.from_json(r.to_json()) for r in recs]:
        assert store.record_json(r) == r.to_json()
    r = recs[0]
    r.meta["note"] = ("a", 1.5, None, {"z": [1, 2]})  # nested, unsorted, a tuple
    assert store.record_json(r) == r.to_json()


def test_a_store_that_is_not_readable_is_replaced(recs, tmp_path):
    path = store.store_path("ch", "cpu", tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not xz")
    assert store.pack("ch", "cpu", [r.key for r in recs], root=tmp_path) == (path, True)
    assert len(store.read_store(path)) == len(recs)


def test_pack_refuses_a_key_without_a_current_record(recs, tmp_path):
    with pytest.raises(store.StoreError, match="1 keys have no current record"):
        store.pack("ch", "cpu", [recs[0].key, "0" * 20], root=tmp_path)
    assert not (tmp_path / "cpu" / "ch.jsonl.xz").exists()


def _rewrite(path, edit):
    text = lzma.decompress(path.read_bytes()).decode()
    path.write_bytes(lzma.compress(edit(text).encode()))


def _edit_line_3(text: str) -> str:
    lines = text.split("\n")
    lines[2] = lines[2].replace('"num_steps":5', '"num_steps":6', 1)
    return "\n".join(lines)


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda p: p.write_bytes(b"not xz"), "not a readable xz store"),
        (lambda p: _rewrite(p, lambda t: t.replace('"format": 1', '"format": 9', 1)), "header"),
        (lambda p: _rewrite(p, _edit_line_3), "line 3"),
        (lambda p: _rewrite(p, lambda t: t.rsplit("\n", 2)[0] + "\n"), "header says 3"),
    ],
)
def test_a_damaged_store_is_refused_whole(recs, tmp_path, damage, message):
    path, _ = store.pack("ch", "cpu", [r.key for r in recs], root=tmp_path)
    damage(path)
    with pytest.raises(store.StoreError, match=message):
        store.read_store(path)


def test_unpack_fills_the_cache_and_keeps_a_current_local_run(recs, tmp_path, monkeypatch):
    store.pack("ch", "cpu", [r.key for r in recs], root=tmp_path)
    cache = tmp_path / "fresh"
    monkeypatch.setenv("GROKCORE_CACHE", str(cache))
    u = store.unpack("cpu", root=tmp_path)
    assert (u.stores, u.copied, u.kept, u.stale) == (1, 3, 0, 0)
    assert records.load_record(recs[0].key).to_json() == recs[0].to_json()
    # a local record of the same key (e.g. a recompute) is kept; a corrupt one is replaced
    local = records.load_record(recs[1].key)
    local.meta = {**local.meta, "created": "2099-01-01T00:00:00+00:00"}
    records.write_record(local)
    records.record_path(recs[2].key).write_text("{")
    u = store.unpack("cpu", root=tmp_path)
    assert (u.copied, u.kept) == (1, 2)  # recs[0] already there, recs[1] the local run
    assert records.load_record(recs[1].key).meta["created"].startswith("2099")
    assert store.unpack("cpu", ["other"], root=tmp_path).stores == 0


def test_unpack_copies_stale_records_as_they_are(recs, tmp_path, monkeypatch):
    store.pack("ch", "cpu", [r.key for r in recs], root=tmp_path)
    real = fingerprint._read
    monkeypatch.setattr(
        fingerprint,
        "_read",
        lambda p: real(p) + (b"\n_edited = 1\n" if p.as_posix().endswith("train.py") else b""),
    )
    fingerprint.clear_cache()
    try:
        monkeypatch.setenv("GROKCORE_CACHE", str(tmp_path / "fresh"))
        u = store.unpack("cpu", root=tmp_path)
        assert (u.copied, u.stale) == (0, 3)
        assert records.lookup(recs[0].key).stale  # run_or_load will retrain it
    finally:
        fingerprint.clear_cache()


def test_trace_lists_every_served_key_once(recs, tmp_path, monkeypatch):
    trace = tmp_path / "t" / "ch.keys"
    assert store.traced(trace) == []
    monkeypatch.setenv("GROKCORE_TRACE", str(trace))
    run_or_load([CFG.replace(seed=2), CFG.replace(seed=0)])  # loaded
    run_or_load([CFG.replace(seed=0), CFG.replace(seed=4)], workers=1)  # one trained
    assert store.traced(trace) == [recs[2].key, recs[0].key, CFG.replace(seed=4).key()]
    monkeypatch.delenv("GROKCORE_TRACE")
    store.note_use(["x"])  # unset: nothing written
    assert len(store.traced(trace)) == 3


def test_recompute_since_retrains_older_records_once(recs, monkeypatch):
    since = "2999-01-01T00:00:00+00:00"
    monkeypatch.setenv(campaign.RECOMPUTE_SINCE, since)
    assert campaign.older(recs[0], since)
    cfgs = [CFG.replace(seed=s) for s in range(2)]
    again = run_or_load(cfgs, workers=1)
    assert [a.meta["created"] for a in again] != [r.meta["created"] for r in recs[:2]]
    assert all(a.history == r.history for a, r in zip(again, recs))  # deterministic
    monkeypatch.setenv(campaign.RECOMPUTE_SINCE, "2000-01-01T00:00:00+00:00")
    assert [r.meta["created"] for r in run_or_load(cfgs)] == [a.meta["created"] for a in again]
    monkeypatch.setenv(campaign.RECOMPUTE_SINCE, "yesterday")
    with pytest.raises(ValueError, match="GROKCORE_RECOMPUTE_SINCE"):
        run_or_load(cfgs)


def test_a_deadline_stops_a_sweep_cleanly_and_keeps_what_finished(monkeypatch):
    monkeypatch.setenv(campaign.DEADLINE, "0")  # long past: no unit starts
    with pytest.raises(campaign.BudgetSpent, match="rerun to resume"):
        run_or_load([CFG.replace(seed=9)], workers=1)
    assert records.load_record(CFG.replace(seed=9).key()) is None
    monkeypatch.setenv(campaign.DEADLINE, "soon")
    with pytest.raises(ValueError, match="GROKCORE_DEADLINE"):
        run_or_load([CFG.replace(seed=9)], workers=1)
    monkeypatch.delenv(campaign.DEADLINE)
    assert run_or_load([CFG.replace(seed=9)], workers=1)[0].key == CFG.replace(seed=9).key()


def test_a_passed_deadline_starts_no_unit_of_a_pool_either(monkeypatch):
    """A pool starts what is submitted: the deadline is checked before the submits, so a sweep
    begun after it trains nothing (as the one-worker loop, above)."""
    monkeypatch.setenv(campaign.DEADLINE, "0")
    cfgs = [CFG.replace(seed=s) for s in (10, 11)]
    with pytest.raises(campaign.BudgetSpent, match="rerun to resume"):
        run_or_load(cfgs, workers=2)
    assert all(records.load_record(c.key()) is None for c in cfgs)


def test_status_file_counts_units(tmp_path, monkeypatch):
    import json

    status = tmp_path / "status.json"
    monkeypatch.setenv(campaign.STATUS, str(status))
    monkeypatch.setattr(campaign, "_state", {})
    run_or_load([CFG.replace(seed=s) for s in (20, 21)], workers=1)
    state = json.loads(status.read_text())
    assert state["units_planned"] == 2 and state["units_finished"] == 2
    assert state["runs_finished"] == 2 and state["cost_finished"] == 2 * CFG.num_steps
    assert not list(tmp_path.glob(".*.tmp")) and os.path.getsize(status) > 0


def test_records_name_their_cpu(recs):
    assert recs[0].meta["cpu"] == records.cpu_kind()
    assert records.cpu_kind().split()[0] in ("x86_64", "aarch64", "arm64", "AMD64")


def test_training_times_sum_each_records_share_of_its_stack(recs, tmp_path):
    keys = [r.key for r in recs]
    store.pack("ch", "cpu", keys, root=tmp_path)
    [t] = store.training_times("cpu", tmp_path)
    # tiny_run records train one per stack (stack_size 1) or as one stack: either way each
    # record counts wall_s / stack_size
    want = sum(r.meta["wall_s"] / r.meta.get("stack_size", 1) for r in recs)
    assert (t.name, t.records) == ("ch", 3) and t.cpu_s == pytest.approx(want)
    assert t.wall_s(2) == pytest.approx(want / 2) and t.cpus == (records.cpu_kind(),)
    table = store.times_table("cpu", workers=2, root=tmp_path)
    assert table.splitlines()[0] == "| store (cpu) | runs | training, CPU-min | ≈ min on 2 cores |"
    assert f"| ch | 3 | {want / 60:.1f} | {want / 120:.1f} |" in table
    assert store.training_times("paper", tmp_path) == []


def test_gpu_records_get_their_own_column_in_the_times_table(recs, tmp_path):
    """A record trained on a GPU counts in GPU minutes, never as CPU minutes."""
    for r in recs[:2]:
        r.meta.update(device="NVIDIA H200", wall_s=90.0, stack_size=3)
        records.write_record(r)
    store.pack("ch", "paper", [r.key for r in recs], root=tmp_path)
    [t] = store.training_times("paper", tmp_path)
    cpu = recs[2].meta["wall_s"] / recs[2].meta.get("stack_size", 1)
    assert t.cpu_s == pytest.approx(cpu) and t.gpu_s == pytest.approx(60.0)
    assert t.gpus == ("NVIDIA H200",) and t.cpus == (records.cpu_kind(),)
    lines = store.times_table("paper", workers=2, root=tmp_path).splitlines()
    assert lines[0].endswith("| ≈ min on 2 cores | on a GPU, min |")
    assert lines[2] == f"| ch | 3 | {cpu / 60:.1f} | {cpu / 120:.1f} | 1.0 (NVIDIA H200) |"


def test_repack_rewrites_each_store_from_the_current_records(recs, tmp_path, monkeypatch):
    keys = [r.key for r in recs]
    path, _ = store.pack("ch", "cpu", keys, root=tmp_path)
    monkeypatch.setattr(store, "STORE_DIR", tmp_path)
    before = path.read_bytes()
    assert store.main(["repack", "--scale", "cpu"]) == 0
    assert path.read_bytes() == before  # the same records: the same bytes, not rewritten
    rec = records.load_record(keys[0])
    rec.meta["restamped_from"] = "x" * 64  # as a restamp leaves it
    records.write_record(rec)
    assert store.main(["repack", "--scale", "cpu"]) == 0
    assert [r.meta.get("restamped_from") for r in store.read_store(path)].count("x" * 64) == 1


# ---- a record several stores hold: in full once, referred to elsewhere


def _lines(path):
    return lzma.decompress(path.read_bytes()).decode().splitlines()


def test_a_record_two_stores_hold_is_written_once_and_read_from_both(recs, tmp_path, monkeypatch):
    keys = [r.key for r in recs]
    a, _ = store.pack("a", "cpu", keys[:2], root=tmp_path)
    b, _ = store.pack("b", "paper", keys[1:], root=tmp_path)  # another scale's store: the same
    want = {r.key: r.to_json() for r in recs}
    for path, ks in ((a, keys[:2]), (b, keys[1:])):
        assert {r.key: r.to_json() for r in store.read_store(path)} == {k: want[k] for k in ks}
    header, *lines = _lines(b)
    assert '"format": 2' in header and '"records": 2' in header
    ref = next(json.loads(ln) for ln in lines if len(ln) < 300)
    assert ref == {"checksum": json.loads(want[keys[1]])["checksum"], "in": "cpu/a",
                   "key": keys[1]}  # fmt: skip
    assert '"format": 1' in _lines(a)[0]
    assert store.pack("b", "paper", keys[1:], root=tmp_path) == (b, False)  # same bytes
    # unpacking resolves the reference: the cache gets the record itself
    monkeypatch.setenv("GROKCORE_CACHE", str(tmp_path / "fresh"))
    assert store.unpack("paper", root=tmp_path).copied == 2
    assert records.load_record(keys[1]).to_json() == want[keys[1]]


def test_a_store_dropping_a_record_another_refers_to_hands_it_over_first(recs, tmp_path):
    keys = [r.key for r in recs]
    a, _ = store.pack("a", "cpu", keys[:2], root=tmp_path)
    b, _ = store.pack("b", "cpu", keys[1:], root=tmp_path)
    assert '"format": 2' in _lines(b)[0]
    store.pack("a", "cpu", keys[:1], root=tmp_path)  # keys[1] leaves a: b holds it in full
    assert '"format": 1' in _lines(b)[0]
    assert [r.key for r in store.read_store(b)] == sorted(keys[1:])
    assert [r.key for r in store.read_store(a)] == keys[:1]
    # a store before another that holds a record in full keeps its own copy; the later store
    # refers to it once it is packed again
    store.pack("a", "cpu", keys, root=tmp_path)
    assert '"format": 1' in _lines(b)[0] and '"format": 1' in _lines(a)[0]
    assert store.add("b", "cpu", [], root=tmp_path) == (b, True)
    assert '"format": 2' in _lines(b)[0] and sum(len(ln) < 300 for ln in _lines(b)) == 3


def test_a_reference_that_does_not_resolve_is_refused(recs, tmp_path):
    keys = [r.key for r in recs]
    a, _ = store.pack("a", "cpu", keys[:2], root=tmp_path)
    b, _ = store.pack("b", "cpu", keys[1:], root=tmp_path)
    text = lzma.decompress(b.read_bytes()).decode()
    a.unlink()  # removed by hand: b's reference has nothing to read
    with pytest.raises(
        store.StoreError, match=f"line 2 refers to store cpu/a for record {keys[1]}"
    ):
        store.read_store(b)
    # a reference in a format-1 store: not a layout this code wrote
    store.pack("a", "cpu", keys[:2], root=tmp_path)
    b.write_bytes(lzma.compress(text.replace('"format": 2', '"format": 1').encode()))
    with pytest.raises(store.StoreError, match="line 2 is a reference in a format-1 store"):
        store.read_store(b)
    # a reference may name only a store beside it: "<scale>/<stem>"
    b.write_bytes(lzma.compress(text.replace('"in":"cpu/a"', '"in":"../cpu/a"').encode()))
    with pytest.raises(store.StoreError, match="line 2 is not a valid record .not a reference"):
        store.read_store(b)
