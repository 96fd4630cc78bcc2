"""Each source's own setup as one named RunConfig: model, init, tokens, split, batching,
optimizer and budget as its public code runs them (../shared/notes/peer-code.md).

    >>> run = preset("grokfast")                   # Grokfast main.py's baseline, x*y mod 97
    >>> run = preset("neuralgrok", num_steps=3000)  # any RunConfig field can be changed
    >>> len(PRESETS), preset("nanda").task.p
    (9, 113)

What a preset cannot hold, its docstring names (e.g. a source's global RNG stream: our inits
and splits come from per-seed generators, with the same distributions). A chapter's default
configuration starts from its source's preset; where a chapter's cpu scale deviates (a shorter
budget, fewer seeds), its deviation table says so and what it does to the baseline.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

from .config import ConfigError, MLPConfig, ModularTask, OptimConfig, RunConfig, TransformerConfig
from .decoder import DecoderConfig
from .fastgrok import FastgrokConfig


def grokfast() -> RunConfig:
    """ironjr/grokfast main.py, baseline (`python main.py`): x*y mod 97 with y in [1, p),
    tokens [x, op, y, =], 50% train, the code's Decoder (2 layers, d 128, 4 heads, PyTorch
    default init, logits over all 99 tokens), torch.optim.Adam (coupled L2, weight_decay 0),
    lr 1e-3, betas (0.9, 0.98), warmup over 10 updates, batches of 512 by torch.split of a
    per-epoch shuffle (10 per epoch, the last of 48), test accuracy once per epoch, budget 3e5
    updates. The README's filter runs add --filter ema/ma and a weight decay."""
    return RunConfig(
        task=ModularTask(operation="x*y", p=97, frac_train=0.5, min_y=1, token_format="grokfast"),
        model=DecoderConfig(),
        optim=OptimConfig(
            name="adam",
            lr=1e-3,
            weight_decay=0.0,
            loss_l2=0.0,
            betas=(0.9, 0.98),
            warmup_steps=10,
            batch_size=512,
            last_batch="keep",
        ),
        num_steps=300_000,
        eval_every=10,
    )


def neuralgrok() -> RunConfig:
    """Blackzxy/NeuralOptGrok (branch neuralgrad) src/run.py + script/neuralgrok/task1.sh,
    standard training: a+b mod 97 with b in [1, p), tokens [a, b, op, =], 50% train, the same
    Decoder as Grokfast, torch.optim.Adam (coupled L2) lr 1e-3, weight_decay 1e-3, betas
    (0.9, 0.98), warmup 10, batch 512 (last batch kept), clip_grad_norm_(1.0) every step,
    test accuracy once per epoch, budget 3e5. NeuralGrok's own runs split the 50% into 49%
    inner and 1% outer data (chapter 3)."""
    run = grokfast()
    return dataclasses.replace(
        run,
        task=ModularTask(operation="x+y", p=97, frac_train=0.5, min_y=1, token_format="neuralgrok"),
        optim=dataclasses.replace(run.optim, weight_decay=1e-3, clip_norm=1.0),
    )


def nanda() -> RunConfig:
    """progress-measures-paper transformers.py (Nanda et al. 2023): x+y mod 113, tokens
    [x, y, =], 30% train, 1 layer, d_model 128, 4 heads, d_mlp 512, ReLU, no LayerNorm, inits
    N(0, 1/d_model) and W_U N(0, 1/d_vocab) with logits over all 114 tokens, AdamW lr 1e-3,
    weight_decay 1.0, betas (0.9, 0.98), warmup 10, full batch, 50,000 epochs (the paper says
    40k). The code logs every 100 epochs."""
    return RunConfig(
        task=ModularTask(operation="x+y", p=113, frac_train=0.3),
        model=TransformerConfig(readout="vocab"),
        optim=OptimConfig(
            name="adamw",
            lr=1e-3,
            weight_decay=1.0,
            loss_l2=0.0,
            betas=(0.9, 0.98),
            warmup_steps=10,
            batch_size=None,
        ),
        num_steps=50_000,
        eval_every=100,
    )


def med() -> RunConfig:
    """Qihuai27/Grokking-Insight transformer/base.py (the MED paper's base run): x+y mod 97,
    tokens [i, j, =], 50% train, a Nanda-style transformer with 2 layers (d_model 128, 4 heads,
    d_mlp 512, ReLU, no LayerNorm), W_U d_model -> p with N(0, 1/d_model), AdamW lr 1e-3,
    weight_decay 1.0, betas (0.9, 0.98), warmup 10, full batch, 30,000 epochs, seed 11. The
    code evaluates every epoch; 100 here (ours)."""
    return RunConfig(
        task=ModularTask(operation="x+y", p=97, frac_train=0.5),
        model=TransformerConfig(n_layers=2, unembed_scale="d_model"),
        optim=nanda().optim,
        num_steps=30_000,
        eval_every=100,
        seed=11,
    )


