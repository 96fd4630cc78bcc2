import pytest
import torch

from grokcore.config import (
    ConfigError,
    MethodConfig,
    ModularTask,
    OptimConfig,
    RunConfig,
    TransformerConfig,
)
from grokcore.neuralgrok import (
    AmplifierConfig,
    NeuralGrokConfig,
    outer_split,
    train_neuralgrok,
)
from grokcore.records import RunRecord
from grokcore.sweep import run_or_load, run_unit
from grokcore.probes import abs_entropy
from grokcore.train import Stack, train_stack

RUN = RunConfig(
    task=ModularTask(operation="x-y", p=7, frac_train=0.5, min_y=1, token_format="neuralgrok"),
    model=TransformerConfig(
        n_layers=2, d_model=16, n_heads=2, d_mlp=32, layer_norm=True, act="gelu"
    ),
    optim=OptimConfig(
        name="adam", lr=1e-3, weight_decay=1e-3, loss_l2=0.0, batch_size=8, warmup_steps=2
    ),
    num_steps=12,
    eval_every=4,
    dtype="float64",
)
NG = NeuralGrokConfig(run=RUN, amp=AmplifierConfig(hidden=(4, 4), inner_steps=2, frac_outer=0.2))


def test_token_format_is_a_task_field():
    data = Stack(RUN, [0], "cpu")
    assert data.x.shape[-1] == 4  # a b op =
    assert data.x[0, :, 2].eq(8).all()  # op token p + 1
    assert (
        Stack(RUN.replace(task=ModularTask(p=7)), [0], "cpu").x.shape[-1] == 3
    )  # default: Nanda x y =
    with pytest.raises(ConfigError, match="token_format"):
        ModularTask(token_format="power")


def test_outer_split_is_a_seeded_partition_of_train():
    train = torch.arange(100).view(1, 100) * 3
    inner, outer = outer_split(train.expand(2, 100), 0.02, [0, 1])
    assert inner.shape == (2, 98) and outer.shape == (2, 2)
    for i in range(2):
        assert sorted(inner[i].tolist() + outer[i].tolist()) == train[0].tolist()
    assert not torch.equal(outer[0], outer[1])
    assert torch.equal(outer_split(train, 0.02, [1])[1][0], outer[1])


def test_same_config_and_seed_give_identical_records():
    a, b = train_neuralgrok([NG]), train_neuralgrok([NG])
    assert a[0].history == b[0].history and a[0].meta["amplifier"] == b[0].meta["amplifier"]
    c = train_neuralgrok([NG.replace(seed=1)])
    assert a[0].history["test_loss"] != c[0].history["test_loss"]


def test_stacked_member_equals_single_run():
    stacked = train_neuralgrok([NG.replace(seed=s) for s in (0, 2)])
    for s, rec in zip((0, 2), stacked):
        single = train_neuralgrok([NG.replace(seed=s)])[0]
        for k in ("test_loss", "train_loss", "outer_loss"):
            assert rec.history[k] == pytest.approx(single.history[k], rel=1e-9), k


def test_meta_steps_train_the_amplifier_and_frozen_does_not():
    trained = train_neuralgrok([NG])[0]
    frozen = train_neuralgrok(
        [NG.replace(amp=AmplifierConfig(hidden=(4, 4), frac_outer=0.2, meta=False))]
    )[0]
    assert trained.meta["amplifier"] != frozen.meta["amplifier"]
    assert (
        trained.meta["n_outer"] == 4 and trained.meta["n_inner"] == 17
    )  # 21 train examples, 1/5 outer
    assert trained.history["cos_step"] == [0, 4, 8]
    assert all(0 < v <= 1 + 1e-9 for v in trained.history["update_cos"])


def test_record_round_trip_and_sweep_runner(tmp_path, monkeypatch):
    monkeypatch.setenv("GROKCORE_CACHE", str(tmp_path))
    rec = run_unit([NG])[0]
    again = RunRecord.from_json(rec.to_json(), expect_key=NG.key())
    assert again.cfg == NG and again.summary == rec.summary
    loaded = run_or_load([NG], workers=1)[0]  # the record written above... or trained and cached
    assert loaded.history["test_acc"] == rec.history["test_acc"]


def test_transfer_starts_from_the_source_amplifier(tmp_path, monkeypatch):
    monkeypatch.setenv("GROKCORE_CACHE", str(tmp_path))
    src = run_or_load([NG.replace(seed=3)], workers=1)[0]
    frozen = AmplifierConfig(hidden=(4, 4), frac_outer=0.2, meta=False)
    target = NeuralGrokConfig(run=RUN.replace(seed=3), amp=frozen, source=NG)
    rec = train_neuralgrok([target])[0]
    assert rec.meta["amplifier"] == src.meta["amplifier"]  # frozen: the source's weights throughout
    with pytest.raises(RuntimeError, match="source"):
        train_neuralgrok([target.replace(seed=4)])


