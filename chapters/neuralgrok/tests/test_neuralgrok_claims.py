"""Chapter 3's claims: each rule of chapters.neuralgrok.claims on synthetic records with known
answers (records from the `rec` fixture: test accuracy at steps 0, 10, 20, ...; p = 5)."""

import math

import pytest

from grokcore.testing import paired_lower
from grokcore.records import new_record

from chapters.neuralgrok import claims as ngc
from chapters.neuralgrok.claims import CLAIMS, UNTESTABLE
from chapters.neuralgrok.configs import COMPOSITE

GROK = [0.0, 0.1, 0.5, 0.96, 1.0]  # reaches 95% at step 30, one evaluation after it
FAST = [0.0, 0.96, 1.0, 1.0, 1.0]  # reaches 95% at step 10
CHANCE = [0.0, 0.02, 0.02, 0.02, 0.02]  # never leaves chance: censored at step 40
ENTROPY = dict(
    entropy_step=[0, 10, 20, 30, 40],
    awe=[5.0, 5.0, 5.0, 5.0, 5.0],
    age_raw=[1.0, 3.0, 2.0, 0.5, 0.4],
    age_update=[1.0, 1.0, 1.0, 1.0, 1.0],
)


def long(rec, test, neuralgrok=False, **kw):
    """A first-task run that goes on after 95% and logs entropies (as the plan's)."""
    train = kw.pop("train", ([0.0, 0.5] + [1.0] * len(test))[: len(test)])
    extra = dict(ENTROPY)
    if neuralgrok:
        extra |= dict(update_cos=[1.0, 0.9], meta_grad=[1.0], meta_l2=[2.0])
    return rec(test, train, neuralgrok=neuralgrok, stop=None, **extra, **kw)


def plan(rec, n=3, *, rescaled=CHANCE, standard=GROK):
    """The cells of a cpu-like plan over n seeds: one task (x+y), rescaling at c = 0.01, 0.5, 2
    (curve `rescaled`), NeuralGrok at c = 0.2 (the Table 1 run), 1 and 2, weight decay 1e-2 and
    AdamW at 1e-2, and the transfer runs."""
    seeds = range(n)
    cells = {
        "x+y/standard": [long(rec, standard) for _ in seeds],
        "x+y/grokfast_ma": [long(rec, GROK) for _ in seeds],
        "x+y/grokfast_ema": [rec(CHANCE) for _ in seeds],
        "x+y/neuralgrok": [long(rec, CHANCE, neuralgrok=True) for _ in seeds],
        "adam_wd_large": [rec(CHANCE, [0.0, 0.05, 0.05, 0.05, 0.05], stop=None) for _ in seeds],
        "adamw/0.01": [rec(CHANCE, [0.0, 0.3, 0.6, 0.8, 0.9]) for _ in seeds],
        "transfer_standard": [rec(CHANCE) for _ in seeds],
        "transfer": [rec(CHANCE, neuralgrok=True) for _ in seeds],
    }
    for c in ("0.01", "0.5", "2"):
        cells[f"rescale/{c}"] = [rec(rescaled if c != "0.01" else CHANCE) for _ in seeds]
    for c in ("1", "2"):
        cells[f"neuralgrok_c/{c}"] = [rec(CHANCE, neuralgrok=True) for _ in seeds]
    return cells


def rows(cells, ops=("x+y",), **kw):
    """The rows of `cells`, whose i-th run is given seed i (as configs.seeds_of makes them); kw
    goes to ngc.results (looks)."""
    seeded = {
        k: [
            new_record(r.cfg.replace(seed=i), r.history, r.summary, r.meta) for i, r in enumerate(v)
        ]
        for k, v in cells.items()
    }
    out = ngc.results(
        seeded, list(ops), "cpu", c=0.2, large_weight_decay=0.01, composite_c=1.0, **kw
    )
    return {r.id: r for r in out}


# ---- the declarations --------------------------------------------------------------------------


