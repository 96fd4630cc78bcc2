"""The template chapter's claims: what the paper states, how we measure it, and when it holds.

REPLACE: your claims. A claim (grokcore.claims.Claim) is data: an id, the source (section, figure
or table), the statement, the paper's value as it states it, and the ranges of our statistic (the
mean over seeds unless stat="median") for "reproduced" (`expect`) and "partial" (`partial`).
Fix the ranges from the paper's wording before looking at the results. `check` turns per-seed
values (None: censored) into a verdict; at scale "smoke" every verdict is "not run at this
scale". The notebook ends with grokcore.claims.claims_table(<notebook stem>, results): its
output carries the claims JSON that book/build.py collects (every chapter must display one).
"""

from __future__ import annotations

import math
from typing import Sequence

from grokcore.claims import Claim, ClaimResult
from grokcore.records import RunRecord

from . import measures
from .configs import STANDARD


def declare(method: str, p: int) -> dict[str, Claim]:
    """The chapter's claims for the transform `method` on (x+y) mod p, by id."""
    return {
        "faster": Claim(
            "faster",
            "EGD §5.2, Fig. 1",
            f"{method} reaches 95% test accuracy on (x+y) mod {p} in fewer steps than standard "
            "training (speedup, per seed)",
            "much faster (SGD plateaus)",
            expect=(1.5, math.inf),
            partial=(1.1, math.inf),
            unit="x",
        ),
        "no-delay": Claim(
            "no-delay",
            "EGD §5.2, Fig. 1",
            f"{method} generalizes about when it fits the train set (steps to 95% test over "
            "steps to 99% train accuracy, per seed)",
            "no plateau: groks after only a few epochs",
            expect=(1.0, 1.5),
            partial=(1.0, 3.0),
            unit="x",
            digits=1,
        ),
    }


def check(
    claims: dict[str, Claim], groups: dict[str, Sequence[RunRecord]], method: str, *, scale: str
) -> list[ClaimResult]:
    """Each claim's verdict from the runs by arm ({"none": ..., method: ...})."""
    standard, transformed = groups[STANDARD], groups[method]
    note = measures.censoring({"standard": standard, method: transformed})
    return [
        claims["faster"].check(
            measures.speedup(transformed, standard),
            scale=scale,
            note="lower bound where standard training is censored; " + note,
        ),
        claims["no-delay"].check(measures.delay(transformed), scale=scale),
    ]
