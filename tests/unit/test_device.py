"""Training on the device that `--device` names (default cpu; bench/gpu_check.sh passes cuda).

Each source's own model (grokcore.presets) and each gradient method, a few steps in float32 on the
device, follow the same run in float64 on the CPU: the device-independent part of the library
(data, batching, models, optimizers, transforms, the stack) checked where a GPU runs it. Seeds
stacked into one model on the device give each seed's own run. On the CPU (`make test`) the same
tests check float32 against float64, so they can fail there too.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Sequence

import pytest
import torch

from grokcore.config import MethodConfig
from grokcore.neuralgrok import AmplifierConfig, NeuralGrokConfig
from grokcore.presets import preset
from grokcore.train import train_stack

STEPS = 6  # a few steps: float32 and float64 drift apart over long runs, and CI pays for each


@pytest.fixture(scope="module")
def device(request) -> str:
    name = request.config.getoption("--device")
    if name.startswith("cuda") and not torch.cuda.is_available():
        pytest.fail(f"--device {name}: this torch ({torch.__version__}) sees no CUDA device")
    return name


def short(cfg):
    """`cfg` for STEPS steps, evaluated before and after, on 256 held-out pairs (a fixed subset)."""
    return cfg.replace(num_steps=STEPS, eval_every=STEPS, eval_test=256, stop_at_test_acc=None)


# (preset, method): each source's model with its own optimizer, and each gradient method on the
# model family its source uses
CASES = {
    "egd_mlp-sgd": ("egd_mlp", MethodConfig()),
    "egd_mlp-egd": ("egd_mlp", MethodConfig(name="egd", egd_solver="eigh")),
    "egd_mlp-column_norm": ("egd_mlp", MethodConfig(name="column_norm")),
    "nanda-adamw": ("nanda", MethodConfig()),
    "nanda-grokfast_ema": ("nanda", MethodConfig(name="grokfast_ema", alpha=0.98, lamb=2.0)),
    "grokfast-grokfast_ma": ("grokfast", MethodConfig(name="grokfast_ma", window_size=3, lamb=5.0)),
    "neuralgrok-rescale": ("neuralgrok", MethodConfig(name="rescale", c=0.5)),
    "fastgrok-amsgrad": ("fastgrok", MethodConfig()),
    "med-adamw": ("med", MethodConfig()),
}


def losses(record) -> list[float]:
    return record.history["train_loss"]


def assert_close(got: list[float], ref: list[float], rtol: float, what: str) -> None:
    assert len(got) == len(ref), what
    for step, (a, b) in enumerate(zip(got, ref)):
        assert math.isfinite(a), f"{what}: loss {a} at evaluation {step}"
        assert abs(a - b) <= rtol * abs(b) + 1e-6, f"{what}: {a} vs {b} at evaluation {step}"


@pytest.mark.parametrize("case", CASES)
def test_float32_on_the_device_follows_float64_on_the_cpu(case, device):
    name, method = CASES[case]
    cfg = short(preset(name, method=method))
    [ref] = train_stack([cfg.replace(dtype="float64")], device="cpu")
    [got] = train_stack([cfg], device=device)
    where = torch.cuda.get_device_name(device) if device.startswith("cuda") else "cpu"
    assert got.meta["device"].startswith(where)  # the record says where it ran
    assert got.history["step"] == ref.history["step"]
    assert_close(losses(got), losses(ref), 2e-3, f"{case} on {device}")
    # the accuracies are counts of argmax hits: a near-tie may flip one pair, no more
    n_test = 256
    for a, b in zip(got.history["test_acc"], ref.history["test_acc"]):
        assert abs(a - b) <= 1.5 / n_test, case


def test_stacked_seeds_on_the_device_are_each_seeds_own_run(device):
    cfg = short(preset("nanda", method=MethodConfig(name="grokfast_ema", alpha=0.98, lamb=2.0)))
    seeds = [0, 1, 2]
    stacked = train_stack([cfg.replace(seed=s) for s in seeds], device=device)
    for s, rec in zip(seeds, stacked):
        [alone] = train_stack([cfg.replace(seed=s)], device=device)
        assert_close(losses(rec), losses(alone), 1e-4, f"seed {s} stacked on {device}")
    assert losses(stacked[0]) != losses(stacked[1])  # the seeds differ (split, init, batches)


def test_neuralgrok_on_the_device_follows_float64_on_the_cpu(device):
    run = short(preset("neuralgrok"))  # the code clips after the amplifier: the clip moves there
    run = run.replace(optim=dataclasses.replace(run.optim, clip_norm=None))
    cfg = NeuralGrokConfig(run=run, amp=AmplifierConfig(hidden=(8, 8), inner_steps=2))
    ref = cfg.replace(run=run.replace(dtype="float64"))
    [want] = type(cfg).train([ref], "cpu")
    [got] = type(cfg).train([cfg], device)
    assert_close(losses(got), losses(want), 2e-3, f"NeuralGrok on {device}")


def test_stacked_adamw_hyperparameters_on_the_device_follow_float64_on_the_cpu(device):
    """Members with their own betas and weight decay (grokcore.stacked_optim.StackedAdamW, how
    chapter 4 stacks its sweeps) on the device: each follows its own run in float64 on the CPU."""
    cfg = short(preset("nanda"))
    hyper = [((0.0, 0.98), 0.0), ((0.9, 0.98), 1.0), ((0.5, 0.99), 5.0)]
    cfgs = [
        cfg.replace(seed=i, optim=dataclasses.replace(cfg.optim, betas=b, weight_decay=wd))
        for i, (b, wd) in enumerate(hyper)
    ]
    stacked = train_stack(cfgs, device=device)
    for c, got in zip(cfgs, stacked):
        [want] = train_stack([c.replace(dtype="float64")], device="cpu")
        assert_close(losses(got), losses(want), 2e-3, f"{c.optim} stacked on {device}")


def test_chapter_4_probes_on_the_device_follow_the_cpu(device):
    """Chapter 4's stacked runs with its diagnostics (gradient agreement, Adam's moment cosine,
    the Lanczos Hessian top eigenvalue, the effective rank) on the device: the losses follow
    float64 on the CPU, the probes float32 on the CPU. The probes' random draws (CPU generators,
    one per member) give float32 and float64 different streams (torch.randn consumes a generator
    by dtype), so only the same dtype draws the same batches and Lanczos starts; on the CPU that
    comparison is a determinism check. The paper scale trains these stacked on a GPU
    (bench/gpu_check.py slice)."""
    from chapters.adam_dynamics.configs import DynamicsRun, base_run, variant

    base = base_run(23, 16, 64, STEPS, eval_every=STEPS // 2)
    runs = [
        DynamicsRun(
            variant(base, b1, 1.0, s),
            hessian_every=STEPS // 2,
            lanczos_iters=8,
            hessian_samples=64,
            rank_samples=16,
        )
        for s, b1 in enumerate([0.0, 0.9])
    ]
    got = DynamicsRun.train(runs, device)
    same = DynamicsRun.train(runs, "cpu")
    wide = DynamicsRun.train([r.replace(run=r.run.replace(dtype="float64")) for r in runs], "cpu")
    for g, s, w in zip(got, same, wide):
        assert_close(losses(g), losses(w), 2e-3, f"chapter 4 losses on {device}")
        for key in ("agreement", "moment_cos", "hessian_top", "effective_rank"):
            ref = [x for x in s.history[key] if math.isfinite(x)]
            new = [x for x in g.history[key] if math.isfinite(x)]
            assert len(ref) >= 2, key
            assert_close(new, ref, 1e-3, f"chapter 4 {key} on {device}")


def _close_series(got: dict, want: dict, keys: Sequence[str], rtol: float, what: str) -> None:
    """Each history series of `keys` in `got` follows `want`'s (NaN where `want` has NaN)."""
    for key in keys:
        a, b = (
            torch.tensor(got[key], dtype=torch.float64),
            torch.tensor(want[key], dtype=torch.float64),
        )
        assert a.shape == b.shape and a.numel() > 0, f"{what} {key}: {a.shape} vs {b.shape}"
        assert torch.equal(a.isnan(), b.isnan()), f"{what} {key}: NaN where the CPU has none"
        ok = ~b.isnan()
        assert torch.allclose(a[ok], b[ok], rtol=rtol, atol=1e-6), f"{what} {key}: {a} vs {b}"


