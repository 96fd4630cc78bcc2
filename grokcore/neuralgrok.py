"""NeuralGrok (Zhou et al. 2025): its run config and its bilevel training step as a grokcore hook
(chapter 3 checks the paper's claims; chapter 7 sets it beside every other accelerator).

The baselines (standard, Grokfast-MA/EMA, gradient rescaling) are plain RunConfigs. A
NeuralGrokConfig is a RunConfig plus the amplifier's settings; `train_neuralgrok` trains it
through grokcore's one loop (grokcore.train.train_stack) with the amplifier as the gradient
transform and the meta step as a hook. Setup as the authors' code (neuralgrad branch, task1.sh;
see shared/notes/peer-code.md §3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import torch

from grokcore.config import (
    ConfigError,
    Experiment,
    ModularTask,
    RunConfig,
    TransformerConfig,
    register_config,
)
from grokcore.decoder import DecoderConfig
from grokcore.hooks import Hook
from grokcore.records import RunRecord, load_record, new_record
from grokcore.train import member_loss, stream_seed, train_stack
from grokcore.transforms import GradientTransform, ResumableTransform

from .amplifier import Amplifier, amplify, clip_per_member, code_tensors, meta_step


@register_config
@dataclass(frozen=True)
class AmplifierConfig:
    """The neural amplifier and its meta step; defaults: NeuralGrok code (task1.sh)."""

    hidden: tuple[int, ...] = (128, 128)  # code: --neural_hidden_dims 128,128 (paper App. B: 32)
    c: float = 0.2  # g' norm per tensor (code: 0.2; paper §2: 1.0)
    inner_steps: int = 4  # T: one meta step every T model steps (code task1.sh: 4)
    meta_lr: float = 1e-4  # Adam on the amplifier (code)
    meta_weight_decay: float = 1e-3  # the code passes the base weight decay to the meta Adam
    frac_outer: float = 0.02  # part of the train half held out as D_outer (49:1 inner:outer)
    clip_norm: float | None = 1.0  # code: clip_grad_norm_(1.0) after the transform; None = off
    meta: bool = True  # False: a frozen amplifier (no meta steps)

    def __post_init__(self) -> None:
        w = "AmplifierConfig"
        if not self.hidden or not all(isinstance(h, int) and h > 0 for h in self.hidden):
            raise ConfigError(
                f"{w}.hidden={self.hidden!r} is invalid: "
                "allowed a non-empty tuple of positive integers"
            )
        for name, ok, allowed in (
            ("c", self.c > 0, "a positive number"),
            (
                "inner_steps",
                isinstance(self.inner_steps, int) and self.inner_steps > 0,
                "a positive integer",
            ),
            ("meta_lr", self.meta_lr > 0, "a positive number"),
            ("meta_weight_decay", self.meta_weight_decay >= 0, "a number >= 0"),
            ("frac_outer", 0 < self.frac_outer < 1, "a number in (0, 1)"),
            (
                "clip_norm",
                self.clip_norm is None or self.clip_norm > 0,
                "None or a positive number",
            ),
        ):
            if not ok:
                raise ConfigError(
                    f"{w}.{name}={getattr(self, name)!r} is invalid: allowed {allowed}"
                )


@dataclass(frozen=True)
class NeuralGrokConfig(Experiment):
    """A NeuralGrok run: the base run (task, model, optimizer, budget, seed) and the amplifier.

    `run.method` must be "none": the amplifier is the gradient transform."""

    run: RunConfig = field(default_factory=RunConfig)
    amp: AmplifierConfig = field(default_factory=AmplifierConfig)
    source: NeuralGrokConfig | None = (
        None  # transfer (Fig. 12): start from this run's final amplifier, same seed
    )

    def __post_init__(self) -> None:
        if self.run.method.name != "none":
            raise ConfigError(
                f"NeuralGrokConfig.run.method.name={self.run.method.name!r} is invalid: "
                "allowed 'none'"
            )
        if not isinstance(self.run.model, (TransformerConfig, DecoderConfig)) or not isinstance(
            self.run.task, ModularTask
        ):
            raise ConfigError(
                "NeuralGrokConfig.run is invalid: allowed a ModularTask with a DecoderConfig "
                "or a TransformerConfig"
            )
        if self.run.optim.clip_norm is not None:
            raise ConfigError(
                f"NeuralGrokConfig.run.optim.clip_norm={self.run.optim.clip_norm!r} is invalid: "
                "allowed None (the code clips after the amplifier: set AmplifierConfig.clip_norm; "
                "configs.neuralgrok_run moves it there)"
            )

    @classmethod
    def train(cls, cfgs: list, device: str = "cpu") -> list[RunRecord]:
        return train_neuralgrok(cfgs, device)

    def requires(self) -> tuple:
        """A transfer run reads its source's final amplifier (same seed)."""
        return () if self.source is None else (self.source.replace(seed=self.seed),)


