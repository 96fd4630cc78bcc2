import math

import pytest
import torch

from chapters.minibatch import configs, scales
from chapters.minibatch.embedding import GROWTH
from chapters.minibatch.schedule import NAME as HALVE_WEIGHT_DECAY, halvings
from grokcore.config import (
    ConfigError,
    MLPConfig,
    OptimConfig,
    RunConfig,
    TransformerConfig,
    to_dict,
)
from grokcore.fastgrok import FastgrokConfig
from grokcore.fourier import circle, embedding_power, top_share
from grokcore.params import at_scale
from grokcore.presets import preset
from grokcore.train import Batches, steps_per_epoch, train_stack

PARAMS = dict(  # the notebook's defaults
    frac_train=0.6,
    d_model=64,
    lr=1e-3,
    weight_decay=0.02,
    layer_norm=True,
    mlp_bias=False,
    schedule_wd=True,
    mlp_threshold=0.95,
    mlp_penalties=["none", "laplacian_data", "laplacian_oracle", "agop"],
)


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


def test_config_follows_fastgrok():
    cfg = configs.config(59, 64, 250)
    base = preset("fastgrok")
    assert cfg.model == base.model == FastgrokConfig(layer_norm=True, mlp_bias=False)
    assert cfg.optim == base.optim and cfg.task == base.task
    assert (cfg.num_steps, cfg.eval_every, cfg.stop_at_test_acc) == (250 * 32, 4, 1.0)
    # fastgrok.py log_every: 256 // B below batch 256, once per effective epoch above
    assert configs.config(59, 1, 2).eval_every == 256 and configs.config(59, 1, 2).num_steps == 4176
    assert configs.config(59, 512, 10).eval_every == 2088 // 512
    full = configs.config(59, 0, 10)
    assert full.optim.batch_size is None and (full.num_steps, full.eval_every) == (10, 1)
    assert configs.config(59, 4096, 10).eval_every == 1  # a batch past n_train is full batch
    cond = configs.config(59, 64, 250, layer_norm=False, mlp_bias=True, weight_decay=0.0)
    assert cond.model == FastgrokConfig(layer_norm=False, mlp_bias=True)
    assert cond.optim.weight_decay == 0.0 and cond.optim.amsgrad and cond.optim.eps == 1e-5
    sched = configs.config(113, 8, 250, frac_train=0.3, schedule_wd=True)
    assert sched.probes == (configs.FOURIER, HALVE_WEIGHT_DECAY) and sched.task.n_train == 3830


def test_plan_has_every_cell_of_the_three_experiments():
    P = at_scale(scales.SCALES, {**PARAMS, "scale": "cpu"})
    plan = configs.plan(P, PARAMS)
    assert list(plan) == ["batch", "conditions", "fracs", "progress", "mlp"]
    assert list(plan["batch"]) == P["batch_sizes"] and all(
        len(r) == 8 for r in plan["batch"].values()
    )
    assert plan["batch"][0][0].num_steps == P["full_epochs"]
    assert list(plan["conditions"]) == list(configs.CONDITIONS)
    # the batch sweep's model at batch 64 is the third condition, given the conditions' budget
    # (4x the code's 250 epochs) and no probe (nothing reads it there)
    third = plan["conditions"]["LayerNorm, no MLP bias"]
    assert P["conditions_epochs"] == 4 * P["num_epochs"] == 1000
    assert third == [c.replace(num_steps=1000 * 32, probes=()) for c in plan["batch"][64]] and all(
        r[0].probes == () for r in plan["conditions"].values()
    )
    no_decay = plan["conditions"]["LayerNorm, no bias, no decay"][0]
    assert no_decay.optim.weight_decay == 0 and not no_decay.model.mlp_bias
    assert all(
        r[0].task.p == 113 and HALVE_WEIGHT_DECAY in r[0].probes for r in plan["fracs"].values()
    )
    (prog,) = plan["progress"].values()
    assert prog[0].stop_at_test_acc is None and prog[0].probes == (configs.FOURIER, configs.NANDA)
    records = list(range(len(configs.flat_plan(plan))))
    back = configs.regroup_plan(plan, records)
    assert [len(r) for c in back.values() for r in c.values()] == [
        len(r) for c in plan.values() for r in c.values()
    ]
    assert back["batch"][2] == list(range(8))


def test_halvings_follow_the_codes_loop():
    """fastgrok.py: at each step, epoch = step // spe; halve when epoch >= 24, (epoch - 24) % 8
    == 0 and epoch is not the last epoch halved."""
    spe, last, n, expected = 3, -1, 0, []
    for step in range(3 * 70):
        epoch = step // spe
        if epoch >= 24 and (epoch - 24) % 8 == 0 and epoch != last:
            n, last = n + 1, epoch
        expected.append(n)
    assert [halvings(s, spe) for s in range(3 * 70)] == expected


