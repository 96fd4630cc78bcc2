import json
import math

import numpy as np

import pytest

from grokcore.claims import MIMETYPE, VERDICTS, Claim, claims_table, tally, verdict_of
from grokcore.estimates import Estimate, Obs, sequential_level


def claim(**kw):
    base = dict(
        id="c1",
        source="EGD §3",
        statement="statement",
        paper="1",
        quantity="a ratio, per seed",
        band=(0.9, 1.1),
        why="the paper's Fig. 1 shows 1 ± 0.1",
        min_seeds=3,
    )
    return Claim(**{**base, **kw})


def est(lo, hi, n=5, value=1.0, censored=0, bound=""):
    return Estimate(value, lo, hi, n, censored=censored, bound=bound)


def test_verdicts_follow_from_the_interval_and_the_band():
    band = (0.9, 1.1)
    assert verdict_of(est(0.95, 1.05), band, 3)[0] == "reproduced"
    assert verdict_of(est(1.2, 1.5), band, 3)[0] == "contradicted"
    assert verdict_of(est(0.2, 0.5), band, 3)[0] == "contradicted"
    assert verdict_of(est(0.85, 1.05), band, 3)[0] == "inconclusive"  # straddles an edge
    assert verdict_of(est(0.95, 1.05, n=2), band, 3) == (
        "inconclusive",
        "2 seeds, fewer than the 3 declared",
    )
    # the declared seeds ran but only one has a value (the event never came in the others):
    # more seeds would not decide it, a longer budget might
    few = Estimate(1.0, -math.inf, math.inf, 1, missing=7)
    assert verdict_of(few, band, 3) == (
        "not testable at this budget",
        "1 of 8 seeds has a value, fewer than the 3 declared "
        "(the others have none within the budget)",
    )
    short = Estimate(1.0, 0.95, 1.05, 2, missing=1, diverged=1)  # 2 + 1 = the 3 declared
    assert verdict_of(short, band, 3)[0] == "not testable at this budget"
    unrun = Estimate(1.0, 0.95, 1.05, 1, missing=1)  # 1 + 1 < 3: seeds are missing, not values
    assert verdict_of(unrun, band, 3) == ("inconclusive", "1 seed, fewer than the 3 declared")
    assert verdict_of(Estimate(None, -math.inf, math.inf, 0), band, 3)[0] == "not run"
    undefined = Estimate(None, -math.inf, math.inf, 0, missing=3)  # runs made, no value
    assert verdict_of(undefined, band, 3)[0] == "not testable at this budget"
    # a lower bound from a censored majority: decides only when the bound does
    lower = dict(value=None, censored=4, bound="lower")
    assert verdict_of(est(0.5, math.inf, **lower), band, 3)[0] == "not testable at this budget"
    assert verdict_of(est(1.5, math.inf, **lower), band, 3)[0] == "contradicted"
    assert verdict_of(est(3.0, math.inf, **lower), (2, math.inf), 3)[0] == "reproduced"


def test_an_interval_straddling_the_band_is_inconclusive_end_to_end():
    noisy = claim(band=(2, math.inf))  # "at least 2x faster"
    r = noisy.check([1.0, 3.0, 5.0], scale="cpu")  # mean 3, t interval about [-2, 8]
    assert r.verdict == "inconclusive" and r.ci_low < 2 < r.ci_high
    tight = noisy.check([3.0, 3.1, 2.9, 3.05], scale="cpu")
    assert tight.verdict == "reproduced" and tight.estimate == pytest.approx(3.0125)


def test_censored_times_go_through_kaplan_meier():
    c = claim(estimator="median", band=(-math.inf, 100), min_seeds=3)
    r = c.check([Obs(500, censored=True)] * 12 + [Obs(50)], scale="cpu")
    assert r.verdict == "contradicted"  # 12 of 13 seeds still waiting at 500: the median is > 100
    assert r.estimate is None and r.censored == 12 and r.ours.startswith("≥ 500")
    few = c.check([Obs(500, censored=True)] * 3 + [Obs(50)], scale="cpu")
    assert few.verdict == "not testable at this budget"  # 4 seeds: the bound is only >= 50


