"""MED paper §6.3: grokking on a deeper network, a ResNet on sums of four dictionary images.

The task (MED §6.3, Fig. 6; code `resnet/data_gen.py`): a dictionary of 11 images, regular
polygons with 0 (a blank tile) or 3..12 sides, drawn in black outline with spokes from the centre
to each vertex on white. A sample tiles four dictionary images 2x2; its label is the sum of their
side counts (0..48). All 11^4 = 14,641 combinations exist; 25% (3660, as the code) train.

    >>> c = ImageSumConfig(tile=8)
    >>> combos, labels = samples()        # combos [14641, 4] dictionary rows, labels [14641]
    >>> combos[14640].tolist(), labels[14640].item()
    ([10, 10, 10, 10], 48)
    >>> images(dictionary(c), combos[:2]).shape   # [batch, 1, 2 tile, 2 tile]
    torch.Size([2, 1, 16, 16])

We draw the images ourselves (no downloads) with a supersampled rasterizer, in gray (the code's
RGB JPEGs have three equal channels); the model is our own ResNet (no torchvision), randomly
initialized (the code fine-tunes an ImageNet-pretrained torchvision resnet18).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from grokcore.config import (
    ConfigError,
    Experiment,
    ModelConfig,
    OptimConfig,
    RunConfig,
    TaskConfig,
    config_key,
)
from grokcore.data import Dataset
from grokcore.hooks import Hook
from grokcore.records import RunRecord, new_record
from grokcore.train import steps_per_epoch, train_stack

SIDES = (0, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)  # dictionary entries: side counts (code: valid_shapes)
N_SAMPLES = len(SIDES) ** 4  # 14641 (MED §6.3)
STEMS = ("imagenet", "cifar")  # 7x7/2 conv + 3x3/2 max-pool (torchvision), or one 3x3/1 conv
OPTIMIZERS = ("adam", "adamw")  # torch.optim.Adam: coupled L2 (the code); AdamW: decoupled
SCALES = {  # chapter 5's resnet_* parameters left as None take these (ImageSumConfig field names)
    "smoke": {
        "tile": 6,
        "channels": 1,
        "widths": [4, 8],
        "blocks": [1, 1],
        "stem": "cifar",
        "num_epochs": 2,
        "eval_every": 1,
        "bn_recalibrate": True,
    },
    "cpu": {
        "tile": 8,
        "channels": 1,
        "widths": [8, 16, 32, 64],
        "blocks": [1, 1, 1, 1],
        "stem": "cifar",
        "num_epochs": 50,
        "eval_every": 5,
        "bn_recalibrate": True,
    },  # ~70 CPU-s per seed (idle core)
    "paper": {
        "tile": 112,
        "channels": 3,
        "widths": [64, 128, 256, 512],
        "blocks": [2, 2, 2, 2],
        "stem": "imagenet",
        "num_epochs": 20_000,
        "eval_every": 100,
        "bn_recalibrate": False,
    },  # the code
}


@dataclass(frozen=True)
class ImageSumConfig(Experiment):
    """One image-sum run. Defaults: the MED code `resnet/resnet_test.py` and `data_gen.py`."""

    tile: int = 112  # pixels per tile side (code: 224 x 224 images, 2 x 2 tiles of 112)
    radius: float = 46 / 112  # polygon circumradius as a fraction of the tile (code: 46 of 112 px)
    line_width: float = 1.0  # stroke width in pixels (code: PIL's default width 1)
    channels: int = 3  # input channels, gray copied to each (code: RGB of a black-on-white drawing)
    frac_train: float = 0.25  # training samples / 14641 (MED §6.3: 25%; code: 3660)
    widths: tuple[int, ...] = (64, 128, 256, 512)  # channels per stage (ResNet-18, He et al. 2016)
    blocks: tuple[int, ...] = (2, 2, 2, 2)  # BasicBlocks per stage (ResNet-18)
    stem: str = "imagenet"  # "imagenet" (torchvision resnet18) or "cifar" (for small images)
    num_classes: int = 52  # output classes (code: num_classes=52; labels use 0..48)
    optimizer: str = "adam"  # "adam" = torch.optim.Adam, L2 added to the gradient (code)
    lr: float = 1e-3  # (MED §6.3 and code)
    weight_decay: float = 1e-4  # coupled L2 with "adam", decoupled with "adamw" (code: 1e-4)
    batch_size: int = 200  # (code), reshuffled every epoch, the last batch smaller
    num_epochs: int = 20_000  # (code)
    eval_every: int = 100  # epochs between evaluations of the whole train and test sets (code: 100)
    # True: recompute BatchNorm statistics on the train set before each evaluation ("precise BN");
    # False: the running estimates, as the code (they lag the weights under weight decay)
    bn_recalibrate: bool = False
    stop_at_test_acc: float | None = None  # stop once test accuracy reaches this; None: never
    seed: int = 0  # split, init and batch order

    def __post_init__(self) -> None:
        for name in ("widths", "blocks"):  # a notebook gives lists; keys and records hold tuples
            if isinstance(getattr(self, name), (list, tuple)):
                object.__setattr__(self, name, tuple(getattr(self, name)))

        def pos(v) -> bool:
            return isinstance(v, int) and not isinstance(v, bool) and v > 0

        checks = [
            (n, lambda n=n: pos(getattr(self, n)), "a positive integer")
            for n in ("tile", "channels", "batch_size", "num_epochs", "eval_every")
        ] + [
            (
                "tile",
                lambda: self.tile >= 4,
                "an integer >= 4 (smaller tiles cannot tell 11 polygons apart)",
            ),
            ("radius", lambda: 0 < self.radius <= 0.5, "a number in (0, 0.5]"),
            (
                "line_width",
                lambda: 0 < self.line_width <= self.tile / 4,
                f"a number in (0, tile / 4 = {self.tile / 4}]",
            ),
            (
                "frac_train",
                lambda: 0 < self.frac_train < 1 and self.n_train >= 1,
                "a number in (0, 1) leaving at least one training sample",
            ),
            (
                "widths",
                lambda: isinstance(self.widths, tuple)
                and isinstance(self.blocks, tuple)
                and 0 < len(self.widths) == len(self.blocks)
                and all(map(pos, self.widths + self.blocks)),
                "positive integers, one per stage, as many as blocks",
            ),
            ("stem", lambda: self.stem in STEMS, "one of " + ", ".join(map(repr, STEMS))),
            (
                "num_classes",
                lambda: pos(self.num_classes) and self.num_classes > 4 * max(SIDES),
                f"an integer > {4 * max(SIDES)} (labels run 0..{4 * max(SIDES)})",
            ),
            (
                "optimizer",
                lambda: self.optimizer in OPTIMIZERS,
                "one of " + ", ".join(map(repr, OPTIMIZERS)),
            ),
            ("lr", lambda: self.lr > 0, "a positive number"),
            ("weight_decay", lambda: self.weight_decay >= 0, "a number >= 0"),
            (
                "stop_at_test_acc",
                lambda: self.stop_at_test_acc is None or 0 < self.stop_at_test_acc <= 1,
                "None or a number in (0, 1]",
            ),
        ]
        for name, ok, allowed in checks:
            if not ok():
                raise ConfigError(
                    f"ImageSumConfig.{name}={getattr(self, name)!r} is invalid: allowed {allowed}"
                )

    @property
    def n_train(self) -> int:
        return int(self.frac_train * N_SAMPLES)

    @property
    def run(self) -> RunConfig:
        """The run grokcore's loop trains: Adam (torch defaults, betas (0.9, 0.999)) with the
        code's L2 (coupled) or AdamW, batches of batch_size with the last one smaller, budgets and
        evaluations in steps (epochs x batches per epoch)."""
        model = ResNetConfig(
            self.tile,
            self.radius,
            self.line_width,
            self.channels,
            self.widths,
            self.blocks,
            self.stem,
            self.num_classes,
        )
        optim = OptimConfig(
            name=self.optimizer,
            lr=self.lr,
            weight_decay=self.weight_decay,
            betas=(0.9, 0.999),
            loss_l2=0.0,
            batch_size=self.batch_size,
            last_batch="keep",
        )
        run = RunConfig(
            task=ImageSumTask(self.frac_train),
            model=model,
            optim=optim,
            num_steps=1,
            eval_every=1,
            stop_at_test_acc=self.stop_at_test_acc,
            seed=self.seed,
        )
        per_epoch = steps_per_epoch(run)
        return run.replace(
            num_steps=self.num_epochs * per_epoch, eval_every=self.eval_every * per_epoch
        )

    @property
    def stack_key(self) -> str:
        return config_key(self)  # one run per unit: seeds do not stack

    @classmethod
    def train(cls, cfgs: list, device: str = "cpu") -> list[RunRecord]:
        return _run_unit(cfgs, device)


# ---- data ---------------------------------------------------------------------------------------


def polygon(
    sides: int, size: int, radius: float, line_width: float, supersample: int = 8
) -> torch.Tensor:
    """One dictionary image [size, size] in [0, 1], 1 = white: a regular polygon's outline and its
    spokes (centre to each vertex), first vertex to the right as in the code; 0 sides: blank.

    Each pixel is the fraction of its supersample x supersample points farther than line_width / 2
    from every stroke (anti-aliasing)."""
    if sides == 0:
        return torch.ones(size, size)
    c, r = size / 2, radius * size
    ang = torch.arange(sides, dtype=torch.float64) * 2 * math.pi / sides
    v = torch.stack([c + r * torch.cos(ang), c + r * torch.sin(ang)], 1)  # [sides, 2] (x, y)
    a = torch.cat([v, torch.full_like(v, c)])  # [2 sides, 2] segment starts: edges, then spokes
    b = torch.cat([v.roll(-1, 0), v])  # [2 sides, 2] segment ends
    u = (torch.arange(size * supersample, dtype=torch.float64) + 0.5) / supersample
    pts = torch.stack(torch.meshgrid(u, u, indexing="xy"), -1).view(-1, 1, 2)  # [N, 1, 2] (x, y)
    ab = b - a  # [S, 2]
    t = (((pts - a) * ab).sum(-1) / (ab * ab).sum(-1)).clamp(0, 1)  # [N, S] projection onto segment
    dist = (pts - a - t[..., None] * ab).norm(dim=-1).min(-1).values  # [N] nearest stroke
    white = (dist > line_width / 2).double().view(size, supersample, size, supersample)
    return white.mean((1, 3)).float()  # [size, size]


def dictionary(cfg: ImageSumConfig) -> torch.Tensor:
    """The 11 dictionary images, row i has SIDES[i] sides: [11, tile, tile]."""
    return torch.stack([polygon(s, cfg.tile, cfg.radius, cfg.line_width) for s in SIDES])


def samples() -> tuple[torch.Tensor, torch.Tensor]:
    """Every combination (a, b, c, d) of dictionary rows, a slowest as the code's loops, and its
    label, the sum of the four side counts: combos [14641, 4] long, labels [14641] long."""
    n = len(SIDES)
    i = torch.arange(N_SAMPLES)
    combos = torch.stack([i // n**3, i // n**2 % n, i // n % n, i % n], 1)  # [N, 4]
    return combos, torch.tensor(SIDES)[combos].sum(1)


def images(tiles: torch.Tensor, combos: torch.Tensor) -> torch.Tensor:
    """Tile four dictionary images 2x2 (a top-left, b top-right, c bottom-left, d bottom-right):
    tiles [11, t, t], combos [B, 4] -> [B, 1, 2t, 2t]."""
    t = tiles.shape[-1]
    x = tiles[combos].view(-1, 2, 2, t, t)  # [B, row, col, y, x]
    return x.permute(0, 1, 3, 2, 4).reshape(-1, 1, 2 * t, 2 * t)  # [B, 1, row*y, col*x]


def split(cfg, seed: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """A random cfg.n_train of the 14641 samples train (seeded by `seed`, default cfg.seed), the
    rest test: train [n_train], test [14641 - n_train], sorted."""
    perm = torch.randperm(
        N_SAMPLES, generator=torch.Generator().manual_seed(cfg.seed if seed is None else seed)
    )
    return perm[: cfg.n_train].sort().values, perm[cfg.n_train :].sort().values


# ---- model --------------------------------------------------------------------------------------


class BasicBlock(nn.Module):
    """He et al. 2016's two-conv residual block, as torchvision's (projection shortcut on
    change)."""

    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.down = None
        if stride != 1 or c_in != c_out:
            self.down = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(out + (x if self.down is None else self.down(x)))


class ResNet(nn.Module):
    """ResNet with BasicBlocks: stem, stages (the first at stride 1, the others 2), global average
    pool, linear head. widths (64, 128, 256, 512), blocks (2, 2, 2, 2), stem "imagenet" is
    torchvision's resnet18 layout. Init as torchvision (Kaiming fan-out convs, BN 1 and 0)."""

    def __init__(self, cfg: ImageSumConfig):
        super().__init__()
        w0 = cfg.widths[0]
        if cfg.stem == "imagenet":
            self.stem = nn.Sequential(
                nn.Conv2d(cfg.channels, w0, 7, 2, 3, bias=False),
                nn.BatchNorm2d(w0),
                nn.ReLU(),
                nn.MaxPool2d(3, 2, 1),
            )
        else:
            self.stem = nn.Sequential(
                nn.Conv2d(cfg.channels, w0, 3, 1, 1, bias=False), nn.BatchNorm2d(w0), nn.ReLU()
            )
        layers, c = [], w0
        for i, (w, n) in enumerate(zip(cfg.widths, cfg.blocks)):
            for j in range(n):
                layers.append(BasicBlock(c, w, 2 if i > 0 and j == 0 else 1))
                c = w
        self.stages = nn.Sequential(*layers)
        self.fc = nn.Linear(c, cfg.num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.stages(self.stem(x))  # [B, C, H', W']
        return self.fc(h.mean((2, 3)))  # [B, num_classes]


# ---- training, through grokcore's one loop -------------------------------------------------------


@dataclass(frozen=True)
class ImageSumTask(TaskConfig):
    """The 14,641 samples as dictionary combinations (inputs [N, 4]) and their labels, split at
    random (seeded) into n_train train samples and the rest; the model draws the images."""

    frac_train: float = 0.25  # (MED §6.3: 25%; code: 3660)

    @property
    def n_train(self) -> int:
        return int(self.frac_train * N_SAMPLES)

    @property
    def n_classes(self) -> int:
        return 4 * max(SIDES) + 1  # labels 0..48

    def dataset(self, seed: int) -> Dataset:
        combos, labels = samples()
        train, test = split(self, seed)
        return Dataset(combos, None, labels, train, test, len(SIDES), self.n_classes)


@dataclass(frozen=True)
class ResNetConfig(ModelConfig):
    """The ResNet with the images it reads drawn inside (see ImageSumNet); ImageSumConfig's
    fields."""

    tile: int = 112
    radius: float = 46 / 112
    line_width: float = 1.0
    channels: int = 3
    widths: tuple[int, ...] = (64, 128, 256, 512)
    blocks: tuple[int, ...] = (2, 2, 2, 2)
    stem: str = "imagenet"
    num_classes: int = 52

    def build(self, run, ds, seeds, dtype) -> "ImageSumNet":
        if len(seeds) != 1:
            raise ValueError(
                "the ResNet does not stack: one seed per run (ImageSumConfig.stack_key)"
            )
        torch.manual_seed(seeds[0])  # torchvision-style init draws from the global generator (code)
        return ImageSumNet(self)


class ImageSumNet(nn.Module):
    """Samples -> images -> ResNet, as a one-member stacked model: x [1, B, 4] dictionary rows ->
    logits [1, B, num_classes] in float64 (the code takes the cross-entropy of .double() logits).

    In inference mode (grokcore.train.evaluate) it runs in eval mode (BatchNorm running
    statistics), otherwise in train mode."""

    def __init__(self, cfg: ResNetConfig):
        super().__init__()
        self.cfg = cfg
        self.net = ResNet(cfg)
        tiles = dictionary(cfg)  # [11, t, t]
        self.register_buffer("tiles", tiles)
        self.register_buffer(
            "mean", tiles.mean()
        )  # every tile is equally common: the dataset's stats
        self.register_buffer("std", tiles.std())

    def images(self, combos: torch.Tensor) -> torch.Tensor:
        """combos [B, 4] -> normalized images [B, channels, 2t, 2t]."""
        return ((images(self.tiles, combos) - self.mean) / self.std).expand(
            -1, self.cfg.channels, -1, -1
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.net.train(not torch.is_inference_mode_enabled())
        return self.net(self.images(x[0])).double()[None]  # [1, B, num_classes]

    def weight_norm(self) -> torch.Tensor:
        """L2 norm of all parameters: [1]."""
        return torch.sqrt(sum(p.detach().double().pow(2).sum() for p in self.parameters()))[None]

    def matrices(self) -> list[str]:
        return []  # no loss-L2 term: the code's Adam adds its L2 to the gradient


class ImageSumHook(Hook):
    """BatchNorm statistics recomputed before each evaluation (bn_recalibrate), and the code's
    running train accuracy: train-mode predictions on the last epoch's batches."""

    def __init__(self, cfg: "ImageSumConfig", steps_per_epoch: int):
        super().__init__()
        self.cfg, self.per_epoch = cfg, steps_per_epoch
        self.hits = 0

    def before_eval(self, ctx) -> None:
        if self.cfg.bn_recalibrate:
            recalibrate_bn(ctx.model.net, ctx.model.images, ctx.data.x[0, ctx.data.train_idx[0]])

    def at_eval(self, ctx) -> dict[str, torch.Tensor]:
        n = ctx.data.train_idx.shape[1]
        running = (
            ctx.metrics["train_acc"]
            if ctx.step == 0
            else torch.tensor([self.hits / n], dtype=torch.float64)
        )
        return {"train_acc_running": running}

    def after_update(self, ctx) -> None:
        if ctx.step % self.per_epoch == 0:  # the first batch of an epoch
            self.hits = 0
        self.hits += (ctx.out.detach()[0].argmax(1) == ctx.y[0]).sum().item()


@torch.no_grad()
def recalibrate_bn(model: ResNet, x_of, combos: torch.Tensor, chunk: int = 2000) -> None:
    """Set every BatchNorm's statistics to their average over the given samples at the current
    weights: combos [n, 4] -> x_of -> images."""
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the chunks
    model.train()
    for j in combos.split(chunk):
        model(x_of(j))
    for m in bns:
        m.momentum = 0.1  # PyTorch's default, as built


def first_epoch(h: dict, key: str, level: float) -> int | None:
    """First evaluated epoch with h[key] >= level; None: not reached (censored)."""
    return next((e for e, v in zip(h["epoch"], h[key]) if v >= level), None)


def summarize(h: dict) -> dict:
    s = {
        "last_epoch": h["epoch"][-1],
        "last_step": h["step"][-1],
        "max_test_acc": max(h["test_acc"]),
    }
    for t in (50, 90, 95, 99):
        s[f"epoch_to_test_acc_{t}"] = first_epoch(h, "test_acc", t / 100)
    s["epoch_to_train_acc_99"] = mem = first_epoch(h, "train_acc", 0.99)
    s["test_acc_at_train_acc_99"] = None if mem is None else h["test_acc"][h["epoch"].index(mem)]
    return s


def train_image_sum(cfg: ImageSumConfig, device: str = "cpu", log=None) -> RunRecord:
    """Train one run (MED code: minibatch Adam, cross-entropy, the last batch of an epoch
    smaller) through grokcore's one loop, evaluating the whole train and test sets every
    eval_every epochs; log(step, metrics) is called at each evaluation."""
    run = cfg.run
    rec = train_stack(
        [run], device=device, log=log, hooks=[ImageSumHook(cfg, steps_per_epoch(run))]
    )[0]
    h = dict(rec.history)
    h["epoch"] = [s // steps_per_epoch(run) for s in h["step"]]
    meta = dict(rec.meta, n_params=sum(p.numel() for p in ResNet(run.model).parameters()))
    return new_record(cfg, h, summarize(h), meta)


def _run_unit(cfgs: list[ImageSumConfig], device: str) -> list[RunRecord]:
    return [train_image_sum(c, device) for c in cfgs]


# ---- what the chapter reads from a run ----------------------------------------------------------


def rise_after_memorization(rec) -> float | None:
    """Highest test accuracy from the first evaluation with train accuracy >= 99% on, minus the test
    accuracy there (MED Fig. 7's grokking: test accuracy climbs after the train set is fit);
    None if train accuracy never reaches 99% (censored)."""
    s, h = rec.summary, rec.history
    if s["epoch_to_train_acc_99"] is None:
        return None
    i = h["epoch"].index(s["epoch_to_train_acc_99"])
    return max(h["test_acc"][i:]) - h["test_acc"][i]


def delay_ratio(rec, level: int = 90) -> float | None:
    """Epochs to `level`% test accuracy over epochs to 99% train accuracy (grokking: >> 1);
    None if either is not reached (censored)."""
    s = rec.summary
    mem, gen = s["epoch_to_train_acc_99"], s[f"epoch_to_test_acc_{level}"]
    return None if not mem or gen is None else gen / mem


def seed_table(recs):
    """One row per seed: when the train set is fit, test accuracy then and later, speed."""
    import pandas as pd

    def pct(v):
        return None if v is None else 100 * v

    rows = [
        {
            "seed": r.cfg.seed,
            "epoch train 99%": r.summary["epoch_to_train_acc_99"],
            "test acc then (%)": pct(r.summary["test_acc_at_train_acc_99"]),
            "max test acc (%)": pct(r.summary["max_test_acc"]),
            "final train acc (%)": pct(r.final["train_acc"]),
            "final test acc (%)": pct(r.final["test_acc"]),
            "epoch test 90%": r.summary["epoch_to_test_acc_90"],
            "epochs": r.summary["last_epoch"],
            "wall (s)": r.meta["wall_s"],
            "train steps/s": r.meta["train_steps_per_s"],
        }
        for r in recs
    ]
    return pd.DataFrame(rows)
