import dataclasses

import pytest

from chapters.adam_dynamics import configs as AD, scales
from grokcore.config import ConfigError, MethodConfig
from grokcore.hooks import Hook
from grokcore.records import load_record
from grokcore.sweep import run_or_load
from grokcore.train import train_stack

BASE = AD.base_run(7, 8, 16, 20, batch_size=8, eval_every=5).replace(dtype="float64")


def dyn(b1, wd, seed, every=10):
    return AD.DynamicsRun(
        AD.variant(BASE, b1, wd, seed),
        agreement_batch=8,
        hessian_every=every,
        lanczos_iters=4,
        hessian_samples=8,
        rank_samples=4,
    )


def test_stacked_dynamics_runs_equal_their_single_runs():
    cfgs = [dyn(0.9, 1.0, 0), dyn(0.0, 2.0, 1), dyn(0.5, 0.25, 2)]
    assert len({c.stack_key for c in cfgs}) == 1
    stacked = AD.run_dynamics(cfgs)
    for c, r in zip(cfgs, stacked):
        single = AD.run_dynamics([c])[0]
        assert r.key == single.key == c.key()
        assert set(r.history) >= {"agreement", "moment_cos", "hessian_top", "effective_rank"}
        for k, v in r.history.items():
            assert v == pytest.approx(single.history[k], rel=1e-8, abs=1e-10, nan_ok=True), k


def test_per_token_first_trains_and_probes_like_the_plain_model():
    """The chapter's speed option: same training curve and diagnostics (Hessian through
    torch.func, per-sample gradients through vmap) as the plain path, in float64."""
    plain = dyn(0.9, 1.0, 0)
    run = plain.run.replace(model=dataclasses.replace(plain.run.model, per_token_first=True))
    fast = AD.DynamicsRun(
        run, agreement_batch=8, hessian_every=10, lanczos_iters=4, hessian_samples=8, rank_samples=4
    )
    assert fast.key() != plain.key()
    a, b = AD.run_dynamics([plain])[0], AD.run_dynamics([fast])[0]
    for k, v in a.history.items():
        assert b.history[k] == pytest.approx(v, rel=1e-7, abs=1e-9, nan_ok=True), k


def test_probes_do_not_change_training():
    c = dyn(0.9, 1.0, 3)
    probed = AD.run_dynamics([c])[0]
    plain = train_stack([c.run])[0]
    for k in plain.history:
        assert probed.history[k] == plain.history[k], k
    assert probed.history["hessian_step"] == [0, 10, 20]
    assert probed.summary["gap"] == AD.gap(plain.summary)


def test_records_round_trip_through_the_cache():
    c = dyn(0.0, 1.0, 0, every=0)
    first = run_or_load([c], workers=1)[0]
    assert load_record(c.key()) is not None
    again = run_or_load([c], workers=1)[0].history
    assert set(again) == set(first.history)
    for k, v in again.items():  # moment_cos is NaN before the first step
        assert v == pytest.approx(first.history[k], nan_ok=True), k
    assert "hessian_top" in first.history and first.history["hessian_top"] == []


def test_invalid_probe_settings_fail_before_training():
    with pytest.raises(ConfigError, match="hessian_every"):
        AD.DynamicsRun(BASE, hessian_every=7)  # not a multiple of eval_every=5
    with pytest.raises(ConfigError, match="agreement_batch"):
        AD.DynamicsRun(BASE, agreement_batch=1)


def test_sweep_shares_runs_and_stops_only_gap_runs():
    gf = MethodConfig(name="grokfast_ema")
    parts = AD.sweep_configs(
        BASE, [0.0, 0.5, 0.9], 1.0, [0.0, 1.0], 2, gf, [0.9, 0.5], diag_seeds=1, hessian_every=10
    )
    every = AD.unique([c for p in parts.values() for c in p])
    # beta1 3x2, wd 1 extra x2, grokfast 2 (with filter) x2; the plain grokfast cells are in the
    # beta1 sweep
    assert len(every) == 6 + 2 + 4
    heavy = [c for c in every if c.hessian_every]
    assert sorted((c.run.optim.betas[0], c.seed) for c in heavy) == [(0.0, 0), (0.9, 0)]
    for c in every:
        stops = c.run.stop_at_test_acc is not None
        assert stops == (c.run.optim.betas[0] != 0 and not c.hessian_every)


def test_train_stack_calls_the_probe_at_every_evaluation():
    seen = []

    class Seen(Hook):
        def at_eval(self, ctx):
            seen.append((ctx.step, type(ctx.optimizer).__name__))

    train_stack([BASE], hooks=[Seen()])
    assert seen == [(s, "AdamW") for s in (0, 5, 10, 15, 20)]


