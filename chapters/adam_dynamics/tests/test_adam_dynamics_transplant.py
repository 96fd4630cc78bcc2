import math

import pytest
import torch

from chapters.adam_dynamics import configs as AD

from chapters.adam_dynamics import transplant as TP
from grokcore.config import ConfigError, MethodConfig
from grokcore.train import Stack, build_model

BASE = AD.base_run(11, 16, 64, 300, eval_every=10, lr=1e-2, frac_train=0.6, batch_size=None)


def test_family_power_finds_the_frequency_of_a_pure_neuron():
    p, k = 13, 3
    a = torch.arange(p, dtype=torch.float64)
    w = 2 * math.pi * k / p
    pure = torch.cos(
        w * (a[:, None] + a[None, :])
    )  # cos(w_k (a + b)): all power at (k, k), (-k, -k)
    mixed = torch.cos(w * a[:, None]) * torch.sin(w * a[None, :]) + 0.5 * torch.cos(w * a[None, :])
    shares = TP.family_power(torch.stack([pure, mixed]))  # [2, p // 2]
    assert shares.shape == (2, p // 2)
    assert shares[:, k - 1].tolist() == pytest.approx([1.0, 1.0])
    noise = TP.family_power(torch.randn(50, p, p, generator=torch.Generator().manual_seed(0))).amax(
        -1
    )
    assert float(noise.mean()) < 0.25  # random activations spread their power


def test_grid_tokens_layout():
    t = TP.grid_tokens(5)
    assert t.shape == (25, 3) and t[7].tolist() == [1, 2, 5]


def test_transplant_copies_exactly_the_chosen_neurons_of_one_member():
    cfg = BASE
    data = Stack(cfg, [0, 1], "cpu")
    model, donor = build_model(cfg, data.first, [0, 1]), build_model(cfg, data.first, [5, 6])
    before = {k: v.clone() for k, v in model.state_dict().items()}
    neurons = torch.tensor([3, 7])
    TP.transplant_(model, donor.state_dict(), 1, neurons)
    after, src = model.state_dict(), donor.state_dict()
    last = cfg.model.n_layers - 1
    for k in before:
        if k not in (f"{last}_W_in", f"{last}_b_in", f"{last}_W_out"):
            assert torch.equal(after[k], before[k]), k
    assert torch.equal(after[f"{last}_W_in"][0], before[f"{last}_W_in"][0])  # member 0 untouched
    assert torch.equal(after[f"{last}_W_in"][1][:, neurons], src[f"{last}_W_in"][1][:, neurons])
    assert torch.equal(after[f"{last}_b_in"][1][neurons], src[f"{last}_b_in"][1][neurons])
    assert torch.equal(after[f"{last}_W_out"][1][neurons], src[f"{last}_W_out"][1][neurons])
    rest = [i for i in range(cfg.model.d_mlp) if i not in neurons.tolist()]
    assert torch.equal(after[f"{last}_W_out"][1][rest], before[f"{last}_W_out"][1][rest])


def test_run_transplant_changes_only_the_future_of_a_seed_that_took_it():
    # 8 seeds: whether a seed of this tiny config groks (to 30%) within its 300 steps depends on
    # the CPU's float32 rounding (one of seeds 0-2 did on an AMD EPYC; only 5 of 0-7 on a Xeon)
    cfgs = [TP.variant_of(BASE, s, threshold=0.3) for s in range(8)]
    recs = TP.run_transplant(cfgs)
    took = [r for r in recs if r.summary["transplanted"]]
    assert took, "the tiny config is chosen so that a seed memorizes then groks (to 30%)"
    for r in took:
        s, h = r.summary, r.history
        at = s["at_step"]
        assert s["donor_grok"] > at and 0 <= s["test_acc_at"] < 0.3
        steps = h["transplant_step"]
        i0, j = h["step"].index(steps[0]), steps.index(at)
        # identical training up to the memorization point, then the transplant
        assert h["transplant_test_acc"][: j + 1] == h["test_acc"][i0 : i0 + j + 1]
        assert h["transplant_test_acc"][j + 1 :] != h["test_acc"][i0 + j + 1 : i0 + len(steps)]
        if s["transplant_grok"] is None:  # the transplanted run did not grok within the budget
            assert TP.speedup(r) is None  # (a seed on an AMD EPYC pinned to AVX2)
        else:
            want = (s["transplant_grok"] - at) / (s["donor_grok"] - at)
            assert TP.speedup(r) == pytest.approx(want)
        assert TP.presence(r) == pytest.approx(s["score_at"] / s["score_end"])
    assert all(TP.speedup(r) is None for r in recs if not r.summary["transplanted"])
    assert [r.key for r in recs] == [c.key() for c in cfgs]


@pytest.mark.parametrize(
    "kw,match",
    [
        ({"fraction": 0.0}, "fraction"),
        ({"fraction": 2.0}, "fraction"),
        ({"threshold": 1.5}, "threshold"),
    ],
)
def test_bad_parameters_name_themselves(kw, match):
    with pytest.raises(ConfigError, match=match):
        TP.variant_of(BASE, 0, **kw)


def test_transplant_needs_plain_gradients_and_a_transformer():
    with pytest.raises(ConfigError, match="run.method.name"):
        TP.TransplantRun(BASE.replace(method=MethodConfig(name="grokfast_ema")))


def test_transplant_figure_draws_the_first_seeds_and_says_how_many_of_all():
    from types import SimpleNamespace

    from chapters.adam_dynamics import figures

    def rec(seed):
        h = {"step": [0, 100], "test_acc": [0.0, 1.0]}
        h |= {"transplant_step": [50, 100], "transplant_test_acc": [0.1, 1.0]}
        return SimpleNamespace(config={"run": {"seed": seed}}, history=h, summary={"at_step": 50})

    fig = figures.transplant_figure([rec(s) for s in range(8)], shown=3)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "seed 0",
        "seed 1",
        "seed 2",
        "with transplant",
    ]
    assert "(first 3 of 8 seeds)" in ax.get_title()
    few = figures.transplant_figure([rec(s) for s in range(2)]).axes[0]
    assert few.get_title() == "Fourier transplant at the memorization point"
    assert len(few.get_legend().get_texts()) == 3
