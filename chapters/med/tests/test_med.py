import math

import pytest
import torch

from chapters.med import med
from grokcore.config import ConfigError, ModularTask, RunConfig, TransformerConfig, config_key, to_dict
from grokcore.data import layout_mask, modular_dataset
from grokcore.models import Transformer, structured_embedding
from grokcore.records import new_record
from grokcore.train import train_stack


def slow_med(E, p, shift=0):
    """The definition written out: mean over i = 0..p-2 of ||E[i+1] - E[i]||, per block."""
    def block(d):
        return sum(math.dist(E[d + i + 1].tolist(), E[d + i].tolist()) for i in range(p - 1)) / (p - 1)
    return block(0) if shift == 0 else (block(0) + block(shift)) / 2


@pytest.mark.parametrize("shift", [0, 3, 11])
def test_med_matches_its_definition(shift):
    p = 7
    E = torch.randn(p + shift + 1, 5, generator=torch.Generator().manual_seed(shift), dtype=torch.float64)
    assert med.med(E, p, shift).item() == pytest.approx(slow_med(E, p, shift), rel=1e-12)
    stacked = torch.stack([E, 2 * E])  # [M, V, d]: one value per member, linear in the scale
    assert med.med(stacked, p, shift).tolist() == pytest.approx([slow_med(E, p, shift), 2 * slow_med(E, p, shift)])


