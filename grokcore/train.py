"""The one training loop: every chapter trains through `train_stack`. It returns run records;
plotting and logging belong to the caller. What a run does besides fitting the loss is a Hook
(grokcore.hooks).

`train_stack(cfgs)` trains configs that differ only in `seed` (with AdamW also in `betas` and
`weight_decay`, per member) as one stacked model (a leading member dimension); member i equals
`train_stack([cfgs[i]])` (tests/test_train.py, tests/unit/test_stacked_optim.py).
"""

from __future__ import annotations

import copy
import platform
import sys
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import torch
import torch.nn.functional as F

from . import __version__
from .checkpoint import Checkpoints
from .config import RunConfig
from .data import Dataset
from .hooks import Context, Hook
from .models import StackedModule
from .optim import make_optimizer  # noqa: F401  (re-exported: the one optimizer factory)
from .probes import config_hooks
from .records import RunRecord, new_record
from .transforms import GradientTransform, clip_by_global_norm, from_config

THRESHOLDS = (0.5, 0.9, 0.95, 0.99)
METRICS = ("train_loss", "test_loss", "train_acc", "test_acc", "weight_norm")


def stream_seed(seed: int, stream: int) -> int:
    """Independent generator seeds per purpose (init uses the seed itself)."""
    return (seed * 1_000_003 + stream) % (2**63)


def build_model(cfg: RunConfig, ds: Dataset, seeds: Sequence[int]) -> StackedModule:
    """The stacked model cfg.model builds (grokcore.config.ModelConfig.build)."""
    return cfg.model.build(cfg, ds, seeds, getattr(torch, cfg.dtype))


