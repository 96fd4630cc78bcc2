"""Typed, frozen run configuration with validation and a stable key.

Every default names its source. A config is validated when it is built, so a bad value fails
before anything trains, with a message naming the field and the allowed values.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

# Bump when the meaning of a record changes: old records are then recomputed, never reused.
RECORD_SCHEMA = 2

OPERATIONS = ("x+y", "x-y", "x*y", "x/y", "x^2-y", "a*c+b*d-e", "x^2", "x^2+y^2", "x^3+xy")
LOSSES = ("cross_entropy", "hinge", "mse")
EGD_SOLVERS = ("svd", "eigh", "rsvd", "newton_schulz")
DTYPES = ("float32", "float64")
SAMPLINGS = ("epoch", "iid")


# Field metadata of a field added after records existed: its default is left out of the key,
# so the keys (and cached records) of configs that do not use it stay what they were.
KEY_OMITS_DEFAULT = {"key_omits_default": True}
TOKEN_FORMATS = ("nanda", "neuralgrok", "grokfast")
LAYOUTS = ("random", "square", "strip")  # train-set layouts (MED paper §6.1, Table 1)
EMBED_INITS = ("normal", "toeplitz", "circulant")  # token-embedding init (MED paper App. E)


# class name -> config class, for from_dict (Experiment subclasses and register_config add theirs)
_TYPES: dict[str, type] = {}


class ConfigError(ValueError):
    """An invalid configuration value; the message names the field and what is allowed."""


def is_prime(n: int) -> bool:
    return n >= 2 and all(n % d for d in range(2, int(n**0.5) + 1))


def _check(ok: bool, where: str, name: str, value: Any, allowed: str) -> None:
    if not ok:
        raise ConfigError(f"{where}.{name}={value!r} is invalid: allowed {allowed}")


def _positive_int(where: str, **kw: Any) -> None:
    for name, v in kw.items():
        _check(
            isinstance(v, int) and not isinstance(v, bool) and v > 0,
            where,
            name,
            v,
            "a positive integer",
        )


def _choice(where: str, name: str, value: Any, allowed: tuple) -> None:
    _check(value in allowed, where, name, value, "one of " + ", ".join(map(repr, allowed)))


class TaskConfig:
    """Base of task configs (frozen dataclasses): `dataset(seed)` builds every example and the
    train/test split (a grokcore.data.Dataset); `n_classes` and `n_train` describe it. A chapter
    adds a task by subclassing this."""

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        _TYPES[cls.__name__] = cls

    def dataset(self, seed: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__}.dataset")


@dataclass(frozen=True)
class ModularTask(TaskConfig):
    """(x op y) mod p over all operand pairs, split into train and test.

    Defaults: EGD paper App. B (p = 97, frac_train = 0.5)."""

    operation: str = "x+y"  # key of grokcore.data.OPERATIONS
    p: int = 97  # modulus (EGD App. B: 79, 97, 127)
    frac_train: float = 0.5  # fraction of all pairs used for training (EGD App. B "DR")
    min_y: int = 0  # smallest second operand; NeuralGrok/Grokfast code use 1 (b in 1..p-1)
    split_seed: int | None = None  # seed of the train/test split; None: the run's seed
    # transformer tokens: "nanda" x y = ; "neuralgrok" a b op = (NeuralGrok code);
    # "grokfast" x op y = (Grokfast code)
    token_format: str = field(default="nanda", metadata=KEY_OMITS_DEFAULT)
    layout: str = field(
        default="random", metadata=KEY_OMITS_DEFAULT
    )  # "random" | "square" | "strip" (MED §6.1)
    hole: int = field(
        default=0, metadata=KEY_OMITS_DEFAULT
    )  # k: square/strip hold out i <= k (and j <= k) (MED Table 1)
    shift: int = field(
        default=0, metadata=KEY_OMITS_DEFAULT
    )  # d: second operand's tokens are j + d (MED code; 0: shared vocab)

    def __post_init__(self) -> None:
        w = "ModularTask"
        _choice(w, "operation", self.operation, OPERATIONS)
        _choice(w, "token_format", self.token_format, TOKEN_FORMATS)
        _positive_int(w, p=self.p)
        needs_prime = self.operation == "x/y"
        _check(
            not needs_prime or is_prime(self.p),
            w,
            "p",
            self.p,
            "a prime (x/y needs inverses mod p)",
        )
        _check(0.0 < self.frac_train < 1.0, w, "frac_train", self.frac_train, "a value in (0, 1)")
        lo = 1 if self.operation == "x/y" else 0
        _check(
            isinstance(self.min_y, int) and lo <= self.min_y < self.p,
            w,
            "min_y",
            self.min_y,
            f"an integer in [{lo}, p)",
        )
        _choice(w, "layout", self.layout, LAYOUTS)
        _check(
            isinstance(self.shift, int) and self.shift >= 0,
            w,
            "shift",
            self.shift,
            "an integer >= 0",
        )
        if self.layout == "random":
            _check(self.hole == 0, w, "hole", self.hole, "0 when layout is 'random'")
        else:
            _check(
                self.n_inputs == 2 and self.min_y == 0,
                w,
                "layout",
                self.layout,
                "'random' unless the task has two operands and min_y = 0",
            )
            _check(
                isinstance(self.hole, int) and 0 <= self.hole < self.p - 1,
                w,
                "hole",
                self.hole,
                f"an integer in [0, {self.p - 1}) (the hole must leave pairs to train on)",
            )

        n_test = self.n_examples - self.n_train
        _check(
            self.n_train >= 1 and n_test >= 1,
            w,
            "frac_train",
            self.frac_train,
            f"a fraction leaving at least one training and one test example of the "
            f"{self.n_examples} (here {self.n_train} train, {n_test} test)",
        )

    def dataset(self, seed: int) -> Any:
        from .data import modular_dataset

        return modular_dataset(self, seed)

    @property
    def n_inputs(self) -> int:
        """Operands per example (5 for a*c+b*d-e)."""
        return 5 if self.operation == "a*c+b*d-e" else 2

    @property
    def n_classes(self) -> int:
        return self.p

    @property
    def n_examples(self) -> int:
        """All operand tuples: second operands (c, d of a*c+b*d-e) start at min_y."""
        free, bounded = (1, 1) if self.n_inputs == 2 else (3, 2)
        return self.p**free * (self.p - self.min_y) ** bounded

    @property
    def n_held_out(self) -> int:
        """Pairs a square or strip layout always holds out: (k+1)^2 or (k+1) p (0 if random)."""
        k = self.hole + 1
        return {"random": 0, "square": k * k, "strip": k * self.p}[self.layout]

    @property
    def n_train(self) -> int:
        """Training examples: the first int(frac_train * n) of a permutation of all pairs, or of
        the pairs outside the hole (MED code: the fraction is of all p^2 pairs; all of them when
        fewer remain)."""
        return min(int(self.frac_train * self.n_examples), self.n_examples - self.n_held_out)


@dataclass(frozen=True)
class ParityTask(TaskConfig):
    """Sparse parity Parity(n, k): y = product of k secret bits of x in {-1, +1}^n.

    Defaults: EGD paper §5.1 and its public code (k = 4: n = 50, 2000 train, 10000 test)."""

    n: int = 50  # input bits (EGD Table 1)
    k: int = 4  # secret subset size (EGD Table 1)
    n_train: int = 2000  # EGD code parity.py
    n_test: int = 10000  # EGD code parity.py
    split_seed: int | None = None  # seed of the secret subset and the samples; None: run seed

    def __post_init__(self) -> None:
        _positive_int("ParityTask", n=self.n, k=self.k, n_train=self.n_train, n_test=self.n_test)
        _check(self.k <= self.n, "ParityTask", "k", self.k, f"an integer in [1, n={self.n}]")

    @property
    def n_classes(self) -> int:
        return 1  # one signed output

    def dataset(self, seed: int) -> Any:
        from .data import parity_dataset

        return parity_dataset(self, seed)


class ModelConfig:
    """Base of model configs (frozen dataclasses): `build` makes the stacked model a RunConfig
    trains; `reads` names the Dataset field the model takes ("inputs": operands or features,
    "tokens": a token sequence). A chapter adds a model by subclassing this."""

    reads = "inputs"

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        _TYPES[cls.__name__] = cls

    def build(self, run: "RunConfig", ds: Any, seeds: Any, dtype: Any) -> Any:
        """The stacked model (grokcore.models.StackedModule) for run's task and dataset ds."""
        raise NotImplementedError(f"{type(self).__name__}.build")


