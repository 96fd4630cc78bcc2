"""Chapter 4's Fourier transplant: a grokked run's most Fourier-like neurons copied into the same
run at its memorization point (Grokking Dynamics blog, "smaller findings").

The blog: "Injecting pre-learned Fourier neurons from a grokked model into a memorizing model
doesn't accelerate grokking. The transplanted neurons neither help nor hurt. The Fourier features
are present by step 700 (during memorization)." It gives no procedure; ours, for each seed:

1. Donor: the run trained until it groks (test accuracy >= 95%, or the budget); its weights at
   the end of the stack's training are the grokked model.
2. Recipient: the same run at its memorization point (first evaluation with train accuracy >=
   95%): the same seed's own past, the most favourable recipient there is (same residual basis).
3. Transplant: the `fraction` of the last layer's MLP neurons that are most Fourier-like in the
   donor (input weights, bias, output weights) replace the recipient's; the optimizer state is
   left as it was. Training then goes on exactly as the donor's did (same batches).
4. Compare the steps from the memorization point to 95% test accuracy with and without it.

A neuron's Fourier score: its read-out activation over all p² inputs (a, b), centred, 2D DFT;
the share of its power in the strongest frequency family {(±k, 0), (0, ±k), (±k, ±k)} (Nanda et
al. 2023: neurons of a grokked model are functions of cos and sin of w_k a, w_k b). A pure
cos(w_k (a + b)) scores 1; random activations score about 8 / p².
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from grokcore.config import RunConfig, TransformerConfig, WrapsRun, _check
from grokcore.hooks import Hook
from grokcore.records import RunRecord, new_record
from grokcore.train import Snapshot, Stack, build_model, first_step, train_stack

from .configs import variant

SNAPSHOT_EVERY = (
    100  # steps between kept states of the donor run (a transplant run resumes from one)
)


@dataclass(frozen=True)
class TransplantRun(WrapsRun):
    """One seed's donor run and its Fourier-transplanted copy (blog: Fourier transplant)."""

    run: RunConfig  # donor and recipient (blog: default Adam, β1 0.9, weight decay 1)
    fraction: float = (
        0.25  # share of last-layer MLP neurons transplanted, most Fourier-like first (ours)
    )
    threshold: float = (
        0.95  # accuracy that counts as memorized (train) and grokked (test) (blog: 95%)
    )

    @classmethod
    def train(cls, cfgs: list, device: str = "cpu") -> list[RunRecord]:
        return run_transplant(cfgs, device)

    def __post_init__(self) -> None:
        w = "TransplantRun"
        _check(
            isinstance(self.run.model, TransformerConfig),
            w,
            "run.model",
            type(self.run.model).__name__,
            "a TransformerConfig (the neurons are its last MLP layer's)",
        )
        _check(self.run.method.name == "none", w, "run.method.name", self.run.method.name, "'none'")
        _check(
            self.run.task.operation in ("x+y", "x-y"),
            w,
            "run.task.operation",
            self.run.task.operation,
            "'x+y' or 'x-y' (the Fourier score reads activations over the (a, b) grid)",
        )
        _check(
            isinstance(self.fraction, float) and 0 < self.fraction <= 1,
            w,
            "fraction",
            self.fraction,
            "a float in (0, 1]",
        )
        _check(
            isinstance(self.threshold, float) and 0 < self.threshold <= 1,
            w,
            "threshold",
            self.threshold,
            "a float in (0, 1]",
        )


def grid_tokens(p: int) -> torch.Tensor:
    """All p² inputs in Nanda's layout (a, b, '=' = p), row a * p + b: [p², 3]."""
    a, b = torch.meshgrid(torch.arange(p), torch.arange(p), indexing="ij")
    return torch.stack([a.flatten(), b.flatten(), torch.full((p * p,), p)], 1)


