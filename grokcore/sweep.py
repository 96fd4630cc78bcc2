"""Run many configs: load what is recorded, train the rest as independent units.

A unit is a list of configs that differ only in seed (trained as one stacked model). Units go
to any concurrent.futures-style executor; by default a local process pool with one
single-threaded worker per core (faster on CPU than one multi-threaded process).
"""

from __future__ import annotations

import contextlib
import importlib
import math
import multiprocessing as mp
import os
import sys
import warnings
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Sequence

import torch

from . import campaign, cluster, store
from .config import RunConfig
from .records import (
    CacheMiss,
    RunRecord,
    Stale,
    StaleRecords,
    cache_dir,
    clean_temp,
    lookup,
    record_path,
    write_record,
)

# Allocator settings for the worker processes (no effect on results). Freshly mapped memory is
# slow to touch on the CPU machines here: an elementwise op writing a new 10 MB tensor ran at
# ~3.5 GB/s against ~18 GB/s into reused memory. Huge pages for PyTorch's large tensors and a
# glibc heap that keeps freed memory make chapter 4's training 3-7% faster (bench/README.md).
WORKER_ENV = {
    "THP_MEM_ALLOC_ENABLE": "1",
    "MALLOC_MMAP_THRESHOLD_": str(2**32),
    "MALLOC_TRIM_THRESHOLD_": str(2**36),
}


def run_unit(cfgs: list, device: str = "cpu", progress: bool = False) -> list[RunRecord]:
    """Train one unit in this process: its configs' class says how (`Experiment.train`)."""
    if isinstance(cfgs[0], RunConfig):
        from .train import train_stack

        return train_stack(cfgs, device=device, progress=progress)
    return type(cfgs[0]).train(cfgs, device)


def plan_units(cfgs: Sequence[Any], workers: int, max_stack: int | None = None) -> list[list]:
    """Group configs by stack key; split groups so there are at least `workers` units."""
    groups: dict[str, list] = {}
    for c in cfgs:
        groups.setdefault(c.stack_key, []).append(c)
    chunks = max(1, math.ceil(workers / max(1, len(groups))))
    units = []
    for group in groups.values():
        size = math.ceil(len(group) / min(chunks, len(group)))
        if max_stack:
            size = min(size, max_stack)
        units += [group[i : i + size] for i in range(0, len(group), size)]
    # longest first: a long unit started last would leave the other workers idle at the end
    return sorted(units, key=unit_cost, reverse=True)


def unit_cost(unit: list) -> float:
    """A unit's work estimate: members x optimizer steps (a config without a step budget counts
    1)."""
    cfg = unit[0]
    steps = (
        getattr(cfg, "num_steps", None)
        or getattr(getattr(cfg, "run", None), "num_steps", None)
        or 1
    )
    return len(unit) * steps


@contextlib.contextmanager
def _worker_env():
    """WORKER_ENV set (where the caller has not set it) while workers start; restored after."""
    added = {k: v for k, v in WORKER_ENV.items() if k not in os.environ}
    os.environ.update(added)
    try:
        yield
    finally:
        for k in added:
            os.environ.pop(k, None)


def _single_thread(modules: Sequence[str] = ()) -> None:
    """A worker's start: one thread, and the modules that registered transforms, optimizers or
    probes imported (a fresh spawn process knows only grokcore's own)."""
    torch.set_num_threads(1)
    for m in modules:
        importlib.import_module(m)


def _registering_modules() -> tuple[list[str], list[str]]:
    """Modules whose registrations (transforms, optimizers, probes) workers must import, and the
    names registered where a worker cannot import them (a notebook's or a REPL's __main__)."""
    from .hooks import PROBES
    from .optim import OPTIMIZERS
    from .transforms import TRANSFORMS

    entries = [*TRANSFORMS.items(), *OPTIMIZERS.items()]
    entries += [(n, p.make) for n, p in PROBES.items() if ":" not in n]  # "m:f" imports itself
    modules, unreachable = set(), []
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    for name, fn in entries:
        module = getattr(fn, "__module__", None) or ""
        if module == "__main__":
            if main_file is None:  # spawn re-imports a script's __main__, never a kernel's
                unreachable.append(name)
        elif module and not module.startswith("grokcore"):
            modules.add(module)
    return sorted(modules), sorted(unreachable)