@dataclass(frozen=True)
class MLPConfig(ModelConfig):
    """Two-layer ReLU MLP; defaults: EGD paper §5.2 (width 512, He-normal init, no output bias)."""

    width: int = 512  # hidden units (EGD App. B)
    output_bias: bool = False  # EGD code: f(x) = ReLU(x W1 + b1) W2
    b1_init: str = "zeros"  # EGD modular code: zeros; EGD parity code: "he", N(0, 2/d_in)

    def __post_init__(self) -> None:
        _positive_int("MLPConfig", width=self.width)
        _choice("MLPConfig", "b1_init", self.b1_init, ("zeros", "he"))

    def build(self, run: "RunConfig", ds: Any, seeds: Any, dtype: Any) -> Any:
        from .models import MLP

        if isinstance(run.task, ModularTask):  # one-hot operands
            p = run.task.p
            return MLP(self, run.task.n_inputs * p, p, seeds, dtype, n_vocab=p)
        return MLP(self, ds.inputs.shape[1], 1, seeds, dtype)


@dataclass(frozen=True)
class TransformerConfig(ModelConfig):
    """Decoder-only transformer; defaults: Nanda et al. 2023 (1 layer, d_model 128, 4 heads,
    d_mlp 512)."""

    n_layers: int = 1  # Nanda 2023
    d_model: int = 128  # Nanda 2023
    n_heads: int = 4  # Nanda 2023
    d_mlp: int = 512  # Nanda 2023
    layer_norm: bool = False  # Nanda 2023 has none; Grokfast/NeuralGrok use pre-LN
    act: str = "relu"  # Nanda 2023 relu; Grokfast/NeuralGrok gelu
    embed_init: str = field(
        default="normal", metadata=KEY_OMITS_DEFAULT
    )  # "normal" (Nanda) | "toeplitz" | "circulant" (MED App. E)
    # ours, for speed: position 0 computed once per token and short-context attention elementwise
    # (models.Transformer._forward_per_token_first); the same function with other float rounding
    per_token_first: bool = field(default=False, metadata=KEY_OMITS_DEFAULT)
    # logits over "classes" (the p answers) or the whole token "vocab" (Nanda's code: p + 1,
    # '=' included)
    readout: str = field(default="classes", metadata=KEY_OMITS_DEFAULT)
    # W_U std: 1/sqrt("outputs") (Nanda's code: d_vocab) or 1/sqrt("d_model") (the MED code)
    unembed_scale: str = field(default="outputs", metadata=KEY_OMITS_DEFAULT)

    def __post_init__(self) -> None:
        w = "TransformerConfig"
        _choice(w, "readout", self.readout, ("classes", "vocab"))
        _choice(w, "unembed_scale", self.unembed_scale, ("outputs", "d_model"))
        _positive_int(
            w, n_layers=self.n_layers, d_model=self.d_model, n_heads=self.n_heads, d_mlp=self.d_mlp
        )
        _check(
            self.d_model % self.n_heads == 0,
            w,
            "n_heads",
            self.n_heads,
            f"a divisor of d_model={self.d_model}",
        )
        _choice(w, "act", self.act, ("relu", "gelu"))
        _choice(w, "embed_init", self.embed_init, EMBED_INITS)
        _check(
            isinstance(self.per_token_first, bool),
            w,
            "per_token_first",
            self.per_token_first,
            "True or False",
        )

    reads = "tokens"

    @property
    def d_head(self) -> int:
        return self.d_model // self.n_heads

    def build(self, run: "RunConfig", ds: Any, seeds: Any, dtype: Any) -> Any:
        from .models import Transformer

        n_out = ds.n_vocab if self.readout == "vocab" else ds.n_classes
        return Transformer(self, ds.n_vocab, ds.tokens.shape[1], n_out, seeds, dtype)


