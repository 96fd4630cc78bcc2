"""Claims are data: a paper's statement, its value, ours over seeds, and a computed verdict.

    c = Claim("plateau-large", "EGD §3 Cor. 1", "plateau ~ 1/eps at large init", paper="slope 1",
              expect=(0.8, 1.2), partial=(0.6, 1.4))
    table = claims_table("01_egd_toy", [c.check(slopes, scale="cpu")])
    table   # renders as HTML in a notebook; the book build collects its JSON

Verdicts: "reproduced" (our statistic in `expect`), "partial" (in `partial`), "not reproduced",
"not reached within budget" (the runs were made but every seed was censored: none reached the
event within the scale's step budget), and "not run at this scale" (smoke scale, or no runs).
"""

from __future__ import annotations

import html
import json
import math
import statistics
from dataclasses import asdict, dataclass
from typing import Sequence

MIMETYPE = "application/vnd.grokbook.claims+json"
VERDICTS = (
    "reproduced",
    "partial",
    "not reproduced",
    "not reached within budget",
    "not run at this scale",
)
_COLORS = {
    "reproduced": "#d9f2d9",
    "partial": "#fff2cc",
    "not reproduced": "#f8d7da",
    "not reached within budget": "#fde2c8",
    "not run at this scale": "#eeeeee",
}


@dataclass(frozen=True)
class Claim:
    id: str
    source: str  # section, figure or table, e.g. "EGD §3, Fig. 6"
    statement: str
    paper: str  # the paper's value as it states it
    expect: tuple[float, float]  # our statistic in this range: reproduced
    partial: tuple[float, float] | None = None  # in this wider range: partial
    unit: str = ""
    digits: int = 2
    stat: str = "mean"  # "mean" or "median" over seeds

    def check(self, values: Sequence[float | None], *, scale: str, note: str = "") -> "ClaimResult":
        """Verdict from per-seed values; None marks a censored seed (never reached)."""
        vals = [float(v) for v in values if v is not None and math.isfinite(v)]
        censored = sum(v is None for v in values)
        center = spread = math.nan
        verdict = "not run at this scale"
        if vals:
            center = statistics.median(vals) if self.stat == "median" else statistics.fmean(vals)
            spread = statistics.stdev(vals) if len(vals) > 1 else 0.0
        if vals and scale != "smoke":  # smoke runs are too small to judge anything
            verdict = _verdict(center, self.expect, self.partial)
            if censored and verdict == "reproduced":
                verdict = "partial"  # some seeds never got there
        elif censored and scale != "smoke":  # runs were made, none got there within the budget
            verdict = "not reached within budget"
        ours = _fmt(center, spread, len(vals), censored, self.digits, self.unit, self.stat)
        return ClaimResult(
            "",
            self.id,
            self.source,
            self.statement,
            self.paper,
            ours,
            verdict,
            scale,
            center,
            spread,
            len(vals),
            censored,
            note,
        )


def _verdict(x: float, expect: tuple[float, float], partial: tuple[float, float] | None) -> str:
    if expect[0] <= x <= expect[1]:
        return "reproduced"
    if partial and partial[0] <= x <= partial[1]:
        return "partial"
    return "not reproduced"


def _fmt(center, spread, n, censored, digits, unit, stat) -> str:
    if n == 0:
        return f"— ({censored} censored)" if censored else "—"
    sym = "±" if stat == "mean" else "med., sd"
    s = f"{center:.{digits}f} {sym} {spread:.{digits}f}{(' ' + unit) if unit else ''} (n={n})"
    return s + (f", {censored} censored" if censored else "")


@dataclass(frozen=True)
class ClaimResult:
    chapter: str
    id: str
    source: str
    statement: str
    paper: str
    ours: str
    verdict: str
    scale: str
    value: float
    spread: float
    n: int
    censored: int
    note: str = ""

    def to_json(self) -> dict:
        d = asdict(self)
        for k in ("value", "spread"):
            d[k] = None if math.isnan(d[k]) else d[k]
        return d


class ClaimsTable:
    """The computed claims table that ends every chapter (HTML, plain text and JSON)."""

    columns = ("id", "source", "statement", "paper", "ours", "verdict", "note")

    def __init__(self, chapter: str, results: Sequence[ClaimResult]):
        from dataclasses import replace

        self.chapter = chapter
        self.results = [replace(r, chapter=chapter) for r in results]

    def to_json(self) -> list[dict]:
        return [r.to_json() for r in self.results]

    def __repr__(self) -> str:
        rows = [self.columns] + [
            tuple(str(getattr(r, c)) for c in self.columns) for r in self.results
        ]
        return "\n".join(" | ".join(row) for row in rows)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{c}</th>" for c in self.columns)

        def cell(r, c):
            style = f" style='background:{_COLORS[r.verdict]}'" if c == "verdict" else ""
            return f"<td class='claim-{c}'{style}>{html.escape(str(getattr(r, c)))}</td>"

        body = "".join(
            "<tr>" + "".join(cell(r, c) for c in self.columns) + "</tr>" for r in self.results
        )
        return f"<table class='claims'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {
            "text/plain": repr(self),
            "text/html": self._repr_html_(),
            MIMETYPE: json.loads(json.dumps(self.to_json())),
        }


def claims_table(chapter: str, results: Sequence[ClaimResult]) -> ClaimsTable:
    return ClaimsTable(chapter, results)
