import math
from dataclasses import replace

import pytest
import torch

from chapters.egd_toy import iterated, toy
from chapters.egd_toy.configs import ToyConfig
from grokcore.config import from_dict, to_dict
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


# ---- the iterated methods: EGD as eq. 11 and SGD (chapters.egd_toy.iterated) ------------------


def test_egd11_equals_an_explicit_loop_of_eq_11():
    """Eq. 11 written out: the gradient matrix G of the linear layer (autograd on the loss (1)),
    replaced by (G Gᵀ)^(-1/2) G = U Vᵀ from its SVD (eq. 12), then a step of size η."""
    cfg = replace(SMALL, method="egd11", n=2000)
    g = torch.Generator().manual_seed(cfg.seed)
    x, y = toy.toy_train(cfg.n, cfg.eps, cfg.s, g)
    w = torch.tensor(cfg.u, dtype=torch.float64).view(1, 2).requires_grad_()  # [1 output, 2 inputs]
    steps = [0, 1, 2, 3, 10, 100, 400]
    got = []
    for k in range(max(steps) + 1):
        if k in steps:
            got.append(w.detach()[0].clone())
        loss = (x @ w[0] - y).pow(2).mean() / 2  # eq. (2)'s gradient, without the paper's 2
        (grad,) = torch.autograd.grad(loss, w)  # G [1, 2]
        u, _, vh = torch.linalg.svd(grad, full_matrices=False)
        with torch.no_grad():
            w -= cfg.lr * u @ vh  # eq. (11)-(12): U Vᵀ
    ours = toy.iterates(cfg, toy.sample(cfg), steps)
    assert torch.allclose(torch.stack(got), ours, atol=1e-9)
    assert torch.allclose((ours[1:] - ours[:-1]).norm(dim=1)[:2], torch.tensor(cfg.lr).double())


def test_egd11_takes_no_step_where_the_gradient_vanishes():
    sigma = torch.eye(2, dtype=torch.float64)
    xty = torch.tensor([0.3, -0.2], dtype=torch.float64)  # w_ols = (0.3, -0.2)
    path = iterated.egd11_path((0.3, -0.2), sigma, xty, 0.5, 5)
    assert torch.equal(path, torch.tensor([[0.3, -0.2]] * 6, dtype=torch.float64))


def test_sgd_equals_an_explicit_minibatch_loop_over_the_same_batches():
    """Minibatch GD step by step (autograd on the batch's loss) over the batches the run draws."""
    cfg = replace(SMALL, method="sgd", n=500, batch_size=8, num_steps=300)
    x, y = toy.train_set(cfg)
    w = torch.tensor(cfg.u, dtype=torch.float64).requires_grad_()
    got = [w.detach().clone()]
    # drawn in chunks of 64 here, of 10^4 in the run: one stream, the same batches
    batches = torch.cat(list(iterated.sgd_indices(cfg.seed, cfg.n, 8, cfg.num_steps, chunk=64)))
    assert batches.shape == (cfg.num_steps, 8)  # [step, batch]
    for idx in batches:
        loss = (x[idx] @ w - y[idx]).pow(2).mean() / 2
        (grad,) = torch.autograd.grad(loss, w)
        with torch.no_grad():
            w -= cfg.lr * grad
        got.append(w.detach().clone())
    ours = iterated.sgd_path(cfg.u, x, y, cfg.lr, 8, cfg.num_steps, cfg.seed)
    assert ours.shape == (cfg.num_steps + 1, 2)
    assert torch.allclose(torch.stack(got), ours, atol=1e-12)


def test_sgd_batches_come_from_their_own_stream():
    """The data's generator (seeded by seed) is untouched by the batches, and the batches differ
    from a draw of the data's stream."""
    cfg = replace(SMALL, method="sgd", n=500)
    x0, _ = toy.train_set(cfg)
    first = next(iterated.sgd_indices(cfg.seed, cfg.n, 32, 10))
    data_stream = torch.randint(cfg.n, (10, 32), generator=torch.Generator().manual_seed(cfg.seed))
    assert not torch.equal(first, data_stream)
    assert torch.equal(toy.train_set(cfg)[0], x0)
    assert torch.equal(toy.train_set(cfg)[0].T @ x0 / cfg.n, toy.sample(cfg)["sigma"])


@pytest.mark.parametrize("method", ["egd11", "sgd"])
def test_iterated_runs_are_deterministic(method):
    cfg = replace(SMALL, method=method, n=2000, num_steps=2000)
    a, b = toy.simulate(cfg), toy.simulate(cfg)
    assert a.key == b.key and a.history == b.history and a.summary == b.summary
    assert toy.simulate(replace(cfg, seed=1)).history != a.history


