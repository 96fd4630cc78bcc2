"""Chapter 6's claims (Hanson 2026) as data, and the one function that computes their rows.

`CLAIMS` holds every claim of the source the chapter knows of, in the order of the table;
`results(...)` turns the chapter's run records into one grokcore.claims.ClaimResult per claim.

Times to the event (99% test accuracy for the transformer, the notebook's `mlp_threshold` for
the MLP) are grokcore.outcomes.times: a run that never got there is censored at its last
evaluated step, never counted as a time. Speed-ups pair the seeds of two arms (the same seed:
the same split and init) and take the geometric mean of the per-seed ratios with a t interval
on their logs (estimator "paired_speedup"): a censored slow run makes its ratio a lower bound,
a censored fast run leaves nothing identified from below. The batch-size slopes are such a
ratio on a log scale, log(epochs at the larger batch / epochs at the smaller) / log(larger /
smaller).

Seeds: the speed-ups declare 5 (paired, a t interval decides with five); the 30-passes median
declares 8: 7 uncensored seeds are the fewest that bound a Kaplan-Meier median above at 95%, and
8 leave room for one censored seed. The means (a t interval) declare 5.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Sequence

from grokcore import estimates, outcomes
from grokcore.claims import Claim, ClaimResult
from grokcore.records import RunRecord

from .measures import GROK_KEY, batch_of, budget_epochs, fourier_share, per_epoch

INF = math.inf
THIRTY_BATCH = 64  # fastgrok.py run_experiment's BATCH_SIZE, the run behind §3's "≈30 passes"
TOP_FREQS = 3  # "a few" key frequencies: the share of the embedding's variance in the top 3
PENALTIES = ("laplacian_data", "laplacian_oracle", "agop")  # topology.PENALTIES less "none"

_SLOPE_PAPER = "approximately linear (slope 1)"
_SLOPE_WHY = (
    '§4: "more gradient steps & less gradient averaging increases grokking speed, approximately '
    'linearly"; slope 1 = a fixed number of optimizer steps. The source gives no tolerance: '
    "[0.7, 1.3] is the book's earlier range for this claim, kept"
)


def _speedup_qty(what: str, event: str, slow: str, fast: str) -> str:
    return (
        f"{what} to {event} per seed, censored at the budget; geometric mean of the per-seed "
        f"ratios ({slow} over {fast}, seeds paired)"
    )


def _mlp_claim(penalty: str, name: str, figure: str) -> Claim:
    return Claim(
        f"mlp-{penalty.replace('_', '-')}",
        f"Hanson §2, {figure}",
        f"The {name} penalty makes the quadratic MLP grok faster",
        paper="works well" if penalty != "agop" else "works (Fig. 3; no number given)",
        quantity=_speedup_qty(
            "full-batch epochs", "the test-accuracy threshold (note)", "plain", "penalized"
        ),
        band=(2, INF),
        why=(
            '§2: the Laplacian penalty "works well, see topogrok.py and Figure 2"; the AGOP '
            "penalty forces ordered representations (Fig. 3). No number is given: at least 2x "
            "is the book's earlier range for these rows, kept"
        ),
        estimator="paired_speedup",
        min_seeds=5,
        unit="x",
        digits=1,
    )


CLAIMS: dict[str, Claim] = {
    c.id: c
    for c in (
        Claim(
            "minibatch-linear",
            "Hanson §4 (recap); fastgrok.py batch-size sweep",
            "Smaller batches grok in proportionally fewer epochs (a fixed number of steps), "
            "between the two smallest batch sizes of the sweep",
            paper=_SLOPE_PAPER,
            quantity=(
                "effective epochs to 99% test accuracy per seed at each batch size, censored at "
                "the budget; slope = log(paired geometric-mean ratio of the two cells) / "
                "log(ratio of the batch sizes)"
            ),
            band=(0.7, 1.3),
            why=_SLOPE_WHY,
            estimator="paired_speedup",
            min_seeds=5,
        ),
        Claim(
            "minibatch-linear-4x",
            "Hanson §4 (recap); fastgrok.py batch-size sweep",
            "Larger batches need proportionally more epochs, between the smallest batch size "
            "and 4x it",
            paper=_SLOPE_PAPER,
            quantity=(
                "effective epochs to 99% test accuracy per seed at batch B and 4B, censored at "
                "the budget; slope = log4(paired geometric-mean ratio of the two cells)"
            ),
            band=(0.7, 1.3),
            why=_SLOPE_WHY,
            estimator="paired_speedup",
            min_seeds=5,
        ),
        Claim(
            "minibatch-vs-full",
            "Hanson §3",
            "Minibatch SGD is what matters: the smallest batch groks in fewer epochs than full "
            "batch",
            paper="what's important is minibatch SGD",
            quantity=_speedup_qty(
                "effective epochs", "99% test accuracy", "full batch", "the smallest batch"
            ),
            band=(3, INF),
            why=(
                '§3: "what\'s important is minibatch SGD", no number given: at least 3x is the '
                "book's earlier range for this claim, kept"
            ),
            estimator="paired_speedup",
            min_seeds=5,
            unit="x",
            digits=1,
        ),
        Claim(
            "thirty-passes",
            "Hanson §3; fastgrok.py run_experiment (batch 64)",
            "The transformer groks in about 30 passes through the data at batch size 64",
            paper="≈30 passes",
            quantity=(
                "effective epochs to 99% test accuracy per seed at batch 64, censored at the "
                "budget; Kaplan-Meier median"
            ),
            band=(15, 60),
            why=(
                '§3: "you typically need ≈30 passes through the data"; within a factor of 2 '
                "([15, 60]) is the book's earlier range for this claim, kept"
            ),
            estimator="median",
            min_seeds=8,
            unit="epochs",
            digits=1,
        ),
        Claim(
            "no-weight-decay",
            "Hanson §3",
            "Without weight decay the transformer still groks about as fast (both arms without "
            "LayerNorm, the same batch size)",
            paper="you don't need L2 regularization (weight decay)",
            quantity=_speedup_qty(
                "effective epochs", "99% test accuracy", "weight decay 0", "weight decay on"
            ),
            band=(-INF, 1.5),
            why=(
                '§3: "You don\'t need L2 regularization (weight decay)"; at most 1.5x slower is '
                "the book's earlier range for this claim (0 to 1.5), kept"
            ),
            estimator="paired_speedup",
            min_seeds=5,
            unit="x",
        ),
        Claim(
            "no-layernorm",
            "Hanson §3",
            "Without LayerNorm the transformer still groks about as fast (the same batch size "
            "and weight decay)",
            paper="or even layer norm",
            quantity=_speedup_qty(
                "effective epochs", "99% test accuracy", "without LayerNorm", "with LayerNorm"
            ),
            band=(-INF, 1.5),
            why=(
                '§3: "You don\'t need L2 regularization (weight decay), or even layer norm"; the '
                "same range as the weight-decay row (at most 1.5x slower)"
            ),
            estimator="paired_speedup",
            min_seeds=5,
            unit="x",
        ),
        Claim(
            "training-fraction",
            "Hanson §4 (recap), not quantified there",
            "A higher training fraction groks faster (the largest fraction of the sweep against "
            "the smallest, the same batch size)",
            paper="faster (not quantified)",
            quantity=_speedup_qty(
                "optimizer steps", "99% test accuracy", "the smallest fraction", "the largest"
            ),
            band=(1.5, INF),
            why=(
                '§4: "A higher fraction increases the number of available measurable neighbors '
                "... (apologies for not quantifying this)\"; at least 1.5x is the book's earlier "
                "range for this claim, kept"
            ),
            estimator="paired_speedup",
            min_seeds=5,
            unit="x",
            digits=1,
        ),
        _mlp_claim("laplacian_data", "Laplacian (from the data)", "Fig. 2"),
        _mlp_claim("laplacian_oracle", "Laplacian (oracle order)", "Fig. 2, topogrok.py"),
        _mlp_claim("agop", "AGOP", "Fig. 3, agopgrok.py"),
        Claim(
            "order-recovery",
            "Hanson §2, Fig. 1, cayley.py",
            "Laplacian eigenmaps of the 'same answer' graph recover the cyclic order of a "
            "scrambled addition table",
            paper="recovered",
            quantity=(
                "per scramble (seed), the share of symbols whose neighbour on the recovered "
                "circle is one fixed step away (topology.cyclic_rank_agreement); mean"
            ),
            band=(0.99, INF),
            why=(
                "§2, Fig. 1 shows the order recovered; at least 0.99 of the neighbours is the "
                "book's earlier range [0.99, 1] (the share cannot exceed 1)"
            ),
            estimator="mean",
            min_seeds=5,
            digits=3,
        ),
        Claim(
            "fourier-key-frequencies",
            "Nanda et al. 2023 §4; Hanson §1",
            "The grokked transformer's token embedding concentrates on a few frequencies",
            paper="a few key frequencies",
            quantity=(
                f"per seed at the smallest batch size that reached 99% test accuracy, the share "
                f"of the embedding's variance in its {TOP_FREQS} strongest frequencies when it "
                "did (a seed that did not has no value); mean"
            ),
            band=(0.5, INF),
            why=(
                '§1: "modular addition using Fourier components"; Nanda et al. §4: a few key '
                "frequencies. Most of the variance (at least 0.5) is the book's earlier range "
                "[0.5, 1], kept (the share cannot exceed 1)"
            ),
            estimator="mean",
            min_seeds=5,
        ),
        Claim(
            "transformer-agop-not-needed",
            "Hanson §3",
            "AGOP regularization does not matter for transformers, which grok quickly without it",
            paper="it turns out not to matter",
            quantity=_speedup_qty(
                "effective epochs", "99% test accuracy", "without an AGOP penalty", "with it"
            ),
            band=(-INF, 1.5),
            why=(
                '§3: "does the AGOP regularization extend to transformers? It turns out not to '
                'matter"; no figure or number is given: at most 1.5x, as the weight-decay row'
            ),
            estimator="paired_speedup",
            min_seeds=5,
            unit="x",
        ),
    )
}


# ---- helpers ---------------------------------------------------------------------------------


def epochs(recs: Sequence[RunRecord], key: str = GROK_KEY) -> list[estimates.Obs]:
    """Per run, effective epochs to `key` (censored at the last evaluated epoch)."""
    return outcomes.times(recs, key, per=per_epoch)


def arm_text(label: str, obs: Sequence[estimates.Obs], unit: str = "epochs") -> str:
    """'<label>: median 45 epochs, 0/5 censored' (or '≥ 100' where the median is a bound)."""
    m = estimates.median(obs)
    if m.n == 0:
        return f"{label}: no runs"
    value = f"{m.estimate:.4g}" if m.identified else f"≥ {m.low:.4g}"
    div = f", {m.diverged} diverged" if m.diverged else ""
    return f"{label}: median {value} {unit}, {m.censored}/{m.n} censored{div}"


def log_ratio(est: estimates.Estimate, base: float) -> estimates.Estimate:
    """A speed-up estimate as a log-log slope: every number x becomes log(x) / log(base)
    (monotone, so the interval keeps its coverage and a lower bound stays a lower bound)."""

    def f(x: float) -> float:
        return -INF if x <= 0 else math.log(x) / math.log(base)

    return replace(
        est,
        estimate=None if est.estimate is None else f(est.estimate),
        low=f(est.low),
        high=f(est.high),
        method=f"{est.method}, as a log-log slope",
    )


def _full_size(cells: dict[int, list[RunRecord]]) -> int | None:
    """The full-batch cell's key (n_train), or None if the sweep has no full-batch cell."""
    for k, recs in cells.items():
        if recs[0].config["optim"]["batch_size"] is None:
            return k
    return None


