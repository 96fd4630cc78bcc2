import pytest

from chapters.egd_modular import egd_mlp
from grokcore.config import to_dict
from grokcore.records import new_record


def fake(cfg, step95, final_acc):
    h = {"step": [0, 10], "test_acc": [0.0, final_acc]}
    summary = {"step_to_test_acc_95": step95, "last_step": cfg.num_steps}
    return new_record(cfg, h, summary, {})


def test_configs_follow_the_egd_code():
    cfgs = egd_mlp.configs(97, ["x+y", "x*y"], ["none", "egd"], seeds=3, num_steps=100)
    assert len(cfgs) == 12 and {c.seed for c in cfgs} == {0, 1, 2}
    c = cfgs[-1]
    assert (c.task.p, c.task.frac_train, c.model.width, c.model.output_bias) == (97, 0.5, 512, False)
    assert (c.optim.name, c.optim.lr, c.optim.batch_size, c.optim.loss_l2) == ("sgd", 0.7, 512, 1e-4)
    assert c.method.targets == ("W1",) and c.method.switch_off_at == 0.95
    assert c.eval_every == 3 * (4704 // 512)  # every 3 epochs


def test_speedup_bound_and_censoring():
    cfgs = egd_mlp.configs(23, ["x+y"], ["egd", "none"], seeds=2, num_steps=300)
    egd = [fake(cfgs[0], 30, 0.95), fake(cfgs[1], None, 0.5)]
    sgd = [fake(cfgs[2], None, 0.0), fake(cfgs[3], 150, 0.95)]
    assert egd_mlp.speedup_bound(egd, sgd) == [300 / 30, None]  # censored SGD: budget is a bound
    assert egd_mlp.accuracy_lead(egd, sgd) == pytest.approx([0.95, -0.45])
    cells = egd_mlp.by_cell(egd + sgd)
    assert egd_mlp.censoring_note(cells, "none") == "none never reached 95% within 300 steps in x+y: 1/2"
    assert egd_mlp.epochs_to(egd[0]) == 30.0  # p=23: full batch, one step per epoch
    assert egd_mlp.epochs_to(egd[1]) is None


def test_rsvd_runs_get_their_own_cell():
    exact = egd_mlp.configs(23, ["x+y"], ["egd"], seeds=1, num_steps=10)[0]
    rsvd = egd_mlp.configs(23, ["x+y"], ["egd"], seeds=1, num_steps=10, egd_solver="rsvd", rank=64)[0]
    cells = egd_mlp.by_cell([fake(exact, 30, 0.95), fake(rsvd, 45, 0.95)])
    assert set(cells) == {("x+y", "egd"), ("x+y", "egd_rsvd64")}
    assert egd_mlp.epoch_ratio(cells[("x+y", "egd_rsvd64")], cells[("x+y", "egd")]) == [1.5]


def test_parity_configs_follow_table_1_and_the_code():
    c = egd_mlp.parity_config(100, 3, "hinge", epochs=10)
    assert (c.task.n, c.task.k, c.task.n_train, c.task.n_test) == (100, 3, 2000, 10000)
    assert (c.model.width, c.model.b1_init, c.model.output_bias) == (100, "he", False)
    assert (c.optim.name, c.optim.lr, c.optim.loss_l2, c.optim.batch_size) == ("sgd", 0.0416239, 1e-2, 32)
    assert c.num_steps == 10 * 62 and c.eval_every == 2 * 62 and c.loss == "hinge"
    assert egd_mlp.parity_config(400, 2, "mse", epochs=1).model.width == 50


def test_plan_labels_round_trip():
    plan = {"x*y": ["none", "grokfast_ema", "egd_rsvd128", "egd_newton_schulz"],
            "parity(50,4)/mse": ["egd", "egd_noswitch", "column_norm"]}
    cfgs = egd_mlp.plan_configs(plan, p=23, seeds=2, num_steps=30, parity_epochs=1)
    assert len(cfgs) == 14
    cells = egd_mlp.by_cell([fake(c, None, 0.5) for c in cfgs])
    assert set(cells) == {(t, m) for t, ms in plan.items() for m in ms}
    assert all(len(v) == 2 for v in cells.values())
    by = {(egd_mlp.task_label(r.config), egd_mlp.method_label(r.config["method"])): r.cfg
          for rs in cells.values() for r in rs}
    gf = by[("x*y", "grokfast_ema")].method
    assert (gf.alpha, gf.lamb) == (0.98, 2.0)
    assert by[("x*y", "egd_rsvd128")].method.rank == 128
    # the switch-back ablation: both EGD arms run on to 99%, the others stop at 95%
    assert by[("parity(50,4)/mse", "egd_noswitch")].method.switch_off_at is None
    assert by[("parity(50,4)/mse", "egd")].method.switch_off_at == 0.95
    assert by[("parity(50,4)/mse", "egd")].stop_at_test_acc == 0.99
    assert by[("parity(50,4)/mse", "column_norm")].stop_at_test_acc == 0.95
    assert by[("parity(50,4)/mse", "egd")].loss == "mse"


def test_paper_plan_uses_the_codes_parity_budgets():
    cfgs = egd_mlp.plan_configs({"parity(400,2)": ["egd"]}, p=97, seeds=1, num_steps=1,
                                parity_epochs=None)
    assert cfgs[0].num_steps == 10100 * 62
    assert set(egd_mlp.SCALES["paper"]["plan"]) >= {"x+y", "x*y", "parity(50,4)", "parity(100,3)/mse"}


@pytest.mark.parametrize("plan, match", [
    ({"x+z": ["egd"]}, "plan task 'x\\+z' is invalid: allowed x\\+y"),
    ({"parity(10,2)": ["egd"]}, "parity\\(400,2\\)\\[/mse\\]"),
    ({"x+y": ["egd", "adam"]}, "methods \\['adam'\\] are invalid: allowed none, egd"),
])
def test_bad_plans_name_the_allowed_values(plan, match):
    from grokcore.config import ConfigError
    with pytest.raises(ConfigError, match=match):
        egd_mlp.plan_configs(plan, p=23, seeds=1, num_steps=1, parity_epochs=1)


def test_switch_off_none_points_to_the_ablation_method():
    from grokcore.config import ConfigError
    with pytest.raises(ConfigError, match="switch_off_at=None is invalid.*egd_noswitch"):
        egd_mlp.plan_configs({"x+y": ["egd"]}, p=23, seeds=1, num_steps=1, parity_epochs=1,
                             switch_off_at=None)


def test_cost_rows_time_every_variant_and_read_the_runs():
    base = egd_mlp.configs(23, ["x+y"], ["none"], 1, 10)[0]
    cfg = base.replace(method=base.method.__class__(name="egd", egd_solver="eigh", targets=("W1",)))
    cells = {("x+y", "egd"): [fake(cfg, 30, 0.95), fake(cfg.replace(seed=1), None, 0.5)]}
    rows = egd_mlp.cost_rows(base, 3, cells, "x+y", "eigh")
    assert [r["variant"] for r in rows] == [n for n, _, _ in egd_mlp.COST_VARIANTS]
    assert rows[0]["x_sgd"] == 1.0 and all(r["ms_per_step"] > 0 for r in rows)
    eigh = rows[2]
    assert (eigh["runs"], eigh["reached_95"], eigh["epochs_to_95"]) == (2, 1, 30.0)
    assert rows[1]["runs"] == 0 and rows[1]["epochs_to_95"] is None  # svd: not the plan's solver


def test_other_moduli_get_their_own_label():
    cfgs = egd_mlp.plan_configs({"x+y": ["egd"], "x+y mod 29": ["egd"]}, p=23, seeds=1, num_steps=5,
                                parity_epochs=1)
    assert [c.task.p for c in cfgs] == [23, 29]
    cells = egd_mlp.by_cell([fake(c, None, 0.5) for c in cfgs], p=23)
    assert set(cells) == {("x+y", "egd"), ("x+y mod 29", "egd")}
    assert egd_mlp.epoch_lengths(cfgs, p=23) == {"x+y": 1, "x+y mod 29": 1}
    paper = egd_mlp.plan_configs(egd_mlp.SCALES["paper"]["plan"], p=97, seeds=1, num_steps=1,
                                 parity_epochs=None)
    labels = {egd_mlp.task_label(to_dict(c), 97) for c in paper}
    assert labels == set(egd_mlp.SCALES["paper"]["plan"])
