"""The speed options that compute the same function with other float rounding (issue 25;
bench/presets_speed.py times them): DecoderConfig.shortcuts, OptimConfig.fused and
RunConfig.eval_rows. Each against the plain path in float64, on every preset it applies to."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from grokcore.config import ConfigError, OptimConfig, RunConfig, to_dict
from grokcore.decoder import DecoderConfig
from grokcore.optim import make_optimizer
from grokcore.presets import preset
from grokcore.testing import RefDecoder, load_decoder
from grokcore.train import Stack, build_model, evaluate, train_stack


def small(name: str, p: int = 7, **model) -> RunConfig:
    """A preset at a small p (and model), float64."""
    run = preset(name, dtype="float64")
    return dataclasses.replace(
        run,
        task=dataclasses.replace(run.task, p=p),
        model=dataclasses.replace(run.model, **model),
    )


def fast(run: RunConfig) -> RunConfig:
    """Every shortcut the run's model and optimizer have."""
    model = run.model
    if isinstance(model, DecoderConfig):
        model = dataclasses.replace(model, shortcuts=True)
    elif hasattr(model, "per_token_first") and getattr(model, "n_layers", 1) > 1:
        model = dataclasses.replace(model, per_token_first=True)
    optim = dataclasses.replace(run.optim, fused=True)
    return dataclasses.replace(run, model=model, optim=optim, eval_rows=300)


DECODER = {"d_model": 16, "n_heads": 4, "d_mlp": 64}


@pytest.mark.parametrize(
    "name, layers, prefix", [("grokfast", 1, 2), ("grokfast", 2, 2), ("neuralgrok", 3, 1)]
)
def test_decoder_shortcuts_are_the_same_function(name, layers, prefix):
    """Logits and every gradient equal the plain path's and the code's Decoder's (float64);
    Grokfast's [x, op, y, =] computes two leading positions per token, NeuralGrok's one."""
    run = small(name, n_layers=layers, **DECODER)
    ds = run.task.dataset(0)
    plain = build_model(run, ds, [3])
    short = build_model(fast(run), ds, [3])
    x = ds.tokens[None]  # [1, 42, 4]: more examples than the 9 tokens, so the prefix pays
    assert short._prefix_len(x) == prefix and plain._prefix_len(x) == 0
    got, want = short(x), plain(x)
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)
    ref = RefDecoder(16, layers, 4, ds.n_vocab, x.shape[2] + 1).double()
    load_decoder(ref, short)
    torch.testing.assert_close(got[0], ref(ds.tokens.T)[-1], rtol=1e-10, atol=1e-10)
    weights = torch.randn_like(got)  # a loss that reads every logit
    (got * weights).sum().backward()
    (want * weights).sum().backward()
    for (n, a), b in zip(short.named_parameters(), plain.parameters()):
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-10, atol=1e-12, msg=n)


def test_decoder_prefix_stops_at_the_first_varying_column():
    run = fast(small("grokfast", **DECODER))
    model = build_model(run, run.task.dataset(0), [0])
    tokens = run.task.dataset(0).tokens[None].clone()  # [1, N, 4]: x, op, y, =
    assert model._prefix_len(tokens) == 2
    tokens[0, 0, 1] = 0  # one example whose operator differs: only position 0 is per token
    assert model._prefix_len(tokens) == 1
    plain = build_model(small("grokfast", **DECODER), run.task.dataset(0), [0])
    torch.testing.assert_close(model(tokens), plain(tokens), rtol=1e-12, atol=1e-12)
    # probes read the activations of every position: the prefix is computed per example then
    keep: dict = {}
    torch.testing.assert_close(model(tokens, keep), plain(tokens), rtol=1e-12, atol=1e-12)
    assert keep[0].shape[2] == 4


