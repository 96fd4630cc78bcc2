"""The MED code's own Toeplitz embedding init (chapters.med.inits) against the code's formula,
written with scipy as transformer/rec.py writes it, and its hook in a training run."""

import math
from pathlib import Path

import pytest
import torch
from scipy.linalg import toeplitz

from chapters.med import configs
from chapters.med.inits import CODE_TOEPLITZ_NAME, EMBED_INIT, code_toeplitz
from chapters.med.med import med
from chapters.med.parameters import check_parameters
from grokcore.config import ConfigError
from grokcore.params import ParameterError, notebook_defaults
from grokcore.train import build_model, train_stack

ROOT = Path(__file__).resolve().parents[3]


def test_formula_is_the_codes():
    """W_E = toeplitz(r, r)[:, :d_vocab] / sqrt(d_model), columns = tokens (the code's layout)."""
    n_vocab, d, seed = 12, 16, 3
    g = torch.Generator().manual_seed(seed + 2**32 + 1)
    r = torch.rand(d, generator=g, dtype=torch.float64).numpy()
    code_W_E = toeplitz(r, r)[:, :n_vocab] / math.sqrt(d)  # [d_model, d_vocab]
    E = code_toeplitz(n_vocab, d, seed)  # rows = tokens
    assert E.shape == (n_vocab, d)
    assert torch.equal(E, torch.from_numpy(code_W_E.T.copy()))
    assert (E >= 0).all() and (E < 1 / math.sqrt(d)).all()  # uniform [0, 1) / sqrt(d)
    assert torch.equal(E[:, :n_vocab], E[:, :n_vocab].T)  # symmetric where both index tokens
    assert not torch.equal(code_toeplitz(n_vocab, d, seed + 1), E)  # per-seed draw


def test_needs_vocab_within_width():
    with pytest.raises(ValueError, match="d_vocab <= d_model"):
        code_toeplitz(20, 16, 0)
    with pytest.raises(ConfigError, match=r"d_vocab \(24\) <= d_model \(16\)"):
        configs.config(23, d_model=16, embed_init=EMBED_INIT)


def test_run_starts_from_the_codes_embedding():
    """The hook replaces W_E before the first evaluation (MED at step 0 is the code init's) and
    leaves every other tensor as the normal init of the same seed."""
    p, d = 11, 16
    cfg = configs.config(p, d_model=d, embed_init=EMBED_INIT, num_steps=10, eval_every=10, seed=2)
    assert CODE_TOEPLITZ_NAME in cfg.probes and cfg.model.embed_init == "normal"
    normal = configs.config(p, d_model=d, num_steps=10, eval_every=10, seed=2)
    assert cfg.key() != normal.key()
    rec = train_stack([cfg])[0]
    E0 = code_toeplitz(p + 1, d, 2)
    assert rec.history["med"][0] == pytest.approx(float(med(E0[None], p)[0]), rel=1e-6)
    # the normal model's other tensors: the hook touches only W_E
    from grokcore.train import Stack

    data = Stack(normal, [2], "cpu")
    a, b = build_model(normal, data.first, [2]), build_model(cfg, data.first, [2])
    for (n, x), (_, y) in zip(a.named_parameters(), b.named_parameters()):
        assert torch.equal(x, y), n  # before the hook: the same init


def test_parameter_accepts_and_checks_the_label():
    v = dict(notebook_defaults(ROOT / "notebooks/05_med.ipynb"), scale="smoke")
    ok = check_parameters(dict(v, embed_inits=["normal", EMBED_INIT]))
    assert EMBED_INIT in ok["embed_inits"]
    with pytest.raises(ParameterError, match="embed_inits"):
        check_parameters(dict(v, embed_inits=["normal", EMBED_INIT], d_model=8))
    with pytest.raises(ParameterError, match="embed_inits"):
        check_parameters(dict(v, embed_inits=["toeplitz_scipy"]))