def test_result_reports_interval_band_counts_and_json_numbers():
    r = claim().check([1.0, 1.02, 0.98, Obs(1.0, censored=True, diverged=True), None], scale="cpu")
    assert r.n == 4 and r.censored == 1 and r.diverged == 1 and r.missing == 1
    assert "1 diverged" in r.ours and "1 without a value" in r.ours and r.band == "[0.90, 1.10]"
    d = r.to_json()
    assert d["band_low"] == 0.9 and d["band_high"] == 1.1 and d["min_seeds"] == 3
    assert d["ci_high"] is None  # unbounded: a censored value makes the mean a lower bound
    json.dumps(d, allow_nan=False)  # numbers as numbers, no NaN or Infinity


def test_not_run_says_why():
    r = claim().not_run("needs the paper's 10^5 steps", scale="cpu")
    assert r.verdict == "not run" and r.reason == "needs the paper's 10^5 steps" and r.n == 0


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(band=(1, 1)), "band"),
        (dict(band=(-math.inf, math.inf)), "band"),
        (dict(estimator="mode"), "estimator"),
        (dict(min_seeds=0), "min_seeds"),
        (dict(why=""), "why"),
    ],
)
def test_claims_are_checked_when_declared(kw, match):
    with pytest.raises(ValueError, match=match):
        claim(**kw)


def test_band_text_is_one_or_two_sided():
    assert claim(band=(2, math.inf), unit="x").band_text == "≥ 2.00 x"
    assert claim(band=(-math.inf, 0.1)).band_text == "≤ 0.10"


def test_table_bundle_carries_json_and_tally_counts_every_verdict():
    t = claims_table("01_x", [claim().check([1.0, 1.0, 1.0], scale="cpu")])
    bundle = t._repr_mimebundle_()
    rows = bundle[MIMETYPE]
    assert rows[0]["chapter"] == "01_x" and rows[0]["verdict"] == "reproduced"
    need = {"chapter", "id", "source", "statement", "paper", "ours", "verdict", "scale", "n"}
    need |= {"censored", "estimate", "ci_low", "ci_high", "band_low", "band_high"}
    assert need <= set(rows[0])
    assert "<table" in bundle["text/html"] and "c1" in bundle["text/plain"]
    assert "the paper&#x27;s Fig. 1" in bundle["text/html"]  # the band's why is shown
    counts = tally(rows)
    assert list(counts["01_x"]) == list(VERDICTS) and counts["01_x"]["reproduced"] == 1


def test_reasons_count_one_seed_in_the_singular():
    from grokcore.claims import verdict_of
    from grokcore.estimates import Estimate

    one = Estimate(1.0, 0.5, 2.0, n=1)
    assert verdict_of(one, (0.0, 3.0), 5)[1] == "1 seed, fewer than the 5 declared"
    bound = Estimate(None, 4.0, math.inf, n=6, censored=1, bound="lower")
    assert verdict_of(bound, (1.0, 5.0), 5)[1].startswith("1 censored seed leaves only a bound")
    bound = Estimate(None, 4.0, math.inf, n=6, censored=3, bound="lower")
    assert verdict_of(bound, (1.0, 5.0), 5)[1].startswith("3 censored seeds leave only a bound")


