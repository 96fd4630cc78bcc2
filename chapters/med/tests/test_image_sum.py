import pytest
import torch

from chapters.med import image_sum as I
from grokcore.config import ConfigError, from_dict, to_dict
from grokcore.records import RunRecord
from grokcore.sweep import run_or_load

SMALL = dict(
    tile=6, channels=1, widths=(4, 8), blocks=(1, 1), stem="cifar", num_epochs=2, eval_every=1
)


def test_samples_count_labels_and_order():
    combos, labels = I.samples()
    assert combos.shape == (14641, 4) and I.N_SAMPLES == 11**4
    assert combos.unique(dim=0).shape[0] == 14641  # every combination once
    assert labels.min().item() == 0 and labels.max().item() == 48
    assert labels.tolist() == [sum(I.SIDES[i] for i in row) for row in combos.tolist()]
    assert combos[1].tolist() == [0, 0, 0, 1] and combos[11**3].tolist() == [
        1,
        0,
        0,
        0,
    ]  # a slowest (code's loops)
    # no entry has 1 or 2 sides, so the sums 1 and 2 never occur
    assert set(labels.tolist()) == set(range(49)) - {1, 2}


def test_split_is_25_percent_disjoint_and_seeded():
    cfg = I.ImageSumConfig()
    tr, te = I.split(cfg)
    assert len(tr) == cfg.n_train == 3660  # the code's train_size
    assert len(te) == 14641 - 3660 and not set(tr.tolist()) & set(te.tolist())
    assert torch.equal(I.split(cfg)[0], tr)  # deterministic
    assert not torch.equal(I.split(I.ImageSumConfig(seed=1))[0], tr)


@pytest.mark.parametrize("tile", [6, 8, 32])
def test_dictionary_is_deterministic_distinct_and_in_range(tile):
    cfg = I.ImageSumConfig(tile=tile)
    d = I.dictionary(cfg)
    assert d.shape == (11, tile, tile) and torch.equal(d, I.dictionary(cfg))
    assert d.min() >= 0 and d.max() <= 1
    assert torch.all(d[0] == 1)  # 0 sides: a blank (white) tile, as the code draws nothing
    dist = torch.cdist(d.view(11, -1), d.view(11, -1)) + torch.eye(11) * 1e9
    assert dist.min() > 0.05  # 11 distinct images
    ink = (1 - d).sum((1, 2))
    assert all(
        a < b for a, b in zip(ink[1:].tolist(), ink[2:].tolist())
    )  # more sides, more strokes


def test_polygon_options_change_the_drawing():
    base = I.polygon(5, 16, 0.4, 1.0)
    assert base[8, 8] < 0.5  # spokes meet at the centre
    assert (1 - I.polygon(5, 16, 0.4, 2.0)).sum() > (1 - base).sum()  # wider strokes, more ink
    assert not torch.equal(I.polygon(5, 16, 0.3, 1.0), base)  # radius
    assert torch.all(I.polygon(5, 16, 0.4, 1.0)[0] == 1)  # nothing drawn at the border


def test_images_tile_the_four_entries():
    d = I.dictionary(I.ImageSumConfig(tile=6))
    x = I.images(d, torch.tensor([[1, 2, 3, 4], [0, 0, 0, 10]]))
    assert x.shape == (2, 1, 12, 12)
    assert torch.equal(x[0, 0, :6, :6], d[1]) and torch.equal(x[0, 0, :6, 6:], d[2])
    assert torch.equal(x[0, 0, 6:, :6], d[3]) and torch.equal(x[0, 0, 6:, 6:], d[4])
    assert torch.equal(x[1, 0, 6:, 6:], d[10]) and torch.all(x[1, 0, :6] == 1)


def test_resnet18_layout_matches_torchvision_parameter_count():
    """torchvision resnet18 has 11,689,512 parameters with 1000 classes; with 52 classes the head
    loses 948 x 513 of them: 11,203,188."""
    m = I.ResNet(I.ImageSumConfig())
    assert sum(p.numel() for p in m.parameters()) == 11_689_512 - 948 * 513
    assert len(m.stages) == 8  # [2, 2, 2, 2] BasicBlocks
    out = m(torch.zeros(2, 3, 64, 64))
    assert out.shape == (2, 52)


