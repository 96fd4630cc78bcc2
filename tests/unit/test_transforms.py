"""Each transform against its formula, written out here (reference-equivalence tables)."""

from collections import deque

import pytest
import torch

from grokcore import transforms as T


def grads_seq(steps=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [
        {
            "W1": torch.randn(2, 5, 3, generator=g, dtype=torch.float64),
            "b1": torch.randn(2, 3, generator=g, dtype=torch.float64),
        }
        for _ in range(steps)
    ]


def run(tx, seq):
    params = {k: torch.zeros_like(v) for k, v in seq[0].items()}
    state = tx.init(params)
    outs = []
    for g in seq:
        out, state = tx.update(g, state, params)
        outs.append(out)
    return outs


def polar_reference(g):
    """U V^T from a float64 SVD, one member at a time."""
    u, s, vh = torch.linalg.svd(g.double(), full_matrices=False)
    return u @ vh


@pytest.mark.parametrize(
    "solver, tol", [("svd", 1e-12), ("eigh", 1e-8), ("rsvd", 1e-8), ("newton_schulz", 1e-6)]
)
def test_egd_is_polar_factor(solver, tol):
    g = torch.randn(2, 6, 4, dtype=torch.float64)
    g[1] *= 1e3  # scale must not matter
    out = run(
        T.egd(["W1"], solver=solver, rank=4, seeds=[0, 1], ns_steps=40), [{"W1": g, "b1": g[:, 0]}]
    )[0]
    assert torch.allclose(out["W1"], polar_reference(g), atol=tol)
    assert torch.equal(out["b1"], g[:, 0])  # untargeted: untouched
    s = torch.linalg.svdvals(out["W1"])
    assert torch.allclose(s, torch.ones_like(s), atol=tol)


def test_egd_moore_penrose_on_rank_deficient():
    a, b = torch.randn(1, 6, 1, dtype=torch.float64), torch.randn(1, 1, 5, dtype=torch.float64)
    g = a @ b + a @ b * 2  # rank 1
    for solver in ("svd", "eigh"):
        out = run(T.egd(["W1"], solver=solver), [{"W1": g}])[0]["W1"]
        expected = (a / a.norm()) @ (b / b.norm())  # U1 V1^T only: zero singular values stay zero
        assert torch.allclose(out, expected, atol=1e-6), solver


def test_egd_rsvd_keeps_only_top_rank():
    u, _ = torch.linalg.qr(torch.randn(1, 8, 6, dtype=torch.float64))
    v, _ = torch.linalg.qr(torch.randn(1, 6, 6, dtype=torch.float64))
    s = torch.tensor([10.0, 5.0, 1e-2, 1e-2, 1e-3, 1e-3], dtype=torch.float64)
    g = (u * s) @ v.mT  # a clear gap after the top 2 singular values
    out = run(T.egd(["W1"], solver="rsvd", rank=2), [{"W1": g}])[0]["W1"]
    assert torch.allclose(out, u[..., :2] @ v[..., :2].mT, atol=1e-6)


def test_egd_rejects_bad_targets_and_solver():
    with pytest.raises(ValueError, match="not parameters"):
        run(T.egd(["W9"]), grads_seq(1))
    with pytest.raises(ValueError, match="2-D"):
        run(T.egd(["b1"]), grads_seq(1))
    with pytest.raises(ValueError, match="solver"):
        T.egd(solver="qr")


def test_column_norm():
    g = grads_seq(1)[0]
    g["W1"][0, :, 1] = 1e-4  # a tiny column is divided by min_norm, not its norm
    out = run(T.column_norm(["W1"], min_norm=0.01), [g])[0]["W1"]
    for m in range(2):
        for j in range(3):
            col = g["W1"][m, :, j]
            assert torch.allclose(out[m, :, j], col / max(col.norm().item(), 0.01))


def test_rescale_per_tensor_and_member():
    g = grads_seq(1)[0]
    out = run(T.rescale(0.5), [g])[0]
    for n in g:
        for m in range(2):
            assert torch.allclose(out[n][m], 0.5 * g[n][m] / g[n][m].norm())


@pytest.mark.parametrize("alpha, lamb", [(0.98, 2.0), (0.5, 0.1), (0.0, 1.0)])
def test_grokfast_ema_matches_ironjr(alpha, lamb):
    seq = grads_seq()
    ours = run(T.grokfast_ema(alpha, lamb), seq)
    mu = None
    for g, o in zip(seq, ours):
        for n in g:  # ironjr/grokfast gradfilter_ema, written out
            if mu is None or n not in mu:
                mu = mu or {}
                mu[n] = g[n].clone()
            mu[n] = alpha * mu[n] + (1 - alpha) * g[n]
            assert torch.allclose(o[n], g[n] + lamb * mu[n])
    assert torch.allclose(ours[0]["W1"], (1 + lamb) * seq[0]["W1"])  # starts at the first gradient


@pytest.mark.parametrize(
    "window, lamb, warmup", [(3, 5.0, True), (3, 5.0, False), (1, 2.0, True), (4, 0.5, True)]
)
def test_grokfast_ma_matches_ironjr(window, lamb, warmup):
    seq = grads_seq(steps=11)
    ours = run(T.grokfast_ma(window, lamb, warmup), seq)
    queues = {n: deque(maxlen=window) for n in seq[0]}
    for g, o in zip(seq, ours):
        for n in g:  # ironjr/grokfast gradfilter_ma (filter_type mean, trigger False), written out
            queues[n].append(g[n])
            if not warmup or len(queues[n]) == window:
                expected = g[n] + lamb * sum(queues[n]) / len(queues[n])
            else:
                expected = g[n]
            assert torch.allclose(o[n], expected, atol=1e-12)


def test_identities():
    seq = grads_seq(3)
    for tx in (
        T.identity(),
        T.grokfast_ema(0.9, 0.0),
        T.grokfast_ma(2, 0.0),
        T.rescale(1.0, targets=[]),
    ):
        for g, o in zip(seq, run(tx, seq)):
            assert all(torch.allclose(g[n], o[n]) for n in g)


def test_chain_applies_in_order():
    seq = grads_seq(2)
    chained = run(T.chain(T.egd(["W1"]), T.rescale(2.0)), seq)
    for g, o in zip(seq, chained):
        pol = polar_reference(g["W1"])
        assert torch.allclose(o["W1"], 2.0 * pol / pol.flatten(1).norm(dim=1).view(-1, 1, 1))


def test_from_config_covers_every_method():
    from grokcore.config import MethodConfig

    assert set(T.TRANSFORMS) >= {
        "none",
        "egd",
        "column_norm",
        "grokfast_ema",
        "grokfast_ma",
        "rescale",
    }
    for name in T.TRANSFORMS:
        tx = T.from_config(MethodConfig(name=name))
        run(tx, grads_seq(2))


def test_a_registered_transform_is_a_valid_method_everywhere():
    from grokcore.config import ConfigError, MethodConfig, ModularTask, RunConfig
    from grokcore.train import train_stack

    with pytest.raises(ConfigError, match="MethodConfig.name='halve'"):
        MethodConfig(name="halve")
    T.register_transform(
        "halve",
        lambda m, seeds: T.GradientTransform(
            lambda params: (),
            lambda grads, state, params: ({n: g / 2 for n, g in grads.items()}, state),
        ),
    )
    try:
        cfg = RunConfig(
            task=ModularTask(p=7), method=MethodConfig(name="halve"), num_steps=3, eval_every=3
        )
        half = train_stack([cfg])[0]
        plain = train_stack(
            [cfg.replace(method=MethodConfig(), optim=cfg.optim.__class__(lr=cfg.optim.lr / 2))]
        )[0]
        assert half.history["train_loss"] == pytest.approx(plain.history["train_loss"], rel=1e-6)
    finally:
        del T.TRANSFORMS["halve"]
