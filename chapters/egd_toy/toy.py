"""EGD paper §3: a linear model on anisotropic data that groks after a plateau of length ~1/eps.

Gradient descent on l(w) = |Xw - Y|^2 / n follows eq. (2), w(k) = A w(k-1) + b with
A = I - eta Sigma_hat and b = eta X^T Y / n, whose solution (eq. 4) is
w(k) = A^k w(0) + (I - A^k) w_ols. EGD in the toy (eq. 9) preconditions by Sigma_hat^{-1}:
w(k) = a^k w(0) + (1 - a^k) w_ols with a = 1 - eta. We evaluate these exact iterates at any k
from the sufficient statistics (Sigma_hat, X^T Y / n) of a sampled training set; a unit test
checks them against an explicit autograd loop. Test error is measured on a sampled test set.
"""
from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass

import torch

from grokcore import __version__
from grokcore.config import ConfigError, Experiment, config_key
from grokcore.data import toy_test, toy_train
from grokcore.records import RunRecord, new_record


@dataclass(frozen=True)
class ToyConfig(Experiment):
    """One toy run. The paper's Fig. 6 values were lost with its figures: ours are chosen so
    that the plateau spans 1e1..1e5 iterations over the eps sweep (see chapter 1)."""

    eps: float = 0.01  # variance of the slow feature x2 (EGD §3)
    theta_deg: float = 45.0  # angle between v and e1 (EGD §3: theta in (0, 90))
    s: float = 0.5  # train margin: |x1| >= s (EGD §3)
    n: int = 1_000_000  # train samples; Theorem 1 holds for large n
    n_test: int = 20_000  # test samples
    n_train_eval: int = 20_000  # train samples on which train error is measured
    lr: float = 0.5  # step size eta (EGD eq. 2); stable for eta * m2 < 2
    init_scale: float = 10.0  # zeta = |w(0)| (EGD Fig. 6)
    init_angle_deg: float = 90.0  # direction of w(0) from e1 (90: all in the slow feature)
    method: str = "gd"  # "gd" (eq. 2) or "egd" (eq. 9)
    num_steps: int = 100_000  # iteration budget
    seed: int = 0

    def __post_init__(self) -> None:
        def bad(name, allowed):
            raise ConfigError(f"ToyConfig.{name}={getattr(self, name)!r} is invalid: allowed {allowed}")

        if not 0 < self.eps <= 1:
            bad("eps", "a number in (0, 1]")
        if not 0 < self.theta_deg < 90:
            bad("theta_deg", "a number in (0, 90)")
        if not self.s >= 0:
            bad("s", "a number >= 0")
        for name in ("n", "n_test", "n_train_eval", "num_steps"):
            v = getattr(self, name)
            if not (isinstance(v, int) and v > 0):
                bad(name, "a positive integer")
        if self.method not in ("gd", "egd"):
            bad("method", "'gd' or 'egd'")
        if not self.init_scale > 0:
            bad("init_scale", "a positive number")
        if not 0 < self.lr * self.m2 < 2:
            bad("lr", f"a number in (0, {2 / self.m2:.3f}) (GD is stable for lr * m2 < 2)")

    @property
    def m1(self) -> float:
        """E|x1| = phi(s) / Q(s) (EGD eq. 5)."""
        return _phi(self.s) / _q(self.s)

    @property
    def m2(self) -> float:
        """E[x1^2] = 1 + s m1 (EGD eq. 5)."""
        return 1 + self.s * self.m1

    @property
    def u(self) -> tuple[float, float]:
        """The initialization w(0), of norm init_scale."""
        a = math.radians(self.init_angle_deg)
        return (self.init_scale * math.cos(a), self.init_scale * math.sin(a))

    @property
    def stack_key(self) -> str:
        """Runs that share sampled data (same eps, sizes; any init, method or seed) form one unit,
        so each seed's data is drawn once per unit."""
        return config_key((self.eps, self.theta_deg, self.s, self.n, self.n_test, self.n_train_eval))

    @classmethod
    def train(cls, cfgs: list, device: str = "cpu") -> list[RunRecord]:
        return _run_unit(cfgs, device)


def _phi(x: float) -> float:
    return math.exp(-x * x / 2) / math.sqrt(2 * math.pi)


def _q(x: float) -> float:
    return 0.5 * math.erfc(x / math.sqrt(2))


