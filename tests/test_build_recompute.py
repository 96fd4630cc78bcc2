"""book/build.py's shipped-store steps: the chapter's store packed from its trace, and the
RECOMPUTE=1 report of what moved against the shipped verdicts and records."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from grokcore import records, store
from grokcore.sweep import run_or_load
from grokcore.testing import tiny_run, tmp_cache  # noqa: F401  (autouse: a temporary run cache per test)

ROOT = Path(__file__).resolve().parents[1]
CFG = tiny_run()


@pytest.fixture
def build(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("build", ROOT / "book" / "build.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    monkeypatch.setattr(mod, "ROOT", tmp_path)  # traces under tmp_path/.cache/trace
    monkeypatch.setattr(store, "STORE_DIR", tmp_path / "store")
    return mod


def _row(cid: str, verdict: str, estimate: float) -> dict:
    return {"chapter": "01_x", "id": cid, "verdict": verdict, "estimate": estimate,
            "ci_low": 1.0, "ci_high": 2.0, "n": 5, "censored": 0}  # fmt: skip


def test_pack_chapter_writes_the_traced_records(build, monkeypatch):
    trace = build.trace_path("cpu", "01_x")
    assert build.pack_chapter("01_x", "cpu") == "no run records"
    monkeypatch.setenv("GROKCORE_TRACE", str(trace))
    trace.parent.mkdir(parents=True)
    recs = run_or_load([CFG.replace(seed=s) for s in range(2)], workers=1)
    summary = build.pack_chapter("01_x", "cpu")
    assert summary.startswith("2 records") and summary.endswith("rewritten")
    assert build.pack_chapter("01_x", "cpu").endswith("unchanged")
    shipped = store.read_store(store.store_path("01_x", "cpu"))
    assert sorted(r.key for r in shipped) == sorted(r.key for r in recs)


def test_recompute_report_names_what_moved(build):
    recs = run_or_load([CFG.replace(seed=s) for s in range(3)], workers=1)
    store.pack("01_x", "cpu", [r.key for r in recs])
    moved = records.load_record(recs[1].key)  # a retrain whose numbers differ
    moved.history = {**moved.history, "test_acc": [0.5 for _ in moved.history["test_acc"]]}
    moved.meta = {**moved.meta, "created": "2099-01-01T00:00:00+00:00"}
    records.write_record(moved)
    records.record_path(recs[2].key).unlink()  # and one never retrained
    shipped = [_row("a", "reproduced", 1.5), _row("b", "inconclusive", 3.0)]
    new = [_row("a", "reproduced", 1.5), _row("b", "contradicted", 4.0), _row("c", "x", 1.0)]
    report = build.recompute_report(new, shipped, ["01_x"], "cpu")
    assert "Claims: 1 rows unchanged, 2 moved (of 3)." in report
    assert "| 01_x | b | verdict | inconclusive | contradicted |" in report
    assert "| 01_x | b | estimate | 3.0 | 4.0 |" in report
    assert "| 01_x | c | (new row) |" in report and "| a |" not in report
    assert "Run histories: 1 bit for bit equal to the shipped ones, 2 differ." in report
    assert f"{recs[1].key}: history['test_acc'][0]" in report
    assert f"{recs[2].key}: no current record" in report