@dataclass(frozen=True)
class OptimConfig:
    """Optimizer; names keep PyTorch's meaning.

    `weight_decay` is torch.optim's: coupled L2 for "sgd"/"adam", decoupled for "adamw".
    `loss_l2` instead adds loss_l2/2 * sum ||W||^2 over weight matrices to the loss, so its
    gradient passes through the gradient transforms (as the EGD code does).
    Defaults: EGD paper App. B (SGD, lr 0.7, batch 512, L2 1e-4 in the loss)."""

    name: str = "sgd"  # "sgd" | "adam" | "adamw"
    lr: float = 0.7  # EGD App. B
    weight_decay: float = 0.0  # torch.optim meaning (see docstring)
    loss_l2: float = 1e-4  # EGD code: + 0.5 * 1e-4 * (||W1||^2 + ||W2||^2)
    betas: tuple[float, float] = (0.9, 0.98)  # Nanda 2023 / Grokfast (adam, adamw only)
    momentum: float = 0.0  # sgd only
    warmup_steps: int = 0  # linear warmup min(step / warmup_steps, 1) as Nanda/Grokfast; 0 = off
    batch_size: int | None = 512  # EGD App. B; None = full batch
    # "epoch": reshuffle each epoch (EGD code); "iid": every step draws a fresh minibatch
    # without replacement, independently of other steps (Hanson 2026, fastgrok.py)
    sampling: str = field(default="epoch", metadata=KEY_OMITS_DEFAULT)
    # "drop": n_train // batch_size batches per epoch (EGD code); "keep": the last, smaller batch
    # too (torch.split, as the MED ResNet and Grokfast code)
    last_batch: str = field(default="drop", metadata=KEY_OMITS_DEFAULT)
    eps: float = field(default=1e-8, metadata=KEY_OMITS_DEFAULT)  # adam/adamw (fastgrok: 1e-5)
    amsgrad: bool = field(default=False, metadata=KEY_OMITS_DEFAULT)  # adam/adamw (fastgrok)
    # clip each member's gradient to this global L2 norm after the method's transform, as
    # torch.nn.utils.clip_grad_norm_ (the NeuralGrok code: 1.0, baseline too); None = off
    clip_norm: float | None = field(default=None, metadata=KEY_OMITS_DEFAULT)
    # torch.optim's `fused=True`: one kernel for every parameter's update (the same update, other
    # float rounding; ~5x cheaper on CPU, bench/presets_speed.py). False: the sources' default
    fused: bool = field(default=False, metadata=KEY_OMITS_DEFAULT)

    def __post_init__(self) -> None:
        w = "OptimConfig"
        _check(self.eps > 0, w, "eps", self.eps, "a positive number")
        _check(
            self.fused is False or (self.fused is True and self.name in ("sgd", "adam", "adamw")),
            w,
            "fused",
            self.fused,
            "False, or True with name 'sgd', 'adam' or 'adamw' (torch.optim's fused kernels)",
        )
        _check(
            not self.amsgrad or self.name in ("adam", "adamw"),
            w,
            "amsgrad",
            self.amsgrad,
            "False unless name is 'adam' or 'adamw'",
        )
        _check(
            self.clip_norm is None or self.clip_norm > 0,
            w,
            "clip_norm",
            self.clip_norm,
            "None or a positive number",
        )
        _choice(w, "sampling", self.sampling, SAMPLINGS)
        _choice(w, "last_batch", self.last_batch, ("drop", "keep"))
        from .optim import OPTIMIZERS  # the registry: grokcore.optim.register_optimizer

        _choice(w, "name", self.name, tuple(OPTIMIZERS))
        _check(self.lr > 0, w, "lr", self.lr, "a positive number")
        _check(self.weight_decay >= 0, w, "weight_decay", self.weight_decay, "a number >= 0")
        _check(self.loss_l2 >= 0, w, "loss_l2", self.loss_l2, "a number >= 0")
        _check(
            len(self.betas) == 2 and all(0 <= b < 1 for b in self.betas),
            w,
            "betas",
            self.betas,
            "two numbers in [0, 1)",
        )
        _check(0 <= self.momentum < 1, w, "momentum", self.momentum, "a number in [0, 1)")
        _check(
            isinstance(self.warmup_steps, int) and self.warmup_steps >= 0,
            w,
            "warmup_steps",
            self.warmup_steps,
            "an integer >= 0",
        )
        if self.batch_size is not None:
            _positive_int(w, batch_size=self.batch_size)


