"""Datasets the chapters share: modular arithmetic and sparse parity. All seeded.

The EGD toy of chapter 1 samples its own data, in that chapter's package.

Example (modular addition, p = 5):

    >>> ds = modular_dataset(ModularTask(operation="x+y", p=5, frac_train=0.6), seed=0)
    >>> ds.inputs[7].tolist(), ds.labels[7].item()    # the pair (1, 2) -> 3
    ([1, 2], 3)
    >>> ds.tokens[7].tolist()                           # Nanda format: x y =
    [1, 2, 5]
    >>> len(ds.train_idx), len(ds.test_idx)             # int(0.6 * 25) = 15 train, 10 test
    (15, 10)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Callable

import torch

from .config import ModularTask, ParityTask

# name -> (number of operands, label function on int64 tensors and p)
OPERATIONS: dict[str, tuple[int, Callable[..., torch.Tensor]]] = {
    "x+y": (2, lambda x, y, p: (x + y) % p),
    "x-y": (2, lambda x, y, p: (x - y) % p),
    "x*y": (2, lambda x, y, p: (x * y) % p),
    # x / y = x * y^(p-2) mod p (Fermat; p prime, y != 0 is enforced by the config)
    "x/y": (2, lambda x, y, p: (x * _pow_mod(y, p - 2, p)) % p),
    "x^2-y": (2, lambda x, y, p: (x * x - y) % p),
    # NeuralGrok's composite task, 5 operands
    "a*c+b*d-e": (5, lambda a, b, c, d, e, p: (a * c + b * d - e) % p),
    # MED paper App. D.2's other operations (y is ignored by x^2)
    "x^2": (2, lambda x, y, p: (x * x) % p),
    "x^2+y^2": (2, lambda x, y, p: (x * x + y * y) % p),
    "x^3+xy": (2, lambda x, y, p: (x * x * x + x * y) % p),
}

# Number of operator tokens per operation in NeuralGrok's token format (a b op = ans, ...)
_NEURALGROK_OPS = {"x^2-y": 2, "a*c+b*d-e": 3}


def _pow_mod(base: torch.Tensor, exp: int, p: int) -> torch.Tensor:
    out = torch.ones_like(base)
    b = base % p
    while exp:
        if exp & 1:
            out = (out * b) % p
        b = (b * b) % p
        exp >>= 1
    return out


@dataclass(frozen=True)
class Dataset:
    """All examples of a task plus one train/test split (indices into the example axis)."""

    inputs: torch.Tensor  # [N, n_inputs] int64 operands, or [N, n] float inputs (parity)
    tokens: torch.Tensor | None  # [N, T] int64 token sequence for transformers (modular only)
    labels: torch.Tensor  # [N] int64 classes, or float +-1 (parity)
    train_idx: torch.Tensor  # [n_train] int64
    test_idx: torch.Tensor  # [n_test] int64
    n_vocab: int  # token vocabulary (modular) or input width (parity)
    n_classes: int


def split_indices(n: int, frac_train: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Random disjoint split: the first int(frac_train * n) of a seeded permutation train."""
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    n_train = int(frac_train * n)
    return perm[:n_train].sort().values, perm[n_train:].sort().values


