"""Chapter 2's task_seeds (a task's runs at more seeds than the plan's, a second look): the
parameter's checks, the runs it adds, and the looks its rows are judged at."""

from pathlib import Path

import pytest

from chapters.egd_modular import claims, configs, parameters, scales
from chapters.egd_modular.parameters import (
    check_parameters,
    plan_task_epochs,
    with_task_epochs,
    with_task_seeds,
)
from chapters.egd_modular.tests.test_egd_modular_claims import P, cells_of, row
from grokcore.claims import sequential_level
from grokcore.config import config_key, to_dict
from grokcore.params import ParameterError, at_scale, notebook_defaults

ROOT = Path(__file__).resolve().parents[3]
V = notebook_defaults(ROOT / "notebooks/02_egd_modular.ipynb")
KW = {"num_steps": 300, "parity_epochs": 3}


def _values(scale: str, **kw) -> dict:
    return at_scale(scales.SCALES, check_parameters(dict(V, scale=scale, **kw)))


def test_task_seeds_adds_the_runs_plan_configs_makes_at_more_seeds_for_that_task_alone():
    plan = {"x+y": ["none", "egd"], "parity(400,2)/mse": ["none", "egd"]}
    base = configs.plan_configs(plan, p=P, seeds=2, **KW)
    more = with_task_seeds(base, {"p": P, "seeds": 2, "task_seeds": {"parity(400,2)/mse": 5}})
    want = configs.plan_configs(plan, p=P, seeds=5, **KW)
    assert more[: len(base)] == base  # the plan's own runs first, unchanged
    assert {config_key(c) for c in more} == {
        config_key(c)
        for c in want
        if configs.task_label(to_dict(c), P) == "parity(400,2)/mse" or c.seed < 2
    }
    assert len(more) == len(base) + 2 * 3  # two methods, seeds 2, 3 and 4


def test_the_scales_task_seeds_pass_over_tasks_the_plan_does_not_run():
    P_cpu = _values("cpu", plan={"x+y": ["none", "egd"]})
    assert P_cpu["task_seeds"] == {"parity(400,2)/mse": 24, "parity(50,4)": 11}
    cfgs = configs.plan_configs(P_cpu["plan"], p=97, seeds=8, **KW)
    assert with_task_seeds(cfgs, P_cpu) == cfgs


@pytest.mark.parametrize(
    "task_seeds, message",
    [
        ({"parity(100,3)": 4}, "task_seeds.*names parity\\(100,3\\), not among the plan's tasks"),
        ({"x+z": 4}, "task_seeds"),
        ({"parity(400,2)/mse": 1}, "task_seeds.*gives parity\\(400,2\\)/mse 1, fewer than seeds"),
        ({"parity(400,2)/mse": 0}, "task_seeds"),
    ],
)
def test_task_seeds_given_by_hand_is_checked(task_seeds, message):
    with pytest.raises(ParameterError, match=message):
        check_parameters(dict(V, scale="smoke", task_seeds=task_seeds))


@pytest.mark.parametrize(
    "task_epochs, message",
    [
        ({"parity(100,3)/mse": 9}, "task_epochs.*names parity\\(100,3\\)/mse: allowed the plan's"),
        ({"x+y": 9}, "task_epochs.*names x\\+y: allowed the plan's parity tasks"),
        ({"parity(100,3)": 0}, "task_epochs"),
    ],
)
def test_task_epochs_given_by_hand_is_checked(task_epochs, message):
    plan = {"x+y": ["egd"], "parity(100,3)": ["egd"]}
    with pytest.raises(ParameterError, match=message):
        check_parameters(dict(V, scale="smoke", plan=plan, task_epochs=task_epochs))


def test_task_epochs_runs_a_parity_task_as_plan_configs_does_at_its_own_epochs():
    plan = {"x+y": ["egd"], "parity(100,3)": ["none", "egd"], "parity(50,4)": ["egd"]}
    kw = {"p": 97, "seeds": 2, "num_steps": 2000}
    base = configs.plan_configs(plan, **kw, parity_epochs=300)
    P_own = {"p": 97, "plan": plan, "task_epochs": {"parity(100,3)": 2000, "x+y": 5}}
    own = with_task_epochs(base, P_own)
    want = configs.plan_configs(plan, **kw, parity_epochs=2000)
    for c, b, w in zip(own, base, want):
        task = configs.task_label(to_dict(c), 97)
        assert c == (w if task == "parity(100,3)" else b), task  # x+y: not a parity task
    assert own[2].num_steps == 2000 * 62 and own[2] != base[2]


