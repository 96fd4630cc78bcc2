"""Claims are data: a source's statement, the band that counts as agreeing with it, and a verdict
that follows from a confidence interval (grokcore.estimates) set against that band.

    c = Claim("plateau-large", "EGD §3, Cor. 1A", "GD plateau grows like 1/ε at large init",
              paper="slope 1", quantity="log-log slope of k* against 1/ε, per seed",
              band=(0.8, 1.2), why="Cor. 1A: k* = Θ(1/ε); ±20% for the finite-ε offset",
              estimator="mean", min_seeds=3)
    table = claims_table("01_egd_toy", [c.check(slopes, scale="cpu")])
    table   # renders as HTML in a notebook; the book build collects its JSON

Each chapter declares its claims in one place (chapters/<pkg>/claims.py), before any run: the
band, the estimator (a key of grokcore.estimates.ESTIMATORS: "mean", "median" (Kaplan-Meier, for
times), "speedup", "proportion", "correlation", "exact" (a formula's value, no seeds)) and the
fewest seeds that may decide it.

Verdicts, from the estimate's interval [low, high] (95%) and the band [a, b]:

- "reproduced": the interval lies inside the band;
- "contradicted": the interval lies outside it;
- "inconsistent in the source": the source's own result (a theorem's formula, say), evaluated by
  the chapter, contradicts the statement, so no run could reproduce both (Claim.inconsistent:
  the chapter passes the evidence, computed, never typed);
- "inconclusive": the interval crosses a band edge (a sign-test interval of a paired ratio
  with seeds bounded from both sides included, where it is closed on both sides), or fewer seeds
  were run than the claim declares; for a t interval crossing an edge the reason adds how many
  seeds would decide it at one more look if the estimate and its spread held (seeds_to_decide);
- "not testable at this budget": censored seeds leave the quantity only bounded (a median that
  half the seeds or more never reached; a mean or paired ratio with any censored seed), and the
  bound does not decide, or bounded on neither side (a paired ratio whose seeds are censored in
  both arms too often for the sign test's order statistic); or the declared seeds were run but
  the quantity is undefined in so many of them (the event never came) that fewer than the
  declared seeds have a value, none at worst. Where the interval is not a t interval, an
  undecided row's reason (Claim.check's) adds how many seeds at this budget would decide it in
  half of the resamples of its own seeds, or that none up to SEEDS_CAP would, only a longer
  budget (seeds_by_resampling);
- "not run": no runs (the scale does not run it; the reason says why).
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import asdict, dataclass, fields
from typing import Any, Callable, Mapping, Sequence

from .estimates import (
    ESTIMATORS,
    EXACT,
    SIGN_TESTS,
    Estimate,
    Looks,
    look_sizes,
    sequential_level,
)

MIMETYPE = "application/vnd.grokbook.claims+json"
VERDICTS = (
    "reproduced",
    "contradicted",
    "inconsistent in the source",
    "inconclusive",
    "not testable at this budget",
    "not run",
)
_COLORS = {
    "reproduced": "#d9f2d9",
    "contradicted": "#f8d7da",
    "inconsistent in the source": "#e4d7f5",
    "inconclusive": "#fff2cc",
    "not testable at this budget": "#fde2c8",
    "not run": "#eeeeee",
}


def _num(x: float, digits: int) -> str:
    if x == math.inf:
        return "∞"
    if x == -math.inf:
        return "−∞"
    return f"{x:.{digits}f}"


@dataclass(frozen=True)
class Claim:
    """One claim of a source, declared before the runs.

    band: (a, b), the values of the measured quantity that agree with the paper; one side may be
    ±inf (a one-sided claim, e.g. "at least 2x faster": (2, inf)). why: the source's wording or
    figure that sets the band. min_seeds: fewer seeds run give "inconclusive"; as many run but
    fewer with a value (the others never reached the event), "not testable at this budget"."""

    id: str
    source: str  # section, figure or table, e.g. "EGD §3, Fig. 6"
    statement: str
    paper: str  # the paper's value as it states it
    quantity: str  # what is measured, per seed
    band: tuple[float, float]
    why: str
    estimator: str = "mean"
    min_seeds: int = 5
    unit: str = ""
    digits: int = 2

    def __post_init__(self) -> None:
        where = f"Claim {self.id!r}"
        if not self.id or not self.statement or not self.why:
            raise ValueError(f"{where}: id, statement and why are required")
        a, b = self.band
        if not (a < b) or math.isnan(a) or math.isnan(b) or (a == -math.inf and b == math.inf):
            raise ValueError(
                f"{where}: band={self.band!r} is invalid: allowed (a, b) with a < b, one side "
                "at most infinite"
            )
        if self.estimator not in ESTIMATORS:
            raise ValueError(
                f"{where}: estimator={self.estimator!r} is invalid: allowed {sorted(ESTIMATORS)}"
            )
        if not isinstance(self.min_seeds, int) or self.min_seeds < 1:
            raise ValueError(f"{where}: min_seeds={self.min_seeds!r} is invalid: allowed >= 1")
        if self.estimator == "exact" and self.min_seeds != 1:
            raise ValueError(
                f"{where}: min_seeds={self.min_seeds!r} is invalid with estimator 'exact' (a "
                "formula's value, no seeds): allowed 1"
            )

    @property
    def band_text(self) -> str:
        """The band as the reader sees it: '≥ 2', '≤ 0.1' or '[0.8, 1.2]' (with the unit)."""
        a, b = self.band
        unit = f" {self.unit}" if self.unit else ""
        if b == math.inf:
            return f"≥ {_num(a, self.digits)}{unit}"
        if a == -math.inf:
            return f"≤ {_num(b, self.digits)}{unit}"
        return f"[{_num(a, self.digits)}, {_num(b, self.digits)}]{unit}"

    def estimate(self, *data, level: float = 0.95) -> Estimate:
        """The claim's estimator on the per-seed data (see grokcore.estimates)."""
        return ESTIMATORS[self.estimator](*data, level=level)

    def check(self, *data, scale: str, note: str = "", looks: Looks = 1) -> "ClaimResult":
        """Estimate from the per-seed data, then the verdict against the band. looks: how many
        times the row has been judged as seeds were added to it (a second look after a first
        that left this row or another undecided), or the seeds at each of those looks (5, 8,
        16): its interval is then at Pocock's level for those looks (estimates.sequential_level,
        for their spacing where given), which keeps a false verdict's chance over all of them
        at 5%, and the note says so."""
        note = with_looks_note(note, looks)
        est = self.estimate(*data, level=sequential_level(looks))
        return self.judge(est, scale=scale, note=note, data=data)

    def judge(
        self, est: Estimate, *, scale: str, note: str = "", data: Sequence | None = None
    ) -> "ClaimResult":
        """The verdict of an estimate (computed elsewhere, with this claim's estimator). data:
        the estimator's arguments where `est` is this claim's estimate of them (Claim.check's),
        from which an undecided row without a t interval gets its resampled projection
        (seeds_by_resampling); None: no projection beyond the t one."""
        verdict, reason = verdict_of(est, self.band, self.min_seeds)
        if data is not None and verdict in UNDECIDED and est.n + est.missing >= self.min_seeds:
            if seeds_to_decide(est, self.band) is None:  # not a t interval: resample the seeds
                reason += _resampled(self, data, est, verdict)
        return self._result(est, verdict, reason, scale, note)

    def inconsistent(
        self, est: Estimate, evidence: str, *, scale: str, note: str = ""
    ) -> "ClaimResult":
        """A row whose statement the source's own result contradicts (`evidence`: what the
        chapter computed from it). Our estimate is still shown; the verdict says that the source
        disagrees with itself, rather than that our runs failed to reproduce it."""
        return self._result(est, "inconsistent in the source", evidence, scale, note)

    def not_run(self, reason: str, *, scale: str, note: str = "") -> "ClaimResult":
        """A row for a claim this scale (or the book) does not run, saying why."""
        empty = Estimate(None, -math.inf, math.inf, 0, method=self.estimator)
        return self._result(empty, "not run", reason, scale, note)

    def _result(self, est: Estimate, verdict: str, reason: str, scale: str, note: str):
        a, b = self.band
        return ClaimResult(
            chapter="",
            id=self.id,
            source=self.source,
            statement=self.statement,
            paper=self.paper,
            quantity=self.quantity,
            band=self.band_text,
            why=self.why,
            ours=describe(est, self.digits, self.unit) if verdict != "not run" else "—",
            verdict=verdict,
            reason=reason,
            scale=scale,
            n=est.n,
            censored=est.censored,
            diverged=est.diverged,
            missing=est.missing,
            estimate=est.estimate,
            ci_low=est.low,
            ci_high=est.high,
            band_low=a,
            band_high=b,
            min_seeds=self.min_seeds,
            estimator=self.estimator,
            method=est.method,
            level=est.level,
            p=est.p,
            note=note,
        )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _series(sizes: Sequence[int]) -> str:
    """ "5, 8 and 16"."""
    head = ", ".join(map(str, sizes[:-1]))
    return f"{head} and {sizes[-1]}"


