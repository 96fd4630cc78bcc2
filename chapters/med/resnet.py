"""MED §6.3's model: a ResNet with BasicBlocks (He et al. 2016) in torchvision's resnet18 layout,
our own (no torchvision), randomly initialized; wrapped as a one-member stacked model that draws
the images of the samples it reads (the code fine-tunes an ImageNet-pretrained resnet18).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from grokcore.config import ModelConfig

from .image_data import dictionary, images


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

    def __init__(self, cfg: ResNetConfig):
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