def _failed(unit: list, e: BaseException) -> UnitFailed:
    more = f" (and {len(unit) - 1} more seeds of its stack)" if len(unit) > 1 else ""
    return UnitFailed(f"training failed for {unit[0]!r}{more}: {type(e).__name__}: {e}")


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def run_or_load(
    cfgs: Sequence[Any],
    *,
    recompute: bool = False,
    executor: Executor | None = None,
    workers: int | None = None,
    device: str = "cpu",
    max_stack: int | None = None,
    progress: bool = False,
) -> list[RunRecord]:
    """Records for cfgs, in order: loaded when a valid record exists, else trained and saved.

    A record made by other code (a stale record, grokcore.fingerprint) is retrained, and the new
    record replaces the stale file where it was (committed under book/results/ or cached).
    recompute=True trains even when a record exists (the new one, the freshest, is then served).
    GROKCORE_REQUIRE_CACHE=1 raises CacheMiss instead of training (StaleRecords, naming them,
    when records are stale). On CPU each seed is its own unit unless max_stack says otherwise:
    stacking barely pays on a CPU, and a single run's float32 numbers then never depend on which
    sweep it was part of. On a GPU, seeds stack (max_stack=None).

    The environment steers a whole build (book/build.py, grokcore.campaign) without touching
    the notebooks: GROKCORE_EXECUTOR (a dask.distributed scheduler, grokcore.cluster) is the
    executor when none is given; GROKCORE_RECOMPUTE_SINCE (an ISO time) retrains records created
    before it, once each; GROKCORE_DEADLINE stops cleanly (BudgetSpent) once it has passed;
    GROKCORE_TRACE names the file each served key is appended to (grokcore.store)."""
    cfgs = list(cfgs)
    found: dict[str, RunRecord] = {}
    stale: dict[str, list[Stale]] = {}
    since = campaign.recompute_since()
    if not recompute:
        for c in {c.key(): c for c in cfgs}.values():
            hit = lookup(c.key(), c)
            if hit.record is not None and not campaign.older(hit.record, since):
                found[c.key()] = hit.record
            elif hit.stale:
                stale[c.key()] = hit.stale
    todo = list({c.key(): c for c in cfgs if c.key() not in found}.values())
    if todo and os.environ.get("GROKCORE_REQUIRE_CACHE") == "1":
        raise _require_cache_error(todo, stale)
    if todo:
        on_gpu = device != "cpu"
        executor = executor or cluster.from_env()
        workers = 1 if on_gpu else (workers or cluster.workers(executor) or default_workers())
        if max_stack is None and not on_gpu:
            max_stack = 1
        clean_temp()
        units = plan_units(todo, workers, max_stack)
        campaign.planned(units)
        locks = KeyLocks()
        mine, theirs = [], []  # units this process trains; units another process is training
        for u in units:
            (mine if locks.try_take([c.key() for c in u]) else theirs).append(u)

        def keep(recs: list[RunRecord]) -> None:
            for rec in recs:
                for path in _targets(rec.key, stale.get(rec.key, [])):
                    write_record(rec, path=path)
                found[rec.key] = rec
            locks.release([r.key for r in recs])
            campaign.finished(recs)

        try:
            for recs in _execute(mine, executor, workers, device, progress):
                keep(recs)
            for u in theirs:  # wait for the other process, then read what it wrote
                locks.take([c.key() for c in u])
                left = []
                for c in u:
                    hit = lookup(c.key(), c)
                    if hit.record is not None and not campaign.older(hit.record, since):
                        found[c.key()] = hit.record
                    else:  # it stopped without a record (killed or failed): train it here
                        left.append(c)
                for recs in _execute([left] if left else [], executor, 1, device, progress):
                    keep(recs)
        finally:
            locks.release_all()
    store.note_use(found)
    return [found[c.key()] for c in cfgs]


class UnitFailed(RuntimeError):
    """A unit's training raised: the error names its configs; finished units were kept."""


