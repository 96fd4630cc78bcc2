"""What a scale (paper by default) costs per chapter on this CPU, and what of it is shipped.

    python bench/paper_cost.py [--scale paper] [--chapters 03,07] [--k1 5 --k2 15] [--json OUT]

Per chapter: the configs its notebook trains at the scale, built by the chapter's own plan
functions from the notebook's parameter defaults (nothing is trained to list them); which have a
current record (grokcore.records.lookup: the cache, where `python -m grokcore store unpack` puts
the shipped records, and book/results/); the missing ones grouped into units as run_or_load
groups them on a CPU (grokcore.sweep.plan_units, max_stack as the notebook passes it, else 1);
and per distinct unit shape (first member at seed 0, members) this CPU's seconds per step (per
epoch for a config with num_epochs), clocked on one thread in this process by
grokcore.sweep.run_unit: a warm-up run at K1, then runs at K1 and K2, rate (t2 - t1) / (K2 - K1),
so setup cancels. K1 and K2 are rounded up to multiples of the config's evaluation (and Hessian
probe) period, so that evaluations count at their configured share, unless that would take over
the clock timeout (the output then says so). While clocking, GROKCORE_CACHE is a temp directory.

Limits: a unit whose runs stop at a test accuracy is costed at its whole budget, an upper bound
(counted in the output), and beside it at a typical budget where other seeds of its config are
recorded: the share of the budget they trained (summary last_step over num_steps; their mean for
a one-run unit, their largest for a stack, which trains until its last member stops), over the
units that have such seeds and the whole budget for the others; results-dependent plans are
listed at a stand-in or left out, as the output says (chapter 7: evaluation runs at lr factor 1
where the tuning is not all recorded); timings (configs with `reproducible = False`) are listed,
not clocked; a short run misses what changes later in a run (the toy's closed forms are not
linear in steps, and need K1 >= 100), and other load on the machine slows every clock. Hours on
2 workers: each of the notebook's sweeps (run_or_load calls, one after the other) scheduled
longest unit first onto 2 single-threaded workers, as run_or_load's pool runs them.
--from-scratch costs every run, shipped or not.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable
from unittest import mock

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grokcore import baselines  # noqa: E402
from grokcore.config import resolve_scale, to_dict  # noqa: E402
from grokcore.params import at_scale, notebook_defaults  # noqa: E402
from grokcore.records import lookup  # noqa: E402
from grokcore.sweep import plan_units, run_unit  # noqa: E402

Sweep = tuple[list, "int | None"]  # one run_or_load call of the notebook: configs, max_stack
Plan = tuple[list[Sweep], list[str]]  # the sweeps, and what the listing leaves out
STEMS = [p.stem for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))]


def notebook_values(stem: str, scale: str) -> dict[str, Any]:
    """The notebook's globals after its check cell, at its defaults and `scale`."""
    v = {**notebook_defaults(ROOT / "notebooks" / f"{stem}.ipynb"), "scale": scale}
    check = importlib.import_module(f"chapters.{stem[3:]}.parameters").check_parameters
    return {**v, **check(v)}


def preset(stem: str, v: dict) -> dict:
    """The scale's values where a parameter is None (at_scale; the notebooks' resolve_scale),
    a chapter's per-task dicts kept for what runs (its scales.SCOPED, where it has one)."""
    scales = importlib.import_module(f"chapters.{stem[3:]}.scales")
    return at_scale(scales.SCALES, v, getattr(scales, "SCOPED", None))


# ---- each chapter's plan, as its notebook's code cells build it


def ch01(v: dict) -> Plan:
    from chapters.egd_toy import configs

    P = preset("01_egd_toy", v)
    own = {k: v[k] for k in ("eps", "theta_deg", "s", "lr", "init_angle_deg")}
    base = configs.ToyConfig(**own, n=P["n"], n_test=P["n_test"], num_steps=P["num_steps"])
    zetas = sorted(set(P["init_scales"]) | {v["init_scale"], v["init_scale_small"]})
    eps = sorted(set(P["eps_sweep"]) | {v["eps"]}, reverse=True)
    seeds, large = range(P["seeds"]), v["init_scale"]
    cfgs = configs.sweep(
        base, eps, zetas, P["methods"], seeds, large=large, batch_size=v["batch_size"]
    )
    return [(cfgs, None)], ["Theorem 1's closed forms (no records, under a second)"]


