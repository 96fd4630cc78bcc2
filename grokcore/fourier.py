"""Fourier view of a token embedding over the integers mod p (Nanda et al. 2023, §4).

A grokked modular-addition network embeds token x along cos(2 pi k x / p) and sin(2 pi k x / p)
for a few key frequencies k. `embedding_power` measures how much of the embedding's variance
lies at each frequency; `circle` gives the tokens' coordinates in the plane of one frequency,
where a grokked embedding draws the integers in order around a circle.
"""

from __future__ import annotations

import math

import torch


def embedding_power(w: torch.Tensor) -> torch.Tensor:
    """Share of the embedding's variance at each frequency k = 0..p//2.

    w [..., p, d]: row x embeds the integer x. The rows are centred (k = 0 is then 0) and
    their DFT along x is summed in power over d; shares sum to 1. Returns [..., p//2 + 1]."""
    wc = w.double() - w.double().mean(-2, keepdim=True)
    f = torch.fft.rfft(wc, dim=-2)  # [..., p//2+1, d]
    power = f.abs().pow(2).sum(-1)
    power[..., 1:] *= 2  # k and p - k carry the same power (p odd: no Nyquist term)
    return power / power.sum(-1, keepdim=True).clamp_min(1e-300)


def top_share(power: torch.Tensor, k: int) -> torch.Tensor:
    """Share of the variance in the k strongest frequencies: power [..., F] -> [...]."""
    return power.topk(k, dim=-1).values.sum(-1)


def circle(w: torch.Tensor, k: int) -> torch.Tensor:
    """Coordinates of the p tokens in the plane of frequency k: w [p, d] -> [p, 2].

    The plane is spanned by Re and Im of the k-th DFT coefficient (a d-vector each,
    orthonormalized), then whitened: for w[x] = a cos(2 pi k x / p) + b sin(2 pi k x / p) the
    points lie on the unit circle, x + 1 one turn of 2 pi k / p after x."""
    wc = w.double() - w.double().mean(0)
    p = w.shape[0]
    phase = torch.exp(-2j * math.pi * k * torch.arange(p, dtype=torch.float64) / p)  # [p]
    coef = (phase[:, None] * wc).sum(0)  # [d] complex
    basis, _ = torch.linalg.qr(torch.stack([coef.real, coef.imag], dim=1))  # [d, 2]
    xy = wc @ basis  # [p, 2]
    evals, evecs = torch.linalg.eigh(xy.T @ xy / p * 2)  # an ellipse -> the unit circle
    return (
        xy
        @ evecs
        @ torch.diag(evals.clamp_min(1e-12 * evals.max().clamp_min(1e-300)).rsqrt())
        @ evecs.T
    )


def embedding_probe(model) -> dict[str, torch.Tensor]:
    """Per-member Fourier summary of a Transformer's token embedding over the p number tokens:
    emb_power [M, p//2+1], emb_top_freq [M] and emb_circle [M, p, 2] in the top frequency's
    plane."""
    p = model.W_U.shape[-1]  # classes = the integers mod p
    w = model.W_E.detach()[:, :p]  # [M, p, d]: number tokens only (the '=' token is p)
    power = embedding_power(w)  # [M, p//2+1]
    top = power.argmax(-1)  # [M]
    xy = torch.stack([circle(w[i], int(top[i])) for i in range(w.shape[0])])
    return {"emb_power": power, "emb_top_freq": top.double(), "emb_circle": xy}
