import math

import pytest

from chapters.med import configs, measures
from grokcore import outcomes
from grokcore.records import new_record


# ---- run statistics ------------------------------------------------------------------------


def fake(history, tr99):
    cfg = configs.config(11, num_steps=10, eval_every=1)
    return new_record(
        cfg, history, {"step_to_train_acc_99": tr99, "last_step": history["step"][-1]}, {}
    )


def test_table1_statistics():
    acc = [0.0, 0.05, 0.3, 0.8, 0.7, 0.79, 0.6, 0.78]
    rec = fake(
        {
            "step": list(range(0, 80, 10)),
            "test_acc": acc,
            "train_acc": [1.0] * 8,
            "test_loss": [1.0] * 8,
            "med": [1.0] * 8,
        },
        10,
    )
    assert measures.u_acc(rec) == 0.8
    # L-Acc over the plateau window: the last 4 evaluations (a quarter, at least 4), after
    # memorization (step 10); their halves' tops 0.8 and 0.79 (no rise): the lowest there
    assert measures.plateau_window(rec) == slice(4, None)
    assert measures.l_acc(rec) == 0.6
    assert measures.oscillation(rec, "step_to_train_acc_99") == pytest.approx(0.19)  # 0.79 - 0.6
    assert measures.go_epoch(rec) == 30  # first >= 0.4 after memorization
    flat = fake(
        {
            "step": [0, 10, 20],
            "test_acc": [0.02, 0.03, 0.05],
            "train_acc": [0.5, 1.0, 1.0],
            "test_loss": [1.0] * 3,
            "med": [1.0] * 3,
        },
        10,
    )
    assert measures.go_epoch(flat) is None  # "disappear"
    assert measures.go_epoch(fake(flat.history, None)) is None


def test_tracking_is_the_post_memorization_correlation():
    h = {
        "step": [0, 1, 2, 3, 4],
        "train_acc": [0.1, 1, 1, 1, 1],
        "test_acc": [0] * 5,
        "test_loss": [9.0, 4.0, 3.0, 2.0, 1.0],
        "med": [0.0, 8.0, 6.0, 4.0, 2.0],
        "weight_norm": [1.0, 1.0, 3.0, 1.0, 3.0],
    }
    rec = fake(h, 1)
    assert measures.tracking(rec) == pytest.approx(
        1.0
    )  # the first point (before memorizing) is out
    assert measures.tracking(rec, "weight_norm") == pytest.approx(
        outcomes.pearson([1, 3, 1, 3], [4, 3, 2, 1])
    )
    assert math.isnan(measures.tracking(fake(h, None)))


def test_tracking_is_nan_where_pearson_is_undefined():
    """outcomes.pearson says None for a constant series; tracking keeps NaN (the notebook
    subtracts and averages these), the old chapter code's value there."""
    h = {
        "step": [0, 1, 2, 3],
        "train_acc": [1.0] * 4,
        "test_acc": [0.0] * 4,
        "test_loss": [4.0, 3.0, 2.0, 1.0],
        "med": [2.0, 2.0, 2.0, 2.0],
    }
    assert outcomes.pearson(h["med"], h["test_loss"]) is None
    assert math.isnan(measures.tracking(fake(h, 0)))
    short = {k: v[:2] for k, v in h.items()}
    assert math.isnan(measures.tracking(fake({**short, "med": [1.0, 2.0]}, 0)))  # < 3 points


def test_speedup_counts_a_censored_slow_run_at_its_budget():
    """The chapter's speed-up (Toeplitz over normal init) is outcomes.speedup with key
    step_to_test_acc_90: slow's steps over fast's, a censored slow run at its budget (lower
    bound), None where fast is censored or its time is 0."""

    def run(t90, last=100):
        cfg = configs.config(11, num_steps=last, eval_every=10)
        return new_record(
            cfg, {"step": [0, last]}, {"step_to_test_acc_90": t90, "last_step": last}, {}
        )

    fast = [run(20), run(None), run(0), run(40)]
    slow = [run(50), run(30), run(30), run(None, last=200)]
    assert outcomes.speedup(fast, slow, "step_to_test_acc_90") == [2.5, None, None, 5.0]


def test_mean_sd_counts_missing_values():
    assert measures.mean_sd([0.5, 0.7, None], 100) == "60.0 ± 14.1 (1 none)"
    assert measures.mean_sd([None]) == "— (1 none)" and measures.mean_sd([3], digits=0) == "3 ± 0"
    assert measures.mean_sd([math.nan, 0.5], 100) == "50.0 ± 0.0 (1 none)"  # NaN: undefined


# ---- the ResNet runs ---------------------------------------------------------------------------


def test_resnet_rise_and_delay_read_the_summary():
    from types import SimpleNamespace

    from chapters.med.image_sum import summarize

    h = {"epoch": [0, 10, 20, 30], "step": [0, 1, 2, 3], "train_acc": [0, 0.995, 1, 1]}
    h["test_acc"] = [0, 0.2, 0.6, 0.95]
    rec = SimpleNamespace(summary=summarize(h), history=h)
    assert measures.rise_after_memorization(rec) == pytest.approx(0.75)  # 0.95 - 0.2
    assert measures.delay_ratio(rec) == 3.0  # 90% at epoch 30, train 99% at epoch 10
    assert measures.delay_ratio(rec, level=99) is None  # censored
    h2 = dict(h, train_acc=[0, 0.5, 0.6, 0.7])
    never = SimpleNamespace(summary=summarize(h2), history=h2)
    assert measures.rise_after_memorization(never) is None and measures.delay_ratio(never) is None


def test_deviation_effect_reads_each_setups_median():
    """One row per setup with its config's numbers and the Kaplan-Meier median of epochs to 50%
    test accuracy; a censored seed is counted and kept as a bound; no baseline runs (smoke): only
    this scale's row."""

    def run(t50, p, frac, seed, **kw):
        cfg = configs.config(p, frac_train=frac, num_steps=1000, seed=seed, **kw)
        s = {"step_to_test_acc_50": t50, "last_step": 1000, "diverged_at": None}
        return new_record(cfg, {"step": [0, 1000], "test_acc": [0.0, 0.6]}, s, {})

    base = [run(t, 97, 0.3, i, d_model=128, lr=1e-3) for i, t in enumerate([500, 700, 900])]
    ours = [run(t, 41, 0.5, i, d_model=64, lr=3e-3) for i, t in enumerate([100, 200, None])]
    table = measures.deviation_effect(base, ours)
    col = "epochs to 50% (median [95% CI])"
    assert list(table["p"]) == [97, 41] and list(table["train"]) == ["30%", "50%"]
    assert list(table["d_model"]) == [128, 64] and list(table["lr"]) == ["0.001", "0.003"]
    assert table[col].iloc[0].startswith("700.0 [") and table[col].iloc[1].startswith("200.0 [")
    assert list(table["censored"]) == ["0/3", "1/3"]
    assert len(measures.deviation_effect([], ours)) == 1
