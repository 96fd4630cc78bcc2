#!/usr/bin/env python
"""Training throughput on this machine: model-steps/s for two workloads, three implementations.

Workloads
  transformer  Nanda et al. 2023: p=113, 30% train, 1 layer, d_model 128, 4 heads, d_mlp 512,
               ReLU, no LayerNorm, full batch, AdamW lr 1e-3 wd 1.0 betas (0.9, 0.98).
  mlp          EGD paper: x+y mod 97, 50% train, one-hot 194 -> 512 ReLU -> 97 (no output bias),
               plain SGD lr 0.7, batch 512, loss + 0.5e-4 (|W1|^2 + |W2|^2).

Implementations
  (a) a plain PyTorch loop written the way the original repositories write theirs (reference
      implementations written here, not library code);
  (b) grokcore.train.train_stack with one seed;
  (c) grokcore.train.train_stack with 8 stacked seeds (stack-steps/s and member-steps/s).
  (a)/(b) are also run as one single-threaded process per core (2 processes at once).

grokcore rows time train_stack itself: one run of W + R N steps with eval_every = num_steps,
each step clocked through train_stack's progress hook (grokcore.train._progress), so setup,
evaluation and the W warm-up steps are not timed; the R repeats are consecutive blocks of N
steps. (a) rows time their own loop the same way.

Then, for the MLP, the EGD gradient-transform variants on W1's gradient (full training steps/s,
ratio to SGD, time of the transform alone, and deviation from the float64 SVD polar factor).

    python bench/throughput.py                 # default, about 3 minutes on the 2-core CPU
    python bench/throughput.py --quick         # smoke check, < 30 s
    python bench/throughput.py --steps 10      # timed steps per repeat (see --help)
    python bench/throughput.py --json out.json # also write the results as JSON
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import math
import multiprocessing as mp
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # grokcore without installing

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from grokcore.config import (  # noqa: E402
    MethodConfig, MLPConfig, ModularTask, OptimConfig, RunConfig, TransformerConfig,
)
import grokcore.train  # noqa: E402
from grokcore import transforms  # noqa: E402
from grokcore.train import Batches, Stack, build_model, member_loss, train_stack  # noqa: E402

STACK = 8  # members in the stacked rows
P_T, FRAC_T = 113, 0.3  # transformer task (Nanda)
P_M, FRAC_M, BATCH_M = 97, 0.5, 512  # MLP task (EGD)

NOTES = """\
notes:
- steps/s: optimizer steps per second (stack-steps for a stack); member-steps/s = members x
  steps/s (summed over processes for the 1-thread x 2-process rows); ratio: member-steps/s over
  the same workload's (a) row at 2 threads. Medians of the repeats.
- grokcore's transformer unembeds to p=113 classes and computes its last layer (query, MLP,
  unembedding) only at the readout position; the Nanda-style reference (a) unembeds to p+1=114
  tokens and computes all 3 positions, as the original does. Same parameters otherwise.
- (a) transformer: hand-written einsum transformer, loss = mean -log_softmax(logits[:, -1])
  (float32, as the stored original code computes it), torch.optim.AdamW (default
  implementation), LambdaLR warmup min(step/10, 1). Left out of (a): the original also computes
  the test-set loss (with autograd) every step and rebuilds the label tensor in Python each
  step, so the original loop is slower per training step than (a).
- (a) MLP: dense one-hot float input [B, 194] @ W1, torch.optim.SGD, L2 term in the loss; the
  EGD original is JAX, so (a) is a plain PyTorch translation. grokcore (b) gathers rows of W1.
