"""What chapter 1 reads from the toy's runs: records grouped by cell, how plateaus scale with
1/eps, and the per-seed values behind the chapter's claims. Nothing here trains; None marks a
censored seed. (A run's plateau itself is in its summary: chapters.egd_toy.toy.first_below.)
"""

from __future__ import annotations

import math

from grokcore.outcomes import linfit, loglog_slope
from grokcore.records import RunRecord


def by_cell(records: list[RunRecord]) -> dict[tuple[str, float, float], list[RunRecord]]:
    """Group records by (method, init_scale, eps); each list is ordered by seed."""
    cells: dict[tuple, list] = {}
    for r in sorted(records, key=lambda r: r.config["seed"]):
        c = r.config
        cells.setdefault((c["method"], c["init_scale"], c["eps"]), []).append(r)
    return cells


def plateau_scaling(cells, method: str, init_scale: float, eps_values) -> dict[str, list]:
    """Per seed: the log-log slope of plateau vs 1/eps, and the slope of plateau vs ln(1/eps).

    A seed whose plateau is censored at some eps gives None for both."""
    n_seeds = len(cells[(method, init_scale, eps_values[0])])
    out = {"loglog": [], "per_efold": []}
    for i in range(n_seeds):
        ks = [cells[(method, init_scale, e)][i].summary["plateau"] for e in eps_values]
        if any(k is None for k in ks):
            out["loglog"].append(None)
            out["per_efold"].append(None)
            continue
        inv = [1 / e for e in eps_values]
        out["loglog"].append(loglog_slope(inv, ks))
        out["per_efold"].append(linfit([math.log(v) for v in inv], ks)[0])
    return out


def train_error_at(rec: RunRecord, k: int) -> float:
    """Train error at the last recorded iteration <= k."""
    h = rec.history
    j = max(i for i, s in enumerate(h["step"]) if s <= k)
    return h["train_err"][j]


def measurements(cells, eps: float, eps_values, large: float, small: float) -> dict[str, list]:
    """Per-seed values behind chapter 1's claims (None marks a censored seed)."""
    n_seeds = len(cells[("gd", large, eps)])
    e_min = min(eps_values)

    def plateau(method, zeta, e, i):
        return cells[(method, zeta, e)][i].summary["plateau"]

    out = {"loglog_large": plateau_scaling(cells, "gd", large, eps_values)["loglog"]}
    small_fit = plateau_scaling(cells, "gd", small, eps_values)
    out["per_efold_small"], out["loglog_small"] = small_fit["per_efold"], small_fit["loglog"]
    out["small_over_large"] = [
        plateau("gd", small, e_min, i) / plateau("gd", large, e_min, i)
        if plateau("gd", small, e_min, i) and plateau("gd", large, e_min, i)
        else None
        for i in range(n_seeds)
    ]
    out["theory_gap"] = [
        max(cells[("gd", z, eps)][i].summary["max_gap_theory"] for z in (large, small))
        for i in range(n_seeds)
    ]
    out["train_err_mid_plateau"] = [
        train_error_at(cells[("gd", large, eps)][i], plateau("gd", large, eps, i) // 2)
        if plateau("gd", large, eps, i)
        else None
        for i in range(n_seeds)
    ]
    egd = [
        [c[i].summary["plateau"] for (m, _, _), c in cells.items() if m == "egd"]
        for i in range(n_seeds)
    ]
    out["egd_max_plateau"] = [None if None in ks else max(ks) for ks in egd]
    return out