def test_claims_are_declared_with_bands_reasons_and_enough_seeds():
    assert all(k == c.id for k, c in CLAIMS.items())
    for c in CLAIMS.values():
        assert c.why and c.paper and c.quantity and c.min_seeds >= 3
        if c.estimator == "paired_speedup":  # seeds paired: a t interval on log ratios
            assert c.min_seeds >= 3 and c.unit == "x"
    # Table 1: one row per task and baseline; the paper's numbers stated as it states them
    assert {cid for cid in CLAIMS if cid.startswith("table1-")} == {
        f"table1-vs-{b}-{t}"
        for b in ("standard", "ma", "ema")
        for t in ("add", "sub", "mul", "sqsub", "composite")
    }
    assert CLAIMS["table1-vs-standard-sub"].paper == "4330 vs 1467 steps (2.95x)"
    assert CLAIMS["table1-vs-ema-sub"].paper == "1340 vs 1467 steps (0.91x)"
    assert "fails within 10^6 steps" in CLAIMS["table1-vs-standard-composite"].paper


def test_every_claim_yields_exactly_one_row_in_claims_order(rec):
    out = ngc.results(plan(rec), ["x+y"], "cpu", c=0.2, large_weight_decay=0.01, composite_c=1.0)
    assert [r.id for r in out] == list(CLAIMS)


# ---- times and speed-ups -----------------------------------------------------------------------


def test_a_censored_arm_gives_a_bound_not_a_value(rec):
    # 8 seeds: NeuralGrok at 95% by steps 10, 20, ..., 80; standard never within its 400 steps
    cells = plan(rec, 8)
    cells["x+y/neuralgrok"] = [
        long(rec, [0.0] * i + [0.96], neuralgrok=True, step=10) for i in range(1, 9)
    ]
    cells["x+y/standard"] = [long(rec, CHANCE, step=100) for _ in range(8)]
    r = rows(cells)["table1-vs-standard-add"]
    assert r.estimate is None and r.ci_high == math.inf and r.censored == 8
    # per seed at least standard's budget over NeuralGrok's time (10..80): the signed-rank limit
    assert r.ci_low == pytest.approx(paired_lower(400, [10 * i for i in range(1, 9)]))
    assert r.ours.startswith("≥ ") and r.verdict == "reproduced"  # the bound clears 1.3
    assert r.ci_low > 1.3
    assert "standard: 8/8 never reached 95% test accuracy (last evaluation at step 400)" in r.note


def test_paired_seeds_decide_a_consistent_speedup_and_two_seeds_cannot(rec):
    cells = plan(rec)
    cells["x+y/neuralgrok"] = [long(rec, FAST, neuralgrok=True) for _ in range(3)]
    r = rows(cells)["table1-vs-ma-add"]  # MA at step 30, NeuralGrok at step 10 in every seed
    assert r.estimate == pytest.approx(3.0) and r.verdict == "reproduced"  # [3, 3]: above 1.2
    two = {k: v[:2] for k, v in cells.items()}
    r = rows(two)["table1-vs-ma-add"]
    assert r.verdict == "inconclusive" and r.reason == "2 seeds, fewer than the 3 declared"


