"""Chapter 5's op_seeds (an operation's MED runs at more seeds than the plan's, a second look):
the parameter's checks, the plan it extends, and the looks its rows are judged at."""

from pathlib import Path

import pytest

from chapters.med import claims as MC
from chapters.med import configs, scales
from chapters.med.parameters import check_parameters, plan
from grokcore.claims import sequential_level
from grokcore.params import ParameterError, at_scale, notebook_defaults

ROOT = Path(__file__).resolve().parents[3]
V = notebook_defaults(ROOT / "notebooks/05_med.ipynb")


def _values(scale: str, **kw) -> tuple[dict, dict]:
    v = check_parameters(dict(V, scale=scale, **kw))
    return at_scale(scales.SCALES, v), v


def test_op_seeds_extends_one_operations_runs_and_leaves_the_shared_cells():
    P, v = _values("smoke", op_seeds={"x+y": 4})
    base, groups = configs.plan(P, v), plan(P, v)
    xy = groups["operations"]["x+y"]
    assert [c.seed for c in xy] == [0, 1, 2, 3]
    assert xy[:2] == base["operations"]["x+y"]  # the plan's own runs, the same keys
    assert all(c.replace(seed=0) == xy[0] for c in xy)  # only the seed differs
    assert len(groups["layouts"][("random", 0)]) == P["seeds"] == 2  # shared: not extended
    assert groups["layouts"][("random", 0)][0].key() == xy[0].key()
    assert len(groups["operations"]["x-y"]) == 2


def test_the_scales_op_seeds_pass_over_operations_the_notebook_does_not_run():
    P, v = _values("cpu", operations=["x^2", "x-y"])  # the cpu scale names x+y and x-y
    assert P["op_seeds"] == {"x+y": 84, "x-y": 24}
    assert len(plan(P, v)["operations"]["x-y"]) == 24 and len(plan(P, v)["operations"]["x^2"]) == 6
    P, v = _values("cpu", seeds=90)  # fewer than seeds: x+y just runs seeds
    assert len(plan(P, v)["operations"]["x+y"]) == 90


@pytest.mark.parametrize(
    "op_seeds, message",
    [
        ({"x*y": 4}, "op_seeds.*names x\\*y, not among the operations"),
        ({"x+y": 1}, "op_seeds.*gives x\\+y 1, fewer than seeds \\(2\\)"),
        ({"x+y": 0}, "op_seeds"),
    ],
)
def test_op_seeds_given_by_hand_is_checked(op_seeds, message):
    with pytest.raises(ParameterError, match=message):
        check_parameters(dict(V, scale="smoke", op_seeds=op_seeds))


def test_looks_hold_only_where_the_operation_runs_the_scales_seeds():
    P, _ = _values("cpu")
    assert MC.looks_of(P, scales.SCALES["cpu"])["x+y"] == [6, 12, 32, 84]
    P, _ = _values("cpu", op_seeds={"x+y": 10})  # seeds of the user's choosing: one look
    assert "x+y" not in MC.looks_of(P, scales.SCALES["cpu"])


def test_pooled_looks_sum_the_cells_seeds_at_each_look():
    assert MC.pooled_looks({"x+y": 12, "x-y": 6}, {"x+y": [6, 12]}) == (12, 18)
    assert MC.pooled_looks({"x+y": 12}, {"x+y": [6, 12]}) == (6, 12)
    assert MC.pooled_looks({"x+y": 6, "x-y": 6}, {}) == 1
    assert MC.pooled_looks({"x+y": 6}, {"x+y": 2}) == 2  # a bare count of looks
    # bare counts: each cell's later looks apart (x+y's 3 after its first, x-y's 2): 6 in all
    assert MC.pooled_looks({"x+y": 84, "x-y": 24}, {"x+y": [6, 12, 32, 84], "x-y": 3}) == 6


def test_med_rows_are_judged_at_pococks_level_for_their_looks():
    from chapters.med.tests.test_med_claims import GROKS, rows_of, run

    R = {"operations": {"x+y": [run(GROKS, seed=s) for s in range(6)]}}
    one, _ = rows_of(R)
    two, _ = rows_of(R, looks={"x+y": [3, 6]})
    for cid in ("med-tracks-loss-x+y", "med-beats-weight-norm"):
        a, b = one[cid], two[cid]
        assert "Pocock" not in a.note and "Pocock's level for 2 looks at 3 and 6 seeds" in b.note
        assert a.level == 0.95 and b.level == pytest.approx(sequential_level((3, 6)))


