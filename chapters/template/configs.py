"""The template chapter's scale presets and runs: standard training against one gradient transform.

REPLACE: the experiment. This one is EGD §5.2's two-layer ReLU MLP on (x+y) mod p (EGD App. B:
half the pairs for training, width 512, SGD lr 0.7, batch 512, L2 1e-4 in the loss), trained once
with plain gradients and once with a gradient transform (`method`, a name registered in
grokcore.transforms: "egd", "grokfast_ema", or one you add). Runs are RunConfigs; the sweep trains
what has no record yet and loads the rest from the run cache, keyed by config.
"""

from __future__ import annotations

from typing import Sequence

from grokcore.config import MethodConfig, MLPConfig, ModularTask, OptimConfig, RunConfig
from grokcore.records import RunRecord
from grokcore.sweep import run_or_load
from grokcore.train import steps_per_epoch


STANDARD = "none"  # MethodConfig.name of plain gradients


def make_configs(
    p: int,
    width: int,
    seeds: int,
    num_steps: int,
    method: str = "egd",
    *,
    frac_train: float = 0.5,
    lr: float = 0.7,
    batch_size: int = 512,
    loss_l2: float = 1e-4,
    eval_epochs: int = 1,
) -> dict[str, list[RunConfig]]:
    """The chapter's runs by arm: {"none": standard training, method: the transform}, one config
    per seed (seeds 0..seeds-1, the same splits and inits in both arms).

    REPLACE: your arms. Defaults: EGD App. B; the transform's own hyperparameters are
    MethodConfig's defaults (each names its source). eval_epochs: evaluate every this many
    epochs (the EGD code evaluates every epoch)."""
    task = ModularTask(operation="x+y", p=p, frac_train=frac_train)
    base = RunConfig(
        task=task,
        model=MLPConfig(width=width),
        optim=OptimConfig(name="sgd", lr=lr, loss_l2=loss_l2, batch_size=batch_size),
        num_steps=num_steps,
    )
    base = base.replace(eval_every=eval_epochs * steps_per_epoch(base))
    return {
        name: [base.replace(method=MethodConfig(name=name), seed=s) for s in range(seeds)]
        for name in (STANDARD, method)
    }


def run(
    cfgs: dict[str, Sequence[RunConfig]],
    *,
    recompute: bool = False,
    progress: bool = False,
    workers: int | None = None,
) -> dict[str, list[RunRecord]]:
    """Records for every arm, in the same order: one sweep, so all runs share the process pool
    (`workers` processes, default one per core; 1 trains in this process).

    Each run is loaded when a record exists (grokcore.sweep.run_or_load) and trained otherwise."""
    flat = [c for arm in cfgs.values() for c in arm]
    records = iter(run_or_load(flat, recompute=recompute, progress=progress, workers=workers))
    return {name: [next(records) for _ in arm] for name, arm in cfgs.items()}


# A chapter whose runs need more than a RunConfig (a probe of its own, a second phase) defines
# its own frozen config around one; run_or_load trains, caches and loads it the same way:
#
#     @dataclass(frozen=True)
#     class ProbedRun(grokcore.config.WrapsRun):  # a RunConfig `run` plus the chapter's fields
#         run: RunConfig
#         probe_every: int = 100  # steps between probes (name the source of every default)
#
#         @classmethod
#         def train(cls, cfgs, device="cpu"):  # one stack of configs -> one RunRecord each
#             recs = train_stack([c.run for c in cfgs], device=device, hooks=[MyProbe(cfgs)])
#             return [new_record(c, r.history, r.summary, r.meta) for c, r in zip(cfgs, recs)]
#
# (chapters/adam_dynamics/configs.py: DynamicsRun is a full example.)