def test_rows_judged_again_after_seeds_were_added_are_at_pococks_level(rec):
    # x-y: NeuralGrok at 95% by step 10, standard by 30 or 40 (ratios 3, 4, 3, 4, 3)
    cells = plan(rec, 5)
    at30, at40 = [0.0, 0.0, 0.0, 0.96, 1.0], [0.0, 0.0, 0.0, 0.0, 0.96]
    cells["x-y/neuralgrok"] = [rec(FAST, neuralgrok=True) for _ in range(5)]
    cells["x-y/standard"] = [rec(at30 if i % 2 == 0 else at40) for i in range(5)]
    for m in ("grokfast_ma", "grokfast_ema"):
        cells[f"x-y/{m}"] = [rec(at30) for _ in range(5)]
    seeded = {
        k: [
            new_record(r.cfg.replace(seed=i), r.history, r.summary, r.meta) for i, r in enumerate(v)
        ]
        for k, v in cells.items()
    }
    kw = dict(c=0.2, large_weight_decay=0.01, composite_c=1.0)
    once = {r.id: r for r in ngc.results(seeded, ["x+y", "x-y"], "cpu", **kw)}
    twice = {r.id: r for r in ngc.results(seeded, ["x+y", "x-y"], "cpu", looks={"x-y": 2}, **kw)}
    for cid in ("table1-vs-standard-sub", "subtraction-slower"):
        a, b = once[cid], twice[cid]
        assert a.level == 0.95 and b.level == pytest.approx(0.9706, abs=1e-4)
        assert b.estimate == pytest.approx(a.estimate)  # the same seeds, a wider interval
        assert b.ci_low < a.ci_low and b.ci_high > a.ci_high
        assert "97.06% interval: Pocock's level for 2 looks" in b.note
        assert "Pocock" not in a.note
    # the geometric mean of 3, 4, 3, 4, 3, and the t interval at 97.06% on its logs
    logs = [math.log(x) for x in (3, 4, 3, 4, 3)]
    m, sd = sum(logs) / 5, (sum((x - sum(logs) / 5) ** 2 for x in logs) / 4) ** 0.5
    half = 3.3210 * sd / math.sqrt(5)  # t(4) at 1 - 0.02935 / 2 (scipy.stats.t.ppf)
    row = twice["table1-vs-standard-sub"]
    assert row.ci_low == pytest.approx(math.exp(m - half), rel=2e-3)
    assert twice["table1-vs-standard-add"].level == 0.95  # another task keeps one look
    assert twice["amplifier-rotates"].level == 0.95
    # looks on the first task reach every row on its Table 1 cells, not the ablations'
    first = {r.id: r for r in ngc.results(seeded, ["x+y", "x-y"], "cpu", looks={"x+y": 2}, **kw)}
    for cid in (
        "table1-vs-ma-add",
        "subtraction-slower",
        "oscillation-standard",
        "amplifier-rotates",
    ):
        assert first[cid].level == pytest.approx(0.9706, abs=1e-4), cid
        assert "Pocock's level for 2 looks" in first[cid].note, cid
    for cid in ("table1-vs-standard-sub", "rescale-vs-standard", "wd-large-fails-train"):
        assert first[cid].level == 0.95, cid
    # the cpu scale's seeds at each look: a+b 5 then 8 (96.89%: that spacing's level), a-b 5
    # then 10 (equally spaced: 97.06%); a-b over a+b's pairs went 5, then 8
    at_cpu = {"x+y": [5, 8], "x-y": [5, 10]}
    spaced = {r.id: r for r in ngc.results(seeded, ["x+y", "x-y"], "cpu", looks=at_cpu, **kw)}
    assert spaced["table1-vs-ma-add"].level == pytest.approx(0.9689, abs=1e-4)
    assert spaced["table1-vs-standard-sub"].level == pytest.approx(0.9706, abs=1e-4)
    assert "Pocock's level for 2 looks at 5 and 8 seeds" in spaced["subtraction-slower"].note
    # a baseline's cell with looks of its own (a third after a longer budget): its row alone
    cell = {**at_cpu, "x+y/standard": 3}
    third = {r.id: r for r in ngc.results(seeded, ["x+y", "x-y"], "cpu", looks=cell, **kw)}
    assert third["table1-vs-standard-add"].level == pytest.approx(0.9779, abs=1e-4)
    assert (
        "Pocock's level for 3 looks (seeds or a longer budget"
        in third["table1-vs-standard-add"].note
    )
    assert third["table1-vs-ma-add"].level == spaced["table1-vs-ma-add"].level