def test_wd_seeds_extends_every_weight_decay_cell_and_leaves_the_shared_cells():
    P, v = _values("smoke", wd_seeds=5, compare_weight_decays=[0.0, 0.1])
    base, groups = configs.plan(P, v), plan(P, v)
    for wd, runs in groups["weight_decay"].items():
        assert [c.seed for c in runs] == [0, 1, 2, 3, 4]
        assert runs[:2] == base["weight_decay"][wd]  # the plan's own runs, the same keys
        assert all(c.replace(seed=0) == runs[0] for c in runs)  # only the seed differs
    assert len(groups["layouts"][("random", 0)]) == P["seeds"] == 2  # shared: not extended
    assert len(groups["operations"]["x-y"]) == 2


def test_the_scales_wd_seeds_below_seeds_runs_seeds():
    P, v = _values("cpu", seeds=90)  # the scale's 84 is fewer: the cells run seeds
    assert P["wd_seeds"] == 84
    assert {len(r) for r in plan(P, v)["weight_decay"].values()} == {90}


@pytest.mark.parametrize("wd_seeds", [1, 0, 2.5])
def test_wd_seeds_given_by_hand_is_checked(wd_seeds):
    with pytest.raises(ParameterError, match="wd_seeds"):
        check_parameters(dict(V, scale="smoke", wd_seeds=wd_seeds))


def test_weight_decay_looks_hold_only_at_the_scales_wd_seeds():
    P, _ = _values("cpu")
    assert MC.looks_of(P, scales.SCALES["cpu"])[MC.WEIGHT_DECAY] == [6, 24, 84]
    P, _ = _values("cpu", wd_seeds=20)  # seeds of the user's choosing: one look
    assert MC.WEIGHT_DECAY not in MC.looks_of(P, scales.SCALES["cpu"])


def test_the_spread_row_is_judged_at_pococks_level_for_its_looks():
    from chapters.med.tests.test_med_issue21_rows import run

    def arm(wd, sds):  # per seed, the spread at the end (MED 1 throughout)
        extra = [{"med_sd": [0.5, 0.5, sd, sd]} for sd in sds]
        acc, med = [0.0, 0.5, 1.0, 1.0], [1.0] * 4
        return [run(acc, med=med, extra=e, seed=s, weight_decay=wd) for s, e in enumerate(extra)]

    R = {"weight_decay": {0.0: arm(0.0, [0.5] * 4), 1.0: arm(1.0, [0.1, 0.2, 0.15, 0.3])}}
    one = MC.results(R, [], {}, p=11, frac_train=0.5, mc_trials=10, scale="cpu")
    two = MC.results(
        R, [], {}, p=11, frac_train=0.5, mc_trials=10, scale="cpu", looks={MC.WEIGHT_DECAY: [2, 4]}
    )
    one, two = ({r.id: r for r in x}["wd-uniform-spacing"] for x in (one, two))
    assert one.n == two.n == 4 and one.estimate == pytest.approx(0.375)
    assert two.estimate == pytest.approx(one.estimate) and two.ci_high > one.ci_high
    assert "Pocock's level for 2 looks at 2 and 4 seeds" in two.note and "Pocock" not in one.note
    assert two.level == pytest.approx(sequential_level((2, 4)))


def test_hole_seeds_extends_one_holes_runs_and_leaves_the_others():
    P, v = _values("smoke", hole_seeds={"strip-67": 5})
    base, groups = configs.plan(P, v), plan(P, v)
    runs = groups["layouts"][("strip", 67)]
    assert [c.seed for c in runs] == [0, 1, 2, 3, 4]
    # the plan's own runs at the layout budget (parameters.plan), the same keys
    assert runs[:2] == [
        c.replace(num_steps=P["layout_steps"]) for c in base["layouts"][("strip", 67)]
    ]
    assert all(c.replace(seed=0) == runs[0] for c in runs)  # only the seed differs
    assert len(groups["layouts"][("square", 60)]) == len(groups["layouts"][("random", 0)]) == 2


def test_the_scales_hole_seeds_pass_over_holes_the_notebook_does_not_run():
    P, v = _values("cpu", strip_holes=[40])  # the cpu scale names strip-67
    assert P["hole_seeds"] == {"strip-67": 36} and len(plan(P, v)["layouts"][("strip", 40)]) == 6
    P, v = _values("cpu", seeds=40)  # fewer than seeds: the hole just runs seeds
    assert len(plan(P, v)["layouts"][("strip", 67)]) == 40