@dataclass(frozen=True)
class MethodConfig:
    """The gradient transform applied between backward() and optimizer.step().

    Defaults: EGD on the hidden layer (EGD §5), Grokfast values of Lee et al. 2024 README."""

    name: str = (
        "none"  # "none" | "egd" | "column_norm" | "grokfast_ema" | "grokfast_ma" | "rescale"
    )
    targets: tuple[str, ...] = ("W1",)  # parameters egd/column_norm act on (EGD §5: hidden layer)
    egd_solver: str = "svd"  # "svd" | "eigh" | "rsvd" | "newton_schulz"
    rank: int = 128  # rsvd rank (EGD code: 128 and 64)
    ns_steps: int = 15  # newton_schulz iterations (ours; see bench/)
    alpha: float = 0.98  # grokfast_ema (Grokfast README)
    lamb: float = 2.0  # grokfast_ema 2.0 / grokfast_ma 5.0 (Grokfast README)
    window_size: int = 100  # grokfast_ma (Grokfast README)
    warmup: bool = True  # grokfast_ma: unchanged gradients until the window is full (Grokfast code)
    c: float = 1.0  # rescale: g -> c g / ||g|| (NeuralGrok §4)
    switch_off_at: float | None = (
        None  # test acc at which to fall back to plain gradients (EGD code: 0.95)
    )

    def __post_init__(self) -> None:
        w = "MethodConfig"
        from .transforms import TRANSFORMS  # the registry: grokcore.transforms.register_transform

        _choice(w, "name", self.name, tuple(TRANSFORMS))
        _choice(w, "egd_solver", self.egd_solver, EGD_SOLVERS)
        _positive_int(w, rank=self.rank, window_size=self.window_size, ns_steps=self.ns_steps)
        _check(0 <= self.alpha < 1, w, "alpha", self.alpha, "a number in [0, 1)")
        _check(self.c > 0, w, "c", self.c, "a positive number")
        _check(
            self.switch_off_at is None or 0 < self.switch_off_at <= 1,
            w,
            "switch_off_at",
            self.switch_off_at,
            "None or a number in (0, 1]",
        )