def test_sign_test_rows_decide_on_their_interval_and_say_why_they_cannot():
    """A paired ratio with seeds bounded from both sides carries the sign test's interval: it
    decides like any interval, a two-sided one across an edge is inconclusive, one open on both
    sides says that no bound exists at the level (not that a bound fails to decide)."""
    from grokcore import estimates as E
    from grokcore.claims import describe, verdict_of

    fast = [100.0 + 10 * i for i in range(30)]
    slow = [1.5 * f for f in fast]
    slow[:5] = [E.Obs(200.0, censored=True)] * 5  # slow censored: ratios >= 2.0, 1.82, ...
    fast[29] = E.Obs(100.0, censored=True)  # fast censored: ratio <= 5.85
    slow[29] = E.Obs(200.0, censored=True)  # and slow: unbounded both ways
    est = E.paired_speedup(fast, slow)
    assert est.method == E.SIGN_TEST and est.n == 30 and est.censored == 7
    assert est.estimate == pytest.approx(1.5) and est.low == pytest.approx(1.5)
    assert verdict_of(est, (1.2, math.inf), 5)[0] == "reproduced"
    assert verdict_of(est, (0.5, 1.2), 5)[0] == "contradicted"
    assert describe(est).startswith("1.50 [1.50, ")
    two = E.Estimate(None, 1.1, 1.9, n=30, censored=12, method=E.SIGN_TEST)
    verdict, reason = verdict_of(two, (1.5, math.inf), 5)
    assert verdict == "inconclusive" and reason.startswith("the sign test's interval")
    assert describe(two) == (
        "not identified [1.10, 1.90] (n=30 pairs, 12 censored in all, the median ratio by the "
        "sign test)"
    )
    none = E.paired_speedup([E.Obs(9.0, censored=True)] * 8, [E.Obs(9.0, censored=True)] * 8)
    assert (none.low, none.high, none.method) == (0.0, math.inf, E.SIGN_TEST)
    verdict, reason = verdict_of(none, (1.5, math.inf), 5)
    assert verdict == "not testable at this budget"
    assert reason.startswith("16 censored runs (a seed censored in both arms, or seeds bounded")
    assert "unbounded on both sides at 95%" in reason
    # in seconds (timed_speedup) the same rules, and the same words
    seconds = E.Estimate(None, 1.1, 1.9, n=30, censored=12, method=E.SIGN_TEST_SECONDS)
    assert verdict_of(seconds, (1.5, math.inf), 5) == verdict_of(two, (1.5, math.inf), 5)
    assert describe(seconds) == describe(two)
    timed = E.timed_speedup([E.Obs(9.0, censored=True)] * 8, [E.Obs(9.0, censored=True)] * 8, [0.1])
    assert verdict_of(timed, (1.5, math.inf), 5) == (verdict, reason)


def test_a_claim_the_source_contradicts_keeps_our_estimate_and_the_evidence():
    c = claim()
    est = c.estimate([0.0, 0.0, 0.0])
    row = c.inconsistent(est, "Theorem 1 gives no such law at any ζ", scale="cpu", note="ζ grid")
    assert row.verdict == "inconsistent in the source" and row.verdict in VERDICTS
    assert row.reason == "Theorem 1 gives no such law at any ζ" and row.note == "ζ grid"
    assert row.estimate == est.estimate and row.n == 3 and row.ours.startswith("0.00")
    html = claims_table("01_x", [row])._repr_html_()
    assert "inconsistent in the source" in html and "Theorem 1 gives no such law" in html


def test_censored_values_too_few_for_a_bound_say_so_in_the_row_and_the_reason():
    """5 paired seeds whose slow runs were all censored: no signed-rank bound exists at 95%
    (2^-5 > 0.025). The row says 'no bound at 95%' (never '≥ 0.00 x') and its reason says why;
    at 6 seeds the same ratios bound the speed-up and decide."""
    from grokcore import estimates as E
    from grokcore.claims import describe, unbounded

    slow = [E.Obs(1000.0, censored=True)] * 6
    fast = [100.0, 110.0, 120.0, 130.0, 140.0, 150.0]
    five = E.paired_speedup(fast[:5], slow[:5])
    assert unbounded(five) and five.bound == "lower" and five.low == 0.0
    assert describe(five).startswith("no bound at 95%, not identified (n=5 pairs, 5 censored")
    verdict, reason = verdict_of(five, (3.0, math.inf), 5)
    assert verdict == "not testable at this budget" and "5 seeds with censored values" in reason
    six = E.paired_speedup(fast, slow)
    assert not unbounded(six) and six.low == pytest.approx(1000 / 150)  # the smallest ratio
    assert verdict_of(six, (3.0, math.inf), 5)[0] == "reproduced"
    assert describe(six).startswith("≥ 6.67, not identified (n=6 pairs")
    upper = E.paired_speedup(slow[:5], fast[:5])  # the mirror image: no upper bound
    assert unbounded(upper) and describe(upper).startswith("no bound at 95%")
    mean = E.mean([E.Obs(0.5, censored=True)] * 5)
    assert unbounded(mean) and mean.low == -math.inf


