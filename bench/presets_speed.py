"""Steps/s of the sources' own models: grokcore's preset against a plain loop written the way
that source's code writes it (grokcore.testing's reference modules, the code's batching,
evaluation and optimizer), on this machine, in one run. Prints the ratio.

    .venv/bin/python bench/presets_speed.py               # ~3 min, 1 thread
    .venv/bin/python bench/presets_speed.py --quick       # smoke, ~30 s
    .venv/bin/python bench/presets_speed.py --threads 2 --only grokfast

- grokfast (also NeuralGrok's model): Grokfast main.py's loop: per epoch a shuffle, torch.split
  into batches of 512 (10 steps, the last of 48), forward of the whole sequence-first Decoder,
  CE on logits[-1], Adam + LambdaLR; then a validation pass over the other half (no grad).
  grokcore: train_stack on preset("grokfast") evaluating every 10 steps (train and test).
- fastgrok: fastgrok.py train_model: every step randperm(n_train)[:64], forward, CE, AdamW
  (amsgrad); validation every 4 steps. grokcore: preset("fastgrok") without the early stop.

Run it on an idle machine (see bench/README.md: a second busy process distorts both rows).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from grokcore.presets import preset  # noqa: E402
from grokcore.testing import RefDecoder, RefFastgrok  # noqa: E402
from grokcore.train import train_stack  # noqa: E402


def plain_grokfast(epochs: int) -> float:
    """Steps/s of Grokfast main.py's loop (its evaluation included, as the code runs it)."""
    ds = preset("grokfast").task.dataset(0)
    data = torch.cat([ds.tokens, ds.labels[:, None]], 1).T  # [5, N]: x op y = answer
    train, valid = data[:, ds.train_idx], data[:, ds.test_idx]
    model = RefDecoder(128, 2, 4, ds.n_vocab, 5)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.98), weight_decay=0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda u: 1 if u > 10 else u / 10)
    steps, t0 = 0, time.perf_counter()
    for _ in range(epochs):
        train = train[:, torch.randperm(train.shape[1])]
        for part, is_train in ((train, True), (valid, False)):
            for batch in torch.split(part, 512, dim=1):
                with torch.set_grad_enabled(is_train):
                    logits = model(batch[:-1])
                    loss = F.cross_entropy(logits[-1], batch[-1])
                if is_train:
                    model.zero_grad()
                    loss.backward()
                    opt.step()
                    sched.step()
                    steps += 1
                (logits[-1].argmax(-1) == batch[-1]).float().mean().item()
    return steps / (time.perf_counter() - t0)


def plain_fastgrok(n_steps: int) -> float:
    """Steps/s of fastgrok.py's train_model at batch 64 (validation every 4 steps)."""
    ds = preset("fastgrok").task.dataset(0)
    x, y = ds.tokens[ds.train_idx], ds.labels[ds.train_idx]
    vx, vy = ds.tokens[ds.test_idx], ds.labels[ds.test_idx]
    model = RefFastgrok(59, 64, 1, norm=True, bias=False, rope=True, act="relu")
    opt = torch.optim.AdamW(
        model.parameters(), lr=1e-3, weight_decay=0.02, amsgrad=True, betas=(0.9, 0.995), eps=1e-5
    )
    t0 = time.perf_counter()
    for step in range(n_steps):
        opt.zero_grad()
        idx = torch.randperm(len(x))[:64]
        loss = F.cross_entropy(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
        if step % 4 == 0:
            with torch.no_grad():
                out = model(vx)
                F.cross_entropy(out, vy).item()
                (out.argmax(1) == vy).float().mean().item()
    return n_steps / (time.perf_counter() - t0)


def ours(name: str, n_steps: int, eval_every: int) -> float:
    run = preset(name, num_steps=n_steps, eval_every=eval_every, stop_at_test_acc=None)
    meta = train_stack([run])[0].meta  # steps per second after the setup (data, model)
    return meta["steps"] / (meta["wall_s"] - meta["setup_s"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--only", nargs="*", choices=("grokfast", "fastgrok"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    reps = 1 if args.quick else args.repeats
    epochs = 2 if args.quick else 10  # Grokfast: 10 steps per epoch
    fast_steps = 100 if args.quick else 800
    cases = {
        "grokfast": (lambda: plain_grokfast(epochs), lambda: ours("grokfast", 10 * epochs, 10)),
        "fastgrok": (lambda: plain_fastgrok(fast_steps), lambda: ours("fastgrok", fast_steps, 4)),
    }
    print(f"threads {args.threads}, {reps} repeats (median steps/s, evaluation included)")
    print(f"{'model':10s} {'plain loop':>11s} {'grokcore':>9s} {'ratio':>6s}")
    for name in args.only or list(cases):
        plain_fn, ours_fn = cases[name]
        plain_fn(), ours_fn()  # warm-up: allocator, first-call costs
        p = statistics.median(plain_fn() for _ in range(reps))
        o = statistics.median(ours_fn() for _ in range(reps))
        print(f"{name:10s} {p:11.1f} {o:9.1f} {o / p:5.2f}x")


if __name__ == "__main__":
    main()
