"""The shipped run records (book/results/store): every store reads whole, every record is current
(made by the code of this checkout: a fingerprinted change must restamp or retrain them), and a
few short cpu records, chosen at random per commit, retrain bit for bit here."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import pytest
import torch

from grokcore import records, store
from grokcore.sweep import run_unit

ROOT = Path(__file__).resolve().parents[1]
SHORT_S = 3.0  # "short": a record that trained in under this many seconds
PICKS = 4


def _head() -> str:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True)
        return out.stdout.decode().strip() or "no-git"
    except OSError:
        return "no-git"


@pytest.fixture(scope="module")
def shipped() -> dict[Path, list[records.RunRecord]]:
    paths = store.stores()
    assert paths, f"no shipped stores under {store.STORE_DIR}"
    return {p: store.read_store(p) for p in paths}


def test_every_shipped_record_is_current(shipped):
    stale = [
        f"{p.relative_to(store.STORE_DIR)}: {r.key} (changed: {records.staleness(r)})"
        for p, recs in shipped.items()
        for r in recs
        if records.staleness(r) is not None
    ]
    assert not stale, (
        f"{len(stale)} shipped records were made by other code; restamp them (python -m "
        "grokcore.records restamp after `python -m grokcore store unpack`, then make book) or "
        "retrain: " + "; ".join(stale[:5])
    )


def test_short_shipped_records_retrain_bit_for_bit(shipped):
    short = [
        r
        for recs in shipped.values()
        for r in recs
        if r.meta.get("stack_size", 1) == 1 and float(r.meta.get("wall_s", 1e9)) < SHORT_S
    ]
    assert len(short) >= PICKS, f"only {len(short)} short shipped records"
    here = records.cpu_kind()  # under grokcore.cpu_isa's pin (importing grokcore): AVX2 on x86-64
    # float sums group differently on other vector ISAs: only records of this kind compare
    comparable = [r for r in short if r.meta.get("cpu") == here]
    if len(comparable) < PICKS:
        kinds = sorted({str(r.meta.get("cpu")) for r in short})
        pytest.skip(f"{len(comparable)} short shipped records were made on {here} (all: {kinds})")
    seed = _head()
    picks = random.Random(seed).sample(sorted(comparable, key=lambda r: r.key), PICKS)
    before = torch.get_num_threads()
    try:
        for rec in picks:
            torch.set_num_threads(rec.meta.get("threads") or 1)
            fresh = run_unit([rec.cfg])[0]
            diff = records.first_difference(rec.history, json.loads(json.dumps(fresh.history)))
            assert diff is None, f"{rec.key} (picked with seed {seed}): {diff}"
    finally:
        torch.set_num_threads(before)
