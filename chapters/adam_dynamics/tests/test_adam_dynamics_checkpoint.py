"""Chapter 4's diagnostics runs are checkpointed (grokcore.checkpoint): killed after a
checkpoint, a stack with the probe (its generators and fixed examples) continues bit for bit."""

from chapters.adam_dynamics import configs as AD
from grokcore.testing import identical, killed_and_resumed

BASE = AD.base_run(7, 8, 16, 40, batch_size=8, eval_every=5)


def test_a_killed_stack_with_the_probe_continues_bit_for_bit(monkeypatch):
    cfgs = [
        AD.DynamicsRun(
            AD.variant(BASE, b1, 1.0, seed),
            agreement_batch=8,
            hessian_every=10,
            lanczos_iters=4,
            hessian_samples=8,
            rank_samples=4,
        )  # fmt: skip
        for b1, seed in ((0.9, 0), (0.0, 1))
    ]
    whole, again = killed_and_resumed(lambda: AD.run_dynamics(cfgs), 25, monkeypatch, AD)
    for a, b in zip(whole, again, strict=True):
        assert identical(a.history, b.history) and a.summary == b.summary
        assert len(b.history["hessian_top"]) == 5  # steps 0, 10, ..., 40
