"""What the template chapter reads from a run record, per seed: times to an event and speed-ups.

REPLACE: your chapter's measures. Each function takes records (grokcore.records.RunRecord) and
returns one value per seed, None where the run never reached the event within its budget
(censored): grokcore.claims.Claim.check counts those seeds instead of dropping them.
Times come from the run's summary: `step_to_test_acc_95` is the first evaluated step with
test accuracy >= 95% (grokcore.train.THRESHOLDS: 50, 90, 95 and 99%, train and test).
"""

from __future__ import annotations

from typing import Sequence

from grokcore import outcomes
from grokcore.records import RunRecord
from grokcore.train import steps_per_epoch

GROKKED = "step_to_test_acc_95"  # the event: 95% test accuracy (EGD §5's threshold)
MEMORIZED = "step_to_train_acc_99"  # the train set fitted


def per_epoch(rec: RunRecord) -> int:
    """Optimizer steps per epoch of the run (rebuilt from its stored config)."""
    return steps_per_epoch(rec.cfg)


def epochs_to(recs: Sequence[RunRecord], key: str = GROKKED) -> list[float | None]:
    """Per seed, epochs to the event `key`; None where censored."""
    return [outcomes.time_to(r, key, per=per_epoch(r)) for r in recs]


def speedup(
    fast: Sequence[RunRecord], slow: Sequence[RunRecord], key: str = GROKKED
) -> list[float | None]:
    """Per seed (paired by order), slow's time to `key` over fast's: > 1 when `fast` is faster.

    A censored slow run counts its budget (the ratio is then a lower bound); a censored fast
    run gives None (grokcore.outcomes.speedup)."""
    return outcomes.speedup(fast, slow, key)


def delay(recs: Sequence[RunRecord]) -> list[float | None]:
    """Per seed, steps to 95% test accuracy over steps to 99% train accuracy: about 1 when the
    run generalizes as it fits the train set, well above 1 when it fits long before (grokking's
    plateau); None if either is censored."""
    out: list[float | None] = []
    for r in recs:
        test, train = outcomes.time_to(r, GROKKED), outcomes.time_to(r, MEMORIZED)
        out.append(None if test is None or not train else test / train)
    return out


def censoring(groups: dict[str, Sequence[RunRecord]], key: str = GROKKED) -> str:
    """How many runs of each arm never reached `key` (a claim's note)."""
    return outcomes.censoring_note(groups, key)