def _minibatch_sizes(cells: dict[int, list[RunRecord]]) -> list[int]:
    return sorted(k for k in cells if k != _full_size(cells))


def _slope_row(claim: Claim, cells: dict, small: int, large: int, scale: str) -> ClaimResult:
    if small not in cells or large not in cells:
        return claim.not_run(f"batch size {large} is not in this scale's sweep", scale=scale)
    fast, slow = epochs(cells[small]), epochs(cells[large])
    est = log_ratio(claim.estimate(fast, slow), large / small)
    note = f"{arm_text(f'batch {small}', fast)}; {arm_text(f'batch {large}', slow)}"
    return claim.judge(est, scale=scale, note=note)


def _speedup_row(
    claim: Claim,
    fast: Sequence[estimates.Obs],
    slow: Sequence[estimates.Obs],
    labels: tuple[str, str],
    scale: str,
    unit: str = "epochs",
    note: str = "",
) -> ClaimResult:
    arms = f"{arm_text(labels[0], fast, unit)}; {arm_text(labels[1], slow, unit)}"
    return claim.check(fast, slow, scale=scale, note=f"{note}{arms}")


# ---- the rows --------------------------------------------------------------------------------


def batch_rows(cells: dict[int, list[RunRecord]], scale: str) -> dict[str, ClaimResult]:
    """The batch-size sweep's rows: the two slopes, minibatch against full batch, 30 passes."""
    out: dict[str, ClaimResult] = {}
    sizes, full = _minibatch_sizes(cells), _full_size(cells)
    c = CLAIMS["minibatch-linear"]
    out[c.id] = (
        _slope_row(c, cells, sizes[0], sizes[1], scale)
        if len(sizes) >= 2
        else c.not_run("fewer than two minibatch sizes in this scale's sweep", scale=scale)
    )
    c = CLAIMS["minibatch-linear-4x"]
    out[c.id] = (
        _slope_row(c, cells, sizes[0], 4 * sizes[0], scale)
        if sizes
        else c.not_run("no minibatch size in this scale's sweep", scale=scale)
    )
    c = CLAIMS["minibatch-vs-full"]
    if sizes and full is not None:
        labels = (f"batch {sizes[0]}", f"full batch ({full})")
        out[c.id] = _speedup_row(c, epochs(cells[sizes[0]]), epochs(cells[full]), labels, scale)
    else:
        out[c.id] = c.not_run("no full-batch cell (or no minibatch) in this sweep", scale=scale)
    c = CLAIMS["thirty-passes"]
    if THIRTY_BATCH in cells:
        recs = cells[THIRTY_BATCH]
        note = f"budget {budget_epochs(recs[0]):g} epochs"
        out[c.id] = c.check(epochs(recs), scale=scale, note=note)
    else:
        reason = f"batch size {THIRTY_BATCH} is not in this scale's sweep"
        out[c.id] = c.not_run(reason, scale=scale)
    return out