def ch02(v: dict) -> Plan:
    from chapters.egd_modular import configs, cost
    from chapters.egd_modular.parameters import plan_runs

    P = preset("02_egd_modular", v)
    cfgs = plan_runs(P, v)  # the notebook's runs
    parity = [c for c in cfgs if isinstance(c.task, configs.ParityTask)]  # configs.run stacks
    sweeps: list[Sweep] = [([c for c in cfgs if c not in parity], None), (parity, len(parity))]
    modular = [t for t in P["plan"] if configs.parse_task(t)[0] == "modular"]
    if P["cost_steps"] and modular:  # the Cost table's timing (cost.cost_rows: 5 repeats)
        base = next(c for c in cfgs if configs.task_label(to_dict(c), P["p"]) == modular[0])
        sweeps.append(([cost.CostTiming(base, P["cost_steps"], 5)], None))
    return sweeps, []


def ch03(v: dict) -> Plan:
    from chapters.neuralgrok import configs

    cfgs = [c for cell in configs.plan(preset("03_neuralgrok", v), v).values() for c in cell]
    transfer = [c for c in cfgs if getattr(c, "source", None) is not None]  # configs.run_plan
    return [([c for c in cfgs if c not in transfer], None), (transfer, None)], []


def ch04(v: dict) -> Plan:
    from chapters.adam_dynamics import configs

    P = preset("04_adam_dynamics", v)
    parts, every, moved = configs.plan(P, v)
    sweeps: list[Sweep] = [(every + moved, P["max_stack"]), (parts["grokfast_model"], None)]
    gfb = baselines.BASELINES["grokfast_ema"]  # beside the 2x2: the baseline's shipped runs
    if parts["grokfast_model"] and v["scale"] != "smoke" and P["grokfast_model_steps"] > gfb.budget:
        sweeps.append((gfb.configs(range(gfb.seeds)), None))
    return sweeps, []


def ch05(v: dict) -> Plan:
    from chapters.med import configs, image_sum, parameters, scales

    P = preset("05_med", v)
    names = ["tile", "channels", "widths", "blocks", "stem", "bn_recalibrate"]
    given = {n: v[f"resnet_{n}"] for n in names}
    given.update(num_epochs=v["resnet_epochs"], eval_every=v["resnet_eval_every"])
    RN = resolve_scale(scales.IMAGE_SUM_SCALES, v["scale"], **given)
    own = {k: v[f"resnet_{k}"] for k in ("optimizer", "lr", "weight_decay", "batch_size")}
    resnet = [image_sum.ImageSumConfig(**RN, **own, seed=s) for s in range(P["seeds"])]
    return [(resnet + configs.all_configs(parameters.plan(P, v)), None)], []


def ch06(v: dict) -> Plan:
    from chapters.minibatch import configs, parameters

    P = preset("06_minibatch", v)
    cfgs = configs.flat_plan(parameters.plan(P, v))
    return [(cfgs, P["seeds"])], ["the order recovery (computed, no records)"]


def ch07(v: dict) -> Plan:
    from chapters.accelerators import configs, parameters

    P, methods = preset("07_accelerators", v), v["methods"]
    grid = configs.tune_plan(P, methods)
    chosen = {}  # the tuning's pick where all its runs are recorded (pick_factor reads them)
    for name, by_f in grid.items():
        recs = {f: [lookup(c.key(), c).record for c in cfgs] for f, cfgs in by_f.items()}
        if all(r is not None for rs in recs.values() for r in rs):
            chosen[name] = configs.pick_factor(recs)
    cells = parameters.plan(P, chosen, methods)
    tuning = [c for by_f in grid.values() for cfgs in by_f.values() for c in cfgs]
    flat = [c for cfgs in cells.values() for c in cfgs]
    left = [
        f"{len(grid) - len(chosen)} of {len(grid)} cells' evaluation runs at lr factor 1, a "
        "stand-in for the factor their tuning (not all recorded) will pick; keys change with it"
    ]
    sweeps = [(tuning, None), (flat, None), (list(configs.timings(P, cells).values()), 1)]
    return sweeps, left if len(chosen) < len(grid) else []


CHAPTERS: dict[str, Callable[[dict], Plan]] = {  # a new notebook needs its function here
    s: globals()[f"ch{s[:2]}"] for s in STEMS if f"ch{s[:2]}" in globals()
}


