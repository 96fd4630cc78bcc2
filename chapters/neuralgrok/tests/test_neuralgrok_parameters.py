"""Chapter 3's checks that span several parameters (parameters._cross): each names the
parameter to change and why, before anything is built or trained."""

import re
from pathlib import Path

import pytest

from chapters.neuralgrok import scales
from chapters.neuralgrok.parameters import check_parameters
from grokcore.params import ParameterError, notebook_defaults

NOTEBOOK = Path(__file__).resolve().parents[3] / "notebooks" / "03_neuralgrok.ipynb"


@pytest.fixture(scope="module")
def defaults() -> dict:
    return notebook_defaults(NOTEBOOK)


@pytest.mark.parametrize(
    "name, value, first",
    [("op_steps", 6000, "num_steps"), ("op_seeds", 7, "first_seeds")],
)
def test_a_later_task_s_budget_or_seeds_names_only_later_tasks(defaults, name, value, first):
    assert defaults[name] is None  # the notebook's default: the scale's value
    v = check_parameters({**defaults, "scale": "cpu", name: f"{{x*y: {value}}}"})
    assert v[name] == {"x*y": value}
    assert check_parameters({**defaults, "scale": "cpu", name: {}})[name] == {}
    # the first task runs num_steps and first_seeds; a task not planned has none to set
    for op in ("x+y", "a*c+b*d-e"):
        message = rf"parameter {name}=.*names {re.escape(op)}, not among.*{first}"
        with pytest.raises(ParameterError, match=message):
            check_parameters({**defaults, "scale": "cpu", name: {op: value}})
    with pytest.raises(ParameterError, match=rf"{name}=.*out of range"):
        check_parameters({**defaults, "scale": "cpu", name: {"x-y": 0}})
    for bad in ({"x-y": 2.5}, {"x/y": 3}, [3]):
        with pytest.raises(ParameterError, match=rf"parameter {name}="):
            check_parameters({**defaults, "scale": "cpu", name: bad})


def test_op_steps_may_name_one_table1_cell_of_any_task(defaults):
    cell = {"x^2-y/standard": 20000}
    assert check_parameters({**defaults, "scale": "cpu", "op_steps": cell})["op_steps"] == cell
    # the first task's budget is num_steps, but one of its cells may have its own
    first = {"x+y/grokfast_ema": 6000}
    assert check_parameters({**defaults, "scale": "cpu", "op_steps": first})["op_steps"] == first
    with pytest.raises(ParameterError, match=r"op_steps=.*names x\+y, not among"):
        check_parameters({**defaults, "scale": "cpu", "op_steps": {"x+y": 500}})
    for bad in ({"x-y/adam": 500}, {"x-y/": 500}, {"x-y/standard/x": 500}):
        with pytest.raises(ParameterError, match=r"parameter op_steps="):
            check_parameters({**defaults, "scale": "cpu", "op_steps": bad})
    with pytest.raises(ParameterError, match=r"parameter op_seeds="):  # seeds stay per task
        check_parameters({**defaults, "scale": "cpu", "op_seeds": {"x-y/standard": 5}})


def test_ablation_cell_seeds_names_only_this_plan_s_ablation_cells(defaults):
    assert defaults["ablation_cell_seeds"] is None  # the notebook's default: the scale's value
    cpu = {**defaults, "scale": "cpu"}
    v = check_parameters({**cpu, "ablation_cell_seeds": "{rescale/0.5: 20, adam_wd_large: 4}"})
    assert v["ablation_cell_seeds"] == {"rescale/0.5": 20, "adam_wd_large": 4}
    for name in ("rescale/3", "composite_rescale"):  # ablation cells, not in this plan
        message = rf"parameter ablation_cell_seeds=.*names {re.escape(name)}, not among"
        with pytest.raises(ParameterError, match=message + r".*neuralgrok_c/2"):
            check_parameters({**cpu, "ablation_cell_seeds": {name: 4}})
    no_transfer = {**cpu, "transfer": False, "ablation_cell_seeds": {"transfer": 4}}
    with pytest.raises(ParameterError, match=r"names transfer, not among"):
        check_parameters(no_transfer)
    for name in ("x+y/standard", "neuralgrok_c", "rescale/0.50", "adamw/x", "transfers"):
        message = rf"parameter ablation_cell_seeds=.*names {re.escape(name)}: not an ablation cell"
        with pytest.raises(ParameterError, match=message):
            check_parameters({**cpu, "ablation_cell_seeds": {name: 4}})
    for bad in ({"rescale/0.5": 0}, {"rescale/0.5": 2.5}, [3]):
        with pytest.raises(ParameterError, match=r"parameter ablation_cell_seeds="):
            check_parameters({**cpu, "ablation_cell_seeds": bad})


