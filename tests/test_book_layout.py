"""The book's sources agree with each other: TOC <-> notebooks, and each notebook's parameters cell.

Fast and static (no execution): papermill injects parameters after the cell tagged
``parameters``, so that cell must hold only literal defaults, typed and commented.
"""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def toc_files() -> list[str]:
    """Every ``file:`` entry of book/_toc.yml (root first), as written."""
    toc = yaml.safe_load((BOOK / "_toc.yml").read_text())
    parts = [toc] + toc.get("parts", [])
    return [toc["root"]] + [e["file"] for part in parts for e in part.get("chapters", [])]


def parameters_cell(path: Path) -> str:
    """The source of the notebook's only cell tagged ``parameters``."""
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"{path.name}: {len(cells)} cells tagged 'parameters', want 1"
    assert cells[0].cell_type == "code", f"{path.name}: the parameters cell is not code"
    return cells[0].source


def test_toc_matches_notebooks() -> None:
    """Each notebooks/NN_*.ipynb is a TOC chapter (chapters/<stem>) and vice versa."""
    chapters = toc_files()[1:]
    assert sorted(chapters) == [f"chapters/{p.stem}" for p in NOTEBOOKS], (
        "book/_toc.yml and notebooks/ disagree: one line `- file: chapters/<stem>` per notebook"
    )


def test_toc_files_exist() -> None:
    """Each TOC entry has a source: a page in book/ or a notebook in notebooks/."""
    for entry in toc_files():
        if entry.startswith("chapters/"):
            source = ROOT / "notebooks" / (Path(entry).name + ".ipynb")
        else:
            source = BOOK / (entry if Path(entry).suffix else entry + ".md")
        assert source.is_file(), f"_toc.yml entry {entry!r}: {source.relative_to(ROOT)} missing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_parameters_cell(path: Path) -> None:
    """Only ``name: type = literal  # comment`` lines, one of which defines ``scale``."""
    source = parameters_cell(path)
    tree = ast.parse(source)
    commented = {
        tok.start[0]
        for tok in tokenize.generate_tokens(io.StringIO(source).readline)
        if tok.type == tokenize.COMMENT
    }
    names = []
    for node in tree.body:
        line = source.splitlines()[node.lineno - 1].strip()
        assert isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name), (
            f"{path.name}: not a typed assignment: {line!r}"
        )
        assert node.value is not None, f"{path.name}: no default value: {line!r}"
        try:
            ast.literal_eval(node.value)
        except ValueError:
            pytest.fail(f"{path.name}: default is not a literal: {line!r}")
        assert commented & set(range(node.lineno, node.end_lineno + 1)), (
            f"{path.name}: add a comment saying what {node.target.id!r} is: {line!r}"
        )
        names.append(node.target.id)
    assert "scale" in names, f"{path.name}: the parameters cell must define `scale`"
    assert len(names) == len(set(names)), f"{path.name}: a parameter is defined twice"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_papermill_documents_every_parameter(path: Path) -> None:
    """`papermill --help-notebook` lists every parameter with its comment (an '=' in a comment
    makes papermill skip the line)."""
    from papermill.inspection import display_notebook_help  # noqa: F401  (papermill is installed)
    from papermill.translators import PythonTranslator

    source = parameters_cell(path)
    params = PythonTranslator.inspect(nbformat.v4.new_code_cell(source))
    n_lines = sum(
        1 for line in source.splitlines() if line.strip() and not line.strip().startswith("#")
    )
    assert len(params) == n_lines, (
        f"{path.name}: papermill parsed {len(params)} of {n_lines} parameters"
    )
    assert all(p.help for p in params), f"{path.name}: a parameter has no help text"


def test_only_build_replaces_just_its_chapter(tmp_path: Path) -> None:
    """`build.py --only STEM` at cpu scale keeps the other chapters' recorded verdicts."""
    import importlib.util
    import json

    spec = importlib.util.spec_from_file_location("build", ROOT / "book" / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    path = tmp_path / "claims-cpu.json"
    path.write_text(
        json.dumps(
            [{"chapter": "a", "id": 1}, {"chapter": "b", "id": 2}, {"chapter": "c", "id": 3}]
        )
    )
    merged = build.merge_chapter(
        path, [{"chapter": "b", "id": 4}, {"chapter": "b", "id": 5}], "b", ["a", "b", "c", "d"]
    )
    assert [r["id"] for r in merged] == [1, 4, 5, 3]
    assert build.merge_chapter(
        tmp_path / "none.json", [{"chapter": "a", "id": 9}], "a", ["a", "b"]
    ) == [{"chapter": "a", "id": 9}]


def _build_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("build", ROOT / "book" / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    return build


def test_each_notebook_imports_its_chapter_package() -> None:
    """build.py reads a chapter's package from the notebook's imports (no table to maintain)."""
    build = _build_module()
    got = {p.stem: build.chapter_packages(p) for p in NOTEBOOKS}
    assert got == {p.stem: [p.stem[3:]] for p in NOTEBOOKS}  # NN_<package>.ipynb
    assert all(build.chapter_files(p) for p in NOTEBOOKS)


def test_cache_key_follows_the_chapter_package_not_another(tmp_path: Path) -> None:
    """Editing chapter alpha's package (figures included) or the library re-executes alpha;
    editing chapter beta's package or alpha's tests does not."""
    build = _build_module()
    files = {
        "grokcore/core.py": "A = 1\n",
        "chapters/__init__.py": "",
        "chapters/alpha/__init__.py": "",
        "chapters/alpha/figures.py": "F = 1\n",
        "chapters/alpha/tests/test_a.py": "T = 1\n",
        "chapters/beta/__init__.py": "",
        "chapters/beta/model.py": "M = 1\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "%matplotlib inline\nfrom chapters.alpha import figures as F\nimport grokcore"
            )
        ]
    )
    source = tmp_path / "notebooks" / "01_alpha.ipynb"
    source.parent.mkdir()
    nbformat.write(nb, source)
    assert build.chapter_packages(source) == ["alpha"]

    def key() -> str:
        return build.cache_key(source, "smoke", root=tmp_path)

    before = key()
    assert key() == before and build.cache_key(source, "cpu", root=tmp_path) != before
    for name, moves in [
        ("chapters/beta/model.py", False),
        ("chapters/alpha/tests/test_a.py", False),
        ("chapters/alpha/figures.py", True),
        ("grokcore/core.py", True),
    ]:
        (tmp_path / name).write_text("changed = 2\n")
        assert (key() != before) == moves, name
        before = key()