def chapter_plan(stem: str, scale: str) -> Plan:
    """The chapter's sweeps plus its sources' baselines (grokcore.baselines.results: their cpu
    seeds at cpu and paper, none at smoke)."""
    sweeps, left = CHAPTERS[stem](notebook_values(stem, scale))
    claims = importlib.import_module(f"chapters.{stem[3:]}.claims")
    for bid in getattr(claims, "BASELINE_IDS", ()) if scale != "smoke" else ():
        b = baselines.BASELINES[bid]
        sweeps.append((b.configs(range(b.seeds)), None))
    return sweeps, left


# ---- a config's budget, periodic work and threshold; clocking a unit


def _get(cfg: Any, name: str) -> Any:
    """The config's own field, else its run's (RunConfig wrappers; epoch configs' `run`)."""
    return getattr(cfg, name, None) or getattr(getattr(cfg, "run", None), name, None)


def budget(cfg: Any) -> tuple[str, int] | None:
    """("steps" or "epochs", size), as sweep.unit_cost reads steps but epochs where the config
    counts them (so that a clock in epochs multiplies epochs); None for a timing."""
    if not getattr(type(cfg), "reproducible", True):
        return None  # its steps are what it measures, not a budget
    if getattr(cfg, "num_epochs", None) and not hasattr(cfg, "num_steps"):
        return "epochs", cfg.num_epochs
    return ("steps", _get(cfg, "num_steps")) if _get(cfg, "num_steps") else None


def with_budget(cfg: Any, k: int) -> Any:
    if getattr(cfg, "source", None) is not None:  # a transfer run: its source only sets the
        cfg = cfg.replace(source=None)  # amplifier's start, and is not in the temp cache
    if budget(cfg)[0] == "epochs":
        return cfg.replace(num_epochs=k)
    if hasattr(cfg, "num_steps"):
        return cfg.replace(num_steps=k)
    return cfg.replace(run=cfg.run.replace(num_steps=k))


SIBLING_SEEDS = range(64)  # where a config's recorded seeds are looked for


def trained_share(cfg: Any, cache: dict | None = None) -> list[float]:
    """For each recorded seed of `cfg` (the same config at another seed, SIBLING_SEEDS): the
    share of its step budget it trained before it stopped. Empty for an epoch budget (records
    count steps) or where no seed is recorded. `cache`: answers by the config at seed 0 (a
    chapter's units share configs but for the seed)."""
    b = budget(cfg)
    if not b or b[0] != "steps":
        return []
    base = cfg.replace(seed=0).key()
    if cache is not None and base in cache:
        return cache[base]
    shares = []
    for seed in SIBLING_SEEDS:
        sib = cfg.replace(seed=seed)
        rec = lookup(sib.key(), sib).record
        if rec is not None and rec.summary.get("last_step") is not None:
            shares.append(min(1.0, rec.summary["last_step"] / b[1]))
    if cache is not None:
        cache[base] = shares
    return shares


def period(cfg: Any) -> int:
    """Steps (epochs) after which the config's periodic work repeats: evaluations, probes."""
    return math.lcm(_get(cfg, "eval_every") or 1, getattr(cfg, "hessian_every", 0) or 1)


def _alarm(signum: int, frame: Any) -> None:
    raise TimeoutError


def clock(unit: list, k1: int, k2: int, timeout: int) -> tuple[float, str]:
    """Seconds per step (epoch) of the unit on one thread, and a note ('' if none)."""

    def timed(k: int) -> float:
        signal.alarm(timeout)  # a run that would take longer raises TimeoutError
        t = time.perf_counter()
        run_unit([with_budget(c, k) for c in unit])
        return time.perf_counter() - t

    per, note = period(unit[0]), ""
    a = per * math.ceil(k1 / per)
    b = a + per * math.ceil((k2 - k1) / per)
    signal.signal(signal.SIGALRM, _alarm)
    try:
        guess = timed(k1) / k1  # warm-up (lazy initialization, caches); setup included
        if (a + b) * guess > timeout:  # runs to the periodic work would take too long
            a, b, note = k1, k2, f"work every {per} not in the rate"
        t1, t2 = timed(a), timed(b)
    finally:
        signal.alarm(0)
    if t2 <= t1:  # noise swamped the difference: setup included, an overestimate
        return t2 / b, f"{note}; t({b}) <= t({a}): rate includes setup".lstrip("; ")
    return (t2 - t1) / (b - a), note