def split_from_mask(train_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Split from an explicit boolean mask over examples (e.g. held-out squares or strips)."""
    if train_mask.dtype != torch.bool or train_mask.ndim != 1:
        raise ValueError("train_mask must be a 1-D bool tensor over examples")
    if train_mask.all() or not train_mask.any():
        raise ValueError("train_mask must leave at least one train and one test example")
    return train_mask.nonzero().squeeze(1), (~train_mask).nonzero().squeeze(1)


def layout_mask(task: ModularTask, seed: int) -> torch.Tensor:
    """Train mask of a square or strip layout (MED paper §6.1 and its code), [p^2] bool.

    The hole {i <= k, j <= k} (square) or {i <= k} (strip) is always held out; of the other pairs,
    in a seeded random order, the first task.n_train train and the rest go to the test set."""
    x, y = modular_operands(task).unbind(1)
    k = task.hole
    hole = (x <= k) & (y <= k) if task.layout == "square" else x <= k
    rest = (~hole).nonzero().squeeze(1)
    perm = torch.randperm(len(rest), generator=torch.Generator().manual_seed(seed))
    mask = torch.zeros(len(x), dtype=torch.bool)
    mask[rest[perm[: task.n_train]]] = True
    return mask


def modular_operands(task: ModularTask) -> torch.Tensor:
    """All operand tuples, [N, n_inputs], in lexicographic order.

    Second operands (c and d for a*c+b*d-e) start at task.min_y."""
    n_in, _ = OPERATIONS[task.operation]
    p, lo = task.p, task.min_y
    if n_in == 2:
        ranges = [range(p), range(lo, p)]
    else:  # a, b, c, d, e: c and d are the multipliers
        ranges = [range(p), range(p), range(lo, p), range(lo, p), range(p)]
    return torch.tensor(list(itertools.product(*ranges)), dtype=torch.int64)


def modular_tokens(task: ModularTask, operands: torch.Tensor, fmt: str = "nanda") -> torch.Tensor:
    """Token sequences, [N, T]; the answer is read at the last position.

    "nanda": x y = (vocab p + 1, '=' is p).  "neuralgrok": a b op = (op tokens p+1.., '=' is p).
    "grokfast": x op y = ('=' is p, op is p + 1; vocab p + 2; two operands only).
    With task.shift = d > 0 ("nanda" only), the tokens are x, y + d, '=' = p + d (MED code)."""
    n = operands.shape[0]
    eq = torch.full((n, 1), task.p + task.shift, dtype=torch.int64)
    if fmt == "nanda":
        if task.shift:
            operands = operands + torch.tensor([0, task.shift])
        return torch.cat([operands, eq], dim=1)
    if fmt == "neuralgrok":
        if task.shift:
            raise ValueError("ModularTask.shift is only supported by token format 'nanda'")
        n_ops = _NEURALGROK_OPS.get(task.operation, 1)
        ops = torch.arange(task.p + 1, task.p + 1 + n_ops).expand(n, n_ops)
        return torch.cat([operands, ops, eq], dim=1)
    if fmt == "grokfast":
        if task.shift or operands.shape[1] != 2:
            raise ValueError("token format 'grokfast' needs two operands and ModularTask.shift 0")
        op = torch.full((n, 1), task.p + 1, dtype=torch.int64)
        return torch.cat([operands[:, :1], op, operands[:, 1:], eq], dim=1)
    raise ValueError(f"fmt={fmt!r} is invalid: allowed 'nanda', 'neuralgrok', 'grokfast'")


def token_vocab(task: ModularTask, fmt: str = "nanda") -> int:
    return (
        task.p
        + 1
        + task.shift
        + (_NEURALGROK_OPS.get(task.operation, 1) if fmt == "neuralgrok" else 0)
        + (1 if fmt == "grokfast" else 0)
    )


def modular_dataset(
    task: ModularTask,
    seed: int,
    *,
    token_format: str | None = None,
    train_mask: torch.Tensor | None = None,
) -> Dataset:
    """The task's examples with a split seeded by task.split_seed (or `seed` when None).

    token_format: None takes task.token_format."""
    token_format = task.token_format if token_format is None else token_format
    operands = modular_operands(task)
    _, fn = OPERATIONS[task.operation]
    labels = fn(*operands.unbind(1), task.p)
    if train_mask is None and task.layout != "random":
        train_mask = layout_mask(task, seed if task.split_seed is None else task.split_seed)
    if train_mask is None:
        split_seed = seed if task.split_seed is None else task.split_seed
        train_idx, test_idx = split_indices(len(labels), task.frac_train, split_seed)
    else:
        train_idx, test_idx = split_from_mask(train_mask)
    return Dataset(
        operands,
        modular_tokens(task, operands, token_format),
        labels,
        train_idx,
        test_idx,
        token_vocab(task, token_format),
        task.p,
    )


def parity_dataset(task: ParityTask, seed: int) -> Dataset:
    """Uniform x in {-1, +1}^n; y = prod of x over a secret k-subset drawn once per seed."""
    g = torch.Generator().manual_seed(seed if task.split_seed is None else task.split_seed)
    secret = torch.randperm(task.n, generator=g)[: task.k]
    n_all = task.n_train + task.n_test
    x = torch.randint(0, 2, (n_all, task.n), generator=g).float() * 2 - 1  # [N, n]
    y = x[:, secret].prod(dim=1)  # [N]
    idx = torch.arange(n_all)
    return Dataset(x, None, y, idx[: task.n_train], idx[task.n_train :], task.n, 1)


def make_dataset(task: ModularTask | ParityTask, seed: int, **kw) -> Dataset:
    if isinstance(task, ModularTask):
        return modular_dataset(task, seed, **kw)
    return parity_dataset(task, seed)