- grokcore rows time train_stack itself: each step is clocked through its progress hook;
  setup, evaluation and the warm-up steps are not timed. Timings vary +-10-15% on this machine, more when another process runs."""


# ---- configs -------------------------------------------------------------------------------

def transformer_cfg(steps: int, seed: int = 0) -> RunConfig:
    return RunConfig(task=ModularTask(p=P_T, frac_train=FRAC_T), model=TransformerConfig(),
                     optim=OptimConfig(name="adamw", lr=1e-3, weight_decay=1.0, loss_l2=0.0,
                                       betas=(0.9, 0.98), batch_size=None, warmup_steps=10),
                     num_steps=steps, eval_every=steps, seed=seed)


def mlp_cfg(steps: int, seed: int = 0, method: MethodConfig = MethodConfig()) -> RunConfig:
    return RunConfig(task=ModularTask(p=P_M, frac_train=FRAC_M), model=MLPConfig(width=512),
                     optim=OptimConfig(), method=method, num_steps=steps, eval_every=steps,
                     seed=seed)


# (label, MethodConfig) for the gradient-transform table
VARIANTS = [
    ("SGD (no transform)", MethodConfig()),
    ("EGD svd", MethodConfig(name="egd", egd_solver="svd")),
    ("EGD eigh", MethodConfig(name="egd", egd_solver="eigh")),
    ("EGD rsvd r=128", MethodConfig(name="egd", egd_solver="rsvd", rank=128)),
    ("EGD rsvd r=64", MethodConfig(name="egd", egd_solver="rsvd", rank=64)),
    ("EGD newton_schulz", MethodConfig(name="egd", egd_solver="newton_schulz")),
]


# ---- (a) reference loops, written as the original repositories write theirs ----------------

class NandaTransformer(nn.Module):
    """Hand-written einsum transformer in the layout of Nanda et al.'s code: every position is
    computed, logits over the whole vocabulary (p + 1 tokens, '=' included)."""

    def __init__(self, d_vocab: int, n_ctx: int = 3, d_model: int = 128, n_heads: int = 4,
                 d_mlp: int = 512):
        super().__init__()
        d_head, s = d_model // n_heads, 1 / math.sqrt(d_model)
        self.d_head = d_head
        self.W_E = nn.Parameter(torch.randn(d_model, d_vocab) * s)
        self.W_pos = nn.Parameter(torch.randn(n_ctx, d_model) * s)
        self.W_Q = nn.Parameter(torch.randn(n_heads, d_head, d_model) * s)
        self.W_K = nn.Parameter(torch.randn(n_heads, d_head, d_model) * s)
        self.W_V = nn.Parameter(torch.randn(n_heads, d_head, d_model) * s)
        self.W_O = nn.Parameter(torch.randn(d_model, d_head * n_heads) * s)
        self.W_in = nn.Parameter(torch.randn(d_mlp, d_model) * s)
        self.b_in = nn.Parameter(torch.zeros(d_mlp))
        self.W_out = nn.Parameter(torch.randn(d_model, d_mlp) * s)
        self.b_out = nn.Parameter(torch.zeros(d_model))
        self.W_U = nn.Parameter(torch.randn(d_model, d_vocab) / math.sqrt(d_vocab))
        self.register_buffer("mask", torch.tril(torch.ones(n_ctx, n_ctx)))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:  # [batch, pos] -> [batch, pos, vocab]
        x = torch.einsum("dbp->bpd", self.W_E[:, tokens]) + self.W_pos[: tokens.shape[1]]
        n = x.shape[1]
        k = torch.einsum("ihd,bpd->biph", self.W_K, x)
        q = torch.einsum("ihd,bpd->biph", self.W_Q, x)
        v = torch.einsum("ihd,bpd->biph", self.W_V, x)
        scores = torch.einsum("biph,biqh->biqp", k, q)
        masked = torch.tril(scores) - 1e10 * (1 - self.mask[:n, :n])
        attn = F.softmax(masked / math.sqrt(self.d_head), dim=-1)
        z = torch.einsum("biph,biqp->biqh", v, attn)
        z_flat = z.permute(0, 2, 1, 3).reshape(x.shape[0], n, -1)  # b i q h -> b q (i h)
        x = x + torch.einsum("df,bqf->bqd", self.W_O, z_flat)
        pre = torch.einsum("md,bpd->bpm", self.W_in, x) + self.b_in
        x = x + torch.einsum("dm,bpm->bpd", self.W_out, F.relu(pre)) + self.b_out
        return x @ self.W_U


def reference_transformer(seed: int):
    """One training step of the Nanda-style loop (full batch), as a closure."""
    p = P_T
    pairs = [(i, j, p) for i in range(p) for j in range(p)]
    random.seed(seed)
    random.shuffle(pairs)
    train = torch.tensor(pairs[: int(FRAC_T * len(pairs))])
    labels = (train[:, 0] + train[:, 1]) % p
    torch.manual_seed(seed)
    model = NandaTransformer(d_vocab=p + 1)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1.0, betas=(0.9, 0.98))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: min(step / 10, 1))

    def step():
        logits = model(train)[:, -1]
        logprobs = F.log_softmax(logits.to(torch.float32), dim=-1)
        loss = -torch.gather(logprobs, index=labels[:, None], dim=-1).mean()
        loss.backward()
        opt.step()
        sched.step()
        opt.zero_grad()

    return step


def reference_mlp(seed: int):
    """One minibatch step of the EGD-paper MLP written as a plain PyTorch loop, as a closure."""
    p, h, wd = P_M, 512, 1e-4
    a, b = torch.meshgrid(torch.arange(p), torch.arange(p), indexing="ij")
    a, b = a.reshape(-1), b.reshape(-1)
    x_all = torch.cat([F.one_hot(a, p), F.one_hot(b, p)], dim=1).float()  # [p^2, 2p]
    y_all = (a + b) % p
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(p * p, generator=g)
    n_train = int(FRAC_M * p * p)
    x_train, y_train = x_all[perm[:n_train]], y_all[perm[:n_train]]
    W1 = nn.Parameter(torch.randn(2 * p, h, generator=g) * math.sqrt(2 / (2 * p)))
    b1 = nn.Parameter(torch.zeros(h))
    W2 = nn.Parameter(torch.randn(h, p, generator=g) * math.sqrt(2 / h))
    opt = torch.optim.SGD([W1, b1, W2], lr=0.7)
    per_epoch = n_train // BATCH_M  # the remainder is dropped, as the EGD code does
    state = {"order": None, "j": per_epoch}

    def step():
        if state["j"] == per_epoch:
            state["order"], state["j"] = torch.randperm(n_train, generator=g), 0
        j = state["j"]
        idx = state["order"][j * BATCH_M:(j + 1) * BATCH_M]
        state["j"] = j + 1
        out = F.relu(x_train[idx] @ W1 + b1) @ W2
        loss = F.cross_entropy(out, y_train[idx]) + 0.5 * wd * (W1.pow(2).sum() + W2.pow(2).sum())
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


REFERENCES = {"transformer": reference_transformer, "mlp": reference_mlp}


# ---- timing --------------------------------------------------------------------------------

def time_reference(workload: str, warm: int, n: int, repeats: int) -> list[float]:
    """Seconds per step of reference loop (a), one value per repeat of n steps."""
    step = REFERENCES[workload](seed=0)
    for _ in range(warm):
        step()
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        out.append((time.perf_counter() - t0) / n)
    return out


class _StepClock:
    """Stands in for train_stack's progress bar (grokcore.train._progress): update() is called
    once after every training step, so its time stamps clock the steps inside the real loop."""

    def __init__(self, total: int):
        self.stamps: list[float] = []

    def update(self, n: int = 1) -> None:
        self.stamps.append(time.perf_counter())

    def set_postfix(self, *args, **kwargs) -> None:
        pass

    def close(self) -> None:
        pass


def time_grokcore(workload: str, members: int, warm: int, n: int, repeats: int,
                  method: MethodConfig | None = None, on_start=None) -> list[float]:
    """Seconds per (stack-)step of grokcore.train.train_stack, one value per repeat of n steps.

    One run of warm + repeats * n steps with eval_every = num_steps; each step is clocked by the
    progress hook, so setup, the two evaluations and the first `warm` steps are not timed.
    on_start() runs at the step-0 log call (the 2-process mode synchronizes there)."""
    steps = warm + repeats * n
    if workload == "transformer":
        cfgs = [transformer_cfg(steps, s) for s in range(members)]
    else:
        cfgs = [mlp_cfg(steps, s, method or MethodConfig()) for s in range(members)]
    if not hasattr(grokcore.train, "_progress"):
        raise RuntimeError("grokcore.train._progress is gone: update _StepClock in bench/throughput.py")
    clocks = []
    saved = grokcore.train._progress
    grokcore.train._progress = lambda total: clocks.append(_StepClock(total)) or clocks[-1]
    try:
        train_stack(cfgs, progress=True,
                    log=(lambda step, metrics: on_start() if step == 0 else None) if on_start else None)
    finally:
        grokcore.train._progress = saved
    t = clocks[0].stamps  # t[j]: end of step j + 1
    if len(t) != steps:
        raise RuntimeError(f"clocked {len(t)} steps of {steps}: train_stack's progress hook changed")
    return [(t[warm - 1 + (i + 1) * n] - t[warm - 1 + i * n]) / n for i in range(repeats)]


def _worker(kind: str, workload: str, warm: int, n: int, repeats: int, barrier, queue) -> None:
    """One single-threaded process of the one-process-per-core mode."""
    torch.set_num_threads(1)
    if kind == "reference":  # build and warm up before the barrier
        step = REFERENCES[workload](seed=0)
        for _ in range(warm):
            step()
        barrier.wait()
        out = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            for _ in range(n):
                step()
            out.append((time.perf_counter() - t0) / n)
    else:  # both processes start stepping after their setup and step-0 evaluation
        out = time_grokcore(workload, 1, warm, n, repeats, on_start=barrier.wait)
    queue.put(out)


def time_processes(kind: str, workload: str, warm: int, n: int, repeats: int,
                   procs: int = 2) -> list[list[float]]:
    """Seconds per step in each of `procs` concurrent single-threaded processes."""
    ctx = mp.get_context("spawn")
    barrier, queue = ctx.Barrier(procs), ctx.Queue()
    ps = [ctx.Process(target=_worker, args=(kind, workload, warm, n, repeats, barrier, queue))
          for _ in range(procs)]
    for p in ps:
        p.start()
    results = [queue.get(timeout=900) for _ in ps]
    for p in ps:
        p.join()
    return results


# ---- gradient transforms on the MLP's W1 gradient ------------------------------------------

def real_w1_gradient() -> torch.Tensor:
    """W1's gradient [1, 194, 512] (loss + L2 term) of the grokcore MLP on its first batch, at init."""
    cfg = mlp_cfg(1)
    data = Stack(cfg, [0], "cpu")
    model = build_model(cfg, data.first, [0])
    x, y = data.batch(Batches(data.train_idx, cfg.optim.batch_size, [0]).next())
    loss = member_loss(cfg, model(x), y).sum()
    params = dict(model.named_parameters())
    loss = loss + 0.5 * cfg.optim.loss_l2 * sum(params[n].pow(2).sum() for n in model.matrices())
    loss.backward()
    return model.W1.grad.detach().clone()


