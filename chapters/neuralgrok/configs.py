"""Chapter 3's scale presets and runs: the NeuralGrok code's setup, each method's run config, and
the plan of cells (cell name -> configs over seeds) that the notebook trains and reads.

Setup as the NeuralGrok code (peer notes §3): tokens `a b op =` with b in 1..p-1, half the
pairs for training, a pre-LN GELU decoder (2 layers, d_model 128, 4 heads, MLP 4x), Adam with
coupled L2 weight decay 1e-3, lr 1e-3, betas (0.9, 0.98), 10-step warmup, batch 512. The
baselines (standard, Grokfast-MA/EMA, gradient rescaling) are plain RunConfigs; NeuralGrok's
runs are NeuralGrokConfigs (grokcore.neuralgrok).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from grokcore.config import MethodConfig, ModularTask, RunConfig
from grokcore.decoder import DecoderConfig
from grokcore.presets import preset
from grokcore.records import RunRecord
from grokcore.sweep import run_or_load

from grokcore.neuralgrok import AmplifierConfig, NeuralGrokConfig

TRANSFER_TO = "x-y"  # Fig. 12: the task an amplifier is reused on
COMPOSITE = "a*c+b*d-e"  # NeuralGrok's 5-operand task: mod 7, 4 layers, T = 1 (code task1.sh)
# Fig. 12's "hardest task", the first of these the plan has besides its first task and a-b: the
# composite (standard training does not learn it within 10^6 steps, Table 1), else a^2-b (Table
# 1's slowest binary task for standard training, 4820 steps)
HARDEST = (COMPOSITE, "x^2-y")
METHODS = ("standard", "grokfast_ma", "grokfast_ema", "neuralgrok")  # Table 1's columns
# the id parts of Table 1's rows ("table1-vs-ma-add": Grokfast-MA against NeuralGrok on a+b)
TASK_SLUGS = {"x+y": "add", "x-y": "sub", "x*y": "mul", "x^2-y": "sqsub", COMPOSITE: "composite"}
BASELINE_SLUGS = {"standard": "standard", "grokfast_ma": "ma", "grokfast_ema": "ema"}
# the post-grok stability rows (first task), by the method whose runs each reads
STABILITY_ROWS = {
    "oscillation-standard": "standard",
    "stable-neuralgrok": "neuralgrok",
    "stable-ma": "grokfast_ma",
    "oscillation-ema": "grokfast_ema",
}
LONG_METHODS = (
    "standard",
    "grokfast_ma",
    "grokfast_ema",
    "neuralgrok",
)  # run past 95% (first task)
NAMES = {
    "standard": "standard",
    "grokfast_ma": "Grokfast-MA",
    "grokfast_ema": "Grokfast-EMA",
    "neuralgrok": "NeuralGrok",
}


def base_run(
    op: str,
    *,
    p: int,
    d_model: int,
    num_steps: int,
    eval_every: int,
    n_layers: int = 2,
    n_heads: int = 4,
    lr: float = 1e-3,
    weight_decay: float = 1e-3,
    optimizer: str = "adam",
    betas: tuple = (0.9, 0.98),
    warmup_steps: int = 10,
    batch_size: int = 512,
    frac_train: float = 0.5,
    clip_norm: float | None = 1.0,
    stop_at_test_acc: float | None = 0.95,
    log_entropy: bool = False,
    method: MethodConfig = MethodConfig(),
) -> RunConfig:
    """One run of the NeuralGrok code's setup (grokcore.presets.neuralgrok: the code's decoder,
    tokens `a b op =`, batches by torch.split with the last one kept, clip_grad_norm_ every
    step) with the given task and settings; the composite task (p = 7 in the paper) is the
    caller's p."""
    base = preset("neuralgrok")
    task = ModularTask(operation=op, p=p, frac_train=frac_train, min_y=1, token_format="neuralgrok")
    model = DecoderConfig(n_layers=n_layers, d_model=d_model, n_heads=n_heads, d_mlp=4 * d_model)
    optim = replace(
        base.optim,
        name=optimizer,
        lr=lr,
        weight_decay=weight_decay,
        betas=tuple(betas),
        warmup_steps=warmup_steps,
        batch_size=batch_size,
        clip_norm=clip_norm,
    )
    return RunConfig(
        task=task,
        model=model,
        optim=optim,
        method=method,
        num_steps=num_steps,
        eval_every=eval_every,
        stop_at_test_acc=stop_at_test_acc,
        log_entropy=log_entropy,
    )


def neuralgrok_run(run: RunConfig, amp: AmplifierConfig, **kw) -> NeuralGrokConfig:
    """NeuralGrok on `run`'s setup. The code clips the amplified gradient (clip_grad_norm_ after
    transform_grads), so the run's clip moves into the amplifier's step."""
    return NeuralGrokConfig(
        run=run.replace(optim=replace(run.optim, clip_norm=None)),
        amp=replace(amp, clip_norm=run.optim.clip_norm),
        **kw,
    )


