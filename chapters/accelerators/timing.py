"""What a step of each method costs on this CPU: the clock behind the chapter's seconds.

A StepTiming times every method of one task side by side with grokcore.timing.timed_rounds: in
each of `rounds` rounds, a fresh Python process trains each method's run from scratch for
`offset` + `steps` steps (one seed, one thread, as the sweeps train) with a clock that stamps the
end of every optimizer step; the time from the end of step `offset` to the end of the last step,
over `steps`, is its seconds per training step. Setup (data, model) and the evaluations at the
start and the end lie outside that span, and so do the first `offset` steps (Grokfast-MA leaves
gradients unchanged until its window of 100 is full; the first step pays lazy initialization and
is never timed), so the cost is the step's own, in its steady state: forward, backward, the
method's filter, transform or amplifier, the optimizer. Interleaving the methods within a round
lets a drift in the machine's speed hit them alike; one untimed run first warms each round's
process up.

(Until December 2026 a round timed two runs, of offset + steps and offset + 2 x steps steps, and
took the difference: a second of noise in either run's setup moved a 40-step decoder timing by
25 ms a step, and a decoder method's rounds spanned up to 12x. Clocking the steps inside one run
leaves setup out of the measure instead of cancelling it. Until the same month, too, the rounds
ran in one process, and their spread missed what moves between processes: grokcore.timing.)

A StepTiming is a run record like any other: cached, shipped with the chapter's store (the book
renders the timing it holds), and measured again by a recompute on the machine at hand; never
re-stamped (a timing is of a machine, not of the code).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import torch

from grokcore.config import Experiment, from_dict
from grokcore.records import RunRecord, new_record
from grokcore.timing import timed_rounds


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
            secs = timed_rounds(c.runs, c.steps, c.offset, c.rounds)
            history = {"step": list(range(c.rounds)), **dict(zip(c.labels, secs))}
            summary = {label: statistics.median(t) for label, t in zip(c.labels, secs)}
            meta = {
                "wall_s": time.perf_counter() - t0,
                "device": "cpu",
                "threads": 1,
                "rounds_in": "fresh processes",
                "torch": torch.__version__,
            }
            out.append(new_record(c, history, summary, meta))
        return out