@pytest.mark.parametrize("name", ["grokfast", "neuralgrok", "nanda", "med", "fastgrok", "egd_mlp"])
def test_shortcuts_train_the_same_run(name):
    """train_stack with every shortcut (fused optimizer, the model's own, smaller evaluation
    chunks) gives the plain run's history (float64, a few steps, two members)."""
    changes = (
        {"d_model": 16, "n_heads": 4, "d_mlp": 64} if name in ("grokfast", "neuralgrok") else {}
    )
    if name in ("nanda", "med"):
        changes = {"d_model": 16, "n_heads": 2, "d_mlp": 32}
    if name == "fastgrok":
        changes = {"d_model": 16}
    if name == "egd_mlp":
        changes = {"width": 32}
    run = small(name, p=11, **changes)
    run = dataclasses.replace(
        run,
        num_steps=12,
        eval_every=4,
        stop_at_test_acc=None,
        optim=dataclasses.replace(run.optim, batch_size=32 if run.optim.batch_size else None),
    )
    plain = train_stack([run, run.replace(seed=1)])
    short = train_stack([fast(run), fast(run).replace(seed=1)])
    for a, b in zip(plain, short):
        for k in ("train_loss", "test_loss", "train_acc", "test_acc", "weight_norm"):
            torch.testing.assert_close(
                torch.tensor(a.history[k]), torch.tensor(b.history[k]), rtol=1e-9, atol=1e-12
            )


def test_eval_rows_only_chunks_the_evaluation():
    run = small("grokfast", p=13, **DECODER)
    data = Stack(run, [0, 1], "cpu")
    model = build_model(run, data.first, [0, 1])
    want = evaluate(run, model, data)
    got = evaluate(dataclasses.replace(run, eval_rows=64), model, data, None)
    for k in want:
        torch.testing.assert_close(got[k], want[k], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["sgd", "adam", "adamw"])
def test_fused_optimizer_is_the_same_update(name):
    """OptimConfig.fused: torch.optim's fused kernel, the same steps as the default (float64)."""
    o = OptimConfig(name=name, lr=0.05, weight_decay=0.1, momentum=0.5 if name == "sgd" else 0)
    ps = {f: torch.nn.Parameter(torch.randn(3, 4, 5, dtype=torch.float64)) for f in (False, True)}
    ps[True].data.copy_(ps[False].data)
    opts = {f: make_optimizer(dataclasses.replace(o, fused=f), [ps[f]])[0] for f in ps}
    assert opts[True].defaults.get("fused") is True and not opts[False].defaults.get("fused")
    g = torch.Generator().manual_seed(0)
    for _ in range(5):
        grad = torch.randn(3, 4, 5, generator=g, dtype=torch.float64)
        for f in ps:
            ps[f].grad = grad.clone()
            opts[f].step()
    torch.testing.assert_close(ps[True], ps[False], rtol=1e-12, atol=1e-14)


def test_shortcut_options_are_checked_and_keep_keys():
    with pytest.raises(ConfigError, match="fused"):
        OptimConfig(fused="yes")
    with pytest.raises(ConfigError, match="eval_rows"):
        RunConfig(eval_rows=0)
    with pytest.raises(ConfigError, match="shortcuts"):
        DecoderConfig(shortcuts=1)
    members = [OptimConfig(name="adamw", fused=True, betas=b) for b in ((0.9, 0.98), (0.5, 0.98))]
    with pytest.raises(ValueError, match="fused"):  # StackedAdamW has no fused kernel
        make_optimizer(members[0], [torch.nn.Parameter(torch.zeros(2, 3))], members)
    # off, they leave every key (and so every shipped record) as it was
    for name in ("grokfast", "nanda", "egd_mlp"):
        blob = str(to_dict(preset(name), for_key=True))
        assert "fused" not in blob and "eval_rows" not in blob and "shortcuts" not in blob


def test_compiled_run_is_the_same_run_and_deterministic():
    """RunConfig.compile (torch.compile of the forward, training and evaluation, dynamic batch
    size: the last, smaller batch of torch.split) gives the eager run's history in float64, and
    the same numbers twice."""
    run = small("grokfast", p=11, **DECODER)
    run = dataclasses.replace(run, num_steps=16, eval_every=4, model=fast(run).model)
    run = dataclasses.replace(
        run, optim=dataclasses.replace(run.optim, batch_size=24, last_batch="keep")
    )  # 55 train pairs: 24, 24, 7 (fewer than the 13 tokens: the prefix is per example then)
    compiled = dataclasses.replace(run, compile=True)
    eager, comp = train_stack([run])[0], train_stack([compiled])[0]
    for k in ("train_loss", "test_loss", "train_acc", "test_acc", "weight_norm"):
        torch.testing.assert_close(
            torch.tensor(comp.history[k]), torch.tensor(eager.history[k]), rtol=1e-9, atol=1e-12
        )
    assert train_stack([compiled])[0].history == comp.history  # the same numbers again
    with pytest.raises(ConfigError, match="compile"):
        RunConfig(compile=1)