def method_config(
    method: str,
    run: RunConfig,
    *,
    window_size: int = 100,
    lamb_ma: float = 5.0,
    alpha: float = 0.98,
    lamb_ema: float = 2.0,
    rescale_c: float | None = None,
    amp: AmplifierConfig | None = None,
) -> RunConfig | NeuralGrokConfig:
    """The run of `method` ("standard", "grokfast_ma", "grokfast_ema", "neuralgrok", "rescale")."""
    if method == "standard":
        return run
    if method == "grokfast_ma":
        return run.replace(
            method=MethodConfig(name="grokfast_ma", window_size=window_size, lamb=lamb_ma)
        )
    if method == "grokfast_ema":
        return run.replace(method=MethodConfig(name="grokfast_ema", alpha=alpha, lamb=lamb_ema))
    if method == "rescale":
        return run.replace(method=MethodConfig(name="rescale", c=rescale_c))
    if method == "neuralgrok":
        return neuralgrok_run(run, amp or AmplifierConfig())
    raise ValueError(f"method={method!r} is invalid: allowed {METHODS + ('rescale',)}")


def plan(P: dict, v: dict) -> dict[str, list]:
    """The chapter's cells (name -> configs over seeds) from the scale's values `P`
    (grokcore.params.at_scale) and the notebook's parameters `v`; the notebook trains exactly
    this and parameters.py checks exactly this.

    Table 1 (`op/method`, P["seeds"] each, P["first_seeds"] on the first task and
    P["op_seeds"][op] on a later task the scale names there): the first task's
    standard, Grokfast-MA/EMA and NeuralGrok runs go on past 95% (post-grok stability, entropy)
    for P["num_steps"]; the other tasks' runs stop there, within P["op_steps"][op] where the
    scale names the task, else P["task_steps"]; P["op_steps"][f"{op}/{method}"], where the
    scale names a cell (of any task), is that cell's own budget. The ablations
    (P["ablation_seeds"] each, P["ablation_cell_seeds"][name] for a cell it names;
    P["ablation_steps"] budget) are on the first task; the transfer cells (Fig. 12,
    transfer_sources) run at their source cell's seeds unless it names them. A row that
    P["row_seeds"] names (a Table 1 row or a stability row: row_cells) reads cells of its own,
    `<row>:<cell>`: each of its Table 1 cells' configs at that many seeds (the first are the
    Table 1 cell's runs); every other row reads the Table 1 cells (row_cell)."""
    ops, first, A = P["operations"], P["operations"][0], P["ablation_seeds"]

    def run(op: str, **kw) -> RunConfig:  # the composite task: mod 7, 4 layers (code task1.sh)
        composite = op == COMPOSITE
        settings = {
            "p": 7 if composite else P["p"],
            "n_layers": 4 if composite else v["n_layers"],
            "d_model": P["d_model"],
            "num_steps": P["num_steps"],
            "eval_every": P["eval_every"],
            "n_heads": v["n_heads"],
            "lr": v["lr"],
            "weight_decay": v["weight_decay"],
            "betas": tuple(v["betas"]),
            "warmup_steps": v["warmup_steps"],
            "batch_size": v["batch_size"],
            "frac_train": P["frac_train"],
            "clip_norm": v["clip_norm"] or None,
        }
        return base_run(op, **{**settings, **kw})

    def amp(c_value: float, op: str = first, **kw) -> AmplifierConfig:
        return AmplifierConfig(
            hidden=tuple(P["amp_hidden"]),
            c=c_value,
            inner_steps=1 if op == COMPOSITE else v["inner_steps"],
            meta_lr=v["meta_lr"],
            meta_weight_decay=v["weight_decay"],
            frac_outer=v["frac_outer"],
            **kw,
        )

    def method(m: str, op: str):
        long = op == first and m in LONG_METHODS
        task = P["num_steps"] if op == first else P["op_steps"].get(op, P["task_steps"])
        budget = P["op_steps"].get(f"{op}/{m}", task)
        cfg = run(op, num_steps=budget, stop_at_test_acc=None if long else 0.95, log_entropy=long)
        return method_config(
            m,
            cfg,
            window_size=v["window_size"],
            lamb_ma=v["lamb_ma"],
            alpha=v["alpha"],
            lamb_ema=v["lamb_ema"],
            amp=amp(v["c"], op),
        )

    short = {"num_steps": P["ablation_steps"]}

    def ablation(name: str, cfg) -> None:  # an ablation cell, at its own seeds where named
        cells[name] = seeds_of(cfg, P["ablation_cell_seeds"].get(name, A))

    cells = {f"{op}/{m}": seeds_of(method(m, op), task_seeds(P, op)) for op in ops for m in METHODS}
    for row, n in P["row_seeds"].items():  # a row's own seeds: its Table 1 cells', and more
        for cell in row_cells(row, first):
            cells[grown_name(row, cell)] = seeds_of(cells[cell][0], n)
    for c in P["rescale_cs"]:
        cfg = method_config("rescale", run(first, **short), rescale_c=c)
        ablation(f"rescale/{c:g}", cfg)
    for c in P["neuralgrok_cs"]:
        ablation(f"neuralgrok_c/{c:g}", neuralgrok_run(run(first, **short), amp(c)))
    wd = v["large_weight_decay"]
    ablation("adam_wd_large", run(first, weight_decay=wd, stop_at_test_acc=None, **short))
    for wd in P["adamw_weight_decays"]:
        ablation(f"adamw/{wd:g}", run(first, optimizer="adamw", weight_decay=wd, **short))
    if COMPOSITE in ops:  # Fig. 3: standard training of the composite task, rescaled
        cfg = method_config("rescale", run(COMPOSITE), rescale_c=v["composite_c"])
        ablation("composite_rescale", cfg)
    if P["transfer"] and first != TRANSFER_TO:
        # a NeuralGrok amplifier trained on another task (its run of the same seed), frozen, on
        # x-y: with x-y among the tasks, at the budget and stop of Table 1's standard x-y cell,
        # whose runs are its baseline; else at the ablation budget beside standard x-y of its own
        if TRANSFER_TO in ops:
            target = method("standard", TRANSFER_TO)
        else:
            target = run(TRANSFER_TO, **short)
            ablation("transfer_standard", target)
        for name, source_op in transfer_sources(ops).items():  # at its source's seeds
            sources = cells[f"{source_op}/neuralgrok"]
            cfg = neuralgrok_run(target, amp(v["c"], meta=False), source=sources[0])
            cells[name] = seeds_of(cfg, P["ablation_cell_seeds"].get(name, len(sources)))
    return cells


