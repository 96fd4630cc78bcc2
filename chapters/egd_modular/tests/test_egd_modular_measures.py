import pytest

from chapters.egd_modular import configs, measures
from grokcore import outcomes


def test_speedup_bound_and_censoring(fake):
    cfgs = configs.modular_configs(23, ["x+y"], ["egd", "none"], seeds=2, num_steps=300)
    egd = [fake(cfgs[0], 30, 0.95), fake(cfgs[1], None, 0.5)]
    sgd = [fake(cfgs[2], None, 0.0), fake(cfgs[3], 150, 0.95)]
    assert outcomes.speedup(egd, sgd) == [300 / 30, None]  # censored SGD: budget is a bound
    assert measures.accuracy_lead(egd, sgd) == pytest.approx([0.95, -0.45])
    cells = measures.by_cell(egd + sgd)
    assert (
        measures.censoring_note(cells, "none")
        == "none never reached 95% within 300 steps in x+y: 1/2"
    )
    assert measures.per_epoch(egd[0]) == 1  # p=23: full batch, one step per epoch
    assert outcomes.time_to(egd[0], per=measures.per_epoch(egd[0])) == 30.0
    assert outcomes.time_to(egd[1], per=measures.per_epoch(egd[1])) is None


def test_rsvd_runs_get_their_own_cell(fake):
    exact = configs.modular_configs(23, ["x+y"], ["egd"], seeds=1, num_steps=10)[0]
    rsvd = configs.modular_configs(
        23, ["x+y"], ["egd"], seeds=1, num_steps=10, egd_solver="rsvd", rank=64
    )[0]
    cells = measures.by_cell([fake(exact, 30, 0.95), fake(rsvd, 45, 0.95)])
    assert set(cells) == {("x+y", "egd"), ("x+y", "egd_rsvd64")}
    rsvd_cell, exact_cell = cells[("x+y", "egd_rsvd64")], cells[("x+y", "egd")]
    assert outcomes.ratio(rsvd_cell, exact_cell, per=measures.per_epoch) == [1.5]


def test_epoch_counts_use_each_runs_own_epoch(fake):
    """The chapter's former epoch_ratio and epochs_to divided by each run's steps per epoch;
    outcomes.ratio and time_to with per=measures.per_epoch do the same, also on a 99% key."""
    # 9 steps per epoch
    modular = configs.modular_configs(97, ["x+y"], ["egd"], seeds=1, num_steps=900)[0]
    parity = configs.parity_config(400, 2, "hinge", epochs=10)  # 62 steps/epoch
    a = fake(modular, 90, 0.99, step_to_test_acc_99=180)
    b = fake(parity, 124, 0.99, step_to_test_acc_99=620)
    assert [measures.per_epoch(r) for r in (a, b)] == [9, 62]
    assert outcomes.ratio([a], [b], per=measures.per_epoch) == [pytest.approx(10 / 2)]
    ratio99 = outcomes.ratio([a], [b], "step_to_test_acc_99", per=measures.per_epoch)
    assert ratio99 == [pytest.approx(2.0)]


def test_changed_edge_cases_of_the_speedup_and_the_ratio(fake):
    """Where the chapter's old speedup_bound and epoch_ratio divided by zero or read a time of 0
    as censored, outcomes gives None for a fast time of 0 and keeps a slow time of 0."""
    cfg = configs.modular_configs(23, ["x+y"], ["egd"], seeds=1, num_steps=300)[0]
    zero, slow, censored = fake(cfg, 0, 1.0), fake(cfg, 30, 1.0), fake(cfg, None, 0.5)
    assert outcomes.speedup([zero], [slow]) == [None]  # was ZeroDivisionError
    assert outcomes.speedup([slow], [zero]) == [0.0]  # was 300 / 30: a time of 0 read as censored
    assert outcomes.speedup([censored], [censored]) == [None]  # both censored: no bound
    assert outcomes.ratio([slow], [zero], per=measures.per_epoch) == [None]  # was ZeroDivisionError


def test_censoring_note_lists_every_task_even_uncensored(fake):
    cfg = configs.modular_configs(23, ["x+y", "x*y"], ["none"], seeds=1, num_steps=300)
    cells = measures.by_cell([fake(cfg[0], 30, 0.95), fake(cfg[1], None, 0.2)])
    assert (
        measures.censoring_note(cells, "none")
        == "none never reached 95% within 300 steps in x+y: 0/1, x*y: 1/1"
    )
    assert (
        measures.censoring_note(cells, "none", ["x+y"])
        == "none never reached 95% within 300 steps in x+y: 0/1"
    )


def test_spectrum_extreme_reads_each_seed(fake):
    cfg = configs.modular_configs(23, ["x+y"], ["none"], seeds=1, num_steps=300)[0]
    recs = [fake(cfg, None, 0.5), fake(cfg.replace(seed=1), None, 0.5)]
    recs[0].history["grad_cond_W1"] = [40.0, 12.0, 30.0]
    recs[1].history["grad_cond_W1"] = [50.0, 60.0]
    assert measures.spectrum_extreme(recs, "grad_cond_W1", min) == [12.0, 50.0]
    assert measures.spectrum_extreme(recs, "grad_cond_W1") == [40.0, 60.0]


def test_spectrum_extreme_counts_a_missing_or_non_finite_series(fake):
    cfg = configs.modular_configs(23, ["x+y"], ["none"], seeds=1, num_steps=300)[0]
    recs = [fake(cfg, None, 0.5), fake(cfg.replace(seed=1), None, 0.5)]
    recs[0].history["grad_cond_W1"] = [40.0, float("nan"), 30.0]
    got = measures.spectrum_extreme(recs, "grad_cond_W1", min)
    assert got[1] is None and got[0] != got[0]  # no series: None; a NaN in it: NaN


