import pytest

from chapters.egd_toy import configs
from grokcore.config import ConfigError


def test_constants_of_eq5():
    cfg = configs.ToyConfig(s=0.5)
    assert cfg.m1 == pytest.approx(0.3520653 / 0.3085375, rel=1e-6)
    assert cfg.m2 == pytest.approx(1 + 0.5 * cfg.m1)


def test_invalid_toy_config():
    with pytest.raises(ConfigError, match="lr=.*stable"):
        configs.ToyConfig(lr=1.5)
    with pytest.raises(ConfigError, match="theta_deg"):
        configs.ToyConfig(theta_deg=90)
    with pytest.raises(ConfigError, match="method"):
        configs.ToyConfig(method="adam")


def test_sweep_covers_every_combination():
    base = configs.ToyConfig(n=1000, n_test=100, n_train_eval=100, num_steps=10)
    cfgs = configs.sweep(base, [0.1, 0.01], [0.01, 10.0], seeds=range(3))
    assert len(cfgs) == 2 * 2 * 2 * 3 and len({c.key() for c in cfgs}) == len(cfgs)
    assert {c.method for c in cfgs} == {"gd", "egd"} and {c.n for c in cfgs} == {1000}
