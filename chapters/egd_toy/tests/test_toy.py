import math
from dataclasses import replace

import pytest
import torch

from chapters.egd_toy import toy
from chapters.egd_toy.configs import ToyConfig
from grokcore.models import Linear
from grokcore.sweep import run_or_load

SMALL = ToyConfig(eps=0.01, n=4000, n_test=2000, n_train_eval=1000, num_steps=3000)


@pytest.mark.parametrize("method", ["gd", "egd"])
def test_closed_form_equals_explicit_autograd_loop(method):
    """w(k) from eq. (4)/(10) equals running eq. (2)/(9) step by step on the loss (1)."""
    cfg = replace(SMALL, method=method)
    g = torch.Generator().manual_seed(cfg.seed)
    x, y = toy.toy_train(cfg.n, cfg.eps, cfg.s, g)
    stats = toy.sample(cfg)
    model = Linear(2, 1, seeds=[0], dtype=torch.float64)
    with torch.no_grad():
        model.w.copy_(torch.tensor(cfg.u, dtype=torch.float64).view(1, 2, 1))
    precond = (
        torch.linalg.inv(x.T @ x / cfg.n) if method == "egd" else torch.eye(2, dtype=torch.float64)
    )
    steps = [0, 1, 2, 5, 50, 300]
    got = []
    for k in range(max(steps) + 1):
        if k in steps:
            got.append(model.w.detach()[0, :, 0].clone())
        # eq. (2) is the gradient of |Xw - Y|^2 / (2n): the paper drops the factor 2
        loss = (model(x[None]) - y[None]).pow(2).mean() / 2
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            model.w[0] -= cfg.lr * precond @ model.w.grad[0]
    closed = toy.iterates(cfg, stats, steps)
    assert torch.allclose(torch.stack(got), closed, atol=1e-10)


def test_theory_equals_theorem_min_form_on_vs_side():
    cfg = SMALL
    ks = list(range(0, 3000, 7))
    ours = toy.theory_error(cfg, ks)
    # Theorem 1 as stated: min(1, acos(r_k) / acos(r))
    a, b = 1 - cfg.lr * cfg.m2, 1 - cfg.lr * cfg.eps
    k = torch.tensor(ks, dtype=torch.float64)
    u1, u2 = cfg.u
    mu = a**k * u1 + (1 - a**k) * cfg.m1 / cfg.m2
    nu = b**k * u2
    r_k = mu / torch.sqrt(mu**2 + cfg.eps * nu**2)
    rho = math.cos(math.radians(cfg.theta_deg))
    r = rho / math.sqrt(rho**2 + cfg.eps * (1 - rho**2))
    stated = torch.clamp(torch.arccos(r_k) / math.acos(r), max=1)
    # rtol: the stated form's acos loses digits where r_k is within 1e-12 of 1
    assert torch.allclose(ours, stated, rtol=1e-3, atol=1e-9)
    assert ours[0].item() == pytest.approx(1.0) and ours[-1] < 1e-3


def test_simulation_follows_theory_and_egd_is_fast():
    rec = run_or_load([replace(SMALL, n=400_000)])[0]  # the floor of finite n is 1/sqrt(eps n)
    assert rec.summary["max_gap_theory"] < 0.1
    k_theory = rec.summary["plateau_theory"]
    assert abs(rec.summary["plateau"] - k_theory) / k_theory < 0.1
    egd = toy.simulate(replace(SMALL, method="egd"))
    assert egd.summary["plateau"] <= 10 < rec.summary["plateau"]


def test_plateau_is_exact_to_one_iteration():
    rec = toy.simulate(SMALL)
    k = rec.summary["plateau"]
    stats = toy.sample(SMALL)
    err = toy.error(stats["x_test"], stats["y_test"], toy.iterates(SMALL, stats, [k - 1, k]))
    assert err[0] > 0.5 >= err[1]


def test_first_below_bisects_between_grid_points():
    def err_at(k):
        return 1.0 if k < 37 else 0.0  # first k at or below 1/2: 37

    steps = [0, 10, 20, 50, 100]
    assert toy.first_below(err_at, steps, [err_at(k) for k in steps]) == 37
    assert toy.first_below(err_at, [0, 10], [1.0, 1.0]) is None  # never reached: censored


def test_toy_samples_follow_their_conditions():
    g = torch.Generator().manual_seed(0)
    x, y = toy.toy_train(20000, 0.01, 0.5, g)
    assert (x[:, 0].abs() >= 0.5).all() and torch.equal(y, torch.sign(x[:, 0]))
    assert abs(x[:, 1].var().item() - 0.01) < 1e-3
    m1 = 0.3520653 / 0.3085375  # phi(s) / Q(s)
    assert abs(x[:, 0].abs().mean().item() - m1) < 0.02
    theta = 0.6
    xt, yt = toy.toy_test(20000, 0.01, theta, g)
    v = torch.tensor(
        [torch.cos(torch.tensor(theta)), torch.sin(torch.tensor(theta))], dtype=torch.float64
    )
    assert ((xt @ v) * xt[:, 0] <= 1e-12).all()
    # both halves of the double wedge are sampled
    assert 0.45 < (xt[:, 0] > 0).double().mean().item() < 0.55
