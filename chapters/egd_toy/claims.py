"""Chapter 1's claims (EGD §3, the toy model) as data, and the one function that computes their
rows from the chapter's runs.

`CLAIMS` holds every claim of EGD §3 the book knows of, declared before the runs: the band that
counts as agreeing with the paper, why, the estimator and the fewest seeds that may decide it
(grokcore.claims). `results(...)` gives one row per claim, in CLAIMS order; a claim the run does
not cover (too few ε or ζ values, or one the book never runs) gives a "not run" row saying why.

Rules (tests: chapters/egd_toy/tests/test_toy_claims.py):
- a plateau is a time to an event (test error down to 1/2): a run that never got there is
  censored at its budget (grokcore.outcomes.times), never counted as a time;
- a per-seed value computed from censored plateaus is a lower bound (a censored Obs) where the
  data bound it from below; where they do not, the seed has no value but counts as censored
  (measures.UNBOUNDED: named in the note, and when no seed has a value the row is "not testable
  at this budget", not "not run");
- every quantity is a per-seed value with a Student t interval (estimator "mean"; a censored
  seed leaves only the lower limit). Seeds vary only the sampled data, so most quantities
  barely vary across seeds: an interval of zero width is a measurement, not an error.

Seeds: 3 (the floor) for the slopes, the attenuation, the train error and the EGD plateaus,
which the sampled data move by little (Theorem 1 gives their large-n limits), and for SGD's
slope, whose minibatch noise averages out over a plateau of thousands of steps; 5 for the gap
between Theorem 1 and the simulation, a maximum over iterations of the finite-sample noise.

"EGD" without a qualifier is eq. 9, the Σ̂⁻¹-preconditioned step the paper's toy analysis uses
(§3.2; method "egd"). The rows named egd11 run EGD as eq. 11 defines it, the method the paper
then proposes: on the toy's 1×2 gradient, normalized GD (chapters.egd_toy.iterated).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Mapping, Sequence

from grokcore.claims import Claim, ClaimResult
from grokcore.estimates import Obs, median

from . import measures

INF = math.inf

_FEW_WHY = (
    "Fig. 6 right: 'the generalization error jumps to a perfect value after only a few "
    "iterations'; no number is given. At most 10 iterations is the chapter's earlier range "
    "[0, 10], kept (a plateau cannot be negative, so the band is open below)"
)

SMALL_INIT_BAND_VALUE = (0.5, 1.5)  # Cor. 1B's law: eta x iterations per e-fold of 1/eps

_EQ11_WHY = (
    "The paper's toy analysis is of eq. 9, the Σ̂⁻¹-preconditioned step (§3.2: 'under the "
    "modified gradient descent update rule (9) ... This leads to grokking after just a few "
    "iterations, as seen in Figure 6'; rows egd-few-iterations, egd-insensitive-to-init); the "
    "method it then proposes and names EGD is eq. 11, (G Gᵀ)^(-1/2) G, which on this toy's 1×2 "
    "gradient g is g/‖g‖ (normalized GD). No result of the paper is about eq. 11 on the toy, so "
    "none contradicts this statement: a failure is 'contradicted' (our runs of eq. 11), not "
    "'inconsistent in the source'"
)

CLAIMS: dict[str, Claim] = {
    c.id: c
    for c in (
        Claim(
            "gd-plateau-large-init",
            "EGD §3, Cor. 1A, Fig. 6 left",
            "At large initialization, GD's plateau grows like 1/ε",
            paper="k* ≍ 1/ε: log-log slope 1",
            quantity="per seed, the least-squares slope of log k* against log(1/ε) over the ε "
            "sweep at the large ζ (k*: first iteration with test error ≤ 1/2; a lower bound "
            "where a plateau outlasts the budget)",
            band=(0.85, 1.15),
            why="Cor. 1A: 'the plateau length of the test error (the time to grok) is of order "
            "k* ≍ log τ/(ηε) ≍ 1/ε'; Fig. 6: 'long plateaus (of length k* ≈ 1/ε)'. The source "
            "gives no tolerance: [0.85, 1.15] is the chapter's earlier range, kept",
            min_seeds=3,
        ),
        Claim(
            "gd-plateau-small-init",
            "EGD §3, Cor. 1B, Fig. 6 left",
            "At small initialization, GD's plateau grows like log 1/ε, by 1/η iterations per "
            "e-fold of 1/ε",
            paper="k* ≈ (1/η) log(1/(τε)): η × (iterations per e-fold) = 1",
            quantity="per seed, η times the least-squares slope of k* against ln(1/ε) over the "
            "ε sweep at the small ζ",
            band=SMALL_INIT_BAND_VALUE,
            why="Cor. 1B: 'the plateau length is of order k* ≈ (1/η) log(1/(τε)) ≈ log(1/ε)', "
            "a slope of 1/η per e-fold. The source gives no tolerance: 0.5/η to 1.5/η is the "
            "chapter's earlier range, kept (here scaled by η, so it does not move with η)",
            min_seeds=3,
        ),
        Claim(
            "small-init-attenuates",
            "EGD §3, Fig. 6 caption",
            "Small initialization attenuates GD's plateau, compared with large initialization "
            "(at the smallest ε of the sweep)",
            paper="k* (small ζ) ≪ k* (large ζ)",
            quantity="per seed, 1 − k*(small ζ) / k*(large ζ) at the smallest ε: the share of "
            "the plateau that small initialization removes (a lower bound where the large-ζ "
            "plateau outlasts the budget)",
            band=(0.9, INF),
            why="Fig. 6: 'small initialization attenuates it'. No number is given: a ratio "
            "k*(small)/k*(large) of at most 0.1 (the chapter's earlier range [0, 0.1]) is a "
            "share removed of at least 0.9 (it cannot exceed 1, so the band is open above)",
            min_seeds=3,
            digits=5,
        ),
        Claim(
            "theory-matches-simulation",
            "EGD §3, Thm. 1, Fig. 6",
            "Theorem 1 predicts the simulated GD test-error curve",
            paper="dashed theory on the solid experiment (Fig. 6)",
            quantity="per seed, the largest |simulated − Theorem 1| test error over the "
            "iterations, the larger of the two initializations, at the Fig. 6 ε",
            band=(-INF, 0.05),
            why="Fig. 6: 'Solid lines correspond to experimental results, while broken lines "
            "correspond to our theory (Theorem 1)'. No tolerance given: a gap of at most 0.05 "
            "is the chapter's earlier range [0, 0.05], kept (a gap cannot be negative, so the "
            "band is open below)",
            min_seeds=5,
            digits=3,
        ),
        Claim(
            "gd-memorizes-first",
            "EGD §3, after Cor. 1",
            "GD fits the training set during the plateau, at large initialization",
            paper="100% training accuracy, very poor test accuracy",
            quantity="per seed, the train error at k*/2 at the large ζ and the Fig. 6 ε (no "
            "value where the plateau outlasts the budget)",
            band=(-INF, 0.01),
            why="after Cor. 1: GD 'will quickly converge to a decision-boundary which memorizes "
            "the training data (100% training accuracy, very poor test accuracy)'. At most 1% "
            "train error is the chapter's earlier range [0, 0.01], kept (open below: an error "
            "cannot be negative)",
            min_seeds=3,
            digits=4,
        ),
        Claim(
            "egd-few-iterations",
            "EGD §3.2, eq. 9–10, Fig. 6 right",
            "EGD's plateau lasts a few iterations for every ζ and ε of the sweep",
            paper="'a few iterations'",
            quantity="per seed, the largest EGD plateau k* over the sweep's ζ and ε (a lower "
            "bound where one outlasts the budget)",
            band=(-INF, 10),
            why=_FEW_WHY,
            min_seeds=3,
            unit="it.",
            digits=1,
        ),
        Claim(
            "egd-insensitive-to-init",
            "EGD §3.2, Fig. 6 right",
            "EGD's plateau changes by at most a few iterations over the initialization scales ζ",
            paper="'completely insensitive to the scaling of the initialization'",
            quantity="per seed, the largest EGD plateau minus the smallest over the sweep's ζ, "
            "at the ε where that spread is largest (a lower bound where one outlasts the "
            "budget)",
            band=(-INF, 10),
            why="Fig. 6 right: 'EGD appears to be completely insensitive to the scaling of the "
            "initialization'. No number is given, and eq. 10 leaves k* growing like log ζ; "
            "a spread within the 'few iterations' of the row above (at most 10) is read as "
            "insensitive. The second part of the chapter's earlier EGD row, now a row of its own; "
            "egd-init-effect reads 'completely' strictly",
            min_seeds=3,
            unit="it.",
            digits=1,
        ),
        Claim(
            "egd-init-effect",
            "EGD §3.2, Fig. 6 right",
            "EGD's plateau is the same at the largest and the smallest initialization scale ζ",
            paper="'completely insensitive to the scaling of the initialization'",
            quantity="per seed, k*(largest ζ) − k*(smallest ζ) of the sweep, EGD (eq. 9), at "
            "the Fig. 6 ε (a lower bound where the largest-ζ plateau outlasts the budget)",
            band=(-2, 2),
            why="Fig. 6 right: 'EGD appears to be completely insensitive to the scaling of the "
            "initialization'. 'Completely' allows no effect; each k* is a whole number of "
            "iterations, so no effect can read ±1, and ±2 leaves one more iteration for the "
            "sampled data (ours)",
            min_seeds=3,
            unit="it.",
            digits=1,
        ),
        Claim(
            "sgd-plateau-large-init",
            "EGD §3, after Cor. 1 (Cor. 1A)",
            "At large initialization, SGD's plateau grows like 1/ε, as GD's does",
            paper="'This result can be extended to vanilla stochastic gradient descent (SGD)': "
            "k* ≍ 1/ε, log-log slope 1",
            quantity="per seed, the least-squares slope of log k* against log(1/ε) over the ε "
            "sweep at the large ζ, minibatch SGD (k*: first iteration with test error ≤ 1/2; a "
            "lower bound where a plateau outlasts the budget)",
            band=(0.85, 1.15),
            why="after Cor. 1: 'This result can be extended to vanilla stochastic gradient descent "
            "(SGD)'; no figure, number or batch size is given. The band is that of "
            "gd-plateau-large-init (Cor. 1A's 1/ε, the chapter's earlier range [0.85, 1.15])",
            min_seeds=3,
        ),
        Claim(
            "gd-plateau-log-tau",
            "EGD §3, Cor. 1A",
            "At large initialization the plateau carries a log τ factor: k* ≍ log τ/(ηε), "
            "with τ = |u₂| tan θ m₂ ∝ ζ",
            paper="k* ≍ log τ/(ηε): ηεk* grows by 1 per e-fold of ζ",
            quantity="per seed, the least-squares slope of ηεk* against ln ζ at the smallest ε, "
            "over the sweep's ζ with τ > m₁ (the corollary's condition)",
            band=(0.5, 1.5),
            why="Cor. 1A: 'k* ≍ log τ/(ηε) ≍ 1/ε'. ≍ gives no constant: a slope within a factor "
            "1.5 of 1 is our range (ours)",
            min_seeds=3,
        ),
        Claim(
            "egd11-few-iterations",
            "EGD §1 (contributions), §4 eq. 11, Fig. 6 right",
            "EGD as eq. 11 defines it groks within a few iterations for every ζ and ε of the sweep",
            paper="'groks immediately: the generalization error jumps to a perfect value after "
            "only a few iterations'",
            quantity="per seed, the largest plateau k* of eq. 11 (normalized GD on the toy) over "
            "the sweep's ζ and ε (a lower bound where one outlasts the budget)",
            band=(-INF, 10),
            why="Fig. 6 right: 'Our proposed EGD ... method groks immediately: the generalization "
            "error jumps to a perfect value after only a few iterations'; §1: 'our proposed "
            "method typically groks immediately at the very beginning of the learning curve'. "
            "The band is egd-few-iterations' (at most 10). " + _EQ11_WHY,
            min_seeds=3,
            unit="it.",
            digits=1,
        ),
        Claim(
            "egd11-plateau-slope",
            "EGD §1 (contributions), §3.2, §4 eq. 11",
            "EGD as eq. 11 defines it removes the plateau's growth with 1/ε at large "
            "initialization",
            paper="'The troublesome dependence on ε has now completely disappeared' (§3.2); "
            "'guaranteed to drastically grok, compared to vanilla methods' (§1)",
            quantity="per seed, the least-squares slope of log k* against log(1/ε) over the ε "
            "sweep at the large ζ, eq. 11 (a lower bound where a plateau outlasts the budget)",
            band=(-0.15, 0.15),
            why="§3.2 (of eq. 9): 'The troublesome dependence on ε has now completely "
            "disappeared'; §1: 'We develop a theory which shows that our proposed EGD method is "
            "guaranteed to drastically grok, compared to vanilla methods'. No dependence is a "
            "slope of 0; ±0.15 is the half-width gd-plateau-large-init allows around GD's 1 "
            "(eq. 10 gives eq. 9 a slope of exactly 0 at every ζ of the sweep). " + _EQ11_WHY,
            min_seeds=3,
        ),
    )
}


NOT_RUN: dict[str, str] = {}  # claim id -> why the book never runs it (none: every claim runs)


def results(
    cells: Mapping[tuple[str, float, float], Sequence],
    *,
    eps: float,
    eps_values: Sequence[float],
    large: float,
    small: float,
    lr: float,
    scale: str,
    theorem: dict | None = None,
) -> list[ClaimResult]:
    """One row per CLAIMS entry, in its order, from the chapter's runs.

    cells: measures.by_cell of the records (every (method, ζ, ε) of the sweep); eps: the Fig. 6
    panels' ε; eps_values: the sweep's ε; large, small: the two initialization scales ζ; lr: the
    step size η (it scales the small-init slope); theorem: measures.theorem_sweep at the runs'
    settings, Theorem 1's own plateau over a grid of ζ (and EGD's at the runs' ζ, for the
    egd-init-effect note). Where no ζ of that grid follows Cor. 1B's law, the small-init row
    says the paper is inconsistent (its Theorem 1 against its Cor. 1B), with the evidence,
    whatever our runs give. The rows of egd11 and SGD are "not run" where the sweep lacks their
    method (or, for a slope, a second ε at the large ζ)."""
    rows: dict[str, ClaimResult] = {}
    reasons = dict(NOT_RUN)
    m = measures.measurements(cells, eps, eps_values, large, small)
    eps_values = sorted(eps_values, reverse=True)
    zetas = sorted({z for (meth, z, _) in cells if meth == "egd"})
    sweep = f"ε from {eps_values[0]:g} to {eps_values[-1]:g} ({len(eps_values)} values)"

    def add(cid: str, values, note: str) -> None:
        est = CLAIMS[cid].estimate(values)
        k = sum(map(measures.unbounded, values))
        if k:
            note += f"; {k} seed{'s' * (k > 1)} without a value: a plateau outlasted the budget"
        data = (values,)  # the claim's estimate of them: a resampled projection may read them
        if k and est.n == 0:  # censored in every seed: not identified, not "not run"
            est, data = replace(est, n=k, censored=k, missing=est.missing - k), None
        rows[cid] = CLAIMS[cid].judge(est, scale=scale, note=note, data=data)

    if len(eps_values) >= 2:
        add("gd-plateau-large-init", m["loglog_large"], f"ζ = {large:g}; {sweep}")
        loglog = CLAIMS["gd-plateau-small-init"].estimate(m["loglog_small"])
        small_values = [_scaled(v, lr) for v in m["per_efold_small"]]
        small_note = f"ζ = {small:g}, η = {lr:g}; {sweep}; log-log slope {_point(loglog)}"
        add("gd-plateau-small-init", small_values, small_note)
        evidence = theorem_evidence(theorem) if theorem else None
        if evidence:
            est = CLAIMS["gd-plateau-small-init"].estimate(small_values)
            rows["gd-plateau-small-init"] = CLAIMS["gd-plateau-small-init"].inconsistent(
                est, evidence, scale=scale, note=small_note
            )
        if theorem:
            tau = (lr, theorem["m1"], theorem["tau_per_zeta"])
            above = [z for (m, z, e) in cells if m == "gd" and e == eps_values[-1]]
            above = sorted(z for z in above if tau[2] * z > tau[1])
            if len(above) >= 2:
                note = f"ζ = {', '.join(f'{z:g}' for z in above)} (τ > m₁); ε = {eps_values[-1]:g}"
                add("gd-plateau-log-tau", measures.log_tau_slope(cells, eps_values, *tau), note)
            else:
                reasons["gd-plateau-log-tau"] = (
                    f"{len(above)} of the sweep's ζ have τ > m₁ (Cor. 1A's condition): a slope "
                    "needs two or more"
                )
        else:
            reasons["gd-plateau-log-tau"] = "needs the toy's settings (results' theorem=...)"
    else:
        why = f"the sweep has one ε ({eps_values[0]:g}): a slope needs two or more"
        reasons["gd-plateau-large-init"] = reasons["gd-plateau-small-init"] = why
        reasons["gd-plateau-log-tau"] = why
    add(
        "small-init-attenuates",
        m["attenuation"],
        f"ζ = {small:g} against ζ = {large:g} at ε = {min(eps_values):g}",
    )
    add("theory-matches-simulation", m["theory_gap"], f"ζ = {large:g} and {small:g}, ε = {eps:g}")
    add("gd-memorizes-first", m["train_err_mid_plateau"], f"ζ = {large:g}, ε = {eps:g}")
    zeta_text = f"ζ from {zetas[0]:g} to {zetas[-1]:g} ({len(zetas)} values)"
    add("egd-few-iterations", m["egd_max_plateau"], f"{zeta_text}; {sweep}")
    if len(zetas) >= 2:
        add("egd-insensitive-to-init", m["egd_init_spread"], f"{zeta_text}; {sweep}")
        effect = measures.init_effect(cells, "egd", eps, zetas[0], zetas[-1])
        add("egd-init-effect", effect, _init_effect_note(zetas, eps, lr, theorem))
    else:
        reasons["egd-insensitive-to-init"] = f"the sweep has one ζ ({zetas[0]:g})"
        reasons["egd-init-effect"] = reasons["egd-insensitive-to-init"]
    ran = sorted({meth for (meth, _, _) in cells})
    for method, cid in (("sgd", "sgd-plateau-large-init"), ("egd11", "egd11-plateau-slope")):
        have = [e for e in eps_values if (method, large, e) in cells]
        if method not in ran:
            reasons[cid] = f"the sweep runs no {method} (methods {', '.join(ran)})"
        elif len(have) < 2:
            reasons[cid] = (
                f"{method} ran at {len(have)} ε at ζ = {large:g}: a slope needs two or more"
            )
        else:
            slopes = measures.plateau_scaling(cells, method, large, have)["loglog"]
            add(cid, slopes, _slope_note(cells, method, large, have, rows))
    if "egd11" in ran:
        z11 = sorted({z for (meth, z, _) in cells if meth == "egd11"})
        e11 = sorted({e for (meth, _, e) in cells if meth == "egd11"}, reverse=True)
        note = (
            f"ζ from {z11[0]:g} to {z11[-1]:g} ({len(z11)} values); ε from {e11[0]:g} to "
            f"{e11[-1]:g} ({len(e11)} values); {_eq9_text(rows)}"
        )
        add("egd11-few-iterations", measures.largest_per_seed(cells, "egd11"), note)
    else:
        reasons["egd11-few-iterations"] = f"the sweep runs no egd11 (methods {', '.join(ran)})"
    for cid, reason in reasons.items():
        rows[cid] = CLAIMS[cid].not_run(reason, scale=scale)
    return [rows[cid] for cid in CLAIMS]


def _init_effect_note(zetas, eps: float, lr: float, theorem: dict | None) -> str:
    """The init-effect row's settings and eq. 10's expectation (Theorem 1 with EGD's iterates,
    computed by measures.theorem_sweep, never typed)."""
    note = f"ζ = {zetas[-1]:g} against ζ = {zetas[0]:g}, ε = {eps:g}"
    expected = (theorem or {}).get("egd", {})
    lo, hi = expected.get(zetas[0]), expected.get(zetas[-1])
    if lo is None or hi is None or theorem.get("eps") != eps:
        return note
    return note + (
        f"; eq. 10 with Theorem 1 (large n) expects k* = {lo} and {hi}, an effect of {hi - lo} "
        f"iterations: w(k) = aᵏ w(0) + (1 − aᵏ) w_ols (a = 1 − η = {1 - lr:g}) reaches error 1/2 "
        "once aᵏ ζ falls to about w_ols,1 tan θ / 2, so k* grows like ln ζ / ln(1/a)"
    )


def _eq9_text(rows) -> str:
    """What an eq.-11 row's note says of eq. 9, with eq. 9's computed verdict."""
    return (
        "the paper's toy analysis is of eq. 9 (egd-few-iterations: "
        f"{rows['egd-few-iterations'].verdict}); eq. 11 is the method it then proposes"
    )


def _slope_note(cells, method: str, large: float, eps_values, rows) -> str:
    """The settings of an SGD or eq.-11 slope row, with GD's plateau beside the method's at the
    smallest ε (medians over seeds; '≥' where censored) and, for eq. 11, eq. 9's verdict."""
    e_min = min(eps_values)
    k = {m: _median_text(cells.get((m, large, e_min))) for m in (method, "gd")}
    note = (
        f"ζ = {large:g}; ε from {max(eps_values):g} to {e_min:g} ({len(eps_values)} values); "
        f"at ε = {e_min:g}, k* = {k[method]} ({method}) against {k['gd']} (GD)"
    )
    if method == "sgd":
        batch = cells[(method, large, e_min)][0].config.get("batch_size")
        return note + f"; batch {batch}, drawn with replacement"
    return f"{note}; {_eq9_text(rows)}"


