"""Chapter 6's runs (Hanson 2026): scale presets, the fastgrok-style transformer runs of the
batch-size, weight-decay and training-fraction sweeps (§3), and the quadratic-MLP runs (§2).

Transformer configs follow fastgrok.py where grokcore's transformer allows (peer notes): 1 layer,
1 head, d_model 64, a 4x ReLU MLP, untied embedding and unembedding, (a + b) mod p with inputs
"a b =", AdamW lr 1e-3 betas (0.9, 0.995), every step a fresh random minibatch, a budget of
effective epochs (samples seen / n_train), runs stopped at 99% test accuracy. The MLP runs are
`topology.TopoConfig`s (topogrok.py, agopgrok.py).
"""

from __future__ import annotations

from typing import Sequence

from .topology import TopoConfig
from grokcore.config import ModularTask, OptimConfig, RunConfig, TransformerConfig
from grokcore.train import steps_per_epoch

SCALES = {  # a notebook parameter left as None takes these; batch size 0 = full batch
    "smoke": {
        "p": 23,
        "seeds": 2,
        "batch_sizes": [16, 64, 0],
        "num_epochs": 20,
        "fracs": [0.5, 0.8],
        "frac_batch_size": 64,
        "mlp_p": 23,
        "mlp_epochs": 60,
        "variant_batch_size": 16,
    },
    "cpu": {
        "p": 59,
        "seeds": 5,
        "batch_sizes": [8, 16, 32, 64, 0],
        "num_epochs": 100,
        "fracs": [0.45, 0.6, 0.75],
        "frac_batch_size": 8,
        "mlp_p": 59,
        "mlp_epochs": 1500,
        "variant_batch_size": 8,
    },
    # fastgrok.py run_experiment_batch_size: 1, 2, ..., 1024 and full batch, 250 effective epochs
    "paper": {
        "p": 59,
        "seeds": 5,
        "batch_sizes": [2**k for k in range(11)] + [0],
        "num_epochs": 250,
        "fracs": [0.3, 0.4, 0.5, 0.6, 0.7],
        "frac_batch_size": 8,
        "mlp_p": 59,
        "mlp_epochs": 2500,
        "variant_batch_size": 64,
    },  # fastgrok.py run_experiment: batch 64
}


def config(
    p: int,
    batch_size: int | None,
    num_epochs: int,
    *,
    frac_train: float = 0.6,
    d_model: int = 64,
    layer_norm: bool = False,
    weight_decay: float = 0.02,
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.995),
    evals_per_epoch: int = 1,
    stop_at_test_acc: float | None = 0.99,
    probes: tuple[str, ...] = ("embedding_fourier",),
    seed: int = 0,
) -> RunConfig:
    """One fastgrok-style run; the budget is num_epochs effective epochs (n_train // bs steps
    each, as fastgrok.py counts them), evaluated evals_per_epoch times per epoch (at most
    every step). batch_size 0 or None: full batch."""
    task = ModularTask(operation="x+y", p=p, frac_train=frac_train)
    model = TransformerConfig(
        n_layers=1, d_model=d_model, n_heads=1, d_mlp=4 * d_model, layer_norm=layer_norm, act="relu"
    )
    optim = OptimConfig(
        name="adamw",
        lr=lr,
        weight_decay=weight_decay,
        loss_l2=0.0,
        betas=betas,
        batch_size=batch_size or None,
        sampling="iid",
    )
    cfg = RunConfig(
        task=task,
        model=model,
        optim=optim,
        num_steps=1,
        seed=seed,
        stop_at_test_acc=stop_at_test_acc,
        probes=probes,
    )
    per_epoch = steps_per_epoch(cfg)
    return cfg.replace(
        num_steps=num_epochs * per_epoch, eval_every=max(1, per_epoch // evals_per_epoch)
    )


def grid(
    p: int, batch_sizes: Sequence[int | None], seeds: int, num_epochs: int, **kw
) -> list[RunConfig]:
    """Every (batch size, seed) run at a fixed budget of effective epochs."""
    return [config(p, bs, num_epochs, seed=s, **kw) for bs in batch_sizes for s in range(seeds)]


def topo_grid(
    p: int, penalties: Sequence[str], seeds: int, num_epochs: int, **kw
) -> list[TopoConfig]:
    """Every (penalty, seed) run of the quadratic MLP; kw goes to TopoConfig."""
    return [
        TopoConfig(p=p, penalty=pen, num_epochs=num_epochs, seed=s, **kw)
        for pen in penalties
        for s in range(seeds)
    ]


def chunks(records: list, sizes: Sequence[int]) -> list[list]:
    """Split records (returned in config order) into consecutive groups of the given sizes."""
    out, i = [], 0
    for n in sizes:
        out.append(records[i : i + n])
        i += n
    return out
