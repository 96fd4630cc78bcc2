"""Steps/s of every source's own model: grokcore's preset against a plain PyTorch loop written
the way that source's code writes its loop, side by side in one run, on one thread (issue 25).

    .venv/bin/python bench/presets_speed.py                   # ~8 min on the 2-core CPU
    .venv/bin/python bench/presets_speed.py --quick           # smoke, ~1.5 min
    .venv/bin/python bench/presets_speed.py --only grokfast fastgrok --rounds 5
    .venv/bin/python bench/presets_speed.py --json bench/results/presets-speed.json

For each preset these loops train the same model (same task, batch, optimizer, seed):

- plain: the source's loop (bench/source_loops.py: grokcore.testing's reference modules or a
  hand-written einsum model in the source's layout, the source's batching, torch.optim with
  its default kernels);
- book: grokcore.train.train_stack on the preset as the book runs it;
- then the options that compute the same function with fewer FLOPs or kernels (other float
  rounding; each is a float64 test in tests/unit/test_shortcuts.py), each added to the one
  before: fused (OptimConfig.fused), shortcuts (DecoderConfig.shortcuts with RunConfig.eval_rows
  1024, or the 2-layer transformer's TransformerConfig.per_token_first), compiled
  (RunConfig.compile). "compile s" is its extra warm-up: the compilation, minutes cold, seconds
  once inductor's on-disk cache holds the graphs.

Training steps and evaluations are timed apart, in interleaved rounds (the median is printed):
ms per training step, and us per evaluated example (the plain loop evaluates what its source
evaluates: Grokfast/NeuralGrok and fastgrok the held-out set, the others train and held-out;
grokcore evaluates train and held-out loss and accuracy everywhere). "as run" adds each
evaluation's cost spread over the preset's eval_every steps. "GFLOP" is the model's matmul FLOPs
per training step (torch.utils.flop_counter, forward and backward) and "peak" their rate as a
share of a 1024^3 float32 matmul on this thread; the GFLOP ratio, plain over shortcuts, bounds
the speed-up a loop reaches at the plain loop's matmul rate.

Run it on an idle machine (bench/README.md: a second busy process distorts every row).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import platform
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from bench.source_loops import (  # noqa: E402
    plain_decoder,
    plain_fastgrok,
    plain_mlp,
    plain_neuralgrok,
    plain_transformer,
)
from bench.throughput import write_json_atomic  # noqa: E402
from grokcore.neuralgrok import AmplifierConfig, NeuralGrokConfig  # noqa: E402
from grokcore.presets import preset  # noqa: E402
from grokcore.train import Stack, build_model, evaluate, member_loss, train_stack  # noqa: E402

# ---- the cases ------------------------------------------------------------------------------


def variants(run) -> dict:
    """The preset as the book runs it, then each same-function option added to the one before:
    torch.optim's fused kernel; the model's own shortcuts (DecoderConfig.shortcuts, the 2-layer
    transformer's per_token_first) and the decoder's smaller evaluation chunks; torch.compile."""
    fused = dataclasses.replace(run, optim=dataclasses.replace(run.optim, fused=True))
    model: dict = {}
    if hasattr(run.model, "shortcuts"):
        # 4096 rows of the decoder's activations miss the cache: 1024 per evaluation pass
        model = {"model": dataclasses.replace(run.model, shortcuts=True), "eval_rows": 1024}
    elif getattr(run.model, "n_layers", 1) > 1 and hasattr(run.model, "per_token_first"):
        model = {"model": dataclasses.replace(run.model, per_token_first=True)}
    short = dataclasses.replace(fused, **model)
    return {
        "book": run,
        "fused": fused,
        "shortcuts": short,
        "compiled": dataclasses.replace(short, compile=True),
    }


def _with_method(run, name: str):
    return dataclasses.replace(run, method=dataclasses.replace(run.method, name=name))


def cases() -> dict[str, tuple]:
    """name -> (the preset's RunConfig, plain loop factory or None, what the plain loop is)."""
    gf, ng = preset("grokfast"), preset("neuralgrok")
    return {
        "grokfast": (gf, lambda r: plain_decoder(r), "Grokfast main.py"),
        "grokfast+ema": (
            _with_method(gf, "grokfast_ema"),
            lambda r: plain_decoder(r, "ema"),
            "main.py --filter ema",
        ),
        "grokfast+ma": (
            _with_method(gf, "grokfast_ma"),
            lambda r: plain_decoder(r, "ma"),
            "main.py --filter ma",
        ),
        "neuralgrok": (ng, lambda r: plain_decoder(r), "NeuralGrok run.py, standard"),
        "neuralgrok+amp": (ng, plain_neuralgrok, "NeuralGrok train.py, amplifier 8, 8"),
        "nanda": (preset("nanda"), plain_transformer, "Nanda transformers.py"),
        "med": (preset("med"), plain_transformer, "MED transformer/base.py"),
        "fastgrok": (
            preset("fastgrok", stop_at_test_acc=None),
            plain_fastgrok,
            "fastgrok.py train_model",
        ),
        "egd_mlp": (preset("egd_mlp"), plain_mlp, "EGD mod_add.py (JAX, as PyTorch)"),
    }


def _amp_config(run):
    """NeuralGrok with chapter 3's cpu amplifier (8, 8); the clip moves to the amplifier."""
    clip = run.optim.clip_norm
    run = dataclasses.replace(run, optim=dataclasses.replace(run.optim, clip_norm=None))
    return NeuralGrokConfig(run=run, amp=AmplifierConfig(hidden=(8, 8), clip_norm=clip))


# ---- timing --------------------------------------------------------------------------------


def time_plain(step, n: int) -> float:
    t = time.perf_counter()
    for _ in range(n):
        step()
    return (time.perf_counter() - t) / n


def time_ours(cfg, n: int) -> float:
    """ms per training step of train_stack itself (setup and evaluations left out)."""
    if isinstance(cfg, NeuralGrokConfig):
        cfg = dataclasses.replace(cfg, run=dataclasses.replace(cfg.run, num_steps=n, eval_every=n))
        meta = NeuralGrokConfig.train([cfg])[0].meta
    else:
        meta = train_stack([dataclasses.replace(cfg, num_steps=n, eval_every=n)])[0].meta
    return 1 / meta["train_steps_per_s"]


def eval_ours(cfg, reps: int) -> tuple[float, int]:
    """Seconds per grokcore.train.evaluate call (the one train_stack makes) and its rows."""
    data = Stack(cfg, [cfg.seed], "cpu")
    model = build_model(cfg, data.first, [cfg.seed])
    forward = torch.compile(model, dynamic=True) if cfg.compile else model  # as train_stack
    evaluate(cfg, model, data, forward=forward)
    t = time.perf_counter()
    for _ in range(reps):
        evaluate(cfg, model, data, forward=forward)
    return (time.perf_counter() - t) / reps, data.train_idx.shape[1] + data.eval_test_idx.shape[1]


def gflop_plain(step) -> float:
    """Matmul GFLOP of one step of a plain loop (forward, backward, and its optimizer's none)."""
    with FlopCounterMode(display=False) as fc:
        step()
    return fc.get_total_flops() / 1e9


def gflop_per_step(cfg) -> float:
    data = Stack(cfg, [cfg.seed], "cpu")
    model = build_model(cfg, data.first, [cfg.seed])
    bs = cfg.optim.batch_size or data.train_idx.shape[1]
    x, y = data.batch(data.train_idx[:, :bs])
    with FlopCounterMode(display=False) as fc:
        member_loss(cfg, model(x), y).sum().backward()
    return fc.get_total_flops() / 1e9


def matmul_peak() -> float:
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    a @ b
    t = time.perf_counter()
    for _ in range(10):
        a @ b
    return 2 * 1024**3 * 10 / (time.perf_counter() - t) / 1e9


def measure(name: str, run, plain_factory, rounds: int, budget_s: float) -> dict:
    loops = variants(run)
    if name == "neuralgrok+amp":
        loops = {k: _amp_config(v) for k, v in loops.items()}
    plain = plain_factory(run) if plain_factory else None
    # steps per measurement: about budget_s seconds of the book's loop
    probe = time_ours(loops["book"], 3)
    n = max(3, min(400, int(budget_s / probe)))
    times: dict[str, list] = {k: [] for k in ("plain", *loops)}
    row = {"case": name, "steps_per_round": n, "eval_every": run.eval_every}
    if plain:
        plain[0]()
    for k, cfg in loops.items():  # warm-up; the compiled loop's includes its compilation
        t = time.perf_counter()
        time_ours(cfg, 3)
        row[f"{k}_warmup_s"] = time.perf_counter() - t
    for _ in range(rounds):  # interleaved: a slow spell of the machine hits every loop alike
        if plain:
            times["plain"].append(time_plain(plain[0], n))
        for k, cfg in loops.items():
            times[k].append(time_ours(cfg, n))
    for k, ts in times.items():
        if ts:
            row[f"{k}_ms"] = 1000 * statistics.median(ts)
            row[f"{k}_ms_all"] = [1000 * t for t in ts]
    if name != "neuralgrok+amp":  # the amplifier's evaluation is the standard run's
        reps = max(1, rounds)
        if plain:
            plain[1]()
            t = time.perf_counter()
            for _ in range(reps):
                plain[1]()
            row["plain_eval_ms"], row["plain_eval_rows"] = (
                1000 * (time.perf_counter() - t) / reps,
                plain[2],
            )
        for k, cfg in loops.items():
            s, rows = eval_ours(cfg, reps)
            row[f"{k}_eval_ms"], row[f"{k}_eval_rows"] = 1000 * s, rows
        for k in ("book", "shortcuts"):
            row[f"{k}_gflop"] = gflop_per_step(loops[k])
        if plain:
            row["plain_gflop"] = gflop_plain(plain[0])
    return row


LOOPS = ("book", "fused", "shortcuts", "compiled")


def _fmt(rows: list[dict], peak: float) -> str:
    """ms per training step and the plain loop's over it (x); matmul GFLOP per step and their
    rate as a share of the peak; us per evaluated example; ratios with evaluation (as run)."""
    head = f"{'preset':15s} {'plain':>6s} " + " ".join(f"{k[:8]:>8s} {'x':>4s}" for k in LOOPS)
    head += f" | {'GFLOP plain':>11s} {'short':>5s} {'ratio':>5s} {'peak plain':>10s} {'comp':>4s}"
    head += f" | {'us/ex plain':>11s} {'book':>5s} {'short':>5s} {'comp':>5s}"
    head += f" | {'as run x book':>13s} {'comp':>5s} | {'compile s':>9s}"
    out = [head, "-" * len(head)]
    ref = {r["case"]: r for r in rows}
    for r in rows:
        p = r.get("plain_ms") or ref.get("neuralgrok", {}).get("plain_ms") or float("nan")
        line = f"{r['case']:15s} {p:6.1f} "
        line += " ".join(f"{r[k + '_ms']:8.1f} {p / r[k + '_ms']:4.2f}" for k in LOOPS)
        if "plain_gflop" in r:
            gp, gs = r["plain_gflop"], r["shortcuts_gflop"]
            rp, rc = gp / (p / 1000) / peak, gs / (r["compiled_ms"] / 1000) / peak
            line += f" | {gp:11.2f} {gs:5.2f} {gp / gs:5.2f} {rp:10.0%} {rc:4.0%}"
            e = {k: r[f"{k}_eval_ms"] / r[f"{k}_eval_rows"] * 1000 for k in LOOPS}
            pe = r["plain_eval_ms"] / r["plain_eval_rows"] * 1000
            line += f" | {pe:11.1f} {e['book']:5.1f} {e['shortcuts']:5.1f} {e['compiled']:5.1f}"
            k = r["eval_every"]
            pa = p + r["plain_eval_ms"] / k
            run = {v: r[f"{v}_ms"] + r[f"{v}_eval_ms"] / k for v in ("book", "compiled")}
            line += f" | {pa / run['book']:13.2f} {pa / run['compiled']:5.2f}"
        else:
            line += " | " + " " * 40 + " | " + " " * 29 + " | " + " " * 19
        line += f" | {r['compiled_warmup_s'] - r['shortcuts_warmup_s']:9.0f}"
        out.append(line)
    return "\n".join(out)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="1 round of ~0.5 s per loop")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    ap.add_argument("--seconds", type=float, default=2.0, help="per measurement (default 2)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--only", nargs="*", choices=tuple(cases()))
    ap.add_argument("--json", help="also write the rows here (atomically)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    rounds, secs = (1, 0.5) if args.quick else (args.rounds, args.seconds)
    peak = matmul_peak()
    print(f"threads {args.threads}, {rounds} rounds, matmul peak {peak:.1f} GFLOP/s", flush=True)
    rows = []
    for name, (run, plain, _) in cases().items():
        if args.only and name not in args.only:
            continue
        rows.append(measure(name, run, plain, rounds, secs))
        print(f"  {name} done", file=sys.stderr, flush=True)
    print(_fmt(rows, peak))
    if args.json:
        write_json_atomic(
            args.json,
            {
                "date": datetime.date.today().isoformat(),
                "threads": args.threads,
                "rounds": rounds,
                "matmul_peak_gflops": peak,
                "torch": torch.__version__,
                "python": platform.python_version(),
                "plain_loops": {k: v[2] for k, v in cases().items()},
                "rows": rows,
            },
        )


if __name__ == "__main__":
    main()
