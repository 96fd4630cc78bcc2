"""Unit tests of chapter 7: its configs (one setup per family, the same seeds and budgets), the
timing of a step, the measures (censoring kept, the tuning's pick, the ranking) and each claim's
rule on records whose answer is known."""

import math
from types import SimpleNamespace

import numpy as np
import pytest

from chapters.accelerators import claims, configs, measures, parameters, scales, timing
from grokcore.config import ConfigError, RunConfig, from_dict, to_dict
from grokcore import estimates
from grokcore.estimates import Between, Obs
from grokcore.params import ParameterError, at_scale
from grokcore.neuralgrok import NeuralGrokConfig
from grokcore.presets import preset
from grokcore.testing import tmp_cache  # noqa: F401  (autouse: a temporary run cache per test)
from grokcore.train import steps_per_epoch

SMOKE = scales.SCALES["smoke"]


def rec(t95, last=100, stop=0.95, test=None, steps=None, diverged=None, budget=None, seed=0):
    """A stand-in record: the summary, history and config (budget: num_steps, default `last`)
    the measures read."""
    steps = steps or [0, last]
    test = test or [0.0] * len(steps)
    summary = {"step_to_test_acc_95": t95, "last_step": last, "diverged_at": diverged}
    cfg = SimpleNamespace(stop_at_test_acc=stop, num_steps=budget or last, seed=seed)
    history = {"step": steps, "test_acc": test, "train_acc": [1.0] * len(steps)}
    return SimpleNamespace(summary=summary, cfg=cfg, history=history)


def test_every_scale_has_the_same_parameters_and_every_task_family():
    assert len({frozenset(v) for v in scales.SCALES.values()}) == 1
    for P in scales.SCALES.values():
        for t in P["tasks"]:
            assert t in configs.TASKS and configs.family_of(t) in configs.METHODS


