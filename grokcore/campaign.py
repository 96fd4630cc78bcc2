"""Campaigns: train every missing or stale run of a scale, within a time budget, resumably.

    python -m grokcore.campaign --scale paper [--chapters 03,04] [--hours 6] [--status FILE]
    make campaign SCALE=paper CHAPTERS=03,04 HOURS=6

A campaign has two phases. First, the runs it already knows: every record shipped in the
scale's stores (grokcore.store) whose current record is missing or stale is retrained, longest
first, with a progress bar whose ETA comes from the recorded wall times. Then it executes each
chapter (book/build.py --only, at the scale), which trains what no store knows yet (a first
paper-scale campaign discovers its runs this way) and packs the chapter's store.

Every finished run is written at once (atomically), so a kill loses only the units in flight and
the same command resumes. The budget (``--hours``) is a deadline that grokcore.sweep checks
before each unit: once it has passed, queued units are cancelled, running ones finish and are
kept, and the campaign stops with BudgetSpent. A status file (JSON: phase, chapter, units
planned and finished, runs, elapsed, ETA) is rewritten after every unit, for a look from another
terminal: ``cat .cache/campaign-<scale>.json``.

The hooks below are what grokcore.sweep calls; this module never computes a number and is
outside the code fingerprint (grokcore.fingerprint.LIBRARY_READERS).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

DEADLINE = "GROKCORE_DEADLINE"  # unix time after which no new unit starts
STATUS = "GROKCORE_STATUS"  # JSON status file, rewritten after each unit
RECOMPUTE_SINCE = "GROKCORE_RECOMPUTE_SINCE"  # ISO time: records created before it are retrained


class BudgetSpent(RuntimeError):
    """The campaign's deadline passed: no new unit started; finished ones are kept."""


# ---- hooks called by grokcore.sweep.run_or_load


def deadline() -> float | None:
    value = os.environ.get(DEADLINE)
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"{DEADLINE}={value!r}: expected a unix time in seconds") from None


def past_deadline() -> bool:
    d = deadline()
    return d is not None and time.time() >= d


def check_budget() -> None:
    """Raise BudgetSpent once the deadline has passed (before a unit starts)."""
    if past_deadline():
        raise BudgetSpent(f"the time budget ({DEADLINE}) is spent: rerun to resume")


def recompute_since() -> str | None:
    """The ISO time before which records count as missing (RECOMPUTE=1 builds), or None."""
    value = os.environ.get(RECOMPUTE_SINCE, "").strip()
    if value:
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{RECOMPUTE_SINCE}={value!r}: expected an ISO time") from None
    return value or None


def older(record: Any, since: str | None) -> bool:
    """Whether a record was created before `since` (and must be retrained by a recompute)."""
    if since is None:
        return False
    created = str(record.meta.get("created", ""))
    return not created or datetime.fromisoformat(created) < datetime.fromisoformat(since)


_state: dict[str, Any] = {}


def _write_status() -> None:
    path = os.environ.get(STATUS)
    if not path:
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    state = {**_state, "updated": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(state, f, indent=1)
    os.replace(tmp, target)


def planned(units: Sequence[list]) -> None:
    """run_or_load is about to train these units."""
    if not os.environ.get(STATUS):
        return
    from .sweep import unit_cost

    _state.setdefault("started", time.time())
    _state["units_planned"] = _state.get("units_planned", 0) + len(units)
    _state["cost_planned"] = _state.get("cost_planned", 0) + sum(unit_cost(u) for u in units)
    _write_status()


def finished(recs: Sequence[Any]) -> None:
    """run_or_load has written a unit's records."""
    if not os.environ.get(STATUS) or not recs:
        return
    from .sweep import unit_cost

    cfgs = [r.cfg for r in recs]
    _state["units_finished"] = _state.get("units_finished", 0) + 1
    _state["runs_finished"] = _state.get("runs_finished", 0) + len(recs)
    _state["cost_finished"] = _state.get("cost_finished", 0) + unit_cost(cfgs)
    _state["train_s"] = round(_state.get("train_s", 0.0) + float(recs[0].meta.get("wall_s", 0)), 1)
    _state["last"] = recs[0].key
    _write_status()
