"""Chapter 3's claim checks: per-seed values from the cells of chapters.neuralgrok.configs' plan.

Each `*_claims` function takes the notebook's claims (id -> grokcore.claims.Claim), the cells
(cell name -> records over seeds) and the scale, and returns ClaimResults; a claim whose cells
are not in the plan gets no values and the note NOT_RUN ("not run at this scale"). Speed-ups
are grokcore.outcomes.speedup with fast_censored="budget": a censored run on either side counts
its budget (a bound), both censored gives None.
"""

from __future__ import annotations

from typing import Sequence

from grokcore import outcomes
from grokcore.records import RunRecord

from .configs import COMPOSITE, NAMES
from .measures import (
    acc_at,
    age_phases,
    entropy_ratio,
    first_grok,
    meta_signal,
    oscillation,
    rotation,
    roughness,
)

NOT_RUN = "cells not in this scale's plan"  # the note of a claim whose runs are not planned
KEY = "step_to_test_acc_95"  # the event every time and speed-up here is about


# ---- notes -----------------------------------------------------------------------------------


def censoring_note(cells: dict, ops: Sequence[str], method: str) -> str:
    """How many runs of `method` never reached 95% test accuracy, per task."""
    parts = [
        f"{op}: {outcomes.n_censored(cells[f'{op}/{method}'], KEY)}/{len(cells[f'{op}/{method}'])}"
        for op in ops
    ]
    budget = cells[f"{ops[0]}/{method}"][0].summary["last_step"]
    return f"{NAMES[method]} censored (no 95% within {budget} steps): " + ", ".join(parts)


def censored_note(cells: dict, names: Sequence[str]) -> str:
    """'k/n censored' per cell name, or NOT_RUN if none of them ran."""
    parts = [
        f"{n}: {outcomes.n_censored(cells[n], KEY)}/{len(cells[n])} censored"
        for n in names
        if n in cells
    ]
    return ", ".join(parts) if parts else NOT_RUN


def after_grok_note(recs: Sequence[RunRecord], grok: float = 0.95) -> str:
    """How many evaluations each seed had after its first one at `grok` test accuracy."""
    counts = []
    for r in recs:
        first = first_grok(r, grok)
        counts.append("—" if first is None else str(len(r.history["test_acc"]) - 1 - first))
    return "evaluations after the first 95% per seed: " + ", ".join(counts)


def acc_note(cells: dict, labels: dict[str, str], step: int) -> str:
    """'train/test accuracy at step S (mean over seeds): label a/b, ...' for the cells in labels."""

    def mean(xs: list[float]) -> float:
        return sum(xs) / len(xs)

    parts = [
        f"{lab} {mean([acc_at(r, step, 'train_acc') for r in cells[n]]):.2f}/"
        f"{mean([acc_at(r, step) for r in cells[n]]):.2f}"
        for n, lab in labels.items()
    ]
    return f"train/test accuracy at step {step} (mean): " + ", ".join(parts)


def meta_signal_note(recs: Sequence[RunRecord]) -> str:
    """'meta gradient / coupled L2 of the amplifier's Adam (median over meta steps): a, b, c'."""
    vals = [meta_signal(r) for r in recs]
    return "meta gradient / coupled L2 in the amplifier's Adam (median per seed): " + ", ".join(
        "—" if v is None else f"{v:.1e}" for v in vals
    )


# ---- claims ----------------------------------------------------------------------------------


def table1_claims(claims: dict, cells: dict, ops: Sequence[str], scale: str) -> list:
    """Table 1: per task and seed, a baseline's steps to 95% over NeuralGrok's (censored:
    budget)."""
    out = []
    for cid, m in (
        ("table1-fastest", "standard"),
        ("table1-vs-ma", "grokfast_ma"),
        ("table1-vs-ema", "grokfast_ema"),
    ):
        vals = [
            x
            for op in ops
            for x in outcomes.speedup(
                cells[f"{op}/neuralgrok"], cells[f"{op}/{m}"], KEY, fast_censored="budget"
            )
        ]
        out.append(claims[cid].check(vals, scale=scale, note=censoring_note(cells, ops, m)))
    return out


def stability_claims(claims: dict, cells: dict, first: str, scale: str) -> list:
    """§3.1: per seed, the fraction of evaluations below 90% after the first 95% (first task)."""
    return [
        claims[cid].check(
            [oscillation(r) for r in cells[f"{first}/{m}"]],
            scale=scale,
            note=after_grok_note(cells[f"{first}/{m}"]),
        )
        for cid, m in (
            ("oscillation-standard", "standard"),
            ("stable-neuralgrok", "neuralgrok"),
            ("stable-ma", "grokfast_ma"),
        )
    ]


def weight_decay_claims(
    claims: dict, cells: dict, large: float, adamw: Sequence[float], scale: str
) -> list:
    """Fig. 8: final train accuracy with coupled L2 `large`. Adam vs AdamW (peer notes §1, the
    issue's "show both on one task"): per seed, AdamW's final train accuracy with decoupled decay
    `large` minus Adam's with coupled L2 `large` (same budget)."""
    adam = [r.final["train_acc"] for r in cells["adam_wd_large"]]
    diff = (
        [
            w.final["train_acc"] - a.final["train_acc"]
            for w, a in zip(cells[f"adamw/{large:g}"], cells["adam_wd_large"])
        ]
        if large in adamw
        else []
    )
    return [
        claims["wd-large-fails"].check(adam, scale=scale),
        claims["adamw-differs"].check(diff, scale=scale, note="" if diff else NOT_RUN),
    ]


