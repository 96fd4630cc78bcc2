import math
from types import SimpleNamespace

import pytest
import torch

from chapters.adam_dynamics import measures as A
from grokcore import outcomes


def rec(history, train95=None, test95=None):
    return SimpleNamespace(
        history=history, summary={"step_to_train_acc_95": train95, "step_to_test_acc_95": test95}
    )


def test_gap_is_censored_and_can_be_negative():
    assert A.gap({"step_to_test_acc_95": 500, "step_to_train_acc_95": 200}) == 300
    assert A.gap({"step_to_test_acc_95": None, "step_to_train_acc_95": 200}) is None
    assert A.gap({"step_to_test_acc_95": 100, "step_to_train_acc_95": 140}) == -40


def test_quartiles_skip_censored():
    assert A.quartiles([None, 1, 2, 3, 4, 5]) == pytest.approx((2, 3, 4))
    assert A.quartiles([None, None]) is None


def test_count_dips_counts_excursions_once():
    flat = [0.5] * 20
    assert A.count_dips(flat, 0.1) == 0
    two = [0.5] * 8 + [0.2, 0.2] + [0.5] * 8 + [0.3] + [0.5] * 5
    assert A.count_dips(two, 0.1) == 2
    assert A.count_dips(two, 0.25) == 1  # only the deeper dip


def test_period_of_a_sine_and_no_period_of_a_line():
    x = [math.sin(2 * math.pi * t / 8) for t in range(80)]
    assert A.dominant_period(x) == 8
    assert A.dominant_period([0.1 * t for t in range(50)]) is None  # detrended to zero


def test_correlation_test_matches_numpy_and_fisher_interval():
    """The chapter's correlations (dips against gap, test accuracy against weight norm) are
    grokcore.outcomes' pearson and correlation_test."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(30, generator=g, dtype=torch.float64)
    y = x + 0.5 * torch.randn(30, generator=g, dtype=torch.float64)
    s = outcomes.correlation_test(x.tolist(), y.tolist())
    ref = torch.corrcoef(torch.stack([x, y]))[0, 1].item()
    assert s["r"] == pytest.approx(ref, rel=1e-12)
    assert s["lo"] < s["r"] < s["hi"] and s["p"] < 1e-4 and s["n"] == 30
    z = math.atanh(ref) * math.sqrt(27)
    assert s["p"] == pytest.approx(math.erfc(z / math.sqrt(2)))
    assert outcomes.correlation_test([1, 2, 3], [1, 2, 4])["lo"] is None  # n < 4


def test_post_grok_measures_period_phase_and_collapses():
    steps = list(range(0, 2000, 10))
    acc = [0.0 if s < 400 else 0.97 + 0.02 * math.sin(2 * math.pi * s / 150) for s in steps]
    norm = [30 - 0.001 * s + 0.5 * math.sin(2 * math.pi * s / 150) for s in steps]
    f = A.post_grok(rec({"step": steps, "test_acc": acc, "weight_norm": norm}, 300, 400))
    assert f["period"] == pytest.approx(150, abs=10)
    assert f["corr_norm"] > 0.99 and f["collapses"] == 0
    acc2 = [a if not 1000 <= s < 1100 else 0.2 for s, a in zip(steps, acc)]
    assert (
        A.post_grok(rec({"step": steps, "test_acc": acc2, "weight_norm": norm}, 300, 400))[
            "collapses"
        ]
        == 1
    )
    assert A.post_grok(rec({"step": steps, "test_acc": acc, "weight_norm": norm}, 300, None)) == {}


def test_hessian_features_and_rank_change():
    r = rec(
        {
            "hessian_step": [0, 100, 200, 300, 400],
            "hessian_top": [1.0, 5.0, 20.0, 8.0, 2.0],
            "effective_rank": [50.0, 40.0, 40.0, 30.0, 24.0],
        },
        train95=200,
        test95=400,
    )
    h = A.hessian_features(r)
    assert (h["peak"], h["peak_step"], h["spike"], h["lag"]) == (20.0, 200, 20.0, 200)
    assert A.rank_change(r) == pytest.approx(24 / 40 - 1)
    assert A.rank_change(rec(r.history, 200, None)) is None


def test_censored_ratio_counts_the_budget_and_gives_a_bound():
    def runs(*steps):  # grok steps (None: censored within the budget of 1500 steps)
        return [
            SimpleNamespace(
                summary={"step_to_test_acc_95": s, "last_step": 1500 if s is None else s}
            )
            for s in steps
        ]

    a, b = runs(500, None, 750, None), runs(1000, 1000, None, None)
    # a lower bound where a never got there, an upper bound where b did not
    assert A.grok_ratio(a, b) == [0.5, 1.5, 0.5, None]
    assert [A.grok_step(A.faster(x, y)) for x, y in zip(a, b)] == [500, 1000, 750, None]


def test_memorization_margin_is_the_largest_train_test_gap():
    from chapters.adam_dynamics.measures import memorization_margin
    from grokcore.records import RunRecord

    r = RunRecord(
        "k",
        {},
        {"step": [0, 1, 2], "train_acc": [0.1, 0.9, 1.0], "test_acc": [0.1, 0.2, 0.9]},
        {},
        {},
        {},
    )
    assert memorization_margin(r) == pytest.approx(0.7)


def test_the_settings_table_counts_runs_that_never_fit_their_training_set():
    from chapters.adam_dynamics import figures

    optim = {"name": "adam", "lr": 1e-3, "weight_decay": 0.005, "betas": [0.9, 0.98]}

    def run(b1, method, train95, test95):
        r = rec({}, train95, test95)
        r.config = {"optim": dict(optim, betas=[b1, 0.98]), "method": {"name": method}}
        return r

    assert figures.fit(rec({}, 200)) and not figures.fit(rec({}, None))
    cells = {
        "s": {
            (0.0, "none"): [run(0.0, "none", None, None)] * 3,
            (0.9, "none"): [run(0.9, "none", None, None), run(0.9, "none", 100, None)],
            (0.9, "grokfast_ema"): [run(0.9, "grokfast_ema", 100, 400)] * 2,
        }
    }
    (row,) = figures.settings_table(cells, [0.9], 2.0)
    assert row["optimizer"] == "adam, lr 0.001, coupled L2 0.005"
    assert row["β1 0.9"].endswith(", 0/2 (1/2 fit train)")
    assert row["β1 0.9 + Grokfast (λ 2)"].endswith(", 2/2")  # every run fit: no count
