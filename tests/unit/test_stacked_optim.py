import dataclasses

import pytest
import torch

from grokcore.config import MethodConfig, ModularTask, OptimConfig, RunConfig, TransformerConfig
from grokcore.stacked_optim import StackedAdamW
from grokcore.train import make_optimizer, train_stack

TF = RunConfig(
    task=ModularTask(p=7, frac_train=0.6),
    model=TransformerConfig(d_model=16, n_heads=2, d_mlp=32, n_layers=2),
    optim=OptimConfig(name="adamw", lr=3e-3, loss_l2=0.0, batch_size=8, warmup_steps=5),
    num_steps=30,
    eval_every=5,
    dtype="float64",
)
MEMBERS = [
    ((0.9, 0.98), 1.0, 0),
    ((0.0, 0.98), 1.0, 1),
    ((0.5, 0.9), 0.25, 2),
    ((0.95, 0.98), 5.0, 0),
]


def stack_of(base):
    return [
        base.replace(seed=s, optim=dataclasses.replace(base.optim, betas=b, weight_decay=wd))
        for b, wd, s in MEMBERS
    ]


def test_update_equals_torch_adamw_per_member():
    torch.manual_seed(0)
    p0 = torch.randn(4, 3, 5, dtype=torch.float64)
    ours = p0.clone().requires_grad_()
    opt = StackedAdamW(
        [ours], lr=1e-2, betas=[b for b, _, _ in MEMBERS], weight_decay=[wd for _, wd, _ in MEMBERS]
    )
    refs = [p0[i].clone().requires_grad_() for i in range(4)]
    ref_opts = [
        torch.optim.AdamW([r], lr=1e-2, betas=b, weight_decay=wd)
        for r, (b, wd, _) in zip(refs, MEMBERS)
    ]
    for _ in range(25):
        g = torch.randn(4, 3, 5, dtype=torch.float64)
        ours.grad = g.clone()
        opt.step()
        for i, (r, o) in enumerate(zip(refs, ref_opts)):
            r.grad = g[i].clone()
            o.step()
    for i, r in enumerate(refs):
        assert torch.allclose(ours[i], r, rtol=1e-12, atol=1e-14)
        assert torch.allclose(
            opt.state[ours]["exp_avg"][i], ref_opts[i].state[r]["exp_avg"], rtol=1e-12, atol=1e-14
        )


@pytest.mark.parametrize(
    "method", [MethodConfig(), MethodConfig(name="grokfast_ema")], ids=["plain", "grokfast-ema"]
)
def test_stacked_member_equals_single_torch_adamw_run(method):
    cfgs = stack_of(TF.replace(method=method))
    stacked = train_stack(cfgs)
    assert stacked[0].meta["stack_size"] == len(cfgs)
    for c, rec in zip(cfgs, stacked):
        single = train_stack([c])[0]  # one member: plain torch.optim.AdamW
        assert rec.key == single.key
        for k in rec.history:
            assert rec.history[k] == pytest.approx(single.history[k], rel=1e-9, abs=1e-12), k


def test_make_optimizer_picks_stacked_adamw_only_for_differing_members():
    params = [torch.zeros(2, 3, requires_grad=True)]
    same = stack_of(TF)[:1] * 2
    assert type(make_optimizer(TF.optim, params, [c.optim for c in same])[0]) is torch.optim.AdamW
    assert (
        type(make_optimizer(TF.optim, params, [c.optim for c in stack_of(TF)[:2]])[0])
        is StackedAdamW
    )


def test_stack_key_ignores_adamw_betas_and_weight_decay_only():
    cfgs = stack_of(TF)
    assert len({c.stack_key for c in cfgs}) == 1
    assert len({c.key() for c in cfgs}) == len(cfgs)  # records stay distinct
    assert TF.replace(num_steps=31).stack_key != TF.stack_key
    adam = TF.replace(optim=OptimConfig(name="adam", weight_decay=1.0))
    assert (
        adam.stack_key != adam.replace(optim=OptimConfig(name="adam", weight_decay=2.0)).stack_key
    )


def test_bad_hyperparameters_fail_clearly():
    p = [torch.zeros(2, 3, requires_grad=True)]
    with pytest.raises(ValueError, match="betas"):
        StackedAdamW(p, lr=1e-3, betas=[(0.9, 0.98)], weight_decay=[1.0, 1.0])
    with pytest.raises(ValueError, match="member dim"):
        StackedAdamW(p, lr=1e-3, betas=[(0.9, 0.98)] * 3, weight_decay=[1.0] * 3)
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        StackedAdamW(p, lr=1e-3, betas=[(1.0, 0.98)] * 2, weight_decay=[1.0] * 2)