def test_looks_count_only_where_a_task_runs_the_scale_s_own_seeds():
    from chapters.neuralgrok.scales import SCALES

    cpu = SCALES["cpu"]
    later = {op: [5, 10] for op in ("x-y", "x*y", "x^2-y")}  # each task after the first
    later["x^2-y/standard"] = 3  # a third look at its 10 seeds, after a longer budget
    later["neuralgrok_c/2"] = [3, 8]  # an ablation cell's second look (ablation_cell_seeds)
    later["table1-vs-standard-sqsub"] = 4  # a row at seeds of its own on that cell (row_seeds)
    first = {"x+y": [5, 8], "x+y/grokfast_ema": 3}  # the last after a longer budget
    first["oscillation-standard"] = [5, 8, 40]  # a row at seeds of its own (row_seeds)
    first["table1-vs-ma-add"] = [5, 8, 31]
    assert ngc.looks_of(dict(cpu), cpu) == {**first, **later} == cpu["looks"]
    # the user's own seeds on a task: one look there
    mine = {"x-y": 5, "x*y": 10, "x^2-y": 10}
    assert ngc.looks_of(dict(cpu, op_seeds=mine), cpu) == {
        **first,
        "x*y": [5, 10],
        "x^2-y": [5, 10],
        "x^2-y/standard": 3,
        "neuralgrok_c/2": [3, 8],
        "table1-vs-standard-sqsub": 4,
    }
    # the user's own budget on that cell (or seeds on its task): not the looks it had, nor the
    # looks of the row whose cells grow from it
    own = dict(cpu, op_steps={**cpu["op_steps"], "x^2-y/standard": 8000})
    assert ngc.looks_of(own, cpu) == {
        k: n
        for k, n in cpu["looks"].items()
        if k not in ("x^2-y/standard", "table1-vs-standard-sqsub")
    }
    fewer = ngc.looks_of(dict(cpu, op_seeds={**cpu["op_seeds"], "x^2-y": 5}), cpu)
    assert not {"x^2-y", "x^2-y/standard", "table1-vs-standard-sqsub"} & set(fewer)
    sq = {"row_seeds": {**cpu["row_seeds"], "table1-vs-standard-sqsub": 20}}
    assert "table1-vs-standard-sqsub" not in ngc.looks_of(dict(cpu, **sq), cpu)
    assert ngc.looks_of(dict(cpu, first_seeds=5), cpu) == later
    # the user's own budget on a+b's Grokfast-EMA cell: a+b's looks there, as its other cells
    ema = dict(cpu, op_steps={**cpu["op_steps"], "x+y/grokfast_ema": 2000})
    assert ngc.looks_of(ema, cpu) == {
        "x+y": [5, 8],
        "oscillation-standard": [5, 8, 40],
        "table1-vs-ma-add": [5, 8, 31],
        **later,
    }
    # the user's own seeds for that row, or budget or seeds on its cell: one look there
    std = {"op_steps": {**cpu["op_steps"], "x+y/standard": 3000}}
    for mine in ({"row_seeds": {"oscillation-standard": 30}}, {"row_seeds": {}}, std):
        assert "oscillation-standard" not in ngc.looks_of(dict(cpu, **mine), cpu)
    ma = {"op_steps": {**cpu["op_steps"], "x+y/grokfast_ma": 3000}}  # either arm's budget
    assert "table1-vs-ma-add" not in ngc.looks_of(dict(cpu, **ma), cpu)
    assert "table1-vs-ma-add" in ngc.looks_of(dict(cpu, **std), cpu)
    assert ngc.looks_of(dict(cpu, op_seeds={**cpu["op_seeds"], "x*y": 7}), cpu) == {
        op: n for op, n in cpu["looks"].items() if op != "x*y"
    }
    assert ngc.looks_of(dict(cpu, seeds=6), cpu) == cpu["looks"]  # every task keeps its op_seeds
    assert ngc.looks_of(dict(cpu, operations=["x-y", "x+y"]), cpu) == {}  # another first task
    # the user's own seeds or budget on the ablation cell: one look there
    for mine in ({"ablation_cell_seeds": {"neuralgrok_c/2": 6}}, {"ablation_steps": 1000}):
        assert "neuralgrok_c/2" not in ngc.looks_of(dict(cpu, **mine), cpu)
    assert "neuralgrok_c/2" in ngc.looks_of(dict(cpu, ablation_seeds=4), cpu)
    assert ngc.looks_of(dict(SCALES["paper"]), SCALES["paper"]) == {}


def test_a_comparison_where_no_run_reached_95_is_not_testable(rec):
    r = rows(plan(rec))  # EMA and NeuralGrok both at chance on x+y
    assert r["table1-vs-ema-add"].verdict == UNTESTABLE
    assert "no run of either arm reached 95%" in r["table1-vs-ema-add"].reason
    # standard reached it, NeuralGrok (the arm claimed faster) never did: the speed-up is at
    # most standard's time over NeuralGrok's budget, an upper bound below the band (at 6 seeds;
    # 3 bounds give none at 95%)
    row = rows(plan(rec, 6))["table1-vs-standard-add"]
    assert row.verdict == "contradicted" and row.estimate is None and row.ci_low == 0.0
    assert row.ci_high < 1 and row.ours.startswith("≤")
    assert r["table1-vs-standard-add"].verdict == UNTESTABLE


# ---- the rescaling rows (the rule bug: arms all at chance) ---------------------------------------


def test_rescaling_rows_with_every_arm_at_chance_are_not_verdicts(rec):
    r = rows(plan(rec, rescaled=CHANCE, standard=CHANCE))
    for cid in ("rescale-05-vs-2", "rescale-vs-standard", "rescale-001-collapses"):
        assert r[cid].verdict == UNTESTABLE, cid
    assert "no run of either arm reached 95%" in r["rescale-05-vs-2"].reason
    collapse = r["rescale-001-collapses"]
    assert "in no seed did another c (c = 0.5, c = 2) get above 0.5" in collapse.reason
    assert collapse.estimate == pytest.approx(0.02)  # the value is shown, not judged
    assert r["rescale-05-vs-1"].verdict == "not run" and "rescale/1" in r["rescale-05-vs-1"].reason


