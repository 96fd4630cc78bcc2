"""Chapter 4's tables and claim checks, from run records (grokcore.adam_dynamics runs)."""
from __future__ import annotations

import statistics
from typing import Sequence

from . import measures as A
from . import transplant as T
from grokcore.records import RunRecord


def _q(values) -> str:
    q = A.quartiles(values)
    return "—" if q is None else f"{q[1]:.0f} ({q[0]:.0f}–{q[2]:.0f})"


def gap_table(groups: dict, name: str) -> list[dict]:
    """Per value: grok rate, median (IQR) gap, median steps to train and test 95%, final train acc."""
    rows = []
    for v, recs in groups.items():
        rows.append({name: v, "grokked": f"{sum(map(A.grokked, recs))}/{len(recs)}",
                     "gap, median (IQR)": _q([A.gap(r.summary) for r in recs]),
                     "train 95% at": _q([r.summary["step_to_train_acc_95"] for r in recs]),
                     "test 95% at": _q([A.grok_step(r) for r in recs]),
                     "final train acc": round(statistics.fmean(r.final["train_acc"] for r in recs), 3)})
    return rows


def grokfast_cells(records: Sequence[RunRecord], beta1s) -> dict[tuple, list[RunRecord]]:
    """(β1, "grokfast_ema" or "none") -> records."""
    cells: dict = {}
    for r in sorted(records, key=lambda r: r.config["run"]["seed"]):
        run = r.config["run"]
        cells.setdefault((run["optim"]["betas"][0], run["method"]["name"]), []).append(r)
    return cells


def grokfast_table(cells: dict, beta1s) -> list[dict]:
    return [{"β1": b, "AdamW": _q([A.grok_step(r) for r in cells[(b, "none")]]),
             "AdamW + Grokfast-EMA": _q([A.grok_step(r) for r in cells[(b, "grokfast_ema")]])} for b in beta1s]


def oscillation_table(by_wd: dict) -> list[dict]:
    rows = []
    for wd, recs in by_wd.items():
        feats = [A.post_grok(r) for r in recs]
        feats = [f for f in feats if f]
        def med(k):
            v = [f[k] for f in feats if f[k] is not None]
            return round(statistics.median(v), 3) if v else None
        rows.append({"weight decay": wd, "grokked runs": len(feats), "amplitude": med("amplitude"),
                     "period (steps)": med("period"), "r(test acc, weight norm)": med("corr_norm"),
                     "lowest test acc": med("min_acc"), "collapses / run": med("collapses")})
    return rows


def diagnostic_runs(records: Sequence[RunRecord]) -> dict[float, list[RunRecord]]:
    """β1 -> the runs that logged the Hessian and rank probes."""
    return A.group([r for r in records if r.history.get("hessian_step")], "beta1")


def diagnostics_table(diag: dict) -> list[dict]:
    rows = []
    for b1, recs in diag.items():
        for r in recs:
            h = A.hessian_features(r)
            tr, te = r.summary["step_to_train_acc_95"], A.grok_step(r)
            rows.append({"β1": b1, "seed": r.config["run"]["seed"], "train 95%": tr, "test 95%": te,
                         "λmax first": round(h["first"], 2), "λmax peak": round(h["peak"], 2), "peak step": h["peak_step"],
                         "grok − peak": h["lag"], "agreement rise": _round(agreement_rise(r)),
                         "moment cos (train→test 95%)": _round(A.window_mean(r, "moment_cos", tr, te)),
                         "rank change": _round(A.rank_change(r))})
    return rows


def _round(x, d=3):
    return None if x is None else round(x, d)


def agreement_rise(r: RunRecord, early: int = 100, window: int = 100) -> float | None:
    """Mean agreement over the `window` steps up to the train-95% step minus its mean over the
    first `early` steps after step 0 (at initialization every example's gradient shares the
    direction away from the uniform output, so step 0 is left out)."""
    tr = r.summary["step_to_train_acc_95"]
    if tr is None:
        return None
    start = A.window_mean(r, "agreement", 1, early)
    end = A.window_mean(r, "agreement", max(tr - window, 1), tr)
    return None if start is None or end is None else end - start


def dips_and_gaps(records: Sequence[RunRecord], threshold: float) -> tuple[list[int], list[int], list[float]]:
    """For every grokked run: agreement dips up to its grokking step, its gap, its β1."""
    dips, gaps, b1 = [], [], []
    for r in records:
        g = A.gap(r.summary)
        if g is None:
            continue
        steps, vals = A.series(r, "agreement")
        dips.append(A.count_dips([v for s, v in zip(steps, vals) if s <= A.grok_step(r)], threshold))
        gaps.append(g)
        b1.append(r.config["run"]["optim"]["betas"][0])
    return dips, gaps, b1


