"""grokcore.timing: the step clock (which stamps it reads, against a clock with known answers)
and the rounds, each in a fresh process, from any process, failures named."""

import multiprocessing

import pytest

from grokcore import timing
from grokcore.decoder import DecoderConfig
from grokcore.neuralgrok import NeuralGrokConfig
from grokcore.testing import tiny_run

CFG = tiny_run().replace(log_entropy=True, stop_at_test_acc=0.9)  # what at_budget turns off
NG = NeuralGrokConfig(  # a config that wraps its run, with an amplifier of its own
    run=CFG.replace(model=DecoderConfig(n_layers=1, d_model=8, n_heads=2, d_mlp=16))
)


def test_at_budget_trains_the_budget_with_the_clock_alone():
    short = timing.at_budget(CFG, 7)
    assert (short.num_steps, short.eval_every, short.stop_at_test_acc) == (7, 7, None)
    assert short.spectrum_of == () and not short.log_entropy and short.probes == (timing.CLOCK,)
    wrapped = timing.at_budget(NG, 5)
    assert wrapped.run == timing.at_budget(NG.run, 5) and wrapped.amp == NG.amp


@pytest.mark.parametrize("cfg", [CFG, NG], ids=["run", "neuralgrok"])
@pytest.mark.parametrize("offset, expected", [(5, (15**2 - 5**2) / 10), (0, (11**2 - 1) / 10)])
def test_step_seconds_clocks_the_steps_after_the_offset(monkeypatch, cfg, offset, expected):
    # a clock that reads j**2 at its j-th stamp: the cost is known from which stamps are used,
    # and it is only right if every optimizer step is stamped once (the first step never timed)
    ticks = iter(range(1, 100))
    monkeypatch.setattr(timing, "_clock", lambda: next(ticks) ** 2)
    assert timing.step_seconds(cfg, 10, offset) == pytest.approx(expected)


def test_step_seconds_names_what_is_wrong():
    with pytest.raises(ValueError, match="steps >= 1"):
        timing.step_seconds(CFG, 0)
    with pytest.raises(ValueError, match="offset >= 0"):
        timing.step_seconds(CFG, 3, -1)


def test_rounds_in_this_process_warm_up_then_time_each_run_in_turn(monkeypatch):
    ticks = iter(range(1, 1000))
    monkeypatch.setattr(timing, "_clock", lambda: next(ticks) ** 2)
    runs = [CFG, CFG.replace(seed=1)]
    secs = timing.timed_rounds(runs, 2, offset=0, rounds=2, fresh=False)
    # each run stamps 3 steps (lead 1 + 2); a round is the warm-up then the two runs: stamps
    # 1-3, 4-6, 7-9 in round one, 10-12, 13-15, 16-18 in round two; a run's cost is its
    # (last - first stamp) / 2
    cost = [(b**2 - a**2) / 2 for a, b in [(4, 6), (7, 9), (13, 15), (16, 18)]]
    assert secs == [[cost[0], cost[2]], [cost[1], cost[3]]]


def test_each_round_runs_in_a_fresh_process(monkeypatch):
    # the parent's clock is patched: a round timed here would read it, a fresh process cannot
    monkeypatch.setattr(timing, "_clock", lambda: 0.0)
    calls = []
    real = timing._in_fresh_process
    monkeypatch.setattr(timing, "_in_fresh_process", lambda *a: calls.append(a) or real(*a))
    secs = timing.timed_rounds([CFG, CFG.replace(seed=1)], 3, offset=1, rounds=2)
    assert len(calls) == 2 and len(secs) == 2 and all(len(t) == 2 for t in secs)
    assert all(0 < s < 1 for t in secs for s in t)


def test_a_failed_round_says_so_and_bad_input_is_named(monkeypatch):
    monkeypatch.setattr(timing.sys, "executable", "false")  # a process that exits with 1
    with pytest.raises(RuntimeError, match="timing round's process failed \\(exit 1\\)"):
        timing.timed_rounds([CFG], 2, rounds=1)
    with pytest.raises(ValueError, match="a run and a round"):
        timing.timed_rounds([], 3)
    with pytest.raises(ValueError, match="steps >= 1"):
        timing.timed_rounds([CFG], 0)


def _time_in(queue):
    queue.put(timing.timed_rounds([CFG], 2, rounds=1))


def test_a_daemonic_process_can_time():
    # a pool's or Dask's worker may be daemonic, and daemonic processes may not have children
    # of multiprocessing's; the rounds' processes are plain subprocesses
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    p = ctx.Process(target=_time_in, args=(queue,), daemon=True)
    p.start()
    [[s]] = queue.get(timeout=120)
    p.join(30)
    assert p.exitcode == 0 and s > 0
