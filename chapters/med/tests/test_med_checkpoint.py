"""Chapter 5's runs are checkpointed (grokcore.checkpoint): killed after a checkpoint, a run with
the MED probe on a SQUARE layout and the code's Toeplitz init continues bit for bit."""

import pytest

from chapters.med import configs
from chapters.med.inits import EMBED_INIT
from grokcore import checkpoint
from grokcore.testing import Killed
from grokcore.train import train_stack


def test_a_killed_med_run_continues_bit_for_bit(tmp_path, monkeypatch):
    monkeypatch.setenv("GROKCORE_CACHE", str(tmp_path))
    monkeypatch.setenv(checkpoint.ENV, "0")  # at every evaluation
    cfgs = [
        configs.config(
            11,
            d_model=16,
            embed_init=EMBED_INIT,
            layout="square",
            hole=3,
            num_steps=40,
            eval_every=10,
            seed=s,
        )  # fmt: skip
        for s in (0, 1)
    ]
    whole = train_stack(cfgs)

    def die(step, metrics):
        if step == 20:
            raise Killed

    with pytest.raises(Killed):
        train_stack(cfgs, log=die)
    assert len(list((tmp_path / "checkpoints").glob("*.pt"))) == 1
    again = train_stack(cfgs)
    for a, b in zip(whole, again, strict=True):
        assert a.history == b.history and b.meta["resumed_at"] == [20]
        assert {"med", "hole_acc"} <= set(b.history)


def test_a_killed_image_sum_run_continues_bit_for_bit(monkeypatch):
    """The ResNet's BatchNorm statistics (its buffers) and the running train accuracy's count."""
    from chapters.med import image_sum as I
    from grokcore.testing import killed_and_resumed

    cfg = I.ImageSumConfig(
        tile=6, channels=1, widths=(4, 8), blocks=(1, 1), stem="cifar", num_epochs=3,
        eval_every=1, batch_size=1000,
    )  # fmt: skip
    whole, again = killed_and_resumed(lambda: [I.train_image_sum(cfg)], 4, monkeypatch, I)
    assert whole[0].history == again[0].history
    assert len(again[0].history["train_acc_running"]) == 4  # epochs 0 to 3
