import pytest
import torch

from grokcore.config import (
    MethodConfig,
    MLPConfig,
    ModularTask,
    OptimConfig,
    ParityTask,
    RunConfig,
    TransformerConfig,
)
from grokcore.train import Batches, first_step, steps_per_epoch, train_stack

MLP_CFG = RunConfig(
    task=ModularTask(p=11, frac_train=0.5),
    model=MLPConfig(width=32),
    optim=OptimConfig(lr=0.5, batch_size=16),
    num_steps=40,
    eval_every=10,
)
TF_CFG = RunConfig(
    task=ModularTask(p=7, frac_train=0.6),
    model=TransformerConfig(
        d_model=16, n_heads=2, d_mlp=32, n_layers=2, layer_norm=True, act="gelu"
    ),
    optim=OptimConfig(
        name="adamw", lr=1e-3, weight_decay=1.0, loss_l2=0.0, batch_size=None, warmup_steps=5
    ),
    num_steps=20,
    eval_every=5,
)


def hist(rec):
    return {k: v for k, v in rec.history.items()}


def test_same_config_and_seed_give_identical_histories():
    a, b = train_stack([MLP_CFG]), train_stack([MLP_CFG])
    assert hist(a[0]) == hist(b[0])
    c = train_stack([MLP_CFG.replace(seed=1)])
    assert hist(a[0]) != hist(c[0])


@pytest.mark.parametrize(
    "cfg",
    [
        MLP_CFG.replace(dtype="float64"),
        MLP_CFG.replace(
            dtype="float64", method=MethodConfig(name="egd", egd_solver="rsvd", rank=4)
        ),
        MLP_CFG.replace(
            dtype="float64",
            method=MethodConfig(name="grokfast_ma", window_size=3),
            optim=OptimConfig(name="adam", lr=1e-3, weight_decay=1e-3, batch_size=16),
        ),
        TF_CFG.replace(dtype="float64"),
        TF_CFG.replace(dtype="float64", method=MethodConfig(name="rescale", c=0.5)),
        RunConfig(
            task=ParityTask(n=10, k=2, n_train=64, n_test=64),
            model=MLPConfig(width=8, b1_init="he"),
            optim=OptimConfig(lr=0.05, batch_size=8, momentum=0.9),
            loss="hinge",
            num_steps=30,
            eval_every=10,
            dtype="float64",
        ),
    ],
    ids=[
        "mlp-sgd",
        "mlp-egd-rsvd",
        "mlp-adam-ma",
        "transformer-adamw",
        "transformer-rescale",
        "parity-hinge",
    ],
)
def test_stacked_member_equals_single_run(cfg):
    seeds = [0, 3, 5]
    stacked = train_stack([cfg.replace(seed=s) for s in seeds])
    for s, rec in zip(seeds, stacked):
        single = train_stack([cfg.replace(seed=s)])[0]
        for k in rec.history:
            assert rec.history[k] == pytest.approx(single.history[k], rel=1e-9, abs=1e-12), k


def test_tiny_modular_task_fits_train_set():
    cfg = RunConfig(
        task=ModularTask(p=11, frac_train=0.5),
        model=MLPConfig(width=64),
        optim=OptimConfig(lr=0.5, batch_size=None),
        num_steps=300,
        eval_every=50,
    )
    rec = train_stack([cfg])[0]
    assert rec.final["train_acc"] == 1.0
    assert rec.summary["step_to_train_acc_99"] is not None


def test_tiny_transformer_fits_train_set():
    cfg = TF_CFG.replace(
        num_steps=300,
        eval_every=100,
        optim=OptimConfig(name="adamw", lr=3e-3, weight_decay=0.0, loss_l2=0.0, batch_size=None),
    )
    assert train_stack([cfg])[0].final["train_acc"] == 1.0


