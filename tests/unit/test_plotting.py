"""grokcore.plotting.survival against Kaplan-Meier curves computed by hand: the plotted step
function is read back from the line, so what a chapter shows is what is tested."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from grokcore import estimates  # noqa: E402
from grokcore.estimates import Obs  # noqa: E402
from grokcore.plotting import survival, survival_panel  # noqa: E402


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def step_value(line, t: float) -> float:
    """The value a steps-post line shows at t: its y at the last x <= t."""
    x, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
    return float(y[np.nonzero(x <= t)[0][-1]])


def ticks(ax, marker: str) -> list[tuple[float, float]]:
    """(x, y) of every marker `marker` drawn without a line."""
    return [
        (float(x), float(y))
        for ln in ax.lines
        if ln.get_marker() == marker and ln.get_linestyle() in ("None", "none", "")
        for x, y in zip(ln.get_xdata(), ln.get_ydata())
    ]


def test_kaplan_meier_by_hand(ax):
    # 5 seeds: events at 10, 20, 20, 30, one censored at 25.
    # S(10) = 4/5; S(20) = 4/5 * (1 - 2/4) = 2/5; at 25 one leaves the risk set;
    # S(30) = 2/5 * (1 - 1/1) = 0.
    obs = [Obs(10), Obs(20), Obs(20), Obs(30), Obs(25, censored=True)]
    line = survival(ax, obs, label="arm")
    assert line.get_drawstyle() == "steps-post"
    x, y = list(line.get_xdata()), list(line.get_ydata())
    assert (x[0], y[0]) == (0.0, 1.0)
    assert x[-1] == 30
    expect = {0: 1.0, 9.9: 1.0, 10: 0.8, 19: 0.8, 20: 0.4, 25: 0.4, 29.9: 0.4, 30: 0.0}
    for t, s in expect.items():
        assert step_value(line, t) == pytest.approx(s), t
    assert ticks(ax, "|") == [(25.0, pytest.approx(0.4))]
    assert ticks(ax, "x") == []
    assert line.get_label() == "arm (n=5, 1 censored)"
    # the claims' median (estimates.median) is where the curve first falls to 1/2 or below
    m = estimates.median(obs)
    assert m.estimate == 20
    assert step_value(line, m.estimate) <= 0.5 < step_value(line, m.estimate - 1e-9)


def test_censored_tail_and_diverged(ax):
    # events at 2 and 4; censored at 3 and 6; diverged (censored, budget 5).
    # S(2) = 4/5; 3 leaves; S(4) = 4/5 * (1 - 1/3) = 8/15; 5 and 6 leave: flat to 6.
    obs = [Obs(2), Obs(3, True), Obs(4), Obs(5, True, True), Obs(6, True)]
    line = survival(ax, obs, color="k", label="b")
    x = list(line.get_xdata())
    assert x[0] == 0 and x[-1] == 6
    for t, s in {1: 1.0, 2: 0.8, 3.5: 0.8, 4: 8 / 15, 6: 8 / 15}.items():
        assert step_value(line, t) == pytest.approx(s), t
    assert ticks(ax, "|") == [(3.0, pytest.approx(0.8)), (6.0, pytest.approx(8 / 15))]
    assert ticks(ax, "x") == [(5.0, pytest.approx(8 / 15))]
    assert line.get_label() == "b (n=5, 3 censored, 1 diverged)"
    assert all(ln.get_color() == "k" for ln in ax.lines)


def test_all_censored_is_flat_at_one(ax):
    obs = [Obs(80, True), Obs(100, True), Obs(100, True)]
    line = survival(ax, obs, label="slow")
    assert list(line.get_xdata()) == [0, 100]
    assert list(line.get_ydata()) == [1, 1]
    assert sorted(ticks(ax, "|")) == [(80.0, 1.0), (100.0, 1.0), (100.0, 1.0)]
    assert line.get_label() == "slow (n=3, 3 censored)"


def test_no_censoring_is_the_empirical_survival(ax):
    line = survival(ax, [Obs(3), Obs(1), Obs(2), Obs(2)], label="fast")
    for t, s in {0: 1.0, 1: 0.75, 1.5: 0.75, 2: 0.25, 3: 0.0}.items():
        assert step_value(line, t) == pytest.approx(s), t
    assert max(line.get_xdata()) == 3
    assert len(ax.lines) == 1  # no ticks
    assert line.get_label() == "fast (n=4)"


def test_per_rescales_time(ax):
    line = survival(ax, [Obs(100), Obs(300, True)], per=10)
    assert step_value(line, 9.9) == 1.0 and step_value(line, 10) == pytest.approx(0.5)
    assert max(line.get_xdata()) == 30
    assert ticks(ax, "|") == [(30.0, pytest.approx(0.5))]
    assert line.get_label() == "n=2, 1 censored"


def test_empty_draws_nothing(ax):
    assert survival(ax, []) is None
    assert len(ax.lines) == 0


def test_panel(ax):
    groups = {"SGD": [Obs(50, True), Obs(50, True)], "EGD": [Obs(5), Obs(7)]}
    survival_panel(ax, groups, {"SGD": "#1f77b4", "EGD": "#d62728"}, xlabel="epochs")
    assert ax.get_ylim() == pytest.approx((-0.02, 1.02))
    assert ax.get_xlabel() == "epochs"
    assert ax.get_ylabel() == "fraction not yet at 95% test accuracy"
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == ["SGD (n=2, 2 censored)", "EGD (n=2)"]
    curves = [ln for ln in ax.lines if ln.get_label() in texts]
    assert [matplotlib.colors.to_hex(ln.get_color()) for ln in curves] == ["#1f77b4", "#d62728"]


def test_panel_keeps_coinciding_curves_visible(ax):
    same = [Obs(40, True), Obs(40, True)]
    survival_panel(ax, {"a": same, "b": same, "c": same})
    widths = [ln.get_linewidth() for ln in ax.lines if ln.get_label().startswith(("a", "b", "c"))]
    assert widths == sorted(widths, reverse=True) and len(set(widths)) == 3
