"""Chapter 5's comparison of MED with a Fourier progress measure (med-beats-fourier): the Gini
coefficient and the embedding's Fourier density against slow references, the runs that log it
(parameter fourier_seeds, group "fourier"), and the row's verdicts on simulated records."""

import math
import random
from pathlib import Path

import pytest
import torch

from chapters.med import claims as MC
from chapters.med import configs, measures, scales
from chapters.med.parameters import FOURIER_PROBE, check_parameters, plan
from grokcore.fourier import embedding_power
from grokcore.models import Transformer
from grokcore.outcomes import pearson
from grokcore.params import ParameterError, at_scale, notebook_defaults
from grokcore.records import new_record
from grokcore.train import summarize, train_stack

ROOT = Path(__file__).resolve().parents[3]
V = notebook_defaults(ROOT / "notebooks/05_med.ipynb")
P_ = 11


def _gini_slow(v):
    """The mean absolute difference over all ordered pairs, over twice the mean."""
    n, mean = len(v), sum(v) / len(v)
    return sum(abs(a - b) for a in v for b in v) / (2 * n * n * mean)


@pytest.mark.parametrize(
    "v", [[1.0, 1.0, 1.0], [0.0, 0.0, 5.0], [1.0, 2.0, 3.0], [0.3, 0.1, 4.0, 2.2, 0.0, 1.5]]
)
def test_gini_matches_the_mean_absolute_difference(v):
    assert measures.gini(v) == pytest.approx(_gini_slow(v), abs=1e-12)


def test_gini_known_values():
    assert measures.gini([2.0] * 7) == 0.0  # all equal
    assert measures.gini([0.0] * 4 + [3.0]) == pytest.approx(4 / 5)  # one holds all: (n-1)/n
    assert math.isnan(measures.gini([0.0, 0.0]))