def variant_rows(
    cells: dict[int, list[RunRecord]],
    variant_base: Sequence[RunRecord],
    variant_cell: Sequence[RunRecord],
    scale: str,
) -> dict[str, ClaimResult]:
    """Weight decay 0 against weight decay on (both without LayerNorm); without LayerNorm
    against with it, where the sweep has a LayerNorm cell at the variants' batch size."""
    out: dict[str, ClaimResult] = {}
    bs = batch_of(variant_base[0])
    wd = variant_base[0].config["optim"]["weight_decay"]
    c = CLAIMS["no-weight-decay"]
    if wd == 0 or variant_cell[0].config["optim"]["weight_decay"] != 0:
        out[c.id] = c.not_run("weight_decay = 0: no weight-decayed arm to compare", scale=scale)
    else:
        labels = (f"weight decay {wd:g}", "weight decay 0")
        note = f"batch {bs}, no LayerNorm; "
        out[c.id] = _speedup_row(
            c, epochs(variant_base), epochs(variant_cell), labels, scale, note=note
        )
    c = CLAIMS["no-layernorm"]
    with_ln = cells.get(bs)
    if not any(recs[0].config["model"]["layer_norm"] for recs in cells.values()):
        reason = "the sweep runs without LayerNorm (layer_norm=False): no arm with it to compare"
        out[c.id] = c.not_run(reason, scale=scale)
    elif with_ln is None:
        reason = f"the LayerNorm sweep has no batch size {bs} (variant_batch_size) to compare"
        out[c.id] = c.not_run(reason, scale=scale)
    else:
        labels = ("with LayerNorm", "without")
        note = f"batch {bs}, weight decay {wd:g}; "
        out[c.id] = _speedup_row(c, epochs(with_ln), epochs(variant_base), labels, scale, note=note)
    return out


