import pytest

from grokcore import egd_mlp
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
