import math

import pytest
import torch

from chapters.minibatch import minibatch as mb
from grokcore.config import ConfigError, MLPConfig, ModularTask, OptimConfig, RunConfig, TransformerConfig
from grokcore.fourier import circle, embedding_power, top_share
from grokcore.records import new_record
from grokcore.train import Batches, summarize, train_stack


def test_new_fields_leave_existing_keys_unchanged():
    """sampling and probes are left out of the key at their defaults: keys computed on main."""
    assert RunConfig().key() == "94ea62ab5d4cefe67999"
    cfg = RunConfig(model=TransformerConfig(), optim=OptimConfig(name="adamw", batch_size=None))
    assert cfg.key() == "0681bc8390bc55038578"
    iid = cfg.replace(optim=OptimConfig(name="adamw", batch_size=8, sampling="iid"))
    assert iid.key() != cfg.replace(optim=OptimConfig(name="adamw", batch_size=8)).key()
    assert cfg.replace(probes=("embedding_fourier",)).key() != cfg.key()


def test_invalid_sampling_and_probes_name_the_field():
    with pytest.raises(ConfigError, match=r"OptimConfig.sampling='shuffle' is invalid: allowed one of 'epoch', 'iid'"):
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
    assert sorted(torch.cat([epoch.next() for _ in range(5)], 1)[0].tolist()) == list(range(100, 140))


TINY = mb.config(7, 4, 3, d_model=8, evals_per_epoch=1)


def test_config_follows_fastgrok():
    cfg = mb.config(59, 64, 250)
    assert cfg.model == TransformerConfig(n_layers=1, d_model=64, n_heads=1, d_mlp=256, layer_norm=False, act="relu")
    assert cfg.optim.name == "adamw" and cfg.optim.lr == 1e-3 and cfg.optim.betas == (0.9, 0.995)
    assert cfg.optim.sampling == "iid" and cfg.optim.loss_l2 == 0
    assert cfg.task.n_train == 2088 and cfg.num_steps == 250 * (2088 // 64)
    assert mb.config(59, None, 10).num_steps == 10 and mb.config(59, 0, 10).optim.batch_size is None


def test_stacked_iid_member_equals_single_run_and_probe_is_logged():
    cfg = TINY.replace(dtype="float64")
    stacked = train_stack([cfg.replace(seed=s) for s in (0, 2)])
    single = train_stack([cfg.replace(seed=2)])[0]
    for k in ("test_acc", "train_loss"):
        assert stacked[1].history[k] == pytest.approx(single.history[k], rel=1e-9, abs=1e-12), k
    assert torch.tensor(stacked[1].history["emb_power"]) == pytest.approx(torch.tensor(single.history["emb_power"]))
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
    w = torch.stack([torch.cos(2 * math.pi * k * x / p), torch.sin(2 * math.pi * k * x / p),
                     torch.zeros(p)], dim=1) @ torch.randn(3, 5, dtype=torch.float64)
    power = embedding_power(w)
    assert power.shape == (p // 2 + 1,) and power.sum() == pytest.approx(1.0)
    assert power[k] == pytest.approx(1.0) and top_share(power, 1) == pytest.approx(1.0)
    xy = circle(w, k)
    ang = torch.atan2(xy[:, 1], xy[:, 0])
    steps = torch.remainder(ang.roll(-1) - ang, 2 * math.pi)  # consecutive integers: equal turns
    assert torch.allclose(steps, steps[0].expand(p), atol=1e-6) or torch.allclose(steps, (2 * math.pi - steps[0]).expand(p), atol=1e-6)
    noise = embedding_power(torch.randn(59, 64, generator=torch.Generator().manual_seed(0)))
    assert top_share(noise, 3) < 0.3  # a random embedding spreads over all 29 frequencies


def rec(bs, step, n=2088, num_epochs=100, seed=0):
    cfg = mb.config(59, bs, num_epochs, seed=seed)
    h = {"step": [0, step or cfg.num_steps], "test_acc": [0.0, 1.0 if step else 0.5], "train_acc": [0.0, 1.0]}
    return new_record(cfg, h, summarize(h), {})


def test_epochs_slopes_and_censoring():
    # epochs to 99% = 10 * bs / 8 for each seed: slope 1 in log-log (a fixed number of steps)
    cells = {bs: [rec(bs, 10 * (2088 // bs) * bs // 8, seed=s) for s in range(2)] for bs in (8, 16, 32, 64)}
    slopes = mb.seed_slopes(cells)
    assert slopes == [pytest.approx(1.0, abs=0.02)] * 2
    assert mb.epochs_to(cells[8][0]) == pytest.approx(10.0)
    cens = rec(128, None)
    assert mb.epochs_to(cens) is None and mb.budget_epochs(cens) == 100
    assert mb.cell_summary([cells[8][0], cens])[2] == 1
    assert mb.seed_slopes({8: cells[8], 16: [cens, cens]}) == [None, None]
    assert mb.batch_of(rec(None, 5)) == 2088
    bounds = mb.slope_bound({8: [cells[8][0], cens], 32: [cells[32][0], cens]}, 8, 32)
    assert bounds[0] == pytest.approx(1.0, abs=0.02) and bounds[1] is None
    assert mb.slope_bound({8: [cells[8][0]], 128: [cens]}, 8, 128)[0] == pytest.approx(math.log(100 / 10) / math.log(16))
    assert mb.speedup_bound([cens], [cells[8][0]])[0] == pytest.approx(cens.summary["last_step"] / cells[8][0].summary["step_to_test_acc_99"])


def test_tables_notes_and_helpers():
    ok, cens = rec(8, 261 * 30), rec(8, None)
    assert mb.epoch_ratio([ok, cens], [ok, ok]) == [1.0, None]
    assert mb.censoring_note({8: [ok, cens], 16: [ok]}, 2088) == "censored (batch: seeds) 8: 1/2"
    assert mb.censoring_note({8: [ok]}, 2088) == "no censored runs"
    table = mb.summary_table({8: [ok, cens]}, 2088)
    assert table.rows == [[8, "30.0 ± 0.0", "7830.0 ± 0.0", "1/2", "100"]]
    assert "<table>" in table._repr_html_() and "epochs to 99%" in repr(table)
    assert mb.chunks(list(range(6)), [1, 3, 2]) == [[0], [1, 2, 3], [4, 5]]
    assert mb.explorer_epochs(100) == [0, 20, 50, 100]
    assert mb.epochs_or_budget([ok, cens]) == [30.0, 100]
    assert mb.speedup_bound([cens], [ok], epochs=True) == [pytest.approx(100 / 30)]
