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

    python bench/throughput.py                 # default, about 2 minutes on the 2-core CPU
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
import queue
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

import grokcore.train  # noqa: E402
from grokcore import transforms  # noqa: E402
from grokcore.config import (  # noqa: E402
    MethodConfig,
    MLPConfig,
    ModularTask,
    OptimConfig,
    RunConfig,
    TransformerConfig,
)
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
  EGD original is JAX, so (a) is a plain PyTorch translation. grokcore (b) sums rows of W1
  (embedding bag).
- grokcore rows time train_stack itself: each step is clocked through its progress hook;
  setup, evaluation and the warm-up steps are not timed.
- (min-max): range over the repeats (and processes). others' CPU: cores that other processes
  kept busy while the row ran ("!" above 0.1). Another process slows 2-thread rows far more
  than its share (each parallel region waits for a descheduled thread): rerun "!" rows."""


# ---- configs -------------------------------------------------------------------------------


def transformer_cfg(steps: int, seed: int = 0) -> RunConfig:
    return RunConfig(
        task=ModularTask(p=P_T, frac_train=FRAC_T),
        model=TransformerConfig(),
        optim=OptimConfig(
            name="adamw",
            lr=1e-3,
            weight_decay=1.0,
            loss_l2=0.0,
            betas=(0.9, 0.98),
            batch_size=None,
            warmup_steps=10,
        ),
        num_steps=steps,
        eval_every=steps,
        seed=seed,
    )


def mlp_cfg(steps: int, seed: int = 0, method: MethodConfig | None = None) -> RunConfig:
    return RunConfig(
        task=ModularTask(p=P_M, frac_train=FRAC_M),
        model=MLPConfig(width=512),
        optim=OptimConfig(),
        method=method or MethodConfig(),
        num_steps=steps,
        eval_every=steps,
        seed=seed,
    )


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

    def __init__(
        self, d_vocab: int, n_ctx: int = 3, d_model: int = 128, n_heads: int = 4, d_mlp: int = 512
    ):
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
        idx = state["order"][j * BATCH_M : (j + 1) * BATCH_M]
        state["j"] = j + 1
        out = F.relu(x_train[idx] @ W1 + b1) @ W2
        loss = F.cross_entropy(out, y_train[idx]) + 0.5 * wd * (W1.pow(2).sum() + W2.pow(2).sum())
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


REFERENCES = {"transformer": reference_transformer, "mlp": reference_mlp}


# ---- timing --------------------------------------------------------------------------------


def time_reference(workload: str, warm: int, n: int, repeats: int, on_start=None) -> list[float]:
    """Seconds per step of reference loop (a), one value per repeat of n steps; on_start runs
    after the build and warm-up, before the clock starts (a barrier for concurrent processes)."""
    step = REFERENCES[workload](seed=0)
    for _ in range(warm):
        step()
    if on_start is not None:
        on_start()
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


def time_grokcore(
    workload: str,
    members: int,
    warm: int,
    n: int,
    repeats: int,
    method: MethodConfig | None = None,
    on_start=None,
) -> list[float]:
    """Seconds per (stack-)step of grokcore.train.train_stack, one value per repeat of n steps.

    One run of warm + repeats * n steps with eval_every = num_steps; each step is clocked by the
    progress hook, so setup, the two evaluations and the first `warm` steps are not timed.
    on_start() runs at the step-0 log call (the 2-process mode synchronizes there)."""
    steps = warm + repeats * n
    if workload == "transformer":
        cfgs = [transformer_cfg(steps, s) for s in range(members)]
    else:
        cfgs = [mlp_cfg(steps, s, method) for s in range(members)]
    if not hasattr(grokcore.train, "_progress"):
        raise RuntimeError("grokcore.train._progress is gone: update bench/throughput.py")
    clocks = []
    saved = grokcore.train._progress
    grokcore.train._progress = lambda total: clocks.append(_StepClock(total)) or clocks[-1]

    def log(step, metrics):
        if step == 0 and on_start is not None:
            on_start()

    try:
        train_stack(cfgs, progress=True, log=log)
    finally:
        grokcore.train._progress = saved
    t = clocks[0].stamps  # t[j]: end of step j + 1
    if len(t) != steps:
        raise RuntimeError(
            f"clocked {len(t)} of {steps} steps: train_stack's progress hook changed"
        )
    return [(t[warm - 1 + (i + 1) * n] - t[warm - 1 + i * n]) / n for i in range(repeats)]


def _worker(kind: str, workload: str, warm: int, n: int, repeats: int, barrier, results_q) -> None:
    """One single-threaded process of the one-process-per-core mode."""
    torch.set_num_threads(1)
    if kind == "reference":  # build and warm up before the barrier
        out = time_reference(workload, warm, n, repeats, on_start=barrier.wait)
    else:  # both processes start stepping after their setup and step-0 evaluation
        out = time_grokcore(workload, 1, warm, n, repeats, on_start=barrier.wait)
    results_q.put(out)


def time_processes(
    kind: str, workload: str, warm: int, n: int, repeats: int, procs: int = 2
) -> list[list[float]]:
    """Seconds per step in each of `procs` concurrent single-threaded processes."""
    ctx = mp.get_context("spawn")  # fresh interpreters: no OpenMP state inherited from this one
    barrier, results_q = ctx.Barrier(procs, timeout=600), ctx.Queue()
    ps = [
        ctx.Process(target=_worker, args=(kind, workload, warm, n, repeats, barrier, results_q))
        for _ in range(procs)
    ]
    for p in ps:
        p.start()
    results = []
    try:
        while len(results) < procs:
            try:
                results.append(results_q.get(timeout=1))
            except queue.Empty:  # check that no worker died
                dead = [p.exitcode for p in ps if p.exitcode not in (None, 0)]
                if dead:
                    raise RuntimeError(f"a timing process failed (exit code {dead[0]})") from None
    finally:
        for p in ps:
            p.join(timeout=10)
            if p.is_alive():
                p.terminate()
    return results


# ---- gradient transforms on the MLP's W1 gradient ------------------------------------------


def real_w1_gradient() -> torch.Tensor:
    """W1's gradient [1, 194, 512] (loss + L2 term) of the grokcore MLP: first batch, at init."""
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
    """Per variant: max |output - float64 SVD polar factor|, ms per call of the transform alone."""
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
        out[label] = {
            "max_abs_dev": dev,
            "rel_fro_dev": rel,
            "transform_ms": 1e3 * (time.perf_counter() - t0) / reps,
        }
    return out


