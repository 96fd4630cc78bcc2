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
from dataclasses import replace
from typing import Any, Callable, Sequence

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


def largest_per_seed(cells, method: str) -> list[Obs]:
    """Per seed, the largest plateau of `method` over every (ζ, ε) cell it ran: a lower bound
    where any is censored."""
    per_cell = [plateaus(c) for (m, _, _), c in cells.items() if m == method]  # [cell][seed]
    return [largest(ks) for ks in zip(*per_cell)]


def init_effect(cells, method: str, eps: float, small: float, large: float) -> list:
    """Per seed, k*(ζ = large) − k*(ζ = small) of `method` at eps, in iterations (signed): a
    lower bound where the large-ζ plateau is censored; UNBOUNDED where the small-ζ one is (the
    difference is then bounded above only)."""
    out = []
    for lo, hi in zip(plateaus(cells[(method, small, eps)]), plateaus(cells[(method, large, eps)])):
        out.append(UNBOUNDED if lo.censored else Obs(hi.value - lo.value, censored=hi.censored))
    return out


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


def log_tau_slope(cells, eps_values, lr: float, m1: float, tau_per_zeta: float) -> list:
    """Per seed, Cor. 1A's log tau factor: the least-squares slope of eta eps k* against ln zeta
    at the smallest eps, over the sweep's zeta with tau = tau_per_zeta * zeta > m1 (the
    corollary's large-initialization condition; tau = |u2| tan(theta) m2). Obs (censored: a
    lower bound), UNBOUNDED or None (fit_obs); None for every seed when fewer than two zeta
    qualify."""
    e_min = min(eps_values)
    zetas = sorted({z for (m, z, e) in cells if m == "gd" and e == e_min})
    large = [z for z in zetas if tau_per_zeta * z > m1]
    n_seeds = len(cells[("gd", zetas[0], e_min)])
    if len(large) < 2:
        return [None] * n_seeds
    per_z = [plateaus(cells[("gd", z, e_min)]) for z in large]  # [zeta][seed]
    x = [math.log(z) for z in large]
    f = lr * e_min  # eta eps
    return [
        fit_obs(
            x, [Obs(o.value * f, censored=o.censored) for o in ks], lambda a, b: linfit(a, b)[0]
        )
        for ks in zip(*per_z)
    ]


# ---- Theorem 1 alone: its plateau over a grid of initializations (nothing sampled or trained)

THEOREM_ZETAS = tuple(10 ** (i / 8) for i in range(-24, 25))  # 1e-3 .. 1e3, 8 per decade


def theorem_plateau(cfg: Any) -> int | None:
    """Theorem 1's plateau for a ToyConfig: the first iteration at which its test error is at
    most 1/2 (None: not within cfg.num_steps), found as the runs find theirs."""
    from . import toy

    steps = toy.step_grid(cfg.num_steps)
    theory = toy.theory_error(cfg, steps).tolist()
    return toy.first_below(lambda k: toy.theory_error(cfg, [k]).item(), steps, theory)


def theorem_sweep(
    base: Any, eps_values: Sequence[float], zetas=THEOREM_ZETAS, egd_zetas: Sequence[float] = ()
) -> dict:
    """Theorem 1's own k*(zeta, eps) for GD at base's settings, over a grid of init scales zeta
    and the eps sweep: per zeta the plateaus, eta times their least-squares slope against
    ln(1/eps) (Cor. 1B's law gives 1) and their log-log slope against 1/eps (Cor. 1A's gives
    1); None where a plateau outlasts the budget. "egd": the theorem with eq. 10's iterates
    (EGD, eq. 9) at base.eps, {zeta: k*} for zeta in egd_zetas (the runs' init scales). A
    fraction of a second: closed forms only."""
    rows = []
    inv = [1 / e for e in eps_values]
    for z in zetas:
        ks = [theorem_plateau(replace(base, method="gd", init_scale=z, eps=e)) for e in eps_values]
        row = {"zeta": z, "plateaus": ks, "per_efold": None, "loglog": None}
        if None not in ks and len(ks) >= 2:
            row["per_efold"] = base.lr * linfit([math.log(v) for v in inv], ks)[0]
            row["loglog"] = loglog_slope(inv, ks)
        rows.append(row)
    tau_per_zeta = (
        abs(math.sin(math.radians(base.init_angle_deg)))
        * math.tan(math.radians(base.theta_deg))
        * base.m2
    )  # tau = |u2| tan(theta) m2 = tau_per_zeta * zeta
    return {
        "lr": base.lr,
        "eps_values": list(eps_values),
        "rows": rows,
        "m1": base.m1,
        "tau_per_zeta": tau_per_zeta,
        "eps": base.eps,
        "egd": {
            float(z): theorem_plateau(replace(base, method="egd", init_scale=float(z)))
            for z in egd_zetas
        },
    }


def log_law(row: dict, band: tuple[float, float], power_below: float = 0.5) -> bool:
    """Whether a theorem_sweep row follows Cor. 1B's law: eta x (iterations per e-fold of 1/eps)
    inside `band`, while the log-log slope stays below `power_below` (a logarithm, not a
    power of 1/eps)."""
    return (
        row["per_efold"] is not None
        and band[0] <= row["per_efold"] <= band[1]
        and row["loglog"] < power_below
    )
