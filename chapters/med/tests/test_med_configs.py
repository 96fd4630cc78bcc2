import pytest
import torch

from chapters.med import configs, med, scales
from grokcore.config import (
    ConfigError,
    ModularTask,
    RunConfig,
    TransformerConfig,
    config_key,
    to_dict,
)
from grokcore.data import layout_mask, modular_dataset
from grokcore.models import Transformer, structured_embedding
from grokcore.records import new_record
from grokcore.train import train_stack


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


@pytest.mark.parametrize(
    "kw, field",
    [
        (dict(layout="ring"), "layout"),
        (dict(hole=3), "hole"),
        (dict(layout="square", hole=96), "hole"),
        (dict(shift=-1), "shift"),
        (dict(layout="square", hole=2, min_y=1), "layout"),
    ],
)
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


@pytest.mark.parametrize(
    "op, ref",
    [
        ("x^2", lambda x, y, p: x * x % p),
        ("x^2+y^2", lambda x, y, p: (x * x + y * y) % p),
        ("x^3+xy", lambda x, y, p: (x**3 + x * y) % p),
    ],
)
def test_new_operations(op, ref):
    ds = modular_dataset(ModularTask(operation=op, p=7), seed=0)
    assert all(lab == ref(x, y, 7) for (x, y), lab in zip(ds.inputs.tolist(), ds.labels.tolist()))


def test_new_fields_leave_old_keys_alone():
    """Fields added for this chapter are left out of the key at their default value."""
    d = to_dict(RunConfig(task=ModularTask(), model=TransformerConfig()), for_key=True)
    assert "layout" not in d["task"] and "embed_init" not in d["model"] and "probes" not in d
    assert config_key(ModularTask(layout="strip", hole=3)) != config_key(ModularTask())
    from grokcore.config import from_dict

    c = RunConfig(
        task=ModularTask(layout="strip", hole=3, shift=5),
        probes=(med.MED_PROBE_NAME,),
        model=TransformerConfig(embed_init="toeplitz"),
    )
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
    b = Transformer(
        TransformerConfig(d_model=8, n_heads=2, d_mlp=16, embed_init="toeplitz"), 12, 3, 11, [0]
    )
    for (n, x), (_, y) in zip(a.named_parameters(), b.named_parameters()):
        assert torch.equal(x, y) == (n != "W_E"), n
    e = b.W_E[0].detach()
    assert torch.equal(e[1:, 1:], e[:-1, :-1])


# ---- scale presets and experiments --------------------------------------------------------


def test_scaled_hole_keeps_the_holes_share():
    assert configs.scaled_hole(30, 97) == 30 and configs.scaled_hole(67, 97) == 67
    assert configs.scaled_hole(67, 47) == round(68 * 47 / 97) - 1


def test_scaled_shift_keeps_the_codes_share_of_unseen_tokens():
    assert configs.scaled_shift(97) == 60 and configs.scaled_shift(41) == 25


def test_extra_groups_add_a_fraction_a_weight_decay_and_a_vocabulary():
    kw = dict(operations=["x+y"], square_holes=[], strip_holes=[67], d_models=[], layers=[1])
    groups = configs.experiments(
        41, dim_layout=("square", 30), embed_inits=["normal"], seeds=2, d_model=16,
        strip_shift=7, random_fracs=[0.3], compare_weight_decays=[0.0], **kw,
    )  # fmt: skip
    assert [c.task.frac_train for c in groups["random_frac"][0.3]] == [0.3, 0.3]
    assert sorted(groups["weight_decay"]) == [0.0, 1.0]
    assert groups["weight_decay"][0.0][1].optim.weight_decay == 0.0
    assert groups["strip_vocab"][67][0].task.shift == 7
    assert groups["layouts"][("strip", 67)][0].task.shift == 0  # the shared vocabulary


def test_experiments_share_the_baseline_cell():
    groups = configs.experiments(
        11,
        operations=["x+y", "x-y"],
        square_holes=[30],
        strip_holes=[40],
        d_models=[16, 32],
        dim_layout=("square", 30),
        layers=[1, 2],
        embed_inits=["normal", "toeplitz"],
        seeds=2,
        d_model=16,
        num_steps=5,
        eval_every=5,
    )
    cfgs = configs.all_configs(groups)
    # x+y/random/normal/1-layer is one cell in five groups (weight decay 1 too); d_model 16 at
    # the square is the square cell; the STRIP hole once more with a separate vocabulary
    assert len(cfgs) == 2 * (2 + 2 + 1 + 1 + 1 + 1)
    assert groups["weight_decay"][1.0][0].key() == groups["operations"]["x+y"][0].key()
    assert groups["random_frac"] == {}
    own = groups["strip_vocab"][40][0].task
    assert own.shift == configs.scaled_shift(11) == round(60 * 11 / 97) and own.layout == "strip"
    assert groups["layers"][1][0].key() == groups["operations"]["x+y"][0].key()
    assert groups["d_model"][16][0].key() == groups["layouts"][("square", 30)][0].key()
    recs = [new_record(c, {"step": [0], "test_acc": [0.0]}, {"last_step": 0}, {}) for c in cfgs]
    att = configs.attach(groups, recs)
    assert att["layouts"][("strip", 40)][1].config["seed"] == 1


def test_fast_is_the_paper_scales_and_keeps_cpu_keys():
    """Issue 25's options (fused AdamW; per_token_first from 2 layers) are on at the paper scale
    only, where no record exists yet; off, they leave a config's key alone."""
    assert scales.SCALES["paper"]["fast"] and not scales.SCALES["cpu"]["fast"]
    plain = configs.config(41, d_model=64, n_layers=2)
    fast = configs.config(41, d_model=64, n_layers=2, fast=True)
    key = to_dict(plain, for_key=True)  # off, the fields are left out of the key
    assert "fused" not in key["optim"] and "per_token_first" not in key["model"]
    assert fast.optim.fused and fast.model.per_token_first and fast.key() != plain.key()
    one = configs.config(41, d_model=64, n_layers=1, fast=True)
    assert one.optim.fused and not one.model.per_token_first  # 1 layer: read-out only already
    a, b = (
        train_stack([c.replace(num_steps=6, eval_every=3, dtype="float64")])[0]
        for c in (plain, fast)
    )
    assert a.history["test_loss"] == pytest.approx(b.history["test_loss"], rel=1e-9)