def step_grid(num_steps: int, n_linear: int = 100, n_log: int = 400) -> list[int]:
    """Every step up to n_linear, then log-spaced steps up to num_steps."""
    lin = range(min(n_linear, num_steps) + 1)
    log = torch.logspace(math.log10(max(n_linear, 1)), math.log10(num_steps), n_log, dtype=torch.float64)
    return sorted(set(lin) | set(int(round(v)) for v in log.tolist()) | {num_steps})


# ---- Theorem 1 ------------------------------------------------------------------------------

def theory_error(cfg: ToyConfig, steps) -> torch.Tensor:
    """Test error of w(k) by Theorem 1 (large n), for k in steps: float64 [len(steps)].

    Uses the orthant formula of the theorem's proof, E = (1 - (acos r_wv - acos r_we) / acos r) / 2
    with w(k) ~ (mu_k, nu_k) from Lemma 2. It equals the theorem's min(1, acos r_k / acos r)
    when w(k) lies on v's side of e1 (as with our default init), and is also right on the other side."""
    k = torch.as_tensor(steps, dtype=torch.float64)
    eps, th = cfg.eps, math.radians(cfg.theta_deg)
    u1, u2 = cfg.u
    ratio = cfg.m1 / cfg.m2  # w_ols ~ (m1 / m2, 0) (Lemma 1)
    if cfg.method == "gd":
        alpha, beta = 1 - cfg.lr * cfg.m2, 1 - cfg.lr * eps
    else:  # eq. (10): both directions contract at a = 1 - eta
        alpha = beta = 1 - cfg.lr
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
    return {"sigma": x.T @ x / n,  # [2, 2] Sigma_hat
            "xty": x.T @ y / n,  # [2]
            "x_eval": x[:n_train_eval].clone(), "y_eval": y[:n_train_eval].clone(),
            "x_test": xt, "y_test": yt}


def iterates(cfg: ToyConfig, stats: dict[str, torch.Tensor], steps) -> torch.Tensor:
    """Exact w(k) of eq. (2) (gd) or eq. (9) (egd) for k in steps: [len(steps), 2] float64."""
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


def first_below(err_at, steps: list[int], errs: list[float], level: float = 0.5) -> int | None:
    """First iteration k with err_at(k) <= level, exact to one step: the first grid point below
    the level, then bisection back to the previous grid point. None if never reached."""
    j = next((i for i, e in enumerate(errs) if e <= level), None)
    if j is None:
        return None
    lo, hi = (steps[j - 1], steps[j]) if j else (steps[0] - 1, steps[0])
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if err_at(mid) <= level else (mid, hi)
    return hi


def simulate(cfg: ToyConfig) -> RunRecord:
    """One toy run: test and train error on the step grid, plateau lengths, Theorem 1's plateau."""
    t0 = time.perf_counter()
    stats = sample(cfg)
    steps = step_grid(cfg.num_steps)
    w = iterates(cfg, stats, steps)
    test_err = error(stats["x_test"], stats["y_test"], w).tolist()
    train_err = error(stats["x_eval"], stats["y_eval"], w).tolist()
    theory = theory_error(cfg, steps).tolist()

    def sim_at(k: int) -> float:
        return error(stats["x_test"], stats["y_test"], iterates(cfg, stats, [k])).item()

    summary = {"last_step": cfg.num_steps,
               "plateau": first_below(sim_at, steps, test_err),
               "plateau_theory": first_below(lambda k: theory_error(cfg, [k]).item(), steps, theory),
               "max_gap_theory": max(abs(a - b) for a, b in zip(test_err, theory))}
    wall = time.perf_counter() - t0
    history = {"step": steps, "test_err": test_err, "train_err": train_err, "theory_err": theory,
               "w1": w[:, 0].tolist(), "w2": w[:, 1].tolist()}
    # iterates are exact closed forms, so "steps" are iterations covered, not loop turns
    meta = {"wall_s": wall, "steps_per_s": cfg.num_steps / wall, "closed_form": True, "torch": torch.__version__,
            "device": "cpu", "grokcore": __version__, "stack_size": 1}
    return new_record(cfg, history, summary, meta)


def _run_unit(cfgs: list[ToyConfig], device: str) -> list[RunRecord]:
    # seed-major order: every run of one seed reads the same sample (cached by _sample)
    return [simulate(c) for c in sorted(cfgs, key=lambda c: c.seed)]



# ---- what the chapter reads ------------------------------------------------------------------

