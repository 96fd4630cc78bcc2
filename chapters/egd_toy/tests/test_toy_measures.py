from chapters.egd_toy import configs, measures
from grokcore.sweep import run_or_load

SMALL = configs.ToyConfig(eps=0.01, n=4000, n_test=2000, n_train_eval=1000, num_steps=3000)


def test_toy_records_cache_and_group_by_data():
    cfgs = configs.sweep(SMALL, [0.01], [0.01, 10.0], seeds=range(2)) + configs.sweep(
        SMALL, [0.03], [0.01, 10.0], seeds=range(2)
    )
    assert len({c.stack_key for c in cfgs}) == 2  # one unit per data set (eps)
    recs = run_or_load(cfgs)
    assert [r.key for r in recs] == [c.key() for c in cfgs]
    cells = measures.by_cell(recs)
    m = measures.measurements(cells, 0.01, [0.03, 0.01], 10.0, 0.01)
    assert 0.8 < m["loglog_large"][0] < 1.2
    assert len(m["theory_gap"]) == 2 and m["egd_max_plateau"][0] <= 10