def outer_split(
    train_idx: torch.Tensor, frac_outer: float, seeds: Sequence[int]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per member, a seeded round(frac_outer * n_train) of the train indices as D_outer, the rest
    as D_inner: train_idx [M, n] -> inner [M, n - k], outer [M, k]."""
    n = train_idx.shape[1]
    k = max(1, round(frac_outer * n))
    perms = torch.stack(
        [
            torch.randperm(n, generator=torch.Generator().manual_seed(stream_seed(s, 3)))
            for s in seeds
        ]
    ).to(train_idx.device)
    shuffled = train_idx.gather(1, perms)
    return shuffled[:, k:].sort(1).values, shuffled[:, :k].sort(1).values


def load_amplifier(amp: Amplifier, sources: Sequence[NeuralGrokConfig]) -> None:
    """Member i of `amp` takes the final amplifier of the recorded run sources[i]."""
    recs = [load_record(c.key()) for c in sources]
    if any(r is None for r in recs):
        raise RuntimeError(
            "NeuralGrokConfig.source has no run record: run the source configs first"
        )
    with torch.no_grad():
        for n, p in amp.named_parameters():
            p.copy_(torch.tensor([r.meta["amplifier"][n] for r in recs], dtype=p.dtype))


class NeuralGrok(Hook):
    """NeuralGrok Algorithm 1 as a grokcore hook plus a gradient transform (`transform`).

    Each step: the model's gradient on an inner batch -> amplifier -> clip -> base optimizer.
    After every T-th step (step % T == 0, as the code), a meta step: the gradient at the new
    parameters on the same batch, a virtual SGD step at the base lr through the amplifier, the
    loss on all of D_outer, and one Adam step of the amplifier (first order: the parameters and
    the gradient are constants). Logs the loss on D_outer at each evaluation, cos(g', g) and the
    first meta step's gradient norms after each evaluation, and the final amplifier (for
    transfer, Fig. 12). Resumable: a checkpoint holds the amplifier and its meta optimizer."""

    resumable = True

    grids = {
        "cos_step": ("update", ("update_cos",)),
        "meta_step": ("update", ("meta_grad", "meta_l2")),
    }

    def __init__(self, cfgs: Sequence[NeuralGrokConfig]) -> None:
        super().__init__()
        self.cfgs, self.run, self.a = list(cfgs), cfgs[0].run, cfgs[0].amp
        self.log_meta = False  # the first meta step after each evaluation is logged

    def setup(self, ctx) -> None:
        a, seeds = self.a, ctx.seeds
        inner, outer = outer_split(ctx.train_idx, a.frac_outer, seeds)
        ctx.train_idx = inner  # the model trains on D_inner only
        self.amp = Amplifier(
            a.hidden, [stream_seed(s, 4) for s in seeds], getattr(torch, self.run.dtype)
        ).to(ctx.device)
        if self.cfgs[0].source is not None:
            load_amplifier(self.amp, [self.cfgs[0].source.replace(seed=s) for s in seeds])
        self.meta_opt = torch.optim.Adam(
            self.amp.parameters(),
            lr=a.meta_lr,
            betas=self.run.optim.betas,
            weight_decay=a.meta_weight_decay,
        )
        self.x_out, self.y_out = ctx.data.batch(outer)
        self.groups = code_tensors(list(ctx.params))  # the code's tensors (one in_proj each)
        ctx.meta.update(n_inner=inner.shape[1], n_outer=outer.shape[1])

    def outer_loss(self, forward) -> torch.Tensor:
        return member_loss(
            self.run, forward(self.x_out), self.y_out
        )  # [M]: mean CE over each D_outer

    def state(self) -> dict:
        return {
            "log": self.log,
            "log_meta": self.log_meta,
            "amp": self.amp.state_dict(),
            "meta_opt": self.meta_opt.state_dict(),
        }

    def load_state(self, state: dict) -> None:
        self.log, self.log_meta = state["log"], state["log_meta"]
        self.amp.load_state_dict(state["amp"])
        self.meta_opt.load_state_dict(state["meta_opt"])

    def transform(self) -> GradientTransform:
        """g -> amplified g' (norm c per tensor), then the code's gradient clipping (stateless:
        the amplifier is this hook's state)."""

        def update(grads, state, params):
            out = amplify(self.amp, grads, self.a.c, self.groups)
            if self.a.clip_norm is not None:
                out = clip_per_member(out, self.a.clip_norm)
            return out, state

        return ResumableTransform(lambda params: (), update)

    def at_eval(self, ctx) -> dict[str, torch.Tensor]:
        self.log_meta = True
        with torch.inference_mode():
            return {"outer_loss": self.outer_loss(ctx.model)}

    def at_update(self, ctx) -> None:
        # how far the amplifier turns the gradient: mean over tensors of cos(g', g), per member
        raw, grads = ctx.raw, ctx.grads
        self.record(
            "cos_step",
            ctx.step,
            {
                "update_cos": torch.stack(
                    [
                        torch.cosine_similarity(grads[n].flatten(1), raw[n].flatten(1), dim=1)
                        for n in raw
                    ]
                ).mean(0)
            },
        )

    def after_update(self, ctx) -> None:
        if not (self.a.meta and ctx.step % self.a.inner_steps == 0):
            return
        opt, params = ctx.optimizer, ctx.params
        opt.zero_grad(set_to_none=True)
        member_loss(
            self.run, ctx.model(ctx.x), ctx.y
        ).sum().backward()  # g at theta_{t+1}, same batch (code)
        g = {n: p.grad.detach() for n, p in params.items()}
        lr = self.run.optim.lr  # virtual step size = base lr (code: args.lr)
        norms: list | None = [] if self.log_meta else None
        meta_step(
            ctx.model,
            self.amp,
            self.meta_opt,
            params,
            g,
            self.a.c,
            lr,
            self.outer_loss,
            norms=norms,
            groups=self.groups,
        )
        opt.zero_grad(set_to_none=True)
        if norms:  # what the meta Adam receives: the meta gradient and its coupled L2 term
            self.record("meta_step", ctx.step, {"meta_grad": norms[0][0], "meta_l2": norms[0][1]})
            self.log_meta = False

    def finish(self, i: int, history: dict, meta: dict) -> None:
        meta["amplifier"] = {k: v[i].tolist() for k, v in self.amp.state_dict().items()}


def train_neuralgrok(cfgs: Sequence[NeuralGrokConfig], device: str = "cpu") -> list[RunRecord]:
    """NeuralGrok for configs that differ only in seed (one stacked model), through grokcore's
    one training loop; the records are keyed by the NeuralGrokConfigs."""
    if any(c.stack_key != cfgs[0].stack_key for c in cfgs):
        raise ValueError("train_neuralgrok needs configs that differ only in seed")
    ng = NeuralGrok(cfgs)
    recs = train_stack([c.run for c in cfgs], device=device, hooks=[ng], transform=ng.transform())
    return [new_record(c, rec.history, rec.summary, rec.meta) for c, rec in zip(cfgs, recs)]
