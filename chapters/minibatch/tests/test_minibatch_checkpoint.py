"""Chapter 6's runs are checkpointed (grokcore.checkpoint): killed after a checkpoint, a run
with the halving weight decay, the thinned Fourier probe and Nanda's progress measures, or the
topology chapter's penalties, continues bit for bit."""

import pytest

from chapters.minibatch import configs, topology as tp
from grokcore import train as loop
from grokcore.testing import killed_and_resumed


def test_the_schedule_and_the_probes_continue_bit_for_bit(monkeypatch):
    cfg = configs.config(
        7, 4, 40, d_model=8, stop_at_test_acc=None, schedule_wd=True,
        probes=(configs.FOURIER, configs.NANDA),
    )  # fmt: skip
    cfgs = [cfg.replace(seed=s) for s in (0, 1)]

    def halved(whole):  # an evaluation after the first halving: the hook's decay is its state
        h = whole[0].history
        return next(s for s, wd in zip(h["step"], h["weight_decay"]) if wd < 0.02)

    whole, again = killed_and_resumed(lambda: loop.train_stack(cfgs), halved, monkeypatch, loop)
    for a, b in zip(whole, again, strict=True):
        assert a.history == b.history and a.meta["key_freqs"] == b.meta["key_freqs"]
        assert {"emb_power", "restricted_loss", "weight_decay"} <= set(b.history)
        assert min(b.history["weight_decay"]) < 0.02


@pytest.mark.parametrize("penalty", ["agop", "laplacian_data"])
def test_the_topology_runs_continue_bit_for_bit(penalty, monkeypatch):
    cfgs = [
        tp.TopoConfig(
            p=11,
            d=16,
            frac_train=0.75,
            num_epochs=30,
            eval_every=5,
            stop_at_test_acc=None,
            penalty=penalty,
            seed=s,
        )  # fmt: skip
        for s in (0, 1)
    ]
    whole, again = killed_and_resumed(lambda: tp.train_topo(cfgs), 15, monkeypatch, tp)
    for a, b in zip(whole, again, strict=True):
        assert a.history == b.history and "penalty" in b.history
