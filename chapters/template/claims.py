"""The template chapter's claims: what the paper states, how we measure it, and when it holds.

REPLACE: your claims. A claim (grokcore.claims.Claim) is data, declared here once and before any
run: an id, the source (section, figure or table), the statement, the paper's value as it states
it, the quantity measured per seed, the `band` of values that agree with the paper and `why`
(the source's wording or figure that sets it), the `estimator` (grokcore.estimates: "mean",
"median" (Kaplan-Meier, for censored times or ratios), "paired_speedup" (two arms that run the
same seeds), "speedup" (two arms of different seeds), "proportion", "correlation")
and `min_seeds`, the fewest seeds that may decide it. Fields are fixed text: what depends on the
notebook's parameters (the method, p) goes in a row's `note`.

`results` computes one row per claim, in CLAIMS order, from the runs. A verdict follows from the
estimate's 95% interval set against the band (grokcore.claims.verdict_of): "reproduced" (the
interval lies inside the band), "contradicted" (outside it), "inconclusive" (it crosses a band
edge, or fewer seeds run than min_seeds), "not testable at this budget" (censored seeds leave only
a bound, which does not decide, or fewer than min_seeds of the seeds run have a value), "not run"
(no run measures it; the row says why). The notebook ends with
grokcore.claims.claims_table(<notebook stem>, rows): its output carries the claims JSON that
book/build.py collects (every chapter must display one).
"""

from __future__ import annotations

import math
from typing import Sequence

from grokcore.claims import Claim, ClaimResult
from grokcore.records import RunRecord

from . import measures
from .configs import STANDARD

# REPLACE: every claim of your source that the book knows of, including those the chapter does
# not run (their row says why). A claim with two parts is two claims.
CLAIMS: dict[str, Claim] = {
    c.id: c
    for c in (
        Claim(
            "faster",
            "EGD §5.2, Fig. 1",
            "The gradient transform reaches 95% test accuracy on (x+y) mod p in fewer steps "
            "than standard training",
            paper="much faster: EGD 'groks after only a few epochs' while SGD 'stagnates for a "
            "long period' (Fig. 1); no ratio stated",
            quantity="steps to 95% test accuracy, standard training over the transform per seed "
            "(the same seed: the same split and init); their geometric mean",
            band=(1.5, math.inf),
            why="EGD §5.2: 'EGD groks considerably earlier than other methods'. The paper gives "
            "no ratio; 'considerably' read as at least 1.5x (the template's earlier range, kept)",
            estimator="paired_speedup",
            # 5: a t interval on the log ratios decides with five pairs of seeds
            min_seeds=5,
            unit="x",
            digits=1,
        ),
        Claim(
            "no-delay",
            "EGD §5.2, Fig. 1",
            "With the gradient transform, the MLP generalizes about when it fits the training "
            "set: no plateau between the two",
            paper="no plateau: EGD 'groks after only a few epochs' (Fig. 1)",
            quantity="steps to 95% test accuracy over steps to 99% train accuracy, per seed of "
            "the transform (a lower bound where 95% test is not reached)",
            band=(-math.inf, 1.5),
            why="Fig. 1: EGD 'groks after only a few epochs'; the abstract: it 'removes the "
            "plateaus'. No ratio stated: 1.5 is the template's earlier upper edge, "
            "kept; its lower edge (1) is dropped, since generalizing before fitting the train "
            "set (a ratio below 1) is no plateau either",
            estimator="median",
            # 5; below 6 seeds a Kaplan-Meier median's 95% interval stays open above, so the
            # claim can then be contradicted (the interval above 1.5) but not reproduced
            min_seeds=5,
            unit="x",
            digits=1,
        ),
        # REPLACE: a claim of the source that the chapter does not run keeps its row
        Claim(
            "faster-multiplication",
            "EGD §5.2, Fig. 2",
            "The gradient transform reaches 95% test accuracy on (x·y) mod p in fewer steps "
            "than standard training",
            paper="much faster: EGD 'groks after only a few epochs' while the other methods "
            "'stagnate a long period' (Fig. 2); no ratio stated",
            quantity="steps to 95% test accuracy, standard training over the transform per seed "
            "(the same seed: the same split and init); their geometric mean",
            band=(1.5, math.inf),
            why="EGD §5.2: 'EGD groks considerably earlier than other methods, ... in both "
            "modular addition and multiplication tasks'; the band as for 'faster'",
            estimator="paired_speedup",
            min_seeds=5,
            unit="x",
            digits=1,
        ),
    )
}

# REPLACE: phrases of the discussion with a number no run made (a source's value, a fact of
# statistics) -> why it may stay typed; every other number there is quoted
# (tests/test_prose_numbers.py)
PROSE_LITERALS: dict[str, str] = {}

NOT_RUN = {  # REPLACE: claim id -> why the chapter does not run it
    "faster-multiplication": "the template runs (x+y) mod p only (configs.make_configs); "
    "02_egd_modular runs (x·y) mod p",
}


def results(
    runs: dict[str, Sequence[RunRecord]], method: str, p: int, *, scale: str
) -> list[ClaimResult]:
    """One row per claim, in CLAIMS order, from the runs by arm ({"none": ..., method: ...}).

    REPLACE: one rule per claim. Times to an event go to the estimators as they are (censored
    seeds included, never their budget as the event time): "paired_speedup" takes the fast
    arm's times and the slow arm's, seed by seed, "median" one arm's."""
    standard, transformed = runs[STANDARD], runs[method]
    setup = f"{method} against standard training on (x+y) mod {p}"
    censored = measures.censoring({"standard training": standard, method: transformed})
    rows = {
        "faster": CLAIMS["faster"].check(
            measures.times(transformed),
            measures.times(standard),
            scale=scale,
            note=f"{setup}; {censored}",
        ),
        "no-delay": CLAIMS["no-delay"].check(
            measures.delay(transformed), scale=scale, note=f"{method} on (x+y) mod {p}"
        ),
    }
    for cid, reason in NOT_RUN.items():
        rows[cid] = CLAIMS[cid].not_run(reason, scale=scale)
    return [rows[cid] for cid in CLAIMS]