def test_iterated_records_have_no_theorem_for_eq_11_and_gds_for_sgd():
    e11 = toy.simulate(replace(SMALL, method="egd11", n=2000, num_steps=2000))
    assert "theory_err" not in e11.history and e11.summary["max_gap_theory"] is None
    with pytest.raises(ValueError, match="does not cover"):
        toy.theory_error(replace(SMALL, method="egd11"), [1])
    sgd_cfg = replace(SMALL, method="sgd", n=2000, num_steps=2000)
    sgd = toy.simulate(sgd_cfg)
    gd = toy.theory_error(replace(sgd_cfg, method="gd"), sgd.history["step"]).tolist()
    assert sgd.history["theory_err"] == gd  # E[w(k)] of SGD is GD's iterate


def test_an_eq_11_path_holds_every_iterate_and_steps_by_eta():
    stats = toy.sample(SMALL)
    path = iterated.egd11_path(SMALL.u, stats["sigma"], stats["xty"], SMALL.lr, 10_000)
    assert path.shape == (10_001, 2) and path[0].tolist() == list(SMALL.u)
    step = (path[1:] - path[:-1]).norm(dim=1)  # normalized GD: every step has length eta
    assert torch.allclose(step, torch.full_like(step, SMALL.lr))


def test_errors_along_equals_error():
    stats = toy.sample(SMALL)
    g = torch.Generator().manual_seed(3)
    ws = torch.randn(3000, 2, generator=g, dtype=torch.float64)
    ws[:8] = torch.tensor([[1, 0], [-1, 0], [0, 1], [0, -1], [0, 0], [1, 1], [-1, -1], [1, -1]])
    x, y = stats["x_test"], stats["y_test"]
    assert torch.equal(iterated.errors_along(x, y, ws), toy.error(x, y, ws))


def oscillating_path(k_cross: int, length: int = 400) -> torch.Tensor:
    """w(k) whose error against the points p = (1, ±0.3) swings: 1/2 only from k_cross on, on even
    iterations (odd ones point the other way)."""
    ws = torch.tensor([[-1.0, 0.0]] * length, dtype=torch.float64)  # misclassifies both
    for k in range(k_cross, length, 2):
        ws[k] = torch.tensor([0.3, 1.0])  # right on (1, 0.3) only: error 1/2
    return ws


def test_first_along_finds_the_first_crossing_of_an_oscillating_error():
    x = torch.tensor([[1.0, 0.3], [1.0, -0.3]], dtype=torch.float64)
    y = torch.ones(2, dtype=torch.float64)
    ws = oscillating_path(101)
    steps = [0, 50, 100, 200, 300, 399]  # the grid hits no crossing before 200 (odd 101..199: no)
    errs = toy.error(x, y, ws[steps]).tolist()
    assert toy.first_below(lambda k: toy.error(x, y, ws[k : k + 1]).item(), steps, errs) != 101
    assert toy.first_along(x, y, ws, steps, errs) == 101
    never = torch.tensor([[-1.0, 0.0]] * 50, dtype=torch.float64)
    assert toy.first_along(x, y, never, [0, 49], [1.0, 1.0]) is None


def test_first_along_falls_back_to_exact_products(monkeypatch):
    """Where the angle count and error() disagree, error() over every iterate decides."""
    x = torch.tensor([[1.0, 0.3], [1.0, -0.3]], dtype=torch.float64)
    y = torch.ones(2, dtype=torch.float64)
    ws = oscillating_path(101)
    steps = [0, 50, 100, 101, 399]
    errs = toy.error(x, y, ws[steps]).tolist()
    monkeypatch.setattr(iterated, "errors_along", lambda x, y, w: torch.zeros(w.shape[0]).double())
    assert toy.first_along(x, y, ws, steps, errs) == 101


def test_adding_methods_keeps_the_keys_and_records_of_gd_and_egd():
    """Keys of configs made before egd11, sgd and batch_size existed (these two are in the
    shipped cpu store), and a record that leaves batch_size out rebuilds the same config."""
    assert ToyConfig().key() == "d85e7df667bac7b5f7b4"
    egd = ToyConfig(method="egd", eps=0.0003, init_scale=100.0, seed=4)
    assert egd.key() == "e0436d5a430698738c0c"
    small = ToyConfig(eps=0.1, n=20_000, n_test=2_000, n_train_eval=2_000, init_scale=0.01)
    assert replace(small, num_steps=20_000).key() == "db777fe4c4b5b331c387"
    old = {k: v for k, v in to_dict(egd).items() if k != "batch_size"}
    assert from_dict(old) == egd
    assert ToyConfig(method="sgd").key() != ToyConfig(method="sgd", batch_size=16).key()
