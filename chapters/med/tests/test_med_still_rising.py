"""measures.still_rising: when a run's highest accuracy (U-Acc) is only a lower bound, checked on
hand-made runs and on simulated ones with a known answer (a flat level under noise, a climb)."""

import random

from chapters.med import measures
from chapters.med.tests.test_med_issue21_rows import run

# 8 evaluations: the last quarter is the last 2, but at least PLATEAU_MIN = 4: steps 400-700
PEAKED = [0.0, 0.6, 0.9, 0.6, 0.55, 0.58, 0.57, 0.62]  # a high at step 200, swings below it after


def test_a_swing_below_an_earlier_high_is_not_a_rise():
    rec = run(PEAKED)
    assert not measures.still_rising(rec)
    # L-Acc's window asks whether the level is flat: the swing up to 0.62 fails it
    assert measures.plateau_window(rec) is None


def test_a_new_high_in_the_last_quarter_is_a_rise():
    assert measures.still_rising(run([0.0, 0.3, 0.4, 0.5, 0.55, 0.6, 0.62, 0.64]))
    # within PLATEAU_RISE (1 point) of the earlier high: not a rise
    assert not measures.still_rising(run([0.0, 0.3, 0.6, 0.6, 0.6, 0.605, 0.6, 0.6]))
    assert measures.still_rising(run([0.0, 0.3, 0.6, 0.6, 0.6, 0.615, 0.6, 0.6]))


def test_a_run_that_fit_its_train_set_late_or_never_is_still_rising():
    late = [0.0] * 5 + [1.0] * 3  # 99% train accuracy at step 500, inside the last quarter
    assert measures.still_rising(run(PEAKED, train_acc=late))
    assert measures.still_rising(run(PEAKED, train_acc=[0.5] * 8))
    assert measures.still_rising(run([0.0, 0.9, 0.9, 0.9]))  # no evaluation before the window


def test_another_accuracy_series_is_read_where_given():
    rec = run(PEAKED)
    assert measures.still_rising(rec, [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7])
    nan = float("nan")  # an accuracy over no pairs: undefined, never a rise
    assert not measures.still_rising(rec, [nan] * 8)


def test_on_simulated_runs_a_noisy_flat_level_is_rarely_a_rise_and_a_climb_always_is():
    """Known answers: for a flat level under independent noise the highest evaluation lies in the
    last quarter with chance 1/4 (exchangeable values), so still_rising flags at most a quarter of
    such runs (fewer: the new high must beat the rest by a point); a steady climb of 60 points
    under the same noise is flagged every time. plateau_window's half-to-half test flags a flat
    level far more often: it compares two short stretches of the noise."""
    rng = random.Random(0)
    n_runs, n_evals, sd = 2000, 240, 0.02

    def share(level) -> tuple[float, float]:
        rising = flat_failed = 0
        for _ in range(n_runs):
            acc = [0.0] + [level(i) + rng.gauss(0.0, sd) for i in range(1, n_evals)]
            rec = run(acc)
            rising += measures.still_rising(rec)
            flat_failed += measures.plateau_window(rec) is None
        return rising / n_runs, flat_failed / n_runs

    rising, flat_failed = share(lambda i: 0.6)
    assert rising < 0.25 and flat_failed > 2 * rising
    rising, _ = share(lambda i: 0.3 + 0.6 * i / n_evals)
    assert rising == 1.0
