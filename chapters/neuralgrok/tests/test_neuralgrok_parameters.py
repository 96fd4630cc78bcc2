"""Chapter 3's checks that span several parameters (parameters._cross): each names the
parameter to change and why, before anything is built or trained."""

import re
from pathlib import Path

import pytest

from chapters.neuralgrok.parameters import check_parameters
from grokcore.params import ParameterError, notebook_defaults

NOTEBOOK = Path(__file__).resolve().parents[3] / "notebooks" / "03_neuralgrok.ipynb"


@pytest.fixture(scope="module")
def defaults() -> dict:
    return notebook_defaults(NOTEBOOK)


def test_op_steps_sets_a_task_budget_and_names_only_later_tasks(defaults):
    v = check_parameters({**defaults, "scale": "cpu", "op_steps": "{x*y: 6000}"})
    assert v["op_steps"] == {"x*y": 6000}
    assert check_parameters({**defaults, "scale": "cpu", "op_steps": {}})["op_steps"] == {}
    # the first task runs num_steps; a task not planned has no budget to set
    for op in ("x+y", "a*c+b*d-e"):
        message = rf"parameter op_steps=.*names {re.escape(op)}, not among"
        with pytest.raises(ParameterError, match=message):
            check_parameters({**defaults, "scale": "cpu", "op_steps": {op: 6000}})
    with pytest.raises(ParameterError, match=r"op_steps=.*out of range"):
        check_parameters({**defaults, "scale": "cpu", "op_steps": {"x-y": 0}})


def test_op_seeds_sets_a_task_s_seeds_and_names_only_later_tasks(defaults):
    assert defaults["op_seeds"] is None  # the notebook's default: the scale's value
    v = check_parameters({**defaults, "scale": "cpu", "op_seeds": "{x*y: 7}"})
    assert v["op_seeds"] == {"x*y": 7}
    assert check_parameters({**defaults, "scale": "cpu", "op_seeds": {}})["op_seeds"] == {}
    # the first task runs first_seeds; a task not planned has no seeds to set
    for op in ("x+y", "a*c+b*d-e"):
        message = rf"parameter op_seeds=.*names {re.escape(op)}, not among.*first_seeds"
        with pytest.raises(ParameterError, match=message):
            check_parameters({**defaults, "scale": "cpu", "op_seeds": {op: 6}})
    for bad in ({"x-y": 0}, {"x-y": 2.5}, {"x/y": 3}, [3]):
        with pytest.raises(ParameterError, match=r"parameter op_seeds="):
            check_parameters({**defaults, "scale": "cpu", "op_seeds": bad})


def test_neuralgrok_keeps_at_least_one_training_example(defaults):
    # p 3: 6 pairs (b in 1..p-1), 3 to train on at frac_train 0.5
    small = {**defaults, "scale": "smoke", "p": 3}
    with pytest.raises(ParameterError, match=r"parameter frac_outer=.*leaving none"):
        check_parameters({**small, "frac_outer": 0.9})
    with pytest.raises(ParameterError, match=r"parameter frac_train=.*needs 2 or more"):
        check_parameters({**small, "frac_train": 0.2})


def test_first_seeds_takes_the_scale_value_or_a_positive_count(defaults):
    assert defaults["first_seeds"] is None  # the notebook's default: the scale's value
    assert check_parameters({**defaults, "scale": "cpu", "first_seeds": 3})["first_seeds"] == 3
    for bad in (0, -1, 2.5, "8"):
        with pytest.raises(ParameterError, match=r"parameter first_seeds="):
            check_parameters({**defaults, "scale": "cpu", "first_seeds": bad})
