import pytest

from chapters.egd_modular import configs, measures, scales
from grokcore.config import ConfigError, to_dict


def test_configs_follow_the_egd_code():
    cfgs = configs.modular_configs(97, ["x+y", "x*y"], ["none", "egd"], seeds=3, num_steps=100)
    assert len(cfgs) == 12 and {c.seed for c in cfgs} == {0, 1, 2}
    c = cfgs[-1]
    assert (c.task.p, c.task.frac_train, c.model.width, c.model.output_bias) == (
        97,
        0.5,
        512,
        False,
    )
    assert (c.optim.name, c.optim.lr, c.optim.batch_size, c.optim.loss_l2) == (
        "sgd",
        0.7,
        512,
        1e-4,
    )
    assert c.method.targets == ("W1",) and c.method.switch_off_at == 0.95
    assert c.eval_every == 3 * (4704 // 512)  # every 3 epochs


def test_parity_configs_follow_table_1_and_the_code():
    c = configs.parity_config(100, 3, "hinge", epochs=10)
    assert (c.task.n, c.task.k, c.task.n_train, c.task.n_test) == (100, 3, 2000, 10000)
    assert (c.model.width, c.model.b1_init, c.model.output_bias) == (100, "he", False)
    assert (c.optim.name, c.optim.lr, c.optim.loss_l2, c.optim.batch_size) == (
        "sgd",
        0.0416239,
        1e-2,
        32,
    )
    assert c.num_steps == 10 * 62 and c.eval_every == 2 * 62 and c.loss == "hinge"
    assert configs.parity_config(400, 2, "mse", epochs=1).model.width == 50


def test_plan_labels_round_trip(fake):
    plan = {
        "x*y": ["none", "grokfast_ema", "egd_rsvd128", "egd_newton_schulz"],
        "parity(50,4)/mse": ["egd", "egd_noswitch", "column_norm"],
    }
    cfgs = configs.plan_configs(plan, p=23, seeds=2, num_steps=30, parity_epochs=1)
    assert len(cfgs) == 14
    cells = measures.by_cell([fake(c, None, 0.5) for c in cfgs])
    assert set(cells) == {(t, m) for t, ms in plan.items() for m in ms}
    assert all(len(v) == 2 for v in cells.values())
    by = {
        (configs.task_label(r.config), configs.method_label(r.config["method"])): r.cfg
        for rs in cells.values()
        for r in rs
    }
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
    cfgs = configs.plan_configs(
        {"parity(400,2)": ["egd"]}, p=97, seeds=1, num_steps=1, parity_epochs=None
    )
    assert cfgs[0].num_steps == 10100 * 62
    assert set(scales.SCALES["paper"]["plan"]) >= {
        "x+y",
        "x*y",
        "parity(50,4)",
        "parity(100,3)/mse",
    }


@pytest.mark.parametrize(
    "plan, match",
    [
        ({"x+z": ["egd"]}, "plan task 'x\\+z' is invalid: allowed x\\+y"),
        ({"parity(10,2)": ["egd"]}, "parity\\(400,2\\)\\[/mse\\]"),
        ({"x+y": ["egd", "adam"]}, "plan\\['x\\+y'\\] method 'adam' is invalid: allowed none, egd"),
        ({"x+y": ["egd@lr=-1"]}, "method 'egd@lr=-1' is invalid: .* a positive learning rate"),
        ({"x+y": ["egd@lr=x"]}, "method 'egd@lr=x' is invalid"),
    ],
)
def test_bad_plans_name_the_allowed_values(plan, match):
    with pytest.raises(ConfigError, match=match):
        configs.plan_configs(plan, p=23, seeds=1, num_steps=1, parity_epochs=1)


def test_bad_long_methods_name_the_parameter():
    with pytest.raises(ConfigError, match="long_methods method 'sgd' is invalid"):
        configs.plan_configs(
            {"x+y": ["egd"]}, p=23, seeds=1, num_steps=1, parity_epochs=1, long_methods=["sgd"]
        )


def test_learning_rate_labels_set_the_rate_and_read_back(fake):
    plan = {"x+y": ["egd", "egd@lr=0.35", "none@lr=1.4"], "parity(400,2)": ["egd@lr=0.02"]}
    cfgs = configs.plan_configs(plan, p=23, seeds=1, num_steps=30, parity_epochs=1)
    assert [c.optim.lr for c in cfgs] == [0.7, 0.35, 1.4, 0.02]
    assert [c.method.name for c in cfgs] == ["egd", "egd", "none", "egd"]
    cells = measures.by_cell([fake(c, None, 0.5) for c in cfgs], p=23)
    assert set(cells) == {(t, m) for t, ms in plan.items() for m in ms}
    # the notebook's own lr is every plain label's rate: a run at 0.7 then reads "@lr=0.7"
    cfgs = configs.plan_configs({"x+y": ["egd", "egd@lr=0.7"]}, p=23, seeds=1, num_steps=30,
                                parity_epochs=1, lr=0.5)  # fmt: skip
    cells = measures.by_cell([fake(c, None, 0.5) for c in cfgs], p=23, lr=0.5)
    assert set(cells) == {("x+y", "egd"), ("x+y", "egd@lr=0.7")}
    assert configs.method_label({"name": "egd", "egd_solver": "eigh", "switch_off_at": 0.95}) == (
        "egd"
    )


def test_budgets_count_epochs_across_moduli_and_long_methods_run_the_authors():
    plan = {"x+y": ["none", "egd"], "x+y mod 127": ["none", "egd"], "parity(400,2)": ["none"]}
    cfgs = configs.plan_configs(plan, p=97, seeds=1, num_steps=2000, parity_epochs=100,
                                long_methods=["none"])  # fmt: skip
    by = {(configs.task_label(to_dict(c), 97), c.method.name): c for c in cfgs}
    assert by[("x+y", "egd")].num_steps == 2000  # 222 epochs of 9 steps
    assert by[("x+y mod 127", "egd")].num_steps == round(2000 * 15 / 9)  # the same epochs
    assert by[("x+y", "none")].num_steps == 15_000 * 9  # the EGD code's 15,000 epochs
    assert by[("x+y mod 127", "none")].num_steps == 15_000 * 15
    assert by[("x+y", "none")].eval_every == 15 * 9  # every 15th epoch: ~1000 evaluations
    assert by[("x+y", "egd")].eval_every == 3 * 9
    assert by[("parity(400,2)", "none")].num_steps == 100 * 62  # parity keeps parity_epochs
    short = configs.plan_configs(
        {"x+y": ["none"]}, p=97, seeds=1, num_steps=2000, parity_epochs=1,
        long_methods=["none"], long_epochs=600,
    )  # fmt: skip
    assert (short[0].num_steps, short[0].eval_every) == (600 * 9, 3 * 9)


def test_the_ablation_arms_can_run_their_whole_budget():
    plan = {"x+y": ["none", "egd", "egd_noswitch"]}
    cfgs = configs.plan_configs(plan, p=23, seeds=1, num_steps=30, parity_epochs=1,
                                ablation_stop_at=None)  # fmt: skip
    assert [c.stop_at_test_acc for c in cfgs] == [0.95, None, None]


def test_switch_off_none_points_to_the_ablation_method():
    with pytest.raises(ConfigError, match="switch_off_at=None is invalid.*egd_noswitch"):
        configs.plan_configs(
            {"x+y": ["egd"]}, p=23, seeds=1, num_steps=1, parity_epochs=1, switch_off_at=None
        )


def test_other_moduli_get_their_own_label(fake):
    cfgs = configs.plan_configs(
        {"x+y": ["egd"], "x+y mod 29": ["egd"]}, p=23, seeds=1, num_steps=5, parity_epochs=1
    )
    assert [c.task.p for c in cfgs] == [23, 29]
    cells = measures.by_cell([fake(c, None, 0.5) for c in cfgs], p=23)
    assert set(cells) == {("x+y", "egd"), ("x+y mod 29", "egd")}
    assert configs.epoch_lengths(cfgs, p=23) == {"x+y": 1, "x+y mod 29": 1}
    paper = configs.plan_configs(
        scales.SCALES["paper"]["plan"], p=97, seeds=1, num_steps=1, parity_epochs=None
    )
    labels = {configs.task_label(to_dict(c), 97) for c in paper}
    assert labels == set(scales.SCALES["paper"]["plan"])
