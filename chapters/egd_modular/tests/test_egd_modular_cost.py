from chapters.egd_modular import configs, cost
from grokcore import records


def test_cost_rows_time_every_variant_and_read_the_runs(fake):
    base = configs.modular_configs(23, ["x+y"], ["none"], 1, 10)[0]
    cfg = base.replace(method=base.method.__class__(name="egd", egd_solver="eigh", targets=("W1",)))
    cells = {("x+y", "egd"): [fake(cfg, 30, 0.95), fake(cfg.replace(seed=1), None, 0.5)]}
    rows = cost.cost_rows(base, 3, cells, "x+y", "eigh")
    assert [r["variant"] for r in rows] == [n for n, _, _ in cost.COST_VARIANTS]
    assert rows[0]["x_sgd"] == 1.0 and all(r["ms_per_step"] > 0 for r in rows)
    eigh = rows[2]
    assert (eigh["runs"], eigh["reached_95"], eigh["epochs_to_95"]) == (2, 1, 30.0)
    assert rows[1]["runs"] == 0 and rows[1]["epochs_to_95"] is None  # svd: not the plan's solver
    # the egd-cost claim's values: one ratio to SGD per timing round (SGD's own: exactly 1)
    assert rows[0]["x_sgd_repeats"] == [1.0] * 5
    assert len(eigh["x_sgd_repeats"]) == 5 and all(x > 0 for x in eigh["x_sgd_repeats"])
    assert (
        cost.own_variant("eigh") == eigh["variant"]
        and cost.own_variant("svd") == rows[1]["variant"]
    )
    # the timing is a run record: timed once, then served (a render is deterministic)
    assert cost.cost_rows(base, 3, cells, "x+y", "eigh") == rows
    assert rows[0]["cpu"] == records.cpu_kind()
    timing = records.load_record(cost.CostTiming(base, 3, 5).key())
    assert timing.history["step"] == [0, 1, 2, 3, 4] and set(timing.history) == {
        "step",
        *(n for n, _, _ in cost.COST_VARIANTS),
    }