def family_power(h: torch.Tensor) -> torch.Tensor:
    """Share of each frequency family k = 1..p//2 in the non-DC power of activations over the
    (a, b) grid: h [..., p, p] -> [..., p//2]."""
    p = h.shape[-1]
    f = torch.fft.fft2(h.double() - h.double().mean((-2, -1), keepdim=True))  # [..., p, p]
    power = f.abs().pow(2)
    total = power.sum((-2, -1)).clamp_min(1e-300)
    shares = []
    for k in range(1, p // 2 + 1):
        cells = (
            {(s * k % p, 0) for s in (1, -1)}
            | {(0, s * k % p) for s in (1, -1)}
            | {(s * k % p, t * k % p) for s in (1, -1) for t in (1, -1)}
        )
        i, j = zip(*sorted(cells))
        shares.append(power[..., list(i), list(j)].sum(-1) / total)
    return torch.stack(shares, -1)


@torch.no_grad()
def neuron_scores(model, p: int) -> torch.Tensor:
    """Fourier score of every last-layer MLP neuron of every member: [M, d_mlp]."""
    tokens = grid_tokens(p).to(model.W_E.device)
    keep: dict = {}
    model(tokens.expand(model.W_E.shape[0], -1, -1), keep=keep)
    h = keep[max(keep)][:, :, 0]  # [M, p², d_mlp] at the read-out position
    h = h.transpose(1, 2).reshape(h.shape[0], h.shape[2], p, p)  # [M, d_mlp, p, p]
    return family_power(h).amax(-1)


NEURON_PARAMS = {"W_in": -1, "b_in": -1, "W_out": -2}  # where the neuron axis is, per parameter


def transplant_(model, donor: dict, member: int, neurons: torch.Tensor) -> None:
    """Copy the donor state's last-layer MLP neurons into member `member` of `model`, in place."""
    layer = model.cfg.n_layers - 1
    for name, axis in NEURON_PARAMS.items():
        full = f"{layer}_{name}"
        dst, src = getattr(model, full).data[member], donor[full][member]
        dst.index_copy_(axis % dst.ndim, neurons, src.index_select(axis, neurons))


def run_transplant(cfgs: list[TransplantRun], device: str = "cpu") -> list[RunRecord]:
    """Donor runs, then their transplanted copies; one record per seed (see the module doc)."""
    if any(c.stack_key != cfgs[0].stack_key for c in cfgs):
        raise ValueError("run_transplant needs runs that differ only in seed")
    thr = cfgs[0].threshold
    runs = [c.run.replace(stop_at_test_acc=thr) for c in cfgs]
    cfg = runs[0]
    every = max(cfg.eval_every, SNAPSHOT_EVERY // cfg.eval_every * cfg.eval_every)
    snaps: dict[int, Snapshot | None] = {s: None for s in range(0, cfg.num_steps + 1, every)}
    snaps[-1] = None
    donors = train_stack(runs, device=device, snapshots=snaps)
    p, n_mlp = cfg.task.p, cfg.model.d_mlp
    data = Stack(cfg, [c.seed for c in cfgs], device)
    model = build_model(cfg, data.first, [c.seed for c in cfgs]).to(device)
    donor_state = snaps[-1].model
    model.load_state_dict(donor_state)
    score_end = neuron_scores(model, p)  # [M, d_mlp]
    k = max(1, round(cfgs[0].fraction * n_mlp))
    chosen = score_end.topk(k, dim=-1).indices  # [M, k]
    at = [first_step(d.history["step"], d.history["train_acc"], thr) for d in donors]
    grok = [first_step(d.history["step"], d.history["test_acc"], thr) for d in donors]
    # a seed takes a transplant if it memorized, then grokked later (there is a delay to shorten)
    grokked = [a is not None and g is not None and g > a for a, g in zip(at, grok)]
    info: list[dict] = [{} for _ in cfgs]

    class Transplant(Hook):  # at each seed's memorization step, before that step's update
        def edit(self, ctx, metrics: dict) -> None:
            for i, s in enumerate(at):
                if s == ctx.step and grokked[i]:
                    info[i] = {
                        "score_at": float(neuron_scores(ctx.model, p)[i, chosen[i]].mean()),
                        "test_acc_at": float(metrics["test_acc"][i]),
                    }
                    transplant_(ctx.model, donor_state, i, chosen[i])

    todo = [s for s, g in zip(at, grokked) if g]
    start = max((s for s in snaps if s >= 0 and snaps[s] and todo and s <= min(todo)), default=None)
    moved = (
        train_stack(
            runs, device=device, hooks=[Transplant()], resume=snaps[start] if start else None
        )
        if todo
        else None
    )
    out = []
    for i, c in enumerate(cfgs):
        d = donors[i]
        t = moved[i] if moved is not None and info[i] else None
        summary = {
            "at_step": at[i],
            "donor_grok": grok[i],
            "transplant_grok": first_step(t.history["step"], t.history["test_acc"], thr)
            if t
            else None,
            "transplanted": bool(info[i]),
            "neurons": k,
            "score_end": float(score_end[i, chosen[i]].mean()),
            "score_all_end": float(score_end[i].mean()),
            **info[i],
        }
        h = {
            "step": d.history["step"],
            "test_acc": d.history["test_acc"],
            "train_acc": d.history["train_acc"],
        }
        if t:
            h.update(
                transplant_step=t.history["step"],
                transplant_test_acc=t.history["test_acc"],
                transplant_train_acc=t.history["train_acc"],
            )
        meta = dict(d.meta, transplant_meta=t.meta if t else None)
        out.append(new_record(c, h, summary, meta))
    return out


def speedup(r: RunRecord) -> float | None:
    """Steps from the memorization point to grokking, transplanted over not (None when
    either did not get there or no transplant was made)."""
    s = r.summary
    if not s["transplanted"] or s["transplant_grok"] is None or s["donor_grok"] is None:
        return None
    return (s["transplant_grok"] - s["at_step"]) / max(1, s["donor_grok"] - s["at_step"])


def presence(r: RunRecord) -> float | None:
    """Fourier score of the transplanted neurons at the memorization point over at the end."""
    s = r.summary
    return (
        s["score_at"] / s["score_end"]
        if s.get("score_at") is not None and s["score_end"] > 0
        else None
    )


def variant_of(
    base: RunConfig, seed: int, beta1: float = 0.9, weight_decay: float = 1.0, **kw
) -> TransplantRun:
    """One seed's TransplantRun of `base` at (β1, weight decay) (configs.variant); kw: its
    fields."""
    return TransplantRun(variant(base, beta1, weight_decay, seed), **kw)
