"""Seconds per training step, in rounds that are independent of each other: the clock behind
the chapters' costs in seconds (chapter 2's EGD cost, chapter 7's seconds to 95%).

`step_seconds` trains one config on one thread for `lead` + `steps` steps with a clock that
stamps the end of every optimizer step (the probe `step_clock`); the time from the end of step
`lead` to the end of the last step, over `steps`, is its seconds per step. Setup (data, model)
and the evaluations at the start and the end lie outside that span, and so does every step up
to `lead` = max(offset, 1) (the first step pays lazy initialization; a method may do nothing
until a window fills, as Grokfast-MA's 100 gradients), so the cost is the step's own, in its
steady state.

`timed_rounds` times several configs side by side, `rounds` times. Each round runs in a **fresh
Python process**: one untimed run warms it up, then each config is timed in turn, so that a drift
in the machine's speed hits them alike. Until December 2026 the rounds ran one after another in
the same process; they shared its memory layout, allocator and thread placement, so their
spread could not hold what changes between processes, and Welch's interval
(grokcore.estimates.timed_speedup) takes the rounds as independent. What moves between whole
sessions (another day, another host of the same CPU model) is measured apart, from every timing
the stores' history holds (bench/timing_sessions.py), and joins the claims' intervals too; what
differs between CPU models stays out of any one timing, which is of its record's CPU (meta "cpu").
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

import torch

from .hooks import Context, Hook

CLOCK = "grokcore.timing:step_clock"  # the probe that stamps every step
_clock = time.perf_counter  # the stamps' clock (a test replaces it with a counter)


class _StepClock(Hook):
    """A time stamp after every optimizer step, handed to each member's record meta as
    `step_stamps` (stamp j: the end of step j + 1). Not resumable: a timing is of one
    uninterrupted run."""

    def setup(self, ctx: Context) -> None:
        self.stamps: list[float] = []

    def after_update(self, ctx: Context) -> None:
        self.stamps.append(_clock())

    def finish(self, i: int, history: dict, meta: dict) -> None:
        meta["step_stamps"] = list(self.stamps)


def step_clock(cfg: Any) -> Hook:
    """The probe CLOCK names: a _StepClock (RunConfig.probes)."""
    return _StepClock()


def at_budget(cfg: Any, steps: int) -> Any:
    """`cfg` (a RunConfig or a config wrapping one in `run`) trained for `steps` steps, evaluated
    only at the start and the end, with no stop, no per-evaluation logging, and no probe but the
    step clock."""
    if hasattr(cfg, "run"):
        return dataclasses.replace(cfg, run=at_budget(cfg.run, steps))
    return cfg.replace(
        num_steps=steps,
        eval_every=steps,
        stop_at_test_acc=None,
        spectrum_of=(),
        log_entropy=False,
        probes=(CLOCK,),
    )


def step_seconds(cfg: Any, steps: int, offset: int = 0) -> float:
    """Seconds per training step of `cfg`, in its steady state: one run of lead + `steps` steps
    on one thread, lead = max(offset, 1), and the time from the end of step lead to the end of
    the last step, over `steps` (the step clock's stamps)."""
    if steps < 1 or offset < 0:
        raise ValueError(f"step_seconds needs steps >= 1 and offset >= 0, got {steps}, {offset}")
    lead = max(offset, 1)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        [rec] = type(cfg).train([at_budget(cfg, lead + steps)])
    finally:
        torch.set_num_threads(threads)
    stamps = rec.meta["step_stamps"]
    if len(stamps) != lead + steps:
        raise RuntimeError(f"the step clock stamped {len(stamps)} steps of {lead + steps}")
    return (stamps[-1] - stamps[lead - 1]) / steps


def one_round(runs: Sequence[Any], steps: int, offset: int) -> list[float]:
    """One round in this process: an untimed warm-up run of runs[0] (lazy initialization,
    caches), then the seconds per step of each of `runs` in turn (step_seconds)."""
    step_seconds(runs[0], steps, offset)
    return [step_seconds(r, steps, offset) for r in runs]


def timed_rounds(
    runs: Sequence[Any], steps: int, offset: int = 0, rounds: int = 5, fresh: bool = True
) -> list[list[float]]:
    """Per config of `runs`, its seconds per step in each of `rounds` rounds (one_round), each
    round in a fresh Python process (`fresh`; False: in this one, for tests and benchmarks that
    patch the clock)."""
    if not runs or rounds < 1:
        raise ValueError(f"timed_rounds needs a run and a round, got {len(runs)} and {rounds}")
    if steps < 1 or offset < 0:
        raise ValueError(f"timed_rounds needs steps >= 1 and offset >= 0, got {steps}, {offset}")
    per_round = [
        _in_fresh_process(runs, steps, offset) if fresh else one_round(runs, steps, offset)
        for _ in range(rounds)
    ]
    return [list(t) for t in zip(*per_round)]


def _in_fresh_process(runs: Sequence[Any], steps: int, offset: int) -> list[float]:
    """one_round in a new interpreter (subprocess, not multiprocessing: a Dask or pool worker may
    be daemonic, and daemonic processes may not have children). The configs go in, and the
    seconds come back, as pickles in a temporary directory; the child imports what this process
    imports (its sys.path), with one thread for every library."""
    with tempfile.TemporaryDirectory(prefix="grokcore-timing-") as tmp:
        job, out = Path(tmp) / "job.pkl", Path(tmp) / "out.pkl"
        job.write_bytes(pickle.dumps((list(runs), steps, offset)))
        env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        env["PYTHONPATH"] = os.pathsep.join(p or os.getcwd() for p in sys.path)
        code = "import sys; from grokcore.timing import _child; _child(sys.argv[1], sys.argv[2])"
        done = subprocess.run(
            [sys.executable, "-c", code, str(job), str(out)],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0 or not out.exists():
            raise RuntimeError(
                f"a timing round's process failed (exit {done.returncode}):\n{done.stderr[-2000:]}"
            )
        return pickle.loads(out.read_bytes())


def _child(job: str, out: str) -> None:
    """The fresh process's side of _in_fresh_process."""
    runs, steps, offset = pickle.loads(Path(job).read_bytes())
    Path(out).write_bytes(pickle.dumps(one_round(runs, steps, offset)))