def test_a_family_runs_one_setup_and_the_same_seeds_in_every_cell():
    cells = configs.plan(dict(scales.SCALES["cpu"], seeds=2, decoder_seeds=3), {})
    mlp = [c for n, cfgs in cells.items() if n.startswith("mlp x+y/") for c in cfgs]
    assert {c.model for c in mlp} == {preset("egd_mlp").model}
    assert {c.seed for c in mlp} == {0, 1} and {c.stop_at_test_acc for c in mlp} == {0.95}
    # the decoder's cells run decoder_seeds (cpu: 8, room for a bound from censored runs)
    for n, cfgs in cells.items():
        want = [0, 1, 2] if n.startswith("decoder") else [0, 1]
        assert [c.seed for c in cfgs] == want, n
    assert scales.SCALES["cpu"]["decoder_seeds"] == 8
    epochs = {c.num_steps // steps_per_epoch(c) for c in mlp}
    assert epochs == {configs.AUTHORS_EPOCHS}  # batch 128 too: the same epochs
    dec = {n: cfgs[0] for n, cfgs in cells.items() if n.startswith("decoder")}
    runs = {n: getattr(c, "run", c) for n, c in dec.items()}
    assert {r.model for r in runs.values()} == {preset("neuralgrok").model}
    assert {r.stop_at_test_acc for r in runs.values()} == {None}  # post-grok stability read
    ep = {n: r.num_steps // steps_per_epoch(r) for n, r in runs.items()}
    assert len(set(ep.values())) == 1, ep  # batch 128: the same epochs as batch 512
    assert runs["decoder x+y/adam_b128"].optim.batch_size == 128
    assert runs["decoder x+y/adamw"].optim.name == "adamw"
    assert runs["decoder x+y/adamw"].optim.weight_decay == 1.0
    assert runs["decoder x+y/adam_b05"].optim.betas == (0.5, 0.98)
    ng = dec["decoder x+y/neuralgrok"]
    assert isinstance(ng, NeuralGrokConfig)
    assert ng.run.optim.clip_norm is None and ng.amp.clip_norm == 1.0  # the code clips there
    assert ng.amp.hidden == (8, 8)
    # every method differs from the plain one only where its source's setting says
    assert (
        runs["decoder x+y/grokfast_ma"].replace(method=runs["decoder x+y/adam"].method)
        == (runs["decoder x+y/adam"])
    )


def test_methods_keep_the_plain_optimizer_and_bad_labels_name_what_is_allowed():
    cells = configs.plan(SMOKE, {}, methods=["egd", "neuralgrok"])
    assert sorted(cells) == ["decoder x+y/adam", "decoder x+y/neuralgrok", "mlp x+y/egd",
                             "mlp x+y/sgd"]  # fmt: skip
    with pytest.raises(ConfigError, match="allowed sgd, egd"):
        configs.run_of("mlp x+y", "neuralgrok", SMOKE)
    with pytest.raises(ConfigError, match="allowed mlp x\\+y"):
        configs.run_of("cnn x+y", "sgd", SMOKE)


def test_tuning_runs_other_seeds_and_the_lr_factors():
    grid = configs.tune_plan(SMOKE, ["egd"])
    assert set(grid) == {"mlp x+y/sgd", "mlp x+y/egd", "decoder x+y/adam"}
    for by_f in grid.values():
        assert set(by_f) == {1.0, 2.0}
        assert all(c.seed >= configs.TUNE_SEED0 for cfgs in by_f.values() for c in cfgs)
    c1, c2 = grid["mlp x+y/egd"][1.0][0], grid["mlp x+y/egd"][2.0][0]
    assert c2.optim.lr == 2 * c1.optim.lr
    assert configs.tune_plan(scales.SCALES["cpu"]) == {}  # one factor: nothing tuned
    chosen = {"mlp x+y/egd": 2.0}
    assert configs.plan(SMOKE, chosen)["mlp x+y/egd"][0].optim.lr == 2 * c1.optim.lr


def test_seconds_keep_censoring_and_post_grok_is_read_only_past_the_event():
    recs = [rec(50), rec(None, last=100), rec(None, last=30, diverged=30, budget=100)]
    assert measures.seconds(recs, 0.5) == [Obs(25.0), Obs(50.0, True), Obs(50.0, True, True)]
    on = rec(20, last=60, stop=None, steps=[0, 20, 40, 60], test=[0.0, 0.96, 0.5, 0.99])
    assert measures.post_grok_min(on) == 0.5 and measures.stable([on]) == [False]
    stopped = rec(20, last=20, steps=[0, 20], test=[0.0, 0.96])
    assert measures.post_grok_min(stopped) is None  # a run that stopped at 95%: not measured
    assert measures.stable([rec(None, stop=None)]) == [None]


def test_pick_factor_takes_the_lowest_median_and_ties_go_to_the_source_setting():
    fast, slow, never = [rec(10), rec(12)], [rec(40), rec(50)], [rec(None), rec(None)]
    assert configs.pick_factor({1.0: slow, 2.0: fast, 0.5: never}) == 2.0
    assert configs.pick_factor({0.5: fast, 1.0: list(fast), 2.0: fast}) == 1.0
    assert configs.pick_factor({0.5: never, 1.0: never}) == 1.0


def test_ranking_puts_medians_first_and_bounds_last():
    cells = {
        "mlp x+y/sgd": [rec(400), rec(500)],
        "mlp x+y/egd": [rec(40), rec(50)],
        "mlp x+y/column_norm": [rec(None, last=900), rec(None, last=900)],
        "decoder x+y/adam": [rec(1)],
    }
    costs = {"sgd": 1.0, "egd": 3.0, "column_norm": 1.0}
    names = {"sgd": "SGD", "egd": "EGD", "column_norm": "CN"}
    rows = measures.ranked(cells, "mlp x+y", {m: [c] * 3 for m, c in costs.items()}, names)
    assert [r["label"] for r in rows] == ["egd", "sgd", "column_norm"]
    assert rows[0]["cost"] == pytest.approx(3.0) and rows[0]["reached"] == "2/2"
    assert not rows[2]["seconds"].identified and rows[2]["seconds"].low == pytest.approx(900)
    assert measures.runner_up(cells, "mlp x+y", "egd", None) == "sgd"
    # a median not reached ranks after every one that was, however slow
    assert measures.runner_up(cells, "mlp x+y", "egd", {**costs, "sgd": 100.0}) == "sgd"
    assert measures.runner_up(cells, "mlp x+y", "sgd", costs) == "egd"
    assert measures.interval(rows[2]["seconds"]) == "≥ 900"
    # nothing else reached: the runner-up in seconds is the one in steps, whatever the timing
    never = {k: [rec(None, last=900 + i)] for i, k in enumerate(["mlp x+y/a", "mlp x+y/b"])}
    never["mlp x+y/egd"] = [rec(10)]
    assert measures.runner_up(never, "mlp x+y", "egd", {"a": 9.0, "b": 1.0, "egd": 1.0}) == "a"


def _cells(times: dict[str, list]) -> dict:
    return {
        name: [rec(t, last=10_000, seed=s) for s, t in enumerate(ts)] for name, ts in times.items()
    }


def test_claims_follow_known_answers_and_unplanned_tasks_are_not_run():
    seeds = 6
    mlp = {m: [1000 * (1 + 0.05 * s) for s in range(seeds)] for m in configs.METHODS["mlp"]}
    mlp["egd"] = [100 * (1 + 0.06 * s) for s in range(seeds)]  # 10x ahead of SGD and the rest
    mlp["egd_rsvd64"] = [200 * (1 + 0.05 * s) for s in range(seeds)]  # 2x exact EGD's steps
    mlp["sgd_b128"] = [1500 * (1 + 0.04 * s) for s in range(seeds)]  # slower than batch 512
    cells = _cells({f"mlp x+y/{m}": t for m, t in mlp.items()})
    rounds = {"mlp x+y": {m: [1e-3] * 3 for m in mlp}}
    rounds["mlp x+y"]["egd"] = [0.02] * 3  # 20x a step: slower in seconds than the runner-up
    rows = {r.id: r for r in claims.results(cells, rounds, ["mlp x+y"], p=97, scale="cpu")}
    assert list(rows) == list(claims.CLAIMS)
    assert rows["egd-fastest-steps-add"].verdict == "reproduced"
    # EGD's variants are EGD: the runner-up is another method, 10x slower
    assert rows["egd-fastest-steps-add"].estimate == pytest.approx(10.0, rel=0.05)
    assert rows["egd-fastest-seconds-add"].verdict == "contradicted"
    assert rows["rsvd-matches-egd-add"].verdict == "contradicted"  # 2x, outside [0.8, 1.25]
    assert rows["batch-lever-MLP-add"].verdict == "contradicted"  # about 0.7x: slower
    assert rows["egd-fastest-steps-mul"].verdict == "not run"
    assert rows["neuralgrok-vs-ema-add"].verdict == "not run"


def test_a_verdict_in_seconds_carries_the_timing_rounds_spread():
    """The same seeds and the same mean cost ratio: rounds that agree decide the batch-lever row,
    rounds that scatter (the cost ratio unsure to a factor 2) leave it inconclusive, and one
    round alone cannot decide it."""
    seeds = 6
    mlp = {m: [1000 * (1 + 0.05 * s) for s in range(seeds)] for m in configs.METHODS["mlp"]}
    mlp["sgd_b128"] = [1500 * (1 + 0.05 * s) for s in range(seeds)]  # 1.5x the steps at 128
    cells = _cells({f"mlp x+y/{m}": t for m, t in mlp.items()})

    def row(b128_rounds, between=None):
        rounds = {"mlp x+y": {m: [1e-3] * len(b128_rounds) for m in mlp}}
        rounds["mlp x+y"]["sgd_b128"] = b128_rounds  # a third of SGD's cost per step
        out = {r.id: r for r in claims.results(cells, rounds, ["mlp x+y"], p=97, scale="cpu",
                                               between=between)}  # fmt: skip
        return out["batch-lever-MLP-add"]

    steady, scattered = row([1 / 3 * 1e-3] * 4), row([e / 3 * 1e-3 for e in (0.5, 2, 0.5, 2)])
    assert steady.estimate == pytest.approx(2.0, rel=0.01) and steady.verdict == "reproduced"
    assert scattered.estimate == pytest.approx(2.0, rel=0.01)
    assert scattered.ci_low < 1 < scattered.ci_high and scattered.verdict == "inconclusive"
    assert "a step of sgd costs 3.00x one of sgd_b128 (4 rounds, 0.000 sd" in steady.note
    # the same steady rounds from a machine whose timings move between sessions (sd 0.5 of the
    # log ratio): the row no longer decides
    moving = row([1 / 3 * 1e-3] * 4, {"mlp x+y": Between(0.25, 40)})
    assert moving.estimate == steady.estimate and moving.verdict == "inconclusive"
    assert "0.500 sd of its log between sessions" in moving.note
    assert row([1 / 3 * 1e-3]).verdict == "inconclusive"  # one round: no spread measured
    rounds = {"a": [1.0, 2.0], "b": [3.0, 2.0]}
    assert measures.cost_logs(rounds, "a", "b") == pytest.approx([math.log(3), 0.0])
    assert measures.cost(rounds) == pytest.approx({"a": math.sqrt(2), "b": math.sqrt(6)})


def test_median_seconds_carry_the_timing_rounds_spread():
    """timed_median: steady rounds give the median steps' own interval (at 97.5%) times the cost;
    scattered rounds widen it; one round leaves it open; a median not reached is a lower bound."""
    obs = [Obs(float(t), False) for t in range(800, 1800, 100)]  # 10 seeds: a finite interval
    steps_975 = estimates.median(obs, 0.975)
    steady = measures.timed_median(obs, [0.01] * 4)
    assert steady.estimate == pytest.approx(steps_975.estimate * 0.01)
    assert (steady.low, steady.high) == pytest.approx((steps_975.low * 0.01, steps_975.high * 0.01))
    assert steady.level == 0.95
    scattered = measures.timed_median(obs, [0.005, 0.02, 0.005, 0.02])
    assert scattered.estimate == pytest.approx(steady.estimate)  # the same geometric mean cost
    assert scattered.low < steady.low and steady.high < scattered.high < math.inf
    one = measures.timed_median(obs, [0.01])
    assert one.estimate == pytest.approx(steady.estimate) and one.low == 0 and one.high == math.inf
    never = [Obs(2000.0, True)] * 3 + [Obs(500.0, False)]
    bound = measures.timed_median(never, [0.01, 0.02])
    assert not bound.identified and bound.bound == "lower" and 0 < bound.low < 2000 * 0.01
    assert not measures.timed_median([], [0.01, 0.02]).identified


def test_median_seconds_cover_on_simulated_seeds_and_rounds():
    """Coverage of the true median seconds (median steps x mean cost) on simulated lognormal
    steps (8 seeds) and lognormal round costs (5 rounds, sd 0.2): at least the nominal 95%,
    and the seeds-only interval at the mean cost misses far more often."""
    rng = np.random.default_rng(0)
    true = 1000.0 * 0.01
    ours = seeds_only = 0
    n = 400
    for _ in range(n):
        obs = [Obs(float(t), False) for t in 1000.0 * np.exp(rng.normal(0, 0.1, 8))]
        rounds = list(0.01 * np.exp(rng.normal(0, 0.2, 5)))
        est = measures.timed_median(obs, rounds)
        ours += est.low <= true <= est.high
        c = math.exp(np.mean(np.log(rounds)))
        alone = estimates.median(obs)
        seeds_only += alone.low * c <= true <= alone.high * c
    assert ours / n >= 0.95
    assert seeds_only / n < 0.85


def test_median_seconds_carry_how_much_a_session_moves_the_cost():
    """Each simulated timing comes from a session whose seconds per step sit off by a draw of sd
    0.15 (its 5 rounds, sd 0.02, cannot see it): with the between-session component the median
    seconds' interval covers the truth at its level; with the rounds' spread alone it does not.
    No component: the rounds' interval, unchanged."""
    rng = np.random.default_rng(1)
    true, ours, rounds_only, n = 1000.0 * 0.01, 0, 0, 400
    spread = estimates.Between(0.15**2, 60)
    for _ in range(n):
        obs = [Obs(float(t), False) for t in 1000.0 * np.exp(rng.normal(0, 0.02, 30))]
        rounds = list(0.01 * np.exp(rng.normal(0, 0.15) + rng.normal(0, 0.02, 5)))
        est = measures.timed_median(obs, rounds, between=spread)
        ours += est.low <= true <= est.high
        plain = measures.timed_median(obs, rounds)
        rounds_only += plain.low <= true <= plain.high
        assert est.low <= plain.low and est.high >= plain.high  # only ever wider
    assert ours / n >= 0.94 and rounds_only / n < 0.6, (ours / n, rounds_only / n)
    obs = [Obs(float(t), False) for t in range(800, 1800, 100)]
    assert measures.timed_median(obs, [0.01, 0.012], between=estimates.Between()) == (
        measures.timed_median(obs, [0.01, 0.012])
    )


def _grokked(n: int, seed0: int = 0) -> list:
    """Stand-in decoder runs of seeds seed0.. that reach 95% at step 50 and stay there."""
    return [rec(50, last=100, stop=None, steps=[0, 50, 100], test=[0.0, 0.96, 0.97], seed=s)
            for s in range(seed0, seed0 + n)]  # fmt: skip


def test_decoder_stability_counts_every_method_and_only_runs_past_the_event():
    dec = {m: _grokked(10) for m in configs.METHODS["decoder"]}
    dec["adam"] = [rec(None, last=100, stop=None, seed=s) for s in range(10)]  # never at 95%
    cells = {f"decoder x+y/{m}": r for m, r in dec.items()}
    rounds = {"decoder x+y": {m: [0.1, 0.1] for m in dec}}
    rows = {r.id: r for r in claims.results(cells, rounds, ["decoder x+y"], p=97, scale="cpu")}
    row = rows["decoder-stable-add"]
    assert row.n == 70 and row.missing == 10 and row.estimate == 1.0
    assert rows["accelerator-beats-adam-add"].verdict == "reproduced"  # Adam censored: a bound


def test_looks_put_a_task_s_rows_at_pococks_level_where_it_runs_the_scale_s_own_seeds():
    dec = {m: _grokked(10) for m in configs.METHODS["decoder"]}
    cells = {f"decoder x+y/{m}": r for m, r in dec.items()}
    rounds = {"decoder x+y": {m: [0.1, 0.1] for m in dec}}
    looked = claims.results(cells, rounds, ["decoder x+y"], p=97, scale="cpu",
                            looks={"decoder x+y": 2})  # fmt: skip
    for row in looked:
        if row.verdict != "not run":  # every row of the decoder's task
            assert row.level == pytest.approx(0.9706, abs=1e-4), row.id
            assert "Pocock's level for 2 looks" in row.note, row.id
    assert claims.results(cells, rounds, ["decoder x+y"], p=97, scale="cpu")[0].level == 0.95
    cpu = scales.SCALES["cpu"]
    assert claims.looks_of(dict(cpu), cpu) == cpu["looks"]
    # the user's decoder seeds: one look, but for the cells that still run the scale's own
    cells_only = {k: v for k, v in cpu["looks"].items() if "/" in k}
    assert claims.looks_of(dict(cpu, decoder_seeds=12), cpu) == cells_only
    assert claims.looks_of(dict(cpu, cell_seeds={}), cpu) == {"decoder x+y": [5, 8]}
    assert claims.looks_of(dict(cpu, seeds=7), cpu) == cpu["looks"]  # the MLP's seeds
    assert claims.looks_of(dict(scales.SCALES["paper"]), scales.SCALES["paper"]) == {}
    # the cpu scale's x*y ran its decoder seeds from the start: its rows keep one look's 95%
    both = {**cells, **{k.replace("x+y", "x*y"): v for k, v in cells.items()}}
    timed = {**rounds, "decoder x*y": rounds["decoder x+y"]}
    at8 = dict(cpu, cell_seeds={})  # every cell at 8 (the pair at 16: the test below)
    mixed = claims.results(both, timed, ["decoder x+y", "decoder x*y"], p=97, scale="cpu",
                           looks=claims.looks_of(at8, cpu))  # fmt: skip
    judged = [row for row in mixed if row.verdict != "not run"]
    assert {row.id[-4:] for row in judged} == {"-add", "-mul"}
    for row in judged:
        # 5 seeds, then 8: Pocock's level for that spacing (97.06% were they equally spaced)
        assert row.level == pytest.approx(0.9689 if row.id.endswith("-add") else 0.95, abs=1e-4)


def test_a_pair_is_compared_on_the_seeds_both_ran_at_the_fewer_looks_of_the_two():
    """Adam and batch 128 at 16 seeds, the rest at 8 (the cpu scale's cell_seeds): the row on
    that pair has 16 pairs and three looks, a row pairing Adam with an 8-seed cell 8 pairs and
    the task's two looks, the stability row the 8 seeds every cell ran."""
    dec = {m: _grokked(8) for m in configs.METHODS["decoder"]}
    dec["adam"] = [rec(20 + 2 * s, last=100, stop=None, steps=[0, 50, 100],
                       test=[0.0, 0.96, 0.97], seed=s) for s in range(16)]  # fmt: skip
    dec["adam_b128"] = [rec(10 + s, last=100, stop=None, steps=[0, 50, 100],
                            test=[0.0, 0.96, 0.97], seed=s) for s in range(16)]  # fmt: skip
    dec["rescale"][3] = rec(None, last=100, stop=None, seed=3)  # never at 95%
    cells = {f"decoder x+y/{m}": r for m, r in dec.items()}
    rounds = {"decoder x+y": {m: [0.1, 0.1] for m in dec}}
    cpu = scales.SCALES["cpu"]
    rows = {r.id: r for r in claims.results(cells, rounds, ["decoder x+y"], p=97, scale="cpu",
                                            looks=claims.looks_of(dict(cpu), cpu))}  # fmt: skip
    lever, slower = rows["batch-lever-decoder-add"], rows["neuralgrok-slower-seconds-add"]
    assert (lever.n, slower.n) == (16, 8)
    assert "Pocock's level for 3 looks at 5, 8 and 16 seeds" in lever.note
    assert "Pocock's level for 2 looks at 5 and 8 seeds" in slower.note
    assert lever.level > slower.level > 0.95  # a wider interval at each look
    stable = rows["decoder-stable-add"]
    assert stable.n + stable.missing == 8 * len(dec) and stable.missing == 1  # seeds 0-7 only
    # the pairing is by seed, not by position: a cell's records in another order pair the same
    shuffled = dict(cells, **{"decoder x+y/adam": cells["decoder x+y/adam"][::-1]})
    again = {r.id: r for r in claims.results(shuffled, rounds, ["decoder x+y"], p=97,
                                             scale="cpu")}  # fmt: skip
    # seed by seed Adam takes exactly twice batch 128's steps: no spread but the timing's
    assert lever.estimate == pytest.approx(2.0) and lever.ci_high / lever.ci_low < 1.01
    shuffled_row = again["batch-lever-decoder-add"]
    assert (shuffled_row.ci_low, shuffled_row.ci_high) == (
        pytest.approx(lever.ci_low),
        pytest.approx(lever.ci_high),
    )
    a, b = measures.common(_grokked(3, seed0=2), _grokked(4))
    assert [r.cfg.seed for r in a] == [r.cfg.seed for r in b] == [2, 3]


def test_cell_seeds_grow_one_cell_and_name_a_cell_the_notebook_runs():
    cpu = scales.SCALES["cpu"]
    cells = parameters.plan(dict(cpu), {})
    for name, cfgs in cells.items():
        n = cpu["cell_seeds"].get(name, configs.n_seeds(name.split("/")[0], cpu))
        assert [c.seed for c in cfgs] == list(range(n)), name
        assert cfgs == configs.seeds_of(configs.plan(dict(cpu), {})[name][0], range(n))
    assert len(cells["decoder x+y/adam"]) == 16 and len(cells["decoder x+y/rescale"]) == 8
    base = {k: None for k in parameters.SPECS} | {"scale": "smoke", "recompute": False}
    with pytest.raises(ParameterError, match="cell_seeds.*mlp x\\*y/sgd"):
        parameters.check_parameters(base | {"cell_seeds": {"mlp x*y/sgd": 2}})  # not planned
    with pytest.raises(ParameterError, match="cell_seeds.*decoder x\\+y/egd"):
        parameters.check_parameters(base | {"cell_seeds": {"decoder x+y/egd": 2}})  # no cell
    with pytest.raises(ParameterError, match="cell_seeds"):
        parameters.check_parameters(base | {"cell_seeds": {"mlp x+y/sgd": 0}})
    with pytest.raises(ParameterError, match="cell_seeds.*decoder x\\+y/rescale"):
        parameters.check_parameters(base | {"methods": ["egd"],
                                            "cell_seeds": {"decoder x+y/rescale": 4}})  # fmt: skip
    ok = parameters.check_parameters(base | {"cell_seeds": {"mlp x+y/sgd": 3}})
    assert ok["cell_seeds"] == {"mlp x+y/sgd": 3}
    # left None, the scale's entries for the cells that run (scales.SCOPED): fewer tasks or
    # methods drop the decoder pair's seeds instead of blaming them
    at = base | {"scale": "cpu"}
    adam = {"decoder x+y/adam": 16}  # decoder x+y's plain optimizer, which always runs
    for mine, kept in (({"tasks": ["mlp x+y"]}, {}), ({"methods": ["egd"]}, adam)):
        assert at_scale(scales.SCALES, at | mine, scales.SCOPED)["cell_seeds"] == kept
        parameters.check_parameters(at | mine)
    kept = at_scale(scales.SCALES, at | {"methods": ["adam_b128"]}, scales.SCOPED)
    assert kept["cell_seeds"] == cpu["cell_seeds"]


def test_timing_measures_a_positive_cost_per_step_and_keeps_rounds():
    # the clock itself (which stamps, fresh processes) is grokcore.timing's, tested there
    cfg = configs.run_of("mlp x+y", "sgd", SMOKE)
    t = timing.StepTiming(runs=(cfg, cfg.replace(optim=cfg.optim)), labels=("a", "b"), steps=3,
                          rounds=2, offset=1)  # fmt: skip
    [r] = type(t).train([t])
    assert r.history["step"] == [0, 1] and len(r.history["a"]) == 2
    assert all(r.summary[label] > 0 for label in t.labels)
    assert r.meta["rounds_in"] == "fresh processes"
    with pytest.raises(ValueError, match="one label per run"):
        timing.StepTiming(runs=(cfg,), labels=())


def test_timings_time_each_task_s_planned_methods():
    P = dict(SMOKE, tasks=["mlp x+y"])
    cells = configs.plan(P, {}, methods=["egd"])
    [(task, t)] = configs.timings(P, cells).items()
    assert task == "mlp x+y" and t.labels == ("sgd", "egd") and t.steps == P["mlp_timing_steps"]
    assert all(isinstance(c, RunConfig) and c.seed == 0 for c in t.runs)
    assert math.isfinite(t.rounds)


def test_a_timing_record_loads_back_under_its_own_key():
    cfgs = configs.plan(SMOKE, {}, methods=["neuralgrok"])
    t = configs.timings(SMOKE, cfgs)["decoder x+y"]
    back = from_dict(to_dict(t))  # as a stored record rebuilds it
    assert back == t and back.key() == t.key()
    assert isinstance(back.runs[1], NeuralGrokConfig)


def test_a_claim_whose_methods_did_not_run_says_so():
    cells = _cells({"mlp x+y/sgd": [100, 110, 120, 130, 140], "mlp x+y/egd": [10] * 5})
    rounds = {"mlp x+y": {"sgd": [1e-3], "egd": [2e-3]}}
    rows = {r.id: r for r in claims.results(cells, rounds, ["mlp x+y"], p=97, scale="cpu")}
    assert rows["egd-fastest-steps-add"].verdict == "reproduced"  # SGD, the only other, 12x
    assert rows["rsvd-matches-egd-add"].verdict == "not run"
    assert "egd_rsvd64 not run" in rows["rsvd-matches-egd-add"].reason


def test_prose_quotes_give_the_rounds_spread_per_family_and_the_ema_misses():
    from chapters.accelerators import figures

    rounds = {
        "mlp x+y": {"sgd": [1.0, 1.1], "egd": [2.0, 3.2]},
        "decoder x+y": {"adam": [5.0, 6.0]},
    }
    ema = [
        SimpleNamespace(summary={measures.GROKKED: s}) for s in (None, 800, None, None, 900, None)
    ]
    P = {"tasks": ["mlp x+y", "decoder x+y"]}
    q = figures.prose_quotes({"decoder x+y/grokfast_ema": ema}, rounds, P)
    assert q["rounds-mlp"] == "1.1–1.6x" and q["rounds-decoder"] == "1.2x"
    assert q["ema-missed"] == "4" and q["ema-runs"] == "6" and q["ema-missed-first5"] == "3"
    assert figures.spread(rounds, []) == "—" and q["between-sd"] == "—"
    assert q["between-s-sd"] == "—"
    spread_s = {"mlp x+y": Between(0.01, 9), "decoder x+y": Between(0.04, 9)}
    q = figures.prose_quotes({}, rounds, P, {"mlp x+y": Between(0.0016, 9)}, spread_s)
    assert q["between-sd"] == "0.040" and q["between-s-sd"] == "0.100, 0.200"
    # batch 128's post-grok stability per decoder task: runs that never reach 95% are not counted
    b128 = [rec(50, last=150, stop=None, steps=[0, 50, 100, 150], test=t)
            for t in ([0.0, 0.96, 0.97, 0.95], [0.0, 0.96, 0.5, 0.97], [0.0] * 4)]  # fmt: skip
    b128[2].summary["step_to_test_acc_95"] = None
    rounds["decoder x*y"] = rounds["decoder x+y"]
    q = figures.prose_quotes({"decoder x*y/adam_b128": b128}, rounds,
                             {"tasks": ["decoder x+y", "decoder x*y"]})  # fmt: skip
    assert q["b128-stable-mul"] == "1 of 2" and q["b128-stable-add"] == "0 of 0"
    assert q["b128-below-mul"] == "17%" and q["adam-below-mul"] == "—"  # shares 0 and 1/3
    assert measures.share_below(b128[1]) == pytest.approx(1 / 3)
    assert measures.share_below(b128[2]) is None  # never reached 95%
    assert measures.share_below(rec(50, last=100)) is None  # stopped at 95%: nothing after it
    empty = figures.prose_quotes({}, rounds, {"tasks": ["decoder x+y"]})
    assert empty["b128-stable-mul"] == empty["b128-below-mul"] == empty["adam-below-add"] == "—"