def test_the_scales_task_epochs_pass_over_tasks_the_plan_does_not_run():
    P_cpu = _values("cpu", plan={"x+y": ["none", "egd"]})
    assert P_cpu["task_epochs"] == {
        "parity(100,3)": 2000,
        "parity(50,4)": 6000,
        "parity(400,2)": 10100,
    }
    assert plan_task_epochs(P_cpu) == {}
    assert plan_task_epochs(_values("cpu")) == P_cpu["task_epochs"]


# the cpu rows with looks of their own: cells whose budget was raised after a look (long_methods,
# ablation_epochs)
OWN_LOOKS = {
    "egd-vs-sgd-add-lr0.35",
    "switch-back-add",
    "egd-final-accuracy",
    "egd-noswitch-final-accuracy",
}


def test_looks_hold_only_where_the_task_runs_the_scales_seeds_and_budget():
    cpu = scales.SCALES["cpu"]
    assert claims.looks_of(_values("cpu"), cpu) == cpu["looks"]
    # every cpu row had a look at 5 seeds; four rows have looks of their own (OWN_LOOKS)
    assert set(cpu["looks"]) == set(cpu["plan"]) | OWN_LOOKS
    assert cpu["looks"]["x+y"] == [5, 8] and cpu["looks"]["parity(400,2)/mse"] == 4
    own = cpu["task_epochs"]  # at the authors' budgets: a fourth look
    assert own == {"parity(100,3)": 2000, "parity(50,4)": 6000, "parity(400,2)": 10100}
    assert cpu["looks"]["parity(100,3)"] == 4 and cpu["looks"]["parity(50,4)"] == 5  # 11 seeds
    assert cpu["looks"]["parity(400,2)"] == 4
    assert all(
        n == 3
        for t, n in cpu["looks"].items()
        if t.startswith("parity(") and t != "parity(400,2)/mse" and t not in own
    )
    fewer = claims.looks_of(_values("cpu", task_seeds={"parity(400,2)/mse": 12}), cpu)
    assert "parity(400,2)/mse" not in fewer and fewer["parity(400,2)"] == 4
    assert claims.looks_of(_values("cpu", seeds=30), cpu) == {}  # more than 24: one look
    # another budget: the tasks it sets are other runs
    longer = claims.looks_of(_values("cpu", parity_epochs=400), cpu)
    kept = {*own, *OWN_LOOKS}  # their own epochs (task_epochs); the rows read no parity budget
    assert set(longer) == {t for t in cpu["plan"] if not t.startswith("parity")} | kept
    other = claims.looks_of(_values("cpu", task_epochs={"parity(100,3)": 1000}), cpu)
    assert set(cpu["looks"]) - set(other) == set(own)  # (50, 4) at parity_epochs: other runs
    shorter = claims.looks_of(_values("cpu", num_steps=1000), cpu)
    assert set(shorter) == {t for t in cpu["plan"] if t.startswith("parity")}
    other_p = claims.looks_of(
        _values("cpu", p=89), cpu
    )  # the tasks that name their modulus keep theirs
    assert set(other_p) == {t for t in cpu["plan"] if t.startswith("parity") or " mod " in t}
    assert claims.looks_of(_values("smoke"), scales.SCALES["smoke"]) == {}


def test_a_rows_own_looks_hold_only_with_the_scales_long_methods_and_modular_runs():
    cpu = scales.SCALES["cpu"]
    assert "egd@lr=0.35" in cpu["long_methods"] and cpu["looks"]["egd-vs-sgd-add-lr0.35"] == 3
    short = claims.looks_of(_values("cpu", long_methods=["none", "column_norm"]), cpu)
    assert short == {t: n for t, n in cpu["looks"].items() if t in cpu["plan"]}  # x+y's: [5, 8]
    parity = claims.looks_of(_values("cpu", parity_epochs=400), cpu)  # the row reads no parity
    assert parity["egd-vs-sgd-add-lr0.35"] == 3
    assert "egd-vs-sgd-add-lr0.35" not in claims.looks_of(_values("cpu", num_steps=1000), cpu)


def test_a_tasks_rows_are_judged_at_pococks_level_for_its_looks(fake):
    plan = {"x+y": ["none", "egd"], "parity(400,2)/mse": ["none", "egd"]}
    times = {("x+y", "egd"): list(range(10, 20)), ("parity(400,2)/mse", "egd"): [1] * 10}
    cells = cells_of(fake, plan, 10, times)
    one = claims.results(cells, p=P, scale="cpu")
    two = claims.results(cells, p=P, scale="cpu", looks={"parity(400,2)/mse": [5, 10]})
    for cid in ("egd-vs-sgd-parity-mse", "egd-few-epochs-parity(400,2)/mse"):
        a, b = row(one, cid), row(two, cid)
        assert "Pocock" not in a.note and "Pocock's level for 2 looks at 5 and 10 seeds" in b.note
        assert b.level == pytest.approx(sequential_level((5, 10))), cid
    assert row(two, "egd-vs-sgd-add").level == 0.95  # another task: one look