@pytest.mark.parametrize("stem,size", [("imagenet", 32), ("cifar", 12)])
def test_model_shapes_for_each_stem(stem, size):
    cfg = I.ImageSumConfig(
        tile=size // 2, channels=1, widths=(4, 8, 16), blocks=(1, 2, 1), stem=stem
    )
    m = I.ResNet(cfg)
    assert m(torch.randn(5, 1, size, size)).shape == (5, 52)
    assert sum(isinstance(b, I.BasicBlock) for b in m.stages) == 4
    assert m.fc.in_features == 16


def test_widths_given_as_lists_become_tuples_and_keys_agree():
    a = I.ImageSumConfig(**{**SMALL, "widths": [4, 8], "blocks": [1, 1]})
    assert a.widths == (4, 8) and a.key() == I.ImageSumConfig(**SMALL).key()
    assert from_dict(to_dict(a)) == a


@pytest.mark.parametrize(
    "kw,field",
    [
        ({"tile": 3}, "tile"),
        ({"tile": 8.0}, "tile"),
        ({"radius": 0.7}, "radius"),
        ({"line_width": 0}, "line_width"),
        ({"channels": 0}, "channels"),
        ({"frac_train": 1.0}, "frac_train"),
        ({"widths": (8, 16)}, "widths"),
        ({"widths": 8}, "widths"),
        ({"blocks": (1, 0, 1, 1)}, "widths"),
        ({"stem": "vit"}, "stem"),
        ({"num_classes": 48}, "num_classes"),
        ({"optimizer": "sgd"}, "optimizer"),
        ({"lr": 0}, "lr"),
        ({"weight_decay": -1}, "weight_decay"),
        ({"batch_size": 0}, "batch_size"),
        ({"num_epochs": 0}, "num_epochs"),
        ({"eval_every": 0}, "eval_every"),
        ({"stop_at_test_acc": 1.5}, "stop_at_test_acc"),
    ],
)
def test_bad_parameters_fail_before_training(kw, field):
    with pytest.raises(ConfigError, match=rf"ImageSumConfig\.{field}=.*allowed"):
        I.ImageSumConfig(**kw)


