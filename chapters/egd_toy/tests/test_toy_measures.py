from chapters.egd_toy import claims, configs, measures
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
    slope = m["loglog_large"][0]
    assert not slope.censored and 0.8 < slope.value < 1.2
    assert len(m["theory_gap"]) == 2 and m["egd_max_plateau"][0].value <= 10
    rows = claims.results(
        cells, eps=0.01, eps_values=[0.03, 0.01], large=10.0, small=0.01, lr=0.5, scale="smoke"
    )
    assert [r.id for r in rows] == list(claims.CLAIMS)
    assert all(r.n == 2 for r in rows if r.verdict != "not run")