def test_grokfast_settings_scale_the_chapters_optimizer_as_declared():
    gf = MethodConfig(name="grokfast_ema", lamb=2.0)
    parts = AD.sweep_configs(
        BASE,
        [0.0, 0.9],
        1.0,
        [1.0],
        2,
        gf,
        [0.9, 0.5],
        beta1_seeds=3,
        grokfast_settings=list(AD.GROKFAST_SETTINGS),
    )
    assert len(parts["beta1"]) == 2 * 3 and len(parts["wd"]) == 2  # beta1_seeds, seeds
    wd4 = AD.sweep_configs(BASE, [0.0], 1.0, [0.0, 1.0], 2, gf, [0.9, 0.5], wd_seeds=4)
    # wd_seeds: seeds per weight decay, the other parts keep `seeds`
    assert [(c.run.optim.weight_decay, c.seed) for c in wd4["wd"]] == [
        (w, s) for w in (0.0, 1.0) for s in range(4)
    ]
    assert len(wd4["beta1"]) == 2 and len(wd4["grokfast"]) == 2 * 2 * 2
    gf3 = AD.sweep_configs(
        BASE, [0.0, 0.9, 0.5], 1.0, [1.0], 2, gf, [0.9, 0.5], beta1_seeds=3, grokfast_seeds=3,
        grokfast_settings=["adam-l2"],
    )  # fmt: skip
    # grokfast_seeds: seeds per cell of the 2x2 at the chapter's optimizer; the cells without
    # the filter are the β1 sweep's runs, and the other settings keep `seeds`
    assert [(c.run.method.name, c.run.optim.betas[0], c.seed) for c in gf3["grokfast"]] == [
        (m, b, s) for m in ("none", gf.name) for b in (0.9, 0.5) for s in range(3)
    ]
    sweep = {c.key() for c in gf3["beta1"]}
    assert [c.key() in sweep for c in gf3["grokfast"]] == [True] * 6 + [False] * 6
    assert len(gf3["settings"]["adam-l2"]) == 5 * 2 and len(gf3["wd"]) == 2
    lr = BASE.optim.lr
    want = {  # (optimizer, lr, weight decay) per setting, λ = 2
        "lr-scaled": ("adamw", lr / 3, 1.0),
        "lr-scaled-same-decay": ("adamw", lr / 3, 3.0),
        "grokfast-code": ("adam", 1e-3, 0.005),  # Grokfast README: Adam, coupled L2 0.005
        "adam-l2": ("adam", lr, 1.0),  # torch.optim.Adam: weight_decay is a coupled L2
    }
    for name, runs in parts["settings"].items():
        o = runs[0].run.optim
        assert (o.name, o.lr, o.weight_decay) == pytest.approx(want[name]), name
        # β1 0 without Grokfast, then the 2x2, each at `seeds` seeds; every run stops at 95%
        cells = [(c.run.optim.betas[0], c.run.method.name, c.seed) for c in runs]
        assert cells == [
            (b, m, s)
            for b, m in [(0.0, "none")] + [(b, m) for b in (0.9, 0.5) for m in ("none", gf.name)]
            for s in range(2)
        ]
        assert all(c.run.stop_at_test_acc == 0.95 for c in runs)
        assert all(c.run.optim.betas[1] == BASE.optim.betas[1] for c in runs)
    with pytest.raises(KeyError):
        AD.setting_optim(BASE, "no-such-setting", 1.0, 2.0)


def test_plan_builds_every_part_once_at_each_scale():
    from grokcore.config import resolve_scale

    v = dict(
        frac_train=0.3, n_layers=2, n_heads=4, lr=3e-3, beta2=0.98, batch_size=512,
        warmup_steps=10, eval_every=20, per_token_first=True, weight_decay=1.0,
        grokfast_beta1s=[0.9, 0.5], grokfast_alpha=0.98, grokfast_lamb=2.0,
        transplant_fraction=0.25, lanczos_iters=15,
    )  # fmt: skip
    P = resolve_scale(scales.SCALES, "cpu")
    parts, every, moved = AD.plan(P, v)
    assert len(parts["beta1"]) == len(AD.BLOG_BETA1S) * P["beta1_seeds"] == 260
    assert len(parts["grokfast"]) == 4 * P["grokfast_seeds"] == 120
    assert len(parts["wd"]) == len(P["weight_decays"]) * P["wd_seeds"] == 120
    assert len({c.key() for c in every}) == len(every)
    listed = {
        c.key()
        for name, p in parts.items()
        if name not in ("settings", "grokfast_model")
        for c in p
    }
    listed |= {c.key() for runs in parts["settings"].values() for c in runs}
    assert listed == {c.key() for c in every}
    assert len(moved) == P["transplant_seeds"]
    # the 2x2 on Grokfast's own run: 4 cells x the scale's seeds, trained apart from `every`
    assert len(parts["grokfast_model"]) == 4 * P["grokfast_model_seeds"] == 64
    assert not {c.key() for c in parts["grokfast_model"]} & listed


def test_the_grokfast_2x2_on_its_own_run_changes_only_beta1_and_the_filter():
    """configs.grokfast_model_runs: the README's EMA run (grokcore.baselines "grokfast_ema"),
    whose β1 0.9 cell with the filter is the baseline's own configs (its shipped records serve
    it), the other cells differing in β1 (β2 kept) or in the filter only."""
    from grokcore.baselines import BASELINES

    readme = BASELINES["grokfast_ema"]
    runs = AD.grokfast_model_runs([0.9, 0.5], 3)
    cells = [(c.optim.betas[0], c.method.name, c.seed) for c in runs]
    assert cells == [
        (b, m, s) for b in (0.9, 0.5) for m in ("none", "grokfast_ema") for s in range(3)
    ]
    assert [c.key() for c in runs[3:6]] == [c.key() for c in readme.configs(range(3))]
    for c in runs:
        same = readme.run(c.seed)
        assert c.optim.betas[1] == same.optim.betas[1] == 0.98
        assert c.replace(optim=same.optim, method=same.method) == same
        assert c.num_steps == 3000 and c.stop_at_test_acc == 0.95
        assert (c.optim.name, c.optim.weight_decay, c.optim.lr) == ("adam", 0.005, 1e-3)
    other = MethodConfig(name="grokfast_ema", alpha=0.9, lamb=1.0)
    short = AD.grokfast_model_runs([0.5], 1, num_steps=40, method=other)
    assert [(c.method, c.num_steps) for c in short] == [(MethodConfig(), 40), (other, 40)]
    assert AD.grokfast_model_runs([0.9, 0.5], 0) == []
