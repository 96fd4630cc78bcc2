"""What a step of each method costs on this CPU: the clock behind the chapter's seconds.

A StepTiming times every method of one task side by side: in each of `rounds` rounds, each
method's run is trained from scratch for `offset` + `steps` steps (one seed, one thread, as the
sweeps train) with a clock that stamps the end of every optimizer step (the probe `step_clock`);
the time from the end of step `offset` to the end of the last step, over `steps`, is its seconds
per training step. Setup (data, model) and the evaluations at the start and the end lie outside
that span, and so do the first `offset` steps (Grokfast-MA leaves gradients unchanged until its
window of 100 is full; the first step pays lazy initialization and is never timed), so the cost
is the step's own, in its steady state: forward, backward, the method's filter, transform or
amplifier, the optimizer. Interleaving the methods within a round lets a drift in the machine's
speed hit them alike; one untimed run first warms the process up.

(Until December 2026 a round timed two runs, of offset + steps and offset + 2 x steps steps, and
took the difference: a second of noise in either run's setup moved a 40-step decoder timing by
25 ms a step, and a decoder method's rounds spanned up to 12x. Clocking the steps inside one run
leaves setup out of the measure instead of cancelling it.)

A StepTiming is a run record like any other: cached, shipped with the chapter's store (the book
renders the timing it holds), and measured again by a recompute on the machine at hand; never
re-stamped (a timing is of a machine, not of the code).
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from dataclasses import dataclass
from typing import Any

import torch

from grokcore.config import Experiment, from_dict
from grokcore.hooks import Context, Hook
from grokcore.records import RunRecord, new_record

CLOCK = "chapters.accelerators.timing:step_clock"  # the probe that stamps every step
_clock = time.perf_counter  # the stamps' clock (a test replaces it with a counter)


class _StepClock(Hook):
    """A time stamp after every optimizer step, handed to each member's record meta as
    `step_stamps` (stamp j: the end of step j + 1)."""

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


def step_seconds(cfg: Any, steps: int, offset: int) -> float:
    """Seconds per training step of `cfg`, in its steady state: one run of lead + `steps` steps
    on one thread, lead = max(offset, 1), and the time from the end of step lead to the end of
    the last step, over `steps` (the step clock's stamps)."""
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


@dataclass(frozen=True)
class StepTiming(Experiment):
    """One timing of the methods `labels` (their configs `runs`, seed 0) on one task."""

    reproducible = False  # a timing of this machine: measured again, never re-stamped

    runs: tuple  # one config per method (RunConfig, or a chapter's config wrapping one)
    labels: tuple[str, ...]  # the methods' labels, in the order of `runs`
    steps: int = 150  # the cpu scale's decoder_timing_steps
    rounds: int = 2
    offset: int = 100  # steps before the timed ones: Grokfast-MA's window (Grokfast README)
    seed: int = 0

    def __post_init__(self) -> None:
        # grokcore.config.from_dict rebuilds a config held in a field, not one inside a tuple:
        # a record's stored runs come back as dicts, rebuilt here (the same key as trained)
        runs = tuple(from_dict(r) if isinstance(r, dict) else r for r in self.runs)
        object.__setattr__(self, "runs", runs)
        if len(self.runs) != len(self.labels) or not self.runs:
            raise ValueError("StepTiming needs one label per run, and at least one run")
        if self.steps < 1 or self.rounds < 1 or self.offset < 0:
            raise ValueError("StepTiming.steps and .rounds must be positive, .offset >= 0")

    @classmethod
    def train(cls, cfgs: list, device: str = "cpu") -> list[RunRecord]:
        out = []
        for c in cfgs:
            t0 = time.perf_counter()
            secs: dict[str, list[float]] = {label: [] for label in c.labels}
            step_seconds(c.runs[0], c.steps, c.offset)  # warm-up: lazy initialization, caches
            for _ in range(c.rounds):
                for label, run in zip(c.labels, c.runs):
                    secs[label].append(step_seconds(run, c.steps, c.offset))
            history = {"step": list(range(c.rounds)), **secs}  # per round, seconds per step
            summary = {label: statistics.median(t) for label, t in secs.items()}
            meta = {
                "wall_s": time.perf_counter() - t0,
                "device": "cpu",
                "threads": 1,
                "torch": torch.__version__,
            }
            out.append(new_record(c, history, summary, meta))
        return out