def transform_accuracy_and_cost(g: torch.Tensor, reps: int) -> dict[str, dict]:
    """Per variant: max |output - float64 SVD polar factor| and ms per call of the transform alone."""
    ref = transforms.polar_svd(g.double())
    out = {}
    for label, method in VARIANTS:
        tx = transforms.from_config(method, [0])
        state = tx.init({"W1": g})
        new, state = tx.update({"W1": g}, state, {"W1": g})
        if method.name == "none":
            dev = rel = None
        else:
            diff = new["W1"].double() - ref
            dev = diff.abs().max().item()
            rel = (diff.norm() / ref.norm()).item()
        t0 = time.perf_counter()
        for _ in range(reps):
            tx.update({"W1": g}, state, {"W1": g})
        out[label] = {"max_abs_dev": dev, "rel_fro_dev": rel,
                      "transform_ms": 1e3 * (time.perf_counter() - t0) / reps}
    return out


# ---- main ----------------------------------------------------------------------------------

def _row(workload, impl, threads, procs, members, sec_per_step, base=None):
    """A result row from per-step seconds (one list of repeats per process)."""
    per_proc = [1 / statistics.median(s) for s in sec_per_step]
    member_steps = members * sum(per_proc)
    every = [1 / x for s in sec_per_step for x in s]
    return {"workload": workload, "impl": impl, "threads": threads, "processes": procs,
            "members": members, "steps_per_s": statistics.mean(per_proc),
            "steps_per_s_min": min(every), "steps_per_s_max": max(every),
            "member_steps_per_s": member_steps,
            "ratio_to_a": None if base is None else member_steps / base,
            "repeats_s_per_step": sec_per_step}