def test_collapse_is_judged_where_another_c_learned(rec):
    cells = plan(rec, rescaled=FAST)
    cells["rescale/2"][0] = rec(CHANCE)  # seed 0: c = 2 at chance, c = 0.5 learned
    cells["rescale/0.5"][1] = rec(CHANCE)  # seed 1: c = 0.5 at chance, c = 2 learned
    cells["rescale/0.5"][2] = rec(CHANCE)  # seed 2: no other c learned: no value
    cells["rescale/2"][2] = rec(CHANCE)
    r = rows(cells)["rescale-001-collapses"]
    assert (r.n, r.missing) == (2, 1) and r.estimate == pytest.approx(0.02)
    # 3 seeds ran, 2 with a value, 3 declared: a longer budget (another c learning), not more
    # seeds, would decide
    assert r.verdict == "not testable at this budget"
    assert "2/3 seeds where another c (c = 0.5, c = 2) got above 0.5" in r.note


# ---- weight decay, AdamW, stability ------------------------------------------------------------


def test_weight_decay_has_two_rows_each_against_the_default_at_the_same_step(rec):
    r = rows(plan(rec))
    train, test = r["wd-large-fails-train"], r["wd-large-fails-test"]
    assert train.verdict == "reproduced" and train.estimate == pytest.approx(0.05)
    # the default got to 0.5 test accuracy at step 20 <= 40: the test row is judged too
    assert test.verdict == "reproduced"
    slow = rows(plan(rec, standard=[0.0, 0.1, 0.2, 0.3, 0.4, 0.96]))["wd-large-fails-test"]
    assert slow.verdict == UNTESTABLE and "default weight decay" in slow.reason


def test_adamw_difference_needs_an_arm_that_left_chance(rec):
    r = rows(plan(rec))["adamw-differs"]
    assert r.estimate == pytest.approx(0.9 - 0.05) and r.verdict == "reproduced"
    cells = plan(rec)
    cells["adamw/0.01"] = [rec(CHANCE, [0.0, 0.1, 0.1, 0.1, 0.1]) for _ in range(3)]
    r = rows(cells)["adamw-differs"]  # p = 5: chance 0.2, left at 0.5
    assert r.verdict == UNTESTABLE and "neither AdamW nor Adam left chance" in r.reason
    none = ngc.results(
        {k: v for k, v in plan(rec).items() if k != "adamw/0.01"},
        ["x+y"],
        "cpu",
        c=0.2,
        large_weight_decay=0.01,
        composite_c=1.0,
    )
    assert next(x for x in none if x.id == "adamw-differs").verdict == "not run"


def test_stability_rows_say_why_they_have_no_value(rec):
    r = rows(plan(rec))  # one evaluation after 95% per seed: fewer than MIN_AFTER
    assert r["oscillation-standard"].verdict == UNTESTABLE and r["oscillation-standard"].n == 0
    assert r["oscillation-standard"].note == "evaluations after the first 95% per seed: 1, 1, 1"
    assert f"no standard run has {ngc.MIN_AFTER} evaluations after" in r[
        "stable-ma"
    ].reason.replace("Grokfast-MA", "standard")
    assert r["stable-neuralgrok"].verdict == UNTESTABLE  # NeuralGrok never reached 95%
    ema = r["oscillation-ema"]
    assert ema.verdict == "not run" and "stops Grokfast-EMA at 95%" in ema.reason


def test_stability_rows_count_drops_after_grokking(rec):
    """Seeds with MIN_AFTER evaluations after 95% have a value: the share of them below 90%."""
    after = ngc.MIN_AFTER
    cells = plan(rec)
    drop = [0.0, 0.96] + [0.5] * 2 + [1.0] * (after - 2)  # 2 of `after` below 90%
    cells["x+y/standard"] = [long(rec, drop) for _ in range(3)]
    steady = [0.0, 0.96] + [0.99] * after
    cells["x+y/grokfast_ma"] = [long(rec, steady) for _ in range(2)] + [long(rec, GROK)]
    r = rows(cells)
    assert r["oscillation-standard"].estimate == pytest.approx(2 / after)
    assert r["oscillation-standard"].n == 3
    ma = r["stable-ma"]  # the third seed has one evaluation after 95%: no value
    assert ma.estimate == 0.0 and ma.n == 2 and ma.verdict == "not testable at this budget"
    cells["x+y/grokfast_ma"] = cells["x+y/grokfast_ma"][:2]  # two seeds run: more would decide
    assert rows(cells)["stable-ma"].verdict == "inconclusive"


