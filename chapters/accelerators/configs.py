"""Chapter 7's tasks, methods and runs: every accelerator the book implements, on the same tasks,
seeds and budgets.

Two families, each at its source's own setup:

- **mlp**: the EGD code's two-layer ReLU MLP (width 512, He init, one-hot inputs, 50% train),
  SGD lr 0.7, batch 512 with the remainder dropped, L2 1e-4 in the loss (EGD App. B). Every
  method runs the EGD code's budget of 15,000 epochs and stops at 95% test accuracy, as chapter
  2's long runs do; the EGD family is evaluated every 3 epochs (it groks in about 100), the rest
  every 15 (chapter 2's long runs). A cell chapter 2 ran is its config field for field, so the
  same record (tests/test_shared_runs.py).
- **decoder**: the NeuralGrok code's decoder (2 layers, d 128, 4 heads, PyTorch default init,
  tokens `a b op =`), Adam with coupled L2 1e-3, lr 1e-3, betas (0.9, 0.98), warmup 10, batch
  512 with the last batch kept, clip 1 (grokcore.presets.neuralgrok). Every run goes its whole
  budget (post-grok stability is read from it) and logs the weight/gradient entropies, as
  chapter 3's Table 1 runs do: the same configs, the same records, but for Grokfast-EMA on a+b,
  whose budget chapter 3 raised after a look (its op_steps): here it keeps the family's one
  budget, chapter 3's num_steps, and its records are this chapter's own.

Each method runs at its source's recommended setting (METHODS). The tuning budget is the same for
every method: its learning rate times each of `lr_factors`, tried on `tune_seeds` seeds that the
verdicts never see (seeds TUNE_SEED0 and up); the factor with the lowest median steps to 95% is
then run on the evaluation seeds (0..seeds-1 on the MLP, 0..decoder_seeds-1 on the decoder).
With lr_factors [1] (the cpu scale) nothing is tuned: every method runs as its source
recommends.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Sequence

from grokcore import estimates, outcomes
from grokcore.cluster import InProcess
from grokcore.config import ConfigError, MethodConfig, ModularTask, RunConfig
from grokcore.decoder import DecoderConfig
from grokcore.neuralgrok import AmplifierConfig, NeuralGrokConfig
from grokcore.presets import preset
from grokcore.records import RunRecord
from grokcore.sweep import run_or_load
from grokcore.train import steps_per_epoch

from .timing import StepTiming

TUNE_SEED0 = 1000  # tuning seeds start here: never an evaluation seed


@dataclass(frozen=True)
class Method:
    """One accelerator of a family: its label, display name and the setting its source gives."""

    label: str
    family: str  # "mlp" | "decoder"
    name: str  # display name
    setting: str  # the recommended setting, with its source


_METHODS = (
        Method("sgd", "mlp", "SGD", "lr 0.7, batch 512, L2 1e-4 in the loss (EGD App. B)"),
        Method("egd", "mlp", "EGD", "exact U Vᵀ of the hidden layer's gradient (eigh), back to "
               "SGD at 95% test accuracy (EGD code)"),
        Method("egd_rsvd128", "mlp", "EGD, rank-128 rSVD", "U Vᵀ from a rank-128 randomized "
               "SVD, the EGD code's first rank"),
        Method("egd_rsvd64", "mlp", "EGD, rank-64 rSVD", "U Vᵀ from a rank-64 randomized SVD, "
               "the EGD code's cheaper rank"),
        Method("egd_newton_schulz", "mlp", "EGD, Newton–Schulz", "U Vᵀ by 15 Newton–Schulz "
               "iterations (ours, chapter 2's cost table: no decomposition)"),
        Method("column_norm", "mlp", "column norm", "each column of the hidden layer's gradient "
               "scaled to unit norm (EGD §5)"),
        Method("grokfast_ema", "mlp", "Grokfast-EMA", "α 0.98, λ 2 (Grokfast README)"),
        Method("grokfast_ma", "mlp", "Grokfast-MA", "window 100, λ 5 (Grokfast README)"),
        Method("sgd_b128", "mlp", "SGD, batch 128", "batch 128 instead of 512, the same epochs "
               "(the minibatch lever, Hanson 2026)"),
        Method("adam", "decoder", "Adam", "coupled L2 1e-3, lr 1e-3, betas (0.9, 0.98), clip 1 "
               "(NeuralGrok code)"),
        Method("grokfast_ema", "decoder", "Grokfast-EMA", "α 0.98, λ 2 (Grokfast README)"),
        Method("grokfast_ma", "decoder", "Grokfast-MA", "window 100, λ 5 (Grokfast README)"),
        Method("neuralgrok", "decoder", "NeuralGrok", "amplifier c 0.2, T 4, meta lr 1e-4, 49:1 "
               "inner:outer split (NeuralGrok code); hidden widths as chapter 3's scale"),
        Method("rescale", "decoder", "rescaling", "g → c g / ‖g‖ with c 1 (NeuralGrok §4)"),
        Method("adamw", "decoder", "AdamW", "decoupled weight decay 1.0 (Nanda et al. 2023)"),
        Method("adam_b05", "decoder", "Adam β1 0.5", "β1 0.5 instead of 0.9 (the Grokking "
               "Dynamics blog)"),
        Method("adam_b128", "decoder", "Adam, batch 128", "batch 128 instead of 512, the same "
               "epochs (the minibatch lever, Hanson 2026)"),
)  # fmt: skip
# family -> method label -> Method (a label names the same method in both families)
METHODS: dict[str, dict[str, Method]] = {
    fam: {m.label: m for m in _METHODS if m.family == fam} for fam in ("mlp", "decoder")
}
PLAIN = {"mlp": "sgd", "decoder": "adam"}  # each family's plain optimizer
FAMILIES = {"mlp": "the EGD code's MLP, SGD", "decoder": "the NeuralGrok code's decoder, Adam"}
# evaluated every 3 epochs: they grok in about 100
EGD_FAMILY = ("egd", "egd_rsvd128", "egd_rsvd64", "egd_newton_schulz")
MLP_FIELDS = {  # method label -> MethodConfig fields (chapter 2's METHODS where it has them)
    "sgd": {"name": "none"},
    "egd": {"name": "egd"},
    "egd_rsvd128": {"name": "egd", "egd_solver": "rsvd", "rank": 128},
    "egd_rsvd64": {"name": "egd", "egd_solver": "rsvd", "rank": 64},
    "egd_newton_schulz": {"name": "egd", "egd_solver": "newton_schulz"},
    "column_norm": {"name": "column_norm"},
    "grokfast_ema": {"name": "grokfast_ema", "alpha": 0.98, "lamb": 2.0},
    "grokfast_ma": {"name": "grokfast_ma", "window_size": 100, "lamb": 5.0},
    "sgd_b128": {"name": "none"},
}
AUTHORS_EPOCHS = 15_000  # the EGD code's modular budget (mod_add.py)
MLP_LR = 0.7  # EGD App. B
DECODER_LR = 1e-3  # NeuralGrok code
SMALL_BATCH = 128  # the minibatch lever's batch size
GROKKED = "step_to_test_acc_95"  # the event: 95% test accuracy (EGD §5's threshold)
TASKS = ("mlp x+y", "mlp x*y", "decoder x+y", "decoder x*y")  # "<family> <operation>"


def family_of(task: str) -> str:
    """ "mlp" or "decoder" of a task label such as "mlp x*y"."""
    return task.partition(" ")[0]


def operation_of(task: str) -> str:
    """ "x*y" of "mlp x*y"."""
    return task.partition(" ")[2]


def methods_of(task: str, methods: Sequence[str] | None = None) -> list[str]:
    """The method labels that run on `task`: its family's, or those of them listed in `methods`
    plus the family's plain optimizer (every comparison is against it)."""
    fam = family_of(task)
    return [m for m in METHODS[fam] if not methods or m in methods or m == PLAIN[fam]]


