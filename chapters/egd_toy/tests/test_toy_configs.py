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


def test_bad_method_or_batch_size_names_the_field_and_what_is_allowed():
    with pytest.raises(ConfigError, match=r"ToyConfig\.method='adam' is invalid: allowed one of "
                       r"'gd', 'egd', 'egd11', 'sgd'"):  # fmt: skip
        configs.ToyConfig(method="adam")
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ConfigError, match=r"ToyConfig\.batch_size=.* allowed a positive"):
            configs.ToyConfig(method="sgd", batch_size=bad)
    with pytest.raises(ConfigError, match=r"batch_size=50 .* from 1 to n = 40"):
        configs.ToyConfig(method="sgd", n=40, batch_size=50)
    with pytest.raises(ConfigError, match=r"batch_size=16 .* unless method is 'sgd'"):
        configs.ToyConfig(method="gd", batch_size=16)
    assert configs.ToyConfig(method="sgd", batch_size=1).batch_size == 1


def test_sweep_runs_sgd_at_the_large_init_only():
    base = configs.ToyConfig(n=1000, n_test=100, n_train_eval=100, num_steps=10)
    methods = ("gd", "egd", "egd11", "sgd")
    cfgs = configs.sweep(
        base, [0.1, 0.01], [0.01, 10.0], methods, range(2), large=10.0, batch_size=8
    )
    by = {m: [c for c in cfgs if c.method == m] for m in methods}
    assert [len(by[m]) for m in methods] == [8, 8, 8, 4]
    assert {c.init_scale for c in by["sgd"]} == {10.0} and {c.batch_size for c in by["sgd"]} == {8}
    assert {c.batch_size for c in by["gd"] + by["egd11"]} == {32}
    with pytest.raises(ValueError, match="needs large="):
        configs.sweep(base, [0.1], [10.0], ("gd", "sgd"))