def test_quotes_give_each_rows_estimate_interval_counts_and_verdict():
    speed = claim(id="fast", band=(1.5, math.inf), unit="x", min_seeds=2)
    rows = [
        speed.judge(est(1.2, 1.5, n=8, value=1.34), scale="cpu"),
        claim(id="bound").judge(
            est(1.53, math.inf, n=8, value=None, censored=5, bound="lower"), scale="cpu"
        ),
        claim(id="later").not_run("paper scale only", scale="cpu"),
    ]
    q = claims_table("ch", rows).quotes()
    assert q["fast"] == "1.34 x [1.20, 1.50]" and q["fast.est"] == "1.34 x"
    assert q["fast.ci"] == "[1.20, 1.50]" and q["fast.n"] == "8" and q["fast.censored"] == "0"
    assert q["fast.verdict"] == "inconclusive" and q["fast.ours"] == rows[0].ours
    assert q["bound"] == q["bound.est"] == "≥ 1.53" and q["bound.ci"] == ""  # a bound alone
    assert q["bound.censored"] == "5" and q["bound.ours"].endswith("5 censored)")
    assert q["later"] == "—" and q["later.verdict"] == "not run"
    assert len(q) == 7 * len(rows)


def test_quote_outputs_are_myst_nb_glue_records_and_names_never_clash():
    from grokcore.claims import prose_scope

    table = claims_table("ch", [claim().check([1.0, 1.01, 0.99], scale="cpu")])
    quotes = {q.name: q for q in table.quote({"extra": 3})}
    assert set(quotes) == set(table.quotes()) | {"extra"}
    data, meta = quotes["c1.n"]._repr_mimebundle_()
    prefix = "application/papermill.record/"
    assert data == {prefix + "text/plain": "'3'"}  # as myst_nb.glue(name, "3", display=False)
    assert meta == {"scrapbook": {"name": "c1.n", "mime_prefix": prefix}}
    assert quotes["extra"].text == "3" and quotes["c1.verdict"].text == "reproduced"
    with pytest.raises(ValueError, match=r"\['c1.n'\]"):
        table.quote({"c1.n": "5"})
    assert prose_scope("cpu") is None  # the words were written for it
    assert 'scale="paper"' in prose_scope("paper")._repr_markdown_()


def test_parameters_are_quoted_as_the_prose_writes_them():
    from grokcore.claims import param_quotes

    P = {
        "seeds": 8,
        "num_steps": 135_000,
        "lr": 1e-3,
        "frac": 0.5,
        "epochs": 15000.0,
        "fracs": [0.3, 0.5],
        "batch_sizes": [2, 1024, 0],
        "tasks": ["x+y", "x*y"],
        "layer_norm": True,
        "long_epochs": None,
        "plan": {"x+y": ["egd"]},
        "mixed": [1, None],
    }
    assert param_quotes(P) == {
        "param.seeds": "8",
        "param.num_steps": "135,000",
        "param.lr": "0.001",
        "param.frac": "0.5",
        "param.epochs": "15,000",
        "param.fracs": "0.3, 0.5",
        "param.batch_sizes": "2, 1024, 0",
        "param.tasks": "x+y, x*y",
    }
    table = claims_table("ch", [claim().check([1.0, 1.01, 0.99], scale="cpu")])
    quotes = {q.name: q.text for q in table.quote({"extra": 3}, params={"seeds": 8})}
    assert quotes["param.seeds"] == "8" and quotes["extra"] == "3"
    with pytest.raises(ValueError, match=r"param.seeds"):
        table.quote({"param.seeds": 5}, params={"seeds": 8})


