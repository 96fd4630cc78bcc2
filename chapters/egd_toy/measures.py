"""What chapter 1 reads from the toy's runs: records grouped by cell, how plateaus scale with
1/eps, and the per-seed values behind the chapter's claims. Nothing here trains.

A run's plateau (chapters.egd_toy.toy.first_below, in its summary) is a time to an event: a run
whose test error never came down to 1/2 is censored at its budget (grokcore.outcomes.times), and
so is every value computed from it: a grokcore.estimates.Obs marked censored where the data only
bound it from below, UNBOUNDED where a censored plateau leaves it without a bound on that side
(no value, but known to be censored), None where it is undefined for another reason.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

from grokcore.estimates import Obs
from grokcore.outcomes import linfit, loglog_slope, times
from grokcore.records import RunRecord

PLATEAU = "plateau"  # summary key: first iteration with test error <= 1/2
# A seed whose censored plateau leaves its value unbounded below: the estimators count it as
# missing (its value is not finite); chapters.egd_toy.claims counts it as censored.
UNBOUNDED = Obs(math.nan, censored=True)


def unbounded(v) -> bool:
    """Whether a per-seed value is UNBOUNDED (no value because a plateau was censored)."""
    return isinstance(v, Obs) and v.censored and math.isnan(v.value)


def by_cell(records: list[RunRecord]) -> dict[tuple[str, float, float], list[RunRecord]]:
    """Group records by (method, init_scale, eps); each list is ordered by seed."""
    cells: dict[tuple, list] = {}
    for r in sorted(records, key=lambda r: r.config["seed"]):
        c = r.config
        cells.setdefault((c["method"], c["init_scale"], c["eps"]), []).append(r)
    return cells


def plateaus(recs: Sequence[RunRecord]) -> list[Obs]:
    """Per run, its plateau: the iteration, or censored at the budget where never reached."""
    return times(recs, PLATEAU)


def fit_obs(
    x: Sequence[float], ys: Sequence[Obs], fit: Callable[[list, list], float]
) -> Obs | None:
    """One seed's least-squares slope fit(x, y) over times that may be censored.

    A censored time enters at its bound. The slope is linear in y with weight (x_i - mean x) /
    Sxx, so raising a point whose x lies above the mean raises the slope: when every censored
    point does, the slope from the bounds is a lower bound (a censored Obs); otherwise it is not
    bounded below (UNBOUNDED). A slope that is not finite (the log of a zero plateau) is None."""
    y = [o.value for o in ys]
    cens = [i for i, o in enumerate(ys) if o.censored]
    mx = sum(x) / len(x)
    if any(x[i] <= mx for i in cens):
        return UNBOUNDED
    try:
        b = fit(list(x), y)
    except (ValueError, ZeroDivisionError):  # log(0), or a single distinct x
        return None
    if not math.isfinite(b):
        return None
    return Obs(b, censored=bool(cens))


def plateau_scaling(cells, method: str, init_scale: float, eps_values) -> dict[str, list]:
    """Per seed: the log-log slope of the plateau against 1/eps ("loglog") and the slope of the
    plateau against ln(1/eps), in iterations per e-fold ("per_efold"): Obs or None (fit_obs)."""
    inv = [1 / e for e in eps_values]
    per_eps = [plateaus(cells[(method, init_scale, e)]) for e in eps_values]  # [eps][seed]
    out: dict[str, list] = {"loglog": [], "per_efold": []}
    for ks in zip(*per_eps):  # one seed's plateaus over eps
        out["loglog"].append(fit_obs(inv, ks, loglog_slope))
        out["per_efold"].append(
            fit_obs([math.log(v) for v in inv], ks, lambda a, b: linfit(a, b)[0])
        )
    return out


def attenuation(small: Obs, large: Obs) -> Obs | None:
    """1 - k*(small init) / k*(large init), one seed: the share of the large-init plateau that
    small init removes. A censored large-init plateau makes it a lower bound; a censored small-init
    one leaves it unbounded below (UNBOUNDED); a large-init plateau of 0 leaves it undefined."""
    if small.censored:
        return UNBOUNDED
    if large.value <= 0:
        return None
    return Obs(1 - small.value / large.value, censored=large.censored)


def train_error_at(rec: RunRecord, k: int) -> float:
    """Train error at the last recorded iteration <= k."""
    h = rec.history
    j = max(i for i, s in enumerate(h["step"]) if s <= k)
    return h["train_err"][j]


def spread(ks: Sequence[Obs]) -> Obs | None:
    """Largest minus smallest of some plateaus: a lower bound where the largest is censored,
    UNBOUNDED where the smallest is (then, at one budget, every one is)."""
    lo = min(ks, key=lambda o: o.value)
    if lo.censored:
        return UNBOUNDED
    hi = max(o.value for o in ks)
    return Obs(hi - lo.value, censored=any(o.censored for o in ks))


def largest(ks: Sequence[Obs]) -> Obs:
    """The largest of some plateaus: a lower bound where any is censored."""
    return Obs(max(o.value for o in ks), censored=any(o.censored for o in ks))


def measurements(cells, eps: float, eps_values, large: float, small: float) -> dict[str, list]:
    """Per-seed values behind chapter 1's claims (chapters.egd_toy.claims), one list entry per
    seed: floats, Obs (censored: a lower bound), UNBOUNDED or None (no value).

    The train error at k*/2 of a seed whose plateau outlasted the budget is UNBOUNDED: k*/2 is
    past the budget's half, and the budget is never taken for k*."""
    n_seeds = len(cells[("gd", large, eps)])
    e_min = min(eps_values)
    k_large = plateaus(cells[("gd", large, eps)])
    out = {"loglog_large": plateau_scaling(cells, "gd", large, eps_values)["loglog"]}
    small_fit = plateau_scaling(cells, "gd", small, eps_values)
    out["per_efold_small"], out["loglog_small"] = small_fit["per_efold"], small_fit["loglog"]
    out["attenuation"] = [
        attenuation(s, g)
        for s, g in zip(
            plateaus(cells[("gd", small, e_min)]), plateaus(cells[("gd", large, e_min)])
        )
    ]
    out["theory_gap"] = [
        max(cells[("gd", z, eps)][i].summary["max_gap_theory"] for z in (large, small))
        for i in range(n_seeds)
    ]
    out["train_err_mid_plateau"] = [
        UNBOUNDED if k.censored else train_error_at(cells[("gd", large, eps)][i], int(k.value) // 2)
        for i, k in enumerate(k_large)
    ]
    egd = {(z, e): plateaus(c) for (m, z, e), c in cells.items() if m == "egd"}
    out["egd_max_plateau"] = [largest([ks[i] for ks in egd.values()]) for i in range(n_seeds)]
    zetas = sorted({z for z, _ in egd})
    spreads = []
    for i in range(n_seeds):
        per_eps = [spread([egd[(z, e)][i] for z in zetas]) for e in eps_values]
        spreads.append(UNBOUNDED if any(map(unbounded, per_eps)) else largest(per_eps))
    out["egd_init_spread"] = spreads
    return out
