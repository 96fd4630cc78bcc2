import math

from chapters.minibatch import configs, measures
from chapters.minibatch.topology import TopoConfig
from grokcore import outcomes
from grokcore.estimates import median
from grokcore.records import new_record
from grokcore.train import summarize

KEY = measures.GROK_KEY


def rec(bs, step, n=2088, num_epochs=100, seed=0, steps_per_s=261.0):
    cfg = configs.config(59, bs, num_epochs, seed=seed)
    h = {
        "step": [0, step or cfg.num_steps],
        "test_acc": [0.0, 1.0 if step else 0.5],
        "train_acc": [0.0, 1.0],
    }
    return new_record(cfg, h, summarize(h), {"train_steps_per_s": steps_per_s})


def epochs(r):
    return outcomes.time_to(r, KEY, measures.per_epoch(r))


def test_epochs_per_run_budget_and_batch_size():
    ok, cens = rec(8, 261 * 30), rec(128, None)
    assert measures.per_epoch(ok) == 2088 // 8 == 261 and epochs(ok) == 30
    assert epochs(cens) is None and measures.budget_epochs(cens) == 100
    assert measures.batch_of(rec(None, 5)) == 2088 and measures.per_epoch(rec(None, 5)) == 1
    assert [o.value for o in measures.seconds([ok, cens])] == [30.0, 100 * 16 / 261]
    assert [o.censored for o in measures.seconds([ok, cens])] == [False, True]


def test_summary_table_gives_kaplan_meier_medians_and_keeps_censored_seeds_as_bounds():
    ok = [rec(8, 261 * e, seed=s) for s, e in enumerate((30, 40, 50))]
    cens = [rec(8, None, seed=s) for s in range(3, 5)]
    table = measures.summary_table({8: ok + cens}, 2088)
    m = median(outcomes.times(ok + cens, KEY, per=measures.per_epoch))
    assert m.estimate == 50 and m.censored == 2  # not the mean 40 of the three that grokked
    row = table.rows[0]
    assert row[0] == 8 and row[1].startswith("50.0 [30.0, ") and row[1].endswith("(2/5 censored)")
    assert row[2].startswith("50.0 [30.0, ")  # the runs reach 100% at the same evaluation
    assert row[3].startswith("13050.0") and row[4].startswith("50.0") and row[5] == "100"
    most = measures.summary_table({"wd 0": [ok[0]] + cens})
    assert most.rows[0][1] == "≥ 30.0 (2/3 censored)"  # a censored majority: only a bound
    assert "<table>" in most._repr_html_() and "epochs to 99% (median [95% CI])" in repr(most)
    assert "epochs to 100% (median [95% CI])" in repr(most) and "seconds to 99%" in repr(most)


def test_median_text_of_an_open_interval_and_of_no_runs():
    m = median([10.0, 20.0, 30.0])
    assert measures.median_text(m) == "20.0 [10.0, ∞]"
    assert measures.median_text(m, 2) == "40.0 [20.0, ∞]"
    assert measures.median_text(median([])) == "—"
    assert math.isinf(m.high)


def test_mlp_runs_count_one_step_per_epoch():
    cfg = TopoConfig(p=11, d=16, num_epochs=300, eval_every=10)
    h = {"step": [0, 120], "test_acc": [0.0, 1.0], "train_acc": [0.0, 1.0]}
    r = new_record(cfg, h, summarize(h), {})
    assert measures.per_epoch(r) == 1 and measures.budget_epochs(r) == 300
    assert epochs(r) == outcomes.time_to(r, KEY) == 120
    table = measures.summary_table({"plain": [r]}, keys=(KEY,), wall=False)
    assert table.rows == [["plain", "120.0 [120.0, ∞] (0/1 censored)", "120.0 [120.0, ∞]", "300"]]


def test_cells_are_keyed_by_the_batch_used():
    cells = {0: [rec(None, 5)], 64: [rec(64, 32)], 8: [rec(8, 261)]}
    assert list(measures.by_batch(cells)) == [8, 64, 2088]


def test_cell_quotes_name_each_cells_medians_counts_and_missing_cells():
    ok = [rec(8, 261 * e, seed=s) for s, e in enumerate((30, 40, 50))]
    cens = [rec(8, None, seed=s) for s in range(3, 5)]
    q = measures.cell_quotes("batch-", {8: ok + cens}, (KEY,), expect=(2, 8))
    assert q["batch-8.99"] == "50" and q["batch-8.99ci"].startswith("50 [30, ")
    assert q["batch-8.99steps"] == "13,050" and q["batch-8.99range"] == "30–50"
    assert q["batch-8.99censored"] == "2" and q["batch-8.99reached"] == "3"
    assert q["batch-8.n"] == "5" and q["batch-8.final"] == "50–100%"
    assert q["batch-2.99"] == q["batch-2.n"] == "—"  # expected, not run at this scale
    most = measures.cell_quotes("cond-", {"LayerNorm, no MLP bias": [ok[0]] + cens}, (KEY,))
    assert most["cond-layernorm-no-mlp-bias.99"] == "≥ 30"  # a censored majority: a bound
    assert measures.span([]) == "—" and measures.span([3.0, 3.0]) == "3"
    assert measures.number(8.5) == "8.5" and measures.number(1692.4) == "1,692"
