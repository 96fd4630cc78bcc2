"""grokcore.hooks: every extension point of the one training loop, and the probe registry."""

import pytest
import torch

from grokcore.config import (
    ConfigError,
    MLPConfig,
    ModularTask,
    OptimConfig,
    RunConfig,
    TransformerConfig,
)
from grokcore.hooks import Hook, Probe, register_probe, resolve_probe
from grokcore.train import Batches, train_stack

CFG = RunConfig(task=ModularTask(p=7), model=MLPConfig(width=16), num_steps=12, eval_every=4)


class Recorder(Hook):
    grids = {"upd_step": ("update", ("upd",)), "ev_step": ("eval", ("ev",))}

    def __init__(self):
        super().__init__()
        self.calls = []

    def setup(self, ctx):
        self.calls.append(("setup", ctx.step))

    def before_eval(self, ctx):
        self.calls.append(("before_eval", ctx.step))

    def at_eval(self, ctx):
        self.calls.append(("at_eval", ctx.step))
        self.record("ev_step", ctx.step, {"ev": torch.full((len(ctx.seeds),), float(ctx.step))})
        return {"seen": torch.ones(len(ctx.seeds))}

    def edit(self, ctx, metrics):
        assert not torch.is_grad_enabled() and "test_acc" in metrics

    def at_update(self, ctx):
        assert ctx.raw is not None and ctx.grads is not None and ctx.step % 4 == 0
        self.record("upd_step", ctx.step, {"upd": [ctx.step] * len(ctx.seeds)})

    def after_update(self, ctx):
        assert ctx.out is not None and ctx.x is not None
        self.calls.append(("after_update", ctx.step))

    def finish(self, i, history, meta):
        meta["finished"] = i


def test_hook_call_order_logging_and_finish():
    h = Recorder()
    rec = train_stack([CFG], hooks=[h])[0]
    assert h.calls[0] == ("setup", 0)
    assert h.calls[1:3] == [("before_eval", 0), ("at_eval", 0)]
    assert [c for c in h.calls if c[0] == "after_update"] == [
        ("after_update", s) for s in range(12)
    ]
    assert rec.history["seen"] == [1.0] * 4  # evaluations at 0, 4, 8, 12
    assert rec.history["ev_step"] == [0, 4, 8, 12] and rec.history["ev"] == [0.0, 4.0, 8.0, 12.0]
    assert rec.history["upd_step"] == [0, 4, 8]  # no update after the last evaluation
    assert rec.meta["finished"] == 0
    assert rec.meta["eval_s"] > 0 and rec.meta["train_steps_per_s"] > rec.meta["steps_per_s"]


def test_member_share_cuts_each_member_at_its_last_evaluation():
    """A member that stops early keeps eval-grid values up to its stop and update-grid values
    strictly before it."""
    h = Hook()
    h.grids = {"e": ("eval", ("ev",)), "u": ("update", ("up",))}
    h.log = {"e": [0, 4, 8], "ev": [[0, 1], [2, 3], [4, 5]], "u": [0, 4], "up": [[6, 7], [8, 9]]}
    assert h.member_share(0, 4) == {"e": [0, 4], "ev": [0.0, 2.0], "u": [0], "up": [6.0]}
    assert h.member_share(1, 8) == {
        "e": [0, 4, 8],
        "ev": [1.0, 3.0, 5.0],
        "u": [0, 4],
        "up": [7.0, 9.0],
    }


def test_a_loss_hook_changes_training_and_zero_loss_does_not():
    class Zero(Hook):
        def loss(self, ctx):
            return torch.zeros(len(ctx.seeds))

    class Pull(Hook):
        def loss(self, ctx):
            return 1e-1 * ctx.params["W1"].pow(2).flatten(1).sum(1)

    plain = train_stack([CFG])[0].history["train_loss"]
    assert train_stack([CFG], hooks=[Zero()])[0].history["train_loss"] == plain
    assert train_stack([CFG], hooks=[Pull()])[0].history["train_loss"] != plain


def test_stacked_members_equal_single_runs_with_hooks():
    class Seen(Hook):
        def at_eval(self, ctx):
            return {"wn": ctx.model.weight_norm()}

    cfgs = [CFG.replace(seed=s) for s in (0, 1)]
    stacked = train_stack(cfgs, hooks=[Seen()])
    for c, r in zip(cfgs, stacked):
        single = train_stack([c], hooks=[Seen()])[0]
        assert r.history["wn"] == pytest.approx(single.history["wn"], rel=1e-6)


def test_probe_registry_names_and_module_paths():
    assert resolve_probe("embedding_fourier").needs(CFG) is not None  # an MLP has no embedding
    with pytest.raises(KeyError, match="not a probe"):
        resolve_probe("nope")
    with pytest.raises(KeyError, match="cannot be imported"):
        resolve_probe("no.such.module:probe")
    register_probe(
        "const",
        lambda cfg: type("C", (Hook,), {"at_eval": lambda self, ctx: {"c": torch.zeros(1)}})(),
    )
    try:
        rec = train_stack([CFG.replace(probes=("const",))])[0]
        assert rec.history["c"] == [0.0] * 4
        assert isinstance(resolve_probe("const"), Probe)
    finally:
        from grokcore.hooks import PROBES

        del PROBES["const"]
    with pytest.raises(ConfigError, match="RunConfig.probes"):
        RunConfig(model=TransformerConfig(), probes=("const",))


def test_batches_keep_the_last_smaller_batch_when_asked():
    idx = torch.arange(10)[None]
    b = Batches(idx, 4, [0], last_batch="keep")
    sizes = [b.next().shape[1] for _ in range(6)]
    assert sizes == [4, 4, 2, 4, 4, 2]
    b = Batches(idx, 4, [0], last_batch="keep")
    epoch = torch.cat([b.next() for _ in range(3)], dim=1)
    assert epoch.sort().values.tolist() == [list(range(10))]  # every example once per epoch
    b = Batches(idx, 4, [0])  # the default drops the remainder (EGD code)
    assert [b.next().shape[1] for _ in range(3)] == [4, 4, 4]
    with pytest.raises(ConfigError, match="last_batch"):
        OptimConfig(last_batch="pad")
