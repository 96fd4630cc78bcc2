"""Chapter 3's scale presets and runs: the NeuralGrok code's setup, each method's run config, and
the plan of cells (cell name -> configs over seeds) that the notebook trains and reads.

Setup as the NeuralGrok code (peer notes §3): tokens `a b op =` with b in 1..p-1, half the
pairs for training, a pre-LN GELU decoder (2 layers, d_model 128, 4 heads, MLP 4x), Adam with
coupled L2 weight decay 1e-3, lr 1e-3, betas (0.9, 0.98), 10-step warmup, batch 512. The
baselines (standard, Grokfast-MA/EMA, gradient rescaling) are plain RunConfigs; NeuralGrok's
runs are NeuralGrokConfigs (chapters.neuralgrok.neuralgrok).
"""

from __future__ import annotations

from typing import Sequence

from grokcore.config import MethodConfig, ModularTask, OptimConfig, RunConfig, TransformerConfig
from grokcore.records import RunRecord
from grokcore.sweep import run_or_load

from .neuralgrok import AmplifierConfig, NeuralGrokConfig

SCALES = {  # a notebook parameter left as None takes these
    "smoke": {
        "operations": ["x+y", "x-y"],
        "p": 11,
        "frac_train": 0.5,
        "d_model": 16,
        "amp_hidden": [8, 8],
        "seeds": 2,
        "num_steps": 40,
        "ablation_steps": 40,
        "eval_every": 10,
        "rescale_cs": [0.01, 0.5, 1.0, 2.0],
        "neuralgrok_cs": [0.5, 1.0, 2.0],
        "adamw_weight_decays": [1e-3, 1e-2],
        "transfer": True,
    },
    # 2 idle cores, 7 minutes: one task, width 64, 70% train (50% does not grok in 3000 steps
    # at width 64);
    # the amplifier's width does not matter here (it stays uniform) and 8, 8 costs less than 32, 32
    "cpu": {
        "operations": ["x+y"],
        "p": 97,
        "frac_train": 0.7,
        "d_model": 64,
        "amp_hidden": [8, 8],
        "seeds": 3,
        "num_steps": 900,
        "ablation_steps": 400,
        "eval_every": 100,
        "rescale_cs": [0.01, 0.5, 2.0],
        "neuralgrok_cs": [1.0, 2.0],
        "adamw_weight_decays": [1e-2],
        "transfer": True,
    },
    "paper": {
        "operations": ["x+y", "x-y", "x*y", "x^2-y", "a*c+b*d-e"],
        "p": 97,
        "frac_train": 0.5,
        "d_model": 128,
        "amp_hidden": [128, 128],
        "seeds": 3,
        "num_steps": 10000,
        "ablation_steps": 10000,
        "eval_every": 9,
        "rescale_cs": [0.01, 0.5, 1.0, 2.0],
        "neuralgrok_cs": [0.5, 1.0, 2.0],
        "adamw_weight_decays": [1e-3, 1e-2],
        "transfer": True,
    },
}
TRANSFER_TO = "x-y"  # Fig. 12: the task an amplifier is reused on
COMPOSITE = "a*c+b*d-e"  # NeuralGrok's 5-operand task: mod 7, 4 layers, T = 1 (code task1.sh)
METHODS = ("standard", "grokfast_ma", "grokfast_ema", "neuralgrok")  # Table 1's columns
NAMES = {
    "standard": "standard",
    "grokfast_ma": "Grokfast-MA",
    "grokfast_ema": "Grokfast-EMA",
    "neuralgrok": "NeuralGrok",
}


def base_run(
    op: str,
    *,
    p: int,
    d_model: int,
    num_steps: int,
    eval_every: int,
    n_layers: int = 2,
    n_heads: int = 4,
    lr: float = 1e-3,
    weight_decay: float = 1e-3,
    optimizer: str = "adam",
    betas: tuple = (0.9, 0.98),
    warmup_steps: int = 10,
    batch_size: int = 512,
    frac_train: float = 0.5,
    stop_at_test_acc: float | None = 0.95,
    log_entropy: bool = False,
    method: MethodConfig = MethodConfig(),
) -> RunConfig:
    """One run of the code's setup; the composite task (p = 7 in the paper) is the caller's p."""
    task = ModularTask(operation=op, p=p, frac_train=frac_train, min_y=1, token_format="neuralgrok")
    model = TransformerConfig(
        n_layers=n_layers,
        d_model=d_model,
        n_heads=n_heads,
        d_mlp=4 * d_model,
        layer_norm=True,
        act="gelu",
    )
    optim = OptimConfig(
        name=optimizer,
        lr=lr,
        weight_decay=weight_decay,
        loss_l2=0.0,
        betas=betas,
        warmup_steps=warmup_steps,
        batch_size=batch_size,
    )
    return RunConfig(
        task=task,
        model=model,
        optim=optim,
        method=method,
        num_steps=num_steps,
        eval_every=eval_every,
        stop_at_test_acc=stop_at_test_acc,
        log_entropy=log_entropy,
    )


def method_config(
    method: str,
    run: RunConfig,
    *,
    window_size: int = 100,
    lamb_ma: float = 5.0,
    alpha: float = 0.98,
    lamb_ema: float = 2.0,
    rescale_c: float | None = None,
    amp: AmplifierConfig | None = None,
) -> RunConfig | NeuralGrokConfig:
    """The run of `method` ("standard", "grokfast_ma", "grokfast_ema", "neuralgrok", "rescale")."""
    if method == "standard":
        return run
    if method == "grokfast_ma":
        return run.replace(
            method=MethodConfig(name="grokfast_ma", window_size=window_size, lamb=lamb_ma)
        )
    if method == "grokfast_ema":
        return run.replace(method=MethodConfig(name="grokfast_ema", alpha=alpha, lamb=lamb_ema))
    if method == "rescale":
        return run.replace(method=MethodConfig(name="rescale", c=rescale_c))
    if method == "neuralgrok":
        return NeuralGrokConfig(run=run, amp=amp or AmplifierConfig())
    raise ValueError(f"method={method!r} is invalid: allowed {METHODS + ('rescale',)}")


def seeds_of(cfg, seeds: int) -> list:
    """A plan cell: `cfg` at seeds 0..seeds-1."""
    return [cfg.replace(seed=s) for s in range(seeds)]


def cells_of(records: Sequence[RunRecord], plan: dict[str, list]) -> dict[str, list[RunRecord]]:
    """Regroup the records of run_or_load(sum(plan.values(), [])) by the plan's cell names."""
    by_key = {r.key: r for r in records}
    return {name: [by_key[c.key()] for c in cfgs] for name, cfgs in plan.items()}


def run_plan(plan: dict[str, list], recompute: bool = False, **kw) -> dict[str, list[RunRecord]]:
    """run_or_load every cell of the plan and regroup by cell. Transfer runs (a `source`) go
    second: they start from their source run's recorded amplifier."""
    cfgs = [c for cfgs in plan.values() for c in cfgs]
    first = [c for c in cfgs if getattr(c, "source", None) is None]
    records = run_or_load(first, recompute=recompute, **kw)
    records += run_or_load(
        [c for c in cfgs if getattr(c, "source", None) is not None], recompute=recompute, **kw
    )
    return cells_of(records, plan)
