"""Faults in a sweep: a failing unit, two processes on one config, a kill mid-write, and a
sweep SIGKILLed at random moments and resumed (grokcore.sweep, grokcore.records)."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from grokcore import cluster, records, sweep
from grokcore.config import MLPConfig, ModularTask, OptimConfig, RunConfig
from grokcore.sweep import KeyLocks, UnitFailed, run_or_load

ROOT = Path(__file__).resolve().parents[2]
CFG = RunConfig(
    task=ModularTask(p=7),
    model=MLPConfig(width=8),
    optim=OptimConfig(batch_size=None),
    num_steps=5,
    eval_every=5,
)


def _failing_run_unit(bad_seed: int, ran: list):
    real = sweep.run_unit

    def run(unit, device="cpu", progress=False):
        ran.append(unit[0].seed)
        if unit[0].seed == bad_seed:
            raise FloatingPointError("boom")
        return real(unit, device, progress)

    return run


def test_a_failing_unit_names_its_config_and_keeps_what_finished(monkeypatch):
    ran = []
    monkeypatch.setattr(sweep, "run_unit", _failing_run_unit(1, ran))
    cfgs = [CFG.replace(seed=s) for s in range(4)]
    with pytest.raises(UnitFailed, match=r"seed=1.*FloatingPointError: boom"):
        run_or_load(cfgs, workers=1)
    assert ran == [0, 1]  # the units after the failure never started
    assert records.load_record(cfgs[0].key()) is not None
    assert all(records.load_record(c.key()) is None for c in cfgs[1:])


def test_a_failing_unit_on_an_executor_cancels_the_queue(monkeypatch):
    ran = []
    monkeypatch.setattr(sweep, "run_unit", _failing_run_unit(0, ran))
    cfgs = [CFG.replace(seed=s) for s in range(6)]
    with ThreadPoolExecutor(1) as pool, pytest.raises(UnitFailed, match="seed=0") as err:
        run_or_load(cfgs, executor=pool, workers=1)
    assert isinstance(err.value.__cause__, FloatingPointError)
    assert len(ran) < 6  # queued units were cancelled, not run and discarded
    kept = [c.seed for c in cfgs if records.load_record(c.key()) is not None]
    assert set(kept) == set(ran) - {0}  # every unit that ran to the end is kept


def test_in_process_runs_here_whatever_the_environment_names_one_unit_at_a_time(monkeypatch):
    monkeypatch.setenv(cluster.ENV, "tcp://nowhere.invalid:1")  # never reached
    ran = []
    monkeypatch.setattr(sweep, "run_unit", _failing_run_unit(2, ran))
    cfgs = [CFG.replace(seed=s) for s in range(4)]
    assert [r.key for r in run_or_load(cfgs[:2], executor=cluster.InProcess())] == [
        c.key() for c in cfgs[:2]
    ]
    with pytest.raises(UnitFailed, match="seed=2") as err:
        run_or_load(cfgs, executor=cluster.InProcess(), workers=1)
    assert isinstance(err.value.__cause__, FloatingPointError)
    assert ran[:3] == [0, 1, 2]  # one at a time, in order (3 runs only if it started first)
    assert all(records.load_record(c.key()) is not None for c in cfgs[:2])


def _in_process_threads():
    """InProcess's worker threads still alive once each has had a moment to exit."""
    threads = [t for t in threading.enumerate() if t.name.startswith(cluster.THREAD_PREFIX)]
    for t in threads:
        t.join(timeout=10)
    return [t for t in threads if t.is_alive()]


def test_in_process_leaves_no_thread_behind_after_a_sweep_or_a_failure(monkeypatch):
    ran = []
    monkeypatch.setattr(sweep, "run_unit", _failing_run_unit(1, ran))
    cfgs = [CFG.replace(seed=s) for s in range(3)]
    kept = cluster.InProcess()  # never shut down, and still referenced
    run_or_load(cfgs[:1], executor=kept)
    assert _in_process_threads() == []
    with pytest.raises(UnitFailed):
        run_or_load(cfgs, executor=kept, workers=1)
    assert _in_process_threads() == []
    assert [r.key for r in run_or_load(cfgs[:1], executor=kept)] == [cfgs[0].key()]  # reusable


def test_in_process_runs_calls_in_order_on_one_thread_and_honours_cancel_and_shutdown():
    ex = cluster.InProcess()
    gate = threading.Event()
    names, order = [], []

    def call(i):
        gate.wait(10)
        names.append(threading.current_thread().name)
        order.append(i)
        return i * i

    futures = [ex.submit(call, i) for i in range(3)]
    assert futures[2].cancel()  # queued behind the first: cancelled, never run
    gate.set()
    assert [f.result() for f in futures[:2]] == [0, 1]
    assert order == [0, 1] and len(set(names)) == 1
    assert names[0].startswith(cluster.THREAD_PREFIX)
    assert _in_process_threads() == []  # the cancelled call counted as finished
    assert ex.submit(call, 4).result() == 16  # a new thread for new work
    ex.shutdown()
    with pytest.raises(RuntimeError, match="after shutdown"):
        ex.submit(call, 5)
    assert _in_process_threads() == []