def test_span_reads_a_range_as_the_prose_quotes_it():
    from grokcore.claims import span

    assert span([2080, 840, 1500]) == "840–2,080" and span([]) == "—" and span([3, 3]) == "3"
    assert span([1.04, 1.57], lambda x: f"{x:.1f}", "x") == "1.0–1.6x"
    assert span([1.04, 1.01], lambda x: f"{x:.1f}", "x") == "1.0x"  # alike as printed


def test_a_row_judged_again_after_seeds_were_added_is_at_pococks_level():
    claim = Claim(
        id="c", source="s", statement="x", paper="1", quantity="q", band=(0.5, math.inf),
        why="w", min_seeds=3,
    )  # fmt: skip
    values = [1.0, 1.2, 0.9, 1.1, 1.3, 0.8]
    once = claim.check(values, scale="cpu", note="n")
    twice = claim.check(values, scale="cpu", note="n", looks=2)
    assert once.level == 0.95 and once.note == "n"
    assert twice.level == pytest.approx(0.97062, abs=1e-4)
    assert twice.estimate == once.estimate and twice.ci_low < once.ci_low
    # the t interval at the sequential level: scipy's t quantile at 1 - 0.02938 / 2, 5 df
    from scipy.stats import t

    sd = float(np.std(values, ddof=1))
    half = t.ppf(1 - (1 - twice.level) / 2, 5) * sd / math.sqrt(6)
    assert twice.ci_low == pytest.approx(np.mean(values) - half)
    assert twice.note.startswith("n; 97.06% interval: Pocock's level for 2 looks")
    with pytest.raises(ValueError, match="looks="):
        claim.check(values, scale="cpu", looks=0)
    # the seeds at each look: the level for that spacing, and the note names them
    spaced = claim.check(values, scale="cpu", note="n", looks=[2, 4, 6])
    assert spaced.level == pytest.approx(sequential_level((2, 4, 6)))
    assert spaced.level == pytest.approx(sequential_level(3), abs=1e-9)  # equally spaced
    assert "Pocock's level for 3 looks at 2, 4 and 6 seeds" in spaced.note
    assert claim.check(values, scale="cpu", looks=[6]).note == ""  # one look: nothing to say


def test_a_pair_of_cells_has_the_looks_both_had():
    from grokcore.claims import pair_looks

    assert pair_looks((5, 8, 16), (5, 8)) == (5, 8)  # only one cell grew at the third look
    assert pair_looks([5, 8, 16], [5, 10]) == (5, 8, 10)  # the pair grew to 10 at the third
    assert pair_looks((5, 8, 16), (5, 8, 16)) == (5, 8, 16)
    assert pair_looks(2, (5, 8, 16)) == 2 and pair_looks(1, [5, 8]) == 1
    with pytest.raises(ValueError, match="looks="):
        pair_looks((5, 5), (5, 8))


def test_a_cell_has_its_own_looks_else_its_task_s():
    from grokcore.claims import cell_looks, paired_cell_looks

    looks = {"decoder x+y": [5, 8], "decoder x+y/adam": [5, 8, 16], "rescale/2": [3, 8]}
    assert cell_looks(looks, "decoder x+y/adam") == [5, 8, 16]  # its own
    assert cell_looks(looks, "decoder x+y/sgd") == [5, 8]  # its task's
    assert cell_looks(looks, "rescale/0.5") == 1 and cell_looks({}, "x+y/standard") == 1
    assert paired_cell_looks(looks, "decoder x+y/adam", "decoder x+y/sgd") == (5, 8)
    assert paired_cell_looks(looks, "rescale/2", "decoder x+y/adam") == (3, 8)
    assert paired_cell_looks(looks, "rescale/2", "rescale/1") == 1


def test_looks_count_only_for_tasks_at_the_scale_s_own_seeds():
    from grokcore.claims import looks_at

    preset = {"looks": {"a": 2, "b": 3}, "seeds": {"a": 8, "b": 10}}

    def seeds(Q, task):
        return Q["seeds"][task]

    assert looks_at(preset, preset, seeds) == {"a": 2, "b": 3}
    mine = dict(preset, seeds={"a": 8, "b": 4})  # the user's own seeds on b: one look there
    assert looks_at(mine, preset, seeds) == {"a": 2}
    assert looks_at({"seeds": preset["seeds"]}, preset, seeds) == {}  # no looks declared


