"""Every parameter of every notebook is checked before anything runs.

Each notebook's `parameters` cell is followed by a cell that calls its chapter's
`parameters.check_parameters(globals())` (grokcore.params). Here, for every notebook: the specs
cover exactly the parameters papermill sees, the defaults pass at every scale, every spec's bad
values (a wrong type, an out-of-range value: Spec.bad_values) are refused with an error naming
the parameter, and, through papermill as a user runs it, a notebook given bad values fails in
that cell with one error naming each bad parameter, with nothing trained or loaded.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import papermill
import pytest

from grokcore.params import ParameterError, notebook_defaults

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = {  # notebook -> its chapter package
    "notebooks/01_egd_toy.ipynb": "egd_toy",
    "notebooks/02_egd_modular.ipynb": "egd_modular",
    "notebooks/03_neuralgrok.ipynb": "neuralgrok",
    "notebooks/04_adam_dynamics.ipynb": "adam_dynamics",
    "notebooks/05_med.ipynb": "med",
    "notebooks/06_minibatch.ipynb": "minibatch",
    "notebooks/07_accelerators.ipynb": "accelerators",
    "chapters/template/chapter.ipynb": "template",
}
CHECK = "globals().update(check_parameters(globals()))"


def test_every_notebook_is_listed():
    found = {str(p.relative_to(ROOT)) for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert found <= set(NOTEBOOKS)


def parameters_of(notebook: str) -> module:  # noqa: F821
    return importlib.import_module(f"chapters.{NOTEBOOKS[notebook]}.parameters")


def defaults(notebook: str) -> dict:
    """The parameters cell's values, as the notebook defines them."""
    nb = json.loads((ROOT / notebook).read_text())
    [cell] = [c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", [])]
    namespace: dict = {}
    exec("".join(cell["source"]), namespace)
    return {name: namespace[name] for name in papermill.inspect_notebook(str(ROOT / notebook))}


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_notebook_defaults_reads_what_papermill_sees(notebook):
    assert notebook_defaults(ROOT / notebook) == defaults(notebook)
    assert list(notebook_defaults(ROOT / notebook)) == list(defaults(notebook))


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_the_cell_after_the_parameters_checks_them(notebook):
    nb = json.loads((ROOT / notebook).read_text())
    i = next(i for i, c in enumerate(nb["cells"]) if "parameters" in c["metadata"].get("tags", []))
    source = "".join(nb["cells"][i + 1]["source"])
    assert f"chapters.{NOTEBOOKS[notebook]}.parameters import check_parameters" in source
    assert CHECK in source


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_specs_cover_exactly_the_notebook_parameters(notebook):
    assert list(parameters_of(notebook).SPECS) == list(defaults(notebook))


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_the_defaults_pass_at_every_scale(notebook):
    mod = parameters_of(notebook)
    values = defaults(notebook)
    for scale in ("smoke", "cpu", "paper"):
        checked = mod.check_parameters({**values, "scale": scale})
        assert set(checked) == set(values)


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_every_bad_value_of_every_parameter_is_refused(notebook):
    mod = parameters_of(notebook)
    values = defaults(notebook)
    for name, spec in mod.SPECS.items():
        bad = spec.bad_values()
        assert len(bad) >= 2, name  # one of a wrong type, one out of range
        for value in bad:
            with pytest.raises(ParameterError) as err:
                mod.check_parameters({**values, name: value})
            assert f"parameter {name}=" in str(err.value), (name, value, str(err.value))


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_fewer_items_never_blame_a_parameter_left_to_the_scale(notebook):
    """A user who runs part of a list the scale fills (fewer tasks, cells or values) is refused
    only for that list itself, never for a dict left None that the scale keys by what no longer
    runs (the scale's budgets or seeds for other tasks: grokcore.params.at_scale's scoped)."""
    import re

    from grokcore.params import at_scale

    mod = parameters_of(notebook)
    scales = importlib.import_module(f"chapters.{NOTEBOOKS[notebook]}.scales")
    values = defaults(notebook)
    tried = 0
    for scale in ("smoke", "cpu", "paper"):
        P = at_scale(scales.SCALES, {**values, "scale": scale})
        for name, full in P.items():
            if name not in values or not isinstance(full, list) or len(full) < 2:
                continue
            for part in (full[:1], full[:2], full[1:], full[::-1]):
                try:
                    mod.check_parameters({**values, "scale": scale, name: part})
                except ParameterError as e:
                    blamed = set(re.findall(r"parameter (\w+)=", str(e)))
                    assert blamed == {name}, (scale, name, part, str(e))
                tried += 1
    assert tried or notebook.startswith("chapters/template")


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_ints_where_floats_are_meant_are_the_same_values(notebook):
    mod = parameters_of(notebook)
    values = defaults(notebook)
    for name, spec in mod.SPECS.items():
        v = values[name]
        if spec.kind == "float" and v is not None and float(v).is_integer():
            assert mod.check_parameters({**values, name: int(v)})[name] == float(v)


def rounds(notebook: str) -> list[dict]:
    """Round k gives every parameter its k-th bad value (where it has one)."""
    specs = parameters_of(notebook).SPECS
    bad = {name: spec.bad_values() for name, spec in specs.items()}
    n = max(map(len, bad.values()))
    return [{name: vs[k] for name, vs in bad.items() if len(vs) > k} for k in range(n)]


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_bad_parameters_fail_through_papermill_before_anything_runs(
    notebook, tmp_path, monkeypatch
):
    cache = tmp_path / "cache"
    monkeypatch.setenv("GROKCORE_CACHE", str(cache))  # the kernel inherits it
    for k, params in enumerate(rounds(notebook)):
        out = tmp_path / f"round{k}.ipynb"
        with pytest.raises(papermill.PapermillExecutionError) as err:
            papermill.execute_notebook(
                str(ROOT / notebook),
                str(out),
                parameters=params,
                kernel_name="python3",
                cwd=str((ROOT / notebook).parent),
                progress_bar=False,
            )
        assert err.value.ename == "ParameterError", (k, err.value.ename, err.value.evalue)
        named = {
            line.split("=")[0].removeprefix("parameter ") for line in err.value.evalue.splitlines()
        }
        assert named == set(params), (k, set(params) ^ named)
        executed = json.loads(out.read_text())["cells"]
        failed = [i for i, c in enumerate(executed) if c["cell_type"] == "code" and c["outputs"]
                  and any(o.get("output_type") == "error" for o in c["outputs"])]  # fmt: skip
        assert len(failed) == 1 and CHECK in "".join(executed[failed[0]]["source"])
        later = [c for c in executed[failed[0] + 1 :] if c["cell_type"] == "code"]
        assert all(c["execution_count"] is None for c in later)  # nothing ran after the check
    assert not cache.exists() or not any(cache.rglob("*.json"))  # nothing trained or loaded
