"""fastgrok.py's weight-decay schedule (`train_model(schedule_wd=True)`, used by its training-
fraction sweep), as a probe a RunConfig names: "chapters.minibatch.schedule:halve_weight_decay".

The code halves AdamW's weight decay at the first step of effective epochs 24, 32, 40, ...
(`epoch = step // steps_per_epoch`). It means to halve the learning rate there too, but writes
`pg['learning_rate']`, a key torch.optim.AdamW never reads, so the learning rate never changes;
here too (the chapter's deviation table says so). The probe also logs the weight decay in force
at every evaluation (`weight_decay`), so a record shows the schedule it ran.
"""

from __future__ import annotations

import torch

from grokcore.hooks import Context, Hook, Probe
from grokcore.train import steps_per_epoch

FIRST_EPOCH = 24  # fastgrok.py: epoch_num >= 24
EVERY = 8  # fastgrok.py: (epoch_num - 24) % 8 == 0


def halvings(step: int, per_epoch: int) -> int:
    """How many times the weight decay has been halved before optimizer step `step` (0-based)."""
    epoch = step // per_epoch
    return 0 if epoch < FIRST_EPOCH else (epoch - FIRST_EPOCH) // EVERY + 1


class HalveWeightDecay(Hook):
    """Sets every parameter group's weight_decay to weight_decay * 0.5 ** halvings(step) before
    each step; the learning rate is left alone (as the code leaves it)."""

    resumable = True
    state_attrs = ("wd",)  # the optimizer's groups are restored with the optimizer

    def setup(self, ctx: Context) -> None:
        if not isinstance(ctx.optimizer, torch.optim.AdamW):
            raise ValueError(
                "halve_weight_decay needs one torch.optim.AdamW for the stack (OptimConfig "
                f"name 'adamw' with one betas and weight_decay), not {type(ctx.optimizer).__name__}"
            )
        self.per_epoch = steps_per_epoch(ctx.cfg)
        self.wd0 = ctx.cfg.optim.weight_decay
        self._set(ctx, 0)

    def _set(self, ctx: Context, step: int) -> None:
        self.wd = self.wd0 * 0.5 ** halvings(step, self.per_epoch)
        for group in ctx.optimizer.param_groups:
            group["weight_decay"] = self.wd

    def at_eval(self, ctx: Context) -> dict[str, torch.Tensor]:
        return {"weight_decay": torch.full((len(ctx.seeds),), self.wd, dtype=torch.float64)}

    def after_update(self, ctx: Context) -> None:
        self._set(ctx, ctx.step + 1)  # the decay in force for the next step


def _needs(cfg) -> str | None:
    if cfg.optim.name != "adamw":
        return "OptimConfig name 'adamw' (the schedule halves AdamW's decoupled weight decay)"
    return None


halve_weight_decay = Probe(lambda cfg: HalveWeightDecay(), _needs)
NAME = "chapters.minibatch.schedule:halve_weight_decay"
