import pytest

from chapters.neuralgrok import configs
from chapters.neuralgrok.neuralgrok import NeuralGrokConfig
from grokcore.config import ConfigError


def test_base_run_is_the_code_setup_and_methods_map_to_configs():
    run = configs.base_run("x-y", p=97, d_model=128, num_steps=100, eval_every=10)
    assert (
        run.task.min_y == 1 and run.task.token_format == "neuralgrok" and run.task.frac_train == 0.5
    )
    assert (
        run.optim.name == "adam" and run.optim.weight_decay == 1e-3 and run.optim.warmup_steps == 10
    )
    assert run.model.layer_norm and run.model.act == "gelu" and run.model.d_mlp == 512
    assert configs.method_config("standard", run) == run
    assert configs.method_config("grokfast_ma", run).method.lamb == 5.0
    assert configs.method_config("grokfast_ema", run).method.alpha == 0.98
    assert configs.method_config("rescale", run, rescale_c=0.5).method.c == 0.5
    assert isinstance(configs.method_config("neuralgrok", run), NeuralGrokConfig)
    with pytest.raises(ValueError, match="method"):
        configs.method_config("sam", run)
    with pytest.raises(ConfigError):
        configs.base_run("x+y", p=97, d_model=128, num_steps=100, eval_every=10, optimizer="lion")
    assert configs.seeds_of(run, 3)[2].seed == 2
