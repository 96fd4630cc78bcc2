"""Campaigns: train every missing or stale run of a scale, within a time budget, resumably.

    python -m grokcore campaign --scale paper [--chapters 03,04] [--hours 6] [--status FILE]
    make campaign SCALE=paper CHAPTERS=03,04 HOURS=6
    make campaign SCALE=paper CHAPTERS=04 PARAMS="grokfast_settings=[adam-l2] transplant_seeds=0"

A campaign has two phases. First, the runs it already knows: every record shipped in the
scale's stores (grokcore.store) whose current record is missing or stale is retrained, longest
first, with a progress bar whose ETA comes from the recorded wall times. Then it executes each
chapter (book/build.py --only, at the scale), which trains what no store knows yet (a first
paper-scale campaign discovers its runs this way), packs the chapter's store and records the
chapter's verdicts in book/results/claims-<scale>.json (the README's table reads them).
``--param NAME=YAML`` (one chapter) runs part of its plan, as book/build.py --param does: phase 2
alone, the runs added to the chapter's store (not replacing it), each verdict marked as from it.

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
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

from .records import atomic_write

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
    state = {**_state, "updated": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    atomic_write(Path(path), json.dumps(state, indent=1).encode())


def planned(units: Sequence[list]) -> None:
    """run_or_load is about to train these units: none starts once the deadline has passed
    (BudgetSpent), whatever the executor (a pool starts its units when they are submitted, and a
    chapter calls run_or_load once per group of runs, so a check between completions alone let
    sweeps begun after the deadline train their first units)."""
    check_budget()
    if not os.environ.get(STATUS):
        return
    from .sweep import unit_cost

    _state.setdefault("started", time.time())
    _state["units_planned"] = _state.get("units_planned", 0) + len(units)
    _state["cost_planned"] = _state.get("cost_planned", 0) + sum(unit_cost(u) for u in units)
    _write_status()


def finished(recs: Sequence[Any]) -> None:
    """run_or_load has written a unit's records: trace them at once (a campaign stopped by its
    budget mid-sweep still ships what finished) and count them in the status file."""
    from . import store

    store.note_use(r.key for r in recs)
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


# ---- the campaign command


def _known_todo(scale: str, chapters: Sequence[str] | None) -> list[tuple[Any, float]]:
    """The runs the scale's stores list whose current record is missing or stale, with the
    wall seconds their shipped record took (the ETA's weight)."""
    from . import store
    from .records import lookup

    todo = []
    for path in store.stores(scale):
        name = path.name.removesuffix(".jsonl.xz")
        if chapters and not any(name.startswith(c) for c in chapters):
            continue
        for rec in store.read_store(path):
            if lookup(rec.key, rec.cfg).record is None:
                todo.append((rec.cfg, float(rec.meta.get("wall_s") or 0.0)))
    return todo


def _status(path: Path, **fields: Any) -> None:
    fields = {**fields, "updated": datetime.now(timezone.utc).isoformat()}
    atomic_write(path, json.dumps(fields, indent=1).encode())


def _train_known(todo: list[tuple[Any, float]], status: Path) -> None:
    """Phase 1: retrain the known runs, longest first, one unit per run_or_load call so that
    the bar advances by recorded seconds (its ETA is then the recorded time left)."""
    from tqdm import tqdm

    from .sweep import run_or_load

    todo = sorted(todo, key=lambda t: -t[1])
    total = sum(w for _, w in todo)
    with tqdm(total=round(total), unit="s", desc="known runs", file=sys.stderr) as bar:
        for i, (cfg, wall) in enumerate(todo):
            run_or_load([cfg])
            bar.update(round(wall))
            _status(status, phase="known runs", done=i + 1, of=len(todo), seconds_left=total)
            total -= wall


class Watch:
    """A chapter's progress bar (campaign phase 2, book/build.py): a thread that reads the
    kernel's units status file (GROKCORE_STATUS) every few seconds and shows member-steps
    finished out of those planned so far, with tqdm's rate-based ETA (a chapter plans sweep
    after sweep, so the total grows as it goes). `every`: seconds between reads (default 5 on a
    terminal, 60 in a log, where each read prints a line)."""

    def __init__(self, units: Path, desc: str, every: float | None = None):
        import threading

        from tqdm import tqdm

        if every is None:
            every = 5.0 if sys.stderr.isatty() else 60.0
        self.units, self.every, self.desc = units, every, desc
        self.bar: Any = None  # made at the first planned unit: a chapter served whole shows none
        self._tqdm = tqdm
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def poll(self) -> None:
        try:
            state = json.loads(self.units.read_text())
        except (OSError, ValueError):
            return
        planned = int(state.get("cost_planned", 0))
        if self.bar is None:
            if planned <= 0:
                return
            self.bar = self._tqdm(
                total=planned, unit="step", desc=self.desc, file=sys.stderr, unit_scale=True
            )
        self.bar.total = max(planned, self.bar.total or 0)
        self.bar.n = int(state.get("cost_finished", 0))
        self.bar.refresh()

    def _run(self) -> None:
        while not self.stop.wait(self.every):
            self.poll()

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.poll()
        if self.bar is not None:
            self.bar.close()


def record_verdicts(
    build: Any,
    executed: Path,
    stem: str,
    scale: str,
    stems: Sequence[str],
    root: Path,
    params: dict | None = None,
) -> Path:
    """Put the verdicts of a chapter the campaign executed in book/results/claims-<scale>.json,
    in place of that chapter's earlier rows (the others' stay): the README's table shows a scale's
    verdicts for the chapters whose campaigns ran, before the whole book has run at it. With
    `params` (part of the plan) each row says so, as book/build.py --param writes them."""
    path = root / "book" / "results" / f"claims-{scale}.json"
    rows = build.with_params(build.read_claims(executed), params or {})
    build.snapshot(build.merge_chapter(path, rows, stem, list(stems)), path)
    return path


def load_build(root: Path) -> Any:
    """book/build.py as a module (a script, not in a package): execute, pack_chapter, ..."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("grokbook_build", root / "book" / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    return build


def main(argv: list[str] | None = None) -> int:
    """Train a scale's missing and stale runs within a budget; 0 done, 3 budget spent, 1 a
    chapter failed (its message printed; the runs that finished are kept)."""
    import argparse

    p = argparse.ArgumentParser(
        prog="python -m grokcore campaign", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("--scale", choices=("cpu", "paper"), default="paper")
    p.add_argument("--chapters", help="comma-separated chapter prefixes, e.g. 03,04 (default all)")
    p.add_argument("--hours", type=float, help="time budget in hours (default none)")
    p.add_argument("--status", type=Path, help="status file (default .cache/campaign-<scale>.json)")
    p.add_argument("--executor", help="a dask.distributed scheduler (tcp://host:8786) or local:N")
    p.add_argument("--plan", action="store_true", help="list what phase 1 would train, and stop")
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=YAML",
        help="with --chapters naming one chapter: a notebook parameter besides the scale, as "
        "book/build.py --param takes it; the campaign trains that part of the chapter's plan "
        "(phase 2 only), adds its runs to the store and marks the verdicts as from it",
    )
    args = p.parse_args(argv)
    if args.hours is not None and args.hours <= 0:
        p.error(f"--hours must be > 0, got {args.hours}")
    root = Path(__file__).resolve().parents[1]
    chapters = [c.strip() for c in args.chapters.split(",")] if args.chapters else None
    stems = all_stems = sorted(q.stem for q in (root / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if chapters:
        unknown = [c for c in chapters if not any(s.startswith(c) for s in stems)]
        if unknown:
            p.error(f"--chapters {unknown}: no notebook starts so (have {stems})")
        stems = [s for s in stems if any(s.startswith(c) for c in chapters)]
    if args.param and len(stems) != 1:
        p.error(f"--param needs --chapters naming one chapter (it names {len(stems)})")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    build = load_build(root)
    try:  # checked before anything trains; a value is checked by the notebook's first cell
        params = build.parse_params(args.param, stems[0] if args.param else None)
        build.check_param_names(root / "notebooks" / f"{stems[0]}.ipynb", params)
    except build.BuildError as e:
        p.error(str(e).replace("--only", "--chapters"))
    status = args.status or root / ".cache" / f"campaign-{args.scale}.json"
    status.parent.mkdir(parents=True, exist_ok=True)
    if args.hours is not None:
        os.environ[DEADLINE] = str(time.time() + 3600 * args.hours)
    if args.executor:
        os.environ["GROKCORE_EXECUTOR"] = args.executor

    from . import store

    store.unpack(args.scale)
    # a part of a plan trains what that part needs, in phase 2; not the chapter's other runs
    todo = [] if params else _known_todo(args.scale, chapters)
    hours = sum(w for _, w in todo) / 3600
    print(
        f"phase 1: {len(todo)} shipped {args.scale} runs missing or stale here "
        f"(~{hours:.1f} CPU-hours as recorded)",
        file=sys.stderr,
    )
    if args.plan:
        for cfg, wall in sorted(todo, key=lambda t: -t[1]):
            print(f"{wall:8.0f} s  {cfg!r}"[:160])
        return 0
    units = status.with_suffix(".units.json")
    os.environ[STATUS] = str(units)  # the kernels' run_or_load counts units here
    phase_stem = None
    try:
        _train_known(todo, status)
        for stem in stems:  # phase 2: what the stores do not know yet
            phase_stem = stem
            _status(status, phase="chapters", chapter=stem, units=str(units))
            print(f"phase 2: executing {stem} at {args.scale} (units: {units})", file=sys.stderr)
            source = root / "notebooks" / f"{stem}.ipynb"
            # not book/chapters/, where the book's own scale is rendered from
            executed = root / ".cache" / f"campaign-{args.scale}" / f"{stem}.ipynb"
            units.unlink(missing_ok=True)  # the kernel counts this chapter's units afresh
            watch = Watch(units, stem)
            try:
                trace = build.trace_path(args.scale, stem)
                build.execute(source, executed, args.scale, trace, params or None)
            finally:
                watch.close()
            store_line = build.pack_chapter(stem, args.scale, keep=bool(params))
            print(f"  store: {store_line}", file=sys.stderr)
            record_verdicts(build, executed, stem, args.scale, all_stems, root, params)
    except (BudgetSpent, build.BuildError) as e:
        # the budget, or an error in a chapter (its notebook's parameter check, a failing run):
        # either way the runs that finished in it are shipped, since the cache does not outlive
        # the machine and the store does
        spent = isinstance(e, BudgetSpent) or "BudgetSpent" in str(e)
        if phase_stem is not None:  # ship what finished in the chapter it stopped in
            keys = store.traced(build.trace_path(args.scale, phase_stem))
            if keys:
                path, _ = store.add(phase_stem, args.scale, keys)
                print(f"kept {len(keys)} finished runs in {path}", file=sys.stderr)
        _status(status, phase="budget spent" if spent else "failed", error=str(e))
        if not spent:
            print(f"campaign stopped: {e}", file=sys.stderr)
            return 1
        print(
            "budget spent: finished runs are kept; rerun the same command to resume",
            file=sys.stderr,
        )
        return 3
    _status(status, phase="done", chapters=stems)
    print(
        f"campaign done: {', '.join(stems)} at {args.scale}; "
        f"`make book SCALE={args.scale}` renders them",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    from grokcore import campaign as _campaign  # one module object, not a __main__ copy

    sys.exit(_campaign.main())