def fraction_row(frac_cells: dict[float, list[RunRecord]], scale: str) -> ClaimResult:
    """The largest training fraction against the smallest, in optimizer steps."""
    c = CLAIMS["training-fraction"]
    if len(frac_cells) < 2:
        return c.not_run("fewer than two training fractions in this scale's sweep", scale=scale)
    lo, hi = min(frac_cells), max(frac_cells)
    fast, slow = (outcomes.times(frac_cells[f], GROK_KEY) for f in (hi, lo))
    note = f"batch {batch_of(frac_cells[hi][0])}; "
    labels = (f"fraction {hi:g}", f"fraction {lo:g}")
    return _speedup_row(c, fast, slow, labels, scale, unit="steps", note=note)


def mlp_rows(mlp_cells: dict[str, list[RunRecord]], key: str, scale: str) -> dict[str, ClaimResult]:
    """Each penalty's speed-up over the plain quadratic MLP, in epochs to `key`."""
    out: dict[str, ClaimResult] = {}
    pct = key.rsplit("_", 1)[-1]
    for pen in PENALTIES:
        c = CLAIMS[f"mlp-{pen.replace('_', '-')}"]
        if pen not in mlp_cells or "none" not in mlp_cells:
            missing = pen if pen not in mlp_cells else "none"
            out[c.id] = c.not_run(f"penalty {missing!r} is not in mlp_penalties", scale=scale)
            continue
        labels = (pen.replace("_", " "), "plain")
        note = f"epochs to {pct}% test accuracy; "
        fast, slow = epochs(mlp_cells[pen], key), epochs(mlp_cells["none"], key)
        out[c.id] = _speedup_row(c, fast, slow, labels, scale, note=note)
    return out


