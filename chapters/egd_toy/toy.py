"""EGD paper §3's toy: a linear model on anisotropic data that groks after a plateau of ~1/eps.

Gradient descent on l(w) = |Xw - Y|^2 / n follows eq. (2), w(k) = A w(k-1) + b with
A = I - eta Sigma_hat and b = eta X^T Y / n, whose solution (eq. 4) is
w(k) = A^k w(0) + (I - A^k) w_ols. The paper's toy analysis of EGD (eq. 9) preconditions by
Sigma_hat^{-1}: w(k) = a^k w(0) + (1 - a^k) w_ols with a = 1 - eta (method "egd", the chapter's
"EGD"). We evaluate these exact iterates at any k from the sufficient statistics
(Sigma_hat, X^T Y / n) of a sampled training set; a unit test checks them against an explicit
autograd loop. Test error is measured on a sampled test set. Two more methods have no closed
form and are iterated (chapters.egd_toy.iterated): EGD as eq. 11 defines it ("egd11": normalized
GD on the toy's 1x2 gradient) and minibatch SGD ("sgd"). The runs' configuration is
chapters.egd_toy.configs.ToyConfig.

This is the one model that does not train through grokcore.train.train_stack: iteration k of
eq. (2) or (9) is evaluated in closed form, so a run of 10^5 iterations at n = 10^7 samples costs
one pass over the data (a loop would cost 10^5 passes); eq. 11 needs only the sufficient
statistics per step, and SGD a minibatch.
"""

from __future__ import annotations

import functools
import math
import time
from typing import TYPE_CHECKING, Callable

import torch

from grokcore import __version__
from grokcore.records import RunRecord, new_record

from . import iterated

if TYPE_CHECKING:
    from .configs import ToyConfig

CLOSED_FORM = ("gd", "egd")  # methods with exact iterates at any k (eq. 4 and 10)


# ---- data -----------------------------------------------------------------------------------


