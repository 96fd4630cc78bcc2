"""Fixtures for the library's and the chapters' unit tests (imported by their conftest.py)."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def tmp_cache(tmp_path, monkeypatch):
    """Every unit test writes run records to its own temporary cache."""
    monkeypatch.setenv("GROKCORE_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("GROKCORE_REQUIRE_CACHE", raising=False)
    torch.manual_seed(0)
    return tmp_path / "cache"
