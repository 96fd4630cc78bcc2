import math

import pytest
import torch

from grokcore.amplifier import (
    Amplifier,
    amplify,
    clip_per_member,
    code_tensors,
    meta_loss,
    meta_step,
)
from grokcore.config import ModularTask, OptimConfig, RunConfig, TransformerConfig
from grokcore.train import Stack, build_model, member_loss


def test_softmax_is_over_all_entries_of_each_tensor():
    """The known trap: a softmax over the size-1 axis of the [N, 1] view gives p = 1 (inert)."""
    g = {
        "a": torch.tensor([[[1.0, -2.0], [0.5, 3.0]]], dtype=torch.float64),  # [M=1, 2, 2]
        "b": torch.tensor([[0.1, 0.2, -0.3]], dtype=torch.float64),
    }  # [M=1, 3]
    c = 0.7
    out = amplify(lambda x: x, g, c)  # score of an entry = the entry itself
    for n, t in g.items():
        flat = t.flatten()
        p = torch.exp(flat) / torch.exp(flat).sum()  # softmax over the tensor's own entries
        ref = c * p * flat / (p * flat).norm()
        assert torch.allclose(out[n].flatten(), ref, atol=1e-12), n
        assert not torch.allclose(out[n], c * t / t.norm()), "amplifier is inert"


def test_constant_scores_reduce_to_gradient_rescaling():
    g = {"w": torch.randn(2, 5, 3, dtype=torch.float64)}
    out = amplify(lambda x: torch.zeros_like(x), g, 0.5)
    ref = 0.5 * g["w"] / g["w"].flatten(1).norm(dim=1).view(2, 1, 1)
    assert torch.allclose(out["w"], ref, atol=1e-12)


def test_each_tensor_and_member_has_norm_c():
    amp = Amplifier((8, 8), seeds=[0, 1], dtype=torch.float64)
    g = {
        "w": torch.randn(2, 6, 4, dtype=torch.float64),
        "b": torch.randn(2, 7, dtype=torch.float64),
    }
    out = amplify(amp, g, 1.3)
    for n in g:
        assert torch.allclose(
            out[n].flatten(1).norm(dim=1), torch.full((2,), 1.3, dtype=torch.float64)
        )
        assert out[n].shape == g[n].shape


def test_amplifier_matches_torch_mlp_and_members_are_independent():
    amp = Amplifier((5, 3), seeds=[2, 9], dtype=torch.float64)
    x = torch.randn(2, 11, dtype=torch.float64)
    for i in range(2):
        mlp = torch.nn.Sequential(
            torch.nn.Linear(1, 5),
            torch.nn.ReLU(),
            torch.nn.Linear(5, 3),
            torch.nn.ReLU(),
            torch.nn.Linear(3, 1),
        ).double()
        with torch.no_grad():
            for j, k in enumerate((0, 2, 4)):
                mlp[k].weight.copy_(getattr(amp, f"W{j}")[i].T)
                mlp[k].bias.copy_(getattr(amp, f"b{j}")[i])
        assert torch.allclose(amp(x)[i], mlp(x[i][:, None]).squeeze(-1), atol=1e-12)
    single = Amplifier((5, 3), seeds=[9], dtype=torch.float64)
    assert torch.equal(single.W1[0], amp.W1[1])  # member i is drawn from seed i alone


def test_init_is_pytorch_linear_default_range():
    amp = Amplifier((64, 64), seeds=[0])
    assert amp.W0.abs().max() <= 1.0 and amp.W1.abs().max() <= 1 / 8 + 1e-7


def test_clip_matches_torch_clip_grad_norm():
    g = {
        "a": torch.randn(2, 3, 4, dtype=torch.float64) * 3,
        "b": torch.randn(2, 5, dtype=torch.float64),
    }
    out = clip_per_member(g, 1.0)
    for i in range(2):
        ps = [torch.nn.Parameter(g[n][i].clone()) for n in g]
        for p, n in zip(ps, g):
            p.grad = g[n][i].clone()
        torch.nn.utils.clip_grad_norm_(ps, 1.0)
        for p, n in zip(ps, g):
            assert torch.allclose(out[n][i], p.grad, atol=1e-12)


def _tiny():
    cfg = RunConfig(
        task=ModularTask(p=5, frac_train=0.6, min_y=1, token_format="neuralgrok"),
        model=TransformerConfig(
            n_layers=2, d_model=8, n_heads=2, d_mlp=16, layer_norm=True, act="gelu"
        ),
        optim=OptimConfig(name="adam", lr=1e-3, loss_l2=0.0),
        dtype="float64",
    )
    data = Stack(cfg, [0], "cpu")
    model = build_model(cfg, data.first, [0])
    params = dict(model.named_parameters())
    x, y = data.batch(data.train_idx)
    member_loss(cfg, model(x), y).sum().backward()
    grads = {n: p.grad.detach().clone() for n, p in params.items()}
    xo, yo = data.batch(data.test_idx)
    return cfg, model, params, grads, lambda f: member_loss(cfg, f(xo), yo)


def test_meta_gradient_matches_finite_differences():
    cfg, model, params, grads, outer = _tiny()
    amp = Amplifier((4, 4), seeds=[1], dtype=torch.float64)
    lr = 0.5  # a large virtual step so the outer loss moves measurably
    loss = meta_loss(model, amp, params, grads, 1.0, lr, outer)
    loss.sum().backward()
    for name, idx in (("W1", (0, 1, 2)), ("b0", (0, 3)), ("W2", (0, 0, 0))):
        p = getattr(amp, name)
        analytic = p.grad[idx].item()
        h = 1e-6
        with torch.no_grad():
            p[idx] += h
            up = meta_loss(model, amp, params, grads, 1.0, lr, outer).sum().item()
            p[idx] -= 2 * h
            down = meta_loss(model, amp, params, grads, 1.0, lr, outer).sum().item()
            p[idx] += h
        fd = (up - down) / (2 * h)
        assert analytic == pytest.approx(fd, rel=1e-4, abs=1e-10), name
    assert any(getattr(amp, n).grad.abs().sum() > 0 for n in ("W0", "W1", "W2"))