def looks_note(looks: Looks) -> str:
    """What a row's note says of its looks (Claim.check's): '' for one look."""
    sizes = look_sizes(looks)
    if len(sizes) == 1:
        return ""
    at = "" if isinstance(looks, int) else f" at {_series(sizes)} seeds"
    # a count: equally spaced looks, with seeds or a longer budget added between them
    added = "seeds or a longer budget" if isinstance(looks, int) else "seeds"
    return (
        f"{sequential_level(looks):.2%} interval: Pocock's level for {len(sizes)} looks{at} "
        f"({added} added between them), which keeps a false verdict's chance over the looks at 5%"
    )


def with_looks_note(note: str, looks: Looks) -> str:
    """`note` with what looks_note says of `looks` appended ('; ' between; either may be '')."""
    return "; ".join(x for x in (note, looks_note(looks)) if x)


def n_looks(looks: Looks) -> int:
    """How many looks `looks` (Claim.check's) counts."""
    return len(look_sizes(looks))


def pair_looks(a: Looks, b: Looks) -> Looks:
    """The looks of a row on two cells (a pair of methods, seed by seed) whose seeds may have
    grown at different looks, the k-th entries being the same look: the seeds both had at each
    look (the fewer; the shorter history holds its last), a look where the pair did not grow not
    counted: (5, 8, 16) with (5, 8) is (5, 8). With a count on either side, the fewer count."""
    if isinstance(a, int) or isinstance(b, int):
        return min(n_looks(a), n_looks(b))
    a, b = look_sizes(a), look_sizes(b)
    k = max(len(a), len(b))
    a, b = a + a[-1:] * (k - len(a)), b + b[-1:] * (k - len(b))
    return tuple(dict.fromkeys(min(x, y) for x, y in zip(a, b)))  # increasing, repeats dropped