def dip_rates(records: Sequence[RunRecord], threshold: float) -> tuple[list[float], list[int]]:
    """Dips per 100 steps up to the grokking step, and the gap, for every grokked run."""
    dips, gaps, _ = dips_and_gaps(records, threshold)
    steps = [A.grok_step(r) for r in records if A.gap(r.summary) is not None]
    return [100 * d / max(s, 1) for d, s in zip(dips, steps)], gaps


def describe_correlation(s: dict) -> str:
    if s["r"] is None:
        return f"r undefined (n = {s['n']})"
    return (f"Pearson r = {s['r']:.3f}, 95% CI [{s['lo']:.3f}, {s['hi']:.3f}] (Fisher z), "
            f"p = {s['p']:.2g} (normal approximation), n = {s['n']} runs")


def explorer_settings(part: dict) -> dict[str, list[RunRecord]]:
    """"β1 = b, wd = w" (and Grokfast) -> the records of that setting, by seed."""
    out: dict = {}
    for name in ("beta1", "wd", "grokfast"):
        for r in sorted(part[name], key=lambda r: r.config["run"]["seed"]):
            run = r.config["run"]
            label = f"β1 = {run['optim']['betas'][0]:g}, wd = {run['optim']['weight_decay']:g}"
            if run["method"]["name"] != "none":
                label += ", Grokfast"
            if r not in out.setdefault(label, []):
                out[label].append(r)
    return out