def rescale_claims(claims: dict, cells: dict, first: str, cs: Sequence[float], scale: str) -> list:
    """Fig. 2, read at the end of the rescaled runs' budget B (test accuracy, per seed): c = 0.5
    minus the best other c; c = 0.5 minus standard training at step B; c = 0.01's value."""
    lead_c, lead_std, collapse = [], [], []
    if 0.5 in cs and len(cs) > 1:
        for i, r in enumerate(cells["rescale/0.5"]):
            b = r.cfg.num_steps
            others = [acc_at(cells[f"rescale/{v:g}"][i], b) for v in cs if v != 0.5]
            lead_c.append(acc_at(r, b) - max(others))
            lead_std.append(acc_at(r, b) - acc_at(cells[f"{first}/standard"][i], b))
    if 0.01 in cs:
        collapse = [r.final["test_acc"] for r in cells["rescale/0.01"]]
    return [
        claims["rescale-05-fastest"].check(lead_c, scale=scale, note="" if lead_c else NOT_RUN),
        claims["rescale-vs-standard"].check(
            lead_std, scale=scale, note="" if lead_std else NOT_RUN
        ),
        claims["rescale-001-collapses"].check(
            collapse, scale=scale, note="" if collapse else NOT_RUN
        ),
    ]


def composite_claim(claims: dict, cells: dict, scale: str) -> list:
    """Fig. 3: final test accuracy of standard training with c = 1 rescaling on (ac+bd-e) mod 7."""
    name = "composite_rescale"
    vals = [r.final["test_acc"] for r in cells[name]] if name in cells else []
    note = (
        f"standard training without rescaling: {censored_note(cells, [f'{COMPOSITE}/standard'])}"
        if vals
        else NOT_RUN
    )
    return [claims["rescale-composite"].check(vals, scale=scale, note=note)]


def neuralgrok_c_claims(
    claims: dict, cells: dict, first: str, c: float, cs: Sequence[float], scale: str
) -> list:
    """Fig. 4: per seed, slowest over fastest steps to 95% among c in {0.2, 0.5, 1};
    c = 2 over c = 1.
    The note gives every c's train/test accuracy at the end of the sweep's budget."""
    by_c = {c: cells[f"{first}/neuralgrok"], **{v: cells[f"neuralgrok_c/{v:g}"] for v in cs}}
    small = [v for v in by_c if v in (0.2, 0.5, 1.0)]
    robust = []
    if len(small) > 1:
        for i in range(len(by_c[small[0]])):
            ts = [outcomes.time_to(by_c[v][i], KEY) for v in small]
            robust.append(None if None in ts else max(ts) / min(ts))
    slower = []  # c = 2's steps over c = 1's
    if 2.0 in by_c and 1.0 in by_c:
        slower = outcomes.speedup(by_c[1.0], by_c[2.0], KEY, fast_censored="budget")
    names = [f"{first}/neuralgrok"] + [f"neuralgrok_c/{v:g}" for v in cs]
    note = NOT_RUN
    if cs:
        budget = cells[names[-1]][0].cfg.run.num_steps
        note = (
            censored_note(cells, names)
            + "; "
            + acc_note(cells, dict(zip(names, (f"c = {v:g}" for v in by_c))), budget)
        )
    return [
        claims["neuralgrok-c-robust"].check(
            robust, scale=scale, note=note if len(small) > 1 else NOT_RUN
        ),
        claims["neuralgrok-c2-slower"].check(slower, scale=scale, note=note if slower else NOT_RUN),
    ]


def entropy_claims(claims: dict, cells: dict, first: str, scale: str) -> list:
    """Figs. 5-6 from the first task's standard and NeuralGrok runs (AGE phases: standard), and
    eq. 2's rotation (1 - cos(g', g) at the last logged step)."""
    std, ngr = cells[f"{first}/standard"], cells[f"{first}/neuralgrok"]
    phases = [age_phases(r) for r in std]
    return [
        claims["age-rises-memorization"].check(
            [None if x is None else x[0] for x in phases], scale=scale
        ),
        claims["age-falls-generalization"].check(
            [None if x is None else x[1] for x in phases], scale=scale
        ),
        claims["neuralgrok-lower-awe"].check(entropy_ratio(ngr, std, "awe"), scale=scale),
        claims["neuralgrok-lower-age"].check(entropy_ratio(ngr, std, "age_raw"), scale=scale),
        claims["amplified-age-smoother"].check(
            [roughness(r.history["age_update"]) / roughness(r.history["age_raw"]) for r in ngr],
            scale=scale,
        ),
        claims["amplifier-rotates"].check(
            [rotation(r) for r in ngr], scale=scale, note=meta_signal_note(ngr)
        ),
    ]


def transfer_claim(claims: dict, cells: dict, first: str, scale: str) -> list:
    """Fig. 12: per seed, steps to 95% on x-y of NeuralGrok with the first task's amplifier
    (frozen) over standard training's, same budget (censored: the budget; both censored: None)."""
    if "transfer" not in cells:
        return [claims["transfer-keeps-delay"].check([], scale=scale, note=NOT_RUN)]
    std, tr = cells["transfer_standard"], cells["transfer"]
    note = (
        f"amplifier from ({first}), frozen; "
        + censored_note(cells, ["transfer", "transfer_standard"])
        + "; "
        + acc_note(
            cells,
            {"transfer": "transfer", "transfer_standard": "standard"},
            tr[0].cfg.run.num_steps,
        )
    )
    return [
        claims["transfer-keeps-delay"].check(
            outcomes.speedup(std, tr, KEY, fast_censored="budget"), scale=scale, note=note
        )
    ]