def _sample(n, mean, sd):
    """n values with exactly this mean and sample standard deviation (ddof 1)."""
    z = np.linspace(-1.0, 1.0, n)
    z = (z - z.mean()) / z.std(ddof=1)
    return (mean + sd * z).tolist()


@pytest.mark.parametrize("estimator", ["mean", "geomean", "paired_speedup"])
def test_seeds_to_decide_is_the_fewest_seeds_that_decide_at_the_same_estimate_and_spread(estimator):
    """The projection against the trusted path: samples of k seeds with the row's estimate and
    spread (on the values, or on their logs for ratios) are decided at the projected k and not
    at k - 1."""
    from grokcore.claims import seeds_to_decide

    logs = estimator != "mean"
    c = claim(estimator=estimator, band=(1.2, math.inf) if logs else (0.2, math.inf))
    m, sd = (math.log(1.3), 0.25) if logs else (0.3, 0.2)

    def data(n):
        x = _sample(n, m, sd)
        if estimator == "paired_speedup":  # slow / fast per pair: the ratio's log is x
            return [1.0] * n, np.exp(x).tolist()
        return (np.exp(x).tolist() if logs else x,)

    r = c.check(*data(5), scale="cpu")
    assert r.verdict == "inconclusive"
    k = seeds_to_decide(c.estimate(*data(5)), c.band)
    assert k is not None and k > 5
    assert f"about {k} seeds with a value (5 here) would decide it at one more look" in r.reason
    # at the next look's level (Bonferroni over the two: 97.5%) k decide it, k - 1 do not
    assert verdict_of(c.estimate(*data(k), level=0.975), c.band, 3)[0] == "reproduced"
    assert verdict_of(c.estimate(*data(k - 1), level=0.975), c.band, 3)[0] == "inconclusive"
    # and the sequential rule's own level for the looks (5, k) is no stricter
    assert c.check(*data(k), scale="cpu", looks=(5, k)).verdict == "reproduced"


def test_seeds_to_decide_says_nothing_it_cannot_project():
    from grokcore.claims import SEEDS_CAP, seeds_to_decide

    t = "mean, Student's t interval"
    band = (0.9, 1.1)
    assert seeds_to_decide(Estimate(1.0, 0.8, 1.2, 5, method="Kaplan-Meier median"), band) is None
    assert seeds_to_decide(Estimate(1.0, 0.95, 1.05, 5, method=t), band) is None  # crosses none
    assert seeds_to_decide(Estimate(1.1, 1.0, 1.2, 5, method=t), band) is None  # on the edge
    assert seeds_to_decide(Estimate(1.1, 1.1, 1.1, 5, method=t), band) is None  # no spread
    assert seeds_to_decide(Estimate(None, 1.0, math.inf, 5, method=t, bound="lower"), band) is None
    near = Estimate(1.0999, 0.9, 1.3, 5, method=t)  # 1e-4 from the edge, sd about 0.16
    assert seeds_to_decide(near, band) == SEEDS_CAP + 1
    assert "even 1000 seeds would not decide it" in verdict_of(near, band, 3)[1]
    other = verdict_of(Estimate(1.0, 0.8, 1.2, 5, method="Kaplan-Meier median"), band, 3)
    assert other == ("inconclusive", "the interval crosses the band's edge")  # unchanged


def test_with_looks_note_appends_the_looks_level_only_where_there_were_looks():
    from grokcore.claims import looks_note, with_looks_note

    assert with_looks_note("a note", 1) == "a note"
    assert with_looks_note("", 1) == ""
    assert with_looks_note("", [5, 8]) == looks_note([5, 8])
    assert with_looks_note("a note", 2) == "a note; " + looks_note(2)
    assert "Pocock's level for 2 looks" in with_looks_note("a note", 2)