def cell_looks(looks: Mapping[str, Looks], cell: str) -> Looks:
    """A plan cell's looks ("task/method"): its own where `looks` names it, else its task's
    (the part before the last "/"), else one."""
    return looks.get(cell, looks.get(cell.rpartition("/")[0], 1))


def paired_cell_looks(looks: Mapping[str, Looks], a: str, b: str) -> Looks:
    """The looks of a row on cells a and b, compared seed by seed (cell_looks, pair_looks)."""
    return pair_looks(cell_looks(looks, a), cell_looks(looks, b))


def looks_at(
    P: Mapping[str, Any], preset: Mapping[str, Any], seeds: Callable[[Mapping[str, Any], str], Any]
) -> dict[str, Looks]:
    """A scale's "looks" (task -> how many times its rows have been judged, seeds added between,
    or the seeds at each look: `Claim.check`'s looks) for the tasks that run the scale's own
    seeds: `seeds(Q, task)` is
    what the task runs at the values Q (`preset`: the scale's SCALES entry, `P`: what the
    notebook runs). A task at seeds of the user's choosing has been judged once."""
    return {t: n for t, n in P.get("looks", {}).items() if seeds(P, t) == seeds(preset, t)}


def verdict_of(est: Estimate, band: tuple[float, float], min_seeds: int) -> tuple[str, str]:
    """(verdict, reason) of an estimate's interval against a band (see the module docstring)."""
    a, b = band
    lo, hi = est.low, est.high
    if est.n == 0 and est.missing == 0:
        return "not run", "no runs"
    if est.n == 0:  # runs were made, but the quantity is undefined in every one of them
        return (
            "not testable at this budget",
            f"no seed has a value ({est.missing} runs without one, {est.diverged} diverged)",
        )
    if est.n < min_seeds and est.n + est.missing >= min_seeds:  # the seeds ran, the event did not
        has = "has" if est.n == 1 else "have"
        return (
            "not testable at this budget",
            f"{est.n} of {est.n + est.missing} seeds {has} a value, fewer than the {min_seeds} "
            "declared (the others have none within the budget)",
        )
    if est.n < min_seeds:  # too few seeds were run: more would decide
        return "inconclusive", f"{_count(est.n, 'seed')}, fewer than the {min_seeds} declared"
    if lo >= a and hi <= b:
        return "reproduced", "the interval lies inside the band"
    if hi < a or lo > b:
        return "contradicted", "the interval lies outside the band"
    if est.method in SIGN_TESTS and not est.identified and not est.bound:
        if _open(est) == (False, False):  # two-sided: censored seeds at their bounds
            return (
                "inconclusive",
                "the sign test's interval (censored seeds at their bounds) crosses the band's edge",
            )
        return (
            "not testable at this budget",
            f"{_count(est.censored, 'censored run')} (a seed censored in both arms, or seeds "
            f"bounded from opposite sides) {'leaves' if est.censored == 1 else 'leave'} the "
            f"median ratio unbounded on both sides at {est.level:.0%} (the sign test, "
            "grokcore.estimates.sign_interval)",
        )
    if not est.identified and est.censored and unbounded(est):
        return (
            "not testable at this budget",
            f"{_count(est.n, 'seed')} with censored values give no bound at "
            f"{est.level:.0%}: one that holds whatever the censored values are needs 6 "
            "(the signed-rank bound, grokcore.estimates)",
        )
    if not est.identified and est.censored:
        return (
            "not testable at this budget",
            f"{_count(est.censored, 'censored seed')} "
            f"{'leaves' if est.censored == 1 else 'leave'} only a bound, which does not decide",
        )
    return "inconclusive", "the interval crosses the band's edge" + _projection(est, band)