def lpt(seconds: list[float], workers: int = 2) -> float:
    """Makespan of the jobs, each longest first onto the least loaded worker."""
    loads = [0.0] * workers
    for s in sorted(seconds, reverse=True):
        loads[loads.index(min(loads))] += s
    return max(loads)


# ---- a chapter's row


def listing(stem: str, scale: str, scratch: bool) -> tuple[dict, list[list[list]]]:
    """The chapter's counts and, per sweep, the units of its missing configs (reads the real
    cache: before any clock)."""
    sweeps, left = chapter_plan(stem, scale)
    seen: set[str] = set()  # a config in two sweeps of the chapter trains once
    units, listed, missed = [], 0, []
    for cfgs, max_stack in sweeps:
        new = [c for c in {c.key(): c for c in cfgs}.values() if c.key() not in seen]
        seen |= {c.key() for c in new}
        missing = [c for c in new if scratch or lookup(c.key(), c).record is None]
        listed, missed = listed + len(new), missed + [c.key() for c in missing]
        # run_or_load on a CPU: max_stack None means 1
        units.append(plan_units(missing, workers=2, max_stack=max_stack or 1) if missing else [])
    row = {"chapter": stem, "listed": listed, "shipped": listed - len(missed)}
    return row | {"missing": len(missed), "missing_keys": missed, "left_out": left}, units


# config classes not clocked here, and why (the row lists their units as not clocked)
NOT_CLOCKED = {
    "ImageSumConfig": "the MED code's ResNet-18 at paper scale: a clock run took this 24 GB "
    "machine out of memory (2026-12-05); a GPU's job",
}


def clocked(unit: list, args: argparse.Namespace, clocks: dict) -> tuple[str, float | None, str]:
    """The unit's shape, its clocked seconds per step (None: not clocked) and a note."""
    shape = f"{with_budget(unit[0], 1).replace(seed=0).key()[:16]}x{len(unit)}"
    if args.scale == "paper" and type(unit[0]).__name__ in NOT_CLOCKED:
        clocks[shape] = (None, NOT_CLOCKED[type(unit[0]).__name__])
    if shape not in clocks:
        try:  # whatever a clock run records goes to a directory deleted afterwards
            with tempfile.TemporaryDirectory() as tmp:
                with mock.patch.dict(os.environ, GROKCORE_CACHE=tmp):
                    clocks[shape] = clock(unit, args.k1, args.k2, args.clock_timeout)
        except TimeoutError:
            clocks[shape] = (None, f"a clock run took over {args.clock_timeout} s")
        except Exception as e:  # a class that cannot train so short: say why
            clocks[shape] = (None, f"{type(e).__name__} in a short clock run: {e}"[:160])
    return shape, *clocks[shape]


def cost(row: dict, sweeps: list[list[list]], args: argparse.Namespace, clocks: dict) -> dict:
    """The row's missing budget, clocked shapes and hours. On 2 workers: each sweep's units
    longest first (the notebook's run_or_load calls run one after the other)."""
    row.update(budget_missing={}, not_clocked={}, shapes={}, cpu_hours=0.0, hours_2_workers=0.0)
    row.update(typical_cpu_hours=0.0, typical_hours_2_workers=0.0, typical_from=0)
    shared: dict = {}  # trained_share's answers, by config at seed 0
    for units in sweeps:
        secs, typical = [], []
        for unit in units:
            b = budget(unit[0])
            if b:
                row["budget_missing"][b[0]] = row["budget_missing"].get(b[0], 0) + b[1] * len(unit)
            shape, rate, note = clocked(unit, args, clocks) if b else ("", None, "a timing")
            if rate is None:
                why = f"{type(unit[0]).__name__} x{len(unit)}: {note}"
                row["not_clocked"][why] = row["not_clocked"].get(why, 0) + 1
                continue
            secs.append(rate * b[1])
            stops = _get(unit[0], "stop_at_test_acc") is not None
            shares = trained_share(unit[0], shared) if stops else []
            if shares:  # a stack trains until its last member stops
                row["typical_from"] += 1
            share = (max(shares) if len(unit) > 1 else sum(shares) / len(shares)) if shares else 1
            typical.append(secs[-1] * share)
            s = row["shapes"].setdefault(shape, {"config": repr(unit[0])[:200], "per": b[0][:-1],
                "members": len(unit), "s_per": rate, "note": note, "upper_bound": stops,
                "units": 0, "seconds": 0.0})  # fmt: skip
            s["units"] += 1
            s["seconds"] += secs[-1]
        row["cpu_hours"] += sum(secs) / 3600
        row["hours_2_workers"] += lpt(secs) / 3600
        row["typical_cpu_hours"] += sum(typical) / 3600
        row["typical_hours_2_workers"] += lpt(typical) / 3600
    return row


