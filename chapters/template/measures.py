"""What the template chapter reads from a run record, per seed: times to an event and their ratio.

REPLACE: your chapter's measures. Each function takes records (grokcore.records.RunRecord) and
returns one value per seed. A time to an event is censored data: a run that ended first is known
only to take longer than the steps it ran, and a run that diverged never reaches the event. The
values the claims judge are therefore grokcore.estimates.Obs (value, censored, diverged); a seed
with no value at all is None. The estimators count every kind (None as "without a value"), none
is dropped and no budget stands in for an event time. Times come from the run's summary:
`step_to_test_acc_95` is the first evaluated step with test accuracy >= 95%
(grokcore.train.THRESHOLDS: 50, 90, 95 and 99%, train and test).
"""

from __future__ import annotations

from typing import Sequence

from grokcore import outcomes
from grokcore.estimates import Obs
from grokcore.records import RunRecord
from grokcore.train import steps_per_epoch

GROKKED = "step_to_test_acc_95"  # the event: 95% test accuracy (EGD §5's threshold)
MEMORIZED = "step_to_train_acc_99"  # the train set fitted


def per_epoch(rec: RunRecord) -> int:
    """Optimizer steps per epoch of the run (rebuilt from its stored config)."""
    return steps_per_epoch(rec.cfg)


def epochs_to(recs: Sequence[RunRecord], key: str = GROKKED) -> list[float | None]:
    """Per seed, epochs to the event `key`, for tables and figures; None where censored."""
    return [outcomes.time_to(r, key, per=per_epoch(r)) for r in recs]


def times(recs: Sequence[RunRecord], key: str = GROKKED) -> list[Obs]:
    """Per seed, steps to the event `key`: the step where it was reached, else censored at the
    last evaluated step (censored at the full budget and marked diverged where the run diverged),
    as the claims' estimators take them (grokcore.outcomes.times)."""
    return outcomes.times(recs, key)


def delay(recs: Sequence[RunRecord]) -> list[Obs]:
    """Per seed, steps to 95% test accuracy over steps to 99% train accuracy: about 1 when the
    run generalizes as it fits the train set, well above 1 when it fits long before (grokking's
    plateau).

    Censored where the ratio is only bounded: where the run fitted the train set but never
    reached 95% test accuracy, at the last evaluated step (the full budget if it diverged) over
    the train time; where it never fitted the train set, at 0, the only bound such a seed gives
    (its train time is censored too). A censored seed stays counted, so a budget too short to
    fit the train set reads "not testable at this budget"; a diverged run is marked so."""
    out: list[Obs] = []
    for r, test in zip(recs, times(recs, GROKKED), strict=True):
        train = outcomes.time_to(r, MEMORIZED)
        if train is None:
            out.append(Obs(0.0, censored=True, diverged=test.diverged))
        else:
            out.append(Obs(test.value / train, test.censored, test.diverged))
    return out


def censoring(groups: dict[str, Sequence[RunRecord]], key: str = GROKKED) -> str:
    """How many runs of each arm never reached `key` (a claim's note)."""
    return outcomes.censoring_note(groups, key)