def _median_text(recs) -> str:
    """The Kaplan-Meier median plateau of a cell's runs; '≥ bound' where it is not identified."""
    if not recs:
        return "—"
    est = median(measures.plateaus(recs))
    return f"{est.estimate:g}" if est.identified else f"≥ {est.low:g}"


def theorem_evidence(theorem: dict) -> str | None:
    """Why Cor. 1B does not follow from Theorem 1, from measures.theorem_sweep (computed, never
    typed); None when some ζ of the grid does follow its law (then the runs decide the row)."""
    rows = theorem["rows"]
    if any(measures.log_law(r, SMALL_INIT_BAND_VALUE) for r in rows):
        return None
    done = [r for r in rows if r["loglog"] is not None]
    flat = [r for r in done if max(r["plateaus"]) <= 3]  # one to three iterations at every ε
    power = [r for r in done if r["loglog"] >= 0.85]  # ∝ 1/ε
    zs = [r["zeta"] for r in rows]
    text = (
        f"Theorem 1 itself, evaluated for GD at {len(rows)} init scales ζ from {min(zs):.3g} to "
        f"{max(zs):.3g} over the ε sweep, gives Cor. 1B's law (η × iterations per e-fold of 1/ε "
        f"in [{SMALL_INIT_BAND_VALUE[0]:g}, {SMALL_INIT_BAND_VALUE[1]:g}], log-log slope < 0.5) "
        "at none of them"
    )
    if flat and power and max(r["zeta"] for r in flat) < min(r["zeta"] for r in power):
        text += (
            f": its plateau is at most {max(max(r['plateaus']) for r in flat)} iterations at "
            f"every ε for ζ ≤ {max(r['zeta'] for r in flat):.3g}, and grows like 1/ε (log-log "
            f"slope ≥ {min(r['loglog'] for r in power):.2f}) for ζ ≥ "
            f"{min(r['zeta'] for r in power):.3g}"
        )
    return text + ". Cor. 1B does not follow from the paper's own Theorem 1"


def _scaled(v: Obs | None, factor: float) -> Obs | None:
    return None if v is None else Obs(v.value * factor, censored=v.censored)


def _point(est) -> str:
    """An estimate's centre for a note: the value, '≥ bound' when only bounded, or '—'."""
    if est.identified:
        return f"{est.estimate:.2f}"
    return f"≥ {est.low:.2f}" if est.bound == "lower" and est.n else "—"