def test_a_cell_whose_budget_was_raised_has_its_own_looks_in_the_stability_rows(rec):
    from grokcore.claims import sequential_level

    steady = [0.0, 0.96] + [0.99] * ngc.MIN_AFTER
    cells = plan(rec, 8)
    for m in ("standard", "grokfast_ema"):
        cells[f"x+y/{m}"] = [long(rec, steady) for _ in range(8)]
    r = rows(cells, looks={"x+y": [5, 8], "x+y/grokfast_ema": 3})
    assert r["oscillation-standard"].level == pytest.approx(sequential_level((5, 8)))
    assert r["oscillation-ema"].level == pytest.approx(sequential_level(3))
    assert r["oscillation-ema"].n == 8 and r["oscillation-ema"].estimate == 0.0


def test_a_row_at_seeds_of_its_own_reads_its_cells_and_every_other_row_table1_s(rec):
    """row_seeds: a row's cells "<row>:<cell>", the Table 1 cell's runs and more seeds, read by
    that row alone, at the row's looks where the scale names them."""
    from grokcore.claims import sequential_level

    after = ngc.MIN_AFTER
    drop = [0.0, 0.96] + [0.5] * 2 + [1.0] * (after - 2)  # 2 of `after` below 90%
    steady = [0.0, 0.96] + [0.99] * after
    cells = plan(rec, 3)
    cells["x+y/standard"] = [long(rec, steady) for _ in range(3)]
    grown = cells["x+y/standard"] + [long(rec, drop) for _ in range(9)]
    cells["oscillation-standard:x+y/standard"] = grown
    looks = {"x+y": [2, 3], "oscillation-standard": [2, 3, 12]}
    r = rows(cells, looks=looks)
    osc = r["oscillation-standard"]
    assert osc.n == 12 and osc.estimate == pytest.approx(9 * 2 / after / 12)
    assert osc.level == pytest.approx(sequential_level((2, 3, 12)))
    assert r["stable-ma"].level == pytest.approx(sequential_level((2, 3)))
    assert r["table1-vs-standard-add"].n == 3  # every other row reads the Table 1 cell
    del looks["oscillation-standard"]  # seeds of the user's choosing: the Table 1 cell's looks
    assert rows(cells, looks=looks)["oscillation-standard"].level == pytest.approx(
        sequential_level((2, 3))
    )
    del cells["oscillation-standard:x+y/standard"]
    assert rows(cells, looks=looks)["oscillation-standard"].n == 3
    # a Table 1 row: both of its cells at its own seeds, paired seed by seed
    slow = [0.0, 0.5, 0.5, 0.96] + [1.0] * 3  # at 95% by step 30; GROK's runs by 10
    cells["x+y/neuralgrok"] = [long(rec, GROK, neuralgrok=True) for _ in range(3)]
    cells["table1-vs-ma-add:x+y/neuralgrok"] = cells["x+y/neuralgrok"] * 2
    cells["table1-vs-ma-add:x+y/grokfast_ma"] = [long(rec, slow) for _ in range(6)]
    r = rows(cells, looks={"x+y": [2, 3], "table1-vs-ma-add": [2, 3, 6]})
    ma = r["table1-vs-ma-add"]
    assert ma.n == 6 and ma.level == pytest.approx(sequential_level((2, 3, 6)))
    assert r["table1-vs-standard-add"].n == 3


def test_clip_finding_compares_c2_with_c02(rec):
    cells = plan(rec)
    fast = [0.0, 0.5, 0.96, 1.0, 1.0]
    # Table 1's cell has 5 seeds, the ablation's 3: the row pairs the 3 seeds both have
    cells["x+y/neuralgrok"] = [long(rec, fast, neuralgrok=True) for _ in range(5)]
    cells["neuralgrok_c/2"] = [rec(fast, neuralgrok=True) for _ in range(3)]
    r = rows(cells)["clip-equalizes-c"]
    assert r.estimate == pytest.approx(1.0) and r.verdict == "reproduced" and r.n == 3
    assert "√29" in r.note or "no clip" in r.note
    del cells["neuralgrok_c/2"]
    assert rows(cells)["clip-equalizes-c"].verdict == "not run"


