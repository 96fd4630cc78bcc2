"""The nbval references must be executions of the current notebooks, not of older versions."""

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def code_cells(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [
        c.source
        for c in nb.cells
        if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])
    ]


@pytest.mark.parametrize("source", SOURCES, ids=[s.stem for s in SOURCES])
def test_reference_matches_source(source):
    ref = ROOT / "tests" / "nbval" / source.name
    assert ref.exists(), f"no nbval reference for {source.name}: run `make nbval-refs`"
    assert code_cells(ref) == code_cells(source), (
        f"tests/nbval/{source.name} was executed from an older notebook: run `make nbval-refs`"
    )
    meta = nbformat.read(ref, as_version=4).metadata.get("grokbook", {})
    assert meta.get("scale") == "smoke"
