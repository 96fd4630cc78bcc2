import math

import pytest
import torch

from chapters.minibatch import configs
from grokcore.config import ConfigError, MLPConfig, OptimConfig, RunConfig, TransformerConfig
from grokcore.fourier import circle, embedding_power, top_share
from grokcore.train import Batches, train_stack


def test_new_fields_leave_existing_keys_unchanged():
    """sampling and probes are left out of the key at their defaults: keys computed on main
    (at RECORD_SCHEMA 2; schema 1 gave 94ea62ab5d4cefe67999 and 0681bc8390bc55038578)."""
    assert RunConfig().key() == "feb8b110192392263280"
    cfg = RunConfig(model=TransformerConfig(), optim=OptimConfig(name="adamw", batch_size=None))
    assert cfg.key() == "64c31798b74521030f53"
    iid = cfg.replace(optim=OptimConfig(name="adamw", batch_size=8, sampling="iid"))
    assert iid.key() != cfg.replace(optim=OptimConfig(name="adamw", batch_size=8)).key()
    assert cfg.replace(probes=("embedding_fourier",)).key() != cfg.key()


def test_invalid_sampling_and_probes_name_the_field():
    with pytest.raises(
        ConfigError,
        match=r"OptimConfig.sampling='shuffle' is invalid: allowed one of 'epoch', 'iid'",
    ):
        OptimConfig(sampling="shuffle")
    with pytest.raises(ConfigError, match="RunConfig.probes"):
        RunConfig(model=TransformerConfig(), probes=("nope",))
    with pytest.raises(ConfigError, match="RunConfig.probes"):
        RunConfig(model=MLPConfig(), probes=("embedding_fourier",))


def test_iid_batches_draw_fresh_distinct_examples_every_step():
    train_idx = torch.stack([torch.arange(100, 140), torch.arange(200, 240)])  # [M=2, n=40]
    b = Batches(train_idx, 8, seeds=[0, 1], sampling="iid")
    seen = [b.next() for _ in range(50)]
    for idx in seen:
        assert idx.shape == (2, 8)
        assert all(len(set(row.tolist())) == 8 for row in idx)  # without replacement within a step
        assert ((idx[0] >= 100) & (idx[0] < 140)).all() and ((idx[1] >= 200) & (idx[1] < 240)).all()
    # across the 5 steps of one "epoch" examples repeat (independent draws, not a partition)
    first_epoch = torch.cat(seen[:5], dim=1)[0]
    assert len(set(first_epoch.tolist())) < 40
    counts = torch.bincount(torch.cat(seen, 1)[0] - 100, minlength=40)
    assert counts.min() > 0  # every example gets drawn
    again = Batches(train_idx, 8, seeds=[0, 1], sampling="iid")
    assert all(torch.equal(again.next(), s) for s in seen[:5])  # seeded
    epoch = Batches(train_idx, 8, seeds=[0, 1])
    assert sorted(torch.cat([epoch.next() for _ in range(5)], 1)[0].tolist()) == list(
        range(100, 140)
    )


TINY = configs.config(7, 4, 3, d_model=8, evals_per_epoch=1)


def test_config_follows_fastgrok():
    cfg = configs.config(59, 64, 250)
    assert cfg.model == TransformerConfig(
        n_layers=1, d_model=64, n_heads=1, d_mlp=256, layer_norm=False, act="relu"
    )
    assert cfg.optim.name == "adamw" and cfg.optim.lr == 1e-3 and cfg.optim.betas == (0.9, 0.995)
    assert cfg.optim.sampling == "iid" and cfg.optim.loss_l2 == 0
    assert cfg.task.n_train == 2088 and cfg.num_steps == 250 * (2088 // 64)
    assert (
        configs.config(59, None, 10).num_steps == 10
        and configs.config(59, 0, 10).optim.batch_size is None
    )


def test_stacked_iid_member_equals_single_run_and_probe_is_logged():
    cfg = TINY.replace(dtype="float64")
    stacked = train_stack([cfg.replace(seed=s) for s in (0, 2)])
    single = train_stack([cfg.replace(seed=2)])[0]
    for k in ("test_acc", "train_loss"):
        assert stacked[1].history[k] == pytest.approx(single.history[k], rel=1e-9, abs=1e-12), k
    assert torch.tensor(stacked[1].history["emb_power"]) == pytest.approx(
        torch.tensor(single.history["emb_power"])
    )
    h = single.history
    assert len(h["emb_power"]) == len(h["step"]) and len(h["emb_power"][0]) == 7 // 2 + 1
    assert len(h["emb_circle"][0]) == 7 and len(h["emb_circle"][0][0]) == 2
    # untied: the embedding and the unembedding are separate parameters
    from grokcore.train import build_model, Stack

    model = build_model(cfg, Stack(cfg, [0], "cpu").first, [0])
    assert model.W_E.data_ptr() != model.W_U.data_ptr() and model.W_E.shape[1:] == (8, 8)


def test_fourier_power_and_circle_of_a_pure_frequency():
    p, k = 11, 3
    x = torch.arange(p, dtype=torch.float64)
    w = torch.stack(
        [torch.cos(2 * math.pi * k * x / p), torch.sin(2 * math.pi * k * x / p), torch.zeros(p)],
        dim=1,
    ) @ torch.randn(3, 5, dtype=torch.float64)
    power = embedding_power(w)
    assert power.shape == (p // 2 + 1,) and power.sum() == pytest.approx(1.0)
    assert power[k] == pytest.approx(1.0) and top_share(power, 1) == pytest.approx(1.0)
    xy = circle(w, k)
    ang = torch.atan2(xy[:, 1], xy[:, 0])
    steps = torch.remainder(ang.roll(-1) - ang, 2 * math.pi)  # consecutive integers: equal turns
    assert torch.allclose(steps, steps[0].expand(p), atol=1e-6) or torch.allclose(
        steps, (2 * math.pi - steps[0]).expand(p), atol=1e-6
    )
    noise = embedding_power(torch.randn(59, 64, generator=torch.Generator().manual_seed(0)))
    assert top_share(noise, 3) < 0.3  # a random embedding spreads over all 29 frequencies


def test_chunks_split_records_in_config_order():
    assert configs.chunks(list(range(6)), [1, 3, 2]) == [[0], [1, 2, 3], [4, 5]]


def test_topo_grid_is_every_penalty_and_seed():
    grid = configs.topo_grid(11, ["none", "agop"], 2, 30, d=16)
    assert [(c.penalty, c.seed) for c in grid] == [
        ("none", 0),
        ("none", 1),
        ("agop", 0),
        ("agop", 1),
    ]
    assert all(c.p == 11 and c.num_epochs == 30 and c.d == 16 for c in grid)
