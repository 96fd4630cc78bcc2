"""NeuralGrok (Zhou et al. 2025): its bilevel training loop, run configs and chapter 3's presets.

The baselines (standard, Grokfast-MA/EMA, gradient rescaling) are plain RunConfigs trained by
grokcore.train.train_stack. NeuralGrok runs here: a NeuralGrokConfig is a RunConfig plus the
amplifier's settings; `train_neuralgrok` reuses train_stack's pieces (Stack, Batches, evaluate,
summarize, new_record) and returns the same RunRecords. Setup as the authors' code (neuralgrad
branch, task1.sh; see shared/notes/peer-code.md §3).
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Sequence

import torch

from .amplifier import Amplifier, amplify, clip_per_member, meta_step
from .config import (ConfigError, MethodConfig, ModularTask, OptimConfig, RunConfig, TransformerConfig,
                     config_key, register_config)
from .records import RunRecord, load_record, new_record
from .sweep import register_runner
from .train import (METRICS, Batches, Stack, apply_update, build_model, evaluate, log_entropy,
                    make_optimizer, member_loss, stream_seed, summarize)


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
            raise ConfigError(f"{w}.hidden={self.hidden!r} is invalid: allowed a non-empty tuple of positive integers")
        for name, ok, allowed in (("c", self.c > 0, "a positive number"),
                                  ("inner_steps", isinstance(self.inner_steps, int) and self.inner_steps > 0, "a positive integer"),
                                  ("meta_lr", self.meta_lr > 0, "a positive number"),
                                  ("meta_weight_decay", self.meta_weight_decay >= 0, "a number >= 0"),
                                  ("frac_outer", 0 < self.frac_outer < 1, "a number in (0, 1)"),
                                  ("clip_norm", self.clip_norm is None or self.clip_norm > 0, "None or a positive number")):
            if not ok:
                raise ConfigError(f"{w}.{name}={getattr(self, name)!r} is invalid: allowed {allowed}")


@register_config
@dataclass(frozen=True)
class NeuralGrokConfig:
    """A NeuralGrok run: the base run (task, model, optimizer, budget, seed) and the amplifier.

    `run.method` must be "none": the amplifier is the gradient transform."""

    run: RunConfig = field(default_factory=RunConfig)
    amp: AmplifierConfig = field(default_factory=AmplifierConfig)
    source: NeuralGrokConfig | None = None  # transfer (Fig. 12): start from this run's final amplifier, same seed

    def __post_init__(self) -> None:
        if self.run.method.name != "none":
            raise ConfigError(f"NeuralGrokConfig.run.method.name={self.run.method.name!r} is invalid: allowed 'none'")
        if not isinstance(self.run.model, TransformerConfig) or not isinstance(self.run.task, ModularTask):
            raise ConfigError("NeuralGrokConfig.run is invalid: allowed a ModularTask with a TransformerConfig")

    @property
    def seed(self) -> int:
        return self.run.seed

    def key(self) -> str:
        return config_key(self)

    def replace(self, **changes) -> "NeuralGrokConfig":
        if "seed" in changes:
            changes["run"] = changes.get("run", self.run).replace(seed=changes.pop("seed"))
        return dataclasses.replace(self, **changes)

    @property
    def stack_key(self) -> str:
        return config_key(self.replace(seed=0))


def outer_split(train_idx: torch.Tensor, frac_outer: float, seeds: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """Per member, a seeded round(frac_outer * n_train) of the train indices as D_outer, the rest
    as D_inner: train_idx [M, n] -> inner [M, n - k], outer [M, k]."""
    n = train_idx.shape[1]
    k = max(1, round(frac_outer * n))
    perms = torch.stack([torch.randperm(n, generator=torch.Generator().manual_seed(stream_seed(s, 3)))
                         for s in seeds]).to(train_idx.device)
    shuffled = train_idx.gather(1, perms)
    return shuffled[:, k:].sort(1).values, shuffled[:, :k].sort(1).values


def load_amplifier(amp: Amplifier, sources: Sequence[NeuralGrokConfig]) -> None:
    """Member i of `amp` takes the final amplifier of the recorded run sources[i]."""
    recs = [load_record(c.key()) for c in sources]
    if any(r is None for r in recs):
        raise RuntimeError("NeuralGrokConfig.source has no run record: run the source configs first")
    with torch.no_grad():
        for n, p in amp.named_parameters():
            p.copy_(torch.tensor([r.meta["amplifier"][n] for r in recs], dtype=p.dtype))


def train_neuralgrok(cfgs: Sequence[NeuralGrokConfig], device: str = "cpu") -> list[RunRecord]:
    """NeuralGrok Algorithm 1 for configs that differ only in seed (one stacked model).

    Each step: the model's gradient on an inner batch -> amplifier -> clip -> base optimizer.
    After every T-th step (step % T == 0, as the code), a meta step: the gradient at the new
    parameters on the same batch, a virtual SGD step at the base lr through the amplifier, the
    loss on all of D_outer, and one Adam step of the amplifier (first order: the parameters and
    the gradient are constants)."""
    cfg, a = cfgs[0].run, cfgs[0].amp
    if any(c.stack_key != cfgs[0].stack_key for c in cfgs):
        raise ValueError("train_neuralgrok needs configs that differ only in seed")
    seeds = [c.seed for c in cfgs]
    t0 = time.perf_counter()
    data = Stack(cfg, seeds, device)
    inner, outer = outer_split(data.train_idx, a.frac_outer, seeds)
    model = build_model(cfg, data.first, seeds).to(device)
    params = dict(model.named_parameters())
    opt, sched = make_optimizer(cfg, list(params.values()))
    amp = Amplifier(a.hidden, [stream_seed(s, 4) for s in seeds], getattr(torch, cfg.dtype)).to(device)
    if cfgs[0].source is not None:
        load_amplifier(amp, [cfgs[0].source.replace(seed=s) for s in seeds])
    meta_opt = torch.optim.Adam(amp.parameters(), lr=a.meta_lr, betas=cfg.optim.betas,
                                weight_decay=a.meta_weight_decay)
    x_out, y_out = data.batch(outer)

    def outer_loss(forward):
        return member_loss(cfg, forward(x_out), y_out)  # [M]: mean CE over each member's D_outer

    batches = Batches(inner, cfg.optim.batch_size, seeds)
    m, step = len(seeds), 0
    stop_at: list[int | None] = [None] * m
    hist = {"step": [], **{k: [] for k in METRICS}, "outer_loss": []}
    ent: dict[str, list] = {"entropy_step": []}
    meta_log: dict[str, list] = {"meta_step": [], "meta_grad": [], "meta_l2": []}
    log_meta = False  # the first meta step after each evaluation is logged
    while True:
        if step % cfg.eval_every == 0 or step == cfg.num_steps:
            metrics = {k: v.cpu() for k, v in evaluate(cfg, model, data).items()}
            hist["step"].append(step)
            log_meta = True
            for k in METRICS:
                hist[k].append(metrics[k].tolist())
            with torch.inference_mode():  # each member's loss on its D_outer
                hist["outer_loss"].append(outer_loss(model).tolist())
            if cfg.stop_at_test_acc is not None:
                for i in range(m):
                    if stop_at[i] is None and metrics["test_acc"][i] >= cfg.stop_at_test_acc:
                        stop_at[i] = len(hist["step"])
        if step == cfg.num_steps or all(s is not None for s in stop_at):
            break
        x, y = data.batch(batches.next())
        opt.zero_grad(set_to_none=True)
        member_loss(cfg, model(x), y).sum().backward()
        raw = {n: p.grad for n, p in params.items()}
        with torch.no_grad():
            grads = amplify(amp, raw, a.c)
            if a.clip_norm is not None:
                grads = clip_per_member(grads, a.clip_norm)
        if step % cfg.eval_every == 0:
            # how far the amplifier turns the gradient: mean over tensors of cos(g', g), per member
            hist.setdefault("cos_step", []).append(step)
            hist.setdefault("update_cos", []).append(torch.stack(
                [torch.cosine_similarity(grads[n].flatten(1), raw[n].flatten(1), dim=1) for n in raw]).mean(0).tolist())
            if cfg.log_entropy:
                log_entropy(ent, step, params, raw, grads)
        apply_update(params, grads, opt, sched)
        if a.meta and step % a.inner_steps == 0:
            opt.zero_grad(set_to_none=True)
            member_loss(cfg, model(x), y).sum().backward()  # g at theta_{t+1}, same batch (code)
            g = {n: p.grad.detach() for n, p in params.items()}
            lr = cfg.optim.lr  # virtual step size = base lr (code: args.lr)
            norms: list | None = [] if log_meta else None
            meta_step(model, amp, meta_opt, params, g, a.c, lr, outer_loss, norms=norms)
            opt.zero_grad(set_to_none=True)
            if norms:  # what the meta Adam receives: the meta gradient and its coupled L2 term
                meta_log["meta_step"].append(step)
                meta_log["meta_grad"].append(norms[0][0])
                meta_log["meta_l2"].append(norms[0][1])
                log_meta = False
        step += 1
    wall = time.perf_counter() - t0
    meta = {"wall_s": wall, "steps": step, "steps_per_s": step / wall, "stack_size": m,
            "member_steps_per_s": m * step / wall, "torch": torch.__version__, "device": device,
            "threads": torch.get_num_threads(), "n_inner": inner.shape[1], "n_outer": outer.shape[1]}
    records = []
    for i, c in enumerate(cfgs):
        n = stop_at[i] or len(hist["step"])
        h = {"step": hist["step"][:n], **{k: [float(v[i]) for v in hist[k][:n]] for k in METRICS + ("outer_loss",)}}
        j = sum(s < h["step"][-1] for s in hist.get("cos_step", []))  # updates before the last evaluation
        h.update({"cos_step": hist.get("cos_step", [])[:j], "update_cos": [float(v[i]) for v in hist.get("update_cos", [])[:j]]})
        j = sum(s < h["step"][-1] for s in meta_log["meta_step"])  # meta steps before the last evaluation
        h.update({"meta_step": meta_log["meta_step"][:j],
                  **{k: [float(v[i]) for v in meta_log[k][:j]] for k in ("meta_grad", "meta_l2")}})
        if cfg.log_entropy:
            j = sum(s < h["step"][-1] for s in ent["entropy_step"])
            h.update({k: vals[:j] if k == "entropy_step" else [float(v[i]) for v in vals[:j]]
                      for k, vals in ent.items()})
        weights = {k: v[i].tolist() for k, v in amp.state_dict().items()}  # for transfer (Fig. 12)
        records.append(new_record(c, h, summarize(h), dict(meta, amplifier=weights)))
    return records


register_runner("NeuralGrokConfig", train_neuralgrok)
