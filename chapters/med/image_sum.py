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

This module holds the run (ImageSumConfig, its scale presets) and its training through grokcore's
one loop; the data is chapters.med.image_data, the model chapters.med.resnet, and what the
chapter reads from a run chapters.med.measures.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from grokcore.config import ConfigError, Experiment, OptimConfig, RunConfig, config_key
from grokcore.hooks import Hook
from grokcore.records import RunRecord, new_record
from grokcore.train import steps_per_epoch, train_stack

from .image_data import (  # noqa: F401  (the data, also read from here)
    N_SAMPLES,
    SIDES,
    ImageSumTask,
    dictionary,
    images,
    polygon,
    samples,
    split,
)
from .resnet import BasicBlock, ImageSumNet, ResNet, ResNetConfig  # noqa: F401

STEMS = ("imagenet", "cifar")  # 7x7/2 conv + 3x3/2 max-pool (torchvision), or one 3x3/1 conv
OPTIMIZERS = ("adam", "adamw")  # torch.optim.Adam: coupled L2 (the code); AdamW: decoupled


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


class ImageSumHook(Hook):
    """BatchNorm statistics recomputed before each evaluation (bn_recalibrate), and the code's
    running train accuracy: train-mode predictions on the last epoch's batches."""

    resumable = True  # BatchNorm's statistics are the model's buffers (its state_dict)
    state_attrs = ("hits",)

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
    summary = dict(summarize(h), diverged_at=rec.summary["diverged_at"])
    return new_record(cfg, h, summary, meta)


def _run_unit(cfgs: list[ImageSumConfig], device: str) -> list[RunRecord]:
    return [train_image_sum(c, device) for c in cfgs]