@pytest.mark.parametrize("shift", [0, 60])
def test_public_normalizations_differ_by_constants(shift):
    """The public code's three files: base = (m1 + m2)/2, str = 2 base, rec = 2 (p - 1) base."""
    p = 97
    for seed in range(3):
        E = torch.randn(p + shift + 1, 16, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
        base = med.med_public(E, p, shift, "base")
        assert (med.med_public(E, p, shift, "str") / base).item() == pytest.approx(2, rel=1e-12)
        assert (med.med_public(E, p, shift, "rec") / base).item() == pytest.approx(2 * (p - 1), rel=1e-12)
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
    cfg = med.config(11, d_model=16, num_steps=6, eval_every=3, lr=1e-3, seed=1)
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
        RunConfig(model=TransformerConfig(), probes=("med",))  # a chapter's probe needs its module path
    with pytest.raises(ConfigError, match="cannot be imported"):
        RunConfig(model=TransformerConfig(), probes=("chapters.med.med:NOPE",))


# ---- layouts and tokens --------------------------------------------------------------------

def test_square_and_strip_layouts_follow_the_code():
    p, k = 13, 4
    sq = ModularTask(p=p, frac_train=0.3, layout="square", hole=k)
    mask = layout_mask(sq, seed=0).view(p, p)
    assert not mask[: k + 1, : k + 1].any()  # the square is always test
    assert mask.sum() == int(0.3 * p * p) == sq.n_train
    st = ModularTask(p=p, frac_train=0.3, layout="strip", hole=k)
    mask = layout_mask(st, seed=0).view(p, p)
    assert not mask[: k + 1].any() and mask.sum() == st.n_train
    assert layout_mask(st, seed=1).tolist() != mask.flatten().tolist()  # seeded
    ds = modular_dataset(st, seed=0)
    assert len(ds.train_idx) == st.n_train and len(ds.test_idx) == p * p - st.n_train


def test_a_hole_too_big_trains_on_everything_left():
    """MED code, STRIP k = 67 at p = 97: 2813 pairs remain, fewer than int(0.3 p^2) = 2822."""
    t = ModularTask(p=97, frac_train=0.3, layout="strip", hole=67)
    assert (t.n_held_out, t.n_train) == (68 * 97, 2813)
    assert layout_mask(t, 0).sum() == 2813


@pytest.mark.parametrize("kw, field", [
    (dict(layout="ring"), "layout"), (dict(hole=3), "hole"),
    (dict(layout="square", hole=96), "hole"), (dict(shift=-1), "shift"),
    (dict(layout="square", hole=2, min_y=1), "layout"),
])
def test_layout_fields_are_validated(kw, field):
    with pytest.raises(ConfigError, match=rf"\.{field}="):
        ModularTask(**kw)


def test_shifted_vocabulary():
    t = ModularTask(p=5, shift=7)
    ds = modular_dataset(t, seed=0)
    assert ds.tokens[7].tolist() == [1, 2 + 7, 5 + 7]  # i, j + d, '=' = p + d
    assert ds.n_vocab == 13 and ds.labels[7].item() == 3  # labels stay (i + j) mod p
    with pytest.raises(ValueError, match="nanda"):
        modular_dataset(t, seed=0, token_format="neuralgrok")


@pytest.mark.parametrize("op, ref", [
    ("x^2", lambda x, y, p: x * x % p), ("x^2+y^2", lambda x, y, p: (x * x + y * y) % p),
    ("x^3+xy", lambda x, y, p: (x ** 3 + x * y) % p)])
def test_new_operations(op, ref):
    ds = modular_dataset(ModularTask(operation=op, p=7), seed=0)
    assert all(lab == ref(x, y, 7) for (x, y), lab in zip(ds.inputs.tolist(), ds.labels.tolist()))


def test_new_fields_leave_old_keys_alone():
    """Fields added for this chapter are left out of the key at their default value."""
    d = to_dict(RunConfig(task=ModularTask(), model=TransformerConfig()), for_key=True)
    assert "layout" not in d["task"] and "embed_init" not in d["model"] and "probes" not in d
    assert config_key(ModularTask(layout="strip", hole=3)) != config_key(ModularTask())
    from grokcore.config import from_dict
    c = RunConfig(task=ModularTask(layout="strip", hole=3, shift=5), probes=(med.MED_PROBE_NAME,), model=TransformerConfig(embed_init="toeplitz"))
    assert from_dict(to_dict(c)) == c


# ---- structured embeddings -----------------------------------------------------------------

@pytest.mark.parametrize("kind", ["toeplitz", "circulant"])
def test_structured_embedding_rows_are_shifts(kind):
    E = structured_embedding(kind, 10, 6, 0.5, seed=3)
    assert E.shape == (10, 6)
    assert torch.equal(E[1:, 1:], E[:-1, :-1])  # constant diagonals
    if kind == "circulant":
        assert torch.equal(E[1], E[0].roll(1))
    assert torch.equal(E, structured_embedding(kind, 10, 6, 0.5, seed=3))
    with pytest.raises(ValueError, match="toeplitz"):
        structured_embedding("hankel", 10, 6, 0.5, seed=3)


def test_structured_init_changes_only_the_embedding():
    cfg = TransformerConfig(d_model=8, n_heads=2, d_mlp=16)
    a = Transformer(cfg, 12, 3, 11, [0])
    b = Transformer(TransformerConfig(d_model=8, n_heads=2, d_mlp=16, embed_init="toeplitz"), 12, 3, 11, [0])
    for (n, x), (_, y) in zip(a.named_parameters(), b.named_parameters()):
        assert torch.equal(x, y) == (n != "W_E"), n
    e = b.W_E[0].detach()
    assert torch.equal(e[1:, 1:], e[:-1, :-1])


# ---- coverage (Theorem 3.12) -----------------------------------------------------------------

def test_ball_size_counts_the_manhattan_ball():
    for n in (1, 2, 3, 5):
        count = sum(abs(x) + abs(y) < n for x in range(-n, n + 1) for y in range(-n, n + 1))
        assert med.ball_size(n) == count


def test_uncovered_counts_pairs_far_from_training():
    p = 9
    mask = torch.zeros(p, p, dtype=torch.bool)
    mask[4, 4] = True
    assert med.uncovered(mask, p, 1).item() == p * p - 1
    assert med.uncovered(mask, p, 3).item() == p * p - med.ball_size(3)
    mask[0, 0] = True  # wraps around the torus: (8, 0) and (0, 8) are at distance 1
    assert med.uncovered(mask, p, 2).item() == p * p - 2 * med.ball_size(2)


def test_coverage_bound_and_monte_carlo_agree_roughly():
    p, n = 31, 3
    r = med.coverage_bound(p, n)
    assert r == pytest.approx(2 * math.log(31) / 13)
    mc = med.coverage_monte_carlo(p, n, [0.1, 0.2, 0.3, 0.4, 0.5], trials=50, seed=0)
    assert mc["mean_uncovered"] == sorted(mc["mean_uncovered"], reverse=True)
    t = med.threshold_fraction(mc["frac"], mc["mean_uncovered"])
    assert 0.5 * r < t < 1.5 * r
    assert med.threshold_fraction([0.1, 0.2], [5.0, 2.0]) != med.threshold_fraction([0.1, 0.2], [5.0, 2.0])  # nan


# ---- run statistics ------------------------------------------------------------------------

def fake(history, tr99):
    cfg = med.config(11, num_steps=10, eval_every=1)
    return new_record(cfg, history, {"step_to_train_acc_99": tr99, "last_step": history["step"][-1]}, {})


def test_table1_statistics():
    acc = [0.0, 0.05, 0.3, 0.8, 0.7, 0.79, 0.6, 0.78]
    rec = fake({"step": list(range(0, 80, 10)), "test_acc": acc, "train_acc": [1.0] * 8,
                "test_loss": [1.0] * 8, "med": [1.0] * 8}, 10)
    assert med.u_acc(rec) == 0.8
    assert med.l_acc(rec) == 0.6  # lowest after first reaching 0.8 - 0.02
    assert med.go_epoch(rec) == 30  # first >= 0.4 after memorization
    flat = fake({"step": [0, 10, 20], "test_acc": [0.02, 0.03, 0.05], "train_acc": [0.5, 1.0, 1.0],
                 "test_loss": [1.0] * 3, "med": [1.0] * 3}, 10)
    assert med.go_epoch(flat) is None  # "disappear"
    assert med.go_epoch(fake(flat.history, None)) is None


def test_tracking_is_the_post_memorization_correlation():
    h = {"step": [0, 1, 2, 3, 4], "train_acc": [0.1, 1, 1, 1, 1], "test_acc": [0] * 5,
         "test_loss": [9.0, 4.0, 3.0, 2.0, 1.0], "med": [0.0, 8.0, 6.0, 4.0, 2.0],
         "weight_norm": [1.0, 1.0, 3.0, 1.0, 3.0]}
    rec = fake(h, 1)
    assert med.tracking(rec) == pytest.approx(1.0)  # the first point (before memorizing) is out
    assert med.tracking(rec, "weight_norm") == pytest.approx(med.pearson([1, 3, 1, 3], [4, 3, 2, 1]))
    assert math.isnan(med.tracking(fake(h, None)))


def test_scaled_hole_keeps_the_holes_share():
    assert med.scaled_hole(30, 97) == 30 and med.scaled_hole(67, 97) == 67
    assert med.scaled_hole(67, 47) == round(68 * 47 / 97) - 1


def test_experiments_share_the_baseline_cell():
    groups = med.experiments(11, operations=["x+y", "x-y"], square_holes=[30], strip_holes=[40],
                             d_models=[16, 32], dim_layout=("square", 30), layers=[1, 2],
                             embed_inits=["normal", "toeplitz"], seeds=2, d_model=16, num_steps=5,
                             eval_every=5)
    cfgs = med.all_configs(groups)
    # x+y/random/normal/1-layer is one cell in four groups; d_model 16 at the square is the square cell
    assert len(cfgs) == 2 * (2 + 2 + 1 + 1 + 1)
    assert groups["layers"][1][0].key() == groups["operations"]["x+y"][0].key()
    assert groups["d_model"][16][0].key() == groups["layouts"][("square", 30)][0].key()
    recs = [fake({"step": [0], "test_acc": [0.0]}, None) for _ in cfgs]
    recs = [new_record(c, r.history, r.summary, {}) for c, r in zip(cfgs, recs)]
    att = med.attach(groups, recs)
    assert att["layouts"][("strip", 40)][1].config["seed"] == 1