def test_stop_rule_truncates_each_member_at_its_own_step():
    cfg = RunConfig(
        task=ParityTask(n=10, k=2, n_train=400, n_test=200),
        model=MLPConfig(width=32, b1_init="he"),
        optim=OptimConfig(lr=0.05, batch_size=32),
        loss="hinge",
        num_steps=2000,
        eval_every=10,
        stop_at_test_acc=0.9,
        dtype="float64",
    )
    recs = train_stack([cfg.replace(seed=s) for s in (0, 1)])
    for r in recs:
        step = r.summary["step_to_test_acc_90"]
        assert step is not None and r.history["step"][-1] == step
        single = train_stack([r.cfg])[0].history
        assert single["step"] == r.history["step"]
        assert single["test_loss"] == pytest.approx(r.history["test_loss"], rel=1e-9)


def test_switch_off_falls_back_to_plain_gradients():
    base = MLP_CFG.replace(dtype="float64", num_steps=20, eval_every=5)
    never = train_stack([base])[0]  # plain SGD
    always_off = train_stack([base.replace(method=MethodConfig(name="egd", switch_off_at=1e-9))])[0]
    assert always_off.meta["switched_off"]
    # test acc > 1e-9 at step 0 switches EGD off before the first update, so it is plain SGD
    assert always_off.history == never.history


def test_censoring_is_none_not_the_budget():
    assert first_step([0, 10, 20], [0.1, 0.2, 0.3], 0.95) is None
    assert first_step([0, 10, 20], [0.1, 0.96, 0.3], 0.95) == 10


def test_batches_drop_remainder_and_reshuffle():
    idx = torch.arange(10).view(1, 10)
    b = Batches(idx, 4, seeds=[0])
    first_epoch = [b.next() for _ in range(2)]  # 10 // 4 = 2 batches; 2 examples dropped
    assert all(x.shape == (1, 4) for x in first_epoch)
    assert len(set(torch.cat(first_epoch, 1).flatten().tolist())) == 8
    assert not torch.equal(b.next(), first_epoch[0])  # a new epoch, a new order
    assert torch.equal(Batches(idx, None, [0]).next(), idx)


def test_record_has_provenance():
    rec = train_stack([MLP_CFG])[0]
    for k in ("wall_s", "steps_per_s", "torch", "device", "stack_size"):
        assert k in rec.meta
    assert (
        rec.meta["steps_per_s"] > 0
        and rec.history["step"][0] == 0
        and rec.history["step"][-1] == 40
    )
    assert set(rec.history) == {
        "step",
        "train_loss",
        "test_loss",
        "train_acc",
        "test_acc",
        "weight_norm",
    }


def test_mismatched_stack_is_rejected():
    with pytest.raises(ValueError, match="differ only in seed"):
        train_stack([MLP_CFG, MLP_CFG.replace(num_steps=41)])


def test_steps_per_epoch():
    cfg = RunConfig(task=ModularTask(p=97, frac_train=0.5))  # 4704 train pairs, batch 512
    assert steps_per_epoch(cfg) == 4704 // 512
    assert steps_per_epoch(cfg.replace(optim=OptimConfig(batch_size=None))) == 1


def test_gradient_spectrum_is_logged_and_egd_equalizes_it():
    base = RunConfig(
        task=ModularTask(p=11, frac_train=0.5),
        model=MLPConfig(width=32),
        optim=OptimConfig(lr=0.5, batch_size=16),
        num_steps=30,
        eval_every=10,
        spectrum_of=("W1",),
        dtype="float64",
    )
    sgd = train_stack([base])[0].history
    egd = train_stack([base.replace(method=MethodConfig(name="egd"))])[0].history
    assert sgd["spectrum_step"] == [0, 10, 20]  # the update after each evaluation but the last
    assert (
        all(c > 1.5 for c in sgd["grad_cond_W1"]) and sgd["grad_cond_W1"] == sgd["update_cond_W1"]
    )
    assert egd["update_cond_W1"] == pytest.approx([1.0] * 3, abs=1e-9)
    assert egd["update_rank_W1"] == egd["grad_rank_W1"]
    with pytest.raises(ValueError, match="spectrum_of.*allowed"):
        train_stack([base.replace(spectrum_of=("b1",))])


