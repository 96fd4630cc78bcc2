"""What an EGD step costs on chapter 2's MLP, and what each way of computing U Vᵀ could cost.

EGD (EGD paper eq. 11) replaces the hidden layer's gradient G [2p, 512] by its polar factor U Vᵀ.
Issue 18 asks for an EGD step at most 1.3x an SGD step on this CPU. This script measures, side by
side in one run, one thread, interleaved rounds (a drift in the machine's speed hits every row
alike):

- the training step of SGD and of every EGD solver the library has (grokcore.train.train_stack,
  the loop the chapter runs, clocked by grokcore.timing.step_seconds), as x SGD;
- the polar factor alone, by the library's solvers and by candidates that are not in it (eigh of
  the Gram matrix in float32; a quintic Newton-Schulz iteration as Muon uses it), on gradients of
  the real shape and a spread of singular values like the chapter's (condition number ~1e3),
  with each one's largest error against a float64 SVD;
- the floor: computing the Gram matrix G Gᵀ, which every Gram-based solver pays, and the
  product (G Gᵀ)^(-1/2) G that applies the result.

The last column predicts the step ratio a candidate would give: 1 + (its time) / (SGD's step).

    python bench/egd_cost.py               # about a minute on an idle machine
    python bench/egd_cost.py --p 127       # another modulus (G is 2p x 512)
    python bench/egd_cost.py --json out.json

Run it on an idle machine (see bench/README.md): a busy second core slows every row.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chapters.egd_modular import configs  # noqa: E402
from grokcore.config import MethodConfig  # noqa: E402
from grokcore.timing import step_seconds  # noqa: E402
from grokcore.transforms import (  # noqa: E402
    polar_eigh,
    polar_newton_schulz,
    polar_rsvd,
    polar_svd,
)

SOLVERS = {  # training-step rows: MethodConfig fields of each library variant
    "SGD": {"name": "none"},
    "EGD, eigh (float64 Gram; the chapter's)": {"name": "egd", "egd_solver": "eigh"},
    "EGD, exact SVD": {"name": "egd", "egd_solver": "svd"},
    "EGD, rank-128 rSVD": {"name": "egd", "egd_solver": "rsvd", "rank": 128},
    "EGD, rank-64 rSVD": {"name": "egd", "egd_solver": "rsvd", "rank": 64},
    "EGD, Newton-Schulz (15)": {"name": "egd", "egd_solver": "newton_schulz"},
}


def polar_eigh32(g: torch.Tensor) -> torch.Tensor:
    """Candidate: polar_eigh with the Gram matrix in float32 (the library's is float64)."""
    wide = g.shape[-2] <= g.shape[-1]
    gram = g @ g.mT if wide else g.mT @ g
    lam, q = torch.linalg.eigh(gram)
    s = lam.clamp_min(0).sqrt()
    tol = max(g.shape[-2:]) * torch.finfo(torch.float32).eps * s.amax(-1, keepdim=True)
    inv = torch.where(s > tol, 1 / s, torch.zeros_like(s))
    root = (q * inv[..., None, :]) @ q.mT
    return root @ g if wide else g @ root


def polar_quintic(g: torch.Tensor, steps: int = 5) -> torch.Tensor:
    """Candidate: the quintic Newton-Schulz iteration with Muon's coefficients (K. Jordan, 2024):
    fast but approximate (singular values land in about [0.7, 1.2], not at 1)."""
    a, b, c = 3.4445, -4.7750, 2.0315
    x = g / g.flatten(1).norm(dim=1).clamp_min(1e-30).view(-1, 1, 1)
    for _ in range(steps):
        m = x @ x.mT
        x = a * x + (b * m + c * m @ m) @ x
    return x


def test_gradient(p: int, seed: int = 0, cond: float = 1e3) -> torch.Tensor:
    """A [1, 2p, 512] float32 matrix with singular values log-spaced from 1 down to 1/cond."""
    g = torch.Generator().manual_seed(seed)
    k = 2 * p
    u, _ = torch.linalg.qr(torch.randn(k, k, generator=g, dtype=torch.float64))
    v, _ = torch.linalg.qr(torch.randn(512, k, generator=g, dtype=torch.float64))
    s = torch.logspace(0, -torch.log10(torch.tensor(cond)).item(), k, dtype=torch.float64)
    return ((u * s) @ v.T).float()[None]


def timed(fn, rounds: int, number: int) -> list[float]:
    """Seconds per call, one value per round (each round: `number` calls)."""
    fn()
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        out.append((time.perf_counter() - t0) / number)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--p", type=int, default=97)
    ap.add_argument("--steps", type=int, default=200, help="training steps per timing")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    torch.set_num_threads(1)

    base = configs.modular_configs(args.p, ["x+y"], ["none"], 1, args.steps)[0]
    rows: dict[str, list[float]] = {name: [] for name in SOLVERS}
    for _ in range(args.repeats):  # interleaved rounds, every variant once per round
        for name, fields in SOLVERS.items():
            cfg = base.replace(method=MethodConfig(targets=("W1",), **fields))
            rows[name].append(step_seconds(cfg, args.steps))
    sgd = statistics.median(rows["SGD"])

    g = test_gradient(args.p)
    exact = polar_svd(g.double())
    root = torch.eye(2 * args.p)[None]  # [1, 2p, 2p]: a stand-in for (G Gᵀ)^(-1/2)
    gen = torch.Generator().manual_seed(0)
    polar = {
        "eigh, float64 Gram (library)": lambda: polar_eigh(g),
        "eigh, float32 Gram (candidate)": lambda: polar_eigh32(g),
        "SVD, float32 (library 'svd')": lambda: polar_svd(g),
        "rank-128 rSVD (library)": lambda: polar_rsvd(g, 128, gen),
        "rank-64 rSVD (library)": lambda: polar_rsvd(g, 64, gen),
        "Newton-Schulz cubic, 15 (library)": lambda: polar_newton_schulz(g, 15),
        "Newton-Schulz quintic, 5 (candidate, Muon)": lambda: polar_quintic(g, 5),
        "floor: G Gᵀ, float32": lambda: g @ g.mT,
        "floor: G Gᵀ, float64": lambda: g.double() @ g.double().mT,
        "floor: apply a [2p, 2p] root to G, float32": lambda: root @ g,
    }
    part: dict[str, dict] = {}
    for name, fn in polar.items():
        secs = statistics.median(timed(fn, args.repeats, 20))
        err = None
        if not name.startswith("floor"):
            err = (fn().double() - exact).abs().max().item()
        part[name] = {"ms": secs * 1e3, "max_err_vs_svd64": err, "x_sgd_if_added": 1 + secs / sgd}

    print(f"chapter 2's MLP, p = {args.p} (G is {2 * args.p} x 512), one thread, medians of "
          f"{args.repeats} interleaved rounds")  # fmt: skip
    print(f"\n{'training step':44s} {'ms':>8s} {'x SGD':>7s}")
    for name, v in rows.items():
        m = statistics.median(v)
        print(f"{name:44s} {m * 1e3:8.2f} {m / sgd:7.2f}")
    print(f"\n{'polar factor alone':44s} {'ms':>8s} {'max err':>9s} {'x SGD if added':>15s}")
    for name, v in part.items():
        err = "" if v["max_err_vs_svd64"] is None else f"{v['max_err_vs_svd64']:.1e}"
        print(f"{name:44s} {v['ms']:8.2f} {err:>9s} {v['x_sgd_if_added']:15.2f}")
    if args.json:
        out = {
            "p": args.p,
            "steps": args.steps,
            "repeats": args.repeats,
            "step_s": rows,
            "polar": part,
            "torch": torch.__version__,
            "date": time.strftime("%Y-%m-%d %H:%M:%S"),
            "cpu_count": os.cpu_count(),
        }
        tmp = args.json.with_suffix(args.json.suffix + ".tmp")
        tmp.write_text(json.dumps(out, indent=1))
        tmp.replace(args.json)


if __name__ == "__main__":
    main()
