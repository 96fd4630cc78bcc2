"""The token embedding's Fourier view (grokcore.fourier.embedding_probe) on a thinned grid, as a
probe a RunConfig names: "chapters.minibatch.embedding:fourier".

fastgrok.py validates every max(1, 256 // B) steps, up to thousands of times a run; the
embedding's spectrum and circle (p // 2 + 1 and 2p numbers) at every one of them would make the
shipped records large and say nothing the curve does not. They are logged on their own grid
(history "fourier_step"): at the first evaluation, then whenever the effective epoch has grown
by a factor GROWTH (and by at least one epoch) since the last logged one, at every evaluation
where a member reaches the run's stop (test accuracy >= stop_at_test_acc: its last one), and at
the end of the budget. So each member's last logged view is its final embedding.
"""

from __future__ import annotations

import torch

from grokcore.fourier import embedding_probe
from grokcore.hooks import Context, Hook, Probe
from grokcore.train import steps_per_epoch

GROWTH = 1.25  # about 30 views over 250 epochs, 40 over 2000
KEYS = ("emb_power", "emb_top_freq", "emb_circle")


class ThinnedFourier(Hook):
    grids = {"fourier_step": ("eval", KEYS)}
    resumable = True
    state_attrs = ("next_epoch", "stopped")

    def setup(self, ctx: Context) -> None:
        self.per_epoch = steps_per_epoch(ctx.cfg)
        self.next_epoch = 0.0
        self.stopped = torch.zeros(len(ctx.seeds), dtype=torch.bool)

    def at_eval(self, ctx: Context) -> None:
        cfg, epoch = ctx.cfg, ctx.step / self.per_epoch
        stops = torch.zeros_like(self.stopped)
        if cfg.stop_at_test_acc is not None:
            stops = ~self.stopped & (ctx.metrics["test_acc"] >= cfg.stop_at_test_acc)
        self.stopped |= stops
        if epoch >= self.next_epoch or bool(stops.any()) or ctx.step == cfg.num_steps:
            self.record("fourier_step", ctx.step, embedding_probe(ctx.model))
            self.next_epoch = max(epoch * GROWTH, epoch + 1)
        return None


def _needs(cfg) -> str | None:
    from grokcore.config import TransformerConfig
    from grokcore.fastgrok import FastgrokConfig

    if isinstance(cfg.model, (TransformerConfig, FastgrokConfig)):
        return None
    return "() for a model other than a TransformerConfig or FastgrokConfig (it reads W_E, W_U)"


fourier = Probe(lambda cfg: ThinnedFourier(), _needs)
NAME = "chapters.minibatch.embedding:fourier"