class Experiment:
    """Base of every config that `grokcore.sweep.run_or_load` can run (a frozen dataclass).

    A subclass is registered for `from_dict` when it is defined, names how its runs train in
    `train(cfgs, device)` (one stack of configs with the same `stack_key`, one record each), and
    gets `key()`, `seed`, `replace(seed=...)` and `stack_key` (configs that differ only in seed
    train as one stack). A subclass without a `seed` field wraps a RunConfig in a field `run`
    (see WrapsRun) and takes the run's seed."""

    # whether training the config again gives its record's history bit for bit (on the same
    # CPU kind); a timing measures the machine and sets False (records.restamp skips it)
    reproducible = True

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        _TYPES[cls.__name__] = cls

    @classmethod
    def train(cls, cfgs: list, device: str = "cpu") -> list:
        """Train configs that share a stack key; one RunRecord per config, in order."""
        raise NotImplementedError(f"{cls.__name__}.train")

    def requires(self) -> tuple:
        """Configs whose run records training this one reads (e.g. a trained amplifier to start
        from); their records must exist first. Default: none."""
        return ()

    def key(self) -> str:
        """Stable hex key: SHA-256 of canonical JSON of the config and RECORD_SCHEMA."""
        return config_key(self)

    @property
    def seed(self) -> int:
        return self.run.seed  # a config with its own `seed` field shadows this

    def replace(self, **changes: Any) -> Any:
        """dataclasses.replace; `seed` goes to the wrapped run when the config has no seed field."""
        names = {f.name for f in dataclasses.fields(self)}
        if "seed" in changes and "seed" not in names:
            changes["run"] = changes.get("run", self.run).replace(seed=changes.pop("seed"))
        return dataclasses.replace(self, **changes)

    @property
    def stack_key(self) -> str:
        """Key shared by configs that can train as one stacked model (they differ only in seed)."""
        return config_key(self.replace(seed=0))


