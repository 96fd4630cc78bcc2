import pytest
import torch
from torch.func import functional_call

from chapters.adam_dynamics import diagnostics as D
from grokcore.config import ModularTask, OptimConfig, RunConfig, TransformerConfig
from grokcore.train import Stack, build_model, member_loss

CFG = RunConfig(
    task=ModularTask(p=7, frac_train=0.6),
    model=TransformerConfig(d_model=4, n_heads=2, d_mlp=8, n_layers=2),
    optim=OptimConfig(name="adamw", lr=1e-3),
    dtype="float64",
)
SEEDS = [0, 1]


@pytest.fixture
def setup():
    data = Stack(CFG, SEEDS, "cpu")
    model = build_model(CFG, data.first, SEEDS)
    x, y = data.batch(data.train_idx)
    return model, x, y


def dense_hessian(model, x, y, i):
    """Member i's loss Hessian over its flattened parameters (the trusted reference)."""
    params = {n: p.detach() for n, p in model.named_parameters()}
    names = list(params)

    def f(flat):
        ps, o = {}, 0
        for n in names:
            shape = params[n].shape[1:]
            full = params[n].clone()
            full[i] = flat[o : o + shape.numel()].view(shape)
            ps[n], o = full, o + shape.numel()
        return member_loss(CFG, functional_call(model, ps, (x,)), y)[i]

    return torch.autograd.functional.hessian(
        f, torch.cat([params[n][i].flatten() for n in names]), vectorize=True
    )


def test_lanczos_top_eigenvalue_equals_dense_hessian(setup):
    model, x, y = setup
    gens = [torch.Generator().manual_seed(s) for s in SEEDS]
    lam = D.top_hessian_eigenvalue(CFG, model, x, y, iters=40, generators=gens)
    for i in range(len(SEEDS)):
        assert lam[i].item() == pytest.approx(
            torch.linalg.eigvalsh(dense_hessian(model, x, y, i))[-1].item(), rel=1e-8
        )


def test_per_sample_gradients_equal_one_backward_per_sample(setup):
    model, x, y = setup
    g = D.per_sample_gradients(CFG, model, x[:, :4], y[:, :4])  # [M, 4, P]
    for j in range(4):
        model.zero_grad()
        member_loss(CFG, model(x[:, j : j + 1]), y[:, j : j + 1]).sum().backward()
        ref = torch.cat([p.grad.flatten(1) for p in model.parameters()], 1)  # [M, P]
        assert torch.allclose(g[:, j], ref, rtol=1e-10, atol=1e-12)


def test_effective_rank_bounds():
    eye = torch.eye(5, 9, dtype=torch.float64)[None] * 3.0  # 5 orthogonal rows of equal norm
    same = torch.ones(1, 5, 9, dtype=torch.float64)  # 5 identical rows
    assert D.matrix_effective_rank(eye).item() == pytest.approx(5.0)
    assert D.matrix_effective_rank(same).item() == pytest.approx(1.0)


def test_agreement_is_one_for_identical_halves_and_cosine_is_per_member(setup):
    model, x, y = setup
    xx, yy = torch.cat([x[:, :6], x[:, :6]], 1), torch.cat([y[:, :6], y[:, :6]], 1)
    assert torch.allclose(
        D.gradient_agreement(CFG, model, xx, yy), torch.ones(2, dtype=torch.float64)
    )
    a = {"w": torch.tensor([[1.0, 0.0], [1.0, 1.0]])}
    b = {"w": torch.tensor([[0.0, 1.0], [2.0, 2.0]])}
    assert D.cosine(a, b).tolist() == pytest.approx([0.0, 1.0])


def test_moment_cosine_reads_adams_first_moment(setup):
    model, x, y = setup
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.98))
    g = D.gradients(CFG, model, x, y)
    assert D.moment_cosine(opt, model, g) is None  # no step yet
    member_loss(CFG, model(x), y).sum().backward()
    opt.step()  # m = 0.1 g after one step: cosine 1 with the same gradient
    assert torch.allclose(D.moment_cosine(opt, model, g), torch.ones(2, dtype=torch.float64))
    flipped = {n: -v for n, v in g.items()}
    assert torch.allclose(D.moment_cosine(opt, model, flipped), -torch.ones(2, dtype=torch.float64))