def test_meta_loss_equals_loss_at_hand_made_virtual_parameters():
    """The virtual step through functional_call equals editing a copy by hand; the model is
    untouched."""
    cfg, model, params, grads, outer = _tiny()
    before = {n: p.detach().clone() for n, p in params.items()}
    amp = Amplifier((4,), seeds=[0], dtype=torch.float64)
    got = meta_loss(model, amp, params, grads, 0.2, 0.1, outer).item()
    new = amplify(amp, grads, 0.2)
    with torch.no_grad():
        for n, p in params.items():
            p.sub_(0.1 * new[n])
        ref = outer(model).item()
        for n, p in params.items():
            p.copy_(before[n])
    assert got == pytest.approx(ref, rel=1e-12)
    for n, p in params.items():
        assert torch.equal(p.detach(), before[n])


def test_meta_step_lowers_outer_loss_and_leaves_model_alone():
    cfg, model, params, grads, outer = _tiny()
    before = {n: p.detach().clone() for n, p in params.items()}
    amp = Amplifier((8, 8), seeds=[0], dtype=torch.float64)
    opt = torch.optim.Adam(amp.parameters(), lr=1e-2)
    first = meta_step(model, amp, opt, params, grads, 1.0, 1.0, outer)[0]
    for _ in range(30):
        last = meta_step(model, amp, opt, params, grads, 1.0, 1.0, outer)[0]
    assert last < first and math.isfinite(last)
    for n, p in params.items():
        assert torch.equal(p.detach(), before[n])


def test_meta_step_records_the_meta_gradient_and_the_coupled_l2_term():
    cfg, model, params, grads, outer = _tiny()
    amp = Amplifier((4, 4), seeds=[0], dtype=torch.float64)
    twin = Amplifier((4, 4), seeds=[0], dtype=torch.float64)
    wd = 1e-3
    opt = torch.optim.Adam(amp.parameters(), lr=1e-2, weight_decay=wd)
    opt2 = torch.optim.Adam(twin.parameters(), lr=1e-2, weight_decay=wd)
    ref = meta_loss(model, twin, params, grads, 1.0, 0.5, outer)
    ref.sum().backward()
    g_ref = math.sqrt(sum(p.grad.pow(2).sum().item() for p in twin.parameters()))
    l2_ref = wd * math.sqrt(sum(p.detach().pow(2).sum().item() for p in twin.parameters()))
    norms = []
    loss = meta_step(model, amp, opt, params, grads, 1.0, 0.5, outer, norms=norms)
    assert norms[0][0] == [pytest.approx(g_ref, rel=1e-10)] and norms[0][1] == [
        pytest.approx(l2_ref, rel=1e-10)
    ]
    opt2.step()  # recording changes nothing: the same step as without it
    assert loss == [pytest.approx(ref.item(), rel=1e-12)]
    for a, b in zip(amp.parameters(), twin.parameters()):
        assert torch.equal(a.detach(), b.detach())


def _decoder_grads(seed=0):
    """Random gradients shaped as the 2-layer code decoder's parameters (p = 7, width 16)."""
    from chapters.neuralgrok.configs import base_run

    run = base_run("x+y", p=7, d_model=16, num_steps=1, eval_every=1)
    model = build_model(run, Stack(run, [0], "cpu").first, [0])
    gen = torch.Generator().manual_seed(seed)
    return {
        n: torch.randn(p.shape, generator=gen, dtype=torch.float64)
        for n, p in model.named_parameters()
    }


def test_code_tensors_join_the_attention_in_projection_as_the_code_holds_it():
    groups = code_tensors(list(_decoder_grads()))
    assert len(groups) == 29  # the code's Decoder: 2 x 12 + embeddings, positions, ln_f, head
    assert ["0_W_Q", "0_W_K", "0_W_V"] in groups and ["1_b_Q", "1_b_K", "1_b_V"] in groups
    assert ["W_E"] in groups and sum(map(len, groups)) == 37
    assert code_tensors(["W_in", "W_out"]) == [["W_in"], ["W_out"]]  # nothing to join


def test_a_group_is_amplified_as_one_tensor():
    """Joined Q, K, V equal the amplifier applied to the code's in_proj_weight (their entries
    concatenated): one softmax and one norm c over the three."""
    g = _decoder_grads()
    amp = Amplifier((4, 4), seeds=[3], dtype=torch.float64)
    groups = code_tensors(list(g))
    out = amplify(amp, g, 0.2, groups)
    qkv = ["0_W_Q", "0_W_K", "0_W_V"]
    in_proj = {"in_proj": torch.cat([g[n].flatten(1) for n in qkv], dim=1)}
    ref = amplify(amp, in_proj, 0.2)["in_proj"]
    assert torch.allclose(torch.cat([out[n].flatten(1) for n in qkv], 1), ref, atol=1e-14)
    assert out["0_W_Q"].norm() < 0.2 - 1e-3  # a share of c, not c
    assert torch.allclose(out["W_E"], amplify(amp, {"W_E": g["W_E"]}, 0.2)["W_E"], atol=1e-14)
    total = torch.sqrt(sum(t.pow(2).sum() for t in out.values()))
    assert total.item() == pytest.approx(0.2 * math.sqrt(29))  # > 1: the code's clip binds
    assert list(out) == list(g)