@dataclass(frozen=True)
class RunConfig(Experiment):
    """One training run: task, model, optimizer, gradient method, budget and seed."""

    task: TaskConfig = field(default_factory=ModularTask)  # ModularTask, ParityTask or a chapter's
    model: ModelConfig = field(
        default_factory=MLPConfig
    )  # MLPConfig, TransformerConfig or a chapter's
    optim: OptimConfig = field(default_factory=OptimConfig)
    method: MethodConfig = field(default_factory=MethodConfig)
    loss: str = "cross_entropy"  # "cross_entropy" | "hinge" | "mse" (parity: EGD says hinge)
    num_steps: int = 2000  # optimizer steps
    eval_every: int = 10  # steps between evaluations (EGD code: every epoch)
    stop_at_test_acc: float | None = None  # end a member's run at this test accuracy
    seed: int = 0  # init, batch order, and (unless task.split_seed) the split
    dtype: str = "float32"
    spectrum_of: tuple[
        str, ...
    ] = ()  # matrices whose gradient singular values are logged (EGD Fig. 4)
    # named measurements logged at every evaluation: grokcore.hooks.PROBES names, or
    # "package.module:function" for a chapter's (e.g. chapter 5's MED)
    probes: tuple[str, ...] = field(default=(), metadata=KEY_OMITS_DEFAULT)
    # log absolute weight and gradient entropy at each evaluation (NeuralGrok §4)
    log_entropy: bool = field(default=False, metadata=KEY_OMITS_DEFAULT)
    # test metrics on this many held-out examples drawn at random (per seed, fixed over training);
    # None = all of them. A cpu-budget device: evaluation is a large share of a small model's step
    eval_test: int | None = field(default=None, metadata=KEY_OMITS_DEFAULT)
    # examples per evaluation forward pass, summed over the stack's members; None =
    # grokcore.train.EVAL_ROWS. The same metrics (other float rounding of the losses): a wide
    # model's activations fit the cache in smaller chunks (the decoder: 1024 rows ran 1.6x faster
    # than 4096, bench/presets_speed.py)
    eval_rows: int | None = field(default=None, metadata=KEY_OMITS_DEFAULT)
    # torch.compile the model's forward (training and evaluation; dynamic batch size): the same
    # function with fused kernels and other float rounding. Pays on long runs: the first compile
    # costs ~40-80 s on a 2-core CPU, seconds once inductor's on-disk cache holds the graph
    compile: bool = field(default=False, metadata=KEY_OMITS_DEFAULT)

    def __post_init__(self) -> None:
        w = "RunConfig"
        _check(isinstance(self.compile, bool), w, "compile", self.compile, "True or False")
        _check(
            self.eval_rows is None
            or (
                isinstance(self.eval_rows, int)
                and not isinstance(self.eval_rows, bool)
                and self.eval_rows > 0
            ),
            w,
            "eval_rows",
            self.eval_rows,
            "None or a positive integer",
        )
        _choice(w, "loss", self.loss, LOSSES)
        _choice(w, "dtype", self.dtype, DTYPES)
        _positive_int(w, num_steps=self.num_steps, eval_every=self.eval_every)
        _check(
            isinstance(self.seed, int) and self.seed >= 0, w, "seed", self.seed, "an integer >= 0"
        )
        _check(
            self.eval_test is None
            or (
                isinstance(self.eval_test, int)
                and not isinstance(self.eval_test, bool)
                and self.eval_test > 0
            ),
            w,
            "eval_test",
            self.eval_test,
            "None or a positive integer",
        )
        _check(
            self.stop_at_test_acc is None or 0 < self.stop_at_test_acc <= 1,
            w,
            "stop_at_test_acc",
            self.stop_at_test_acc,
            "None or a number in (0, 1]",
        )
        classes = self.task.n_classes
        _check(
            self.loss == "cross_entropy" or classes == 1,
            w,
            "loss",
            self.loss,
            "'cross_entropy' for a multi-class task",
        )
        _check(
            self.loss != "cross_entropy" or classes > 1,
            w,
            "loss",
            self.loss,
            "'hinge' or 'mse' for a single-output task",
        )
        for name in self.probes:
            from .hooks import resolve_probe

            try:
                needs = resolve_probe(name).needs(self)
            except KeyError as e:
                raise ConfigError(f"{w}.probes={self.probes!r} is invalid: {e.args[0]}") from None
            _check(needs is None, w, "probes", self.probes, needs)
        is_parity = isinstance(self.task, ParityTask)
        _check(
            not (is_parity and isinstance(self.model, TransformerConfig)),
            w,
            "model",
            type(self.model).__name__,
            "MLPConfig for a ParityTask",
        )

    @classmethod
    def train(cls, cfgs: list, device: str = "cpu") -> list:
        from .train import train_stack

        return train_stack(cfgs, device=device)

    @property
    def stack_key(self) -> str:
        """Key shared by configs that can train as one stacked model: they differ only in seed,
        and with AdamW also in optim.betas and optim.weight_decay (per-member hyperparameters,
        grokcore.stacked_optim). Record keys (`key()`) are unaffected."""
        same = dataclasses.replace(self, seed=0)
        if self.optim.name == "adamw":
            same = dataclasses.replace(
                same, optim=dataclasses.replace(self.optim, betas=(0.0, 0.0), weight_decay=0.0)
            )
        return config_key(same)