def task_seeds(P: dict, op: str) -> int:
    """A Table 1 task's seeds: P["first_seeds"] on the first task, else P["op_seeds"] where it
    names the task, else P["seeds"]."""
    return P["first_seeds"] if op == P["operations"][0] else P["op_seeds"].get(op, P["seeds"])


def row_cells(row: str, first: str) -> tuple[str, ...]:
    """The Table 1 cells a row reads that row_seeds may grow: a Table 1 row's two
    ("table1-vs-ma-add": "x+y/neuralgrok", "x+y/grokfast_ma"), a stability row's one (its
    method's on the first task); ValueError for any other row."""
    if row in STABILITY_ROWS:
        return (f"{first}/{STABILITY_ROWS[row]}",)
    for op, slug in TASK_SLUGS.items():
        for m, short in BASELINE_SLUGS.items():
            if row == f"table1-vs-{short}-{slug}":
                return f"{op}/neuralgrok", f"{op}/{m}"
    raise ValueError(f"row {row!r} has no seeds of its own: allowed {GROWABLE_ROWS}")


GROWABLE_ROWS = tuple(STABILITY_ROWS) + tuple(
    f"table1-vs-{short}-{slug}" for slug in TASK_SLUGS.values() for short in BASELINE_SLUGS.values()
)


def grown_name(row: str, cell: str) -> str:
    """The plan's name of `cell` at the seeds row_seeds gives `row`."""
    return f"{row}:{cell}"


def row_cell(cells: dict, row: str, cell: str) -> str:
    """The cell `row` reads for the Table 1 cell `cell`: its own, at more seeds, where the plan
    has one (row_seeds), else the Table 1 cell."""
    grown = grown_name(row, cell)
    return grown if grown in cells else cell


def standard_a_minus_b(cells: dict) -> str:
    """The cell of standard training on a-b that the transfer and subtraction rows compare with:
    Table 1's where the plan has a-b, else the transfer baseline (ablation budget)."""
    table1 = f"{TRANSFER_TO}/standard"
    return table1 if table1 in cells else "transfer_standard"


def transfer_sources(ops: Sequence[str]) -> dict[str, str]:
    """The transfer cells (Fig. 12) of a plan of these tasks and the task each one's amplifier
    was trained on: "transfer" from the first task, "transfer_hardest" from the hardest other
    than a-b (HARDEST) where the plan has one."""
    if ops[0] == TRANSFER_TO:
        return {}
    hardest = [op for op in HARDEST if op in ops and op != ops[0]]
    return {"transfer": ops[0], **({"transfer_hardest": hardest[0]} if hardest else {})}


def seeds_of(cfg, seeds: int) -> list:
    """A plan cell: `cfg` at seeds 0..seeds-1."""
    return [cfg.replace(seed=s) for s in range(seeds)]


def cells_of(records: Sequence[RunRecord], plan: dict[str, list]) -> dict[str, list[RunRecord]]:
    """Regroup the records of run_or_load(sum(plan.values(), [])) by the plan's cell names."""
    by_key = {r.key: r for r in records}
    return {name: [by_key[c.key()] for c in cfgs] for name, cfgs in plan.items()}


def run_plan(plan: dict[str, list], recompute: bool = False, **kw) -> dict[str, list[RunRecord]]:
    """run_or_load every cell of the plan and regroup by cell. Transfer runs (a `source`) go
    second: they start from their source run's recorded amplifier."""
    cfgs = [c for cfgs in plan.values() for c in cfgs]
    first = [c for c in cfgs if getattr(c, "source", None) is None]
    records = run_or_load(first, recompute=recompute, **kw)
    records += run_or_load(
        [c for c in cfgs if getattr(c, "source", None) is not None], recompute=recompute, **kw
    )
    return cells_of(records, plan)