# t intervals on the values or on their logs, symmetric about the estimate: what seeds_to_decide
# can project (medians, bounds, proportions and timings are not)
_T_ON_VALUES = "mean, Student's t interval"
_T_ON_LOGS = (
    "geometric mean, t interval on logs",
    "geometric mean of paired ratios, t interval on logs",
)
SEEDS_CAP = 1000  # beyond this a projection says "more than"


def seeds_to_decide(est: Estimate, band: tuple[float, float]) -> int | None:
    """How many seeds would decide a row whose t interval crosses a band edge, at one more look,
    if its estimate and its spread held: the fewest n' > n at which t(n' - 1) s / sqrt(n') (the
    interval's half-width, on the values or on their logs) falls below the estimate's distance
    to the nearest edge the interval crosses. s is read back from the interval: half-width x
    sqrt(n) / t(n - 1). The new look's level is Bonferroni's, 1 - (1 - level) / 2 for this
    interval's level (0.975 after one look at 95%), never below the Pocock level that
    grokcore.estimates.sequential_level would give the looks, so the count errs high, not low.
    None where it cannot be projected: an interval that is not a t interval on the values or
    their logs (medians, bounds, proportions, timings), one that crosses no edge, an estimate on
    the edge or without spread; SEEDS_CAP + 1 where even SEEDS_CAP seeds would not do. A
    projection, not a promise: a new seed moves the estimate as well as the spread."""
    from scipy import stats

    logs = est.method in _T_ON_LOGS
    if not (logs or est.method == _T_ON_VALUES) or not est.identified or est.n < 2:
        return None
    if not (math.isfinite(est.low) and math.isfinite(est.high)) or (logs and est.low <= 0):
        return None
    f = math.log if logs else float
    m, lo, hi = f(est.estimate), f(est.low), f(est.high)
    edges = [f(e) for e in band if math.isfinite(e) and (e > 0 or not logs) and lo < f(e) < hi]
    distance = min((abs(m - e) for e in edges), default=0.0)
    s = (hi - lo) / 2 * math.sqrt(est.n) / float(stats.t.ppf((1 + est.level) / 2, est.n - 1))
    if distance == 0 or s == 0:
        return None
    q = 1 - (1 - est.level) / 4  # the two-sided quantile at the next look's level
    for k in range(est.n + 1, SEEDS_CAP + 1):
        if float(stats.t.ppf(q, k - 1)) * s / math.sqrt(k) < distance:
            return k
    return SEEDS_CAP + 1