def test_the_schedule_sets_adamws_decay_before_each_step_and_logs_it():
    cfg = configs.config(7, 4, 40, d_model=8, stop_at_test_acc=None, schedule_wd=True)
    per = cfg.task.n_train // 4
    (rec,) = train_stack([cfg.replace(dtype="float64")])
    h = rec.history
    assert h["weight_decay"] == [0.02 * 0.5 ** halvings(s, per) for s in h["step"]]
    # the same run as a plain loop that sets the decay itself: equal in float64
    ref = reference_run(
        cfg.replace(dtype="float64"), lambda step: 0.02 * 0.5 ** halvings(step, per)
    )
    assert rec.history["train_loss"] == pytest.approx(ref, rel=1e-10, abs=1e-12)
    with pytest.raises(ConfigError, match="RunConfig.probes"):
        RunConfig(
            task=cfg.task,
            model=cfg.model,
            optim=OptimConfig(name="adam"),
            probes=(HALVE_WEIGHT_DECAY,),
        )


def reference_run(cfg, wd_at) -> list[float]:
    """train_stack's run of one seed with a plain loop: grokcore's model and batches, one
    torch.optim.AdamW whose weight_decay is set to wd_at(step) before each step; the train loss
    at each evaluation."""
    from grokcore.train import Stack, build_model, evaluate

    data = Stack(cfg, [cfg.seed], "cpu")
    model = build_model(cfg, data.first, [cfg.seed])
    o = cfg.optim
    opt = torch.optim.AdamW(
        model.parameters(),
        lr=o.lr,
        betas=o.betas,
        eps=o.eps,
        weight_decay=o.weight_decay,
        amsgrad=True,
    )
    batches = Batches(data.train_idx, o.batch_size, [cfg.seed], o.sampling)
    losses = []
    for step in range(cfg.num_steps + 1):
        if step % cfg.eval_every == 0 or step == cfg.num_steps:
            losses.append(float(evaluate(cfg, model, data)["train_loss"][0]))
        if step == cfg.num_steps:
            break
        for g in opt.param_groups:
            g["weight_decay"] = wd_at(step)
        x, y = data.batch(batches.next())
        loss = torch.nn.functional.cross_entropy(model(x)[0], y[0])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return losses


def test_stacked_member_equals_single_run_and_the_fourier_views_are_thinned():
    cfg = configs.config(7, 0, 30, d_model=8, stop_at_test_acc=None).replace(dtype="float64")
    stacked = train_stack([cfg.replace(seed=s) for s in (0, 2)])
    single = train_stack([cfg.replace(seed=2)])[0]
    for k in ("test_acc", "train_loss"):
        assert stacked[1].history[k] == pytest.approx(single.history[k], rel=1e-9, abs=1e-12), k
    h, per = single.history, steps_per_epoch(cfg)
    assert h["fourier_step"][0] == 0 and h["fourier_step"][-1] == h["step"][-1] == cfg.num_steps
    epochs = [s / per for s in h["fourier_step"]]
    assert all(b >= max(a * GROWTH, a + 1) for a, b in zip(epochs[:-2], epochs[1:-1]))
    assert len(h["fourier_step"]) < len(h["step"])
    assert torch.tensor(stacked[1].history["emb_power"]) == pytest.approx(
        torch.tensor(h["emb_power"])
    )
    assert len(h["emb_power"]) == len(h["fourier_step"]) and len(h["emb_power"][0]) == 7 // 2 + 1
    assert len(h["emb_circle"][0]) == 7 and len(h["emb_circle"][0][0]) == 2


def test_a_stopping_member_logs_its_last_view():
    cfg = configs.config(7, 4, 200, d_model=8, stop_at_test_acc=0.5)
    recs = train_stack([cfg.replace(seed=s) for s in (0, 1)])
    for r in recs:
        h = r.history
        assert h["fourier_step"][-1] == h["step"][-1]  # the stop's evaluation is logged
        if h["step"][-1] < cfg.num_steps:
            assert h["test_acc"][-1] >= 0.5


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


def test_topo_grid_is_every_penalty_and_seed():
    grid = configs.topo_grid(11, ["none", "agop"], 2, 30, d=16)
    assert [(c.penalty, c.seed) for c in grid] == [
        ("none", 0),
        ("none", 1),
        ("agop", 0),
        ("agop", 1),
    ]
    assert all(c.p == 11 and c.num_epochs == 30 and c.d == 16 for c in grid)


def test_fast_is_the_paper_scales_and_keeps_cpu_keys():
    """Issue 25's options (fused AdamW with amsgrad, a compiled forward) are on at the paper
    scale only, where no record exists yet; off, they leave a config's key alone."""
    assert scales.SCALES["paper"]["fast"] and not scales.SCALES["cpu"]["fast"]
    plain, fast = configs.config(59, 64, 2), configs.config(59, 64, 2, fast=True)
    key = to_dict(plain, for_key=True)  # off, the fields are left out of the key
    assert "fused" not in key["optim"] and "compile" not in key
    assert fast.optim.fused and fast.optim.amsgrad and fast.compile and fast.key() != plain.key()
    paper = configs.plan(at_scale(scales.SCALES, {**PARAMS, "scale": "paper"}), PARAMS)
    runs = [c for cells in list(paper.values())[:4] for cfgs in cells.values() for c in cfgs]
    assert runs and all(c.optim.fused and c.compile for c in runs)
    cpu = configs.plan(at_scale(scales.SCALES, {**PARAMS, "scale": "cpu"}), PARAMS)
    runs = [c for cells in list(cpu.values())[:4] for cfgs in cells.values() for c in cfgs]
    assert not any(c.optim.fused or c.compile for c in runs)