# ---- main ----------------------------------------------------------------------------------


def _row(workload, impl, threads, procs, members, sec_per_step, base=None):
    """A result row from per-step seconds (one list of repeats per process)."""
    per_proc = [1 / statistics.median(s) for s in sec_per_step]
    member_steps = members * sum(per_proc)
    every = [1 / x for s in sec_per_step for x in s]
    return {
        "workload": workload,
        "impl": impl,
        "threads": threads,
        "processes": procs,
        "members": members,
        "steps_per_s": statistics.mean(per_proc),
        "steps_per_s_min": min(every),
        "steps_per_s_max": max(every),
        "member_steps_per_s": member_steps,
        "ratio_to_a": None if base is None else member_steps / base,
        "repeats_s_per_step": sec_per_step,
    }


def _fmt_table(rows: list[dict], columns: list[tuple[str, object]]) -> str:
    """Plain text table; the first two columns left-aligned, the rest right-aligned."""
    cells = [[h for h, _ in columns]] + [[f(r) for _, f in columns] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    lines = [
        "  ".join(
            v.ljust(w) if i < 2 else v.rjust(w)
            for i, (v, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _num(x: float) -> str:
    return f"{x:.3g}" if x < 10 else f"{x:.0f}" if x >= 100 else f"{x:.1f}"


def _range(r: dict) -> str:
    return f"({_num(r['steps_per_s_min'])}-{_num(r['steps_per_s_max'])})"


def _load(cores: float | None) -> str:
    return "?" if cores is None else f"{cores:.2f}" + (" !" if cores > BUSY else "")


BUSY = 0.1  # cores used by other processes above which a row is flagged "!"

MAIN_COLUMNS = [
    ("workload", lambda r: r["workload"]),
    ("implementation", lambda r: r["impl"]),
    (
        "threads",
        lambda r: f"{r['threads']}" if r["processes"] == 1 else f"1 x {r['processes']} procs",
    ),
    ("steps/s", lambda r: _num(r["steps_per_s"])),
    ("(min-max)", lambda r: _range(r)),
    ("member-steps/s", lambda r: _num(r["member_steps_per_s"])),
    ("ratio to (a)", lambda r: f"{r['ratio_to_a']:.2f}"),
    ("others' CPU", lambda r: _load(r["other_load_cores"])),
]

TX_COLUMNS = [
    ("variant", lambda r: r["impl"]),
    ("", lambda r: ""),
    ("steps/s", lambda r: _num(r["steps_per_s"])),
    ("(min-max)", lambda r: _range(r)),
    ("ratio to SGD", lambda r: f"{r['ratio_to_sgd']:.2f}"),
    ("transform ms", lambda r: f"{r['transform_ms']:.2f}"),
    ("max|dev|", lambda r: "-" if r["max_abs_dev"] is None else f"{r['max_abs_dev']:.1e}"),
    (
        "rel. Frobenius dev",
        lambda r: "-" if r["rel_fro_dev"] is None else f"{r['rel_fro_dev']:.1e}",
    ),
    ("others' CPU", lambda r: _load(r["other_load_cores"])),
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


def _cpu_seconds() -> tuple[float, float] | None:
    """(busy CPU seconds of the whole machine, CPU seconds of this process and its reaped
    children), or None where /proc/stat is missing (not Linux)."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    busy = sum(ticks[:8]) - ticks[3] - ticks[4]  # user..steal minus idle and iowait
    t = os.times()
    return busy / os.sysconf("SC_CLK_TCK"), t.user + t.system + t.children_user + t.children_system


class OtherLoad:
    """CPU cores that other processes use meanwhile: (machine busy - ours) / wall time."""

    def __enter__(self):
        self.t0, self.c0, self.cores = time.perf_counter(), _cpu_seconds(), None
        return self

    def __exit__(self, *exc) -> None:
        c1, wall = _cpu_seconds(), time.perf_counter() - self.t0
        if self.c0 is not None and c1 is not None and wall > 0:
            self.cores = max(0.0, ((c1[0] - self.c0[0]) - (c1[1] - self.c0[1])) / wall)


def _progress_line(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--quick",
        action="store_true",
        help="smoke check (< 30 s): --steps 1 20 --repeats 3, no 2-process rows",
    )
    ap.add_argument(
        "--steps",
        type=int,
        nargs="+",
        metavar="N",
        help="timed steps per repeat: N for the transformer rows (stack-steps for the "
        "stacked row) and, when a second value M is given, M for the MLP rows "
        "(default M = 20 N); default 5 (100), --quick 1 (20)",
    )
    ap.add_argument(
        "--repeats", type=int, help="repeats per row, median reported (default 5, --quick 3)"
    )
    ap.add_argument("--workload", choices=("all", "transformer", "mlp"), default="all")
    ap.add_argument("--no-procs", action="store_true", help="skip the 1-thread x 2-process rows")
    ap.add_argument(
        "--no-transforms", action="store_true", help="skip the gradient-transform table"
    )
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON (atomically)")
    args = ap.parse_args(argv)
    steps = args.steps or ([1, 20] if args.quick else [5])
    args.n_t, args.n_m = steps[0], (steps[1] if len(steps) > 1 else 20 * steps[0])
    args.repeats = args.repeats or (3 if args.quick else 5)
    if min(args.n_t, args.n_m, args.repeats) < 1 or len(steps) > 2:
        ap.error("--steps takes one or two positive integers; --repeats a positive integer")
    if args.json and not os.path.isdir(os.path.dirname(os.path.abspath(args.json))):
        ap.error(f"--json {args.json}: no such folder")
    args.procs = not (args.no_procs or args.quick)
    return args


WARM = {"transformer": 2, "mlp": 10}  # untimed warm-up steps before the timed repeats


def workload_rows(wl: str, n: int, repeats: int, procs: bool, threads: int) -> list[dict]:
    """Rows (a), (b), (c) and, with procs, (a) and (b) as 2 single-threaded processes."""
    warm = WARM[wl]
    jobs = [
        ("(a) reference loop", threads, 1, 1, lambda: [time_reference(wl, warm, n, repeats)]),
        ("(b) grokcore, 1 seed", threads, 1, 1, lambda: [time_grokcore(wl, 1, warm, n, repeats)]),
        (
            f"(c) grokcore, {STACK} seeds stacked",
            threads,
            1,
            STACK,
            lambda: [time_grokcore(wl, STACK, warm, n, repeats)],
        ),
    ]
    if procs:
        jobs += [
            (
                "(a) reference loop",
                1,
                2,
                1,
                lambda: time_processes("reference", wl, warm, n, repeats),
            ),
            (
                "(b) grokcore, 1 seed",
                1,
                2,
                1,
                lambda: time_processes("grokcore", wl, warm, n, repeats),
            ),
        ]
    rows, base = [], None
    for impl, th, n_procs, members, run in jobs:
        t0 = time.perf_counter()
        with OtherLoad() as load:
            r = _row(wl, impl, th, n_procs, members, run(), base)
        r["other_load_cores"] = load.cores
        if base is None:
            base, r["ratio_to_a"] = r["member_steps_per_s"], 1.0
        rows.append(r)
        _progress_line(
            f"  {wl} {impl}, {th} thread(s) x {n_procs} process(es): "
            f"{_num(r['member_steps_per_s'])} member-steps/s "
            f"({time.perf_counter() - t0:.0f} s)"
        )
    return rows


def transform_rows(n: int, repeats: int, threads: int, quick: bool) -> list[dict]:
    """The EGD variants on the MLP: training steps/s, cost of the transform, deviation."""
    acc = transform_accuracy_and_cost(real_w1_gradient(), reps=5 if quick else 20)
    rows, sgd = [], None
    for label, method in VARIANTS:
        t0 = time.perf_counter()
        with OtherLoad() as load:
            r = _row(
                "mlp",
                label,
                threads,
                1,
                1,
                [time_grokcore("mlp", 1, WARM["mlp"], n, repeats, method)],
            )
        r["other_load_cores"] = load.cores
        sgd = sgd or r["steps_per_s"]
        r.update(acc[label], ratio_to_sgd=r["steps_per_s"] / sgd, method=dataclasses.asdict(method))
        r.pop("ratio_to_a")
        rows.append(r)
        _progress_line(
            f"  mlp {label}: {_num(r['steps_per_s'])} steps/s ({time.perf_counter() - t0:.0f} s)"
        )
    return rows


TX_NOTES = """\
- steps/s: full grokcore training steps with the transform (median of the repeats);
  transform ms: the transform alone on G.
- dev: the variant's output on one real G (the first batch's, at init, L2 term
  included) minus U V^T of a float64 SVD of G; rsvd keeps only the top r directions,
  newton_schulz runs MethodConfig's ns_steps iterations."""


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            names = [ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")]
    except OSError:
        names = []
    return f"{os.cpu_count()} CPUs ({names[0] if names else platform.machine()})"


def main(argv=None) -> None:
    args = parse_args(argv)
    threads = torch.get_num_threads()
    t_start = time.perf_counter()
    print(
        f"torch {torch.__version__}, {threads} threads, {_cpu_model()}; timed steps per "
        f"repeat: transformer {args.n_t}, MLP {args.n_m}; {args.repeats} repeats",
        flush=True,
    )
    workloads = ["transformer", "mlp"] if args.workload == "all" else [args.workload]
    rows, tx_rows = [], []
    with OtherLoad() as whole:
        for wl in workloads:
            n = args.n_t if wl == "transformer" else args.n_m
            rows += workload_rows(wl, n, args.repeats, args.procs, threads)
        print()
        print(_fmt_table(rows, MAIN_COLUMNS))
        print(NOTES)
        if "mlp" in workloads and not args.no_transforms:
            tx_rows = transform_rows(args.n_m, args.repeats, threads, args.quick)
            print(
                f"\nEGD-paper MLP: gradient transform on W1's gradient G [1, 194, 512] "
                f"(grokcore, 1 seed, {threads} threads)"
            )
            print(_fmt_table(tx_rows, TX_COLUMNS))
            print(TX_NOTES)
    total = time.perf_counter() - t_start
    print(f"\ntotal {total:.0f} s; other processes kept {_load(whole.cores)} cores busy on average")
    flagged = [r for r in rows + tx_rows if (r["other_load_cores"] or 0) > BUSY]
    if flagged:
        print(
            f"warning: {len(flagged)} rows ran while other processes used > {BUSY} cores "
            f"(marked !); their figures are low: rerun on an idle machine"
        )
    if args.json:
        write_json_atomic(
            args.json,
            {
                "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
                "torch": torch.__version__,
                "python": platform.python_version(),
                "machine": _cpu_model(),
                "threads": threads,
                "steps": {"transformer": args.n_t, "mlp": args.n_m},
                "repeats": args.repeats,
                "warmup_steps": WARM,
                "quick": args.quick,
                "total_s": total,
                "other_load_cores": whole.cores,
                "rows": rows,
                "transforms": tx_rows,
                "notes": NOTES + "\n" + TX_NOTES,
            },
        )


if __name__ == "__main__":
    main()
