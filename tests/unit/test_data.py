import doctest

import pytest
import torch

import grokcore.data as data
from grokcore.config import ModularTask, ParityTask


def test_docstring_example():
    assert doctest.testmod(data, raise_on_error=False).failed == 0


@pytest.mark.parametrize(
    "op, ref",
    [
        ("x+y", lambda x, y, p: (x + y) % p),
        ("x-y", lambda x, y, p: (x - y) % p),
        ("x*y", lambda x, y, p: (x * y) % p),
        ("x/y", lambda x, y, p: next(c for c in range(p) if (c * y) % p == x)),
        ("x^2-y", lambda x, y, p: (x * x - y) % p),
    ],
)
def test_binary_labels_match_definition(op, ref):
    p = 11
    task = ModularTask(operation=op, p=p, min_y=1 if op == "x/y" else 0)
    ds = data.modular_dataset(task, seed=0)
    for (x, y), lab in zip(ds.inputs.tolist(), ds.labels.tolist()):
        assert lab == ref(x, y, p)
    assert len(ds.labels) == p * (p - task.min_y)


def test_composite_task_as_neuralgrok():
    task = ModularTask(operation="a*c+b*d-e", p=7, min_y=1)
    ds = data.modular_dataset(task, seed=0, token_format="neuralgrok")
    assert len(ds.labels) == 12348  # a, b, e in 0..6; c, d in 1..6 (NeuralGrok code)
    a, b, c, d, e = ds.inputs[123].tolist()
    assert ds.labels[123].item() == (a * c + b * d - e) % 7
    assert ds.tokens[123].tolist() == [a, b, c, d, e, 8, 9, 10, 7]  # ops p+1.., then '=' p
    assert ds.n_vocab == 11


def test_token_formats():
    task = ModularTask(operation="x^2-y", p=5)
    ds = data.modular_dataset(task, seed=0, token_format="neuralgrok")
    assert ds.tokens[0].tolist() == [0, 0, 6, 7, 5] and ds.n_vocab == 8
    with pytest.raises(ValueError, match="fmt"):
        data.modular_tokens(task, ds.inputs, "gpt")


def test_split_is_seeded_disjoint_and_complete():
    task = ModularTask(p=13, frac_train=0.3)
    a, b, c = (data.modular_dataset(task, s) for s in (0, 0, 1))
    assert torch.equal(a.train_idx, b.train_idx)
    assert not torch.equal(a.train_idx, c.train_idx)
    assert len(a.train_idx) == int(0.3 * 169)
    all_idx = torch.cat([a.train_idx, a.test_idx]).sort().values
    assert torch.equal(all_idx, torch.arange(169))
    fixed = ModularTask(p=13, frac_train=0.3, split_seed=7)
    assert torch.equal(
        data.modular_dataset(fixed, 0).train_idx, data.modular_dataset(fixed, 1).train_idx
    )


def test_split_from_mask():
    task = ModularTask(p=5)
    mask = data.modular_operands(task)[:, 0] >= 2  # hold out a strip x < 2
    ds = data.modular_dataset(task, 0, train_mask=mask)
    assert (ds.inputs[ds.test_idx][:, 0] < 2).all() and len(ds.train_idx) == 15
    with pytest.raises(ValueError):
        data.split_from_mask(torch.ones(4, dtype=torch.bool))


def test_parity():
    task = ParityTask(n=12, k=3, n_train=100, n_test=50)
    ds = data.parity_dataset(task, seed=0)
    assert ds.inputs.shape == (150, 12) and set(ds.inputs.unique().tolist()) == {-1.0, 1.0}
    # exactly one 3-subset of coordinates explains every label
    hits = [
        s
        for s in __import__("itertools").combinations(range(12), 3)
        if torch.equal(ds.inputs[:, list(s)].prod(1), ds.labels)
    ]
    assert len(hits) == 1
    assert torch.equal(data.parity_dataset(task, 0).inputs, ds.inputs)


@pytest.mark.parametrize(
    "task",
    [
        ModularTask(p=11, frac_train=0.3),
        ModularTask(operation="x/y", p=7, min_y=1),
        ModularTask(operation="a*c+b*d-e", p=5, min_y=1, frac_train=0.7),
    ],
)
def test_derived_sizes_match_the_data(task):
    ds = data.modular_dataset(task, seed=0)
    assert task.n_examples == len(ds.labels) and task.n_train == len(ds.train_idx)
