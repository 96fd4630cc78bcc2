"""Fixtures of chapter 3's tests."""

import pytest

from chapters.neuralgrok.configs import base_run, neuralgrok_run
from grokcore.neuralgrok import AmplifierConfig
from grokcore.records import RunRecord, new_record
from grokcore.train import summarize


def _rec(test, train=None, step=10, neuralgrok=False, stop=0.95, p=5, **extra) -> RunRecord:
    """A record without training: test accuracies `test` at steps 0, step, 2 step, ... (train
    accuracy 1 unless `train` is given), its summary as a run's; `extra` adds history series.
    The budget is the last step; neuralgrok: the record of a NeuralGrokConfig; stop: its
    config's stop_at_test_acc (None: a run that goes on after 95%); p: its task's modulus."""
    steps = [i * step for i in range(len(test))]
    h = {"step": steps, "test_acc": test, "train_acc": train or [1.0] * len(test), **extra}
    cfg = base_run(
        "x+y", p=p, d_model=8, num_steps=steps[-1] or 1, eval_every=step, stop_at_test_acc=stop
    )
    return new_record(
        neuralgrok_run(cfg, AmplifierConfig()) if neuralgrok else cfg, h, summarize(h), {}
    )


@pytest.fixture
def rec():
    return _rec
