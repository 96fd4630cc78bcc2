"""The sources' own models (grokcore.presets): parameter counts, init statistics, and forward
passes and training steps equal to slow references written here, module by module, from the
description of each source's code in ../shared/notes/peer-code.md (float64, same weights)."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch
import torch.nn.functional as F

from grokcore.config import ConfigError
from grokcore.data import modular_dataset
from grokcore.fastgrok import rope_angles
from grokcore.optim import make_optimizer
from grokcore.presets import PRESETS, preset
from grokcore.testing import (
    RefDecoder,
    RefFastgrok,
    load_decoder,
    load_fastgrok,
    rope_ref,
    rope_vectorized,
)
from grokcore.train import build_model, steps_per_epoch, stream_seed, train_stack


def small(name: str, **model):
    """A preset with a small p (and model), float64, for reference tests."""
    run = preset(name, dtype="float64")
    task = dataclasses.replace(run.task, p=7)
    return dataclasses.replace(run, task=task, model=dataclasses.replace(run.model, **model))


# ------------------------------------------------------------------------------- tests ----


def test_presets_build_and_name_their_errors():
    assert set(PRESETS) == {
        "grokfast",
        "neuralgrok",
        "nanda",
        "med",
        "med_random",
        "med_square",
        "med_strip",
        "fastgrok",
        "egd_mlp",
    }
    assert preset("nanda", num_steps=7).num_steps == 7
    with pytest.raises(ConfigError, match="preset='grokfas'"):
        preset("grokfas")
    with pytest.raises(ConfigError, match="num_step"):
        preset("nanda", num_step=7)


@pytest.mark.parametrize(
    "name, count",
    [
        # peer-code.md §1, measured by building the upstream model at p = 97
        ("grokfast", 422_784),
        ("neuralgrok", 422_784),
        # fastgrok.py at p = 59, d 64: embed 60*64 + W_q,k,v 3*64^2 + 2 LayerNorms 4*64
        # + MLP 2*64*256 (no bias) + W_out 64*59 + 59 (W_o's 64^2 never used: left out)
        ("fastgrok", 60 * 64 + 3 * 64 * 64 + 4 * 64 + 2 * 64 * 256 + 64 * 59 + 59),
        # Nanda: W_E and W_U over 114 tokens, 3 positions, W_Q,K,V,O, MLP with biases
        ("nanda", 2 * 114 * 128 + 3 * 128 + 4 * 128 * 128 + 2 * 128 * 512 + 512 + 128),
        # MED base.py: 2 layers over 98 tokens, W_U to p = 97 classes
        ("med", 98 * 128 + 3 * 128 + 2 * (4 * 128**2 + 2 * 128 * 512 + 512 + 128) + 128 * 97),
        # EGD mod_add.py: 254 -> 512 -> 127, no output bias
        ("egd_mlp", 254 * 512 + 512 + 512 * 127),
    ],
)
def test_parameter_count(name, count):
    run = preset(name)
    model = build_model(run, run.task.dataset(0), [0])
    assert sum(p[0].numel() for p in model.parameters()) == count


def _std_bound(t: torch.Tensor) -> tuple[float, float]:
    return t.std().item(), t.abs().max().item()


def test_decoder_init_is_pytorch_default():
    run = preset("grokfast")
    model = build_model(run, run.task.dataset(0), [0, 1, 2])
    p = dict(model.named_parameters())
    d = 128
    assert abs(p["W_E"].std().item() - 1.0) < 0.02  # nn.Embedding N(0, 1)
    assert abs(p["W_pos"].std().item() - 1.0) < 0.1
    for name, bound in [
        ("0_W_Q", math.sqrt(6 / (4 * d))),  # xavier over in_proj_weight [3d, d]
        ("1_W_V", math.sqrt(6 / (4 * d))),
        ("0_W_O", 1 / math.sqrt(d)),  # Linear: U(+-1/sqrt(fan_in))
        ("0_W_in", 1 / math.sqrt(d)),
        ("0_b_in", 1 / math.sqrt(d)),
        ("1_W_out", 1 / math.sqrt(4 * d)),
        ("W_U", 1 / math.sqrt(d)),
    ]:
        std, top = _std_bound(p[name])
        assert top <= bound and abs(std - bound / math.sqrt(3)) < 0.03 * bound, name
    for name in ("0_b_Q", "1_b_K", "0_b_O", "ln_f_b", "1_ln2_b"):
        assert p[name].abs().max() == 0, name
    assert (p["0_ln1_w"] == 1).all() and (p["ln_f_w"] == 1).all()
    assert not torch.equal(p["W_E"][0], p["W_E"][1])  # members draw their own tensors
    again = build_model(run, run.task.dataset(0), [1])
    assert torch.equal(again.W_E[0], p["W_E"][1])  # member i is the seed's single run


def test_fastgrok_and_nanda_init():
    run = preset("fastgrok")
    p = dict(build_model(run, run.task.dataset(0), [0, 1, 2, 3]).named_parameters())
    assert abs(p["W_E"].std().item() - 0.02) < 0.001  # nn.init.normal_(std=0.02)
    assert abs(p["W_U"].std().item() - 1 / 8) < 0.005  # N(0, 1/d), d = 64
    std, top = _std_bound(p["b_U"])
    assert top <= 1 / 8 and abs(std - 1 / 8 / math.sqrt(3)) < 0.01
    std, top = _std_bound(p["W_out"])
    assert top <= 1 / 16 and abs(std - 1 / 16 / math.sqrt(3)) < 0.002
    run = preset("nanda")
    p = dict(build_model(run, run.task.dataset(0), [0, 1]).named_parameters())
    assert p["W_U"].shape[-1] == 114  # logits over the vocabulary, '=' included
    assert abs(p["W_U"].std().item() - 1 / math.sqrt(114)) < 0.002  # W_U / sqrt(d_vocab)
    assert abs(p["W_E"].std().item() - 1 / math.sqrt(128)) < 0.002
    run = preset("med")
    p = dict(build_model(run, run.task.dataset(0), [0, 1]).named_parameters())
    assert p["W_U"].shape[-1] == 97  # logits over p
    assert abs(p["W_U"].std().item() - 1 / math.sqrt(128)) < 0.002  # W_U / sqrt(d_model)


@pytest.mark.parametrize("name, layers", [("grokfast", 1), ("grokfast", 2), ("neuralgrok", 3)])
def test_decoder_forward_equals_reference(name, layers):
    run = small(name, n_layers=layers, d_model=16, n_heads=4, d_mlp=64)
    ds = run.task.dataset(0)
    ours = build_model(run, ds, [3])
    tokens = ds.tokens  # [N, T]
    ref = RefDecoder(16, layers, 4, ds.n_vocab, tokens.shape[1] + 1).double()
    load_decoder(ref, ours)
    want = ref(tokens.T)[-1]  # [N, V]: the code's logits[-1]
    got = ours(tokens[None])[0]
    assert got.shape == (len(tokens), ds.n_vocab) == want.shape
    torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-10)
    keep = {}
    ours(tokens[None], keep)
    assert sorted(keep) == list(range(layers)) and keep[layers - 1].shape[2] == 1


def _train_both(run, ours, ref, ref_opt, ref_sched, ref_logits, batches):
    """Step both models on the same batches; compare losses and then every weight."""
    params = dict(ours.named_parameters())
    opt, sched = make_optimizer(run.optim, params.values())
    ds = run.task.dataset(0)
    for idx in batches:
        x, y = ds.tokens[idx], ds.labels[idx]
        loss = F.cross_entropy(ours(x[None])[0], y)
        opt.zero_grad()
        loss.backward()
        if run.optim.clip_norm is not None:
            torch.nn.utils.clip_grad_norm_(list(params.values()), run.optim.clip_norm)
        opt.step()
        if sched is not None:
            sched.step()
        ref_loss = F.cross_entropy(ref_logits(ref, x), y)
        ref_opt.zero_grad()
        ref_loss.backward()
        if run.optim.clip_norm is not None:
            torch.nn.utils.clip_grad_norm_(ref.parameters(), run.optim.clip_norm)
        ref_opt.step()
        if ref_sched is not None:
            ref_sched.step()
        torch.testing.assert_close(loss, ref_loss, rtol=1e-9, atol=1e-12)
    return ds


@pytest.mark.parametrize("name", ["grokfast", "neuralgrok"])
def test_decoder_training_equals_reference(name):
    """The preset's optimizer (Adam, coupled L2, warmup, the code's clipping) on the preset's
    model, step for step against torch.optim.Adam on the reference, batches as torch.split of
    a shuffle (a last, smaller batch kept)."""
    run = small(name, n_layers=2, d_model=16, n_heads=4, d_mlp=64)
    run = dataclasses.replace(run, optim=dataclasses.replace(run.optim, lr=1e-2, weight_decay=0.1))
    ds = run.task.dataset(0)
    ours = build_model(run, ds, [5])
    ref = RefDecoder(16, 2, 4, ds.n_vocab, ds.tokens.shape[1] + 1).double()
    load_decoder(ref, ours)
    o = run.optim
    ref_opt = torch.optim.Adam(ref.parameters(), lr=o.lr, betas=o.betas, weight_decay=0.1)
    ref_sched = torch.optim.lr_scheduler.LambdaLR(
        ref_opt, lambda update: 1 if update > 10 else update / 10
    )
    shuffled = ds.train_idx[torch.randperm(len(ds.train_idx), generator=torch.Generator())]
    batches = list(torch.split(shuffled, 8)) * 2  # 21 train examples: 8, 8, 5, 8, 8, 5
    assert len(batches[2]) == 5
    _train_both(run, ours, ref, ref_opt, ref_sched, lambda m, x: m(x.T)[-1], batches)
    load = RefDecoder(16, 2, 4, ds.n_vocab, ds.tokens.shape[1] + 1).double()
    load_decoder(load, ours)
    for (n, a), b in zip(load.named_parameters(), ref.parameters()):
        if n.endswith("in_proj_bias"):  # the key bias's gradient is 0 in exact arithmetic (a
            # softmax ignores a shift shared by a query's scores); Adam turns its rounding noise
            # into lr-sized steps in either model, with no effect on the function
            a, b = torch.cat([a[:16], a[32:]]), torch.cat([b[:16], b[32:]])
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-12, msg=n)
    tokens = ds.tokens
    torch.testing.assert_close(ours(tokens[None])[0], ref(tokens.T)[-1], rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize(
    "model",
    [
        {},  # the preset: RoPE, LayerNorm, no MLP bias, ReLU
        {"rope": False, "layer_norm": False, "mlp_bias": True},  # the "No LayerNorm" condition
        {"n_heads": 2, "act": "quadratic"},
    ],
)
def test_fastgrok_forward_and_training_equal_reference(model):
    run = small("fastgrok", d_model=16, **model)
    cfg = run.model
    ds = run.task.dataset(0)
    ours = build_model(run, ds, [2])
    ref = RefFastgrok(7, 16, cfg.n_heads, cfg.layer_norm, cfg.mlp_bias, cfg.rope, cfg.act)
    ref = ref.double()
    load_fastgrok(ref, ours)
    torch.testing.assert_close(ours(ds.tokens[None])[0], ref(ds.tokens), rtol=1e-10, atol=1e-10)
    o = run.optim  # AdamW, amsgrad, eps 1e-5, betas (0.9, 0.995): fastgrok.py
    ref_opt = torch.optim.AdamW(
        ref.parameters(), lr=o.lr, betas=o.betas, eps=o.eps, weight_decay=o.weight_decay,
        amsgrad=True,
    )  # fmt: skip
    g = torch.Generator().manual_seed(0)
    n = len(ds.train_idx)
    batches = [ds.train_idx[torch.randperm(n, generator=g)[:8]] for _ in range(6)]
    _train_both(run, ours, ref, ref_opt, None, lambda m, x: m(x), batches)
    torch.testing.assert_close(ours(ds.tokens[None])[0], ref(ds.tokens), rtol=1e-9, atol=1e-10)


def test_rope_angles_match_the_reference_rotation():
    x = torch.randn(1, 1, 3, 8, dtype=torch.float64)
    ang = rope_angles(3, 8)
    from grokcore.fastgrok import rotate

    got = rotate(x.transpose(1, 2), ang.cos()[:, None], ang.sin()[:, None]).transpose(1, 2)
    torch.testing.assert_close(got, rope_ref(x))
    torch.testing.assert_close(rope_vectorized(x), rope_ref(x))  # the reference model's


def nanda_reference(ours, tokens: torch.Tensor) -> torch.Tensor:
    """Nanda et al.'s einsum transformer (all positions, logits at the last), weights from
    member 0 of a grokcore Transformer (ours stores W as [in, out])."""
    g = {n: p[0].detach() for n, p in ours.named_parameters()}
    x = g["W_E"][tokens] + g["W_pos"][: tokens.shape[1]]  # [B, T, d]
    heads = ours.cfg.n_heads
    for i in range(ours.cfg.n_layers):
        b, t, d = x.shape
        dh = d // heads
        q, k, v = (
            (x @ g[f"{i}_W_{n}"]).view(b, t, heads, dh).transpose(1, 2) for n in "QKV"
        )  # [B, H, T, dh]
        scores = q @ k.transpose(-1, -2) / math.sqrt(dh)
        scores = scores.masked_fill(torch.tril(torch.ones(t, t)) == 0, -1e10)
        z = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d)
        x = x + z @ g[f"{i}_W_O"]
        x = x + F.relu(x @ g[f"{i}_W_in"] + g[f"{i}_b_in"]) @ g[f"{i}_W_out"] + g[f"{i}_b_out"]
    return x[:, -1] @ g["W_U"]


@pytest.mark.parametrize("name", ["nanda", "med", "med_strip"])
def test_nanda_and_med_forward_equal_reference(name):
    run = preset(name, dtype="float64")
    task = dataclasses.replace(run.task, p=11, hole=3 if run.task.layout != "random" else 0)
    shift = 5 if run.task.shift else 0
    run = dataclasses.replace(run, task=dataclasses.replace(task, shift=shift))
    ds = modular_dataset(run.task, 0)
    ours = build_model(run, ds, [4])
    want = nanda_reference(ours, ds.tokens)
    torch.testing.assert_close(ours(ds.tokens[None])[0], want, rtol=1e-10, atol=1e-10)
    n_out = ds.n_vocab if name == "nanda" else 11
    assert want.shape == (len(ds.tokens), n_out)


def test_grokfast_tokens_and_split():
    run = preset("grokfast")
    ds = run.task.dataset(0)
    assert ds.tokens[0].tolist() == [0, 98, 1, 97]  # x op y =, op = p + 1, '=' = p
    assert ds.n_vocab == 99 and len(ds.tokens) == 97 * 96
    assert len(ds.train_idx) == 4656  # torch.randperm(N).split(N // 2)
    ng = preset("neuralgrok").task.dataset(0)
    assert ng.tokens[0].tolist() == [0, 1, 98, 97]  # a b op =
    assert (ng.labels[:3] == torch.tensor([1, 2, 3])).all()


def test_module_examples_run():
    import doctest

    import grokcore.presets

    assert doctest.testmod(grokcore.presets, raise_on_error=False).failed == 0


def test_baselines_are_the_presets_stopped_at_the_sources_threshold():
    from grokcore.baselines import BASELINES

    ema = BASELINES["grokfast_ema"].run(seed=3)
    assert ema.seed == 3 and ema.stop_at_test_acc == 0.95
    assert ema.method.name == "grokfast_ema" and ema.optim.weight_decay == 0.005
    assert ema.optim.name == "adam" and ema.model == preset("grokfast").model
    claim = BASELINES["neuralgrok"].claim
    assert claim.band == (825, 3300) and claim.estimator == "median"
    fast = BASELINES["fastgrok"]
    assert fast.key == "step_to_test_acc_99" and fast.unit == "epochs"
    for b in BASELINES.values():  # room to see the source's time twice over
        per = steps_per_epoch(b.run()) if b.unit == "epochs" else 1
        assert b.budget >= 2 * b.reported * per, b.id


def _final_state(run):
    snaps = {-1: None}
    train_stack([run], snapshots=snaps)
    return {n: t[0] for n, t in snaps[-1].model.items()}


def test_grokfast_training_loop_equals_the_codes_loop():
    """The whole path of preset("grokfast") through train_stack (per-epoch shuffles, torch.split
    batches with the last one kept, Adam with coupled L2, warmup) against the code's loop on the
    reference decoder, float64, 3 epochs."""
    run = small("grokfast", n_layers=1, d_model=8, n_heads=2, d_mlp=32)
    run = dataclasses.replace(
        run,
        optim=dataclasses.replace(run.optim, batch_size=8, weight_decay=0.01, lr=1e-2),
        num_steps=9,
        eval_every=9,
    )
    ds = run.task.dataset(run.seed)
    ref = RefDecoder(8, 1, 2, ds.n_vocab, ds.tokens.shape[1] + 1).double()
    load_decoder(ref, build_model(run, ds, [run.seed]))  # train_stack's init
    opt = torch.optim.Adam(ref.parameters(), lr=1e-2, betas=(0.9, 0.98), weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda u: 1 if u > 10 else u / 10)
    g = torch.Generator().manual_seed(stream_seed(run.seed, 1))  # grokcore's batch stream
    assert len(ds.train_idx) == 21  # 3 batches per epoch: 8, 8, 5
    for _ in range(3):
        order = ds.train_idx[torch.randperm(len(ds.train_idx), generator=g)]
        for idx in torch.split(order, 8):
            loss = F.cross_entropy(ref(ds.tokens[idx].T)[-1], ds.labels[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    ours = _final_state(run)
    torch.testing.assert_close(ours["W_E"], ref.token_embeddings.weight.detach())
    torch.testing.assert_close(ours["0_W_in"], ref.layers[0].mlp[0].weight.detach().T)
    torch.testing.assert_close(ours["W_U"], ref.head.weight.detach().T)


def test_egd_mlp_training_loop_equals_a_plain_sgd_loop():
    """preset("egd_mlp") through train_stack against plain SGD on f(x) = ReLU(x W1 + b1) W2 with
    the code's L2 term in the loss (0.5 * 1e-4 * (|W1|^2 + |W2|^2)), batches of n // bs."""
    run = preset("egd_mlp", dtype="float64", num_steps=6, eval_every=6)
    run = dataclasses.replace(
        run,
        task=dataclasses.replace(run.task, p=7),
        optim=dataclasses.replace(run.optim, batch_size=8),
    )
    ds = run.task.dataset(run.seed)
    init = {
        n: t[0].detach().clone() for n, t in build_model(run, ds, [run.seed]).named_parameters()
    }
    w1, b1, w2 = (init[n].requires_grad_() for n in ("W1", "b1", "W2"))
    x = F.one_hot(ds.inputs, 7).flatten(1).double()  # [N, 2p] concatenated one-hot
    g = torch.Generator().manual_seed(stream_seed(run.seed, 1))
    n = len(ds.train_idx)  # 24: 3 batches of 8 per epoch, none left over
    for _ in range(2):
        order = ds.train_idx[torch.randperm(n, generator=g)]
        for j in range(n // 8):
            idx = order[j * 8 : (j + 1) * 8]
            out = F.relu(x[idx] @ w1 + b1) @ w2
            loss = F.cross_entropy(out, ds.labels[idx])
            loss = loss + 0.5 * 1e-4 * (w1.pow(2).sum() + w2.pow(2).sum())
            gw1, gb1, gw2 = torch.autograd.grad(loss, (w1, b1, w2))
            with torch.no_grad():
                for p, gp in ((w1, gw1), (b1, gb1), (w2, gw2)):
                    p -= 0.7 * gp
    ours = _final_state(run)
    for name, want in (("W1", w1), ("b1", b1), ("W2", w2)):
        torch.testing.assert_close(ours[name], want.detach(), msg=name)
