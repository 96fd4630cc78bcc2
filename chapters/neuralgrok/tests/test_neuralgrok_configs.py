import pytest

from chapters.neuralgrok import configs, scales
from grokcore.neuralgrok import NeuralGrokConfig
from grokcore.config import ConfigError
from grokcore.decoder import DecoderConfig
from grokcore.presets import preset


def test_base_run_is_the_code_setup_and_methods_map_to_configs():
    run = configs.base_run("x-y", p=97, d_model=128, num_steps=100, eval_every=10)
    assert (
        run.task.min_y == 1 and run.task.token_format == "neuralgrok" and run.task.frac_train == 0.5
    )
    assert (
        run.optim.name == "adam" and run.optim.weight_decay == 1e-3 and run.optim.warmup_steps == 10
    )
    # the code's decoder and batching (grokcore.presets.neuralgrok), at the given task
    assert run.model == preset("neuralgrok").model == DecoderConfig()
    assert run.optim == preset("neuralgrok").optim
    assert run.optim.last_batch == "keep" and run.optim.clip_norm == 1.0
    assert configs.method_config("standard", run) == run
    assert configs.method_config("grokfast_ma", run).method.lamb == 5.0
    assert configs.method_config("grokfast_ema", run).method.alpha == 0.98
    assert configs.method_config("rescale", run, rescale_c=0.5).method.c == 0.5
    ng = configs.method_config("neuralgrok", run)
    assert isinstance(ng, NeuralGrokConfig)
    # the code clips the amplified gradient: the run's clip moves into the amplifier's step
    assert ng.run.optim.clip_norm is None and ng.amp.clip_norm == 1.0
    assert ng.run.replace(optim=run.optim) == run
    with pytest.raises(ConfigError, match="clip_norm"):
        NeuralGrokConfig(run=run)
    with pytest.raises(ValueError, match="method"):
        configs.method_config("sam", run)
    with pytest.raises(ConfigError):
        configs.base_run("x+y", p=97, d_model=128, num_steps=100, eval_every=10, optimizer="lion")
    assert configs.seeds_of(run, 3)[2].seed == 2