def test_a_row_named_in_the_looks_is_judged_at_its_own_and_the_others_at_their_tasks(fake):
    plan = {"x+y": ["none", "egd", "egd@lr=0.35", "egd@lr=1.4"]}
    times = {("x+y", m): list(range(10, 20)) for m in ("egd", "egd@lr=0.35", "egd@lr=1.4")}
    cells = cells_of(fake, plan, 10, {**times, ("x+y", "none"): [200] * 10})
    rows = claims.results(
        cells, p=P, scale="cpu", looks={"x+y": [5, 10], "egd-vs-sgd-add-lr0.35": 3}
    )
    assert row(rows, "egd-vs-sgd-add-lr0.35").level == pytest.approx(sequential_level(3))
    for cid in ("egd-vs-sgd-add-lr1.4", "egd-vs-sgd-add"):
        assert row(rows, cid).level == pytest.approx(sequential_level((5, 10))), cid
    assert 0.95 < sequential_level((5, 10)) < sequential_level(3)  # more looks, wider


def test_ablation_epochs_sets_the_budget_of_the_ablations_two_egd_arms_alone():
    """The two EGD arms of a modular task with egd_noswitch run ablation_epochs; every other run
    (SGD, a long method, parity's arms, another task's EGD) is plan_configs' own, and the arms
    differ from theirs only in num_steps (the same evaluations)."""
    plan = {
        "x+y": ["none", "egd", "egd_noswitch", "column_norm"],
        "x*y": ["egd"],
        "parity(400,2)": ["egd", "egd_noswitch"],
    }
    kw = {"p": P, "seeds": 2, "num_steps": 300, "parity_epochs": 3, "long_methods": ["none"]}
    base = configs.plan_configs(plan, **kw)
    Q = {"p": P, "plan": plan, "long_methods": ["none"], "ablation_epochs": 500}
    own = parameters.with_ablation_epochs(base, Q)
    arms = 0
    for c, b in zip(own, base):
        d = to_dict(c)
        arm = configs.task_label(d, P) == "x+y" and configs.method_label(d) in parameters.ABLATION
        arms += arm
        assert c == (b.replace(num_steps=500) if arm else b), (d["task"], d["method"])
    assert arms == 4  # two arms, two seeds; P = 23: one step per epoch
    assert parameters.with_ablation_epochs(base, dict(Q, ablation_epochs=None)) == base
    # a long method keeps its own budget
    long = dict(Q, long_methods=["egd"])
    assert [c.num_steps for c in parameters.with_ablation_epochs(base, long)].count(500) == 2


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"plan": {"x+y": ["egd"]}}, "ablation_epochs.*names no run"),
        ({"plan": {"parity(400,2)": ["egd", "egd_noswitch"]}}, "ablation_epochs.*names no run"),
        ({"long_methods": ["egd"]}, "ablation_epochs.*and long_methods both set the budget of egd"),
        ({"ablation_epochs": 0}, "ablation_epochs"),
    ],
)
def test_ablation_epochs_given_by_hand_is_checked(kw, message):
    with pytest.raises(ParameterError, match=message):
        check_parameters(dict(V, scale="smoke", **{"ablation_epochs": 500, **kw}))


def test_the_scales_ablation_epochs_is_passed_over_where_no_ablation_runs():
    assert _values("smoke")["ablation_epochs"] == 400  # smoke runs the option
    assert check_parameters(dict(V, scale="smoke", plan={"x+y": ["egd"]}))  # not blamed
    cfgs = parameters.plan_runs(_values("smoke"), dict(V, scale="smoke"))
    arms = [c for c in cfgs if configs.method_label(to_dict(c)) in parameters.ABLATION]
    xy = [c for c in arms if configs.task_label(to_dict(c), 23) == "x+y"]
    assert xy and {c.num_steps for c in xy} == {400}


def test_ablation_epochs_other_than_the_scales_makes_the_ablations_task_other_runs():
    cpu = scales.SCALES["cpu"]
    assert cpu["ablation_epochs"] == 15000
    other = claims.looks_of(_values("cpu", ablation_epochs=400), cpu)
    assert "x+y" not in other and other["x*y"] == cpu["looks"]["x*y"]  # x*y has no ablation
    # the rows with looks of their own read x+y's runs: other runs too, one look
    assert not OWN_LOOKS & set(other)
    assert set(cpu["looks"]) - set(other) == {"x+y", *OWN_LOOKS}
