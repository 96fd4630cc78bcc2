"""The sources' training loops, written the way each source's public code writes its loop
(../shared/notes/peer-code.md), for bench/presets_speed.py. Each factory takes the preset's
RunConfig and returns (step, evaluate, rows evaluated): one training step, and the evaluation
its source runs (None where the bench does not time it)."""

from __future__ import annotations

import collections
import copy
import math

import torch
import torch.nn.functional as F
from torch import nn

from grokcore.testing import RefDecoder, RefFastgrok


def _grokfast_filter(kind: str, model: nn.Module, state: dict) -> None:
    """ironjr/grokfast grokfast.py's gradfilter_ema / gradfilter_ma, written as it writes them:
    a dict of per-parameter EMAs, or a deque of the last 100 gradients summed every step."""
    for n, p in model.named_parameters():
        g = p.grad.data.detach()
        if kind == "ema":  # alpha 0.98, lamb 2.0
            state[n] = g if n not in state else state[n] * 0.98 + g * 0.02
            p.grad.data = p.grad.data + state[n] * 2.0
        else:  # window 100, lamb 5.0, warmup: unchanged until the window is full
            state.setdefault(n, collections.deque(maxlen=100)).append(g)
            if len(state[n]) == 100:
                p.grad.data = p.grad.data + sum(state[n]) / 100 * 5.0


def _decoder_setup(run):
    """The Grokfast / NeuralGrok code's data ([T + 1, N]: x op y = answer, sequence first), its
    Decoder, Adam (coupled L2) and the 10-update warmup."""
    ds = run.task.dataset(run.seed)
    data = torch.cat([ds.tokens, ds.labels[:, None]], 1).T
    torch.manual_seed(run.seed)
    model = RefDecoder(run.model.d_model, run.model.n_layers, run.model.n_heads, ds.n_vocab, 5)
    o = run.optim
    opt = torch.optim.Adam(model.parameters(), lr=o.lr, betas=o.betas, weight_decay=o.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda u: 1 if u > 10 else u / 10)
    return ds, data, model, opt, sched


def plain_decoder(run, filt: str | None = None):
    """Grokfast main.py / NeuralGrok run.py: per epoch a shuffle and torch.split into batches of
    512 (last kept), the sequence-first Decoder over all positions, CE on logits[-1], the code's
    filter, clip_grad_norm_ (NeuralGrok), Adam + LambdaLR warmup; validation: the other half."""
    ds, data, model, opt, sched = _decoder_setup(run)
    train, valid = data[:, ds.train_idx], data[:, ds.test_idx]
    o = run.optim
    st: dict = {"batches": [], "filter": {}}

    def step():
        if not st["batches"]:
            st["batches"] = list(torch.split(train[:, torch.randperm(train.shape[1])], 512, 1))
        batch = st["batches"].pop(0)
        logits = model(batch[:-1])
        loss = F.cross_entropy(logits[-1], batch[-1])
        (logits[-1].argmax(-1) == batch[-1]).float().mean().item()  # the code's train accuracy
        model.zero_grad()
        loss.backward()
        if filt:
            _grokfast_filter(filt, model, st["filter"])
        if o.clip_norm:
            torch.nn.utils.clip_grad_norm_(model.parameters(), o.clip_norm)
        opt.step()
        sched.step()

    @torch.no_grad()
    def evaluate_():
        for batch in torch.split(valid, 512, dim=1):
            logits = model(batch[:-1])
            F.cross_entropy(logits[-1], batch[-1]).item()
            (logits[-1].argmax(-1) == batch[-1]).float().mean().item()

    return step, evaluate_, valid.shape[1]


