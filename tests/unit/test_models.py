import dataclasses

import pytest
import torch

from grokcore.config import MLPConfig, TransformerConfig
from grokcore.models import MLP, Linear, Transformer


def test_mlp_gather_equals_dense_one_hot():
    p = 7
    m = MLP(MLPConfig(width=16), 2 * p, p, seeds=[0, 1], dtype=torch.float64, n_vocab=p)
    x = torch.randint(0, p, (2, 5, 2))
    onehot = torch.cat(
        [torch.nn.functional.one_hot(x[..., 0], p), torch.nn.functional.one_hot(x[..., 1], p)], -1
    )
    dense = torch.relu(onehot.double() @ m.W1 + m.b1[:, None]) @ m.W2
    assert torch.allclose(m(x), dense)
    assert m(x).shape == (2, 5, p)


def test_mlp_init_is_he_normal_and_per_seed():
    m = MLP(MLPConfig(width=512), 194, 97, seeds=[0, 1], dtype=torch.float64, n_vocab=97)
    assert abs(m.W1.std().item() - (2 / 194) ** 0.5) < 0.01
    assert torch.all(m.b1 == 0) and not hasattr(m, "b2")
    single = MLP(MLPConfig(width=512), 194, 97, seeds=[1], dtype=torch.float64, n_vocab=97)
    assert torch.equal(single.W1[0], m.W1[1])
    he = MLP(MLPConfig(width=8, b1_init="he", output_bias=True), 50, 1, seeds=[0])
    assert he.b1.abs().sum() > 0 and hasattr(he, "b2")
    assert he(torch.randn(1, 3, 50)).shape == (1, 3)


def test_transformer_shapes_and_parameter_count():
    cfg = TransformerConfig()  # Nanda et al. 2023: 1 layer, d 128, 4 heads, d_mlp 512
    t = Transformer(cfg, n_vocab=114, n_ctx=3, n_classes=113, seeds=[0])
    n = sum(p.numel() for p in t.parameters())
    d = 128
    assert n == 114 * d + 3 * d + 4 * d * d + 2 * d * 512 + 512 + d + d * 113
    assert t(torch.randint(0, 114, (1, 9, 3))).shape == (1, 9, 113)


def _full_reference(t: Transformer, tokens):
    """Every position through every layer, then read the last position (the usual way)."""
    m, b, n_ctx = tokens.shape
    x = torch.stack([t.W_E[i][tokens[i]] for i in range(m)]) + t.W_pos[:, None, :n_ctx]
    for i in range(t.cfg.n_layers):
        h = t._ln(x, f"{i}_ln1_w", f"{i}_ln1_b")
        x = x + t._attend(i, *t._qkv(i, h, read_out=False), causal=True)
        x = x + t._mlp(i, t._ln(x, f"{i}_ln2_w", f"{i}_ln2_b"))
    x = t._ln(x[:, :, -1], "ln_f_w", "ln_f_b")
    return torch.bmm(x, t.W_U)


def test_last_position_shortcut_equals_full_forward():
    for cfg in (
        TransformerConfig(n_layers=2, d_model=32, n_heads=4, d_mlp=64, layer_norm=True, act="gelu"),
        TransformerConfig(n_layers=1, d_model=16, n_heads=2, d_mlp=32),
    ):
        t = Transformer(cfg, n_vocab=13, n_ctx=4, n_classes=11, seeds=[0, 3], dtype=torch.float64)
        for batch in (
            6,
            40,
        ):  # 6 < 13 tokens: direct path; 40: layer 0 from (token, position) tables
            tokens = torch.randint(0, 13, (2, batch, 4))
            assert torch.allclose(t(tokens), _full_reference(t, tokens), atol=1e-12)