def _fit(cfg, n):
    """Fit the first n training samples with the run's model and optimizer (full batch)."""
    torch.manual_seed(cfg.seed)
    tiles, (combos, labels) = I.dictionary(cfg), I.samples()
    idx = I.split(cfg)[0][:n]
    x, y = I.images(tiles, combos[idx]), labels[idx]
    m = I.ResNet(cfg)
    opt = torch.optim.Adam(m.parameters(), lr=cfg.lr)
    for _ in range(100):
        loss = torch.nn.functional.cross_entropy(m(x).double(), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    I.recalibrate_bn(m, lambda j: x[j], torch.arange(n))
    m.eval()
    return (m(x).argmax(1) == y).double().mean().item()


def test_a_small_resnet_fits_a_tiny_train_set():
    assert _fit(I.ImageSumConfig(**{**SMALL, "widths": (8, 16), "lr": 1e-2}), 32) == 1.0


def test_training_record_round_trip_and_determinism(tmp_cache):
    cfg = I.ImageSumConfig(**SMALL, batch_size=1000)
    rec = run_or_load([cfg])[0]
    assert rec.history["epoch"] == [0, 1, 2] and rec.history["step"] == [
        0,
        4,
        8,
    ]  # 3660 / 1000 -> 4 steps
    assert set(rec.history) == {
        "epoch",
        "step",
        "train_loss",
        "train_acc",
        "test_loss",
        "test_acc",
        "train_acc_running",
        "weight_norm",
    }
    assert (
        rec.meta["wall_s"] > 0 and rec.meta["steps_per_s"] > 0 and rec.meta["train_steps_per_s"] > 0
    )
    assert rec.summary["last_epoch"] == 2 and "epoch_to_test_acc_90" in rec.summary
    again = RunRecord.from_json(rec.to_json(), expect_key=cfg.key())
    assert again.cfg == cfg and again.history == rec.history
    assert run_or_load([cfg])[0].meta["wall_s"] == rec.meta["wall_s"]  # a cache hit
    assert I.train_image_sum(cfg).history == rec.history  # same seed, same run


def test_options_reach_the_training():
    base = I.ImageSumConfig(**{**SMALL, "batch_size": 1000, "num_epochs": 1})
    ref = I.train_image_sum(base).history["train_loss"][-1]
    for change in (
        {"optimizer": "adamw", "weight_decay": 0.5},
        {"weight_decay": 0.5},
        {"lr": 1e-2},
        {"batch_size": 500},
        {"seed": 1},
        {"line_width": 1.5},
        {"channels": 2},
    ):
        other = I.train_image_sum(
            I.ImageSumConfig(**{**SMALL, "batch_size": 1000, "num_epochs": 1, **change})
        )
        assert other.history["train_loss"][-1] != ref, change


def test_bn_recalibrate_changes_evaluations_not_training():
    a = I.train_image_sum(I.ImageSumConfig(**SMALL, batch_size=1000))
    b = I.train_image_sum(I.ImageSumConfig(**SMALL, batch_size=1000, bn_recalibrate=True))
    assert a.history["train_acc_running"][1:] == b.history["train_acc_running"][1:]  # same training
    assert a.history["test_loss"][1:] != b.history["test_loss"][1:]


def test_stop_at_test_acc_and_summary():
    cfg = I.ImageSumConfig(**{**SMALL, "num_epochs": 5, "stop_at_test_acc": 1e-6})
    rec = I.train_image_sum(cfg)
    assert rec.history["epoch"][-1] < 5  # stopped at the first evaluation above the level
    h = {
        "epoch": [0, 10, 20, 30],
        "step": [0, 1, 2, 3],
        "train_acc": [0, 0.995, 1, 1],
        "test_acc": [0, 0.2, 0.6, 0.95],
        "train_loss": [1] * 4,
        "test_loss": [1] * 4,
    }
    s = I.summarize(h)
    assert s["epoch_to_train_acc_99"] == 10 and s["test_acc_at_train_acc_99"] == 0.2
    assert (
        s["epoch_to_test_acc_50"] == 20
        and s["epoch_to_test_acc_90"] == 30
        and s["epoch_to_test_acc_99"] is None
    )


def _reference(cfg):
    """The MED code's loop written plainly (resnet_test.py): Adam(lr, weight_decay), each epoch a
    seeded shuffle split into batches (the last smaller), cross-entropy of float64 logits; every
    eval_every epochs BatchNorm statistics recomputed on the train set, then whole-set accuracy
    in eval mode; the running train accuracy of the last epoch's batches."""
    import torch.nn.functional as F

    tiles = I.dictionary(cfg)
    mean, std = tiles.mean(), tiles.std()
    combos, labels = I.samples()
    train, test = I.split(cfg)

    def x_of(j):
        return ((I.images(tiles, combos[j]) - mean) / std).expand(-1, cfg.channels, -1, -1)

    torch.manual_seed(cfg.seed)
    model = I.ResNet(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    order = torch.Generator().manual_seed(cfg.seed * 1_000_003 + 1)
    h = {"train_acc": [], "test_acc": [], "train_acc_running": []}
    hits = 0
    for epoch in range(cfg.num_epochs + 1):
        if epoch % cfg.eval_every == 0 or epoch == cfg.num_epochs:
            I.recalibrate_bn(
                model,
                lambda c: ((I.images(tiles, c) - mean) / std).expand(-1, cfg.channels, -1, -1),
                combos[train],
            )
            model.eval()
            with torch.inference_mode():
                accs = [
                    (model(x_of(idx)).argmax(1) == labels[idx]).double().mean().item()
                    for idx in (train, test)
                ]
            model.train()
            h["train_acc"].append(accs[0])
            h["test_acc"].append(accs[1])
            h["train_acc_running"].append(hits / len(train) if epoch else accs[0])
            if epoch == cfg.num_epochs:
                break
        hits = 0
        for j in train[torch.randperm(len(train), generator=order)].split(cfg.batch_size):
            out = model(x_of(j)).double()
            loss = F.cross_entropy(out, labels[j])
            hits += (out.detach().argmax(1) == labels[j]).sum().item()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return h


def test_training_through_the_one_loop_equals_the_codes_plain_loop():
    """grokcore's loop with the ResNet, its hook and last_batch='keep' trains exactly as the
    code's loop."""
    cfg = I.ImageSumConfig(
        **{**SMALL, "batch_size": 700, "num_epochs": 2, "eval_every": 1, "bn_recalibrate": True}
    )
    ours, ref = I.train_image_sum(cfg).history, _reference(cfg)
    for k in ref:
        assert ours[k] == pytest.approx(ref[k], abs=1e-12), k