def plain_neuralgrok(run, hidden: tuple[int, ...] = (8, 8), steps_per_meta: int = 4):
    """NeuralGrok's neuralgrad src/train.py: every step the amplifier (Linear(1, h)-ReLU-...-
    Linear(h, 1), softmax over a tensor's entries) replaces each parameter tensor's gradient by
    0.2 (p * g) / |p * g|, then clip_grad_norm_(1.0), Adam, warmup; every 4th step a deep copy,
    the loss again on the same batch, the virtual SGD step w - lr * amp(g) substituted into the
    copy, the mean CE of the outer split through it, and the amplifier's Adam step. Data: 49%
    inner, 1% outer (one batch of 93 at p = 97), the rest held out."""
    ds, data, model, opt, sched = _decoder_setup(run)
    n_outer = int(0.01 * len(ds.tokens))
    outer = data[:, ds.train_idx[:n_outer]]
    inner = data[:, ds.train_idx[n_outer:]]
    dims = [1, *hidden, 1]
    layers = [m for a, b in zip(dims, dims[1:]) for m in (nn.Linear(a, b), nn.ReLU())][:-1]
    amp = nn.Sequential(*layers)
    o = run.optim
    meta_opt = torch.optim.Adam(amp.parameters(), lr=1e-4, betas=o.betas, weight_decay=1e-3)
    st: dict = {"batches": [], "it": 0}

    def amplified(g: torch.Tensor) -> torch.Tensor:
        pg = torch.softmax(amp(g.reshape(-1, 1)), dim=0).view_as(g) * g
        return 0.2 * pg / pg.norm()

    def ce(m, batch):
        return F.cross_entropy(m(batch[:-1])[-1], batch[-1])

    def step_():
        if not st["batches"]:
            st["batches"] = list(torch.split(inner[:, torch.randperm(inner.shape[1])], 512, 1))
        batch = st["batches"].pop(0)
        model.zero_grad()
        ce(model, batch).backward()
        with torch.no_grad():
            for p in model.parameters():
                p.grad = amplified(p.grad)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        st["it"] += 1
        if st["it"] % steps_per_meta == 0:
            twin = copy.deepcopy(model)  # theta_{t+1}
            twin.zero_grad()
            ce(twin, batch).backward()
            virtual = {n: p.detach() - o.lr * amplified(p.grad) for n, p in twin.named_parameters()}
            outer_loss = F.cross_entropy(
                torch.func.functional_call(twin, virtual, (outer[:-1],))[-1], outer[-1]
            )
            meta_opt.zero_grad()
            outer_loss.backward()
            meta_opt.step()

    return step_, None, None


class EinsumTransformer(nn.Module):
    """Nanda et al.'s hand-written transformer (and the MED code's, n_layers 2): every position,
    einsum attention with a -1e10 causal mask, ReLU MLP, no LayerNorm, N(0, 1/d_model) inits."""

    def __init__(self, d_vocab: int, n_out: int, n_layers: int, d: int = 128, h: int = 4):
        super().__init__()
        s, dh, f = 1 / math.sqrt(d), d // h, 4 * d
        self.dh = dh
        self.W_E = nn.Parameter(torch.randn(d, d_vocab) * s)
        self.W_pos = nn.Parameter(torch.randn(3, d) * s)
        blocks = []
        for _ in range(n_layers):
            blocks.append(
                nn.ParameterDict(
                    {
                        "W_Q": nn.Parameter(torch.randn(h, dh, d) * s),
                        "W_K": nn.Parameter(torch.randn(h, dh, d) * s),
                        "W_V": nn.Parameter(torch.randn(h, dh, d) * s),
                        "W_O": nn.Parameter(torch.randn(d, d) * s),
                        "W_in": nn.Parameter(torch.randn(f, d) * s),
                        "b_in": nn.Parameter(torch.zeros(f)),
                        "W_out": nn.Parameter(torch.randn(d, f) * s),
                        "b_out": nn.Parameter(torch.zeros(d)),
                    }
                )
            )
        self.blocks = nn.ModuleList(blocks)
        self.W_U = nn.Parameter(torch.randn(d, n_out) / math.sqrt(n_out))
        self.register_buffer("mask", torch.tril(torch.ones(3, 3)))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:  # [B, 3] -> [B, 3, n_out]
        x = torch.einsum("dbp->bpd", self.W_E[:, tokens]) + self.W_pos
        for b in self.blocks:
            k = torch.einsum("ihd,bpd->biph", b["W_K"], x)
            q = torch.einsum("ihd,bpd->biph", b["W_Q"], x)
            v = torch.einsum("ihd,bpd->biph", b["W_V"], x)
            scores = torch.einsum("biph,biqh->biqp", k, q)
            masked = torch.tril(scores) - 1e10 * (1 - self.mask)
            z = torch.einsum("biph,biqp->biqh", v, F.softmax(masked / math.sqrt(self.dh), -1))
            x = x + torch.einsum("df,bqf->bqd", b["W_O"], z.permute(0, 2, 1, 3).flatten(2))
            pre = torch.einsum("md,bpd->bpm", b["W_in"], x) + b["b_in"]
            x = x + torch.einsum("dm,bpm->bpd", b["W_out"], F.relu(pre)) + b["b_out"]
        return x @ self.W_U


