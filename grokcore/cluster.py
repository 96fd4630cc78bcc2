"""Sweeps on a dask.distributed cluster: an executor that grokcore.sweep.run_or_load can use.

    GROKCORE_EXECUTOR=tcp://host:8786 make book         # every run_or_load of the build
    run_or_load(cfgs, executor=dask_executor("tcp://host:8786"))   # one sweep, in a notebook

Workers need only the installed project (``pip install -e ".[cluster]"``) and one thread each
(``dask worker tcp://host:8786 --nthreads 1 --nworkers N``): a unit then trains in one
single-threaded process, as in the local pool, so its numbers equal a local run's. The client
(the notebook or build) writes every record: a worker only returns records. A worker that dies
mid-unit loses that unit only; the scheduler runs it again on another worker (up to
``distributed.scheduler.allowed-failures`` times), so each record is written exactly once.

``GROKCORE_EXECUTOR=local:N`` starts a LocalCluster of N single-threaded worker processes (for
trying the cluster path on one machine).

This module steers where units train and never computes a number: it is outside the code
fingerprint (grokcore.fingerprint.LIBRARY_READERS).
"""

from __future__ import annotations

import functools
import importlib
import os
import threading
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any, Callable, Sequence

ENV = "GROKCORE_EXECUTOR"
THREAD_PREFIX = "grokcore-in-process"  # names InProcess's worker thread


def _in_worker(fn: Callable, modules: Sequence[str], *args: Any) -> Any:
    """Run fn on a worker as a local pool worker would: one torch thread, and the modules that
    registered transforms, optimizers or probes imported."""
    import torch

    torch.set_num_threads(1)
    for m in modules:
        importlib.import_module(m)
    return fn(*args)


class InProcess(Executor):
    """An executor that runs each call in this process, one at a time (one worker thread),
    whatever GROKCORE_EXECUTOR names: for a unit that must not share its machine, as a timing
    (chapters 2 and 7 time their methods alone, on the machine that renders the chapter, and its
    record names that CPU). A sweep writes each unit's records as it finishes, and cancels the
    queued ones on a failure, as with a pool.

    Its thread lives only while calls are pending: it ends once the last one has finished or
    been cancelled, and the next submit starts a new one. So an InProcess that its caller never
    shuts down (run_or_load shuts down only the executors it made) leaves no thread behind, even
    when a traceback keeps it alive."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._pending = 0
        self._shut = False

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> Future:
        with self._lock:
            if self._shut:
                raise RuntimeError("cannot schedule new futures after shutdown")
            if self._pool is None:
                self._pool = ThreadPoolExecutor(1, thread_name_prefix=THREAD_PREFIX)
            future = self._pool.submit(fn, *args, **kwargs)
            self._pending += 1
        future.add_done_callback(self._finished)  # also on cancel; at once if already done
        return future

    def _finished(self, _: Future) -> None:
        pool = None
        with self._lock:
            self._pending -= 1
            if self._pending == 0:
                pool, self._pool = self._pool, None
        if pool is not None:  # the worker exits after the call it is finishing
            pool.shutdown(wait=False)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shut = True
            pool = self._pool
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=cancel_futures)


class DaskExecutor(Executor):
    """A concurrent.futures executor over a dask.distributed Client: submit returns a
    concurrent.futures Future (dask's ClientExecutor), the function runs via _in_worker."""

    def __init__(self, client: Any, cluster: Any = None):
        self.client = client
        self.cluster = cluster  # a LocalCluster this executor started (closed on shutdown)
        self._inner = client.get_executor(pure=False)

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any):
        from .sweep import _registering_modules

        modules, unreachable = _registering_modules()
        if unreachable:
            raise RuntimeError(
                f"{unreachable} are registered in __main__ (a notebook or REPL), which cluster "
                "workers cannot import: register them in an importable module"
            )
        return self._inner.submit(functools.partial(_in_worker, fn, modules), *args, **kwargs)

    def workers(self) -> int:
        """Worker threads in the cluster now (each trains one unit at a time)."""
        info = self.client.scheduler_info(n_workers=-1)["workers"]
        return sum(w.get("nthreads", 1) for w in info.values())

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Keep the client: run_or_load shuts down only executors it made itself."""


def dask_executor(address: str) -> DaskExecutor:
    """An executor on the scheduler at address (``tcp://host:port``), or on a new LocalCluster
    of N single-threaded worker processes (``local:N``)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ImportError(
            f"{ENV}={address!r} needs dask.distributed: pip install -e '.[cluster]'"
        ) from None
    if address.startswith("local:"):
        n = address.removeprefix("local:")
        if not n.isdigit() or int(n) < 1:
            raise ValueError(f"{ENV}={address!r}: local:N needs N >= 1 workers")
        cluster = LocalCluster(
            n_workers=int(n), threads_per_worker=1, processes=True, dashboard_address=None
        )
        return DaskExecutor(Client(cluster), cluster)
    if not address.startswith(("tcp://", "tls://", "ucx://", "inproc://")):
        raise ValueError(
            f"{ENV}={address!r}: expected a scheduler address (tcp://host:8786) or local:N"
        )
    return DaskExecutor(Client(address))


@functools.cache
def _from_address(address: str) -> DaskExecutor:
    return dask_executor(address)


def from_env() -> Executor | None:
    """The executor GROKCORE_EXECUTOR names (one per process, reused), or None (local pool)."""
    address = os.environ.get(ENV, "").strip()
    return _from_address(address) if address else None


def workers(executor: Executor | None) -> int | None:
    """How many units the executor runs at once, if it says (a DaskExecutor does)."""
    return executor.workers() if isinstance(executor, DaskExecutor) else None