def _projection(est: Estimate, band: tuple[float, float]) -> str:
    """The inconclusive reason's tail: what more seeds would do (seeds_to_decide)."""
    k = seeds_to_decide(est, band)
    if k is None:
        return ""
    if k > SEEDS_CAP:
        return (
            f"; the estimate sits so near the edge that even {SEEDS_CAP} seeds would not decide "
            "it at this spread"
        )
    return (
        f"; about {k} seeds with a value ({est.n} here) would decide it at one more look if the "
        "estimate and its spread held"
    )


UNDECIDED = ("inconclusive", "not testable at this budget")
DECIDED = ("reproduced", "contradicted")
PROJECTION_DRAWS = 64  # resamples per seed count in seeds_by_resampling


def seeds_by_resampling(
    claim: Claim, data: Sequence, level: float, draws: int = PROJECTION_DRAWS
) -> int | None:
    """How many seeds run at this budget would decide a row at one more look, where its
    interval is not a t interval (seeds_to_decide's case): the fewest k at which at least half
    of `draws` resamples of k seeds, drawn with replacement from the row's own seeds (whole
    seeds: a seed's value in every arm it pairs, censored or missing as it was), give a
    reproduced or contradicted verdict at the next look's level, 1 - (1 - level) / 2 (as
    seeds_to_decide's, erring high). The resamples of k seeds are the first k of resamples of
    SEEDS_CAP, so a larger k extends a smaller one; k is found by doubling, then bisection.

    data: Claim.estimate's arguments; every sequence pairs its seeds in order (one list of
    values per arm), except "speedup"'s two arms (resampled each on its own) and the cost
    arguments after "timed_speedup"'s two arms (kept: a timing, not seeds). None for an
    estimator without seeds ("exact") or arms of unequal length that pair; SEEDS_CAP + 1 where
    even SEEDS_CAP seeds do not decide it in half the resamples, as when half the seeds or more
    are censored in a median, or in both arms of a paired ratio: at this budget more seeds keep
    that share, and only a longer budget (the censored values) can decide it. A projection from
    the seeds at hand, as the t one is from the estimate and its spread: a resample has no value
    the seeds did not show."""
    import warnings

    import numpy as np

    if claim.estimator == "exact":
        return None
    arms = [list(x) for x in (data[:2] if claim.estimator == "timed_speedup" else data)]
    rest = tuple(data[len(arms) :])
    sizes = [len(a) for a in arms]
    paired = claim.estimator != "speedup"
    if not arms or min(sizes) == 0:
        return None
    if paired and len(set(sizes)) > 1:
        return None
    q = 1 - (1 - level) / 2
    rng = np.random.default_rng(0)  # the same draws every render: a deterministic reason
    picks = [rng.integers(0, n, size=(draws, SEEDS_CAP)) for n in (sizes[:1] if paired else sizes)]

    def decides(k: int) -> bool:
        """Whether half the resamples of k seeds or more decide the row."""
        hits = 0
        for d in range(draws):
            take = [p[d, :k] for p in picks] * (len(arms) if paired else 1)
            sample = [[arm[i] for i in idx] for arm, idx in zip(arms, take)]
            with warnings.catch_warnings():  # a resample of equal values: scipy's precision note
                warnings.simplefilter("ignore", RuntimeWarning)
                est = claim.estimate(*sample, *rest, level=q)
            hits += verdict_of(est, claim.band, claim.min_seeds)[0] in DECIDED
            if 2 * hits >= draws:
                return True
            if 2 * (d + 1 - hits) > draws:  # more than half already failed
                return False
        return False

    fail, k = max(sizes), max(sizes)
    while True:  # doubling: the first count that decides, or none up to the cap
        k = min(2 * k, SEEDS_CAP)
        if decides(k):
            break
        if k == SEEDS_CAP:
            return SEEDS_CAP + 1
        fail = k
    while k - fail > 1:  # bisection between a count that fails and one that decides
        mid = (fail + k) // 2
        fail, k = (fail, mid) if decides(mid) else (mid, k)
    return k


