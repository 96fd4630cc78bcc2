import math

import pytest

from chapters.neuralgrok import claims as ngc
from chapters.neuralgrok import study as ng
from grokcore.config import ConfigError
from chapters.neuralgrok.neuralgrok import NeuralGrokConfig
from grokcore.records import new_record
from grokcore.train import summarize


def rec(test, train=None, step=10, **extra):
    steps = [i * step for i in range(len(test))]
    h = {"step": steps, "test_acc": test, "train_acc": train or [1.0] * len(test), **extra}
    cfg = ng.base_run("x+y", p=5, d_model=8, num_steps=steps[-1] or 1, eval_every=step)
    return new_record(cfg, h, summarize(h), {})


def test_base_run_is_the_code_setup_and_methods_map_to_configs():
    run = ng.base_run("x-y", p=97, d_model=128, num_steps=100, eval_every=10)
    assert run.task.min_y == 1 and run.task.token_format == "neuralgrok" and run.task.frac_train == 0.5
    assert run.optim.name == "adam" and run.optim.weight_decay == 1e-3 and run.optim.warmup_steps == 10
    assert run.model.layer_norm and run.model.act == "gelu" and run.model.d_mlp == 512
    assert ng.method_config("standard", run) == run
    assert ng.method_config("grokfast_ma", run).method.lamb == 5.0
    assert ng.method_config("grokfast_ema", run).method.alpha == 0.98
    assert ng.method_config("rescale", run, rescale_c=0.5).method.c == 0.5
    assert isinstance(ng.method_config("neuralgrok", run), NeuralGrokConfig)
    with pytest.raises(ValueError, match="method"):
        ng.method_config("sam", run)
    with pytest.raises(ConfigError):
        ng.base_run("x+y", p=97, d_model=128, num_steps=100, eval_every=10, optimizer="lion")
    assert ng.seeds_of(run, 3)[2].seed == 2


def test_speedup_with_censoring_and_mean_steps():
    fast, slow, never = rec([0, 0.96, 1]), rec([0, 0.5, 0.97]), rec([0, 0.1, 0.2])
    assert ng.speedup([fast], [slow]) == [2.0]
    assert ng.speedup([fast], [never]) == [2.0]  # censored slow: its budget, a lower bound
    assert ng.speedup([never], [fast]) == [0.5]  # censored fast: its budget, an upper bound
    assert ng.speedup([never], [never]) == [None]
    assert ng.acc_at(slow, 15) == 0.5 and ng.acc_at(slow, 100) == 0.97
    assert ng.mean_steps([fast, slow]) == "15 ± 7"
    assert "censored" in ng.mean_steps([fast, never]) and "all censored" in ng.mean_steps([never])


def test_oscillation_counts_drops_after_the_first_grok():
    assert ng.oscillation(rec([0, 0.96, 0.5, 1.0, 0.04])) == pytest.approx(2 / 3)
    assert ng.min_after_grok(rec([0, 0.96, 0.5, 1.0, 0.04])) == 0.04
    assert ng.oscillation(rec([0, 0.96, 0.99])) == 0.0
    assert ng.oscillation(rec([0, 0.5])) is None and ng.oscillation(rec([0, 0.96])) is None


def test_entropy_phases_ratio_and_roughness():
    r = rec([0, 0.1, 0.5, 0.96], train=[0.05, 0.995, 1, 1], entropy_step=[0, 10, 20],
            age_raw=[1.0, 2.0, 1.5], awe=[3.0, 3.0, 3.0], age_update=[1.0, 1.0, 1.0])
    assert ng.age_phases(r) == (2.0, 0.75)
    assert ng.entropy_at(r, "age_raw", 25) == 1.5
    assert ng.entropy_ratio([r], [r], "awe") == [1.0]
    assert ng.roughness([1.0, 1.0, 1.0]) == 0.0
    assert ng.roughness([1.0, math.e, 1.0]) == pytest.approx(1.0)
    assert ng.age_phases(rec([0, 0.2])) is None
    assert ng.rotation(rec([0, 0.1], update_cos=[1.0, 0.75])) == 0.25


def test_rescale_claims_read_accuracy_at_the_budget():
    from grokcore.claims import Claim
    claims = {k: Claim(k, "s", "t", "p", expect=(0, 1)) for k in ("rescale-05-fastest", "rescale-vs-standard", "rescale-001-collapses")}
    cells = {"rescale/0.5": [rec([0, 0.5, 0.8])], "rescale/0.01": [rec([0, 0.01, 0.02])], "x+y/standard": [rec([0, 0.1, 0.6, 1.0])]}
    out = ngc.rescale_claims(claims, cells, "x+y", [0.01, 0.5], "cpu")
    assert [r.value for r in out] == [pytest.approx(0.78), pytest.approx(0.2), pytest.approx(0.02)]
    none = ngc.rescale_claims(claims, cells, "x+y", [2.0], "cpu")
    assert all(r.verdict == "not run at this scale" and r.note == ng.NOT_RUN for r in none)


def test_table_markdown_lists_ours_and_paper():
    cells = {f"x+y/{m}": [rec([0, 0.96])] for m in ng.METHODS}
    table = ng.table1_markdown(cells, ["x+y"])
    assert "1650" in table and "900" in table and table.count("\n") == 2