def test_rescaled_arms_under_the_clip_are_one_update_and_their_rows_say_so(rec):
    cells = plan(rec)
    slow = [0.0, 0.5, 0.5, 0.96, 1.0]  # at 95% by step 30, GROK by 30, FAST by 10
    cells["rescale/0.5"] = [rec(GROK), rec(FAST), rec(GROK)]
    cells["rescale/2"] = [rec(FAST), rec(GROK), rec(slow)]
    r = rows(cells)
    eq = r["rescale-clip-equalizes-c"]
    # c = 2 over c = 0.5 per seed: 1/3, 3, 1: a geometric mean of 1
    assert eq.estimate == pytest.approx(1.0) and eq.n == 3
    assert "37 tensors at norm c each" in eq.note and "clipped to 1" in eq.note
    assert eq.verdict == "inconclusive"  # 3 seeds this spread apart leave it open too
    direction = r["rescale-05-vs-2"]
    assert direction.verdict == "inconclusive"
    assert "no number of seeds moves it off" in direction.reason
    # without the clip the arms are not one update: the projection stays
    unclipped = {
        k: [
            new_record(
                x.cfg.replace(
                    optim=x.cfg.optim.__class__(**{**vars(x.cfg.optim), "clip_norm": None})
                ),
                x.history,
                x.summary,
                x.meta,
            )
            for x in v
        ]
        if k.startswith("rescale/")
        else v
        for k, v in cells.items()
    }
    r = rows(unclipped)
    assert "no number of seeds" not in r["rescale-05-vs-2"].reason
    assert "no clip in these runs" in r["rescale-clip-equalizes-c"].note
    del cells["rescale/2"]
    assert rows(cells)["rescale-clip-equalizes-c"].verdict == "not run"


def test_transfer_rows_pair_table1_s_standard_a_minus_b_where_planned(rec):
    cells = plan(rec)
    # without a-b among the tasks: the transfer baseline at the ablation budget, both at chance
    r = rows(cells)
    assert r["transfer-keeps-delay"].verdict == UNTESTABLE
    assert "train/test accuracy at step 40" in r["transfer-keeps-delay"].note
    assert r["transfer-hardest-keeps-delay"].verdict == "not run"
    # with a-b and a^2-b: Table 1's standard a-b runs are the baseline of both transfer cells
    slow = [0.0, 0.1, 0.5, 0.5, 0.96, 1.0]  # 95% at step 40
    later = [0.0, 0.1, 0.5, 0.5, 0.5, 0.96]  # 95% at step 50
    del cells["transfer_standard"]
    cells["x-y/standard"] = [rec(GROK) for _ in range(4)]
    cells["transfer"] = [rec(s, neuralgrok=True) for s in (slow, later, slow)]
    cells["transfer_hardest"] = [rec(s, neuralgrok=True) for s in (FAST, GROK, FAST, GROK)]
    r = rows(cells, ops=("x+y", "x-y", "x^2-y"))
    keeps, hardest = r["transfer-keeps-delay"], r["transfer-hardest-keeps-delay"]
    # 40/30, 50/30, 40/30 over 3 pairs: slower than standard in every seed
    assert keeps.n == 3 and keeps.estimate == pytest.approx((40 * 50 * 40 / 30**3) ** (1 / 3))
    assert keeps.verdict == "reproduced"
    assert "amplifier from the (x+y) NeuralGrok run of the same seed, frozen" in keeps.note
    assert "train/test accuracy" not in keeps.note  # both stop at 95%
    # 10/30, 30/30, 10/30, 30/30: faster in half the seeds
    assert hardest.n == 4 and hardest.estimate < 1 and "(x^2-y) NeuralGrok" in hardest.note


