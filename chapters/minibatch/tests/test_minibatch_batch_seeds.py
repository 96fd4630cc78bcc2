"""Chapter 6's batch_seeds (the sweep's minibatch cells at more seeds than the others, a second
look): the parameter's checks, the plan it extends, the looks, and which rows read the added
seeds."""

from pathlib import Path

import pytest

from chapters.minibatch import claims as mc
from chapters.minibatch import configs, scales
from chapters.minibatch.parameters import batch_seeds, check_parameters, plan
from chapters.minibatch.tests.test_minibatch_claims import MLP_KEY, N_TRAIN, cell, spread
from grokcore.claims import sequential_level
from grokcore.params import ParameterError, at_scale, notebook_defaults

ROOT = Path(__file__).resolve().parents[3]
V = notebook_defaults(ROOT / "notebooks/06_minibatch.ipynb")


def _values(scale: str, **kw) -> tuple[dict, dict]:
    v = check_parameters(dict(V, scale=scale, **kw))
    return at_scale(scales.SCALES, v), v


def test_batch_seeds_extends_the_minibatch_cells_only():
    P, v = _values("smoke")  # the smoke scale: seeds 2, batch_seeds 3
    base, groups = configs.plan(P, v), plan(P, v)
    for bs, runs in groups["batch"].items():
        n = P["seeds"] if bs == 0 else 3
        assert [c.seed for c in runs] == list(range(n))
        assert runs[: P["seeds"]] == base["batch"][bs]  # the plan's own runs, the same keys
        assert all(c.replace(seed=0) == runs[0] for c in runs)  # only the seed differs
    for group in ("conditions", "fracs", "progress", "mlp"):  # not extended
        assert groups[group] == base[group]


def test_the_scales_batch_seeds_below_seeds_runs_seeds():
    P, v = _values("cpu")
    assert batch_seeds(P) == 16 and len(plan(P, v)["batch"][2]) == 16
    assert len(plan(P, v)["batch"][0]) == 8  # full batch: seeds
    P, v = _values("cpu", seeds=20)  # the scale's 16 is fewer: the cells run seeds
    assert batch_seeds(P) == 20 and {len(r) for r in plan(P, v)["batch"].values()} == {20}


@pytest.mark.parametrize(
    "value, message",
    [
        (1, "batch_seeds.*gives 1, fewer than seeds \\(2\\)"),
        (0, "batch_seeds"),
        (2.5, "batch_seeds"),
    ],
)
def test_batch_seeds_given_by_hand_is_checked(value, message):
    with pytest.raises(ParameterError, match=message):
        check_parameters(dict(V, scale="smoke", batch_seeds=value))


def test_looks_hold_only_at_the_scales_seeds():
    P, _ = _values("cpu")
    assert mc.looks_of(P, scales.SCALES["cpu"]) == [8, 16]
    for kw in ({"batch_seeds": 12}, {"seeds": 20}):  # seeds of the user's choosing: one look
        P, _ = _values("cpu", **kw)
        assert mc.looks_of(P, scales.SCALES["cpu"]) == 1
    P, _ = _values("paper")
    assert mc.looks_of(P, scales.SCALES["paper"]) == 1


def test_only_the_rows_undecided_before_read_the_added_seeds():
    """16 seeds in the minibatch cells, 8 in the full batch: the slope and the 30 passes read all
    16 at Pocock's level for looks at 8 and 16; the pair with full batch, the MLP comparison and
    the Fourier row read the first 8, as before the seeds were added, at 95%."""
    from chapters.minibatch.tests.test_minibatch_claims import mlp_run

    n = 16
    cells = {
        2: cell(2, spread(8, n, step=0.1)),
        4: cell(4, spread(16, n, step=0.2)),
        8: cell(8, spread(32, n, step=0.4)),
        64: cell(64, spread(28, n)),
        N_TRAIN: cell(None, spread(1000, step=10)),
    }
    mlp = {"none": [mlp_run("none", 900 + 10 * s, s) for s in range(8)]}
    groups = dict(batch=cells, conditions={}, fracs={}, mlp=mlp, progress=[])
    recovery = [{"agreement": 1.0, "value": list(range(59))}] * 8

    def rows(**kw):
        out = mc.results(groups, recovery, mlp_key=MLP_KEY, recovery_frac=0.75, scale="cpu", **kw)
        return {r.id: r for r in out}

    grown, plain = rows(seeds=8, looks=[8, 16]), rows(seeds=8)
    for cid in ("minibatch-linear", "thirty-passes"):
        r = grown[cid]
        assert r.n == n and r.level == pytest.approx(sequential_level((8, 16)))
        assert "Pocock's level for 2 looks at 8 and 16 seeds" in r.note
    for cid in ("minibatch-vs-full", "minibatch-vs-full-wallclock", "fourier-key-frequencies"):
        assert grown[cid].n == 8 and grown[cid].level == 0.95, cid
    assert "n=8 per arm" in grown["mlp-groks-slowly"].ours
    assert plain["thirty-passes"].n == n and plain["thirty-passes"].level == 0.95
    with pytest.raises(ValueError):  # without seeds, a pair of 16 seeds against 8: refused
        rows()
