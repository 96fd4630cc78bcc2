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


def paired_lower(budget: float, fast) -> float:
    """A trusted formula for the chapters' claim tests: the paired speed-up's lower limit when
    every slow seed is censored at `budget`, i.e. Student's t lower limit (95%, two-sided) of
    log(budget / fast time) over the seeds, exponentiated (written from the textbook formula, not
    through grokcore.estimates)."""
    import math
    import statistics

    from scipy import stats

    logs = [math.log(budget / t) for t in fast]
    n, sd = len(logs), statistics.stdev(logs)
    return math.exp(statistics.fmean(logs) - stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n))
