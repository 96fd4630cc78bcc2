"""Sweeps on a dask.distributed cluster (grokcore.cluster): a LocalCluster of 2 single-threaded
worker processes runs a sweep, one worker is SIGKILLed mid-sweep, and the sweep still ends with
every record written exactly once and the numbers of a local single-threaded run."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter

import pytest
import torch

from grokcore import cluster, records, sweep
from grokcore.config import MLPConfig, ModularTask, OptimConfig, RunConfig
from grokcore.sweep import run_or_load

distributed = pytest.importorskip("distributed", reason="dask.distributed is in the test extra")

# ~0.5-1 s per run on one thread: long enough that a kill lands while units are in flight
CFG = RunConfig(
    task=ModularTask(p=23),
    model=MLPConfig(width=64),
    optim=OptimConfig(batch_size=None),
    num_steps=400,
    eval_every=50,
)


def _count_writes(monkeypatch) -> Counter:
    writes: Counter = Counter()
    real = sweep.write_record

    def write(rec, root=None, path=None):
        writes[rec.key] += 1
        return real(rec, root=root, path=path)

    monkeypatch.setattr(sweep, "write_record", write)
    return writes


def test_a_sweep_on_a_local_cluster_survives_a_killed_worker(tmp_path, monkeypatch):
    cfgs = [CFG.replace(seed=s) for s in range(10)]
    monkeypatch.setenv("GROKCORE_CACHE", str(tmp_path / "local"))
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # the numbers of a single-threaded pool worker
    try:
        local = run_or_load(cfgs, workers=1)
    finally:
        torch.set_num_threads(before)

    monkeypatch.setenv("GROKCORE_CACHE", str(tmp_path / "cluster"))
    writes = _count_writes(monkeypatch)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as lc,
        distributed.Client(lc) as client,
    ):
        ex = cluster.DaskExecutor(client)
        assert ex.workers() == 2
        pids = list(client.run(os.getpid).values())
        killed = []

        def kill_after_first_record() -> None:  # mid-sweep: one unit done, others in flight
            deadline = time.time() + 120
            while not writes and time.time() < deadline:
                time.sleep(0.01)
            killed.append(sum(writes.values()))  # records written when the kill lands
            os.kill(pids[0], signal.SIGKILL)

        killer = threading.Thread(target=kill_after_first_record)
        killer.start()
        got = run_or_load(cfgs, executor=ex)
        killer.join()
    assert killed and killed[0] < len(cfgs) - 2, f"the kill came too late: {killed}"
    assert writes == Counter({c.key(): 1 for c in cfgs})  # every record exactly once
    for a, b in zip(local, got):
        assert records.first_difference(a.history, b.history) is None
        assert b.meta["threads"] == 1
    for c in cfgs:  # and on disk, loadable
        assert records.load_record(c.key()) is not None


def test_executor_from_the_environment(monkeypatch):
    monkeypatch.delenv(cluster.ENV, raising=False)
    assert cluster.from_env() is None
    assert cluster.workers(None) is None
    for bad in ("local:0", "local:x", "http://host:8786", "host:8786"):
        with pytest.raises(ValueError, match=cluster.ENV):
            cluster.dask_executor(bad)


def test_env_executor_runs_a_sweep(tmp_path, monkeypatch):
    """GROKCORE_EXECUTOR=local:2 sends run_or_load's units to a LocalCluster it starts."""
    monkeypatch.setenv("GROKCORE_CACHE", str(tmp_path))
    monkeypatch.setenv(cluster.ENV, "local:2")
    cluster._from_address.cache_clear()
    try:
        cfgs = [CFG.replace(seed=s, num_steps=20, eval_every=10) for s in range(3)]
        got = run_or_load(cfgs)
        ex = cluster.from_env()
        assert isinstance(ex, cluster.DaskExecutor) and ex.workers() == 2
        assert [r.key for r in got] == [c.key() for c in cfgs]
    finally:
        ex = cluster._from_address("local:2")
        ex.client.close()
        ex.cluster.close()
        cluster._from_address.cache_clear()