def check_claims(CLAIMS: dict, part: dict, by_beta1: dict, by_wd: dict, gf: dict, gf_beta1s, dips, gaps,
                 dip_stats: dict, *, scale: str, threshold: float) -> list:
    """Every claim's ClaimResult (values per seed; None where censored)."""
    res = []
    b_hi, b_lo = gf_beta1s  # default Adam β1 and the lower one
    t = {k: [A.grok_step(r) for r in v] for k, v in gf.items()}

    budget = next(iter(gf.values()))[0].config["run"]["num_steps"]
    bound = f"a censored seed counts the budget ({budget} steps): its ratio is a bound"

    def per_seed(a, b):  # per-seed ratio of grok steps
        return [A.censored_ratio(x, y, budget) for x, y in zip(a, b)]

    def n_cens(*cells):
        return ", ".join(f"{sum(v is None for v in t[c])}/{len(t[c])} censored at β1 {c[0]:g}"
                         f"{' + Grokfast' if c[1] != 'none' else ''}" for c in cells)
    hi_gf, hi, lo, lo_gf = (b_hi, "grokfast_ema"), (b_hi, "none"), (b_lo, "none"), (b_lo, "grokfast_ema")
    res.append(CLAIMS["gf-default"].check(per_seed(t[hi_gf], t[hi]), scale=scale, note=f"{bound}; {n_cens(hi_gf, hi)}"))
    res.append(CLAIMS["b05-default"].check(per_seed(t[lo], t[hi]), scale=scale, note=f"{bound}; {n_cens(lo, hi)}"))
    best = [None if x is None and y is None else min(v for v in (x, y) if v is not None)
            for x, y in zip(t[hi_gf], t[lo])]  # the faster of the two; censored = never
    res.append(CLAIMS["gf-b05-worse"].check(per_seed(t[lo_gf], best), scale=scale,
                                            note=f"{bound}; {n_cens(lo_gf, hi_gf, lo)}"))

    gaps_b = {b: [A.gap(r.summary) for r in rs] for b, rs in by_beta1.items()}
    meds = {b: A.median(g) for b, g in gaps_b.items()}
    low = [m for b, m in meds.items() if b <= 0.4 and m is not None]
    flat = [max(low) / min(low)] if len(low) >= 2 and min(low) > 0 else []
    res.append(CLAIMS["b1-flat"].check(flat, scale=scale, note=f"median gaps at β1 ≤ 0.4: {low}"))
    top = max(by_beta1)
    rise = [A.ratio(g, meds.get(0.0)) for g in gaps_b[top]]
    res.append(CLAIMS["b1-rise"].check(rise, scale=scale,
                                       note=f"per seed: gap at β1 {top:g} over the median gap at β1 0"))
    res.append(CLAIMS["b1-zero-gap"].check(gaps_b.get(0.0, []), scale=scale))

    wd_rate = {w: [1.0 if A.grokked(r) else 0.0 for r in rs] for w, rs in by_wd.items()}
    budget = next(iter(by_wd.values()))[0].summary["last_step"]
    res.append(CLAIMS["wd0-rate"].check(wd_rate.get(0.0, []), scale=scale, note=f"budget {budget} steps"))
    res.append(CLAIMS["wd1-rate"].check(wd_rate.get(1.0, []), scale=scale))
    res.append(CLAIMS["wd1-gap"].check([A.gap(r.summary) for r in by_wd.get(1.0, [])], scale=scale))
    res.append(CLAIMS["wd2-no-memo"].check([A.memorization_margin(r) for r in by_wd.get(2.0, [])], scale=scale,
                                           note="margin at weight decay 1: " + _med(
                                               [A.memorization_margin(r) for r in by_wd.get(1.0, [])])))
    res.append(CLAIMS["wd2-rate"].check(wd_rate.get(2.0, []), scale=scale, note=f"budget {budget} steps; final test "
                                        "accuracy " + _med([r.final["test_acc"] for r in by_wd.get(2.0, [])])))
    res.append(CLAIMS["wd5-dead"].check([r.final["train_acc"] for r in by_wd.get(5.0, [])], scale=scale))

    osc = {w: [A.post_grok(r) for r in rs] for w, rs in by_wd.items()}

    def post(wd, k):  # a run that did not grok (or too late to measure) is censored
        return [f.get(k) if f else None for f in osc.get(wd, [])]
    censored = "censored: a run that did not grok within the budget (or with < 8 evaluations after it)"
    res.append(CLAIMS["osc-period"].check(post(1.0, "period"), scale=scale,
                                          note=censored + ", or no cycle in the autocorrelation"))
    res.append(CLAIMS["osc-norm"].check(post(1.0, "corr_norm"), scale=scale, note=censored))
    res.append(CLAIMS["osc-collapse"].check(post(0.25, "collapses"), scale=scale, note=censored))
    res.append(CLAIMS["osc-hover"].check(post(2.0, "min_acc"), scale=scale, note=censored))

    diag = diagnostic_runs(part["beta1"])
    hf = {b: [A.hessian_features(r) for r in rs] for b, rs in diag.items()}
    res.append(CLAIMS["hess-spike"].check([h.get("spike") for h in hf.get(0.9, [])], scale=scale))
    lag0 = A.median([h.get("lag") for h in hf.get(0.0, [])])
    lags = [None if h.get("lag") is None or lag0 is None else h["lag"] - lag0 for h in hf.get(0.9, [])]
    res.append(CLAIMS["hess-lag"].check(lags, scale=scale, note=f"median lag at β1 0: {lag0} steps"))
    res.append(CLAIMS["agree-rise"].check([agreement_rise(r) for rs in by_beta1.values() for r in rs], scale=scale))
    mc = [A.window_mean(r, "moment_cos", r.summary["step_to_train_acc_95"], A.grok_step(r)) for r in by_beta1.get(0.9, [])]
    res.append(CLAIMS["moment-cos"].check(mc, scale=scale))
    res.append(CLAIMS["rank-drop"].check([A.rank_change(r) for rs in diag.values() for r in rs], scale=scale))
    rates, rgaps = dip_rates(part["beta1"], threshold)
    rate_stats = A.correlation_test(rates, rgaps)
    note = describe_correlation(dip_stats) + "; dips per 100 steps instead: " + describe_correlation(rate_stats)
    res.append(CLAIMS["dips-gap"].check([dip_stats["r"]] if dip_stats["r"] is not None else [], scale=scale, note=note))
    return res


def _med(values) -> str:
    v = [x for x in values if x is not None]
    return f"{statistics.median(v):.2f} (median of {len(v)})" if v else "—"


def transplant_claims(CLAIMS: dict, records: Sequence[RunRecord], *, scale: str) -> list:
    """The Fourier transplant's two rows (grokcore.transplant)."""
    took = [r for r in records if r.summary["transplanted"]]
    note = (f"{len(took)}/{len(records)} seeds memorized and then grokked (the others took no transplant); "
            f"test accuracy at the transplant {_med([r.summary['test_acc_at'] for r in took])}")
    speed = [T.speedup(r) for r in took]
    return [CLAIMS["transplant"].check(speed, scale=scale, note=note + "; censored: the transplanted copy did not grok"),
            CLAIMS["fourier-early"].check([T.presence(r) for r in took], scale=scale,
                                          note="score at the end " + _med([r.summary["score_end"] for r in took]))]


def transplant_table(records: Sequence[RunRecord]) -> list[dict]:
    return [{"seed": r.config["run"]["seed"], "memorized at": r.summary["at_step"],
             "test acc then": _round(r.summary.get("test_acc_at")), "grokked at": r.summary["donor_grok"],
             "with transplant": r.summary["transplant_grok"], "steps after, ratio": _round(T.speedup(r)),
             "Fourier score then / at end": _round(T.presence(r))} for r in records]
