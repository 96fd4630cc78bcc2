"""What a step of each method costs on this CPU: the clock behind the chapter's seconds.

A StepTiming times every method of one task side by side: in each of `rounds` rounds, each
method's run is trained from scratch for `offset` + `steps` and for `offset` + 2 x `steps` steps
(one seed, one thread, as the sweeps train), and the difference over `steps` is its seconds per
training step. Setup (data, model, first evaluation), the first `offset` steps (Grokfast-MA leaves
gradients unchanged until its window of 100 is full) and the last evaluation cancel in the
difference, so the cost is the step's own, in its steady state: forward, backward, the method's
filter, transform or amplifier, the optimizer. Interleaving the methods within a round lets a
drift in the machine's speed hit them alike; one untimed run first warms the process up.

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
from grokcore.records import RunRecord, new_record


def at_budget(cfg: Any, steps: int) -> Any:
    """`cfg` (a RunConfig or a config wrapping one in `run`) trained for `steps` steps, evaluated
    only at the start and the end, with no stop, probes or per-evaluation logging."""
    if hasattr(cfg, "run"):
        return dataclasses.replace(cfg, run=at_budget(cfg.run, steps))
    return cfg.replace(
        num_steps=steps,
        eval_every=steps,
        stop_at_test_acc=None,
        spectrum_of=(),
        log_entropy=False,
        probes=(),
    )


def seconds(cfg: Any, steps: int) -> float:
    """Wall seconds of training `cfg` for `steps` steps (with its setup), on one thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        t0 = time.perf_counter()
        type(cfg).train([at_budget(cfg, steps)])
        return time.perf_counter() - t0
    finally:
        torch.set_num_threads(threads)


def step_seconds(cfg: Any, steps: int, offset: int) -> float:
    """Seconds per training step of `cfg`: the time of offset + 2 x steps steps less that of
    offset + steps, over steps. Where noise makes the difference 0 or less (too few steps to
    resolve), the longer run's time over its steps, setup included: an overestimate."""
    long = seconds(cfg, offset + 2 * steps)
    diff = long - seconds(cfg, offset + steps)
    return diff / steps if diff > 0 else long / (offset + 2 * steps)


@dataclass(frozen=True)
class StepTiming(Experiment):
    """One timing of the methods `labels` (their configs `runs`, seed 0) on one task."""

    reproducible = False  # a timing of this machine: measured again, never re-stamped

    runs: tuple  # one config per method (RunConfig, or a chapter's config wrapping one)
    labels: tuple[str, ...]  # the methods' labels, in the order of `runs`
    steps: int = 40  # the cpu scale's decoder_timing_steps
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
            seconds(c.runs[0], c.offset + c.steps)  # warm-up: lazy initialization, caches
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


def per_step(timing: RunRecord) -> dict[str, float]:
    """Method label -> median seconds per step over the timing's rounds."""
    return {label: timing.summary[label] for label in timing.cfg.labels}
