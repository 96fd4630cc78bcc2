"""Fixtures for the library's and the chapters' unit tests (imported by their conftest.py), and
plain, slow references of the sources' models written module by module the way their code
writes them (from ../shared/notes/peer-code.md), for tests/unit/test_presets.py and
bench/presets_speed.py."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn


@pytest.fixture(autouse=True)
def tmp_cache(tmp_path, monkeypatch):
    """Every unit test writes run records to its own temporary cache."""
    monkeypatch.setenv("GROKCORE_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("GROKCORE_REQUIRE_CACHE", raising=False)
    torch.manual_seed(0)
    return tmp_path / "cache"


def tiny_run():
    """A run that trains in milliseconds (x+y mod 7, an 8-wide MLP, 5 full-batch steps): the
    record-plumbing tests' config (stores, campaigns, builds); vary its seed for more runs."""
    from .config import MLPConfig, ModularTask, OptimConfig, RunConfig

    return RunConfig(
        task=ModularTask(p=7),
        model=MLPConfig(width=8),
        optim=OptimConfig(batch_size=None),
        num_steps=5,
        eval_every=5,
    )


class Killed(Exception):
    """What killed_and_resumed raises inside the run it kills."""


def killed_and_resumed(train, at, monkeypatch, *modules) -> tuple[list, list]:
    """Checkpoints at every evaluation; trains `train()` whole, then again killed right after
    its checkpoint at step `at` (an evaluation step, or a function of the whole run's records
    that gives one) by the log of every train_stack that `modules` call, then once more: (the
    whole run's records, the continued run's). The caller compares them."""
    from . import checkpoint, train as loop

    monkeypatch.setenv(checkpoint.ENV, "0")
    whole = train()
    at = at(whole) if callable(at) else at
    real = loop.train_stack

    def dying(*args, log=None, **kwargs):
        def die(step, metrics):
            if log is not None:
                log(step, metrics)
            if step == at:
                raise Killed(step)

        return real(*args, log=die, **kwargs)

    with monkeypatch.context() as m:
        for module in modules:
            m.setattr(module, "train_stack", dying)
        with pytest.raises(Killed):
            train()
    again = train()
    assert all(r.meta.get("resumed_at") == [at] for r in again), "no checkpoint was read"
    return whole, again


def identical(a, b) -> bool:
    """Equal bit for bit as a record stores them (JSON), NaN equal to NaN."""
    import json

    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def paired_lower(budget: float, fast) -> float:
    """A trusted formula for the chapters' claim tests: the paired speed-up's lower limit when
    every slow seed is censored at `budget`: the Wilcoxon signed-rank lower limit (one side of a
    95% two-sided interval) of log(budget / fast time) over the seeds, exponentiated; 0 where
    the seeds are too few for one. Written from the textbook, not through grokcore.estimates:
    T+'s null distribution by enumerating every sign pattern (so at most ~16 seeds), the limit
    the (c + 1)-th smallest Walsh average, c the largest with P(T+ <= c) <= 0.025."""
    import itertools
    import math

    logs = sorted(math.log(budget / t) for t in fast)
    n = len(logs)
    ranks = range(1, n + 1)
    patterns = itertools.product((False, True), repeat=n)  # which ranks carry a + sign
    sums = [sum(r for r, plus in zip(ranks, signs) if plus) for signs in patterns]
    c = -1
    while sum(s <= c + 1 for s in sums) <= 0.025 * 2**n:
        c += 1
    if c < 0:
        return 0.0
    walsh = sorted((a + b) / 2 for i, a in enumerate(logs) for b in logs[i:])
    return math.exp(walsh[c])