def _norms_slow(E: torch.Tensor) -> list[float]:
    """Per frequency k = 1..p//2, the norm of the centred embedding's DFT at k and p - k, by
    explicit sums over the tokens (no FFT)."""
    p = E.shape[0]
    Ec = E.double() - E.double().mean(0)
    out = []
    for k in range(1, p // 2 + 1):
        re = sum(Ec[x] * math.cos(2 * math.pi * k * x / p) for x in range(p))
        im = sum(Ec[x] * math.sin(2 * math.pi * k * x / p) for x in range(p))
        out.append(math.sqrt(2 * float((re.pow(2) + im.pow(2)).sum())))
    return out


def _record_with_power(powers, test_loss, med=None):
    n = len(powers)
    h = {
        "step": list(range(0, 10 * n, 10)),
        "train_acc": [0.1] + [1.0] * (n - 1),
        "test_acc": [0.0] * (n - 2) + [0.95, 1.0],
        "test_loss": list(test_loss),
        "med": list(med if med is not None else test_loss),
        "weight_norm": [1.0] * n,
        "emb_power": [list(map(float, pw)) for pw in powers],
    }
    c = configs.config(P_, num_steps=h["step"][-1], eval_every=10)
    return new_record(c, h, summarize(h, None), {})


def test_fourier_density_is_one_minus_the_gini_of_the_norms_per_frequency():
    g = torch.Generator().manual_seed(0)
    E = torch.randn(P_, 8, generator=g, dtype=torch.float64)
    x = torch.arange(P_, dtype=torch.float64)
    pure = torch.stack([torch.cos(2 * math.pi * 3 * x / P_ + ph) for ph in range(8)], 1)
    powers = [embedding_power(E).tolist(), embedding_power(pure).tolist()]
    rec = _record_with_power(powers, [2.0, 1.0])
    dens = measures.fourier_density(rec)
    assert dens[0] == pytest.approx(1 - _gini_slow(_norms_slow(E)), abs=1e-9)
    # one frequency holds everything: the Gini coefficient is (n - 1)/n, the density 1/n
    assert dens[1] == pytest.approx(1 / (P_ // 2), abs=1e-9)


def test_tracking_reads_the_derived_fourier_density():
    n = 8
    loss = [3.0 - 0.3 * i for i in range(n)]
    # the density's share at one frequency grows as the loss falls: density falls with it
    powers = []
    for i in range(n):
        top = 0.2 + 0.1 * i
        rest = (1 - top) / (P_ // 2 - 1)
        powers.append([0.0, top] + [rest] * (P_ // 2 - 1))
    rec = _record_with_power(powers, loss)
    w = measures.post_memorization(rec)
    want = pearson(measures.fourier_density(rec)[w], loss[w])
    assert measures.tracking(rec, measures.FOURIER_KEY) == pytest.approx(want) and want > 0.95
    assert measures.tracking(rec, measures.FOURIER_KEY, loss="rank") == pytest.approx(1.0)


def _sim(n_seeds, med_noise, fourier_noise, seed=0):
    """Grokked records whose MED and Fourier density each follow the test loss plus noise."""
    rng = random.Random(seed)
    recs = []
    for _ in range(n_seeds):
        loss = [3.0 * math.exp(-0.4 * i) for i in range(12)]
        med = [v + rng.gauss(0, med_noise) for v in loss]
        top = [min(0.9, max(0.05, 0.9 - 0.25 * v + rng.gauss(0, fourier_noise))) for v in loss]
        k = P_ // 2
        powers = [[0.0, t] + [(1 - t) / (k - 1)] * (k - 1) for t in top]
        recs.append(_record_with_power(powers, loss, med))
    return recs


def _row(recs):
    rows = MC.results(
        {"fourier": {"x+y": recs}}, [], {}, p=P_, frac_train=0.5, mc_trials=10, scale="cpu"
    )
    return {r.id: r for r in rows}["med-beats-fourier"]


def test_the_row_follows_which_measure_tracks_the_loss_more_closely():
    assert _row(_sim(10, 0.01, 0.3)).verdict == "reproduced"  # MED clean, Fourier noisy
    assert _row(_sim(10, 1.0, 0.0)).verdict == "contradicted"  # the reverse
    r = _row([])
    assert r.verdict == "not run" and "fourier_seeds" in r.reason
    assert MC.CLAIMS["med-beats-local-complexity"].id in MC.NOT_RUN


def test_a_run_that_did_not_grok_has_no_value():
    recs = _sim(4, 0.01, 0.3)
    stuck = recs[0]
    h = dict(stuck.history, test_acc=[0.0] * len(stuck.history["step"]))
    recs[0] = new_record(stuck.cfg, h, summarize(h, None), {})
    r = _row(recs)
    assert r.n == 3 and r.missing == 1 and "did not grok" in r.note


def _values(scale, **kw):
    v = check_parameters(dict(V, scale=scale, **kw))
    return at_scale(scales.SCALES, v), v


def test_the_fourier_runs_are_the_random_layouts_x_y_runs_with_the_probe():
    P, v = _values("smoke", fourier_seeds=3)
    groups = plan(P, v)
    runs = groups["fourier"]["x+y"]
    base = groups["layouts"][("random", 0)][0]
    assert [c.seed for c in runs] == [0, 1, 2]
    assert all(c.probes == base.probes + (FOURIER_PROBE,) for c in runs)
    assert runs[0].replace(probes=base.probes) == base  # nothing else differs
    assert runs[0].key() != base.key()  # a run of its own
    assert plan(*_values("smoke", fourier_seeds=0))["fourier"]["x+y"] == []
    assert len(plan(*_values("cpu"))["fourier"]["x+y"]) == scales.SCALES["cpu"]["fourier_seeds"]


@pytest.mark.parametrize("bad", [-1, 2.5, "4"])
def test_fourier_seeds_is_checked(bad):
    with pytest.raises(ParameterError, match="fourier_seeds"):
        check_parameters(dict(V, scale="smoke", fourier_seeds=bad))


def test_a_trained_run_logs_the_power_the_density_reads():
    P, v = _values("smoke", fourier_seeds=1)
    cfg = plan(P, v)["fourier"]["x+y"][0].replace(num_steps=4, eval_every=2)
    rec = train_stack([cfg])[0]
    assert len(measures.fourier_density(rec)) == len(rec.history["step"]) == 3
    p = cfg.task.p
    model = Transformer(cfg.model, p + 1, 3, p, [cfg.seed], torch.float32)
    E0 = model.W_E.detach()[0, :p].double()  # the init's number tokens
    assert measures.fourier_density(rec)[0] == pytest.approx(
        1 - _gini_slow(_norms_slow(E0)), abs=1e-6
    )
    # the probe reads the weights and changes none: the same run without it, the same numbers
    plain = train_stack([cfg.replace(probes=cfg.probes[:-1])])[0]
    assert plain.history["test_loss"] == rec.history["test_loss"]


def test_the_tracking_table_takes_the_fourier_density_as_an_extra_column():
    recs = _sim(2, 0.01, 0.3)
    label = "r(Fourier density, loss)"
    t = measures.tracking_table({"x+y": recs}, [(label, measures.FOURIER_KEY)])
    want = measures.tracking_estimate(recs[1], measures.FOURIER_KEY).estimate
    assert len(t) == 2 and t.loc[1, label].startswith(f"{want:.3f} [")
    assert label not in measures.tracking_table({"x+y": recs}).columns