@pytest.mark.parametrize(
    "layout, n_layers, embed_init, fast",
    [("square", 1, "normal", False), ("strip", 2, "toeplitz_code", True)],
)
def test_chapter_5_med_probe_on_the_device_follows_float64_on_the_cpu(
    layout, n_layers, embed_init, fast, device
):
    """Chapter 5's runs (the MED code's transformer, full batch, its MED probe with the hole and
    rest accuracies of a SQUARE or STRIP layout; the code's Toeplitz init and the speed options
    of its paper scale) on the device follow float64 on the CPU."""
    from chapters.med.configs import config, scaled_hole, scaled_shift

    p = 23
    shift = scaled_shift(p) if layout == "strip" else 0
    cfg = config(
        p, d_model=48, n_layers=n_layers, embed_init=embed_init, layout=layout,
        hole=scaled_hole(40, p), shift=shift, num_steps=STEPS, eval_every=STEPS // 2, fast=fast,
    )  # fmt: skip
    [want] = train_stack([cfg.replace(dtype="float64")], device="cpu")
    [got] = train_stack([cfg], device=device)
    what = f"chapter 5 ({layout}, {n_layers} layers, {embed_init}) on {device}"
    assert_close(losses(got), losses(want), 2e-3, what)
    _close_series(got.history, want.history, ["med", "med_sd"], 1e-4, what)
    # accuracies on the hole and the rest: counts of argmax hits, a near-tie may flip one pair
    for key in ("hole_acc", "rest_acc"):
        for a, b in zip(got.history[key], want.history[key]):
            assert abs(a - b) <= 0.02, f"{what} {key}: {a} vs {b}"