def _fmt_table(rows: list[dict], columns: list[tuple[str, object]]) -> str:
    """Plain text table; the first two columns left-aligned, the rest right-aligned."""
    cells = [[h for h, _ in columns]] + [[f(r) for _, f in columns] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    lines = ["  ".join(v.ljust(w) if i < 2 else v.rjust(w) for i, (v, w) in enumerate(zip(r, widths)))
             for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _num(x: float) -> str:
    return f"{x:.3g}" if x < 10 else f"{x:.0f}" if x >= 100 else f"{x:.1f}"


MAIN_COLUMNS = [
    ("workload", lambda r: r["workload"]),
    ("implementation", lambda r: r["impl"]),
    ("threads", lambda r: str(r["threads"]) if r["processes"] == 1 else f"1 x {r['processes']} procs"),
    ("steps/s", lambda r: _num(r["steps_per_s"])),
    ("(min-max)", lambda r: f"({_num(r['steps_per_s_min'])}-{_num(r['steps_per_s_max'])})"),
    ("member-steps/s", lambda r: _num(r["member_steps_per_s"])),
    ("ratio to (a)", lambda r: f"{r['ratio_to_a']:.2f}"),
]

TX_COLUMNS = [
    ("variant", lambda r: r["impl"]),
    ("", lambda r: ""),
    ("steps/s", lambda r: _num(r["steps_per_s"])),
    ("(min-max)", lambda r: f"({_num(r['steps_per_s_min'])}-{_num(r['steps_per_s_max'])})"),
    ("ratio to SGD", lambda r: f"{r['ratio_to_sgd']:.2f}"),
    ("transform ms", lambda r: f"{r['transform_ms']:.2f}"),
    ("max|dev|", lambda r: "-" if r["max_abs_dev"] is None else f"{r['max_abs_dev']:.1e}"),
    ("rel. Frobenius dev", lambda r: "-" if r["rel_fro_dev"] is None else f"{r['rel_fro_dev']:.1e}"),
]


def write_json_atomic(path: str, obj) -> None:
    """Write JSON to a temporary file in the target's folder, then rename it over the target."""
    path = os.path.abspath(path)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".throughput-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(obj, f, indent=1, allow_nan=False)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _progress_line(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="smoke check (< 30 s): --steps 1 20, no 2-process rows")
    ap.add_argument("--steps", type=int, nargs="+", metavar="N",
                    help="timed steps per repeat: N for the transformer rows (stack-steps for the "
                         "stacked row) and, when a second value M is given, M for the MLP rows "
                         "(default M = 20 N); default 5 (100), --quick 1 (20)")
    ap.add_argument("--repeats", type=int, default=3, help="repeats per row, median reported (default 3)")
    ap.add_argument("--workload", choices=("all", "transformer", "mlp"), default="all")
    ap.add_argument("--no-procs", action="store_true", help="skip the 1-thread x 2-process rows")
    ap.add_argument("--no-transforms", action="store_true", help="skip the gradient-transform table")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON (atomically)")
    args = ap.parse_args(argv)

    steps = args.steps or ([1, 20] if args.quick else [5])
    n_t = steps[0]
    n_m = steps[1] if len(steps) > 1 else 20 * n_t
    repeats = args.repeats
    if min(n_t, n_m, repeats) < 1 or len(steps) > 2:
        ap.error("--steps takes one or two positive integers; --repeats a positive integer")
    warm_t, warm_m = 2, 10  # untimed warm-up steps before the timed repeats
    procs = not (args.no_procs or args.quick)
    threads = torch.get_num_threads()
    t_start = time.perf_counter()
    print(f"torch {torch.__version__}, {threads} threads, {os.cpu_count()} CPUs ({platform.machine()}); "
          f"timed steps per repeat: transformer {n_t}, MLP {n_m}; {repeats} repeats", flush=True)

    rows = []
    workloads = ["transformer", "mlp"] if args.workload == "all" else [args.workload]
    for wl in workloads:
        n, warm = (n_t, warm_t) if wl == "transformer" else (n_m, warm_m)
        jobs = [("(a) reference loop", threads, 1, 1, lambda: [time_reference(wl, warm, n, repeats)]),
                ("(b) grokcore, 1 seed", threads, 1, 1, lambda: [time_grokcore(wl, 1, warm, n, repeats)]),
                (f"(c) grokcore, {STACK} seeds stacked", threads, 1, STACK,
                 lambda: [time_grokcore(wl, STACK, warm, n, repeats)])]
        if procs:
            jobs += [("(a) reference loop", 1, 2, 1, lambda: time_processes("reference", wl, warm, n, repeats)),
                     ("(b) grokcore, 1 seed", 1, 2, 1, lambda: time_processes("grokcore", wl, warm, n, repeats))]
        base = None
        for impl, th, np_, members, run in jobs:
            t0 = time.perf_counter()
            r = _row(wl, impl, th, np_, members, run(), base)
            if base is None:
                base, r["ratio_to_a"] = r["member_steps_per_s"], 1.0
            rows.append(r)
            _progress_line(f"  {wl} {impl} x{np_}: {_num(r['member_steps_per_s'])} member-steps/s "
                           f"({time.perf_counter() - t0:.0f} s)")

    print()
    print(_fmt_table(rows, MAIN_COLUMNS))
    print(NOTES)

    tx_rows = []
    if "mlp" in workloads and not args.no_transforms:
        g = real_w1_gradient()
        acc = transform_accuracy_and_cost(g, reps=5 if args.quick else 20)
        sgd = None
        for label, method in VARIANTS:
            t0 = time.perf_counter()
            r = _row("mlp", label, threads, 1, 1, [time_grokcore("mlp", 1, warm_m, n_m, repeats, method)])
            sgd = sgd or r["steps_per_s"]
            r.update(acc[label], ratio_to_sgd=r["steps_per_s"] / sgd, method=dataclasses.asdict(method))
            r.pop("ratio_to_a")
            tx_rows.append(r)
            _progress_line(f"  mlp {label}: {_num(r['steps_per_s'])} steps/s ({time.perf_counter() - t0:.0f} s)")
        print()
        print(f"EGD-paper MLP: gradient transform on W1's gradient G [1, 194, 512] "
              f"(grokcore, 1 seed, {threads} threads)")
        print(_fmt_table(tx_rows, TX_COLUMNS))
        print("- steps/s: full grokcore training steps with the transform (median of the repeats);\n"
              "  transform ms: the transform alone on G.\n"
              "- dev: the variant's output on one real G (the first batch's, at init, L2 term\n"
              "  included) minus U V^T of a float64 SVD of G; rsvd keeps only the top r directions,\n"
              "  newton_schulz runs MethodConfig's ns_steps iterations.")

    total = time.perf_counter() - t_start
    print(f"\ntotal {total:.0f} s")
    if args.json:
        write_json_atomic(args.json, {
            "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "torch": torch.__version__, "python": platform.python_version(),
            "machine": f"{os.cpu_count()} CPUs ({platform.machine()})",
            "threads": threads, "steps": {"transformer": n_t, "mlp": n_m}, "repeats": repeats,
            "warmup_steps": {"transformer": warm_t, "mlp": warm_m}, "quick": args.quick,
            "total_s": total, "rows": rows, "transforms": tx_rows, "notes": NOTES})


if __name__ == "__main__":
    main()