def test_first_task_prefers_the_chapters_modulus_then_plan_order(fake):
    plan = {"x+y mod 79": ["none", "egd"], "x*y": ["none"], "x+y": ["none", "egd"],
            "parity(400,2)/mse": ["none", "egd"]}  # fmt: skip
    cfgs = configs.plan_configs(plan, p=23, seeds=1, num_steps=10, parity_epochs=1)
    cells = measures.by_cell([fake(c, None, 0.5) for c in cfgs], 23)
    assert measures.first_task(cells, ("none", "egd")) == "x+y"
    assert measures.first_task(cells, ("none",), ("x*y",)) == "x*y"
    assert measures.first_task(cells, ("none", "egd"), ("x*y",)) is None
    assert measures.first_task(cells, ("egd",), ("parity/mse",)) == "parity(400,2)/mse"
    del cells[("x+y", "egd")]
    assert measures.first_task(cells, ("none", "egd"), measures.MODULAR_KINDS) == "x+y mod 79"
    kinds = [
        measures.task_kind(t) for t in ("x+y mod 79", "x*y", "parity(50,4)", "parity(50,4)/mse")
    ]
    assert kinds == ["x+y", "x*y", "parity", "parity/mse"]


def test_test_acc_at_reads_the_last_evaluation_up_to_a_step(fake):
    cfg = configs.modular_configs(23, ["x+y"], ["none"], seeds=1, num_steps=300)[0]
    r = fake(cfg, None, 0.5)
    r.history.update(step=[0, 100, 200], test_acc=[0.0, 0.4, 0.7])
    assert [measures.test_acc_at(r, s) for s in (0, 99, 100, 250, 10_000)] == [
        0.0, 0.0, 0.4, 0.7, 0.7,
    ]  # fmt: skip


def test_times_table_gives_km_medians_in_epochs_and_steps_per_level(fake):
    plan = {"x+y": ["egd", "egd@lr=1.4"]}
    cfgs = configs.plan_configs(plan, p=97, seeds=5, num_steps=2000, parity_epochs=1)
    recs = []
    for c in cfgs:  # 9 steps per epoch at p = 97; seed s: 50% at 90+9s, 95% at 900+90s or never
        s = c.seed
        t95 = 900 + 90 * s if c.optim.lr == 0.7 or s < 2 else None
        recs.append(
            fake(c, t95, 0.5, step_to_test_acc_50=90 + 9 * s, step_to_test_acc_90=t95,
                 step_to_train_acc_95=18 * s)
        )  # fmt: skip
    rows = measures.times_table(measures.by_cell(recs, 97), {"egd": "EGD"})
    assert [r["method"] for r in rows] == ["EGD", "EGD, lr 1.4"]
    egd, fast = rows
    assert egd["epochs to 50%"].startswith("12 [") and egd["epochs to 50%"].endswith("; 108 steps")
    assert egd["epochs to 95%"].startswith("120 [") and egd["never at 95%"] == 0
    assert egd["epochs to 95% train"].startswith("4 [")  # 36 steps
    assert fast["never at 95%"] == 3 and fast["epochs to 95%"].startswith("≥ ")  # 3 of 5 censored
    parity = configs.plan_configs({"parity(400,2)": ["egd"]}, p=97, seeds=2, num_steps=1,
                                  parity_epochs=1)  # fmt: skip
    row = measures.times_table(
        measures.by_cell(
            [
                fake(c, None, 0.5, step_to_train_acc_95=None, step_to_test_acc_90=None)
                for c in parity
            ]
        ),
        {"egd": "EGD"},
    )[0]
    assert row["epochs to 50%"] == "chance"  # parity's chance level is 50%


def test_figures_wrap_many_tasks_onto_rows_of_four(fake):
    from chapters.egd_modular import figures

    plan = {f"x+y mod {q}": ["egd"] for q in (29, 31, 37, 41, 43)}
    cfgs = configs.plan_configs(plan, p=23, seeds=1, num_steps=30, parity_epochs=1)
    recs = [fake(c, None, 0.5) for c in cfgs]
    for r in recs:
        r.history["train_acc"] = [0.5, 1.0]
    cells = measures.by_cell(recs, 23)
    fig = figures.methods_figure(cells, list(plan), ["egd"], {"egd": "EGD"}, 1)
    assert len(fig.axes) == 5
    assert len({round(ax.get_position().y0, 2) for ax in fig.axes}) == 2  # two rows
    fig = figures.survival_figure(cells, list(plan), ["egd"], {"egd": "EGD"})
    assert len(fig.axes) == 5


def test_prose_quotes_count_each_cells_epochs_and_budget(fake):
    from chapters.egd_modular.figures import prose_quotes

    # p = 97, batch 512: 9 steps per epoch; a budget of 2000 steps is 222 whole epochs
    cfgs = configs.modular_configs(97, ["x+y"], ["egd"], seeds=3, num_steps=2000)
    recs = [fake(cfgs[0], 90, 0.99), fake(cfgs[1], None, 0.5), fake(cfgs[2], 180, 0.99)]
    q = prose_quotes(measures.by_cell(recs), expect={"x+y": ["egd"], "x*y": ["egd"]})
    assert q["x+y.egd.95range"] == "10–20" and q["x+y.egd.95max"] == "20"
    assert q["x+y.egd.95reached"] == "2" and q["x+y.egd.95censored"] == "1"
    assert q["x+y.egd.n"] == "3" and q["x+y.egd.budget"] == "222"
    assert q["x*y.egd.budget"] == q["x*y.egd.n"] == "—"  # expected, not run
