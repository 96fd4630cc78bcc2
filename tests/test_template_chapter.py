"""README.md's "Add a chapter" and "Add a gradient transform" work as written.

A throwaway chapter is made from chapters/template by the README's own commands, run in a
sandbox that stands in for the repository (its notebooks/ and book/_toc.yml); only the copied
package is moved into chapters/ (the notebook imports it as chapters.<name>) and it is removed
again, whatever happens.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import math
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import nbformat
import pytest

from grokcore.testing import tmp_cache  # noqa: F401  (autouse: a temporary run cache per test)

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "chapters" / "template"
NOTEBOOK_IMPORTS = {"grokcore", "chapters", "IPython", "pandas"}  # plus the standard library


def readme_block(marker: str) -> str:
    """The fenced code block of README.md between <!-- marker:start --> and <!-- marker:end -->."""
    text = (ROOT / "README.md").read_text()
    m = re.search(
        rf"<!-- {marker}:start -->\s*```\w*\n(.*?)```\s*<!-- {marker}:end -->", text, re.S
    )
    assert m, f"README.md: no code block between <!-- {marker}:start --> and <!-- {marker}:end -->"
    return m.group(1)


def build_module():
    """book/build.py as a module (its read_claims is what the book build checks)."""
    spec = importlib.util.spec_from_file_location("grokbook_build", ROOT / "book" / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    return build


@pytest.fixture(scope="module")
def new_chapter(tmp_path_factory):
    """(name, notebook) of a chapter made by the README's commands, cleaned up after the module."""
    name = f"_tmp_{uuid.uuid4().hex[:8]}"
    sandbox = tmp_path_factory.mktemp("repo")
    shutil.copytree(
        TEMPLATE, sandbox / "chapters" / "template", ignore=shutil.ignore_patterns("__pycache__")
    )
    (sandbox / "notebooks").mkdir()
    (sandbox / "book").mkdir()
    shutil.copy(ROOT / "book" / "_toc.yml", sandbox / "book" / "_toc.yml")
    script = re.sub(r"^name=\S+", f"name={name}", readme_block("add-chapter"), count=1, flags=re.M)
    assert f"name={name}" in script, "the README's block must start by setting name=..."
    subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=sandbox, check=True)

    package = ROOT / "chapters" / name
    try:
        shutil.move(sandbox / "chapters" / name, package)
        importlib.invalidate_caches()
        yield name, sandbox / "notebooks" / f"07_{name}.ipynb"
    finally:
        shutil.rmtree(package, ignore_errors=True)
        copied = [m for m in sys.modules if m.split(".")[:2] == ["chapters", name]]
        for mod in copied:
            del sys.modules[mod]


def test_readme_commands_make_a_chapter(new_chapter):
    name, notebook = new_chapter
    package = ROOT / "chapters" / name
    assert sorted(p.name for p in package.glob("*.py")) == sorted(
        p.name for p in TEMPLATE.glob("*.py") if p.name != "conftest.py"
    )
    assert [p.name for p in (package / "tests").glob("test_*.py")] == [f"test_{name}.py"]
    for path in [notebook, *package.rglob("*.py")]:
        assert "chapters.template" not in path.read_text(), f"{path.name} imports the template"
    toc = notebook.parents[1] / "book" / "_toc.yml"
    assert build_module().toc_chapters(toc)[-1] == f"07_{name}"
    for mod in ("configs", "scales", "measures", "figures", "claims"):
        module = importlib.import_module(f"chapters.{name}.{mod}")
        assert module.__doc__.strip(), f"{mod} has no docstring"
    scales = importlib.import_module(f"chapters.{name}.scales")
    assert set(scales.SCALES) == {"smoke", "cpu", "paper"}


def test_new_chapters_unit_tests_pass(new_chapter):
    name, _ = new_chapter
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"chapters/{name}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert " passed" in out.stdout


@pytest.mark.notebook
def test_new_chapters_notebook_runs_and_emits_claims(new_chapter, monkeypatch):
    """The copied notebook at smoke scale, as book/build.py executes a chapter: no error output,
    and a claims table the build can collect."""
    import papermill

    name, notebook = new_chapter
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    )
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    executed = notebook.with_name("executed.ipynb")
    papermill.execute_notebook(
        str(notebook),
        str(executed),
        parameters={"scale": "smoke"},
        kernel_name="python3",
        cwd=str(notebook.parent),
        progress_bar=False,
    )
    build = build_module()
    nb = nbformat.read(executed, as_version=4)
    build.check_no_errors(nb, executed.name)
    rows = build.read_claims(executed)
    claims = importlib.import_module(f"chapters.{name}.claims").CLAIMS
    assert (
        [r["id"] for r in rows] == list(claims) == ["faster", "no-delay", "faster-multiplication"]
    )
    assert {r["chapter"] for r in rows} == {f"07_{name}"}
    assert {r["scale"] for r in rows} == {"smoke"}
    # smoke's 2 seeds are fewer than any claim declares: the rules give "inconclusive", and the
    # claim the template does not run says so
    assert [(r["verdict"], r["n"]) for r in rows] == [
        ("inconclusive", 2),
        ("inconclusive", 2),
        ("not run", 0),
    ]
    assert rows[0]["reason"] == "2 seeds, fewer than the 5 declared"
    for r in rows:  # the band the reader sees is the declared one (unbounded: null)
        c = claims[r["id"]]
        want = (*(None if math.isinf(x) else x for x in c.band), c.min_seeds)
        assert (r["band_low"], r["band_high"], r["min_seeds"]) == want


def test_template_notebook_parameters_and_imports():
    """Every parameter is typed and documented for `papermill --help-notebook`, and the notebook
    imports only grokcore, its own chapter and the standard library, IPython and pandas."""
    from papermill.translators import PythonTranslator

    nb = nbformat.read(TEMPLATE / "chapter.ipynb", as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    params = PythonTranslator.inspect(tagged[0])
    assert len(params) == len([ln for ln in tagged[0].source.splitlines() if ln.strip()])
    assert all(p.help and p.inferred_type_name != "None" for p in params)
    assert "scale" in {p.name for p in params}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                names = [node.module] if isinstance(node, ast.ImportFrom) else []
            for mod in names:
                top = mod.split(".")[0]
                assert top in NOTEBOOK_IMPORTS or top in sys.stdlib_module_names, mod
                assert top != "chapters" or mod.startswith("chapters.template"), mod


def test_readme_transform_example_runs(capsys):
    from grokcore import transforms
    from grokcore.config import MethodConfig

    before = set(transforms.TRANSFORMS)
    try:
        example = compile(readme_block("transform-example"), "README.md", "exec")
        exec(example, {"__name__": "readme"})
        added = set(transforms.TRANSFORMS) - before
        assert added == {"sign"}
        assert MethodConfig(name="sign").name == "sign"
        assert "step_to_test_acc_95" in capsys.readouterr().out
    finally:
        for name in set(transforms.TRANSFORMS) - before:
            del transforms.TRANSFORMS[name]
