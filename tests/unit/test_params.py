"""grokcore.params: every kind of spec accepts what it should, normalizes it, and refuses its own
bad values with a message that names the parameter and what is allowed."""

from __future__ import annotations

import math

import pytest

from grokcore.config import ConfigError, ModularTask
from grokcore.params import (
    Bool,
    Dict,
    Float,
    Int,
    List,
    ParameterError,
    Str,
    check,
    config_problems,
    describe,
)

SPECS = {
    "p": Int(3, prime=True, none="the scale's value"),
    "seeds": Int(1),
    "frac_train": Float(0, 1, lo_open=True, hi_open=True),
    "lr": Float(0, lo_open=True),
    "weight_decay": Float(0),
    "flag": Bool(),
    "solver": Str("svd", "eigh"),
    "sizes": List(Int(0), 2, unique=True),
    "betas": List(Float(0, 1, hi_open=True), 2, 2),
    "plan": Dict(Str("x+y", "x*y"), List(Str("none", "egd"))),
}
GOOD = {
    "p": 97,
    "seeds": 3,
    "frac_train": 0.5,
    "lr": 1e-3,
    "weight_decay": 1,
    "flag": True,
    "solver": "eigh",
    "sizes": [0, 8],
    "betas": (0.9, 0.98),
    "plan": {"x+y": ["none", "egd"]},
}


def test_good_values_are_normalized():
    v = check(SPECS, GOOD)
    assert v["weight_decay"] == 1.0 and isinstance(
        v["weight_decay"], float
    )  # 1 and 1.0: one config
    assert v["betas"] == [0.9, 0.98]  # a tuple is a list
    assert v["p"] == 97 and v["plan"] == {"x+y": ["none", "egd"]}


def test_text_for_lists_and_dicts_is_parsed_as_papermill_p_passes_it():
    v = check(SPECS, {**GOOD, "sizes": "[8, 16]", "plan": "{x*y: [egd]}", "seeds": 5.0})
    assert v["sizes"] == [8, 16] and v["plan"] == {"x*y": ["egd"]}
    assert v["seeds"] == 5 and isinstance(v["seeds"], int)


def test_none_only_where_the_spec_says_what_it_means():
    assert check(SPECS, {**GOOD, "p": None})["p"] is None
    with pytest.raises(
        ParameterError, match=r"parameter seeds=None is invalid \(None is not allowed\)"
    ):
        check(SPECS, {**GOOD, "seeds": None})


@pytest.mark.parametrize("name", list(SPECS))
def test_every_spec_refuses_its_own_bad_values(name):
    bad = SPECS[name].bad_values()
    assert len(bad) >= 2  # a wrong type and an out-of-range value
    for value in bad:
        with pytest.raises(ParameterError) as err:
            check(SPECS, {**GOOD, name: value})
        message = str(err.value)
        assert message.startswith(f"parameter {name}=") and "allowed" in message


@pytest.mark.parametrize(
    "name, value, reason",
    [
        ("p", 100, "not a prime"),
        ("p", 2, "out of range"),
        ("seeds", True, "not an integer"),  # a bool is not a count
        ("seeds", 2.5, "not an integer"),
        ("frac_train", 1.0, "out of range"),
        ("lr", math.nan, "not finite"),
        ("lr", math.inf, "not finite"),
        ("weight_decay", -0.1, "out of range"),
        ("flag", 1, "not True or False"),
        ("solver", "qr", "not one of the allowed values"),
        ("sizes", [8, 8], "repeated items"),
        ("sizes", 8, "pass lists with -y"),
        ("sizes", "[8, -1]", "item 1 = -1: out of range"),
        ("betas", [0.9], "1 items"),
        ("plan", {"x-y": ["egd"]}, "a key = 'x-y'"),
        ("plan", {"x+y": ["sgd"]}, "item 0 = 'sgd'"),
    ],
)
def test_bad_values_name_the_parameter_and_the_reason(name, value, reason):
    with pytest.raises(ParameterError) as err:
        check(SPECS, {**GOOD, name: value})
    assert f"parameter {name}=" in str(err.value) and reason in str(err.value)


def test_every_bad_parameter_is_named_in_one_error():
    with pytest.raises(ParameterError) as err:
        check(SPECS, {**GOOD, "p": 100, "lr": 0, "flag": "yes"})
    lines = str(err.value).splitlines()
    assert [line.split("=")[0] for line in lines] == [
        "parameter p",
        "parameter lr",
        "parameter flag",
    ]