def mlp_run(op: str, label: str, *, p: int, epochs: int, lr_factor: float = 1.0) -> RunConfig:
    """Method `label` on the EGD code's MLP (grokcore.presets.egd_mlp) at `op` mod p: `epochs`
    epochs, stopping at 95% test accuracy, the hidden layer's gradient spectrum logged at each
    evaluation, every method falling back to SGD at 95% (the EGD code's switch; only EGD's runs
    see it, since the others stop there). Chapter 2's config of the same cell, field for field."""
    base = preset("egd_mlp")
    batch = SMALL_BATCH if label == "sgd_b128" else base.optim.batch_size
    task = ModularTask(operation=op, p=p, frac_train=0.5)
    per = max(1, task.n_train // batch)  # the remainder dropped (EGD code)
    fields = {"targets": ("W1",), "egd_solver": "eigh", "switch_off_at": 0.95, **MLP_FIELDS[label]}
    return base.replace(
        task=task,
        optim=dataclasses.replace(base.optim, lr=MLP_LR * lr_factor, batch_size=batch),
        method=MethodConfig(**fields),
        num_steps=epochs * per,
        eval_every=(3 if label in EGD_FAMILY else 15) * per,
        stop_at_test_acc=0.95,
        spectrum_of=("W1",),
    )


def decoder_run(
    op: str,
    label: str,
    *,
    p: int,
    d_model: int,
    num_steps: int,
    eval_every: int,
    amp_hidden: Sequence[int],
    lr_factor: float = 1.0,
) -> RunConfig | NeuralGrokConfig:
    """Method `label` on the NeuralGrok code's decoder (grokcore.presets.neuralgrok) at `op`
    mod p, d_model wide: the whole budget, entropies logged, as chapter 3's Table 1 runs (its
    config of the same cell, field for field). The batch-128 arm runs the same epochs."""
    base = preset("neuralgrok")
    optim = dataclasses.replace(base.optim, lr=DECODER_LR * lr_factor)
    if label == "adamw":
        optim = dataclasses.replace(optim, name="adamw", weight_decay=1.0)
    elif label == "adam_b05":
        optim = dataclasses.replace(optim, betas=(0.5, optim.betas[1]))
    elif label == "adam_b128":
        optim = dataclasses.replace(optim, batch_size=SMALL_BATCH)
    run = RunConfig(
        task=dataclasses.replace(base.task, operation=op, p=p),
        model=DecoderConfig(d_model=d_model, d_mlp=4 * d_model),
        optim=optim,
        num_steps=num_steps,
        eval_every=eval_every,
        log_entropy=True,
    )
    if label == "adam_b128":  # the same epochs as at the code's batch
        full = run.replace(optim=base.optim)
        run = run.replace(num_steps=num_steps * steps_per_epoch(run) // steps_per_epoch(full))
    if label == "neuralgrok":  # the code clips the amplified gradient: the clip moves there
        amp = AmplifierConfig(hidden=tuple(amp_hidden), clip_norm=optim.clip_norm)
        return NeuralGrokConfig(run=run.replace(optim=dataclasses.replace(optim, clip_norm=None)),
                                amp=amp)  # fmt: skip
    method = {
        "grokfast_ma": MethodConfig(name="grokfast_ma", window_size=100, lamb=5.0),
        "grokfast_ema": MethodConfig(name="grokfast_ema", alpha=0.98, lamb=2.0),
        "rescale": MethodConfig(name="rescale", c=1.0),
    }.get(label)
    return run.replace(method=method) if method else run


def run_of(task: str, label: str, P: dict, lr_factor: float = 1.0) -> Any:
    """One config (seed 0) of method `label` on `task` at the scale's values `P`."""
    if family_of(task) not in METHODS or operation_of(task) not in ("x+y", "x*y"):
        raise ConfigError(f"task {task!r} is invalid: allowed {', '.join(TASKS)}")
    if label not in METHODS[family_of(task)]:
        raise ConfigError(
            f"method {label!r} is invalid on {task!r}: allowed {', '.join(methods_of(task))}"
        )
    op = operation_of(task)
    if family_of(task) == "mlp":
        return mlp_run(op, label, p=P["p"], epochs=P["mlp_epochs"], lr_factor=lr_factor)
    return decoder_run(
        op,
        label,
        p=P["p"],
        d_model=P["d_model"],
        num_steps=P["decoder_steps"],
        eval_every=P["decoder_eval_every"],
        amp_hidden=P["amp_hidden"],
        lr_factor=lr_factor,
    )


def seeds_of(cfg: Any, seeds: Sequence[int]) -> list:
    return [cfg.replace(seed=s) for s in seeds]


def tune_plan(P: dict, methods: Sequence[str] | None = None) -> dict[str, dict[float, list]]:
    """The tuning runs: "task/method" -> {lr factor: configs over the tuning seeds}; empty when
    nothing is tuned (one factor, or no tuning seeds)."""
    factors, n = P["lr_factors"], P["tune_seeds"]
    if len(factors) < 2 or n == 0:
        return {}
    seeds = range(TUNE_SEED0, TUNE_SEED0 + n)
    return {
        f"{t}/{m}": {f: seeds_of(run_of(t, m, P, f), seeds) for f in factors}
        for t in P["tasks"]
        for m in methods_of(t, methods)
    }


def plan(
    P: dict, chosen: dict[str, float], methods: Sequence[str] | None = None
) -> dict[str, list]:
    """The evaluation runs: "task/method" -> configs over seeds 0..n-1 (n: the scale's
    `decoder_seeds` on a decoder task, `seeds` on an MLP task), each method at its chosen lr
    factor (`chosen`, from pick_factor on the tuning runs; 1 where absent)."""
    return {
        f"{t}/{m}": seeds_of(run_of(t, m, P, chosen.get(f"{t}/{m}", 1.0)), range(n_seeds(t, P)))
        for t in P["tasks"]
        for m in methods_of(t, methods)
    }


def n_seeds(task: str, P: dict) -> int:
    """How many evaluation seeds every method runs on `task` at the scale's values `P`."""
    return P["decoder_seeds"] if family_of(task) == "decoder" else P["seeds"]


def timings(P: dict, cells: dict[str, list]) -> dict[str, StepTiming]:
    """Task -> the StepTiming of the methods the plan `cells` (plan's configs) runs on it:
    `mlp_timing_steps` or `decoder_timing_steps` steps after `timing_offset`, `timing_rounds`
    rounds."""
    out = {}
    for task in P["tasks"]:
        names = [n for n in cells if n.startswith(task + "/")]
        key = "mlp_timing_steps" if family_of(task) == "mlp" else "decoder_timing_steps"
        out[task] = StepTiming(
            runs=tuple(cells[n][0].replace(seed=0) for n in names),
            labels=tuple(n.split("/")[1] for n in names),
            steps=P[key],
            rounds=P["timing_rounds"],
            offset=P["timing_offset"],
        )
    return out


def run_cells(
    cells: dict[str, list], *, recompute: bool = False, progress: bool = False
) -> dict[str, list[RunRecord]]:
    """run_or_load every cell (one sweep: the MLP's seeds one per single-threaded process, the
    decoder's likewise) and regroup the records by cell."""
    flat = [c for cfgs in cells.values() for c in cfgs]
    records = run_or_load(flat, recompute=recompute, progress=progress)
    by_key = {r.key: r for r in records}
    return {name: [by_key[c.key()] for c in cfgs] for name, cfgs in cells.items()}


def pick_factor(by_factor: dict[float, Sequence[RunRecord]]) -> float:
    """The tuning's pick: the learning-rate factor whose runs have the lowest Kaplan-Meier median
    steps to 95% (a median not reached counts as infinite; ties go to the factor closest to 1,
    the source's own setting). It lives here, not in measures.py, because training reads it: the
    timing record's fingerprint then covers this module and not the chapter's readers."""

    def score(item: tuple[float, Sequence[RunRecord]]) -> tuple[float, float]:
        est = estimates.median(outcomes.times(item[1], GROKKED))
        return (est.estimate if est.identified else math.inf, abs(math.log(item[0])))

    return min(by_factor.items(), key=score)[0]


def tune(
    P: dict,
    methods: Sequence[str] | None = None,
    *,
    recompute: bool = False,
    progress: bool = False,
) -> tuple[dict[str, float], dict[str, dict[float, list[RunRecord]]]]:
    """Run the tuning (tune_plan) and pick each cell's lr factor (pick_factor):
    (cell -> chosen factor, cell -> factor -> tuning records). Nothing to tune: ({}, {})."""
    grid = tune_plan(P, methods)
    flat = {f"{name}@{f:g}": cfgs for name, by_f in grid.items() for f, cfgs in by_f.items()}
    recs = run_cells(flat, recompute=recompute, progress=progress)
    tuning = {name: {f: recs[f"{name}@{f:g}"] for f in by_f} for name, by_f in grid.items()}
    return {name: pick_factor(by_f) for name, by_f in tuning.items()}, tuning


def run_timings(
    P: dict, cells: dict[str, list], *, recompute: bool = False
) -> dict[str, RunRecord]:
    """Task -> the StepTiming record of the plan `cells` on it (timed once, then loaded; in this
    process, even under GROKCORE_EXECUTOR, so that no other run of the sweep shares the CPU while
    it times)."""
    plan_ = timings(P, cells)
    recs = run_or_load(list(plan_.values()), recompute=recompute, workers=1, executor=InProcess())
    return dict(zip(plan_, recs))