def _resampled(claim: Claim, data: Sequence, est: Estimate, verdict: str) -> str:
    """An undecided reason's tail from seeds_by_resampling: how many seeds would decide it, or
    that more seeds at this budget would not. Nothing from a single seed with a value: its
    resamples repeat it, a spread of zero that no seed showed."""
    if est.n < 2:
        return ""
    k = seeds_by_resampling(claim, data, est.level)
    if k is None:
        return ""
    if claim.estimator == "speedup":  # two arms, each resampled on its own
        per, these = " per arm", f"{len(data[0])} and {len(data[1])} seeds"
    else:
        per, these = "", _count(len(data[0]), "seed")  # paired arms: as many seeds each
    of = f"of {PROJECTION_DRAWS} resamples of these {these}"
    if k <= SEEDS_CAP:
        return (
            f"; about {k} seeds{per} at this budget would decide it at one more look, in half {of}"
        )
    if verdict == "inconclusive":
        return (
            f"; the estimate sits so near the edge that even {SEEDS_CAP} seeds would not decide "
            f"it in half {of}"
        )
    return (
        f"; more seeds at this budget would not decide it: fewer than half {of}, up to "
        f"{SEEDS_CAP} seeds, did (a longer budget, which bounds the censored seeds, could)"
    )


def _open(est: Estimate) -> tuple[bool, bool]:
    """Whether the interval is open below (-inf; 0 for a ratio) and open above (+inf)."""
    ratio = est.method.startswith("ratio") or " paired ratios" in est.method
    return est.low == -math.inf or (ratio and est.low <= 0.0), est.high == math.inf


def unbounded(est: Estimate) -> bool:
    """A bound that bounds nothing: a lower one at -inf (0 for a ratio), an upper one at +inf
    (censored values too few to give one at the estimate's level)."""
    below, above = _open(est)
    return below if est.bound == "lower" else est.bound == "upper" and above


def describe(est: Estimate, digits: int = 2, unit: str = "") -> str:
    """'1.23 [0.95, 1.60] (n=5, 1 censored)'; a lower bound reads '≥ 3.10 (...)', an upper
    bound '≤ 0.62 (...)', one that bounds nothing 'no bound at 95% (...)'."""
    u = f" {unit}" if unit else ""
    ci = f"[{_num(est.low, digits)}, {_num(est.high, digits)}]"
    two_arms = est.method.startswith("ratio")  # n: seeds per arm; censored: in both arms
    paired = " paired ratios" in est.method  # n: pairs of seeds
    counts = [f"n={est.n} per arm" if two_arms else f"n={est.n} pairs" if paired else f"n={est.n}"]
    if est.method == EXACT:  # a formula's value: no seeds
        counts = ["exact"]
    two_arms = two_arms or paired
    if est.censored:
        counts.append(f"{est.censored} censored" + (" in all" if two_arms else ""))
    if est.diverged:
        counts.append(f"{est.diverged} diverged")
    if est.missing:
        counts.append(f"{est.missing} without a value")
    if est.p is not None:
        counts.append(f"p={est.p:.2g}")
    if est.method in SIGN_TESTS:  # the estimand is the median ratio, not the geometric mean
        counts.append("the median ratio by the sign test")
    tail = f" ({', '.join(counts)})"
    if est.identified:
        return f"{_num(est.estimate, digits)}{u} {ci}{tail}"
    if est.bound and unbounded(est):
        return f"no bound at {est.level:.0%}, not identified{tail}"
    if est.bound == "lower":
        return f"≥ {_num(est.low, digits)}{u}, not identified{tail}"
    if est.bound == "upper":
        return f"≤ {_num(est.high, digits)}{u}, not identified{tail}"
    return f"not identified {ci}{tail}"