def test_a_transfer_cell_has_no_more_seeds_than_its_source(defaults):
    cpu = {**defaults, "scale": "cpu"}
    # a-b's runs reuse a^2-b's amplifiers (10 seeds), x+y's (first_seeds: 8)
    assert check_parameters({**cpu, "ablation_cell_seeds": {"transfer_hardest": 10}})
    assert check_parameters({**cpu, "op_seeds": {"x^2-y": 4}})  # transfer_hardest follows
    message = (
        r"parameter ablation_cell_seeds=.*transfer cell 9 seeds.*\(x\+y\)/neuralgrok.*at most 8"
    )
    with pytest.raises(ParameterError, match=message):
        check_parameters({**cpu, "ablation_cell_seeds": {"transfer": 9}})


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


def test_row_seeds_extend_a_row_s_table1_cells_and_never_shrink_them(defaults):
    assert defaults["row_seeds"] is None  # the notebook's default: the scale's value
    cpu = {**defaults, "scale": "cpu"}
    v = check_parameters({**cpu, "row_seeds": "{oscillation-standard: 12, table1-vs-ma-sub: 10}"})
    assert v["row_seeds"] == {"oscillation-standard": 12, "table1-vs-ma-sub": 10}
    message = r"parameter row_seeds=.*gives table1-vs-ma-sub 9 seeds, fewer than its task's "
    with pytest.raises(ParameterError, match=message + r"\(x-y: 10\).*at least 10"):
        check_parameters({**cpu, "row_seeds": {"table1-vs-ma-sub": 9}})
    message = r"parameter row_seeds=.*names table1-vs-ma-composite, whose task .* is not among"
    with pytest.raises(ParameterError, match=message):
        check_parameters({**cpu, "row_seeds": {"table1-vs-ma-composite": 12}})
    for bad in ({"subtraction-slower": 12}, {"x+y/standard": 12}, {"stable-ma": 0}, [40]):
        with pytest.raises(ParameterError, match=r"parameter row_seeds="):
            check_parameters({**cpu, "row_seeds": bad})


def test_fewer_tasks_keep_only_the_scale_s_entries_for_what_runs(defaults):
    """At scale cpu, operations or ablation values of the user's own: the scale's op_steps,
    op_seeds, row_seeds and ablation_cell_seeds keep their entries for what runs (scales.SCOPED),
    a row only where its cells are the scale's."""
    from grokcore.params import at_scale

    cpu = {**defaults, "scale": "cpu"}
    P = at_scale(scales.SCALES, {**cpu, "operations": ["x+y", "x-y"]}, scales.SCOPED)
    assert P["op_steps"] == {"x-y": 8000, "x+y/grokfast_ema": 6000}
    assert P["op_seeds"] == {"x-y": 10}
    assert P["row_seeds"] == {"oscillation-standard": 40, "table1-vs-ma-add": 31}
    # a+b second: its Grokfast-EMA budget stays (a cell of a task that runs); oscillation-
    # standard would read a-b's standard runs, not the scale's a+b ones: dropped
    P = at_scale(scales.SCALES, {**cpu, "operations": ["x-y", "x+y"]}, scales.SCOPED)
    assert P["op_steps"] == {"x+y/grokfast_ema": 6000} and P["op_seeds"] == {}
    assert P["row_seeds"] == {"table1-vs-ma-add": 31}
    # a row at fewer seeds than the user's own for its task: dropped, not an error
    more = {**cpu, "operations": ["x-y", "x+y"], "op_seeds": {"x+y": 40}}
    assert at_scale(scales.SCALES, more, scales.SCOPED)["row_seeds"] == {}
    check_parameters(more)
    mine = at_scale(scales.SCALES, {**cpu, "neuralgrok_cs": [0.5, 1.0]}, scales.SCOPED)
    assert mine["ablation_cell_seeds"] == {}
    assert at_scale(scales.SCALES, cpu, scales.SCOPED) == at_scale(scales.SCALES, cpu)
    # the user's own dict is kept whole and refused where it names what does not run
    with pytest.raises(ParameterError, match="parameter op_seeds="):
        check_parameters({**cpu, "operations": ["x+y", "x-y"], "op_seeds": {"x*y": 10}})
