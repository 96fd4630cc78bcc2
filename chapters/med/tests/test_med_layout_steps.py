"""Chapter 5's layout_steps (the runs that measure a layout's U-Acc at a budget of their own,
raised after a look): the plan it changes, the parameter's check, and the looks its rows take."""

import pytest

from chapters.med import claims as MC
from chapters.med import configs, scales
from chapters.med.parameters import (
    LAYOUT_GROUPS,
    at_layout_budget,
    at_op_budget,
    check_parameters,
    plan,
)
from chapters.med.tests.test_med_op_seeds import V, _values
from grokcore.claims import sequential_level
from grokcore.params import ParameterError


def test_the_layout_runs_take_layout_steps_and_the_others_num_steps():
    P, v = _values("smoke", dim_layout=["square", 60], random_fracs=[0.3])
    assert (P["num_steps"], P["layout_steps"], P["op_steps"]) == (60, 40, 70)
    base, groups = configs.plan(P, v), plan(P, v)
    at_layout = 0
    assert set(groups) == set(base) | {"fourier"}  # the Fourier runs: the plan's own group
    assert {c.num_steps for c in groups["fourier"]["x+y"]} == {60}
    for g, cells in base.items():
        for label, cfgs in groups[g].items():
            for c, b in zip(cfgs, base[g][label]):
                hole = c.task.layout != "random"
                layout_run = g == "random_frac" or (g in LAYOUT_GROUPS and hole)
                op_run = g == "operations" and label != "x+y"
                assert at_layout_budget(g, c) == layout_run and at_op_budget(g, c) == op_run
                assert c.num_steps == (40 if layout_run else 70 if op_run else 60), (g, label)
                assert c.replace(num_steps=b.num_steps) == b  # only the budget differs
                at_layout += layout_run
    assert at_layout == 2 * (
        1 + 1 + 1 + 2 + 1
    )  # square 60, strip 67, its vocabulary, 2 widths, 30%
    # the random layout of "layouts" is the x+y MED runs' own: one config, at num_steps
    assert groups["layouts"][("random", 0)][0].key() == groups["operations"]["x+y"][0].key()
    # the width at the layouts' hole is that hole's cell: one config
    assert groups["d_model"][32][0].key() == groups["layouts"][("square", 60)][0].key()


def test_hole_seeds_extend_a_hole_at_its_layout_budget():
    P, v = _values("smoke", hole_seeds={"strip-67": 4})
    runs = plan(P, v)["layouts"][("strip", 67)]
    assert [c.seed for c in runs] == [0, 1, 2, 3] and {c.num_steps for c in runs} == {40}


def test_layout_steps_is_checked():
    with pytest.raises(ParameterError, match="layout_steps"):
        check_parameters(dict(V, scale="smoke", layout_steps=0))
    P, v = _values("smoke", layout_steps=7)
    assert plan(P, v)["layouts"][("square", 60)][0].num_steps == 7


def test_the_layout_look_holds_only_at_the_scales_budget_and_seeds():
    preset = scales.SCALES["cpu"]
    assert MC.looks_of(_values("cpu")[0], preset)[MC.LAYOUTS] == 2
    looks = MC.looks_of(_values("cpu", layout_steps=1500)[0], preset)  # other runs: judged once
    assert MC.LAYOUTS not in looks and "strip-67" not in looks
    looks = MC.looks_of(_values("cpu", seeds=7)[0], preset)  # strip-67 still runs its 36
    assert MC.LAYOUTS not in looks and looks["strip-67"] == [6, 36]


def test_then_looks_counts_the_budgets_looks_after_the_seeds():
    assert MC.then_looks(1, 1) == 1 and MC.then_looks([6, 36], 1) == [6, 36]
    assert MC.then_looks(1, 2) == 2 and MC.then_looks([6, 36], 2) == 3
    assert MC.then_looks(3, 3) == 5