class WrapsRun(Experiment):
    """Base of a chapter's frozen config around a RunConfig field `run`: the run's seed, and a
    stack key that lets runs differing only where `run.stack_key` allows train as one stack."""

    @property
    def stack_key(self) -> str:
        own = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "run"}
        return config_key({"probes": own, "run": self.run.stack_key})


@functools.cache
def _float_fields(cls: type) -> frozenset[str]:
    """Fields declared `float` (or `float | None`): an int there means the same number."""
    return frozenset(
        f.name for f in dataclasses.fields(cls) if str(f.type).replace(" ", "") in _FLOAT_TYPES
    )


_FLOAT_TYPES = {"float", "float|None", "Optional[float]", "<class 'float'>"}


def _as_float(value: Any, is_float: bool) -> Any:
    """1 and 1.0 in a float field are one config (one key, one record): ints become floats."""
    if is_float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def to_dict(cfg: Any, *, for_key: bool = False) -> dict:
    """Canonical dict with a `_type` tag on every nested config (so it can be rebuilt).

    for_key: leave out fields marked KEY_OMITS_DEFAULT that hold their default."""
    if dataclasses.is_dataclass(cfg):
        floats = _float_fields(type(cfg))
        d = {
            f.name: to_dict(_as_float(getattr(cfg, f.name), f.name in floats), for_key=for_key)
            for f in dataclasses.fields(cfg)
            if not (
                for_key
                and f.metadata.get("key_omits_default")
                and getattr(cfg, f.name) == f.default
            )
        }
        d["_type"] = type(cfg).__name__
        return d
    if isinstance(cfg, (tuple, list)):
        return [to_dict(v, for_key=for_key) for v in cfg]
    return cfg


def from_dict(d: Any) -> Any:
    """Inverse of to_dict."""
    if isinstance(d, dict) and "_type" in d:
        cls = _TYPES[d["_type"]]
        kw = {k: from_dict(v) for k, v in d.items() if k != "_type"}
        for f in dataclasses.fields(cls):  # JSON has lists where the config holds tuples
            if isinstance(kw.get(f.name), list):
                kw[f.name] = tuple(kw[f.name])
        return cls(**kw)
    return d


def config_key(cfg: Any) -> str:
    blob = json.dumps(
        {"schema": RECORD_SCHEMA, "config": to_dict(cfg, for_key=True)},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


_TYPES.update(
    {
        c.__name__: c
        for c in (
            ModularTask,
            ParityTask,
            MLPConfig,
            TransformerConfig,
            OptimConfig,
            MethodConfig,
            RunConfig,
        )
    }
)


def register_config(cls: type) -> type:
    """Let from_dict rebuild another frozen config class (chapters' own configs)."""
    _TYPES[cls.__name__] = cls
    return cls


SCALES = ("smoke", "cpu", "paper")


def resolve_scale(presets: dict[str, dict[str, Any]], scale: str, **given: Any) -> dict[str, Any]:
    """Fill the parameters left as None from the preset of `scale`; explicit values win.

    presets: scale -> {parameter: value}. Raises ConfigError for an unknown scale."""
    if scale not in presets:
        raise ConfigError(f"scale={scale!r} is invalid: allowed " + ", ".join(map(repr, presets)))
    out = dict(presets[scale])
    out.update({k: v for k, v in given.items() if v is not None})
    return out