def med_random() -> RunConfig:
    """The MED paper's §6.1 reference run (transformer/rec.py and str.py with a random split):
    1 layer, 30% of the pairs at random, weight decay 1, seed 0; "the test accuracy begins to
    rise steadily around epoch 5000 and eventually reaches 1"."""
    run = med()
    return dataclasses.replace(
        run,
        task=ModularTask(operation="x+y", p=97, frac_train=0.3),
        model=TransformerConfig(n_layers=1, unembed_scale="d_model"),
        seed=0,
    )


def med_square() -> RunConfig:
    """transformer/rec.py (SQUARE): 1 layer, 30% of all p^2 pairs trained, the square
    {i <= k, j <= k} always held out, k = 67 (the code loops over 40, 50, 60, 67), seed 0.
    The file's 300 epochs are a typo for the 30,000 of its siblings; 30,000 here."""
    return dataclasses.replace(
        med_random(),
        task=ModularTask(operation="x+y", p=97, frac_train=0.3, layout="square", hole=67),
    )


def med_strip() -> RunConfig:
    """transformer/str.py (STRIP): 1 layer, 30% train, the strip {i <= k} held out (k = 67),
    the second operand on its own tokens j + 60 (so no held-out first-operand token is ever
    seen in training), seed 0. The code's vocabulary has 170 rows with '=' the last; here '='
    is p + 60 = 157 and the 12 rows between, never read, are left out."""
    run = med_square()
    return dataclasses.replace(
        run,
        task=ModularTask(operation="x+y", p=97, frac_train=0.3, layout="strip", hole=67, shift=60),
    )


def fastgrok() -> RunConfig:
    """tlh24/fastgrok fastgrok.py run_experiment_batch_size() at batch 64 (its figure's middle):
    x+y mod 59, tokens [a, b, =], 60% train, GrokkingTransformer (d 64, 1 head, RoPE, LayerNorm,
    no MLP bias, ReLU), AdamW lr 1e-3, weight_decay 0.02, betas (0.9, 0.995), eps 1e-5,
    amsgrad, every step a fresh batch drawn without replacement, 250 effective epochs
    (2088 // 64 = 32 steps each), validation every 256 // 64 = 4 steps, stop at validation
    accuracy 1.0. The code validates after a step, here before it (one step apart)."""
    return RunConfig(
        task=ModularTask(operation="x+y", p=59, frac_train=0.6),
        model=FastgrokConfig(),
        optim=OptimConfig(
            name="adamw",
            lr=1e-3,
            weight_decay=0.02,
            loss_l2=0.0,
            betas=(0.9, 0.995),
            eps=1e-5,
            amsgrad=True,
            batch_size=64,
            sampling="iid",
        ),
        num_steps=250 * 32,
        eval_every=4,
        stop_at_test_acc=1.0,
    )


def egd_mlp() -> RunConfig:
    """asahebpa/Egalitarian-Gradient-Descent main-results/mod_add.py, vanilla SGD: x+y mod 127,
    concatenated one-hot inputs, 50% train, f(x) = ReLU(x W1 + b1) W2 with width 512, He-normal
    W1 and W2, b1 = 0, mean CE + 0.5 * 1e-4 * (|W1|^2 + |W2|^2), SGD lr 0.7, batch 512 with the
    remainder dropped (15 per epoch), 15,000 epochs, accuracy every epoch. The EGD runs add
    MethodConfig(name="egd", switch_off_at=0.95)."""
    return RunConfig(
        task=ModularTask(operation="x+y", p=127, frac_train=0.5),
        model=MLPConfig(width=512),
        optim=OptimConfig(name="sgd", lr=0.7, loss_l2=1e-4, batch_size=512),
        num_steps=15_000 * 15,
        eval_every=15,
    )


PRESETS: dict[str, Callable[[], RunConfig]] = {
    "grokfast": grokfast,
    "neuralgrok": neuralgrok,
    "nanda": nanda,
    "med": med,
    "med_random": med_random,
    "med_square": med_square,
    "med_strip": med_strip,
    "fastgrok": fastgrok,
    "egd_mlp": egd_mlp,
}


def preset(name: str, **changes: Any) -> RunConfig:
    """The source setup `name` (a key of PRESETS), with RunConfig fields replaced by `changes`."""
    if name not in PRESETS:
        raise ConfigError(f"preset={name!r} is invalid: allowed " + ", ".join(map(repr, PRESETS)))
    fields = {f.name for f in dataclasses.fields(RunConfig)}
    bad = sorted(set(changes) - fields)
    if bad:
        raise ConfigError(f"preset({name!r}) got {bad}: allowed RunConfig fields {sorted(fields)}")
    return dataclasses.replace(PRESETS[name](), **changes)