SCALES = {  # sizes per scale; a notebook parameter left as None takes these
    "smoke": {"n": 20_000, "n_test": 2_000, "seeds": 2, "eps_sweep": [0.1, 0.01, 0.001],
              "init_scales": [0.01, 10.0], "num_steps": 20_000},
    "cpu": {"n": 1_000_000, "n_test": 20_000, "seeds": 5,
            "eps_sweep": [0.1, 0.03, 0.01, 0.003, 0.001, 0.0003],
            "init_scales": [0.01, 0.1, 1.0, 10.0, 100.0], "num_steps": 100_000},
    "paper": {"n": 10_000_000, "n_test": 100_000, "seeds": 20,
              "eps_sweep": [0.1, 0.03, 0.01, 0.003, 0.001, 0.0003, 0.0001],
              "init_scales": [0.01, 0.1, 1.0, 10.0, 100.0], "num_steps": 300_000},
}


def sweep(base: ToyConfig, eps_values, init_scales, methods=("gd", "egd"), seeds=range(5)) -> list[ToyConfig]:
    """Every (method, init_scale, eps, seed) combination around base."""
    from dataclasses import replace

    return [replace(base, method=m, init_scale=float(z), eps=float(e), seed=int(s))
            for m in methods for z in init_scales for e in eps_values for s in seeds]


def by_cell(records: list[RunRecord]) -> dict[tuple[str, float, float], list[RunRecord]]:
    """Group records by (method, init_scale, eps); each list is ordered by seed."""
    cells: dict[tuple, list] = {}
    for r in sorted(records, key=lambda r: r.config["seed"]):
        c = r.config
        cells.setdefault((c["method"], c["init_scale"], c["eps"]), []).append(r)
    return cells


def plateau_scaling(cells, method: str, init_scale: float, eps_values) -> dict[str, list]:
    """Per seed: the log-log slope of plateau vs 1/eps, and the slope of plateau vs ln(1/eps).

    A seed whose plateau is censored at some eps gives None for both."""
    from grokcore.outcomes import linfit, loglog_slope

    n_seeds = len(cells[(method, init_scale, eps_values[0])])
    out = {"loglog": [], "per_efold": []}
    for i in range(n_seeds):
        ks = [cells[(method, init_scale, e)][i].summary["plateau"] for e in eps_values]
        if any(k is None for k in ks):
            out["loglog"].append(None)
            out["per_efold"].append(None)
            continue
        inv = [1 / e for e in eps_values]
        out["loglog"].append(loglog_slope(inv, ks))
        out["per_efold"].append(linfit([math.log(v) for v in inv], ks)[0])
    return out


def train_error_at(rec: RunRecord, k: int) -> float:
    """Train error at the last recorded iteration <= k."""
    h = rec.history
    j = max(i for i, s in enumerate(h["step"]) if s <= k)
    return h["train_err"][j]


def measurements(cells, eps: float, eps_values, large: float, small: float) -> dict[str, list]:
    """Per-seed values behind chapter 1's claims (None marks a censored seed)."""
    n_seeds = len(cells[("gd", large, eps)])
    e_min = min(eps_values)

    def plateau(method, zeta, e, i):
        return cells[(method, zeta, e)][i].summary["plateau"]

    out = {"loglog_large": plateau_scaling(cells, "gd", large, eps_values)["loglog"]}
    small_fit = plateau_scaling(cells, "gd", small, eps_values)
    out["per_efold_small"], out["loglog_small"] = small_fit["per_efold"], small_fit["loglog"]
    out["small_over_large"] = [
        plateau("gd", small, e_min, i) / plateau("gd", large, e_min, i)
        if plateau("gd", small, e_min, i) and plateau("gd", large, e_min, i) else None
        for i in range(n_seeds)]
    out["theory_gap"] = [max(cells[("gd", z, eps)][i].summary["max_gap_theory"] for z in (large, small))
                         for i in range(n_seeds)]
    out["train_err_mid_plateau"] = [
        train_error_at(cells[("gd", large, eps)][i], plateau("gd", large, eps, i) // 2)
        if plateau("gd", large, eps, i) else None for i in range(n_seeds)]
    egd = [[c[i].summary["plateau"] for (m, _, _), c in cells.items() if m == "egd"] for i in range(n_seeds)]
    out["egd_max_plateau"] = [None if None in ks else max(ks) for ks in egd]
    return out
