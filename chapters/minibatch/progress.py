"""Nanda et al.'s progress measures (2023, §5; peer-code.md §6) for the grokked transformer, as
a probe a RunConfig names: "chapters.minibatch.progress:nanda".

- Key frequencies: each MLP neuron's activation at the read-out position over all p^2 pairs
  (x, y), centred, in the 2D Fourier basis (the constant and the normalized cos/sin of
  2 pi f x / p, f = 1..p // 2, on each axis); a neuron's frequency is the f whose 3 x 3 block
  (constant, cos f, sin f on each axis) holds the largest share of its power; the key
  frequencies are the set of the neurons' frequencies (dead neurons left out), read from the
  member's final model, as the paper reads them from the trained one.
- Restricted loss: the logits projected, along the pair axis, onto the directions
  cos(w_f (x + y)) and sin(w_f (x + y)) of the key frequencies (w_f = 2 pi f / p), plus the
  mean of what the projection removed, scored by cross-entropy on every pair.
- Excluded loss: the logits less that projection, scored on the training pairs (the paper
  removes all key frequencies at once; its code's list, one value per frequency, is not kept).

Both are computed at the end of the run on weights kept every EVERY_EPOCHS effective epochs
(the paper: every 100 epochs of a 40,000-epoch run) and logged on their own grid
(history "progress_step", "restricted_loss", "excluded_loss"; meta "key_freqs").
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from grokcore.hooks import Context, Hook, Probe
from grokcore.train import steps_per_epoch

EVERY_EPOCHS = 2


def fourier_basis(p: int, dtype=torch.float64) -> torch.Tensor:
    """Orthonormal rows [p, p]: the constant, then cos and sin of 2 pi f x / p for f = 1..p//2
    (p odd)."""
    x = torch.arange(p, dtype=dtype)
    rows = [torch.full((p,), 1 / math.sqrt(p), dtype=dtype)]
    for f in range(1, p // 2 + 1):
        for trig in (torch.cos, torch.sin):
            v = trig(2 * math.pi * f * x / p)
            rows.append(v / v.norm())
    return torch.stack(rows)


def neuron_frequencies(act: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """act [p, p, n] (x, y, neuron) -> (each neuron's frequency [n], the share of its power in
    that frequency's 3 x 3 block [n]; NaN for a dead neuron)."""
    p = act.shape[0]
    a = act.double() - act.double().mean((0, 1))
    B = fourier_basis(p).to(a.device)  # built on the CPU; the activations may be on a GPU
    C = torch.einsum("ix,jy,xyn->ijn", B, B, a)  # [p, p, n] 2D Fourier coefficients
    total = C.pow(2).sum((0, 1))  # [n] (orthonormal basis: the centred activations' power)
    shares = []
    for f in range(1, p // 2 + 1):
        idx = torch.tensor([0, 2 * f - 1, 2 * f])
        shares.append(C[idx][:, idx].pow(2).sum((0, 1)))
    share = torch.stack(shares) / total  # [p // 2, n]
    best, frac = share.argmax(0) + 1, share.max(0).values
    dead = total <= 1e-20 * total.max().clamp_min(1e-300)
    return best, torch.where(dead, torch.nan, frac)


def key_frequencies(act: torch.Tensor) -> list[int]:
    """The set of the live neurons' frequencies (neuron_frequencies), sorted."""
    best, frac = neuron_frequencies(act)
    return sorted(set(best[~frac.isnan()].tolist()))


def trig_directions(x: torch.Tensor, y: torch.Tensor, p: int, freqs: list[int]) -> torch.Tensor:
    """Unit vectors over the pairs [N, 2K]: cos and sin of 2 pi f (x + y) / p per key f
    (orthonormal over all p^2 pairs)."""
    s = (x + y).double()
    cols = []
    for f in freqs:
        for trig in (torch.cos, torch.sin):
            v = trig(2 * math.pi * f * s / p)
            cols.append(v / v.norm())
    return torch.stack(cols, 1) if cols else torch.zeros(len(s), 0, dtype=s.dtype, device=s.device)


def restricted_and_excluded(
    logits: torch.Tensor, labels: torch.Tensor, U: torch.Tensor, train: torch.Tensor
) -> tuple[float, float]:
    """logits [N, C] over all pairs, labels [N], U [N, 2K] (trig_directions), train [n]
    indices -> (restricted loss on all pairs, excluded loss on the training pairs)."""
    z = logits.double()
    proj = U @ (U.T @ z)  # [N, C]: the key frequencies' part of every logit, along the pairs
    restricted = proj + (z - proj).mean(0, keepdim=True)
    excluded = z - proj
    return (
        F.cross_entropy(restricted, labels).item(),
        F.cross_entropy(excluded[train], labels[train]).item(),
    )


class NandaProgress(Hook):
    """Keeps the weights every EVERY_EPOCHS epochs; at the end, each member's key frequencies
    from its final weights and its restricted and excluded losses at every kept step. Every
    member runs the whole budget (the probe refuses stop_at_test_acc)."""

    resumable = True
    state_attrs = ("kept", "next_step")  # the weights kept so far, and when to keep the next

    def setup(self, ctx: Context) -> None:
        self.ctx, self.every = ctx, max(1, round(EVERY_EPOCHS * steps_per_epoch(ctx.cfg)))
        self.kept: list[tuple[int, dict]] = []
        self.next_step = 0
        self.out: list[dict] | None = None

    def at_eval(self, ctx: Context) -> None:
        """Keeps the weights at the first evaluation at or after each multiple of `every`
        steps, and at the end."""
        if ctx.step >= self.next_step or ctx.step == ctx.cfg.num_steps:
            self.kept.append((ctx.step, {n: p.detach().clone() for n, p in ctx.params.items()}))
            self.next_step = (ctx.step // self.every + 1) * self.every
        return None

    def _forward(self, params: dict) -> tuple[torch.Tensor, torch.Tensor]:
        model, data = self.ctx.model, self.ctx.data
        with torch.no_grad():
            for n, p in self.ctx.params.items():
                p.copy_(params[n])
            keep: dict = {}
            logits = model(data.x, keep)  # [M, N, C] over every pair
        return logits, keep[0][:, :, 0]  # [M, N, 4d] the MLP at the read-out position

    def _compute(self) -> list[dict]:
        ctx, data = self.ctx, self.ctx.data
        final = {n: p.detach().clone() for n, p in ctx.params.items()}
        p = ctx.cfg.task.p
        x, y = data.first.inputs[:, 0], data.first.inputs[:, 1]
        order = (x * p + y).argsort()  # the pairs as a p x p grid
        _, hidden = self._forward(self.kept[-1][1])  # every member ends at the same step
        keys = [key_frequencies(h[order].reshape(p, p, -1)) for h in hidden]
        U = [trig_directions(x, y, p, k) for k in keys]
        out = [{"restricted_loss": [], "excluded_loss": []} for _ in keys]
        for _, params in self.kept:
            logits, _ = self._forward(params)
            for i, o in enumerate(out):
                r, e = restricted_and_excluded(logits[i], data.y[i], U[i], data.train_idx[i])
                o["restricted_loss"].append(r)
                o["excluded_loss"].append(e)
        with torch.no_grad():  # the model as training left it
            for n, prm in ctx.params.items():
                prm.copy_(final[n])
        for o, k in zip(out, keys):
            o["progress_step"], o["key_freqs"] = [s for s, _ in self.kept], k
        return out

    def finish(self, i: int, history: dict, meta: dict) -> None:
        if self.out is None:
            self.out = self._compute()
        res = self.out[i]
        history.update({k: v for k, v in res.items() if k != "key_freqs"})
        meta["key_freqs"] = res["key_freqs"]


def _needs(cfg) -> str | None:
    from grokcore.fastgrok import FastgrokConfig

    if not isinstance(cfg.model, FastgrokConfig) or cfg.task.operation != "x+y":
        return "() unless the model is a FastgrokConfig on x+y (the probe reads its MLP)"
    if cfg.stop_at_test_acc is not None:
        return "() unless stop_at_test_acc is None (every member runs its whole budget)"
    return None


nanda = Probe(lambda cfg: NandaProgress(), _needs)
NAME = "chapters.minibatch.progress:nanda"