@dataclass(frozen=True)
class ClaimResult:
    """One row of a chapter's claims table (and of book/_build/claims.json)."""

    chapter: str
    id: str
    source: str
    statement: str
    paper: str
    quantity: str
    band: str
    why: str
    ours: str
    verdict: str
    reason: str
    scale: str
    n: int
    censored: int
    diverged: int
    missing: int
    estimate: float | None
    ci_low: float
    ci_high: float
    band_low: float
    band_high: float
    min_seeds: int
    estimator: str
    method: str
    level: float
    p: float | None
    note: str = ""

    def to_json(self) -> dict:
        """Numbers as numbers; null where a field does not apply or an interval is unbounded."""
        d = asdict(self)
        for k, v in d.items():
            if isinstance(v, float) and not math.isfinite(v):
                d[k] = None
        return d


JSON_FIELDS = tuple(f.name for f in fields(ClaimResult))


class ClaimsTable:
    """The computed claims table that ends every chapter (HTML, plain text and JSON)."""

    columns = ("id", "source", "statement", "paper", "band", "ours", "verdict", "note")

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

        def cell(r: ClaimResult, c: str) -> str:
            text = html.escape(str(getattr(r, c)))
            style = ""
            if c == "verdict":
                style = f" style='background:{_COLORS[r.verdict]}'"
                text += f"<br><small>{html.escape(r.reason)}</small>"
            elif c == "band":
                text += f"<br><small>{html.escape(r.why)}</small>"
            elif c == "ours" and r.quantity:
                text += f"<br><small>{html.escape(r.quantity)}; {html.escape(r.method)}</small>"
            return f"<td class='claim-{c}'{style}>{text}</td>"

        body = "".join(
            "<tr>" + "".join(cell(r, c) for c in self.columns) + "</tr>" for r in self.results
        )
        return f"<table class='claims'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def quotes(self) -> dict[str, str]:
        """The strings a chapter's prose may quote, per row: `id` (the estimate and its interval
        as the table shows them, without the counts: '1.11 x [0.82, 1.51]', '≥ 1.53 x'),
        `id.est` ('1.11 x'), `id.ci` ('[0.82, 1.51]', empty for a bound), `id.n`,
        `id.censored`, `id.verdict` and `id.ours` (the table's whole cell)."""
        out: dict[str, str] = {}
        for r in self.results:
            short = r.ours.rsplit(" (", 1)[0] if r.ours.endswith(")") else r.ours
            short = short.replace(", not identified", "")
            identified = short.endswith("]") and " [" in short and not short.startswith("not")
            est, ci = short.rsplit(" [", 1) if identified else (short, "")
            out.update({
                r.id: short,
                f"{r.id}.est": est,
                f"{r.id}.ci": f"[{ci}" if ci else "",
                f"{r.id}.n": str(r.n),
                f"{r.id}.censored": str(r.censored),
                f"{r.id}.verdict": r.verdict,
                f"{r.id}.ours": r.ours,
            })  # fmt: skip
        return out

    def quote(
        self, extra: dict[str, object] | None = None, params: dict | None = None
    ) -> list["Quote"]:
        """Every row's quotes (`quotes`), the chapter's `extra` ones (the numbers no row
        holds) and `param.<name>` for each number, text or list of them in `params` (the
        scale's values the run used: `param_quotes`), for the chapter's prose:
        `display(*table.quote(extra, params=P))`. A name in two of them is an error, never a
        silent overwrite."""
        rows, extra, par = self.quotes(), extra or {}, param_quotes(params or {})
        if both := sorted(rows.keys() & extra.keys()):
            raise ValueError(f"quote names of both a claims row and the chapter: {both}")
        if both := sorted(par.keys() & (rows.keys() | extra.keys())):
            raise ValueError(f"quote names of both a parameter and a row or the chapter: {both}")
        return [Quote(name, str(text)) for name, text in {**rows, **extra, **par}.items()]

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {
            "text/plain": repr(self),
            "text/html": self._repr_html_(),
            MIMETYPE: json.loads(json.dumps(self.to_json())),
        }