def test_invalid_configs_fail_with_the_field_name():
    with pytest.raises(ConfigError, match="AmplifierConfig.c"):
        AmplifierConfig(c=0)
    with pytest.raises(ConfigError, match="hidden"):
        AmplifierConfig(hidden=())
    with pytest.raises(ConfigError, match="method"):
        NeuralGrokConfig(run=RUN.replace(method=MethodConfig(name="rescale")))


def test_abs_entropy_formula_and_logging():
    t = torch.tensor([[0.5, -0.25, 0.0]], dtype=torch.float64)
    ref = -(0.5 * torch.log(torch.tensor(0.5)) + 0.25 * torch.log(torch.tensor(0.25)))
    assert abs_entropy([t, t]).item() == pytest.approx(2 * ref.item())
    rec = train_stack([RUN.replace(log_entropy=True, method=MethodConfig(name="rescale", c=0.5))])[
        0
    ]
    assert rec.history["entropy_step"] == [0, 4, 8]
    assert len(rec.history["age_raw"]) == len(rec.history["age_update"]) == 3
    assert rec.history["age_raw"] != rec.history["age_update"]
    ng = train_neuralgrok([NG.replace(run=RUN.replace(log_entropy=True))])[0]
    assert ng.history["entropy_step"] == [0, 4, 8] and len(ng.history["awe"]) == 3


def test_meta_norms_are_logged_at_the_first_meta_step_after_each_evaluation():
    rec = train_neuralgrok([NG])[0]  # evaluations at 0, 4, 8, 12; meta steps every 2 steps
    assert rec.history["meta_step"] == [0, 4, 8]
    assert all(g > 0 for g in rec.history["meta_grad"]) and all(
        v > 0 for v in rec.history["meta_l2"]
    )
    frozen = train_neuralgrok(
        [NG.replace(amp=AmplifierConfig(hidden=(4, 4), frac_outer=0.2, meta=False))]
    )[0]
    assert frozen.history["meta_step"] == [] and frozen.history["meta_grad"] == []


def test_run_plan_trains_transfer_runs_after_their_sources(tmp_path, monkeypatch):
    from chapters.neuralgrok.configs import run_plan

    monkeypatch.setenv("GROKCORE_CACHE", str(tmp_path))
    frozen = AmplifierConfig(hidden=(4, 4), frac_outer=0.2, meta=False)
    plan = {
        "transfer": [NeuralGrokConfig(run=RUN, amp=frozen, source=NG)],
        "source": [NG],
    }  # transfer listed first
    cells = run_plan(plan, workers=1)
    assert list(cells) == ["transfer", "source"] and cells["source"][0].key == NG.key()
    assert cells["transfer"][0].meta["amplifier"] == cells["source"][0].meta["amplifier"]


def test_the_hook_amplifies_the_code_decoders_tensors():
    """On the code's decoder the optimizer receives the attention in-projection with norm c as
    one tensor (the code's in_proj_weight), not c per query, key and value."""
    from chapters.neuralgrok.configs import base_run, neuralgrok_run
    from grokcore.neuralgrok import NeuralGrok
    from grokcore.hooks import Hook

    class Capture(Hook):
        def at_update(self, ctx):
            self.grads = {n: g.clone() for n, g in ctx.grads.items()}

    run = base_run("x+y", p=7, d_model=16, num_steps=1, eval_every=1, clip_norm=None)
    cfg = neuralgrok_run(run.replace(dtype="float64"), AmplifierConfig(hidden=(4, 4), c=0.2))
    ng, seen = NeuralGrok([cfg]), Capture()
    train_stack([cfg.run], hooks=[ng, seen], transform=ng.transform())
    assert len(ng.groups) == 29 and ["1_W_Q", "1_W_K", "1_W_V"] in ng.groups
    qkv = torch.cat([seen.grads[n].flatten() for n in ("0_W_Q", "0_W_K", "0_W_V")])
    assert qkv.norm().item() == pytest.approx(0.2)
    assert seen.grads["0_W_Q"].norm().item() < 0.2 - 1e-3


def test_a_killed_run_continues_bit_for_bit_with_its_amplifier(monkeypatch):
    """The hook's state (amplifier, meta Adam, when to log the meta norms) is checkpointed."""
    import grokcore.neuralgrok as module
    from grokcore.testing import killed_and_resumed

    cfgs = [NG.replace(seed=s) for s in (0, 1)]
    whole, again = killed_and_resumed(lambda: train_neuralgrok(cfgs), 8, monkeypatch, module)
    for a, b in zip(whole, again, strict=True):
        assert a.history == b.history and a.summary == b.summary
        assert a.meta["amplifier"] == b.meta["amplifier"]
        assert {"outer_loss", "update_cos", "meta_grad"} <= set(b.history)