def plain_transformer(run):
    """Nanda's / the MED code's loop: full batch, the whole model at every position, float32
    log-softmax of the last position's logits, AdamW + LambdaLR warmup; evaluation: train and
    test loss and accuracy (the MED code's every epoch; Nanda's test loss)."""
    ds = run.task.dataset(run.seed)
    x, y = ds.tokens, ds.labels
    xt, yt, xv, yv = x[ds.train_idx], y[ds.train_idx], x[ds.test_idx], y[ds.test_idx]
    torch.manual_seed(run.seed)
    n_out = ds.n_vocab if run.model.readout == "vocab" else ds.n_classes
    model = EinsumTransformer(ds.n_vocab, n_out, run.model.n_layers)
    o = run.optim
    opt = torch.optim.AdamW(model.parameters(), lr=o.lr, weight_decay=o.weight_decay, betas=o.betas)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(s / 10, 1))

    def loss_of(xs, ys):
        logits = model(xs)[:, -1]
        logprobs = F.log_softmax(logits.to(torch.float32), dim=-1)
        return -torch.gather(logprobs, index=ys[:, None], dim=-1).mean(), logits

    def step():
        loss, _ = loss_of(xt, yt)
        loss.backward()
        opt.step()
        sched.step()
        opt.zero_grad()

    @torch.no_grad()
    def evaluate_():
        for xs, ys in ((xt, yt), (xv, yv)):
            loss, logits = loss_of(xs, ys)
            loss.item(), (logits.argmax(-1) == ys).float().mean().item()

    return step, evaluate_, len(x)


def plain_mlp(run):
    """The EGD code's MLP (JAX, translated): dense concatenated one-hot inputs, ReLU(x W1 + b1) W2,
    mean CE + 0.5 * 1e-4 * (|W1|^2 + |W2|^2), SGD, batches of 512 of a per-epoch shuffle with the
    remainder dropped; evaluation: train and test accuracy and loss every epoch."""
    ds = run.task.dataset(run.seed)
    p = run.task.p
    onehot = torch.cat([F.one_hot(ds.tokens[:, 0], p), F.one_hot(ds.tokens[:, 1], p)], 1).float()
    xt, yt = onehot[ds.train_idx], ds.labels[ds.train_idx]
    xv, yv = onehot[ds.test_idx], ds.labels[ds.test_idx]
    g = torch.Generator().manual_seed(run.seed)
    h, bs = run.model.width, run.optim.batch_size
    W1 = nn.Parameter(torch.randn(2 * p, h, generator=g) * math.sqrt(2 / (2 * p)))
    b1 = nn.Parameter(torch.zeros(h))
    W2 = nn.Parameter(torch.randn(h, p, generator=g) * math.sqrt(2 / h))
    opt = torch.optim.SGD([W1, b1, W2], lr=run.optim.lr)
    per_epoch = len(xt) // bs
    st = {"order": None, "j": per_epoch}

    def forward(xs):
        return F.relu(xs @ W1 + b1) @ W2

    def step():
        if st["j"] == per_epoch:
            st["order"], st["j"] = torch.randperm(len(xt), generator=g), 0
        idx = st["order"][st["j"] * bs : (st["j"] + 1) * bs]
        st["j"] += 1
        l2 = 0.5 * run.optim.loss_l2 * (W1.pow(2).sum() + W2.pow(2).sum())
        loss = F.cross_entropy(forward(xt[idx]), yt[idx]) + l2
        opt.zero_grad()
        loss.backward()
        opt.step()

    @torch.no_grad()
    def evaluate_():
        for xs, ys in ((xt, yt), (xv, yv)):
            out = forward(xs)
            F.cross_entropy(out, ys).item(), (out.argmax(1) == ys).float().mean().item()

    return step, evaluate_, len(onehot)


def plain_fastgrok(run):
    """fastgrok.py train_model: every step randperm(n_train)[:64], forward, CE, AdamW (amsgrad);
    validation (loss and accuracy on the held-out set) every 4 steps."""
    ds = run.task.dataset(run.seed)
    x, y = ds.tokens[ds.train_idx], ds.labels[ds.train_idx]
    vx, vy = ds.tokens[ds.test_idx], ds.labels[ds.test_idx]
    torch.manual_seed(run.seed)
    model = RefFastgrok(run.task.p, 64, 1, norm=True, bias=False, rope=True, act="relu")
    o = run.optim
    opt = torch.optim.AdamW(
        model.parameters(),
        lr=o.lr,
        weight_decay=o.weight_decay,
        amsgrad=True,
        betas=o.betas,
        eps=o.eps,
    )

    def step():
        opt.zero_grad()
        idx = torch.randperm(len(x))[: o.batch_size]
        F.cross_entropy(model(x[idx]), y[idx]).backward()
        opt.step()

    @torch.no_grad()
    def evaluate_():
        out = model(vx)
        F.cross_entropy(out, vy).item(), (out.argmax(1) == vy).float().mean().item()

    return step, evaluate_, len(vx)