def order_row(recovery: Sequence[dict], frac: float, scale: str) -> ClaimResult:
    """The share of correctly placed neighbours per scramble (from `frac` of each table)."""
    c = CLAIMS["order-recovery"]
    if not recovery:
        return c.not_run("no scrambled table", scale=scale)
    note = f"p = {len(recovery[0]['value'])}, {frac:.0%} of each scrambled table"
    return c.check([r["agreement"] for r in recovery], scale=scale, note=note)


def fourier_row(cells: dict[int, list[RunRecord]], scale: str) -> ClaimResult:
    """The top frequencies' share of the grokked embedding at the smallest batch size."""
    c = CLAIMS["fourier-key-frequencies"]
    sizes = _minibatch_sizes(cells)
    if not sizes:
        return c.not_run("no minibatch size in this scale's sweep", scale=scale)
    recs = cells[sizes[0]]
    shares = [
        fourier_share(r, TOP_FREQS) if outcomes.time_to(r, GROK_KEY) is not None else None
        for r in recs
    ]
    init = [fourier_share(r, TOP_FREQS, at=0) for r in recs]
    note = (
        f"batch {sizes[0]}, top {TOP_FREQS} of {len(recs[0].history['emb_power'][0]) - 1} "
        f"frequencies; at initialization: {sum(init) / len(init):.2f} (mean)"
    )
    return c.check(shares, scale=scale, note=note)


def results(
    cells: dict[int, list[RunRecord]],
    variant_base: Sequence[RunRecord],
    variant_cell: Sequence[RunRecord],
    frac_cells: dict[float, list[RunRecord]],
    mlp_cells: dict[str, list[RunRecord]],
    recovery: Sequence[dict],
    *,
    mlp_key: str,
    recovery_frac: float,
    scale: str,
) -> list[ClaimResult]:
    """One row per CLAIMS entry, in CLAIMS order, from the chapter's records.

    cells: batch size -> the sweep's runs over seeds (full batch keyed by n_train);
    variant_base / variant_cell: weight decay on / 0 at one batch size, both without LayerNorm;
    frac_cells: training fraction -> runs; mlp_cells: penalty -> the quadratic MLP's runs;
    recovery: topology.recover_order's results, from recovery_frac of each table; mlp_key: the
    MLP's event (step_to_test_acc_NN)."""
    rows = {
        **batch_rows(cells, scale),
        **variant_rows(cells, variant_base, variant_cell, scale),
        "training-fraction": fraction_row(frac_cells, scale),
        **mlp_rows(mlp_cells, mlp_key, scale),
        "order-recovery": order_row(recovery, recovery_frac, scale),
        "fourier-key-frequencies": fourier_row(cells, scale),
        "transformer-agop-not-needed": CLAIMS["transformer-agop-not-needed"].not_run(
            "the book trains no transformer with an AGOP penalty (the source shows no run of it)",
            scale=scale,
        ),
    }
    return [rows[cid] for cid in CLAIMS]


# Baseline first (grokcore.baselines): fastgrok.py's transformer at batch 64, rerun at the
# source's own setup (grokcore.presets) from shipped records; the notebook puts these rows first
# in its table.
BASELINE_IDS = ("fastgrok",)
