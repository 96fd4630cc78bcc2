import re

import pytest
import torch

from chapters.minibatch import topology as tp
from grokcore.config import ConfigError, ModularTask
from grokcore.data import modular_dataset
from grokcore.sweep import run_or_load


def test_oracle_graph_is_two_rings_with_cross_links():
    adj = tp.oracle_adjacency(7)
    assert adj.equal(adj.T) and adj.sum(1).tolist() == [3] * 14
    assert adj[0, 1] and adj[0, 6] and adj[0, 7] and adj[7, 8] and not adj[0, 2]


def test_data_graph_of_a_full_table_is_the_ring_of_one_shift():
    p = 11
    ds = modular_dataset(ModularTask(p=p, frac_train=0.5), 0)
    adj = tp.data_adjacency(ds.inputs, ds.labels, p, a0=2, a1=5)  # the whole table: shift 3
    i = torch.arange(p)
    ring = torch.zeros(p, p, dtype=torch.bool)
    ring[i, (i + 3) % p] = True
    ring = ring | ring.T
    assert adj[:p, :p].equal(ring) and adj[p:, p:].equal(ring) and not adj[:p, p:].any()


def test_data_graph_fills_the_gaps_of_a_training_table():
    p = 23
    ds = modular_dataset(ModularTask(p=p, frac_train=0.6), 1)
    adj = tp.data_adjacency(ds.inputs[ds.train_idx], ds.labels[ds.train_idx], p)
    assert adj.sum(1).tolist() == [2] * (2 * p)  # every node on its ring, no wrong links
    a, b = adj[:p, :p].nonzero().T
    assert set(((b - a) % p).tolist()) == {1, p - 1}  # rows 0 and 1: shift 1


def test_laplacian_trace_is_the_sum_of_squared_edge_lengths():
    adj = tp.oracle_adjacency(5)
    e = torch.randn(10, 3, dtype=torch.float64)
    edges = adj.triu().nonzero()
    direct = sum((e[i] - e[j]).pow(2).sum() for i, j in edges)
    assert torch.trace(e.T @ tp.laplacian(adj) @ e) == pytest.approx(float(direct))


def test_agop_penalty_matches_autograd_jacobians():
    model = tp.QuadraticMLP(5, 4, [0, 1], dtype=torch.float64).requires_grad_(False)
    x = torch.tensor([[[0, 1], [2, 3], [4, 4], [1, 0]]] * 2)  # [M, B, 2]
    got = tp.agop_penalty(model, x)
    for m in range(2):
        w = model.W_out[m]  # [d, p]
        v = model.embed(x)[m]  # [B, d]
        # Jacobian of the logits wrt v at each input: J = W^T diag(2 v),
        # so J^T J = diag(g) W W^T diag(g)
        jac = torch.stack(
            [torch.autograd.functional.jacobian(lambda u: u.square() @ w, vi) for vi in v]
        )  # [B, p, d]
        g = 2 * v
        uncentered = (jac.transpose(1, 2) @ jac).mean(0)  # E[J^T J]
        assert uncentered == pytest.approx((w @ w.T) * (g.T @ g / len(g)))
        cov = torch.cov(g.T, correction=0)
        e = model.E[m]
        assert float(got[m]) == pytest.approx(float(torch.trace(e @ ((w @ w.T) * cov) @ e.T)))


def test_eigenmaps_recover_the_order_of_a_scrambled_table():
    p = 19
    table = tp.scrambled_table(p, frac_train=0.8, seed=3)
    adj = tp.data_adjacency(table["operands"], table["labels"], p)
    angles = tp.ring_order(adj[:p, :p])
    agreement, step = tp.cyclic_rank_agreement(angles, table["value_a"], p)
    assert agreement == 1.0 and 1 <= step <= p // 2
    shuffled = angles[torch.randperm(p, generator=torch.Generator().manual_seed(0))]
    assert tp.cyclic_rank_agreement(shuffled, table["value_a"], p)[0] < 0.5
    rec = tp.recover_order(p, 0.8, seed=3)
    assert (
        rec["agreement"] == 1.0 and rec["step"] == step and sorted(rec["value"]) == list(range(p))
    )


CFG = tp.TopoConfig(p=11, d=16, frac_train=0.75, num_epochs=30, eval_every=5, stop_at_test_acc=None)


@pytest.mark.parametrize("penalty", tp.PENALTIES)
def test_training_is_deterministic_and_stacks(penalty):
    cfg = CFG.replace(penalty=penalty)
    a = tp.train_topo([cfg, cfg.replace(seed=1)])
    b = tp.train_topo([cfg.replace(seed=1)])
    assert a[1].history["train_loss"] == pytest.approx(b[0].history["train_loss"], rel=1e-4)
    assert a[0].history["train_loss"] != a[1].history["train_loss"]
    assert (a[0].history["penalty"][-1] > 0) == (penalty != "none")
    assert a[0].history["train_loss"][-1] < a[0].history["train_loss"][0]


def test_plain_mlp_fits_and_records_through_run_or_load():
    cfg = tp.TopoConfig(p=11, d=64, num_epochs=200, eval_every=10, stop_at_test_acc=None)
    rec = run_or_load([cfg], workers=1)[0]
    assert rec.final["train_acc"] == 1.0 and rec.summary["step_to_train_acc_99"] is not None
    assert run_or_load([cfg], workers=1)[0].history == rec.history  # loaded from the cache


@pytest.mark.parametrize(
    "field,value,allowed",
    [
        ("penalty", "l1", "one of 'none'"),
        ("p", 2, "an integer >= 3"),
        ("lamb", -1.0, "None or a number >= 0"),
        ("frac_train", 1.0, "a number in (0, 1)"),
        ("num_epochs", 0, "a positive integer"),
    ],
)
def test_invalid_values_name_the_field(field, value, allowed):
    with pytest.raises(
        ConfigError, match=f"TopoConfig.{field}=.* is invalid: allowed {re.escape(allowed)}"
    ):
        tp.TopoConfig(**{field: value})


def test_default_penalty_weight_is_the_sources():
    assert tp.TopoConfig().penalty_weight == pytest.approx(1 / (2 * 59 * 128))
