"""The library/chapter split holds: grokcore imports no chapter, a chapter imports no other
chapter, notebooks import only grokcore and their own chapter package (plus the standard
library and the book's plotting/table packages), and every module says what it is for."""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(p.name for p in (ROOT / "chapters").iterdir() if (p / "__init__.py").exists())
THIRD_PARTY = {
    "torch",
    "numpy",
    "matplotlib",
    "pandas",
    "IPython",
    "ipywidgets",
    "tqdm",
    "pytest",
    "nbformat",
    "papermill",
    "yaml",
}


def imports(source: str) -> set[str]:
    """Absolute module names a piece of code imports (relative imports are its own package)."""
    out = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}
    return out


def modules(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "tests" not in p.parts)


def test_the_library_imports_no_chapter():
    for path in modules(ROOT / "grokcore"):
        bad = {m for m in imports(path.read_text()) if m.split(".")[0] == "chapters"}
        assert not bad, f"{path.relative_to(ROOT)} imports chapter code {sorted(bad)}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_a_chapter_imports_only_the_library_and_itself(chapter):
    for path in modules(ROOT / "chapters" / chapter) + sorted(
        (ROOT / "chapters" / chapter / "tests").glob("*.py")
    ):
        others = {
            m.split(".")[1]
            for m in imports(path.read_text())
            if m.startswith("chapters.") and m.split(".")[1] != chapter
        }
        assert not others, f"{path.relative_to(ROOT)} imports other chapters {sorted(others)}"


@pytest.mark.parametrize(
    "notebook", sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.stem
)
def test_a_notebook_imports_grokcore_and_its_own_chapter(notebook):
    cells = [c for c in json.loads(notebook.read_text())["cells"] if c["cell_type"] == "code"]
    names = set()
    for c in cells:
        names |= imports("".join(c["source"]))
    chapters = {m.split(".")[1] for m in names if m.startswith("chapters.")}
    assert len(chapters) == 1, f"{notebook.name} imports chapters {sorted(chapters)} (one expected)"
    allowed = {"grokcore", "chapters"} | THIRD_PARTY | set(sys.stdlib_module_names)
    assert {m.split(".")[0] for m in names} <= allowed, f"{notebook.name} imports {sorted(names)}"


def test_every_module_says_what_it_is_for():
    for path in modules(ROOT / "grokcore") + modules(ROOT / "chapters"):
        doc = ast.get_docstring(ast.parse(path.read_text()))
        if (
            path.name == "__init__.py"
            and path.parent.name != "chapters"
            and not path.read_text().strip()
        ):
            continue  # an empty package marker
        assert doc and re.match(r"\S", doc), f"{path.relative_to(ROOT)} has no module docstring"
