"""Fixtures of chapter 2's tests."""

import pytest

from grokcore.records import RunRecord, new_record


def _fake(cfg, step95, final_acc, **summary) -> RunRecord:
    """A record of `cfg` without training: 95% test accuracy at step `step95` (None: censored
    at the budget), `final_acc` at the end; `summary` adds or overrides summary values."""
    h = {"step": [0, 10], "test_acc": [0.0, final_acc]}
    summary = {"step_to_test_acc_95": step95, "last_step": cfg.num_steps, **summary}
    return new_record(cfg, h, summary, {})


@pytest.fixture
def fake():
    """A factory of trained-looking records (see _fake)."""
    return _fake
