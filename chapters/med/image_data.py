"""MED §6.3's image-sum data: a dictionary of 11 polygon images and all 11^4 = 14,641 samples
that tile four of them 2x2, labelled by the sum of their side counts (code `resnet/data_gen.py`).

Samples are dictionary combinations (inputs [N, 4]); the model draws their images
(chapters.med.resnet.ImageSumNet), so a dataset costs four integers per sample. We draw the
polygons ourselves (no downloads) with a supersampled rasterizer, in gray (the code's RGB JPEGs
have three equal channels).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from grokcore.config import TaskConfig
from grokcore.data import Dataset

SIDES = (0, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)  # dictionary entries: side counts (code: valid_shapes)
N_SAMPLES = len(SIDES) ** 4  # 14641 (MED §6.3)


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


def dictionary(cfg) -> torch.Tensor:
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
