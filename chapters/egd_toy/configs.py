"""Chapter 1's runs: the toy's config (ToyConfig), the scale presets (SCALES) and the sweep.

A ToyConfig is one run of EGD §3's linear model (chapters.egd_toy.toy) with one of four update
rules (METHODS). GD (eq. 2) and the Σ̂⁻¹-preconditioned step (eq. 9) have closed-form iterates,
so such a run costs a sample of the data and a few matrix products; EGD as eq. 11 defines it and
minibatch SGD have none and are iterated (a fraction of a second per 10^5 iterations). Runs that
share sampled data (same eps and sizes) form one unit, so each seed's data is drawn once per unit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from grokcore.config import KEY_OMITS_DEFAULT, ConfigError, Experiment, config_key
from grokcore.records import RunRecord

from . import toy

METHODS = {  # ToyConfig.method -> the update rule it runs (chapters.egd_toy.toy)
    "gd": "GD, eq. 2 (closed form, eq. 4)",
    "egd": "the Σ̂⁻¹-preconditioned step of eq. 9 (closed form, eq. 10): the chapter's 'EGD'",
    "egd11": "EGD as eq. 11 defines it: (g gᵀ)^(-1/2) g = g/‖g‖ on the toy's 1×2 gradient",
    "sgd": "minibatch SGD on the loss (1), batches drawn with replacement",
}
LARGE_INIT_ONLY = ("sgd",)  # methods the sweep runs at the large init only (their one row reads it)


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
    method: str = "gd"  # a key of METHODS: "gd" (eq. 2), "egd" (eq. 9), "egd11" (eq. 11), "sgd"
    num_steps: int = 100_000  # iteration budget
    seed: int = 0
    # SGD's minibatch (method "sgd" only). The paper gives no batch size for the toy: 32 is the
    # one EGD §5.1 uses (sparse parity). Left out of the key at its default, so the configs of
    # the other methods keep the keys they had before SGD was added.
    batch_size: int = field(default=32, metadata=KEY_OMITS_DEFAULT)

    def __post_init__(self) -> None:
        def bad(name, allowed):
            raise ConfigError(
                f"ToyConfig.{name}={getattr(self, name)!r} is invalid: allowed {allowed}"
            )

        if not 0 < self.eps <= 1:
            bad("eps", "a number in (0, 1]")
        if not 0 < self.theta_deg < 90:
            bad("theta_deg", "a number in (0, 90)")
        if not self.s >= 0:
            bad("s", "a number >= 0")
        for name in ("n", "n_test", "n_train_eval", "num_steps", "batch_size"):
            v = getattr(self, name)
            if not (isinstance(v, int) and not isinstance(v, bool) and v > 0):
                bad(name, "a positive integer")
        if self.method not in METHODS:
            bad("method", "one of " + ", ".join(map(repr, METHODS)))
        if self.method == "sgd" and self.batch_size > self.n:
            bad("batch_size", f"an integer from 1 to n = {self.n} (the training set's size)")
        default_batch = type(self).__dataclass_fields__["batch_size"].default
        if self.method != "sgd" and self.batch_size != default_batch:
            # full-batch methods never read it: another value would give one run two keys
            bad("batch_size", f"{default_batch} (the default) unless method is 'sgd'")
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
        return config_key(
            (self.eps, self.theta_deg, self.s, self.n, self.n_test, self.n_train_eval)
        )

    @classmethod
    def train(cls, cfgs: list, device: str = "cpu") -> list[RunRecord]:
        """Simulate a unit's runs (closed forms, always on the CPU: `device` is not used)."""
        # seed-major order: every run of one seed reads the same sample (cached by toy.sample)
        return [toy.simulate(c) for c in sorted(cfgs, key=lambda c: c.seed)]


def _phi(x: float) -> float:
    """Standard normal density."""
    return math.exp(-x * x / 2) / math.sqrt(2 * math.pi)


def _q(x: float) -> float:
    """Standard normal tail Q(x) = P(z >= x)."""
    return 0.5 * math.erfc(x / math.sqrt(2))


def sweep(
    base: ToyConfig,
    eps_values,
    init_scales,
    methods=("gd", "egd"),
    seeds=range(5),
    *,
    large: float | None = None,
    batch_size: int | None = None,
) -> list[ToyConfig]:
    """Every (method, init_scale, eps, seed) combination around base; the methods of
    LARGE_INIT_ONLY (SGD) at the large init scale `large` only. batch_size: SGD's (None: base's)."""
    if large is None and any(m in LARGE_INIT_ONLY for m in methods):
        raise ValueError(f"sweep: methods {list(methods)} include SGD, which needs large=")
    batch = {"batch_size": batch_size} if batch_size is not None else {}
    return [
        replace(
            base,
            method=m,
            init_scale=float(z),
            eps=float(e),
            seed=int(s),
            **(batch if m == "sgd" else {}),
        )
        for m in methods
        for z in ([large] if m in LARGE_INIT_ONLY else init_scales)
        for e in eps_values
        for s in seeds
    ]