class KeyLocks:
    """One lock file per record key (filelock, released by the OS if this process dies), so
    that two processes sharing a cache never train the same config twice: the second waits
    for the first and reads its record."""

    def __init__(self, root: Path | None = None):
        from filelock import FileLock

        self._make = FileLock
        self.root = (root or cache_dir()) / ".locks"
        self.held: dict[str, Any] = {}

    def _lock(self, key: str) -> Any:
        path = self.root / key[:2] / f"{key}.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        return self._make(str(path))

    def try_take(self, keys: Sequence[str]) -> bool:
        """Take every key's lock now, or none of them (False: another process holds one)."""
        from filelock import Timeout

        taken = []
        for key in keys:
            lock = self._lock(key)
            try:
                lock.acquire(timeout=0)
            except Timeout:
                for k, held in taken:
                    held.release()
                return False
            taken.append((key, lock))
        self.held.update(taken)
        return True

    def take(self, keys: Sequence[str]) -> None:
        """Take every key's lock, waiting for the process that holds it."""
        for key in keys:
            lock = self._lock(key)
            lock.acquire()
            self.held[key] = lock

    def release(self, keys: Sequence[str]) -> None:
        for key in keys:
            lock = self.held.pop(key, None)
            if lock is not None:
                lock.release()

    def release_all(self) -> None:
        self.release(list(self.held))


def _targets(key: str, stale: list[Stale]) -> list[Path]:
    """Where a new record goes: over each stale file of its key, and into the cache unless only
    committed stale files exist (a corrupt cached file is replaced too)."""
    cached = record_path(key)
    paths = [s.path for s in stale]
    return paths + [cached] if cached not in paths and (cached.exists() or not paths) else paths


def _require_cache_error(todo: list, stale: dict[str, list[Stale]]) -> CacheMiss:
    """The GROKCORE_REQUIRE_CACHE=1 error: the stale records by key and path (and which code
    files changed), then the runs that have no record at all."""
    missing = [c for c in todo if c.key() not in stale]
    lines = [s.describe() for ss in stale.values() for s in ss]
    msg = f"GROKCORE_REQUIRE_CACHE=1 and {len(todo)} runs have no current record"
    if lines:
        msg += (
            f"; {len(stale)} have stale records (made by other code; `python -m "
            f"grokcore.records restamp` keeps them if the change keeps the numbers):\n  "
            + "\n  ".join(lines[:20])
        )
        if len(lines) > 20:
            msg += f"\n  ... {len(lines) - 20} more"
    if missing:
        msg += f"\n{len(missing)} runs have no record; first: {missing[0]}"
    return (StaleRecords if stale else CacheMiss)(msg)


def _execute(
    units: list[list], executor: Executor | None, workers: int, device: str, progress: bool
):
    """Yield each unit's records as it completes."""
    modules, unreachable = _registering_modules()
    if executor is None and workers > 1 and len(units) > 1 and unreachable:
        warnings.warn(
            f"{unreachable} are registered in __main__ (a notebook or REPL), which worker "
            "processes cannot import: training in this process. Register them in an importable "
            "module to train on every core.",
            stacklevel=3,
        )
        workers = 1
    if executor is None and (workers == 1 or len(units) == 1):
        for u in units:  # a failure ends the loop: the units after it are not started
            campaign.check_budget()
            try:
                recs = run_unit(u, device, progress)
            except Exception as e:
                raise _failed(u, e) from e
            yield recs
        return
    own = executor is None
    if own:
        ctx = mp.get_context("spawn")  # fork after torch has started threads can deadlock
        executor = ProcessPoolExecutor(
            min(workers, len(units)),
            mp_context=ctx,
            initializer=_single_thread,
            initargs=(modules,),
        )
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(units), unit="unit", file=sys.stderr, leave=False)
    failed = None
    try:
        with _worker_env() if own else contextlib.nullcontext():  # workers start during the submits
            futures = {executor.submit(run_unit, u, device): u for u in units}
        for f in as_completed(futures):
            if f.cancelled():
                continue
            try:
                recs = f.result()
            except Exception as e:
                if failed is None:  # cancel what has not started; running units finish, kept
                    failed = _failed(futures[f], e)
                    failed.__cause__ = e
                    for g in futures:
                        g.cancel()
                continue
            yield recs
            if bar is not None:
                bar.update(1)
            if failed is None and campaign.past_deadline():  # stop cleanly: as for a failure
                failed = campaign.BudgetSpent("the time budget (GROKCORE_DEADLINE) is spent")
                for g in futures:
                    g.cancel()
        if failed is not None:
            raise failed
    finally:
        if bar is not None:
            bar.close()
        if own:
            executor.shutdown()