def test_a_missing_parameter_is_an_error():
    with pytest.raises(ParameterError, match="defines no parameter seeds"):
        check(SPECS, {k: v for k, v in GOOD.items() if k != "seeds"})


def test_cross_checks_run_after_the_single_values_pass():
    calls = []

    def cross(v):
        calls.append(v)
        return [("frac_train", "too small for p")] if v["frac_train"] < 0.1 else []

    with pytest.raises(ParameterError, match=r"frac_train=0.05 is invalid: too small for p"):
        check(SPECS, {**GOOD, "frac_train": 0.05}, cross)
    with pytest.raises(ParameterError):
        check(SPECS, {**GOOD, "seeds": 0}, cross)
    assert len(calls) == 1  # not called while a single value is bad


def test_config_problems_map_config_errors_to_parameters():
    def build():
        ModularTask(operation="x+y", p=97, frac_train=1e-4)

    [(name, problem)] = config_problems(build)
    assert name == "frac_train" and "0 train" in problem
    [(name, _)] = config_problems(build, {"frac_train": "train_fraction"})
    assert name == "train_fraction"
    assert config_problems(lambda: ModularTask(operation="x+y", p=97)) == []
    with pytest.raises(ZeroDivisionError):  # only config errors are parameter problems
        config_problems(lambda: 1 / 0)
    assert issubclass(ConfigError, ValueError)


def test_allowed_reads_as_words():
    text = dict(describe(SPECS))
    assert text["p"] == "a prime ≥ 3; or None (the scale's value)"
    assert text["frac_train"] == "a finite number > 0 and < 1"
    assert text["betas"].startswith("a list of 2 items, each a finite number ≥ 0 and < 1")
    assert text["solver"] == "one of 'svd', 'eigh'"


def test_a_tuple_has_its_own_spec_per_position():
    from grokcore.params import Tuple

    spec = {"layout": Tuple(Str("random", "square"), Int(0, 95))}
    assert check(spec, {"layout": ("square", 60)}) == {"layout": ["square", 60]}
    assert check(spec, {"layout": "[square, 60]"}) == {"layout": ["square", 60]}
    for bad in [["square"], ["strip", 60], ["square", 96], 5] + spec["layout"].bad_values():
        with pytest.raises(ParameterError, match="parameter layout="):
            check(spec, {"layout": bad})
    assert spec["layout"].allowed() == "a list [one of 'random', 'square', an integer ≥ 0 and ≤ 95]"


def test_a_float_among_choices():
    spec = {"threshold": Float(choices=(0.5, 0.9))}
    assert check(spec, {"threshold": 0.9}) == {"threshold": 0.9}
    for bad in [0.8, *spec["threshold"].bad_values()]:
        with pytest.raises(ParameterError, match="parameter threshold="):
            check(spec, {"threshold": bad})


def test_at_scale_fills_what_the_notebook_left_none_from_the_scale():
    from grokcore.params import at_scale

    presets = {"cpu": {"p": 97, "seeds": 5}, "paper": {"p": 113, "seeds": 30}}
    values = {"scale": "paper", "p": None, "seeds": 3, "lr": 0.1}
    assert at_scale(presets, values) == {"p": 113, "seeds": 3}  # lr: not a preset key


def test_at_scale_scoped_keeps_the_scale_s_entries_for_what_runs():
    from grokcore.params import at_scale

    presets = {"cpu": {"tasks": ["a", "b", "c"], "steps": {"b": 10, "c": 20}, "seeds": {"c": 9}}}

    def runs(key, P, values):  # the entry's task is among those that run
        return key in P["tasks"]

    scoped = {"steps": runs, "seeds": runs}
    mine = {"scale": "cpu", "tasks": ["a", "b"], "steps": None, "seeds": None}
    assert at_scale(presets, mine, scoped) == {"tasks": ["a", "b"], "steps": {"b": 10}, "seeds": {}}
    assert at_scale(presets, mine) == {**presets["cpu"], "tasks": ["a", "b"]}  # none scoped
    # a dict the user gave is kept whole, for the checks to refuse; the preset is not touched
    given = at_scale(presets, {**mine, "steps": {"c": 5}}, scoped)
    assert given["steps"] == {"c": 5} and given["seeds"] == {}
    assert presets["cpu"]["steps"] == {"b": 10, "c": 20}
    # keep sees the values resolved so far, and the notebook's own
    seen = []
    at_scale(presets, mine, {"steps": lambda k, P, v: seen.append((k, P["tasks"], v)) or True})
    assert seen == [("b", ["a", "b"], mine), ("c", ["a", "b"], mine)]