def opening_drift(old: dict[str, list], new: dict[str, list], rtol: float = 1e-6) -> str | None:
    """Where two histories of one run made on different CPU kinds part in their opening (None if
    nowhere): the first quarter of every series (at least 3 entries), numbers within rtol of the
    series' largest magnitude (lists entry by entry), anything else (None, text, booleans)
    equal. Another vector unit or vendor library rounds the last bits differently, and a
    discrete step (a sign, an argmax, a stop) can grow that into a visible change later on, so
    only the opening is compared."""
    for k in sorted(old.keys() | new.keys()):
        if k not in old or k not in new:
            return f"history key {k!r} is only in the {'new' if k in new else 'recorded'} run"
        a, b = old[k], new[k]
        head = max(3, len(a) // 4)
        if len(b) < min(head, len(a)):
            return f"history[{k!r}]: {len(b)} entries now, {len(a)} recorded"
        tol = rtol * max(_magnitudes(a), default=0.0)
        for i, (x, y) in enumerate(zip(a[:head], b)):
            if not _close(x, y, tol):
                return f"history[{k!r}][{i}]: recorded {x!r}, now {y!r} (tolerance {tol:.3g})"
    return None


def _magnitudes(xs):
    for x in xs:
        if isinstance(x, list):
            yield from _magnitudes(x)
        elif _is_number(x) and math.isfinite(x):
            yield abs(x)


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _close(x, y, tol: float) -> bool:
    if _is_number(x) and _is_number(y):
        if math.isfinite(x) and math.isfinite(y):
            return abs(x - y) <= tol
        return x == y or (math.isnan(x) and math.isnan(y))  # inf, -inf and NaN exactly
    if isinstance(x, list) and isinstance(y, list):
        return len(x) == len(y) and all(_close(u, v, tol) for u, v in zip(x, y))
    return x == y


class RefBlock(nn.Module):
    """The Grokfast / NeuralGrok code's block: the residual is overwritten by ln_1(x)."""

    def __init__(self, d: int, heads: int):
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, heads)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x):  # x [T, B, d], sequence first
        mask = torch.triu(torch.full((len(x), len(x)), -math.inf, dtype=x.dtype), diagonal=1)
        x = self.ln_1(x)
        a, _ = self.attn(x, x, x, attn_mask=mask, need_weights=False)
        x = x + a
        return x + self.mlp(self.ln_2(x))