def test_plan_cells_and_seeds_follow_the_scale():
    v = dict(
        n_layers=2,
        n_heads=4,
        lr=1e-3,
        weight_decay=1e-3,
        betas=[0.9, 0.98],
        warmup_steps=10,
        batch_size=512,
        window_size=100,
        lamb_ma=5.0,
        alpha=0.98,
        lamb_ema=2.0,
        c=0.2,
        inner_steps=4,
        meta_lr=1e-4,
        frac_outer=0.02,
        clip_norm=1.0,
        large_weight_decay=1e-2,
        composite_c=1.0,
    )
    P = dict(scales.SCALES["cpu"])
    cells = configs.plan(P, v)
    assert len(cells["rescale/0.5"]) == P["ablation_seeds"] == 3
    # an ablation cell at seeds of its own (ablation_cell_seeds: a second look), the others not
    assert P["ablation_cell_seeds"] == {"neuralgrok_c/2": 8}
    assert [c.seed for c in cells["neuralgrok_c/2"]] == list(range(8))
    assert len(cells["neuralgrok_c/1"]) == len(cells["adamw/0.01"]) == 3
    assert cells["neuralgrok_c/2"][0] == cells["neuralgrok_c/2"][7].replace(seed=0)
    mine = configs.plan(dict(P, ablation_cell_seeds={"rescale/1": 4, "adam_wd_large": 2}), v)
    assert [len(mine[n]) for n in ("rescale/1", "adam_wd_large", "neuralgrok_c/2")] == [4, 2, 3]
    # Table 1 on the first task at first_seeds (8: room for a bound from censored runs), the
    # other tasks at seeds; every cell holds seeds 0, 1, ... in order
    assert P["first_seeds"] == 8 and P["seeds"] == 5
    # and a-b, a*b and a^2-b at op_seeds (10: second looks, after 5 seeds left rows on an edge)
    assert P["op_seeds"] == {"x-y": 10, "x*y": 10, "x^2-y": 10}
    for m in configs.METHODS:
        assert [c.seed for c in cells[f"x+y/{m}"]] == list(range(8))
        for op in ("x-y", "x*y", "x^2-y"):
            assert [c.seed for c in cells[f"{op}/{m}"]] == list(range(10))
    assert len(configs.plan(dict(P, first_seeds=2), v)["x+y/grokfast_ema"]) == 2
    # oscillation-standard's cell (row_seeds): a+b's standard runs, and more seeds
    assert P["row_seeds"] == {
        "oscillation-standard": 40,
        "table1-vs-ma-add": 31,
        "table1-vs-standard-sqsub": 46,
    }
    assert [len(cells[f"table1-vs-ma-add:x+y/{m}"]) for m in ("neuralgrok", "grokfast_ma")] == [
        31,
        31,
    ]
    for m in ("neuralgrok", "standard"):  # the first 10 are Table 1's, at its standard budget
        sq = cells[f"table1-vs-standard-sqsub:x^2-y/{m}"]
        assert [c.seed for c in sq] == list(range(46)) and sq[:10] == cells[f"x^2-y/{m}"]
    assert cells["table1-vs-standard-sqsub:x^2-y/standard"][0].num_steps == 20000
    grown = cells["oscillation-standard:x+y/standard"]
    assert [c.seed for c in grown] == list(range(40)) and grown[:8] == cells["x+y/standard"]
    name = configs.row_cell(cells, "oscillation-standard", "x+y/standard")
    assert name == "oscillation-standard:x+y/standard"
    assert configs.row_cell(cells, "stable-ma", "x+y/grokfast_ma") == "x+y/grokfast_ma"
    assert not any(":" in n for n in configs.plan(dict(P, row_seeds={}), v))
    mine = configs.plan(dict(P, row_seeds={"table1-vs-ema-sub": 12}), v)
    for m in ("neuralgrok", "grokfast_ema"):
        assert len(mine[f"table1-vs-ema-sub:x-y/{m}"]) == 12

    # the other tasks stop at 95%, within their own budget; the first keeps its own
    def run_of(cell: str):
        cfg = cells[cell][0]
        return getattr(cfg, "run", cfg)  # NeuralGrok: its model's run

    # cpu: a-b and a^2-b have a budget of their own (op_steps), a*b the others' (task_steps),
    # and standard a^2-b one of its own (the cell named in op_steps), above its task's
    own = {"x-y": 8000, "x^2-y": 8000, "x^2-y/standard": 20000, "x+y/grokfast_ema": 6000}
    assert P["op_steps"] == own and "x*y" in P["operations"][1:]
    assert len({P["num_steps"], P["task_steps"], P["op_steps"]["x-y"]}) == 3
    for m in configs.METHODS:  # a+b's Grokfast-EMA cell has a budget of its own (op_steps)
        assert run_of(f"x+y/{m}").num_steps == P["op_steps"].get(f"x+y/{m}", P["num_steps"])
        for op in P["operations"][1:]:
            task = P["op_steps"].get(op, P["task_steps"])
            assert run_of(f"{op}/{m}").num_steps == P["op_steps"].get(f"{op}/{m}", task)
            assert run_of(f"{op}/{m}").stop_at_test_acc == 0.95
    assert run_of("x^2-y/standard").num_steps == 20000 != run_of("x^2-y/neuralgrok").num_steps
    ema = run_of("x+y/grokfast_ema")
    assert ema.num_steps == 6000 != run_of("x+y/standard").num_steps
    assert ema.stop_at_test_acc is None and ema.log_entropy  # still run on past 95%
    # a cell's budget is its own: the same cell of another task keeps its task's
    x_y = configs.plan(dict(P, op_steps={"x-y": 8000, "x*y/standard": 300}), v)
    assert x_y["x*y/standard"][0].num_steps == 300 and x_y["x-y/standard"][0].num_steps == 8000
    assert x_y["x*y/grokfast_ma"][0].num_steps == P["task_steps"]
    # without op_steps every other task takes task_steps
    flat = configs.plan(dict(P, op_steps={}), v)
    assert {flat[f"{op}/standard"][0].num_steps for op in P["operations"][1:]} == {P["task_steps"]}
    paper = configs.plan(dict(scales.SCALES["paper"]), v)
    assert paper["transfer"][0].source == paper["x+y/neuralgrok"][0]
    assert paper["transfer_hardest"][0].source == paper["a*c+b*d-e/neuralgrok"][0]
    assert paper["transfer_hardest"][0].run.task.p == 97  # the amplifier scores any entry
    # without a-b among the tasks: standard a-b of its own at the ablation budget beside it
    alone = configs.plan(dict(P, operations=["x+y", "x*y"], row_seeds={}), v)  # rows: not a^2-b
    assert alone["transfer"][0].run == alone["transfer_standard"][0].replace(
        optim=alone["transfer"][0].run.optim
    )
    assert alone["transfer_standard"][0].num_steps == P["ablation_steps"]
    assert "transfer_hardest" not in alone and configs.transfer_sources(["x-y", "x+y"]) == {}
    # a transfer cell runs at its source's seeds, unless ablation_cell_seeds names it
    assert len(alone["transfer"]) == P["first_seeds"] and len(alone["transfer_standard"]) == 3
    named = configs.plan(dict(P, ablation_cell_seeds={"transfer": 2}), v)
    assert len(named["transfer"]) == 2 and len(named["transfer_hardest"]) == 10
    assert paper["a*c+b*d-e/neuralgrok"][0].amp.inner_steps == 1
    assert paper["a*c+b*d-e/standard"][0].model.n_layers == 4
    assert configs.plan(P, dict(v, clip_norm=0))["x+y/standard"][0].optim.clip_norm is None


def test_row_cells_name_the_table1_cells_each_row_reads():
    assert configs.row_cells("table1-vs-ma-add", "x+y") == ("x+y/neuralgrok", "x+y/grokfast_ma")
    sqsub = configs.row_cells("table1-vs-standard-sqsub", "x+y")
    assert sqsub == ("x^2-y/neuralgrok", "x^2-y/standard")
    assert configs.row_cells("oscillation-ema", "x-y") == ("x-y/grokfast_ema",)
    assert len(configs.GROWABLE_ROWS) == 4 + 5 * 3
    with pytest.raises(ValueError, match="row 'subtraction-slower' has no seeds of its own"):
        configs.row_cells("subtraction-slower", "x+y")