@pytest.mark.parametrize(
    "cfg",
    [
        MLP_CFG.replace(optim=OptimConfig(lr=0.5, batch_size=8, momentum=0.9), num_steps=30),
        TF_CFG.replace(
            optim=OptimConfig(
                name="adamw",
                lr=1e-3,
                weight_decay=1.0,
                loss_l2=0.0,
                batch_size=8,
                warmup_steps=5,
                betas=(0.9, 0.98),
            )
        ),
    ],
    ids=["mlp-sgd-momentum", "transformer-adamw-warmup"],
)
def test_resuming_an_unchanged_snapshot_reproduces_the_run(cfg):
    cfgs = [cfg.replace(seed=s) for s in (0, 2)]
    snaps = {10: None, -1: None}
    full = train_stack(cfgs, snapshots=snaps)
    assert snaps[10].step == 10 and snaps[-1].step == cfg.num_steps
    resumed = train_stack(cfgs, resume=snaps[10])  # mid-epoch, mid-warmup, with optimizer moments
    for a, b in zip(full, resumed):
        i = a.history["step"].index(10)
        assert b.history["step"][0] == 10
        for k in ("train_loss", "test_loss", "train_acc", "weight_norm"):
            assert b.history[k] == a.history[k][i:], k
    assert resumed[0].meta["steps"] == cfg.num_steps - 10
    again = train_stack(cfgs, resume=snaps[10])  # the snapshot itself is not consumed
    assert again[0].history == resumed[0].history
    final = train_stack(cfgs, resume=snaps[-1])
    assert final[0].history["step"] == [cfg.num_steps]


def test_snapshots_need_a_plain_gradient():
    with pytest.raises(ValueError, match="MethodConfig.name"):
        train_stack([MLP_CFG.replace(method=MethodConfig(name="egd"))], snapshots={10: None})


def test_eval_test_draws_a_fixed_random_subset_per_seed():
    from grokcore.config import ConfigError
    from grokcore.train import Stack

    cfg = TF_CFG.replace(eval_test=5)
    a, b = Stack(cfg, [0, 1], "cpu"), Stack(cfg, [0], "cpu")
    assert a.eval_test_idx.shape == (2, 5)
    assert torch.equal(
        a.eval_test_idx[0], b.eval_test_idx[0]
    )  # a member's subset does not depend on its stack
    assert set(a.eval_test_idx[0].tolist()) <= set(a.test_idx[0].tolist())
    assert (
        Stack(TF_CFG.replace(eval_test=10_000), [0], "cpu").eval_test_idx.shape
        == Stack(TF_CFG, [0], "cpu").test_idx.shape
    )
    assert TF_CFG.replace(eval_test=None).key() == TF_CFG.key()  # the default leaves old keys alone
    rec = train_stack([cfg])[0]
    assert all(v * 5 == round(v * 5) for v in rec.history["test_acc"])  # accuracy over 5 examples
    with pytest.raises(ConfigError, match="eval_test"):
        TF_CFG.replace(eval_test=0)


def test_a_diverged_run_stops_and_is_recorded_as_diverged():
    import math

    from grokcore import outcomes

    cfg = MLP_CFG.replace(optim=OptimConfig(lr=1e12, batch_size=16), num_steps=200, eval_every=10)
    recs = train_stack([cfg.replace(seed=s) for s in range(2)])
    for r in recs:
        s, h = r.summary, r.history
        assert s["diverged_at"] is not None and s["diverged_at"] < 200
        assert all(math.isfinite(v) for v in h["train_loss"])  # ends at the last finite evaluation
        assert h["step"][-1] < s["diverged_at"]
        (obs,) = outcomes.times([r])
        assert obs.diverged and obs.censored and obs.value == 200  # censored at the full budget
    assert recs[0].meta["steps"] < 200  # the loop stops once every member has
    fine = train_stack([MLP_CFG])[0]
    assert fine.summary["diverged_at"] is None
