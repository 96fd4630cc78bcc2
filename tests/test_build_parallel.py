"""book/build.py executes chapters side by side (--jobs), each in a process of its own: a
kernel's trace of the records it used is its own chapter's, and a chapter that fails is reported
by name while the others finish."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from grokcore.campaign import load_build

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def build(tmp_path, monkeypatch):
    mod = load_build(ROOT)
    monkeypatch.setattr(mod, "ROOT", tmp_path)  # traces and progress files under tmp_path/.cache
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the kernels import grokcore
    return mod


def _notebook(path: Path, code: str) -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('scale: str = "smoke"  # tier')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(code)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def _tasks(build, tmp_path: Path) -> list[tuple[str, tuple]]:
    uses = "from grokcore import store\nstore.note_use([{key!r}, f'{{scale}}-{key}'])"
    sources = {
        "01_a": _notebook(tmp_path / "01_a.ipynb", uses.format(key="a")),
        "02_b": _notebook(tmp_path / "02_b.ipynb", uses.format(key="b")),
        "03_c": _notebook(tmp_path / "03_c.ipynb", "raise ValueError('no such run')"),
    }
    out = tmp_path / "out"
    return [
        (stem, (src, out / f"{stem}.ipynb", "smoke", build.trace_path("smoke", stem), None))
        for stem, src in sources.items()
    ]


@pytest.mark.parametrize("jobs", [1, 3])
def test_chapters_executed_side_by_side_keep_their_own_traces(build, tmp_path, jobs) -> None:
    tasks = _tasks(build, tmp_path)
    results, errors = build.execute_chapters(tasks, jobs)
    assert sorted(results) == ["01_a", "02_b"]
    assert all(not reused and wall > 0 for wall, reused in results.values())
    assert build.store.traced(build.trace_path("smoke", "01_a")) == ["a", "smoke-a"]
    assert build.store.traced(build.trace_path("smoke", "02_b")) == ["b", "smoke-b"]
    assert len(errors) == 1 and "03_c.ipynb" in errors[0] and "ValueError" in errors[0]
    again, errors = build.execute_chapters(tasks[:2], jobs)  # the executed copies are current
    assert all(reused for _, reused in again.values()) and not errors


def test_jobs_must_be_positive(build, capsys) -> None:
    assert build.parse_args([]).jobs >= 1
    assert build.parse_args(["--jobs", "2"]).jobs == 2
    with pytest.raises(SystemExit):
        build.parse_args(["--jobs", "0"])
    assert "--jobs: a number of chapters at once, 1 or more; got 0" in capsys.readouterr().err


def test_a_kernel_that_dies_while_starting_is_started_again(build) -> None:
    calls = []

    def flaky(fails: int, message: str):
        def call():
            calls.append(message)
            if len(calls) <= fails:
                raise RuntimeError(message)
            return "ran"

        return call

    assert build.retry_kernel_start(flaky(2, build.KERNEL_START_FAILED)) == "ran"
    assert len(calls) == 3  # two dead starts, then the notebook ran
    calls.clear()
    with pytest.raises(RuntimeError, match="kernel_info"):  # every try died: the error stands
        build.retry_kernel_start(flaky(5, build.KERNEL_START_FAILED), tries=2)
    assert len(calls) == 2
    calls.clear()
    with pytest.raises(RuntimeError, match="a cell failed"):  # not a start failure: no retry
        build.retry_kernel_start(flaky(1, "a cell failed"))
    assert calls == ["a cell failed"]
