"""Chapter 4's scale presets and runs: the β1 and weight-decay sweeps of the Grokking Dynamics
blog, with the diagnostics it reads logged as the runs train.

A run here is a `DynamicsRun`: a RunConfig plus the diagnostics logged at its evaluations
(chapters.adam_dynamics.diagnostics, through the `Probe` hook). Every evaluation logs the
gradient agreement of two random halves of a fresh batch and the cosine between Adam's first
moment and that batch's gradient; every `hessian_every` steps also the top Hessian eigenvalue
and the effective rank of per-sample gradients. The probes never touch the model, the optimizer
or the training batches, so a run's training curve is the same with or without them. Runs
differing only in seed, β1 and weight decay train as one stacked model (grokcore.stacked_optim).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Sequence

import torch

from grokcore.config import (
    MethodConfig,
    ModularTask,
    OptimConfig,
    RunConfig,
    TransformerConfig,
    WrapsRun,
    _check,
    _positive_int,
)
from grokcore.hooks import Hook
from grokcore.records import RunRecord, new_record
from grokcore.train import stream_seed, train_stack

from . import diagnostics as dynamics
from .measures import gap

# the blog's β1 sweep: "390 jobs = 13 beta1 values x 30 seeds" from 0 to 0.95 (its figure's points)
BLOG_BETA1S = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]
# Optimizer settings at which the Grokfast 2x2 is also run, besides the chapter's own AdamW (lr,
# weight_decay): name -> (optimizer, lr factor, weight-decay factor, fixed lr, fixed weight
# decay). A factor multiplies the chapter's value; `lamb` stands for Grokfast's 1 + λ.
GROKFAST_SETTINGS = {
    # lucidrains/grokfast-pytorch GrokFastAdamW (normalize_lr=True): lr / (1 + λ) undoes the
    # filter's (1 + λ)-fold gradient; the decoupled decay per step (lr * wd) falls with it
    "lr-scaled": ("adamw", "1/lamb", 1.0, None, None),
    # the same smaller step with the chapter's decay per step (lr * wd unchanged)
    "lr-scaled-same-decay": ("adamw", "1/lamb", "lamb", None, None),
    # Grokfast's README run of EMA (main.py: torch.optim.Adam, coupled L2 0.005, lr 1e-3)
    "grokfast-code": ("adam", 1.0, 1.0, 1e-3, 0.005),
    # the blog says "Adam": torch.optim.Adam with the same numbers, its weight decay a coupled L2
    "adam-l2": ("adam", 1.0, 1.0, None, None),
}


@dataclass(frozen=True)
class DynamicsRun(WrapsRun):
    """A training run with the diagnostics of the Grokking Dynamics blog logged as it trains.
    Runs that differ only in seed, β1 and weight decay stack (WrapsRun, RunConfig.stack_key)."""

    run: RunConfig
    agreement_batch: int = (
        512  # examples drawn per evaluation, split in two halves (blog: "a batch")
    )
    hessian_every: int = 0  # steps between Hessian / effective-rank probes; 0 = off
    lanczos_iters: int = 15  # Lanczos steps (Hessian-vector products) per top eigenvalue
    hessian_samples: int = 512  # fixed random training examples the Hessian is taken on
    rank_samples: int = 128  # training examples whose per-sample gradients form the rank matrix

    @classmethod
    def train(cls, cfgs: list, device: str = "cpu") -> list[RunRecord]:
        return run_dynamics(cfgs, device)

    def __post_init__(self) -> None:
        w = "DynamicsRun"
        _positive_int(
            w,
            agreement_batch=self.agreement_batch,
            lanczos_iters=self.lanczos_iters,
            hessian_samples=self.hessian_samples,
            rank_samples=self.rank_samples,
        )
        _check(
            self.agreement_batch >= 2, w, "agreement_batch", self.agreement_batch, "an integer >= 2"
        )
        _check(
            isinstance(self.hessian_every, int)
            and self.hessian_every >= 0
            and self.hessian_every % self.run.eval_every == 0,
            w,
            "hessian_every",
            self.hessian_every,
            f"0 or a multiple of run.eval_every={self.run.eval_every}",
        )


def base_run(
    p: int,
    d_model: int,
    d_mlp: int,
    num_steps: int,
    *,
    frac_train: float = 0.3,
    n_layers: int = 2,
    n_heads: int = 4,
    lr: float = 3e-3,
    beta2: float = 0.98,
    batch_size: int | None = 512,
    warmup_steps: int = 10,
    eval_every: int = 20,
    eval_test: int | None = None,
    per_token_first: bool = False,
) -> RunConfig:
    """(x+y) mod p with a transformer (no LayerNorm, ReLU, Nanda layout) and AdamW."""
    return RunConfig(
        task=ModularTask(operation="x+y", p=p, frac_train=frac_train),
        model=TransformerConfig(
            n_layers=n_layers,
            d_model=d_model,
            n_heads=n_heads,
            d_mlp=d_mlp,
            per_token_first=per_token_first,
        ),
        optim=OptimConfig(
            name="adamw",
            lr=lr,
            weight_decay=1.0,
            betas=(0.9, beta2),
            loss_l2=0.0,
            batch_size=batch_size,
            warmup_steps=warmup_steps,
        ),
        num_steps=num_steps,
        eval_every=eval_every,
        eval_test=eval_test,
    )


def variant(
    base: RunConfig,
    beta1: float,
    weight_decay: float,
    seed: int,
    method: MethodConfig | None = None,
) -> RunConfig:
    """`base` at (β1, decoupled weight decay, seed), with `method` (a gradient transform) if
    given."""
    optim = dataclasses.replace(
        base.optim, betas=(beta1, base.optim.betas[1]), weight_decay=weight_decay
    )
    return base.replace(optim=optim, seed=seed, method=method or base.method)


def setting_optim(base: RunConfig, setting: str, weight_decay: float, lamb: float) -> RunConfig:
    """`base` with the optimizer of GROKFAST_SETTINGS[setting] (β1 and seed unchanged): the
    chapter's lr and `weight_decay` scaled by the setting's factors, or its fixed values."""
    name, lr_f, wd_f, lr, wd = GROKFAST_SETTINGS[setting]

    def factor(f):
        return {"1/lamb": 1 / (1 + lamb), "lamb": 1 + lamb}.get(f, f)

    optim = dataclasses.replace(
        base.optim,
        name=name,
        lr=lr if lr is not None else base.optim.lr * factor(lr_f),
        weight_decay=wd if wd is not None else weight_decay * factor(wd_f),
    )
    return base.replace(optim=optim)


def grokfast_model_runs(
    beta1s: Sequence[float],
    seeds: int,
    num_steps: int | None = None,
    method: MethodConfig | None = None,
) -> list[RunConfig]:
    """The Grokfast 2x2 on Grokfast's own run: the README's EMA run (grokcore.baselines
    "grokfast_ema": ironjr/grokfast main.py's decoder on x*y mod 97, 50% train, batch 512,
    torch.optim.Adam with coupled L2 0.005, lr 1e-3, betas (0.9, 0.98), EMA alpha 0.98, lamb 2,
    stopping at 95% test accuracy), at each β1 of `beta1s` (β2 kept), without and with the
    filter (`method`; None: the README's EMA), seeds 0..seeds-1; num_steps: the budget (None: the
    baseline's, 3000 updates). At the defaults the run at β1 0.9 with the filter is the
    baseline's own, so its shipped records serve it."""
    from grokcore.baselines import BASELINES

    readme = BASELINES["grokfast_ema"]
    runs = []
    for b1 in beta1s:
        for filtered in (False, True):
            for s in range(seeds):
                cfg = readme.run(s, num_steps)
                optim = dataclasses.replace(cfg.optim, betas=(b1, cfg.optim.betas[1]))
                filt = method or cfg.method
                runs.append(cfg.replace(optim=optim, method=filt if filtered else MethodConfig()))
    return runs


def sweep_configs(
    base: RunConfig,
    beta1s: Sequence[float],
    weight_decay: float,
    weight_decays: Sequence[float],
    seeds: int,
    grokfast: MethodConfig,
    grokfast_beta1s: Sequence[float],
    *,
    beta1_seeds: int | None = None,
    wd_seeds: int | None = None,
    grokfast_seeds: int | None = None,
    grokfast_settings: Sequence[str] = (),
    diag_seeds: int = 0,
    hessian_every: int = 0,
    diag_beta1s: Sequence[float] = (0.0, 0.9),
    **probe,
) -> dict:
    """The chapter's runs by part: "beta1" (β1 sweep at `weight_decay`, `beta1_seeds` seeds per
    value, default `seeds`), "wd" (weight-decay sweep at β1 = 0, `wd_seeds` seeds per value,
    default `seeds`), "grokfast" (without and with Grokfast-EMA at each of `grokfast_beta1s`,
    `grokfast_seeds` seeds per cell, default `seeds`; a run two parts share is one config,
    trained once) and "settings" (setting -> runs: the same 2x2 plus β1 0 without Grokfast, at
    each optimizer setting of `grokfast_settings`, GROKFAST_SETTINGS, `seeds` seeds per cell).
    Runs at β1 > 0 stop at 95% test accuracy (only their gap is read), except those with the
    Hessian probes; so do all runs of "settings". Seeds below `diag_seeds` of β1 in
    `diag_beta1s` at `weight_decay` also log the Hessian and rank probes."""

    def run(b1, wd, s, method=None):
        heavy = (
            hessian_every
            if (s < diag_seeds and b1 in diag_beta1s and wd == weight_decay and method is None)
            else 0
        )
        cfg = variant(base, b1, wd, s, method)
        if b1 != 0 and not heavy:  # only the gap is read: stop at 95% test accuracy
            cfg = cfg.replace(stop_at_test_acc=0.95)
        return DynamicsRun(cfg, hessian_every=heavy, **probe)

    def setting_runs(name: str) -> list[DynamicsRun]:
        at = setting_optim(base, name, weight_decay, grokfast.lamb)
        cells = [(0.0, None)] + [(b, m) for b in grokfast_beta1s for m in (None, grokfast)]
        return [
            DynamicsRun(
                at.replace(
                    optim=dataclasses.replace(at.optim, betas=(b, at.optim.betas[1])),
                    seed=s,
                    method=m or at.method,
                    stop_at_test_acc=0.95,
                ),
                **probe,
            )
            for b, m in cells
            for s in range(seeds)
        ]

    return {
        "beta1": [run(b, weight_decay, s) for b in beta1s for s in range(beta1_seeds or seeds)],
        "wd": [run(0.0, wd, s) for wd in weight_decays for s in range(wd_seeds or seeds)],
        "grokfast": [
            run(b, weight_decay, s, m)
            for m in (None, grokfast)
            for b in grokfast_beta1s
            for s in range(grokfast_seeds or seeds)
        ],
        "settings": {name: setting_runs(name) for name in grokfast_settings},
    }


def plan(P: dict, v: dict) -> tuple[dict, list[DynamicsRun], list]:
    """Every run of the chapter from the scale's values `P` (resolve_scale) and the notebook's
    parameters `v`: (parts as sweep_configs names them plus "grokfast_model", every
    DynamicsRun once, the Fourier transplant's configs). The notebook trains exactly these (the
    DynamicsRuns stacked, "grokfast_model"'s plain runs one by one); parameters.py builds them
    to check the parameters before anything runs."""
    from . import transplant  # transplant imports this module

    base = base_run(
        P["p"],
        P["d_model"],
        P["d_mlp"],
        P["num_steps"],
        frac_train=v["frac_train"],
        n_layers=v["n_layers"],
        n_heads=v["n_heads"],
        lr=v["lr"],
        beta2=v["beta2"],
        batch_size=v["batch_size"],
        warmup_steps=v["warmup_steps"],
        eval_every=v["eval_every"],
        eval_test=P["eval_test"] or None,
        per_token_first=v["per_token_first"],
    )
    grokfast = MethodConfig(name="grokfast_ema", alpha=v["grokfast_alpha"], lamb=v["grokfast_lamb"])
    parts = sweep_configs(
        base,
        P["beta1s"],
        v["weight_decay"],
        P["weight_decays"],
        P["seeds"],
        grokfast,
        v["grokfast_beta1s"],
        beta1_seeds=P["beta1_seeds"],
        wd_seeds=P["wd_seeds"],
        grokfast_seeds=P["grokfast_seeds"],
        grokfast_settings=P["grokfast_settings"],
        diag_seeds=P["diag_seeds"],
        hessian_every=P["hessian_every"],
        lanczos_iters=v["lanczos_iters"],
    )
    every = unique(
        [c for name, part in parts.items() if name != "settings" for c in part]
        + [c for runs in parts["settings"].values() for c in runs]
    )
    moved = [
        transplant.variant_of(
            base,
            s,
            beta1=v["grokfast_beta1s"][0],
            weight_decay=v["weight_decay"],
            fraction=v["transplant_fraction"],
        )
        for s in range(P["transplant_seeds"])
    ]
    # the Grokfast 2x2 on Grokfast's own run: plain RunConfigs (only the time to 95% is read),
    # not in `every`: they train one by one, as the baseline's shipped records were made
    parts["grokfast_model"] = grokfast_model_runs(
        v["grokfast_beta1s"], P["grokfast_model_seeds"], P["grokfast_model_steps"], grokfast
    )
    return parts, every, moved


def unique(cfgs: Sequence[DynamicsRun]) -> list[DynamicsRun]:
    """Configs without repeats (parts share runs), in first-seen order."""
    return list({c.key(): c for c in cfgs}.values())


# ---- the runner: train_stack with a probe at every evaluation --------------------------------


class Probe(Hook):
    """Collects the diagnostics of a stack at each evaluation (a grokcore.hooks.Hook)."""

    resumable = True
    state_attrs = ("gens", "fixed")  # the probes' generators and the fixed examples

    grids = {
        "probe_step": ("eval", ("agreement", "moment_cos")),
        "hessian_step": ("eval", ("hessian_top", "effective_rank")),
    }

    def __init__(self, cfgs: Sequence[DynamicsRun]):
        super().__init__()
        self.cfg, self.run = cfgs[0], cfgs[0].run
        # one generator per member: a member's probes do not depend on what it is stacked with
        self.gens = [torch.Generator().manual_seed(stream_seed(c.seed, 7)) for c in cfgs]
        self.fixed = None  # per-member fixed example indices for the Hessian and rank probes

    def _draw(self, train_idx: torch.Tensor, n: int) -> torch.Tensor:
        """n random training examples per member, without replacement: [M, n]."""
        n = min(n, train_idx.shape[1])
        perm = torch.stack([torch.randperm(train_idx.shape[1], generator=g)[:n] for g in self.gens])
        return train_idx.gather(1, perm.to(train_idx.device))

    def at_eval(self, ctx) -> None:
        step, model, opt, data = ctx.step, ctx.model, ctx.optimizer, ctx.data
        x, y = data.batch(self._draw(data.train_idx, self.cfg.agreement_batch))
        h = x.shape[1] // 2
        ga = dynamics.gradients(self.run, model, x[:, :h], y[:, :h])
        gb = dynamics.gradients(self.run, model, x[:, h : 2 * h], y[:, h : 2 * h])
        g = {n: (ga[n] + gb[n]) / 2 for n in ga}  # the whole batch's gradient
        mc = dynamics.moment_cosine(opt, model, g)
        self.record(
            "probe_step",
            step,
            {
                "agreement": dynamics.cosine(ga, gb),
                "moment_cos": mc if mc is not None else [math.nan] * len(data.rows),
            },
        )
        every = self.cfg.hessian_every
        if every and step % every == 0:
            if self.fixed is None:
                self.fixed = self._draw(
                    data.train_idx, max(self.cfg.hessian_samples, self.cfg.rank_samples)
                )
            hx, hy = data.batch(self.fixed[:, : self.cfg.hessian_samples])
            rx, ry = data.batch(self.fixed[:, : self.cfg.rank_samples])
            self.record(
                "hessian_step",
                step,
                {
                    "hessian_top": dynamics.top_hessian_eigenvalue(
                        self.run, model, hx, hy, self.cfg.lanczos_iters, self.gens
                    ),
                    "effective_rank": dynamics.effective_rank(self.run, model, rx, ry),
                },
            )


def run_dynamics(cfgs: list[DynamicsRun], device: str = "cpu") -> list[RunRecord]:
    """Train a stack of DynamicsRuns (same stack key) and return one record each."""
    if any(c.stack_key != cfgs[0].stack_key for c in cfgs):
        raise ValueError("run_dynamics needs runs that differ only in seed, betas and weight_decay")
    recs = train_stack([c.run for c in cfgs], device=device, hooks=[Probe(cfgs)])
    # the blog's gap (measures.gap) joins the summary
    return [
        new_record(c, rec.history, dict(rec.summary, gap=gap(rec.summary)), rec.meta)
        for c, rec in zip(cfgs, recs)
    ]