def test_chapter_6_probes_on_the_device_follow_the_cpu(device):
    """Chapter 6's runs on the device: fastgrok's transformer with the thinned Fourier view of
    its embedding, the code's weight-decay halving and Nanda's progress measures (key
    frequencies, restricted and excluded losses, computed at the end on kept weights), and
    the quadratic MLP with each penalty. Losses follow float64 on the CPU; the probes follow
    float32 on the CPU (a key frequency is an argmax, which float64 may break differently)."""
    from chapters.minibatch import configs
    from chapters.minibatch.topology import PENALTIES, TopoConfig

    cfg = configs.config(
        23, 64, 26, stop_at_test_acc=None, schedule_wd=True,
        probes=(configs.FOURIER, configs.NANDA),
    )  # fmt: skip  # 26 epochs of 4 steps: the halving at epoch 24 falls inside
    [want] = train_stack([cfg.replace(dtype="float64")], device="cpu")
    [same] = train_stack([cfg], device="cpu")
    [got] = train_stack([cfg], device=device)
    what = f"chapter 6 fastgrok on {device}"
    # float32 drifts from float64 over the run's 104 steps: its opening against float64, the
    # whole run against float32 on the CPU
    assert_close(losses(got)[:STEPS], losses(want)[:STEPS], 2e-3, what)
    assert_close(losses(got), losses(same), 1e-3, what)
    assert got.history["weight_decay"] == same.history["weight_decay"]
    assert len(set(got.history["weight_decay"])) > 1  # the schedule halved it
    assert got.meta["key_freqs"] == same.meta["key_freqs"], what
    assert got.history["progress_step"] == same.history["progress_step"]
    keys = ["restricted_loss", "excluded_loss", "emb_power", "emb_top_freq"]
    _close_series(got.history, same.history, keys, 1e-3, what)
    for pen in PENALTIES:
        topo = TopoConfig(p=11, d=16, penalty=pen, num_epochs=STEPS, eval_every=STEPS // 2)
        [t_same] = TopoConfig.train([topo], "cpu")
        [t_got] = TopoConfig.train([topo], device)
        assert_close(losses(t_got), losses(t_same), 1e-3, f"chapter 6 MLP {pen} on {device}")
        _close_series(t_got.history, t_same.history, ["penalty"], 1e-3, f"MLP {pen}")