def claims_table(chapter: str, results: Sequence[ClaimResult]) -> ClaimsTable:
    return ClaimsTable(chapter, results)


def param_quotes(params: dict) -> dict[str, str]:
    """`param.<name>` for each parameter value the prose may quote, as the prose writes it:
    a number with thousands separators ('15,000') or short ('0.001', '0.7'), text as it is, a
    list of those joined by ', ' without separators ('2, 1024, 0': a comma already parts
    them); other values (None, mappings, lists of other things) are not quoted."""

    def one(v, grouped: bool) -> str | None:
        if isinstance(v, bool) or v is None:
            return None
        if isinstance(v, float) and v.is_integer() and abs(v) >= 1000:
            v = int(v)
        if isinstance(v, int):
            return f"{v:,}" if grouped else str(v)
        if isinstance(v, float):
            return f"{v:g}"
        return v if isinstance(v, str) else None

    out = {}
    for name, v in params.items():
        many = isinstance(v, (list, tuple))
        text = [one(x, False) for x in v] if many else [one(v, True)]
        if text and all(t is not None for t in text):
            out[f"param.{name}"] = ", ".join(text)
    return out


def span(values, fmt=lambda x: f"{x:,}", unit: str = "") -> str:
    """A range as the prose quotes it: '840–2,080' (least–most, each through `fmt`, then
    `unit`), one value where the two read alike, '—' without any value."""
    values = list(values)
    if not values:
        return "—"
    lo, hi = fmt(min(values)), fmt(max(values))
    return f"{lo}{unit}" if lo == hi else f"{lo}–{hi}{unit}"


_RECORD = "application/papermill.record/"  # the prefix of a glued output's mimetypes


@dataclass(frozen=True)
class Quote:
    """A number the notebook's prose quotes: displayed, it is a hidden output under `name`
    (MyST-NB's glue format), and a markdown cell's {glue:text}`name` renders `text` in the
    book; a name no output has fails the build. Every number a chapter's discussion states
    about its runs is quoted so, never typed, and so says what this run measured at any scale
    or parameters."""

    name: str
    text: str

    def _repr_mimebundle_(self, include=None, exclude=None):
        data = {f"{_RECORD}text/plain": repr(self.text)}
        return data, {"scrapbook": {"name": self.name, "mime_prefix": _RECORD}}


@dataclass(frozen=True)
class ProseScope:
    """The line above a discussion run at another scale than the book's (prose_scope)."""

    scale: str

    def _repr_markdown_(self) -> str:
        return (
            f'*This run is at `scale="{self.scale}"`. Every number below is this run\'s; the words '
            'around them were written for the book\'s build at `scale="cpu"` and may not fit '
            "them: where they differ, the claims table above decides.*"
        )


def prose_scope(scale: str) -> ProseScope | None:
    """Before a discussion (a cell's value): its numbers are this run's (quoted), its words
    were written for the book's build at scale "cpu"; at another scale it says so."""
    return None if scale == "cpu" else ProseScope(scale)


def tally(rows: Sequence[dict]) -> dict[str, dict[str, int]]:
    """{chapter: {verdict: count}} over claims.json rows, every verdict present (0 if none)."""
    out: dict[str, dict[str, int]] = {}
    for r in rows:
        out.setdefault(r["chapter"], dict.fromkeys(VERDICTS, 0))[r["verdict"]] += 1
    return out
