"""Shared fixtures: one smoke-scale build of the book per test session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def built_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the whole book at smoke scale into a temporary folder and return that folder.

    It holds ``chapters/*.ipynb`` (papermill outputs), ``_build/html/`` and
    ``_build/claims.json``; book/ itself is never touched. Set GROKBOOK_TEST_OUT to a folder to
    keep the build between sessions (build.py's cache then skips unchanged chapters).
    """
    out = Path(os.environ.get("GROKBOOK_TEST_OUT") or tmp_path_factory.mktemp("book"))
    cmd = [sys.executable, str(ROOT / "book" / "build.py"), "--scale", "smoke", "--out", str(out)]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return out


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--device",
        default="cpu",
        help="device of tests/unit/test_device.py (default cpu; bench/gpu_check.sh passes cuda)",
    )
