"""Chapter 6's runs (Hanson 2026): scale presets and every cell the notebook trains (`plan`).

The transformer runs are fastgrok.py's own (`grokcore.presets.fastgrok`, peer-code.md §5):
its GrokkingTransformer (d 64, 1 head, rotary positions, embeddings N(0, 0.02^2), the MLP
reading ln2(context), W_o unused), (a + b) mod p with tokens [a, b, =], AdamW lr 1e-3 with
amsgrad, betas (0.9, 0.995), eps 1e-5 and decoupled weight decay 0.02, every step a fresh
minibatch, a budget of effective epochs (n_train // B steps each), validation every
max(1, 256 // B) steps below batch 256 and once per effective epoch above, and a stop at
validation accuracy 1.0. The MLP runs are `topology.TopoConfig`s (topogrok.py, agopgrok.py).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Sequence

from .embedding import NAME as FOURIER
from .progress import NAME as NANDA
from .schedule import NAME as HALVE_WEIGHT_DECAY
from .topology import TopoConfig
from grokcore.config import RunConfig
from grokcore.presets import preset
from grokcore.train import steps_per_epoch


# fastgrok.py run_experiment(): its four conditions at BATCH_SIZE 64 (name -> model and decay)
CONDITIONS: dict[str, dict[str, Any]] = {
    "no LayerNorm": dict(layer_norm=False, mlp_bias=True),
    "LayerNorm": dict(layer_norm=True, mlp_bias=True),
    "LayerNorm, no MLP bias": dict(layer_norm=True, mlp_bias=False),
    "LayerNorm, no bias, no decay": dict(layer_norm=True, mlp_bias=False, weight_decay=0.0),
}


def config(
    p: int,
    batch_size: int | None,
    num_epochs: int,
    *,
    frac_train: float = 0.6,
    d_model: int = 64,
    layer_norm: bool = True,
    mlp_bias: bool = False,
    weight_decay: float = 0.02,
    lr: float = 1e-3,
    schedule_wd: bool = False,
    stop_at_test_acc: float | None = 1.0,
    probes: tuple[str, ...] = (FOURIER,),
    seed: int = 0,
    fast: bool = False,
) -> RunConfig:
    """One fastgrok.py `train_model` run: num_epochs effective epochs of n_train // B steps
    (one step per epoch at full batch: batch_size 0 or None, or B >= n_train), validation as the
    code logs it, a stop at stop_at_test_acc. schedule_wd: the code's weight-decay halving
    (chapters.minibatch.schedule). The defaults are run_experiment_batch_size()'s.

    fast: torch.optim's fused AdamW (amsgrad kept) and a compiled forward (RunConfig.compile):
    the same function with other float rounding (tests/unit/test_shortcuts.py), 1.9x per step
    together on this model (bench/presets_speed.py: 3.3 -> 2.2 ms); the compile's minutes of
    warm-up pay on long runs only. Off where records were made without it (their keys would
    change)."""
    run = preset("fastgrok")
    cfg = replace(
        run,
        task=replace(run.task, p=p, frac_train=frac_train),
        model=replace(run.model, d_model=d_model, layer_norm=layer_norm, mlp_bias=mlp_bias),
        optim=replace(
            run.optim,
            lr=lr,
            weight_decay=weight_decay,
            batch_size=batch_size or None,
            fused=fast,
        ),
        compile=fast,
        num_steps=1,
        seed=seed,
        stop_at_test_acc=stop_at_test_acc,
        probes=probes + ((HALVE_WEIGHT_DECAY,) if schedule_wd else ()),
    )
    per = steps_per_epoch(cfg)
    bs = cfg.optim.batch_size
    minibatch = bs is not None and bs < cfg.task.n_train
    every = max(1, 256 // bs) if minibatch and bs < 256 else per  # fastgrok.py log_every
    return cfg.replace(num_steps=num_epochs * per, eval_every=every)


def seeds_of(cfg: Any, n: int) -> list:
    return [cfg.replace(seed=s) for s in range(n)]


def grid(p: int, batch_sizes: Sequence[int | None], seeds: int, num_epochs: int, **kw) -> list:
    """Every (batch size, seed) run at a fixed budget of effective epochs."""
    return [r for bs in batch_sizes for r in seeds_of(config(p, bs, num_epochs, **kw), seeds)]


def topo_grid(
    p: int, penalties: Sequence[str], seeds: int, num_epochs: int, **kw
) -> list[TopoConfig]:
    """Every (penalty, seed) run of the quadratic MLP; kw goes to TopoConfig."""
    return [
        TopoConfig(p=p, penalty=pen, num_epochs=num_epochs, seed=s, **kw)
        for pen in penalties
        for s in range(seeds)
    ]


def plan(P: dict, v: dict) -> dict[str, dict]:
    """Every cell the chapter trains, from the scale's values `P` (grokcore.params.at_scale)
    and the notebook's parameters `v`; the notebook trains exactly this and parameters.py
    checks exactly this. Returns {"batch": {batch size -> runs} (full batch keyed 0, given
    P["full_epochs"]), "conditions": {name -> runs} (CONDITIONS at P["conditions_batch_size"]
    for P["conditions_epochs"]),
    "fracs": {fraction -> runs} (p = P["frac_p"]), "progress": {batch size -> runs} (Nanda's
    progress measures, P["progress_epochs"] without a stop), "mlp": {penalty -> runs}}, each
    over P["seeds"] seeds."""
    S = P["seeds"]
    common = dict(
        frac_train=v["frac_train"],
        d_model=v["d_model"],
        lr=v["lr"],
        weight_decay=v["weight_decay"],
        layer_norm=v["layer_norm"],
        mlp_bias=v["mlp_bias"],
        fast=P["fast"],
    )
    batch = {
        bs: seeds_of(
            config(P["p"], bs, P["full_epochs"] if bs == 0 else P["num_epochs"], **common), S
        )
        for bs in P["batch_sizes"]
    }
    # no probe: the conditions' rows and figure read the accuracies only
    conditions = {
        name: seeds_of(
            config(
                P["p"],
                P["conditions_batch_size"],
                P["conditions_epochs"],
                **{**common, **kw},
                probes=(),
            ),
            S,
        )
        for name, kw in CONDITIONS.items()
    }
    fracs = {
        f: seeds_of(
            config(
                P["frac_p"],
                P["frac_batch_size"],
                P["frac_epochs"],
                **{**common, "frac_train": f},
                schedule_wd=v["schedule_wd"],
            ),
            S,
        )
        for f in P["fracs"]
    }
    cbs = P["conditions_batch_size"]
    progress = {
        cbs: seeds_of(
            config(
                P["p"],
                cbs,
                P["progress_epochs"],
                **common,
                stop_at_test_acc=None,
                probes=(FOURIER, NANDA),
            ),
            S,
        )
    }
    mlp = {
        pen: topo_grid(P["mlp_p"], [pen], S, P["mlp_epochs"], stop_at_test_acc=v["mlp_threshold"])
        for pen in v["mlp_penalties"]
    }
    return {
        "batch": batch,
        "conditions": conditions,
        "fracs": fracs,
        "progress": progress,
        "mlp": mlp,
    }


def flat(cells: dict) -> list:
    """The configs of a plan's group (name -> runs), in order."""
    return [c for runs in cells.values() for c in runs]


def flat_plan(plan: dict) -> list:
    """Every config of a plan, group by group, cell by cell (one run_or_load trains them all)."""
    return [c for cells in plan.values() for c in flat(cells)]


def regroup_plan(plan: dict, records: list) -> dict:
    """Records returned in flat_plan(plan) order, in the plan's shape (group -> cell -> runs)."""
    out: dict = {}
    i = 0
    for group, cells in plan.items():
        out[group] = {}
        for k, runs in cells.items():
            out[group][k], i = records[i : i + len(runs)], i + len(runs)
    return out