def test_key_locks_are_exclusive_between_processes(tmp_cache):
    locks = KeyLocks()
    assert locks.try_take(["k1", "k2"])
    code = textwrap.dedent(
        f"""
        import sys; sys.path.insert(0, {str(ROOT)!r})
        from grokcore.sweep import KeyLocks
        a, b = KeyLocks(), KeyLocks()  # kept alive: a lock object frees its lock when deleted
        print(a.try_take(["k2", "k3"]), b.try_take(["k3"]))
        """
    )
    env = dict(os.environ, GROKCORE_CACHE=str(tmp_cache))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.split() == ["False", "True"]  # k2 is held here; k3 was left free
    locks.release_all()
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.split() == ["True", "False"]  # the second lock object sees the first's


def test_a_config_another_process_is_training_is_waited_for_not_trained(monkeypatch):
    trained = []
    real = sweep.run_unit
    monkeypatch.setattr(
        sweep, "run_unit", lambda u, d="cpu", p=False: trained.append(u[0].seed) or real(u, d, p)
    )
    other = KeyLocks()  # "another process" holds seed 1's key while it trains it
    cfgs = [CFG.replace(seed=s) for s in range(3)]
    assert other.try_take([cfgs[1].key()])
    theirs = real([cfgs[1]])[0]
    records.write_record(theirs)

    def release_later():
        time.sleep(0.5)
        other.release_all()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(release_later)
        got = run_or_load(cfgs, workers=1)
    assert sorted(trained) == [0, 2]  # seed 1 was read from the other process's record
    assert got[1].meta["wall_s"] == theirs.meta["wall_s"]


def test_temp_files_of_dead_writers_are_cleaned(tmp_cache):
    rec = run_or_load([CFG])[0]
    folder = records.record_path(rec.key).parent
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], text=True,
                          capture_output=True).stdout.strip()  # fmt: skip
    left = folder / f".{rec.key}.{dead}.abc.tmp"
    mine = folder / f".{rec.key}.{os.getpid()}.abc.tmp"
    left.write_text("{half a rec")
    mine.write_text("{being written")
    assert records.clean_temp() == [left]
    assert not left.exists() and mine.exists()


SWEEP = """
import sys; sys.path.insert(0, {root!r})
from grokcore.config import MLPConfig, ModularTask, OptimConfig, RunConfig
from grokcore.sweep import run_or_load
if __name__ == "__main__":
    cfg = RunConfig(task=ModularTask(p=11), model=MLPConfig(width=16),
                    optim=OptimConfig(batch_size=16), num_steps=300, eval_every=20)
    run_or_load([cfg.replace(seed=s) for s in range(60)], workers=2)
"""


def test_sigkill_at_random_moments_loses_no_finished_run_and_corrupts_nothing(tmp_path):
    """Kill a 60-run sweep (2 worker processes) with SIGKILL 10 times, each at a random moment
    after a run more has finished, resuming each time; then check every record against an
    uninterrupted run's."""
    script = tmp_path / "sweep.py"
    script.write_text(SWEEP.format(root=str(ROOT)))
    killed, clean = tmp_path / "killed", tmp_path / "clean"

    def start(cache: Path) -> subprocess.Popen:
        env = dict(os.environ, GROKCORE_CACHE=str(cache))
        return subprocess.Popen([sys.executable, str(script)], env=env, start_new_session=True)

    def done(cache: Path) -> set[str]:
        return {p.stem for p in cache.glob("??/*.json")}

    rng = random.Random(0)
    counts = []
    for _ in range(10):  # each time: once a run more has finished, kill at a random moment
        before = len(done(killed))
        proc = start(killed)
        deadline = time.monotonic() + 120
        while len(done(killed)) <= before and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, 0.3))  # runs are in flight, in training or being written
        with contextlib.suppress(ProcessLookupError):  # it may have just finished
            os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its workers
        proc.wait()
        counts.append(len(done(killed)))
    assert counts == sorted(counts) and counts[0] > 0  # a finished run is never lost
    assert counts[-1] < 60, counts  # the kills landed mid-sweep: the resume had work left
    for cache in (killed, clean):
        assert start(cache).wait(timeout=600) == 0
    assert done(killed) == done(clean) and len(done(clean)) == 60
    for key in done(clean):
        a = records.RunRecord.from_json(records.record_path(key, killed).read_text(), key)
        b = records.RunRecord.from_json(records.record_path(key, clean).read_text(), key)
        assert a.history == b.history and a.summary == b.summary  # same numbers, none corrupt
    assert not list(killed.glob("??/.*.tmp"))  # the killed writers' temp files are gone
    print("records after each kill:", counts)
