import subprocess
import sys

import pytest

from grokcore.config import (
    ConfigError,
    MethodConfig,
    MLPConfig,
    ModularTask,
    OptimConfig,
    ParityTask,
    RunConfig,
    TransformerConfig,
    from_dict,
    resolve_scale,
    to_dict,
)


@pytest.mark.parametrize(
    "make, field, allowed",
    [
        (lambda: ModularTask(p=12, operation="x/y"), "p", "prime"),
        (lambda: ModularTask(frac_train=1.0), "frac_train", "(0, 1)"),
        (lambda: ModularTask(frac_train=0.0), "frac_train", "(0, 1)"),
        (lambda: ModularTask(operation="x**y"), "operation", "'x+y'"),
        (lambda: ModularTask(p=0), "p", "positive integer"),
        (lambda: ModularTask(operation="x/y", min_y=0), "min_y", "[1, p)"),
        (lambda: ParityTask(n=3, k=4), "k", "[1, n=3]"),
        (lambda: MLPConfig(width=0), "width", "positive integer"),
        (lambda: MLPConfig(b1_init="xavier"), "b1_init", "'zeros'"),
        (lambda: TransformerConfig(d_model=130, n_heads=4), "n_heads", "divisor"),
        (lambda: TransformerConfig(act="tanh"), "act", "'relu'"),
        (lambda: TransformerConfig(per_token_first=1), "per_token_first", "True or False"),
        (lambda: OptimConfig(name="lion"), "name", "'sgd'"),
        (lambda: OptimConfig(lr=0), "lr", "positive"),
        (lambda: OptimConfig(betas=(0.9, 1.0)), "betas", "[0, 1)"),
        (lambda: OptimConfig(batch_size=0), "batch_size", "positive"),
        (lambda: MethodConfig(name="muon"), "name", "'egd'"),
        (lambda: MethodConfig(egd_solver="qr"), "egd_solver", "'svd'"),
        (lambda: MethodConfig(switch_off_at=1.5), "switch_off_at", "(0, 1]"),
        (lambda: RunConfig(loss="hinge"), "loss", "'cross_entropy'"),
        (lambda: RunConfig(task=ParityTask()), "loss", "'hinge' or 'mse'"),
        (lambda: RunConfig(num_steps=0), "num_steps", "positive"),
        (lambda: RunConfig(dtype="float16"), "dtype", "'float32'"),
    ],
)
def test_invalid_values_name_field_and_allowed(make, field, allowed):
    with pytest.raises(ConfigError) as e:
        make()
    assert f".{field}=" in str(e.value) and allowed in str(e.value)


def test_prime_only_needed_for_division():
    ModularTask(p=12, operation="x+y")  # fine: addition needs no inverses


def test_key_is_stable_and_sensitive():
    a, b = RunConfig(), RunConfig(seed=1)
    assert a.key() == RunConfig().key() and len(a.key()) == 20
    assert a.key() != b.key()
    assert a.stack_key == b.stack_key  # seeds stack together
    assert a.stack_key != RunConfig(optim=OptimConfig(lr=0.1)).stack_key


def test_key_is_stable_across_processes():
    code = "from grokcore.config import RunConfig; print(RunConfig().key())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == RunConfig().key()


def test_round_trip_through_dict():
    cfg = RunConfig(
        task=ParityTask(n=10, k=2),
        model=MLPConfig(width=8),
        loss="mse",
        optim=OptimConfig(betas=(0.8, 0.9)),
    )
    assert from_dict(to_dict(cfg)) == cfg


def test_derived_properties():
    assert TransformerConfig(d_model=128, n_heads=4).d_head == 32
    assert ModularTask(operation="a*c+b*d-e", p=7).n_inputs == 5


def test_resolve_scale():
    presets = {"smoke": {"n": 1, "seeds": 2}, "cpu": {"n": 10, "seeds": 5}}
    assert resolve_scale(presets, "cpu", n=None, seeds=3) == {"n": 10, "seeds": 3}
    with pytest.raises(ConfigError, match="scale='gpu'.*'smoke', 'cpu'"):
        resolve_scale(presets, "gpu")