def show(row: dict) -> None:
    miss = " + ".join(f"{n:,} {w}" for w, n in row["budget_missing"].items()) or "0"
    print(f"{row['chapter']:<17} {row['listed']:>6} {row['shipped']:>7} {row['missing']:>7}  "
          f"{miss:>26} {row['cpu_hours']:>8.2f} {row['hours_2_workers']:>8.2f}")  # fmt: skip
    shapes = sorted(row["shapes"].values(), key=lambda s: -s["seconds"])
    if bound := sum(s["seconds"] for s in shapes if s["upper_bound"]) / 3600:
        print(f"    upper bound: {bound:.2f} of the CPU-hours stop at a test accuracy")
    if row["typical_from"]:
        print(f"    typical: {row['typical_cpu_hours']:.2f} CPU-h, "
              f"{row['typical_hours_2_workers']:.2f} h on 2 workers ({row['typical_from']} "
              "unit(s) at the share of the budget their recorded seeds trained)")  # fmt: skip
    for s in shapes[:4]:  # the costliest shapes; --json has all
        rate = f"{1e3 * s['s_per']:.2f} ms/{s['per']}"
        print(f"    {s['seconds'] / 3600:7.3g} h: {s['units']} unit(s) x{s['members']} at {rate}, "
              f"{s['config'][:60]}.. {s['note']}")  # fmt: skip
    for line in row["left_out"]:
        print(f"    left out: {line}")
    for why, n in row["not_clocked"].items():
        print(f"    not clocked, left out of the hours ({n} unit(s)): {why}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", choices=("smoke", "cpu", "paper"), default="paper")
    p.add_argument("--chapters", help=f"comma-separated prefixes of {', '.join(STEMS)}")
    p.add_argument("--k1", type=int, default=5, help="steps (epochs) of the shorter clock run")
    p.add_argument("--k2", type=int, default=15, help="steps (epochs) of the longer clock run")
    p.add_argument("--clock-timeout", type=int, default=300, help="seconds a clock run may take")
    p.add_argument("--from-scratch", action="store_true", help="count every run as missing")
    p.add_argument("--json", type=Path, help="write the rows here")
    args = p.parse_args(argv)
    if not 0 < args.k1 < args.k2 or args.clock_timeout < 1:
        p.error("need 0 < --k1 < --k2 and --clock-timeout >= 1")
    wanted = [c.strip() for c in (args.chapters or "").split(",")]
    bad = [c for c in wanted if not c or not any(s.startswith(c) for s in STEMS)]
    if args.chapters is not None and bad:
        p.error(f"--chapters {args.chapters!r}: {bad} start no chapter (allowed: prefixes of "
                f"{', '.join(STEMS)})")  # fmt: skip
    if bad := [s for s in STEMS if s not in CHAPTERS]:
        p.error(f"no plan function for {', '.join(bad)} in {__file__}")
    torch.set_num_threads(1)  # as a sweep worker trains
    clocks: dict = {}  # shared by chapters: chapter 7 reruns cells of chapters 2 and 3
    print(f"{'chapter':<17} {'listed':>6} {'shipped':>7} {'missing':>7}  {'budget missing':>26} "
          f"{'CPU-h':>8} {'2-wkr h':>8}")  # fmt: skip
    rows = []
    for stem in [s for s in STEMS if any(s.startswith(c) for c in wanted)]:
        row, sweeps = listing(stem, args.scale, args.from_scratch)
        rows.append(cost(row, sweeps, args, clocks))
        show(rows[-1])
    keys = [k for r in rows for k in r["missing_keys"]]
    print(f"total {sum(r['cpu_hours'] for r in rows):.2f} CPU-hours (typical "
          f"{sum(r['typical_cpu_hours'] for r in rows):.2f}); of {len(set(keys))} missing "
          f"configs {len(keys) - len(set(keys))} are counted in more than one chapter")  # fmt: skip
    if args.json:
        out = {"scale": args.scale, "k1": args.k1, "k2": args.k2, "rows": rows}
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