def toy_train(
    n: int, eps: float, s: float, g: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """EGD §3 train set: z ~ N(0, diag(1, eps)) conditioned on |z1| >= s; y = sign(z1).

    z1 is drawn exactly from the folded truncated normal by inverting its CDF. Returns
    x [n, 2] float64 and y [n] float64 in {-1, +1}."""
    q = 0.5 * math.erfc(s / math.sqrt(2))  # Q(s) = P(z1 >= s)
    u = 1 - torch.rand(n, generator=g, dtype=torch.float64)  # (0, 1]: never the -inf of ndtri(0)
    z1 = (-torch.special.ndtri(q * u)).clamp_min(s)  # Q(z1) = q u, so z1 >= s with density phi/Q(s)
    sign = torch.randint(0, 2, (n,), generator=g).double() * 2 - 1
    z2 = torch.randn(n, generator=g, dtype=torch.float64) * math.sqrt(eps)
    return torch.stack([sign * z1, z2], dim=1), sign


def toy_test(
    n: int, eps: float, theta: float, g: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """EGD §3 test set: z ~ N(0, diag(1, eps)) conditioned on (z.v) z1 <= 0, v = (cos t, sin t).

    Sampled exactly in whitened coordinates z0 = Sigma^{-1/2} z, where the event is a double
    wedge between the directions of e1 and Sigma^{1/2} v: a uniform angle in the wedge and a
    chi(2) radius. Returns x [n, 2] and y = sign(x1) [n], both float64."""
    width = math.atan2(math.sqrt(eps) * math.sin(theta), math.cos(theta))  # angle of Sigma^1/2 v
    # the event (z0.e1)(z0.vbar) <= 0 is the wedge of angles in (90 deg, 90 deg + width], mod pi
    ang = math.pi / 2 + width * torch.rand(n, generator=g, dtype=torch.float64)
    ang = ang + math.pi * torch.randint(0, 2, (n,), generator=g).double()  # both halves
    r = torch.sqrt(-2 * torch.log1p(-torch.rand(n, generator=g, dtype=torch.float64)))
    z0 = torch.stack([r * torch.cos(ang), r * torch.sin(ang)], dim=1)
    x = z0 * torch.tensor([1.0, math.sqrt(eps)], dtype=torch.float64)
    return x, torch.sign(x[:, 0])


def step_grid(num_steps: int, n_linear: int = 100, n_log: int = 400) -> list[int]:
    """Every step up to n_linear, then log-spaced steps up to num_steps."""
    lin = range(min(n_linear, num_steps) + 1)
    log = torch.logspace(
        math.log10(max(n_linear, 1)), math.log10(num_steps), n_log, dtype=torch.float64
    )
    return sorted(set(lin) | set(int(round(v)) for v in log.tolist()) | {num_steps})


# ---- Theorem 1 ------------------------------------------------------------------------------


def theory_error(cfg: ToyConfig, steps) -> torch.Tensor:
    """Test error of w(k) by Theorem 1 (large n), for k in steps: float64 [len(steps)].

    For GD, for eq. 9 (eq. 10's contraction at 1 - eta in both directions) and for SGD, whose
    mean iterate E[w(k)] is GD's (each step's minibatch map is unbiased and independent of
    w(k-1)); the theorem does not cover eq. 11 (ValueError). Uses the orthant formula of the
    theorem's proof, E = (1 - (acos r_wv - acos r_we) / acos r) / 2 with w(k) ~ (mu_k, nu_k)
    from Lemma 2. It equals the theorem's min(1, acos r_k / acos r) when w(k) lies on v's side
    of e1 (as with our default init), and is also right on the other side."""
    k = torch.as_tensor(steps, dtype=torch.float64)
    eps, th = cfg.eps, math.radians(cfg.theta_deg)
    u1, u2 = cfg.u
    ratio = cfg.m1 / cfg.m2  # w_ols ~ (m1 / m2, 0) (Lemma 1)
    if cfg.method in ("gd", "sgd"):
        alpha, beta = 1 - cfg.lr * cfg.m2, 1 - cfg.lr * eps
    elif cfg.method == "egd":  # eq. (10): both directions contract at a = 1 - eta
        alpha = beta = 1 - cfg.lr
    else:
        raise ValueError(f"Theorem 1 does not cover method={cfg.method!r} (eq. 11)")
    mu = alpha**k * u1 + (1 - alpha**k) * ratio
    nu = beta**k * u2
    # angles in whitened coordinates (w -> Sigma^{1/2} w), by atan2: acos loses precision near 1
    ang_w = torch.atan2(math.sqrt(eps) * nu, mu)  # angle of w(k) from e1
    ang_v = math.atan2(math.sqrt(eps) * math.sin(th), math.cos(th))  # = acos r
    a_wv = torch.remainder(ang_w - ang_v + math.pi, 2 * math.pi).sub(math.pi).abs()  # = acos r_wv
    return 0.5 * (1 - (a_wv - ang_w.abs()) / ang_v)


# ---- simulation -----------------------------------------------------------------------------


def sample(cfg: ToyConfig) -> dict[str, torch.Tensor]:
    """Train sufficient statistics, a train-error subsample and a test set, seeded by cfg.seed."""
    return _sample(cfg.eps, cfg.theta_deg, cfg.s, cfg.n, cfg.n_test, cfg.n_train_eval, cfg.seed)


@functools.lru_cache(maxsize=8)
def _sample(eps, theta_deg, s, n, n_test, n_train_eval, seed) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x, y = toy_train(n, eps, s, g)
    xt, yt = toy_test(n_test, eps, math.radians(theta_deg), g)
    return {
        "sigma": x.T @ x / n,  # [2, 2] Sigma_hat
        "xty": x.T @ y / n,  # [2]
        "x_eval": x[:n_train_eval].clone(),
        "y_eval": y[:n_train_eval].clone(),
        "x_test": xt,
        "y_test": yt,
    }


def train_set(cfg: ToyConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """The run's whole training set, x [n, 2] and y [n]: the draw sample() summarizes (the train
    set comes first from the seed's generator), drawn again for SGD's minibatches."""
    return toy_train(cfg.n, cfg.eps, cfg.s, torch.Generator().manual_seed(cfg.seed))


def trajectory(cfg: ToyConfig, stats: dict[str, torch.Tensor], num_steps: int) -> torch.Tensor:
    """Every iterate w(0) .. w(num_steps) of an iterated method (egd11, sgd): [num_steps + 1, 2]."""
    if cfg.method == "egd11":
        return iterated.egd11_path(cfg.u, stats["sigma"], stats["xty"], cfg.lr, num_steps)
    if cfg.method == "sgd":
        x, y = train_set(cfg)
        return iterated.sgd_path(cfg.u, x, y, cfg.lr, cfg.batch_size, num_steps, cfg.seed)
    raise ValueError(f"method={cfg.method!r} has closed-form iterates (iterates)")


def iterates(cfg: ToyConfig, stats: dict[str, torch.Tensor], steps) -> torch.Tensor:
    """w(k) for k in steps: [len(steps), 2] float64. Exact closed forms for eq. (2) (gd) and
    eq. (9) (egd); for egd11 and sgd the iterates of a run up to max(steps)."""
    if cfg.method not in CLOSED_FORM:
        return trajectory(cfg, stats, max(steps))[list(steps)]
    k = torch.as_tensor(steps, dtype=torch.float64)[:, None]  # [K, 1]
    u = torch.tensor(cfg.u, dtype=torch.float64)
    sigma, xty = stats["sigma"], stats["xty"]
    w_ols = torch.linalg.solve(sigma, xty)
    if cfg.method == "egd":  # eq. (10)
        a = 1 - cfg.lr
        return a**k * u + (1 - a**k) * w_ols
    lam, q = torch.linalg.eigh(sigma)  # A^k = Q diag((1 - eta lam)^k) Q^T
    pw = (1 - cfg.lr * lam) ** k  # [K, 2]
    u_q, ols_q = q.T @ u, q.T @ w_ols
    return (pw * u_q + (1 - pw) * ols_q) @ q.T  # eq. (4)


def error(x: torch.Tensor, y: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Fraction misclassified by sign(x w) for each row of w [K, 2]: [K]."""
    wrong = ((x * y[:, None]) @ w.T <= 0).sum(0)  # [K]: counting bools beats a float mean
    return wrong.double() / x.shape[0]


def first_below(
    err_at: Callable[[int], float], steps: list[int], errs: list[float], level: float = 0.5
) -> int | None:
    """First iteration k with err_at(k) <= level, exact to one step: the first grid point below
    the level, then bisection back to the previous grid point. None if never reached.

    A run's plateau (EGD §3: test error down to 1/2), stored in its summary by simulate, for the
    closed-form methods (their test error falls through 1/2 once: see first_along)."""
    j = next((i for i, e in enumerate(errs) if e <= level), None)
    if j is None:
        return None
    lo, hi = (steps[j - 1], steps[j]) if j else (steps[0] - 1, steps[0])
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if err_at(mid) <= level else (mid, hi)
    return hi


def first_along(
    x: torch.Tensor,
    y: torch.Tensor,
    ws: torch.Tensor,
    steps: list[int],
    errs: list[float],
    level: float = 0.5,
) -> int | None:
    """First iteration k with error(x, y, ws[k]) <= level, every iterate scanned: ws [K, 2] holds
    them all (an iterated method's trajectory), errs their errors at the grid steps. None if
    never reached.

    The iterated methods' test error oscillates around 1/2 before it settles (see
    chapters.egd_toy.iterated), so no grid point and bisection can find its first crossing. The
    scan runs to the first grid step at or below the level (or the end) by
    iterated.errors_along, and its answer is checked with error() at k and k - 1; where the
    two counts disagree (a point within rounding of a boundary), error() scans every iterate."""
    j = next((i for i, e in enumerate(errs) if e <= level), None)
    stop = steps[j] if j is not None else ws.shape[0] - 1
    hits = (iterated.errors_along(x, y, ws[: stop + 1]) <= level).nonzero()
    k = int(hits[0]) if len(hits) else None

    def exact_at(i: int) -> float:
        return error(x, y, ws[i : i + 1]).item()

    if k is None and j is None:
        return None
    if k is not None and exact_at(k) <= level and (k == 0 or exact_at(k - 1) > level):
        return k
    chunk = max(1, 2**22 // x.shape[0])  # [n, chunk] products at a time: 32 MB
    for start in range(0, stop + 1, chunk):
        e = error(x, y, ws[start : min(stop + 1, start + chunk)])
        below = (e <= level).nonzero()
        if len(below):
            return start + int(below[0])
    return None


def simulate(cfg: ToyConfig) -> RunRecord:
    """One toy run: test and train error on the step grid, the plateau, Theorem 1's plateau
    (GD and SGD: GD's; eq. 9: eq. 10's; none for eq. 11, which the theorem does not cover)."""
    t0 = time.perf_counter()
    stats = sample(cfg)
    steps = step_grid(cfg.num_steps)
    if cfg.method in CLOSED_FORM:
        w = iterates(cfg, stats, steps)

        def sim_at(k: int) -> float:
            return error(stats["x_test"], stats["y_test"], iterates(cfg, stats, [k])).item()

        def plateau_of(errs: list[float]) -> int | None:
            return first_below(sim_at, steps, errs)
    else:
        ws = trajectory(cfg, stats, cfg.num_steps)  # [num_steps + 1, 2]: every iterate
        w = ws[steps]

        def plateau_of(errs: list[float]) -> int | None:
            return first_along(stats["x_test"], stats["y_test"], ws, steps, errs)

    test_err = error(stats["x_test"], stats["y_test"], w).tolist()
    train_err = error(stats["x_eval"], stats["y_eval"], w).tolist()
    theory = None if cfg.method == "egd11" else theory_error(cfg, steps).tolist()

    summary = {
        "last_step": cfg.num_steps,
        "plateau": plateau_of(test_err),
        "plateau_theory": None,
        "max_gap_theory": None,
    }
    if theory is not None:
        summary["plateau_theory"] = first_below(
            lambda k: theory_error(cfg, [k]).item(), steps, theory
        )
        summary["max_gap_theory"] = max(abs(a - b) for a, b in zip(test_err, theory))
    wall = time.perf_counter() - t0
    history = {
        "step": steps,
        "test_err": test_err,
        "train_err": train_err,
        **({"theory_err": theory} if theory is not None else {}),
        "w1": w[:, 0].tolist(),
        "w2": w[:, 1].tolist(),
    }
    # closed forms: "steps" are iterations covered, not loop turns
    meta = {
        "wall_s": wall,
        "steps_per_s": cfg.num_steps / wall,
        "closed_form": cfg.method in CLOSED_FORM,
        "torch": torch.__version__,
        "device": "cpu",
        "grokcore": __version__,
        "stack_size": 1,
    }
    return new_record(cfg, history, summary, meta)