@pytest.mark.parametrize(
    "hole_seeds, message",
    [
        ({"strip-40": 4}, "hole_seeds.*names strip-40, not among this run's holes.*strip-67"),
        ({"random-0": 4}, "hole_seeds=.*'random-0': not a hole"),
        ({"strip67": 4}, "hole_seeds=.*'strip67': not a hole"),
        ({"strip-67": 1}, "hole_seeds.*gives strip-67 1, fewer than seeds \\(2\\)"),
        ({"strip-67": 0}, "hole_seeds"),
    ],
)
def test_hole_seeds_given_by_hand_is_checked(hole_seeds, message):
    with pytest.raises(ParameterError, match=message):
        check_parameters(dict(V, scale="smoke", hole_seeds=hole_seeds))


def test_hole_looks_hold_only_at_the_scales_hole_seeds():
    P, _ = _values("cpu")
    assert MC.looks_of(P, scales.SCALES["cpu"])["strip-67"] == [6, 36]
    P, _ = _values("cpu", hole_seeds={"strip-67": 20})  # seeds of the user's choosing: one look
    assert "strip-67" not in MC.looks_of(P, scales.SCALES["cpu"])


def test_a_holes_rows_are_judged_at_pococks_level_for_its_looks():
    """The hole's own rows and the rows pooling the holes (their seeds summed at each look) take
    Pocock's level; the trend row pairs the seeds both holes ran."""
    from chapters.med.tests.test_med_claims import rows_of
    from chapters.med.tests.test_med_issue21_rows import run

    def hole(h, n):  # a STRIP hole h at p = 11: fits its train set, then a plateau at 40%
        return [
            run([0.1, 0.3, 0.4, 0.4, 0.4], layout="strip", hole=h, seed=s,
                extra={"hole_acc": [0.0] * 5, "rest_acc": [0.5, 0.6, 0.7, 0.7, 0.7]})
            for s in range(n)
        ]  # fmt: skip

    R = {"layouts": {("strip", 40): hole(5, 3), ("strip", 67): hole(8, 6)}}
    one, _ = rows_of(R)
    two, _ = rows_of(R, looks={"strip-67": [3, 6]})
    for cid, pooled in (("u-acc-strip-67", (3, 6)), ("strip-67-disappears", (3, 6)),
                        ("u-acc-rest-full", (6, 9)), ("u-acc-paper-test-set", (6, 9))):  # fmt: skip
        a, b = one[cid], two[cid]
        assert "Pocock" not in a.note, cid
        assert f"Pocock's level for 2 looks at {pooled[0]} and {pooled[1]} seeds" in b.note, cid
        assert b.level == pytest.approx(sequential_level(pooled)), cid
    trend = two["strip-hole-lowers-u-acc"]
    assert trend.n == 3 and "the 3 seeds both ran" in trend.note and "Pocock" not in trend.note


def test_more_seeds_than_the_scales_extension_is_one_look():
    """seeds above the scale's op_seeds, wd_seeds or hole_seeds runs seeds everywhere: those
    cells do not run the scale's seeds, so their rows have been judged once."""
    P, _ = _values("cpu", seeds=90)
    assert MC.looks_of(P, scales.SCALES["cpu"]) == {}


def test_a_hole_without_a_rest_adds_nothing_to_the_rest_rows_looks():
    """A big STRIP hole's test set is the hole alone (rest accuracy NaN throughout): the seeds
    added to it give u-acc-rest-full no value, so its looks stay one."""
    from chapters.med.tests.test_med_claims import rows_of
    from chapters.med.tests.test_med_issue21_rows import run

    nan = float("nan")

    def hole(h, n, rest):
        extra = {"hole_acc": [0.0] * 5, "rest_acc": [rest] * 5}
        acc = [0.1, 0.3, 0.4, 0.4, 0.4]
        return [run(acc, layout="strip", hole=h, seed=s, extra=extra) for s in range(n)]

    R = {"layouts": {("strip", 40): hole(5, 3, 0.7), ("strip", 67): hole(8, 6, nan)}}
    by_id, _ = rows_of(R, looks={"strip-67": [3, 6]})
    assert "Pocock" not in by_id["u-acc-rest-full"].note
    assert "Pocock's level for 2 looks at 6 and 9 seeds" in by_id["u-acc-paper-test-set"].note