def member_loss(cfg: RunConfig, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-member mean loss [M]. out: [M, B, C] logits or [M, B] scores; y: [M, B]."""
    if cfg.loss == "cross_entropy":
        m, b, c = out.shape
        return (
            F.cross_entropy(out.reshape(m * b, c), y.reshape(-1), reduction="none")
            .view(m, b)
            .mean(1)
        )
    if cfg.loss == "mse":  # EGD parity code: mean((f - y)^2)
        return (out - y).pow(2).mean(1)
    return (1 - y * out).clamp_min(0).mean(1)  # hinge (EGD §5.1)


def accuracy(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    if out.ndim == 3:
        return (out.argmax(-1) == y).double().mean(1)
    return (y * out > 0).double().mean(1)


class Stack:
    """Per-member data: inputs [M, N, ...], labels [M, N], train/test indices [M, n]."""

    def __init__(self, cfg: RunConfig, seeds: Sequence[int], device: str):
        sets = [cfg.task.dataset(s) for s in seeds]
        self.x = torch.stack([getattr(d, cfg.model.reads) for d in sets]).to(device)
        if self.x.is_floating_point():
            self.x = self.x.to(getattr(torch, cfg.dtype))
        self.y = torch.stack([d.labels for d in sets]).to(device)
        if self.y.is_floating_point():
            self.y = self.y.to(getattr(torch, cfg.dtype))
        self.train_idx = torch.stack([d.train_idx for d in sets]).to(device)
        self.test_idx = torch.stack([d.test_idx for d in sets]).to(device)
        self.eval_test_idx = (
            self.test_idx
        )  # what evaluate() reads: all, or RunConfig.eval_test at random
        n_test = self.test_idx.shape[1]
        if cfg.eval_test is not None and cfg.eval_test < n_test:
            pick = torch.stack(
                [
                    torch.randperm(
                        n_test, generator=torch.Generator().manual_seed(stream_seed(s, 5))
                    )[: cfg.eval_test]
                    .sort()
                    .values
                    for s in seeds
                ]
            ).to(device)
            self.eval_test_idx = self.test_idx.gather(1, pick)
        self.first = sets[0]
        self.rows = torch.arange(len(seeds), device=device)[:, None]

    def batch(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Gather each member's examples: idx [M, B] -> x [M, B, ...], y [M, B]."""
        return self.x[self.rows, idx], self.y[self.rows, idx]


class Batches:
    """Per-member shuffles each epoch; n_train // batch_size batches (the remainder is dropped,
    as the EGD code does) or, with last_batch="keep", ceil(n_train / batch_size) batches, the
    last one smaller (torch.split of the shuffled indices, as the MED and Grokfast code do);
    full batch when batch_size is None or >= n_train.

    sampling="iid": every step draws batch_size distinct examples afresh, independently of
    the other steps (Hanson's fastgrok.py: randperm(n_train)[:batch_size] per step)."""

    def __init__(
        self,
        train_idx: torch.Tensor,
        batch_size: int | None,
        seeds: Sequence[int],
        sampling: str = "epoch",
        last_batch: str = "drop",
    ):
        self.idx, (self.m, self.n) = train_idx, train_idx.shape
        self.bs = self.n if batch_size is None else min(batch_size, self.n)
        self.per_epoch = -(-self.n // self.bs) if last_batch == "keep" else self.n // self.bs
        self.gens = [torch.Generator().manual_seed(stream_seed(s, 1)) for s in seeds]
        self.order, self.pos = None, self.per_epoch
        self.iid = sampling == "iid"

    def next(self) -> torch.Tensor:
        if self.bs == self.n:
            return self.idx
        if self.iid:  # [M, bs] positions, drawn per member from its own generator
            pos = torch.stack([torch.randperm(self.n, generator=g)[: self.bs] for g in self.gens])
            return self.idx.gather(1, pos.to(self.idx.device))
        if self.pos == self.per_epoch:
            perms = torch.stack([torch.randperm(self.n, generator=g) for g in self.gens])
            self.order = self.idx.gather(1, perms.to(self.idx.device))
            self.pos = 0
        j, self.pos = self.pos, self.pos + 1
        return self.order[:, j * self.bs : (j + 1) * self.bs]


EVAL_ROWS = 4096  # examples per evaluation forward pass, summed over the stack's members


@torch.inference_mode()
def evaluate(
    cfg: RunConfig,
    model: StackedModule,
    data: Stack,
    chunk: int | None = None,
    forward: Callable | None = None,
) -> dict[str, torch.Tensor]:
    """Train/test loss (float64) and accuracy per member, without gradients.

    `chunk` examples per member per forward pass; by default about EVAL_ROWS over the whole stack,
    so the activations stay small enough for the cache (the forward pass is memory-bound: 8192
    rows per member in a stack of 6 ran 1.9x slower than 4096 in all on a 2-core CPU).
    `forward`: what computes the logits (default the model; train_stack passes its compiled
    forward under RunConfig.compile)."""
    forward = model if forward is None else forward
    chunk = chunk or max(256, (cfg.eval_rows or EVAL_ROWS) // data.train_idx.shape[0])
    out = {}
    for split, idx in (("train", data.train_idx), ("test", data.eval_test_idx)):
        losses, accs = [], []
        for j in range(0, idx.shape[1], chunk):
            x, y = data.batch(idx[:, j : j + chunk])
            pred = forward(x).double()
            n = y.shape[1]
            losses.append(member_loss(cfg, pred, y.double() if y.is_floating_point() else y) * n)
            accs.append(accuracy(pred, y) * n)
        out[f"{split}_loss"] = sum(losses) / idx.shape[1]
        out[f"{split}_acc"] = sum(accs) / idx.shape[1]
    out["weight_norm"] = model.weight_norm()
    return out


def first_step(steps: list[int], values: list[float], threshold: float) -> int | None:
    """First evaluated step with value >= threshold; None = not reached (censored)."""
    return next((s for s, v in zip(steps, values) if v >= threshold), None)


def summarize(history: dict[str, list], diverged_at: int | None = None) -> dict:
    """Steps to each accuracy threshold (None: not reached, censored at last_step), and the
    evaluation step at which the run diverged (non-finite loss or weights; None: it did not)."""
    s = {"last_step": history["step"][-1], "diverged_at": diverged_at}
    for t in THRESHOLDS:
        for split in ("train", "test"):
            s[f"step_to_{split}_acc_{round(t * 100)}"] = first_step(
                history["step"], history[f"{split}_acc"], t
            )
    return s


@dataclass
class Snapshot:
    """A stack's training state at an evaluation step: enough to continue it exactly."""

    step: int
    model: dict  # state_dict, tensors [M, ...]
    optim: dict
    sched: dict | None
    batches: "Batches"


def train_stack(
    cfgs: Sequence[RunConfig],
    *,
    device: str = "cpu",
    log: Callable | None = None,
    progress: bool = False,
    hooks: Sequence[Hook] = (),
    transform: GradientTransform | None = None,
    snapshots: dict[int, Snapshot | None] | None = None,
    resume: Snapshot | None = None,
) -> list[RunRecord]:
    """Train configs that differ only in seed as one stacked model; one record per config.

    hooks (grokcore.hooks.Hook) run after the config's own (its spectra, entropies and probes):
    probes at every evaluation, interventions, extra loss terms, actions after each step.
    transform: a gradient transform used instead of the one cfg.method names (e.g. NeuralGrok's
    amplifier). log(step, metrics) is called at every evaluation.
    snapshots: {step: None} for evaluation steps (-1: the end) whose state to keep; filled in
    place. resume: continue from a Snapshot (a copy of it; the records' histories start at its
    step); continuing an unchanged snapshot reproduces the run. Both need method "none" (a
    gradient transform's state is not kept).

    Every few minutes the loop's whole state is checkpointed (grokcore.checkpoint), and a later
    call with the same configs continues from it, bit for bit, where the loop holds the state
    whole: no `snapshots` or `resume`, resumable hooks, and no `transform` or a resumable one."""
    cfg = cfgs[0]
    if any(c.stack_key != cfg.stack_key for c in cfgs):
        raise ValueError(
            "train_stack needs configs that differ only in seed "
            "(with AdamW also in betas and weight_decay)"
        )
    if (snapshots or resume) and (cfg.method.name != "none" or transform is not None):
        raise ValueError(
            f"snapshots and resume need MethodConfig.name='none', not {cfg.method.name!r}"
        )
    seeds = [c.seed for c in cfgs]
    t0 = time.perf_counter()
    data = Stack(cfg, seeds, device)
    model = build_model(cfg, data.first, seeds).to(device)
    params = dict(model.named_parameters())
    opt, sched = make_optimizer(cfg.optim, params.values(), [c.optim for c in cfgs])
    tx = transform or from_config(cfg.method, seeds)
    transformed = transform is not None or cfg.method.name != "none"
    tx_state = tx.init({n: p.detach() for n, p in params.items()})
    clip = None if cfg.optim.clip_norm is None else clip_by_global_norm(cfg.optim.clip_norm)
    hooks = config_hooks(cfg) + list(hooks)
    ctx = Context(list(cfgs), seeds, device, data, model, params, opt, data.train_idx)
    for hook in hooks:
        hook.setup(ctx)
    matrices = model.matrices()
    # RunConfig.compile: one graph for every batch size (the last, smaller batch; evaluation)
    forward = torch.compile(model, dynamic=True) if cfg.compile else model
    batches = Batches(
        ctx.train_idx, cfg.optim.batch_size, seeds, cfg.optim.sampling, cfg.optim.last_batch
    )
    m = len(seeds)
    switched = torch.zeros(m, dtype=torch.bool, device=device)  # fell back to plain gradients
    stop_at = [None] * m  # history length at which each member stopped
    diverged_at = [None] * m  # evaluation step at which a member's loss or weights went non-finite
    hist: dict[str, list] = {"step": [], **{k: [] for k in METRICS}}
    bar = _progress(cfg.num_steps) if progress else None
    step = 0
    if resume is not None:
        resume = copy.deepcopy(resume)
        model.load_state_dict(resume.model)
        opt.load_state_dict(resume.optim)
        if sched is not None:
            sched.load_state_dict(resume.sched)
        batches, step = resume.batches, resume.step
    start, eval_s, setup_s = step, 0.0, time.perf_counter() - t0
    whole = (
        (transform is None or transform.resumable)
        and not (snapshots or resume)
        and all(h.resumable for h in hooks)
    )
    ckpt = Checkpoints(cfgs, device, resumable=whole)
    prior_wall, resumed = 0.0, []  # seconds trained before the checkpoint; steps resumed at
    saved = ckpt.restore()
    if saved is not None:  # a kill's leftover: continue where it was saved
        model.load_state_dict(saved["model"])
        opt.load_state_dict(saved["optim"])
        if sched is not None:
            sched.load_state_dict(saved["sched"])
        tx_state, batches, step, hist = (
            saved["tx_state"],
            saved["batches"],
            saved["step"],
            saved["hist"],
        )
        stop_at, diverged_at = saved["stop_at"], saved["diverged_at"]
        switched = saved["switched"].to(device)
        for hook, kept in zip(hooks, saved["hooks"], strict=True):
            hook.load_state(kept)
        prior_wall, eval_s, setup_s = saved["wall"], saved["eval_s"], saved["setup_s"] + setup_s
        resumed = saved["resumed"] + [step]
    begin = step

    def checkpoint() -> None:
        ckpt.save(
            {
                "step": step,
                "model": model.state_dict(),
                "optim": opt.state_dict(),
                "sched": sched.state_dict() if sched else None,
                "tx_state": tx_state,
                "batches": batches,
                "hist": hist,
                "stop_at": stop_at,
                "diverged_at": diverged_at,
                "switched": switched,
                "hooks": [hook.state() for hook in hooks],
                "wall": prior_wall + time.perf_counter() - t0,
                "eval_s": eval_s,
                "setup_s": setup_s,
                "resumed": resumed,
            }
        )

    def keep(at: int) -> None:
        if snapshots is not None and at in snapshots:
            snapshots[at] = copy.deepcopy(
                Snapshot(
                    step,
                    model.state_dict(),
                    opt.state_dict(),
                    sched.state_dict() if sched else None,
                    batches,
                )
            )

    while True:
        if step % cfg.eval_every == 0 or step == cfg.num_steps:
            if begin < step < cfg.num_steps and ckpt.due():  # the state before this evaluation
                checkpoint()
            ctx.step = step
            keep(step)
            t_eval = time.perf_counter()
            for hook in hooks:
                hook.before_eval(ctx)
            result = evaluate(cfg, model, data, forward=forward)
            ctx.metrics = metrics = {k: v.cpu() for k, v in result.items()}
            hist["step"].append(step)
            for k in METRICS:
                hist[k].append(metrics[k].tolist())
            for hook in hooks:  # per-member tensors [M, ...] on the evaluation grid
                for k, v in (hook.at_eval(ctx) or {}).items():
                    hist.setdefault(k, []).append(v.cpu().tolist())
            if log:
                log(step, metrics)
            with torch.no_grad():
                for hook in hooks:
                    hook.edit(ctx, metrics)
            if cfg.method.switch_off_at is not None:
                switched |= (metrics["test_acc"] > cfg.method.switch_off_at).to(device)
            finite = torch.isfinite(metrics["train_loss"]) & torch.isfinite(metrics["weight_norm"])
            for i in torch.nonzero(~finite).flatten().tolist():
                if stop_at[i] is None:  # diverged: its history ends at the last finite evaluation
                    stop_at[i], diverged_at[i] = max(1, len(hist["step"]) - 1), step
            if cfg.stop_at_test_acc is not None:
                for i in range(m):
                    if stop_at[i] is None and metrics["test_acc"][i] >= cfg.stop_at_test_acc:
                        stop_at[i] = len(hist["step"])
            if bar is not None:
                bar.set_postfix(test_acc=f"{metrics['test_acc'].mean():.3f}", refresh=False)
            eval_s += time.perf_counter() - t_eval
        if step == cfg.num_steps or all(s is not None for s in stop_at):
            keep(-1)
            break
        ctx.step = step
        ctx.x, ctx.y = x, y = data.batch(batches.next())
        ctx.out = forward(x)
        loss = member_loss(cfg, ctx.out, y).sum()  # sum over members keeps them independent
        if cfg.optim.loss_l2:
            loss = loss + 0.5 * cfg.optim.loss_l2 * sum(params[n].pow(2).sum() for n in matrices)
        for hook in hooks:
            extra = hook.loss(ctx)
            if extra is not None:
                loss = loss + extra.sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        grads = raw = {n: p.grad for n, p in params.items()}
        if transformed:
            with torch.no_grad():
                new, tx_state = tx.update(grads, tx_state, params)
            if cfg.method.switch_off_at is not None:  # EGD code: plain SGD once test acc > 95%
                new = {
                    n: torch.where(switched.view(-1, *(1,) * (g.ndim - 1)), grads[n], g)
                    for n, g in new.items()
                }
            grads = new
        if clip is not None:  # after the method, as the NeuralGrok code's clip_grad_norm_
            with torch.no_grad():
                grads, _ = clip.update(grads, (), params)
        if step % cfg.eval_every == 0:
            ctx.raw, ctx.grads = raw, grads
            for hook in hooks:
                hook.at_update(ctx)
            ctx.raw = ctx.grads = None
        apply_update(params, grads, opt, sched)
        for hook in hooks:
            hook.after_update(ctx)
        ctx.x = ctx.y = ctx.out = None
        step += 1
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    wall = prior_wall + time.perf_counter() - t0
    # train_steps_per_s: optimizer steps per second of training alone (setup and evaluations left
    # out)
    meta = {
        "wall_s": wall,
        "setup_s": setup_s,
        "eval_s": eval_s,
        "steps": step - start,
        "steps_per_s": (step - start) / wall,
        "train_steps_per_s": (step - start) / max(wall - eval_s - setup_s, 1e-9),
        "stack_size": m,
        "stack_seeds": seeds,  # the members' order: a stack retrains bit for bit only in it
        "member_steps_per_s": m * (step - start) / wall,
        "torch": torch.__version__,
        "device": _device_name(device),
        "python": platform.python_version(),
        "grokcore": __version__,
        "threads": torch.get_num_threads(),
        **({"resumed_at": resumed} if resumed else {}),  # steps a checkpoint continued from
        **ctx.meta,
    }
    records = []
    for i, c in enumerate(cfgs):
        n = stop_at[i] or len(hist["step"])
        h = {"step": hist["step"][:n], **{k: [float(v[i]) for v in hist[k][:n]] for k in METRICS}}
        h.update({k: [v[i] for v in vals[:n]] for k, vals in hist.items() if k not in h})
        member_meta = dict(meta, switched_off=bool(switched[i]))
        for hook in hooks:  # each hook's own grids, cut at this member's last evaluation
            h.update(hook.member_share(i, h["step"][-1]))
            hook.finish(i, h, member_meta)
        records.append(new_record(c, h, summarize(h, diverged_at[i]), member_meta))
    ckpt.done()
    return records


def apply_update(params: dict, grads: dict, opt: torch.optim.Optimizer, sched) -> None:
    """Hand the (transformed) gradients to the optimizer and take its step and the lr schedule's."""
    for n, p in params.items():
        p.grad = grads[n]
    opt.step()
    if sched is not None:
        sched.step()


def _progress(total: int):
    from tqdm import tqdm  # text bar on stderr, with ETA, in terminals and notebooks alike

    return tqdm(total=total, unit="step", mininterval=2.0, file=sys.stderr, leave=False)


def _device_name(device: str) -> str:
    if device.startswith("cuda"):
        return torch.cuda.get_device_name(device)
    return f"cpu ({platform.machine()})"


def steps_per_epoch(cfg: RunConfig) -> int:
    """Optimizer steps per pass over the training set (for epoch axes; no data is built)."""
    n, bs = cfg.task.n_train, cfg.optim.batch_size
    if bs is None:
        return 1
    bs = min(bs, n)
    return -(-n // bs) if cfg.optim.last_batch == "keep" else max(1, n // bs)
