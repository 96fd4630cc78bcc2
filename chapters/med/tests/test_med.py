import math

import pytest
import torch

from chapters.med import configs, med, measures
from grokcore.config import ConfigError, RunConfig, TransformerConfig
from grokcore.models import Transformer
from grokcore.train import train_stack


def slow_med(E, p, shift=0):
    """The definition written out: mean over i = 0..p-2 of ||E[i+1] - E[i]||, per block."""

    def block(d):
        return sum(math.dist(E[d + i + 1].tolist(), E[d + i].tolist()) for i in range(p - 1)) / (
            p - 1
        )

    return block(0) if shift == 0 else (block(0) + block(shift)) / 2


@pytest.mark.parametrize("shift", [0, 3, 11])
def test_med_matches_its_definition(shift):
    p = 7
    E = torch.randn(
        p + shift + 1, 5, generator=torch.Generator().manual_seed(shift), dtype=torch.float64
    )
    assert med.med(E, p, shift).item() == pytest.approx(slow_med(E, p, shift), rel=1e-12)
    stacked = torch.stack([E, 2 * E])  # [M, V, d]: one value per member, linear in the scale
    assert med.med(stacked, p, shift).tolist() == pytest.approx(
        [slow_med(E, p, shift), 2 * slow_med(E, p, shift)]
    )


@pytest.mark.parametrize("shift", [0, 60])
def test_public_normalizations_differ_by_constants(shift):
    """The public code's three files: base = (m1 + m2)/2, str = 2 base, rec = 2 (p - 1) base."""
    p = 97
    for seed in range(3):
        E = torch.randn(
            p + shift + 1, 16, generator=torch.Generator().manual_seed(seed), dtype=torch.float64
        )
        base = med.med_public(E, p, shift, "base")
        assert (med.med_public(E, p, shift, "str") / base).item() == pytest.approx(2, rel=1e-12)
        assert (med.med_public(E, p, shift, "rec") / base).item() == pytest.approx(
            2 * (p - 1), rel=1e-12
        )
    with pytest.raises(ValueError, match="'base'"):
        med.med_public(E, p, shift, "sum")


def test_grokcore_med_vs_public_base_is_one_more_difference():
    """Ours averages p - 1 differences, the code p - 2 (it stops at b - 1): with a shared
    vocabulary ours = ((p - 2) base + ||E[p-1] - E[p-2]||) / (p - 1)."""
    p = 13
    E = torch.randn(p + 1, 8, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    last = (E[p - 1] - E[p - 2]).norm()
    expect = ((p - 2) * med.med_public(E, p, 0, "base") + last) / (p - 1)
    assert med.med(E, p).item() == pytest.approx(expect.item(), rel=1e-12)


def test_med_is_tracked_during_training_and_equals_the_final_embedding():
    cfg = configs.config(11, d_model=16, num_steps=6, eval_every=3, lr=1e-3, seed=1)
    rec = train_stack([cfg])[0]
    assert len(rec.history["med"]) == len(rec.history["step"]) == 3
    torch.manual_seed(0)
    again = train_stack([cfg])[0]
    assert again.history["med"] == rec.history["med"]  # deterministic
    model = Transformer(cfg.model, 12, 3, 11, [1], torch.float32)
    assert rec.history["med"][0] == pytest.approx(med.med(model.W_E.detach().double(), 11).item())


def test_med_probe_needs_a_transformer_and_probe_names_must_resolve():
    with pytest.raises(ConfigError, match=r"RunConfig\.probes=.*TransformerConfig"):
        RunConfig(probes=(med.MED_PROBE_NAME,))  # default model is an MLP
    with pytest.raises(ConfigError, match="'embedding_fourier'"):
        RunConfig(
            model=TransformerConfig(), probes=("med",)
        )  # a chapter's probe needs its module path
    with pytest.raises(ConfigError, match="cannot be imported"):
        RunConfig(model=TransformerConfig(), probes=("chapters.med.med:NOPE",))


@pytest.mark.parametrize("shift", [0, 5])
def test_the_probes_spread_at_init_is_the_spacing_spread_of_the_embedding(shift):
    cfg = configs.config(11, d_model=16, num_steps=3, eval_every=3, seed=2, shift=shift)
    rec = train_stack([cfg])[0]
    E = Transformer(cfg.model, 12 + shift, 3, 11, [2], torch.float32).W_E.detach().double()
    want = measures.spacing_spread(E, 11, shift) * med.med(E, 11, shift)  # sd = spread * mean
    assert rec.history["med_sd"][0] == pytest.approx(want.item(), rel=1e-12)
    assert measures.end_spread(rec) == pytest.approx(
        rec.history["med_sd"][-1] / rec.history["med"][-1]
    )


@pytest.mark.parametrize(
    "layout, hole, shift", [("square", 4, 0), ("strip", 3, 0), ("strip", 5, 6)]
)
def test_hole_and_rest_accuracies_split_the_test_accuracy(layout, hole, shift):
    """The probe's hole/rest accuracies, weighted by the test pairs in each part, give the
    loop's test accuracy at every evaluation, and the hole is the layout's."""
    cfgs = [
        configs.config(
            13, d_model=16, layout=layout, hole=hole, shift=shift, frac_train=0.4, num_steps=40,
            eval_every=20, lr=3e-3, seed=s,
        )
        for s in range(2)
    ]  # fmt: skip
    for cfg, rec in zip(cfgs, train_stack(cfgs)):
        ds = cfg.task.dataset(cfg.seed)
        x, y = ds.inputs[ds.test_idx].unbind(1)
        in_hole = (x <= hole) & (y <= hole) if layout == "square" else x <= hole
        n_h, n_r = int(in_hole.sum()), int((~in_hole).sum())
        assert n_h == (hole + 1) ** 2 if layout == "square" else n_h == (hole + 1) * 13
        h = rec.history
        for t, a, b in zip(h["test_acc"], h["hole_acc"], h["rest_acc"]):
            assert t == pytest.approx((a * n_h + b * n_r) / (n_h + n_r), abs=1e-12)
    random = train_stack([configs.config(13, d_model=16, num_steps=20, eval_every=10)])[0]
    assert "hole_acc" not in random.history and "med_sd" in random.history
