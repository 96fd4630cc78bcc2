"""The MED code's own Toeplitz embedding init, as a hook a RunConfig names in its probes:
"chapters.med.inits:CODE_TOEPLITZ".

MED App. E says a Toeplitz/circulant embedding speeds grokking. The public code has only a
commented-out version of it (transformer/rec.py, peer notes §2):

    W_E = toeplitz(r, r)[:, :d_vocab] / sqrt(d_model),  r = np.random.rand(d_model)

scipy's toeplitz(r, r) is the symmetric matrix T[i, j] = r[|i - j|] ([d_model, d_model]); the
code's W_E is [d_model, d_vocab] with token t in column t, so token t's embedding is

    E[t, c] = r[|t - c|] / sqrt(d_model),   r ~ U[0, 1)^d_model,   t < d_vocab <= d_model.

This differs from grokcore's `embed_init="toeplitz"` (models.structured_embedding: an asymmetric
Toeplitz matrix from one N(0, std^2) vector of length d_vocab + d_model - 1) in three ways: it is
symmetric, its entries are uniform on [0, 1) / sqrt(d_model) (all positive: mean 0.5 / sqrt(d)),
and it needs d_vocab <= d_model. The chapter runs both and labels them.

The hook replaces each member's token embedding once, in `setup` (after the model and the
optimizer exist, before the first evaluation; AdamW's state is created at the first step, so it
sees only the new embedding). Every other tensor keeps its "normal" init. r comes from its own
generator per member (seed + 2^32 + 1), not from the init stream.
"""

from __future__ import annotations

import math

import torch

from grokcore.config import TransformerConfig
from grokcore.data import token_vocab
from grokcore.hooks import Context, Hook, Probe


def code_toeplitz(n_vocab: int, d_model: int, seed: int) -> torch.Tensor:
    """The code's embedding for one member, rows = tokens: [n_vocab, d_model], float64."""
    if n_vocab > d_model:
        raise ValueError(
            f"the code's Toeplitz init needs d_vocab <= d_model (its toeplitz(r, r)[:, :d_vocab]),"
            f" not d_vocab {n_vocab} > d_model {d_model}"
        )
    g = torch.Generator().manual_seed(seed + 2**32 + 1)
    r = torch.rand(d_model, generator=g, dtype=torch.float64)  # np.random.rand(d_model)
    t, c = torch.arange(n_vocab)[:, None], torch.arange(d_model)[None, :]
    return r[(t - c).abs()] / math.sqrt(d_model)


class CodeToeplitz(Hook):
    """Sets W_E [M, V, d] to each member's `code_toeplitz` before training."""

    resumable = True  # nothing kept; a checkpoint's weights are loaded after this setup

    def setup(self, ctx: Context) -> None:
        W = ctx.model.W_E  # [M, V, d]
        m, v, d = W.shape
        with torch.no_grad():
            W.copy_(torch.stack([code_toeplitz(v, d, s) for s in ctx.seeds]).to(W))


def _needs(cfg) -> str | None:
    if not isinstance(cfg.model, TransformerConfig):
        return "() unless the model is a TransformerConfig (the hook sets its token embedding)"
    if cfg.model.embed_init != "normal":
        return "() unless embed_init is 'normal' (the hook replaces the token embedding)"
    n_vocab = token_vocab(cfg.task)
    if n_vocab > cfg.model.d_model:
        return f"() unless d_vocab ({n_vocab}) <= d_model ({cfg.model.d_model}): the code's init"
    return None


CODE_TOEPLITZ = Probe(lambda cfg: CodeToeplitz(), _needs)
CODE_TOEPLITZ_NAME = "chapters.med.inits:CODE_TOEPLITZ"
EMBED_INIT = "toeplitz_code"  # the chapter's embed_inits label for this init
