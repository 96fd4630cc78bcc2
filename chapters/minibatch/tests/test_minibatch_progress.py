"""Nanda et al.'s progress measures (chapters.minibatch.progress) against slow references
written from the paper's description, and the probe on a tiny run."""

import math

import pytest
import torch
import torch.nn.functional as F

from chapters.minibatch import configs
from chapters.minibatch.progress import (
    fourier_basis,
    key_frequencies,
    neuron_frequencies,
    restricted_and_excluded,
    trig_directions,
)
from grokcore.config import ConfigError
from grokcore.train import train_stack

P = 11


def grid():
    x, y = torch.meshgrid(torch.arange(P), torch.arange(P), indexing="ij")
    return x.flatten(), y.flatten()


def test_the_fourier_basis_is_orthonormal_constant_then_cos_sin():
    B = fourier_basis(P)
    assert torch.allclose(B @ B.T, torch.eye(P, dtype=torch.float64), atol=1e-12)
    x = torch.arange(P, dtype=torch.float64)
    assert torch.allclose(B[4], torch.sin(2 * math.pi * 2 * x / P) / math.sqrt(P / 2))  # sin f=2


def test_a_neurons_frequency_is_the_block_with_most_of_its_power():
    x = torch.arange(P, dtype=torch.float64)
    w = 2 * math.pi / P
    pure = torch.cos(w * 3 * x)[:, None] * torch.sin(w * 3 * x)[None, :]  # f = 3 on both axes
    mixed = 2 * torch.cos(w * 4 * (x[:, None] + x[None, :])) + 0.5 * torch.cos(w * 1 * x)[:, None]
    dead = torch.zeros(P, P)
    act = torch.stack([pure, mixed, dead], -1)  # [p, p, 3]
    best, frac = neuron_frequencies(act)
    assert best[:2].tolist() == [3, 4] and frac[0] == pytest.approx(1.0)
    assert 0.9 < frac[1] < 1 and math.isnan(frac[2])
    assert key_frequencies(act) == [3, 4]


def slow_losses(logits, labels, x, y, freqs, train):
    """The measures as the paper describes them, pair by pair: project each class's logits (a
    function on the p x p pairs) on cos and sin of w_f (x + y) for each key f."""
    N, C = logits.shape
    proj = torch.zeros(N, C, dtype=torch.float64)
    for f in freqs:
        for trig in (math.cos, math.sin):
            u = torch.tensor(
                [trig(2 * math.pi * f * (int(a) + int(b)) / P) for a, b in zip(x, y)],
                dtype=torch.float64,
            )
            u = u / u.norm()
            for c in range(C):
                proj[:, c] += (u @ logits[:, c].double()) * u
    restricted = proj + (logits.double() - proj).mean(0)
    excluded = logits.double() - proj
    return (
        F.cross_entropy(restricted, labels).item(),
        F.cross_entropy(excluded[train], labels[train]).item(),
    )


def test_restricted_and_excluded_loss_equal_a_pair_by_pair_reference():
    g = torch.Generator().manual_seed(0)
    x, y = grid()
    labels = (x + y) % P
    logits = torch.randn(P * P, P, generator=g, dtype=torch.float64)
    train = torch.randperm(P * P, generator=g)[:40]
    freqs = [2, 5]
    U = trig_directions(x, y, P, freqs)
    assert torch.allclose(U.T @ U, torch.eye(4, dtype=torch.float64), atol=1e-12)
    ours = restricted_and_excluded(logits, labels, U, train)
    assert ours == pytest.approx(slow_losses(logits, labels, x, y, freqs, train), rel=1e-10)
    # a network that is exactly the key frequencies' circuit: restricting loses nothing,
    # excluding leaves only the constant
    s = (x + y).double()
    circuit = torch.stack(
        [sum(torch.cos(2 * math.pi * f * (s - c) / P) for f in freqs) for c in range(P)], 1
    )
    r, e = restricted_and_excluded(8 * circuit, labels, U, train)
    assert r == pytest.approx(F.cross_entropy(8 * circuit, labels).item(), rel=1e-9)
    assert e == pytest.approx(math.log(P), rel=1e-9)


def test_the_probe_logs_the_measures_on_its_grid_and_leaves_the_model_as_trained():
    cfg = configs.config(
        7, 0, 12, d_model=8, stop_at_test_acc=None, probes=(configs.FOURIER, configs.NANDA)
    )
    with_probe = train_stack([cfg.replace(seed=s) for s in (0, 1)])
    plain = train_stack([cfg.replace(seed=s, probes=(configs.FOURIER,)) for s in (0, 1)])
    for a, b in zip(with_probe, plain):
        assert a.history["train_loss"] == b.history["train_loss"]  # the probe changes nothing
        h = a.history
        assert h["progress_step"] == [0, 2, 4, 6, 8, 10, 12]  # every 2 epochs of 1 step
        assert len(h["restricted_loss"]) == len(h["excluded_loss"]) == 7
        assert all(1 <= f <= 3 for f in a.meta["key_freqs"])
    with pytest.raises(ConfigError, match="RunConfig.probes"):
        configs.config(7, 0, 12, stop_at_test_acc=1.0, probes=(configs.NANDA,))
