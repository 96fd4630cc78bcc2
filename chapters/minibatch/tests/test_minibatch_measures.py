import math

import pytest

from chapters.minibatch import configs, measures
from chapters.minibatch.topology import TopoConfig
from grokcore import outcomes
from grokcore.records import new_record
from grokcore.train import summarize

KEY = measures.GROK_KEY


def rec(bs, step, n=2088, num_epochs=100, seed=0):
    cfg = configs.config(59, bs, num_epochs, seed=seed)
    h = {
        "step": [0, step or cfg.num_steps],
        "test_acc": [0.0, 1.0 if step else 0.5],
        "train_acc": [0.0, 1.0],
    }
    return new_record(cfg, h, summarize(h), {})


def epochs(r):
    return outcomes.time_to(r, KEY, measures.per_epoch(r))


def test_epochs_slopes_and_censoring():
    # epochs to 99% = 10 * bs / 8 for each seed: slope 1 in log-log (a fixed number of steps)
    cells = {
        bs: [rec(bs, 10 * (2088 // bs) * bs // 8, seed=s) for s in range(2)]
        for bs in (8, 16, 32, 64)
    }
    slopes = measures.seed_slopes(cells)
    assert slopes == [pytest.approx(1.0, abs=0.02)] * 2
    assert epochs(cells[8][0]) == pytest.approx(10.0)
    cens = rec(128, None)
    assert epochs(cens) is None and measures.budget_epochs(cens) == 100
    assert measures.cell_summary([cells[8][0], cens])[2] == 1
    assert measures.seed_slopes({8: cells[8], 16: [cens, cens]}) == [None, None]
    assert measures.batch_of(rec(None, 5)) == 2088
    bounds = measures.slope_bound({8: [cells[8][0], cens], 32: [cells[32][0], cens]}, 8, 32)
    assert bounds[0] == pytest.approx(1.0, abs=0.02) and bounds[1] is None
    assert measures.slope_bound({8: [cells[8][0]], 128: [cens]}, 8, 128)[0] == pytest.approx(
        math.log(100 / 10) / math.log(16)
    )
    assert outcomes.speedup([cells[8][0]], [cens], KEY)[0] == pytest.approx(
        cens.summary["last_step"] / cells[8][0].summary[KEY]
    )


def test_tables_notes_and_helpers():
    ok, cens = rec(8, 261 * 30), rec(8, None)
    assert outcomes.ratio([ok, cens], [ok, ok], KEY, per=measures.per_epoch) == [1.0, None]
    assert (
        measures.censoring_note({8: [ok, cens], 16: [ok]}, 2088) == "censored (batch: seeds) 8: 1/2"
    )
    assert measures.censoring_note({8: [ok]}, 2088) == "no censored runs"
    table = measures.summary_table({8: [ok, cens]}, 2088)
    assert table.rows == [[8, "30.0 ± 0.0", "7830.0 ± 0.0", "1/2", "100"]]
    assert "<table>" in table._repr_html_() and "epochs to 99%" in repr(table)
    assert measures.epochs_or_budget([ok, cens]) == [30.0, 100]
    assert outcomes.speedup([ok], [cens], KEY, per=measures.per_epoch) == [pytest.approx(100 / 30)]


def test_speedup_takes_the_fast_cell_first_and_counts_each_runs_epochs():
    """The chapter's old speedup_bound(slow, fast) took the slow cell first; outcomes.speedup
    takes (fast, slow). Epochs are per run: a full-batch run's epoch is one step, batch 8's is
    2088 // 8 = 261 steps."""
    small, full = rec(8, 261 * 20), rec(None, 60)  # 20 epochs at batch 8, 60 full-batch epochs
    assert measures.per_epoch(small) == 261 and measures.per_epoch(full) == 1
    assert outcomes.speedup([small], [full], KEY, per=measures.per_epoch) == [pytest.approx(3.0)]
    assert outcomes.speedup([full], [small], KEY, per=measures.per_epoch) == [pytest.approx(1 / 3)]
    assert outcomes.speedup([small], [full], KEY) == [pytest.approx(60 / (261 * 20))]  # steps
    assert outcomes.speedup([rec(8, None)], [full], KEY, per=measures.per_epoch) == [
        None
    ]  # fast censored


def test_mlp_runs_count_one_step_per_epoch():
    cfg = TopoConfig(p=11, d=16, num_epochs=300, eval_every=10)
    h = {"step": [0, 120], "test_acc": [0.0, 1.0], "train_acc": [0.0, 1.0]}
    r = new_record(cfg, h, summarize(h), {})
    assert measures.per_epoch(r) == 1 and measures.budget_epochs(r) == 300
    assert epochs(r) == outcomes.time_to(r, KEY) == 120
    assert measures.summary_table({"plain": [r]}).rows == [
        ["plain", "120.0 ± 0.0", "120.0 ± 0.0", "0/1", "300"]
    ]