def test_param_runs_one_chapter_with_parameters_and_its_rows_say_so(tmp_path: Path) -> None:
    """`--param NAME=YAML` (with --only): papermill parameters besides the scale, in the executed
    copy's cache key, and named in every claims row of the run (note and "params"); the README's
    paper column marks such rows and says with what they ran."""
    import importlib.util

    build = _build_module()
    params = build.parse_params(["grokfast_settings=[]", "transplant_seeds=0"], "04_x")
    assert params == {"grokfast_settings": [], "transplant_seeds": 0}
    for bad, only, why in [
        (["a=1"], None, "needs --only"),
        (["a"], "04_x", "expected NAME=YAML"),
        (["scale=paper"], "04_x", "--scale"),
        (["a=[1"], "04_x", "not YAML"),
    ]:
        with pytest.raises(build.BuildError, match=why):
            build.parse_params(bad, only)
    build.check_param_names(NOTEBOOKS[3], {"transplant_seeds": 0, "grokfast_settings": []})
    with pytest.raises(build.BuildError, match="--param nope: 04_adam_dynamics has no such"):
        build.check_param_names(NOTEBOOKS[3], {"nope": 1})
    rows = [{"chapter": "04_x", "id": "r", "note": "old", "ours": "1.0", "verdict": "reproduced"}]
    got = build.with_params(rows, params)
    assert got[0]["params"] == params
    assert got[0]["note"].startswith("run with grokfast_settings=[], transplant_seeds=0, not ")
    assert got[0]["note"].endswith("; old") and build.with_params(rows, {}) == rows
    source = NOTEBOOKS[0]
    key = build.cache_key(source, "paper")
    assert build.cache_key(source, "paper", params=params) != key
    assert build.cache_key(source, "paper", params={}) == key

    spec = importlib.util.spec_from_file_location("rc", ROOT / "book" / "readme_claims.py")
    rc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rc)
    claim = {"chapter": "04_x", "id": "r", "statement": "s", "source": "src", "paper": "p"}
    claim |= {"band": "[1, 2]", "ours": "1.5", "verdict": "reproduced"}
    paper = {**got[0], "band_low": 1.0, "ours": "1.4 [1.2, 1.6]"}
    text = rc.render([claim], [paper])
    assert "1.4 [1.2, 1.6]: **reproduced** †" in text
    assert "† 04_x at scale paper ran with `grokfast_settings=[]`, `transplant_seeds=0`" in text
    assert "†" not in rc.render([claim], [{**paper, "params": None}])


def test_only_build_leaves_never_executed_chapters_as_a_page() -> None:
    """`build.py --only STEM` where other chapters were never executed (a fresh clone at paper
    scale): each gets a page with its title and the command that builds it, and the scoreboard
    lists it, in the TOC's order, without a table or a count."""
    build = _build_module()
    source = NOTEBOOKS[1]
    nb = build.placeholder(source, "paper")
    (cell,) = nb.cells
    title = next(
        line
        for c in nbformat.read(source, as_version=4).cells
        if c.cell_type == "markdown"
        for line in c.source.splitlines()
        if line.startswith("# ")
    )
    assert cell.source.startswith(title + "\n")
    assert f"book/build.py --scale paper --only {source.stem}" in cell.source
    assert "book/results/claims-paper.json" in cell.source
    row = {
        "chapter": "01_a",
        "statement": "s",
        "paper": "1",
        "ours": "2",
        "verdict": "reproduced",
        "scale": "paper",
    }
    board = build.scoreboard({"01_a": [row], "03_c": [dict(row, chapter="03_c")]}, ("02_b",))
    assert board.index("01_a;") < board.index("02_b") < board.index("03_c;")
    assert "(02_b): not executed in this build." in board
    assert "| {doc}`02_b" not in board  # no count row: nothing was judged
    assert "Claims: 2." in board
    smoke = build.placeholder(source, "smoke").cells[0].source
    assert "--scale smoke" in smoke and "claims-" not in smoke  # smoke records no verdicts
