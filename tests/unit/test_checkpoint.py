"""Checkpoints (grokcore.checkpoint): a stack killed after a checkpoint continues from it, and its
records are bit for bit an uninterrupted run's, for every gradient transform, batching, loss term
and resumable hook; what cannot be resumed whole is never checkpointed; a checkpoint of other
code, or an unreadable one, is never read."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from grokcore import checkpoint
from grokcore.config import MethodConfig, MLPConfig, ModularTask, OptimConfig, RunConfig
from grokcore.hooks import Hook
from grokcore.testing import Killed
from grokcore.train import train_stack

BASE = RunConfig(
    task=ModularTask(p=11, frac_train=0.5),
    model=MLPConfig(width=16),
    optim=OptimConfig(name="adamw", lr=3e-3, weight_decay=0.5, batch_size=16, loss_l2=0.0),
    num_steps=60,
    eval_every=10,
)

CASES = {
    "adamw": BASE,
    "sgd, L2 in the loss, momentum": BASE.replace(
        optim=OptimConfig(lr=0.5, momentum=0.9, batch_size=16, loss_l2=1e-3)
    ),
    "warmup, clip, last batch kept": BASE.replace(
        optim=dataclasses.replace(
            BASE.optim, warmup_steps=15, clip_norm=0.5, last_batch="keep", batch_size=20
        )
    ),
    "iid batches": BASE.replace(optim=dataclasses.replace(BASE.optim, sampling="iid")),
    "full batch": BASE.replace(optim=dataclasses.replace(BASE.optim, batch_size=None)),
    "grokfast_ema": BASE.replace(method=MethodConfig(name="grokfast_ema")),
    "grokfast_ma": BASE.replace(method=MethodConfig(name="grokfast_ma", window_size=8)),
    "egd rsvd (its generators)": BASE.replace(
        optim=OptimConfig(lr=0.5, batch_size=16),
        method=MethodConfig(name="egd", egd_solver="rsvd", rank=4, switch_off_at=0.5),
    ),
    "spectra and entropies": BASE.replace(spectrum_of=("W1",), log_entropy=True),
    "early stop": BASE.replace(stop_at_test_acc=0.3),
}


def kill_at(step_to_die: int):
    def log(step, metrics):
        if step == step_to_die:
            raise Killed(step)

    return log


@pytest.fixture
def every_evaluation(tmp_path, monkeypatch):
    monkeypatch.setenv("GROKCORE_CACHE", str(tmp_path))
    monkeypatch.setenv(checkpoint.ENV, "0")  # save at every evaluation
    return tmp_path / "checkpoints"


@pytest.mark.parametrize("name", list(CASES))
def test_a_killed_stack_continues_bit_for_bit(name, every_evaluation):
    cfgs = [CASES[name].replace(seed=s) for s in (0, 1)]
    whole = train_stack(cfgs)
    assert not list(every_evaluation.glob("*.pt"))  # a finished stack leaves none
    with pytest.raises(Killed):  # the log runs after the checkpoint at step 30
        train_stack(cfgs, log=kill_at(30))
    assert len(list(every_evaluation.glob("*.pt"))) == 1
    again = train_stack(cfgs)
    for a, b in zip(whole, again, strict=True):
        assert a.history == b.history and a.summary == b.summary, name
        assert b.meta["resumed_at"] == [30] and "resumed_at" not in a.meta
        assert b.meta["steps"] == a.meta["steps"]
    assert not list(every_evaluation.glob("*.pt"))


def test_twice_killed_continues_from_the_later_checkpoint(every_evaluation):
    cfgs = [CASES["grokfast_ma"]]
    whole = train_stack(cfgs)
    for die in (20, 50):
        with pytest.raises(Killed):
            train_stack(cfgs, log=kill_at(die))
    (again,) = train_stack(cfgs)
    assert again.history == whole[0].history and again.meta["resumed_at"] == [20, 50]


class Counter(Hook):
    """A hook with state outside its log: not resumable."""

    def __init__(self):
        super().__init__()
        self.n = 0

    def after_update(self, ctx):
        self.n += 1


def test_what_the_loop_does_not_hold_whole_is_never_checkpointed(every_evaluation):
    from grokcore.transforms import grokfast_ema

    cfgs = [BASE]
    for kw in ({"hooks": [Counter()]}, {"transform": grokfast_ema()}):
        with pytest.raises(Killed):
            train_stack(cfgs, log=kill_at(30), **kw)
        assert not every_evaluation.exists() or not list(every_evaluation.glob("*.pt"))


def test_off_and_bad_intervals(monkeypatch, tmp_path):
    monkeypatch.setenv("GROKCORE_CACHE", str(tmp_path))
    monkeypatch.setenv(checkpoint.ENV, "off")
    assert checkpoint.interval() is None
    with pytest.raises(Killed):
        train_stack([BASE], log=kill_at(30))
    assert not (tmp_path / "checkpoints").exists()
    monkeypatch.delenv(checkpoint.ENV)
    assert checkpoint.interval() == checkpoint.DEFAULT_S
    for bad in ("-1", "soon", "nan"):
        monkeypatch.setenv(checkpoint.ENV, bad)
        with pytest.raises(ValueError, match="GROKCORE_CHECKPOINT_S=.*allowed a number"):
            checkpoint.interval()


def test_other_code_configs_or_devices_name_other_files(monkeypatch):
    from grokcore import fingerprint

    a = checkpoint.path_for([BASE], "cpu")
    assert a == checkpoint.path_for([BASE], "cpu")
    assert a != checkpoint.path_for([BASE.replace(seed=1)], "cpu")
    assert a != checkpoint.path_for([BASE], "cuda")
    from grokcore import records

    monkeypatch.setattr(records, "cpu_kind", lambda: "another CPU, AVX-512")
    assert a != checkpoint.path_for([BASE], "cpu")  # another CPU kind's bits are not read
    monkeypatch.undo()
    real = fingerprint.code_of(BASE)
    monkeypatch.setattr(
        fingerprint, "code_of", lambda cfg: dataclasses.replace(real, fingerprint="other code")
    )
    assert a != checkpoint.path_for([BASE], "cpu")


def test_an_unreadable_checkpoint_is_set_aside_and_the_run_starts_over(every_evaluation):
    cfgs = [BASE]
    (whole,) = train_stack(cfgs)
    path = checkpoint.path_for(cfgs, "cpu")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a checkpoint")
    with pytest.warns(UserWarning, match="unreadable"):
        (again,) = train_stack(cfgs)
    assert again.history == whole.history and "resumed_at" not in again.meta
    assert path.with_suffix(".unreadable").exists()


def test_a_checkpoint_holds_the_state_before_its_evaluation(every_evaluation):
    with pytest.raises(Killed):
        train_stack([BASE], log=kill_at(40))
    saved = torch.load(checkpoint.path_for([BASE], "cpu"), weights_only=False)
    assert saved["step"] == 40 and saved["hist"]["step"] == [0, 10, 20, 30]


def test_hooks_with_state_besides_their_log_continue_bit_for_bit(monkeypatch):
    """Hook.state_attrs: a checkpoint holds them with the log, load_state puts them back."""
    from grokcore import train as loop
    from grokcore.testing import killed_and_resumed

    class Drift(Hook):  # nudges the weights by a count it keeps between steps
        grids = {"drift_step": ("eval", ("n",))}
        resumable, state_attrs = True, ("n",)

        def setup(self, ctx):
            self.n = 0

        def at_eval(self, ctx):
            self.record("drift_step", ctx.step, {"n": [self.n] * len(ctx.seeds)})

        def after_update(self, ctx):
            self.n += 1
            with torch.no_grad():
                ctx.params["W1"].mul_(1 - 1e-4 * self.n)

    cfgs = [BASE.replace(seed=s) for s in (0, 1)]
    whole, again = killed_and_resumed(
        lambda: loop.train_stack(cfgs, hooks=[Drift()]), 30, monkeypatch, loop
    )
    for a, b in zip(whole, again, strict=True):
        assert a.history == b.history and a.history["n"][-1] == 60


def test_a_transform_is_checkpointed_only_where_it_says_it_is_resumable(every_evaluation):
    from grokcore.transforms import ResumableTransform, chain, grokfast_ema, identity

    assert not grokfast_ema().resumable and not chain(identity()).resumable
    mine = ResumableTransform(*grokfast_ema())
    assert chain(mine, ResumableTransform(*identity())).resumable
    assert not chain(mine, identity()).resumable
    with pytest.raises(Killed):
        train_stack([BASE], log=kill_at(30), transform=mine)
    assert len(list(every_evaluation.glob("*.pt"))) == 1
    with pytest.raises(Killed):
        train_stack([BASE.replace(seed=1)], log=kill_at(30), transform=grokfast_ema())
    assert len(list(every_evaluation.glob("*.pt"))) == 1  # the unmarked one wrote none
