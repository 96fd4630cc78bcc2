"""Hooks and probes: everything the one training loop (grokcore.train.train_stack) does besides
fitting the loss, in one interface, and one registry of named per-evaluation probes.

A `Hook` may prepare each evaluation (`before_eval`), read the stack at every evaluation
(`at_eval`, a probe: it must not change the model or the optimizer), change weights there
(`edit`, an intervention), add a loss term
(`loss`), read the gradients of the update that follows each evaluation (`at_update`), act after
every optimizer step (`after_update`) and add to each member's record (`finish`). A hook that logs
on a schedule of its own keeps `self.log` (grid name -> steps, key -> per-member values) and
declares `grids` (grid name -> ("eval" | "update", keys)); the loop cuts each member's share at
its last evaluation.

`RunConfig.probes` names probes: a name registered with `register_probe` (grokcore's own:
"embedding_fourier", "spectrum", "entropy"), or "package.module:function" for a probe defined
elsewhere (a chapter's), imported when the config is checked, so a worker process finds it too.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

import torch

Tensors = dict[str, torch.Tensor]


@dataclass
class Context:
    """What a hook sees: the stack being trained and, during a step, its batch and gradients."""

    cfgs: list  # the members' RunConfigs
    seeds: list[int]
    device: str
    data: Any  # grokcore.train.Stack
    model: Any  # grokcore.models.StackedModule
    params: Tensors
    optimizer: torch.optim.Optimizer
    train_idx: torch.Tensor  # [M, n] what the batches draw from; a hook's setup may narrow it
    step: int = 0
    x: torch.Tensor | None = None  # this step's batch [M, B, ...]
    y: torch.Tensor | None = None  # [M, B]
    out: torch.Tensor | None = None  # the model's output on it [M, B, ...]
    metrics: dict | None = None  # the last evaluation's metrics, per member [M]
    raw: Tensors | None = None  # gradients of the loss (at_update)
    grads: Tensors | None = None  # what the optimizer receives, after the gradient transform
    meta: dict = field(default_factory=dict)  # added to every member's record meta

    @property
    def cfg(self):
        return self.cfgs[0]


class Hook:
    """Base: every method does nothing. Subclass and override what a run needs."""

    grids: dict[str, tuple[str, tuple[str, ...]]] = {}
    # True where the hook's state between steps is state(): its log and the attributes named in
    # state_attrs (setup recomputes the rest); a stack whose hooks all are is checkpointed
    # (grokcore.checkpoint); default False
    resumable: bool = False
    state_attrs: tuple[str, ...] = ()  # what a checkpoint holds besides the log (state())

    def __init__(self) -> None:
        self.log: dict[str, list] = {grid: [] for grid in self.grids}

    def setup(self, ctx: Context) -> None:
        """Once, after the data, model and optimizer exist and before the first evaluation."""

    def before_eval(self, ctx: Context) -> None:
        """Right before each evaluation (e.g. recompute BatchNorm statistics)."""

    def at_eval(self, ctx: Context) -> dict[str, torch.Tensor] | None:
        """At every evaluation, before that step's update: per-member values [M, ...] to log on
        the evaluation grid ("step"). Must not change the model or the optimizer."""
        return None

    def edit(self, ctx: Context, metrics: dict[str, torch.Tensor]) -> None:
        """Right after at_eval, under torch.no_grad: may change the model's weights in place."""

    def loss(self, ctx: Context) -> torch.Tensor | None:
        """An extra loss term per member [M] at this step's batch, summed into the objective."""
        return None

    def at_update(self, ctx: Context) -> None:
        """At each update that follows an evaluation, after the gradient transform (ctx.raw and
        ctx.grads hold the gradients before and after it)."""

    def after_update(self, ctx: Context) -> None:
        """After every optimizer step."""

    def finish(self, i: int, history: dict, meta: dict) -> None:
        """Add to member i's history or meta, after the loop cut them at its last evaluation."""

    def state(self) -> dict[str, Any]:
        """What a checkpoint holds of this hook between steps: its log and `state_attrs`.
        Override (with load_state) for state that is not plain data, e.g. a module's weights."""
        return {"log": self.log, **{name: getattr(self, name) for name in self.state_attrs}}

    def load_state(self, state: dict[str, Any]) -> None:
        """Continue from state() (after setup, which rebuilt everything else)."""
        for name, value in state.items():
            setattr(self, name, value)

    def record(self, grid: str, step: int, values: dict[str, Any]) -> None:
        """Log per-member values (lists or tensors [M, ...]) at `step` on one of self.grids."""
        self.log[grid].append(step)
        for k, v in values.items():
            self.log.setdefault(k, []).append(v.tolist() if torch.is_tensor(v) else v)

    def member_share(self, i: int, last: int) -> dict[str, list]:
        """Member i's part of self.log: eval grids up to and including its last evaluation,
        update grids strictly before it (the update at `last` was not taken for it)."""
        out = {}
        for grid, (kind, keys) in self.grids.items():
            steps = self.log[grid]
            n = sum(s <= last if kind == "eval" else s < last for s in steps)
            out[grid] = steps[:n]
            out.update({k: [_member(v, i) for v in self.log.get(k, [])[:n]] for k in keys})
        return out


def _member(v: Any, i: int) -> Any:
    x = v[i]
    return float(x) if isinstance(x, (int, float)) else x


# ---- the probe registry ----------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    """A named per-evaluation measurement: make(cfg) -> Hook; `needs` checks a RunConfig and
    returns None or what is allowed instead (for the config's error message)."""

    make: Callable[[Any], Hook]
    needs: Callable[[Any], str | None] = lambda cfg: None


PROBES: dict[str, Probe] = {}


def register_probe(
    name: str, make: Callable[[Any], Hook], needs: Callable[[Any], str | None] = lambda cfg: None
) -> None:
    """Make `name` usable in RunConfig.probes."""
    PROBES[name] = Probe(make, needs)


def eval_probe(fn: Callable[[Any], dict[str, torch.Tensor]]) -> Callable[[Any], Hook]:
    """A probe factory from fn(model) -> per-member values, logged at every evaluation."""

    class _Probe(Hook):
        resumable = True  # fn(model): nothing kept between evaluations

        def at_eval(self, ctx: Context) -> dict[str, torch.Tensor]:
            return fn(ctx.model)

    return lambda cfg: _Probe()


def resolve_probe(name: str) -> Probe:
    """The registered probe `name`, importing "module:function" names on first use.

    Raises KeyError naming what is allowed."""
    if name not in PROBES and ":" in name:
        module, _, attr = name.partition(":")
        try:
            obj = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as e:
            raise KeyError(f"{name!r} cannot be imported ({e})") from None
        PROBES[name] = obj if isinstance(obj, Probe) else Probe(obj)
    if name not in PROBES:
        from . import probes  # noqa: F401  (registers grokcore's own probes)
    if name not in PROBES:
        raise KeyError(
            f"{name!r} is not a probe: allowed "
            + ", ".join(map(repr, sorted(PROBES)))
            + ", or 'package.module:function'"
        )
    return PROBES[name]