def test_an_ablation_cell_s_looks_reach_the_rows_on_it_paired_with_the_other_cell_s(rec):
    from grokcore.claims import cell_looks, paired_cell_looks, sequential_level

    cells = plan(rec, 8)
    fast, slow = [0.0, 0.5, 0.96, 1.0, 1.0], [0.0, 0.5, 0.5, 0.96, 1.0]
    cells["x+y/neuralgrok"] = [long(rec, fast, neuralgrok=True) for _ in range(8)]
    cells["neuralgrok_c/2"] = [rec(fast if i % 3 else slow, neuralgrok=True) for i in range(8)]
    cells["neuralgrok_c/1"] = [rec(fast, neuralgrok=True) for _ in range(3)]
    looks = {"x+y": [5, 8], "neuralgrok_c/2": [3, 8]}
    once, twice = rows(cells), rows(cells, looks=looks)
    # c = 0.2 (8 seeds, looks at 5 and 8) with c = 2 (3, then 8): paired 3, then 8
    a, b = once["clip-equalizes-c"], twice["clip-equalizes-c"]
    assert a.n == b.n == 8 and b.estimate == pytest.approx(a.estimate)
    assert a.level == 0.95 and b.level == pytest.approx(sequential_level((3, 8)))
    assert "Pocock's level for 2 looks at 3 and 8 seeds" in b.note
    # c = 1 (3 seeds, one look) with c = 2: their 3 pairs never grew, one look
    assert twice["neuralgrok-c2-slower"].n == 3 and twice["neuralgrok-c2-slower"].level == 0.95
    assert paired_cell_looks(looks, "x+y/neuralgrok", "neuralgrok_c/2") == (3, 8)
    assert paired_cell_looks(looks, "x+y/standard", "rescale/0.5") == 1
    assert cell_looks(looks, "x+y/grokfast_ma") == [5, 8]


# ---- rows not run ------------------------------------------------------------------------------


def test_rows_whose_runs_are_not_planned_say_why(rec):
    r = rows(plan(rec))
    assert r["table1-vs-ma-sub"].verdict == "not run"
    assert r["table1-vs-ma-sub"].reason == "(x-y) is not among this scale's tasks"
    assert r["rescale-composite"].verdict == "not run"
    assert COMPOSITE in r["rescale-composite"].reason
    c05 = r["neuralgrok-c05-like-c02"]
    assert c05.verdict == "not run" and "c = 0.5" in c05.reason
    cells = {k: v for k, v in plan(rec).items() if not k.startswith("transfer")}
    assert rows(cells)["transfer-keeps-delay"].verdict == "not run"


def test_composite_and_subtraction_rows_where_planned(rec):
    cells = plan(rec)
    cells["composite_rescale"] = [rec([0.0, 0.5, 0.99]) for _ in range(3)]
    cells[f"{COMPOSITE}/standard"] = [rec(CHANCE) for _ in range(3)]
    comp = rows(cells)["rescale-composite"]
    assert comp.estimate == pytest.approx(0.99) and comp.verdict == "reproduced"
    assert "without rescaling: standard: 3/3 never reached 95%" in comp.note
    sub = rows(plan(rec, 6))["subtraction-slower"]  # x-y: the transfer baseline, at chance
    # a−b never within the budget (40), a+b at 30 in every seed: each ratio at least 4/3
    assert sub.verdict == "reproduced" and sub.ci_low == pytest.approx(40 / 30)
    assert "x-y: 6/6 never reached" in sub.note


# ---- entropies and the amplifier ---------------------------------------------------------------


def test_entropy_rows_read_the_phases_and_ratios(rec):
    never = rows(plan(rec))  # NeuralGrok never reached 95%: its entropies are not compared
    awe = never["neuralgrok-lower-awe"]
    assert awe.verdict == UNTESTABLE and "no seed in which both runs reached" in awe.reason
    assert "0/3 seeds" in awe.note and never["amplified-age-smoother"].verdict == UNTESTABLE
    cells = plan(rec)
    cells["x+y/neuralgrok"] = [long(rec, GROK, neuralgrok=True) for _ in range(3)]
    r = rows(cells)
    assert r["age-rises-memorization"].estimate == pytest.approx(3.0)  # peak 3 over 1 at the start
    assert r["age-falls-generalization"].estimate == pytest.approx(0.5 / 3)
    assert r["neuralgrok-lower-awe"].estimate == pytest.approx(1.0)
    assert r["neuralgrok-lower-awe"].verdict == "contradicted"
    assert r["amplified-age-smoother"].estimate == pytest.approx(0.0)
    assert r["amplifier-rotates"].estimate == pytest.approx(0.1)
    assert "median per seed): 5.0e-01" in r["amplifier-rotates"].note
    never = rows(plan(rec, standard=CHANCE))["age-rises-memorization"]
    assert never.verdict == UNTESTABLE and "no standard run reached" in never.reason