def test_every_row_on_the_layout_runs_takes_the_budgets_look():
    """With LAYOUTS' looks, every row reading a hole or the random layout at random_fracs is at
    Pocock's level for them (a hole with looks of its own: one more); the rows on the MED runs'
    random layout are not."""
    from chapters.med.tests.test_med_claims import rows_of
    from chapters.med.tests.test_med_issue21_rows import run

    def cell(n, **kw):
        extra = {"hole_acc": [0.0] * 5, "rest_acc": [0.5, 0.6, 0.7, 0.7, 0.7]}
        acc = [0.1, 0.3, 0.4, 0.4, 0.4]
        return [run(acc, seed=s, extra=extra, **kw) for s in range(n)]

    R = {
        "layouts": {
            ("random", 0): cell(3),
            ("strip", 40): cell(3, layout="strip", hole=5),
            ("strip", 67): cell(6, layout="strip", hole=8),
        },
        "strip_vocab": {40: cell(3, layout="strip", hole=5, shift=11)},
        "random_frac": {0.3: cell(3)},
        "d_model": {16: cell(3, layout="strip", hole=5), 32: cell(3, layout="strip", hole=5,
                                                                 d_model=32)},
    }  # fmt: skip
    one, _ = rows_of(R)
    two, _ = rows_of(R, looks={"strip-67": [3, 6], MC.LAYOUTS: 2})
    looked = {
        "u-acc-strip-40": 2,
        "u-acc-strip-67": 3,
        "strip-67-disappears": 3,
        "strip-hole-lowers-u-acc": 2,
        "u-acc-rest-full": 3,
        "u-acc-paper-test-set": 3,
        "u-acc-strip-40-separate": 2,
        "strip-separate-hole-unlearned": 2,
        "random-layout-full": 2,
        "wider-embedding-raises-accuracy": 2,
    }
    for cid, k in looked.items():
        assert "Pocock" not in one[cid].note, cid
        assert f"Pocock's level for {k} looks (seeds or a longer budget" in two[cid].note, cid
        assert two[cid].level == pytest.approx(sequential_level(k)), cid
    assert "Pocock" not in two["med-tracks-loss-x+y"].note  # not a layout run
    # the random layout's own runs stand in where random_fracs was not run: one look
    three, _ = rows_of({**R, "random_frac": {}}, looks={MC.LAYOUTS: 2})
    assert "Pocock" not in three["random-layout-full"].note


def test_op_steps_is_checked_and_moves_only_the_operations_but_x_y():
    with pytest.raises(ParameterError, match="op_steps"):
        check_parameters(dict(V, scale="smoke", op_steps=0))
    P, v = _values("smoke", op_steps=9)
    groups = plan(P, v)
    assert {c.num_steps for op, cs in groups["operations"].items() if op != "x+y" for c in cs} == {
        9
    }
    assert {c.num_steps for c in groups["operations"]["x+y"]} == {P["num_steps"]}
    # x+y's runs stay the random layout's own, whichever operations run
    P, v = _values("smoke", operations=["x-y", "x+y"], op_steps=9)
    groups = plan(P, v)
    assert groups["operations"]["x+y"][0].key() == groups["layouts"][("random", 0)][0].key()


def test_the_operations_look_holds_only_at_the_scales_op_steps():
    preset = scales.SCALES["cpu"]
    looks = MC.looks_of(_values("cpu")[0], preset)
    assert looks["x^3+xy"] == 2 and looks["x-y"] == 3 and looks["x+y"] == [6, 12, 32, 84]
    looks = MC.looks_of(_values("cpu", op_steps=1500)[0], preset)  # judged once
    assert "x-y" not in looks and "x^2" not in looks and looks["x+y"] == [6, 12, 32, 84]
    looks = MC.looks_of(_values("cpu", op_seeds={"x+y": 84, "x-y": 12})[0], preset)
    assert "x-y" not in looks and looks["x^2"] == 2
