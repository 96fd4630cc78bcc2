"""Chapter 4's claim checks: every claim's per-seed values (None where censored) and notes, from
the records of chapters.adam_dynamics.configs' and .transplant's runs.

Ratios of grok steps count a censored run's budget (measures.grok_ratio, a bound); correlations
over runs are grokcore.outcomes.correlation_test's.
"""

from __future__ import annotations

import statistics
from typing import Sequence

from grokcore import outcomes
from grokcore.records import RunRecord

from . import measures as A
from . import transplant as T


def describe_correlation(s: dict) -> str:
    """One line for an outcomes.correlation_test result: r, its Fisher-z interval, p and n."""
    if s["r"] is None:
        return f"r undefined (n = {s['n']})"
    return (
        f"Pearson r = {s['r']:.3f}, 95% CI [{s['lo']:.3f}, {s['hi']:.3f}] (Fisher z), "
        f"p = {s['p']:.2g} (normal approximation), n = {s['n']} runs"
    )


def check_claims(
    CLAIMS: dict,
    part: dict,
    by_beta1: dict,
    by_wd: dict,
    gf: dict,
    gf_beta1s,
    dips,
    gaps,
    dip_stats: dict,
    *,
    scale: str,
    threshold: float,
) -> list:
    """Every claim's ClaimResult (values per seed; None where censored)."""
    res = []
    b_hi, b_lo = gf_beta1s  # default Adam β1 and the lower one
    budget = next(iter(gf.values()))[0].config["run"]["num_steps"]
    bound = f"a censored seed counts the budget ({budget} steps): its ratio is a bound"

    def n_cens(*cells):
        return ", ".join(
            f"{outcomes.n_censored(gf[c])}/{len(gf[c])} censored at β1 {c[0]:g}"
            f"{' + Grokfast' if c[1] != 'none' else ''}"
            for c in cells
        )

    hi_gf, hi, lo, lo_gf = (
        (b_hi, "grokfast_ema"),
        (b_hi, "none"),
        (b_lo, "none"),
        (b_lo, "grokfast_ema"),
    )
    res.append(
        CLAIMS["gf-default"].check(
            A.grok_ratio(gf[hi_gf], gf[hi]), scale=scale, note=f"{bound}; {n_cens(hi_gf, hi)}"
        )
    )
    res.append(
        CLAIMS["b05-default"].check(
            A.grok_ratio(gf[lo], gf[hi]), scale=scale, note=f"{bound}; {n_cens(lo, hi)}"
        )
    )
    best = [A.faster(x, y) for x, y in zip(gf[hi_gf], gf[lo])]  # per seed, the faster of the two
    res.append(
        CLAIMS["gf-b05-worse"].check(
            A.grok_ratio(gf[lo_gf], best), scale=scale, note=f"{bound}; {n_cens(lo_gf, hi_gf, lo)}"
        )
    )

    gaps_b = {b: [A.gap(r.summary) for r in rs] for b, rs in by_beta1.items()}
    meds = {b: A.median(g) for b, g in gaps_b.items()}
    low = [m for b, m in meds.items() if b <= 0.4 and m is not None]
    flat = [max(low) / min(low)] if len(low) >= 2 and min(low) > 0 else []
    res.append(CLAIMS["b1-flat"].check(flat, scale=scale, note=f"median gaps at β1 ≤ 0.4: {low}"))
    top = max(by_beta1)
    rise = [A.ratio(g, meds.get(0.0)) for g in gaps_b[top]]
    res.append(
        CLAIMS["b1-rise"].check(
            rise, scale=scale, note=f"per seed: gap at β1 {top:g} over the median gap at β1 0"
        )
    )
    res.append(CLAIMS["b1-zero-gap"].check(gaps_b.get(0.0, []), scale=scale))

    wd_rate = {w: [1.0 if A.grokked(r) else 0.0 for r in rs] for w, rs in by_wd.items()}
    budget = next(iter(by_wd.values()))[0].summary["last_step"]
    res.append(
        CLAIMS["wd0-rate"].check(wd_rate.get(0.0, []), scale=scale, note=f"budget {budget} steps")
    )
    res.append(CLAIMS["wd1-rate"].check(wd_rate.get(1.0, []), scale=scale))
    res.append(CLAIMS["wd1-gap"].check([A.gap(r.summary) for r in by_wd.get(1.0, [])], scale=scale))
    res.append(
        CLAIMS["wd2-no-memo"].check(
            [A.memorization_margin(r) for r in by_wd.get(2.0, [])],
            scale=scale,
            note="margin at weight decay 1: "
            + _med([A.memorization_margin(r) for r in by_wd.get(1.0, [])]),
        )
    )
    res.append(
        CLAIMS["wd2-rate"].check(
            wd_rate.get(2.0, []),
            scale=scale,
            note=f"budget {budget} steps; final test "
            "accuracy " + _med([r.final["test_acc"] for r in by_wd.get(2.0, [])]),
        )
    )
    res.append(
        CLAIMS["wd5-dead"].check([r.final["train_acc"] for r in by_wd.get(5.0, [])], scale=scale)
    )

    osc = {w: [A.post_grok(r) for r in rs] for w, rs in by_wd.items()}

    def post(wd, k):  # a run that did not grok (or too late to measure) is censored
        return [f.get(k) if f else None for f in osc.get(wd, [])]

    censored = (
        "censored: a run that did not grok within the budget (or with < 8 evaluations after it)"
    )
    res.append(
        CLAIMS["osc-period"].check(
            post(1.0, "period"), scale=scale, note=censored + ", or no cycle in the autocorrelation"
        )
    )
    res.append(CLAIMS["osc-norm"].check(post(1.0, "corr_norm"), scale=scale, note=censored))
    res.append(CLAIMS["osc-collapse"].check(post(0.25, "collapses"), scale=scale, note=censored))
    res.append(CLAIMS["osc-hover"].check(post(2.0, "min_acc"), scale=scale, note=censored))

    diag = A.diagnostic_runs(part["beta1"])
    hf = {b: [A.hessian_features(r) for r in rs] for b, rs in diag.items()}
    res.append(CLAIMS["hess-spike"].check([h.get("spike") for h in hf.get(0.9, [])], scale=scale))
    lag0 = A.median([h.get("lag") for h in hf.get(0.0, [])])
    lags = [
        None if h.get("lag") is None or lag0 is None else h["lag"] - lag0 for h in hf.get(0.9, [])
    ]
    res.append(
        CLAIMS["hess-lag"].check(lags, scale=scale, note=f"median lag at β1 0: {lag0} steps")
    )
    res.append(
        CLAIMS["agree-rise"].check(
            [A.agreement_rise(r) for rs in by_beta1.values() for r in rs], scale=scale
        )
    )
    mc = [
        A.window_mean(r, "moment_cos", r.summary["step_to_train_acc_95"], A.grok_step(r))
        for r in by_beta1.get(0.9, [])
    ]
    res.append(CLAIMS["moment-cos"].check(mc, scale=scale))
    res.append(
        CLAIMS["rank-drop"].check(
            [A.rank_change(r) for rs in diag.values() for r in rs], scale=scale
        )
    )
    rates, rgaps = A.dip_rates(part["beta1"], threshold)
    rate_stats = outcomes.correlation_test(rates, rgaps)
    note = (
        describe_correlation(dip_stats)
        + "; dips per 100 steps instead: "
        + describe_correlation(rate_stats)
    )
    res.append(
        CLAIMS["dips-gap"].check(
            [dip_stats["r"]] if dip_stats["r"] is not None else [], scale=scale, note=note
        )
    )
    return res


def _med(values) -> str:
    """'median (median of n)' over the values that are not None, or '—' if there are none."""
    v = [x for x in values if x is not None]
    return f"{statistics.median(v):.2f} (median of {len(v)})" if v else "—"


def transplant_claims(CLAIMS: dict, records: Sequence[RunRecord], *, scale: str) -> list:
    """The Fourier transplant's two rows (chapters.adam_dynamics.transplant)."""
    took = [r for r in records if r.summary["transplanted"]]
    note = (
        f"{len(took)}/{len(records)} seeds memorized and then grokked "
        "(the others took no transplant); "
        f"test accuracy at the transplant {_med([r.summary['test_acc_at'] for r in took])}"
    )
    speed = [T.speedup(r) for r in took]
    return [
        CLAIMS["transplant"].check(
            speed, scale=scale, note=note + "; censored: the transplanted copy did not grok"
        ),
        CLAIMS["fourier-early"].check(
            [T.presence(r) for r in took],
            scale=scale,
            note="score at the end " + _med([r.summary["score_end"] for r in took]),
        ),
    ]