class RefDecoder(nn.Module):
    def __init__(self, d: int, layers: int, heads: int, vocab: int, seq_len: int):
        super().__init__()
        self.token_embeddings = nn.Embedding(vocab, d)
        self.position_embeddings = nn.Embedding(seq_len, d)
        self.layers = nn.ModuleList(RefBlock(d, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)

    def forward(self, x):  # x [T, B] -> logits [T, B, vocab]
        h = self.token_embeddings(x)
        h = h + self.position_embeddings(torch.arange(x.shape[0]).unsqueeze(-1)).expand_as(h)
        for layer in self.layers:
            h = layer(h)
        return self.head(self.ln_f(h))


def load_decoder(ref: RefDecoder, ours) -> None:
    """Copy member 0 of a GrokfastDecoder into the reference (Linear weights are [out, in])."""
    g = {n: p[0].detach() for n, p in ours.named_parameters()}
    with torch.no_grad():
        ref.token_embeddings.weight.copy_(g["W_E"])
        ref.position_embeddings.weight.copy_(g["W_pos"])
        for i, blk in enumerate(ref.layers):
            blk.ln_1.weight.copy_(g[f"{i}_ln1_w"])
            blk.ln_1.bias.copy_(g[f"{i}_ln1_b"])
            blk.ln_2.weight.copy_(g[f"{i}_ln2_w"])
            blk.ln_2.bias.copy_(g[f"{i}_ln2_b"])
            blk.attn.in_proj_weight.copy_(torch.cat([g[f"{i}_W_{x}"].T for x in "QKV"]))  # [3d, d]
            blk.attn.in_proj_bias.copy_(torch.cat([g[f"{i}_b_{x}"] for x in "QKV"]))
            blk.attn.out_proj.weight.copy_(g[f"{i}_W_O"].T)
            blk.attn.out_proj.bias.copy_(g[f"{i}_b_O"])
            blk.mlp[0].weight.copy_(g[f"{i}_W_in"].T)
            blk.mlp[0].bias.copy_(g[f"{i}_b_in"])
            blk.mlp[2].weight.copy_(g[f"{i}_W_out"].T)
            blk.mlp[2].bias.copy_(g[f"{i}_b_out"])
        ref.ln_f.weight.copy_(g["ln_f_w"])
        ref.ln_f.bias.copy_(g["ln_f_b"])
        ref.head.weight.copy_(g["W_U"].T)


def rope_ref(x: torch.Tensor) -> torch.Tensor:
    """Rotary embedding as rotary-embedding-torch applies it by default: position t rotates
    the interleaved pair (x[2i], x[2i+1]) by t * 10000^(-2i/dh). x [B, H, T, dh]."""
    t, dh = x.shape[-2], x.shape[-1]
    out = torch.empty_like(x)
    for pos in range(t):
        for i in range(dh // 2):
            ang = pos * 10000.0 ** (-2 * i / dh)
            a, b = x[..., pos, 2 * i], x[..., pos, 2 * i + 1]
            out[..., pos, 2 * i] = a * math.cos(ang) - b * math.sin(ang)
            out[..., pos, 2 * i + 1] = b * math.cos(ang) + a * math.sin(ang)
    return out


def rope_vectorized(x: torch.Tensor) -> torch.Tensor:
    """rope_ref the way rotary-embedding-torch computes it: each frequency repeated for its pair,
    x * cos + rotate_half(x) * sin, where rotate_half maps (a, b) -> (-b, a) within each pair."""
    t, dh = x.shape[-2], x.shape[-1]
    freqs = 1.0 / 10000.0 ** (torch.arange(0, dh, 2, dtype=x.dtype) / dh)  # [dh/2]
    ang = (torch.arange(t, dtype=x.dtype)[:, None] * freqs).repeat_interleave(2, -1)  # [T, dh]
    pairs = x.unflatten(-1, (-1, 2))
    half = torch.stack((-pairs[..., 1], pairs[..., 0]), -1).flatten(-2)
    return x * ang.cos() + half * ang.sin()


class RefFastgrok(nn.Module):
    """fastgrok.py's GrokkingTransformer from its description (W_o omitted: never used)."""

    def __init__(self, p: int, d: int, heads: int, norm: bool, bias: bool, rope: bool, act: str):
        super().__init__()
        self.heads, self.rope, self.act = heads, rope, act
        self.embed = nn.Embedding(p + 1, d)
        self.pos_emb = None if rope else nn.Embedding(3, d)
        self.W_q, self.W_k, self.W_v = (nn.Linear(d, d, bias=False) for _ in range(3))
        self.ln1 = nn.LayerNorm(d) if norm else nn.Identity()
        self.ln2 = nn.LayerNorm(d) if norm else nn.Identity()
        self.mlp_w1, self.mlp_w2 = nn.Linear(d, 4 * d, bias=bias), nn.Linear(4 * d, d, bias=bias)
        self.W_out = nn.Linear(d, p)

    def forward(self, x):  # [B, 3] -> [B, p]
        e = self.embed(x)
        b, t, d = e.shape
        if self.pos_emb is not None:
            e = e + self.pos_emb(torch.arange(t))
        xn = self.ln1(e)
        dh = d // self.heads

        def split(z):
            return z.view(b, t, self.heads, dh).transpose(1, 2)  # [B, H, T, dh]

        q, k, v = split(self.W_q(xn)), split(self.W_k(xn)), split(self.W_v(xn))
        if self.rope:
            q, k = rope_vectorized(q), rope_vectorized(k)
        scores = q @ k.transpose(-1, -2) / math.sqrt(dh)
        scores = scores.masked_fill(torch.tril(torch.ones(t, t)) == 0, -math.inf)
        context = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d)
        h = e + context
        mid = self.mlp_w1(self.ln2(context))
        mid = mid**2 if self.act == "quadratic" else F.relu(mid)
        return self.W_out((h + self.mlp_w2(mid))[:, -1])


def load_fastgrok(ref: RefFastgrok, ours) -> None:
    g = {n: p[0].detach() for n, p in ours.named_parameters()}
    with torch.no_grad():
        ref.embed.weight.copy_(g["W_E"])
        if ref.pos_emb is not None:
            ref.pos_emb.weight.copy_(g["W_pos"])
        for n in ("q", "k", "v"):
            getattr(ref, f"W_{n}").weight.copy_(g[f"W_{n.upper()}"].T)
        for n in ("ln1", "ln2"):
            if f"{n}_w" in g:
                getattr(ref, n).weight.copy_(g[f"{n}_w"])
                getattr(ref, n).bias.copy_(g[f"{n}_b"])
        ref.mlp_w1.weight.copy_(g["W_in"].T)
        ref.mlp_w2.weight.copy_(g["W_out"].T)
        if "b_in" in g:
            ref.mlp_w1.bias.copy_(g["b_in"])
            ref.mlp_w2.bias.copy_(g["b_out"])
        ref.W_out.weight.copy_(g["W_U"].T)
        ref.W_out.bias.copy_(g["b_U"])