def test_layer0_tables_give_the_same_gradients():
    cfg = TransformerConfig(n_layers=2, d_model=16, n_heads=2, d_mlp=32, layer_norm=True)
    t = Transformer(cfg, n_vocab=9, n_ctx=3, n_classes=7, seeds=[0, 1], dtype=torch.float64)
    tokens = torch.randint(0, 9, (2, 30, 3))
    t(tokens).square().sum().backward()  # 9 <= 30: the table path
    fast = {n: p.grad.clone() for n, p in t.named_parameters()}
    t.zero_grad()
    _full_reference(t, tokens).square().sum().backward()
    for n, p in t.named_parameters():
        assert torch.allclose(fast[n], p.grad, atol=1e-10), n


@pytest.mark.parametrize("n_layers,layer_norm,act", [(2, False, "relu"), (3, True, "gelu")])
def test_per_token_first_is_the_same_function(n_layers, layer_norm, act):
    """TransformerConfig.per_token_first: position 0 once per token; same values, gradients and
    kept MLP activations as the plain path (float64), and the plain path when batch < vocab."""
    cfg = TransformerConfig(
        n_layers=n_layers, d_model=16, n_heads=2, d_mlp=32, layer_norm=layer_norm, act=act
    )
    plain = Transformer(cfg, n_vocab=9, n_ctx=3, n_classes=7, seeds=[0, 1], dtype=torch.float64)
    fast = Transformer(
        dataclasses.replace(cfg, per_token_first=True),
        n_vocab=9,
        n_ctx=3,
        n_classes=7,
        seeds=[0, 1],
        dtype=torch.float64,
    )
    assert all(torch.equal(a, b) for a, b in zip(plain.parameters(), fast.parameters()))
    for batch in (30, 5):  # 9 <= 30: the per-token path; 5 < 9: the plain one
        tokens = torch.randint(0, 9, (2, batch, 3))
        kp, kf = {}, {}
        yp, yf = plain(tokens, kp), fast(tokens, kf)
        assert torch.allclose(yp, yf, atol=1e-12)
        assert kp.keys() == kf.keys() and all(torch.allclose(kp[i], kf[i], atol=1e-12) for i in kp)
        plain.zero_grad()
        fast.zero_grad()
        yp.square().sum().backward()
        yf.square().sum().backward()
        for (n, a), b in zip(plain.named_parameters(), fast.parameters()):
            assert torch.allclose(a.grad, b.grad, atol=1e-10), n


def test_per_token_first_first_position_depends_on_first_token_only():
    cfg = TransformerConfig(n_layers=2, d_model=16, n_heads=2, d_mlp=32, per_token_first=True)
    t = Transformer(cfg, n_vocab=9, n_ctx=3, n_classes=7, seeds=[0], dtype=torch.float64)
    tokens = torch.randint(0, 9, (1, 20, 3))
    keep = {}
    t(tokens, keep)
    same = tokens[0, :, 0] == tokens[0, 0, 0]  # examples sharing the first token
    assert torch.equal(keep[0][0, same, 0], keep[0][0, :1, 0].expand(int(same.sum()), -1))


def test_attention_is_causal():
    cfg = TransformerConfig(n_layers=2, d_model=16, n_heads=2, d_mlp=32)
    t = Transformer(cfg, n_vocab=10, n_ctx=4, n_classes=10, seeds=[0], dtype=torch.float64)
    a = torch.tensor([[[1, 2, 3, 4]]])
    # changing a later token never changes an earlier position in a non-final layer
    x = t.W_E[0][a[0]][None] + t.W_pos[:, None]
    h1 = t._attend(0, *t._qkv(0, x, read_out=False), causal=True)
    b = a.clone()
    b[..., 3] = 9
    x2 = t.W_E[0][b[0]][None] + t.W_pos[:, None]
    assert torch.allclose(
        t._attend(0, *t._qkv(0, x2, read_out=False), causal=True)[..., :3, :], h1[..., :3, :]
    )


def test_linear_and_weight_norm():
    lin = Linear(2, 1, seeds=[0, 1], init_std=1.0)
    x = torch.randn(2, 4, 2, dtype=torch.float64)
    assert torch.allclose(lin(x), (x @ lin.w).squeeze(-1))
    assert torch.allclose(lin.weight_norm(), lin.w.flatten(1).norm(dim=1))
