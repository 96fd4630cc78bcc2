"""Chapter 3's scale presets, a reader outside the code fingerprint (grokcore.fingerprint)."""

from __future__ import annotations

from typing import Any, Mapping

SCALES = {  # a notebook parameter left as None takes these
    "smoke": {
        "operations": ["x+y", "x-y"],
        "p": 11,
        "frac_train": 0.5,
        "d_model": 16,
        "amp_hidden": [8, 8],
        "seeds": 2,
        "first_seeds": 3,  # unequal to seeds, so that the smoke test pairs cells of both sizes
        "op_seeds": {},
        # task (or a Table 1 cell "op/method", an ablation cell, or a row at seeds of its own)
        # -> the seeds at each look its rows had (absent: one look)
        "looks": {},
        "ablation_seeds": 2,
        # an ablation cell at seeds of its own, so that the smoke test runs one
        "ablation_cell_seeds": {"neuralgrok_c/2": 3},
        # a row at seeds of its own (its cells "<row>:<cell>"), so that the smoke test runs one
        "row_seeds": {"oscillation-standard": 4},
        "num_steps": 40,
        "task_steps": 40,
        "op_steps": {"x-y": 50},
        "ablation_steps": 40,
        "eval_every": 10,
        "rescale_cs": [0.01, 0.5, 1.0, 2.0],
        "neuralgrok_cs": [0.5, 1.0, 2.0],
        "adamw_weight_decays": [1e-3, 1e-2],
        "transfer": True,
    },
    # The code's own setup (grokcore.presets.neuralgrok: its decoder at width 128, 50% train,
    # batch 512 with the last one kept, clip 1) on a+b mod 97, where its standard run groks in
    # about 1000 steps (the baseline-neuralgrok row). Two idle cores, about 45 minutes per phase:
    # - Table 1 on a+b at 8 seeds and 2000 steps, every arm run past 95% (post-grok evaluations):
    #   3 of its first 5 Grokfast-EMA runs miss 95% within them, and a bound from censored runs
    #   takes 6 seeds at 95% (grokcore.estimates.signed_rank_lower): first_seeds 8, set before
    #   seeds 5-7 ran (the rows' declared minimum stays 3), after a look at the first 5, so the
    #   rows on these cells are judged at Pocock's level for two looks (looks, below);
    # - Table 1 on a*b, a-b and a^2-b at 5 seeds, each run stopping at 95%: a*b within 4000
    #   steps, a-b and a^2-b within 8000 (Table 1's standard runs take 4330 and 4820 steps at
    #   1650 on a+b; ours groks a+b in about 1000, yet at 4000 steps 3 of 5 standard a-b runs
    #   were still short of 95%: at 8000 all five are there, the slowest at 6750);
    # - a-b at 10 seeds (op_seeds), a second look: its first 5 standard runs spread from 1350 to
    #   6750 steps and left table1-vs-standard-sub at 2.87x [1.22, 6.76] against the band's 1.3
    #   edge; seeds 5-9 were added for that reason alone, after the first look, so its rows'
    #   intervals are at Pocock's level for two looks (looks; grokcore.estimates.
    #   sequential_level: 97.06% for 5 then 10, 96.89% for a+b's 5 then 8), which keeps a false
    #   verdict's chance over both looks at 5%;
    # - a*b and a^2-b at 10 seeds too (op_seeds), a second look for the same reason: at 5 seeds
    #   table1-vs-ma-mul read 1.23x [1.09, 1.39] on its band's 1.2 edge and table1-vs-standard-
    #   sqsub 1.46x [0.71, 3.02] (standard a^2-b's times bimodal: 1350 to 4750 steps); seeds 5-9
    #   were added after that look, so every Table 1 row of the two tasks is judged at Pocock's
    #   level for looks at 5 and 10 seeds (looks, below);
    # - standard a^2-b within 20000 steps (op_steps names the cell), its other arms within 8000:
    #   at 10 seeds two standard runs (seeds 7 and 9) were still short of 95% at 8000, their test
    #   accuracy swinging between 0.3 and 0.8 (the paper's "damps" after grokking), and left
    #   table1-vs-standard-sqsub a bound that cannot decide (>= 0.96x against 1.3); the budget
    #   was raised for that reason alone, after that look: a third look at the same seeds, so
    #   the rows on that cell (table1-vs-standard-sqsub alone) are judged at Pocock's level for
    #   three equally spaced looks (97.79%; the third adds less than the others, so equal
    #   spacing's level is the wider);
    # - the ablations at 3 seeds (the fewest any row declares) and 1500 steps.
    # An amplifier of hidden widths 8, 8 (code: 128, 128, whose MLP over the 422,784 gradient
    # entries costs 10x a model step on this CPU); evaluations every 50 steps (code: every epoch,
    # 10 steps), which would cost 60% more time.
    "cpu": {
        "operations": ["x+y", "x-y", "x*y", "x^2-y"],
        "p": 97,
        "frac_train": 0.5,
        "d_model": 128,
        "amp_hidden": [8, 8],
        "seeds": 5,
        "first_seeds": 8,
        "op_seeds": {"x-y": 10, "x*y": 10, "x^2-y": 10},
        "looks": {
            "x+y": [5, 8],
            "x-y": [5, 10],
            "x*y": [5, 10],
            "x^2-y": [5, 10],
            "x^2-y/standard": 3,  # 5 and 10 seeds at 8000 steps, then 10 at 20000 (op_steps)
            "x+y/grokfast_ema": 3,  # 5 and 8 seeds at 2000 steps, then 8 at 6000 (op_steps)
            "neuralgrok_c/2": [3, 8],  # an ablation cell: 3 seeds, then 8 (ablation_cell_seeds)
            "oscillation-standard": [5, 8, 40],  # a row at seeds of its own (row_seeds)
            "table1-vs-ma-add": [5, 8, 31],
            # 5 and 10 seeds at 8000 steps, 10 at 20000 (its standard cell's looks), then 46
            "table1-vs-standard-sqsub": 4,
        },
        "ablation_seeds": 3,
        # NeuralGrok at c = 2 at 8 seeds, a second look: at 3 (paired with the first task's
        # NeuralGrok at c = 0.2, which runs 8) clip-equalizes-c read 0.99x [0.84, 1.17] across
        # its 1.1 edges, about 7 seeds with a value deciding it if the estimate and spread held
        # (grokcore.claims.seeds_to_decide); seeds 3-7 were added for that reason alone, so the
        # rows on that cell are judged at Pocock's level for their looks (looks, above)
        "ablation_cell_seeds": {"neuralgrok_c/2": 8},
        # standard training on a+b at 40 seeds for oscillation-standard alone (its cell
        # "oscillation-standard:x+y/standard": the first 8 are Table 1's runs, which every other
        # row reads; seeds 8-15 are chapter 7's runs of the same config), a third look: at 8 the
        # row read 0.088 [0.000, 0.175] across its 0.05 edge, about 39 seeds with a value
        # deciding it if the estimate and spread held (grokcore.claims.seeds_to_decide); seeds
        # 8-39 were added for that reason alone, so the row is judged at Pocock's level for
        # looks at 5, 8 and 40 seeds (looks, above)
        # table1-vs-ma-add at 31 seeds for the same reason, set before its runs (its cells
        # "<row>:<cell>", both arms, the first 8 Table 1's): at 8 it read 1.13x [0.99, 1.28]
        # across its 1.2 edge, about 31 deciding it; a third look (looks, above)
        # table1-vs-standard-sqsub at 46 seeds for the same reason, set before its runs (both
        # arms, the first 10 Table 1's): at 10 seeds and standard a^2-b's 20000 steps it read
        # 1.84x [0.86, 3.94] across its 1.3 edge, about 46 deciding it; a fourth look, judged
        # at Pocock's level for four equally spaced looks (looks, above: 98.18%; the budget look
        # taken as one more seed's, looks 5, 10, 11, 46, would give 98.25%, and the verdict is
        # the same at either)
        "row_seeds": {
            "oscillation-standard": 40,
            "table1-vs-ma-add": 31,
            "table1-vs-standard-sqsub": 46,
        },
        "num_steps": 2000,
        "task_steps": 4000,
        # Grokfast-EMA on a+b at 6000 steps (op_steps names the cell), a third look at its 8
        # seeds: at 2000, 5 of them had not reached 95%, so table1-vs-ema-add was only a bound,
        # and 7 had fewer than the 10 evaluations after it that oscillation-ema reads (not
        # testable); the budget was raised for that reason alone, so the rows on that cell are
        # judged at Pocock's level for three equally spaced looks (looks, above)
        "op_steps": {"x-y": 8000, "x^2-y": 8000, "x^2-y/standard": 20000, "x+y/grokfast_ema": 6000},
        "ablation_steps": 1500,
        "eval_every": 50,
        "rescale_cs": [0.01, 0.5, 1.0, 2.0],
        "neuralgrok_cs": [0.5, 1.0, 2.0],
        "adamw_weight_decays": [1e-2],
        # Fig. 12's transfer, set before any transfer ran: the first task's amplifiers and
        # a^2-b's (the hardest task here: configs.HARDEST), frozen, on a-b at the budget and stop
        # of Table 1's standard a-b runs, their baseline, at every seed their source has (8, 10)
        "transfer": True,
    },
    "paper": {
        "operations": ["x+y", "x-y", "x*y", "x^2-y", "a*c+b*d-e"],
        "p": 97,
        "frac_train": 0.5,
        "d_model": 128,
        "amp_hidden": [128, 128],
        "seeds": 5,
        "first_seeds": 8,  # as cpu: room for a bound where runs on the first task are censored
        # as cpu: standard a-b's times spread 5x over seeds, a^2-b's are bimodal, a*b's MA row sat
        # on its edge at 5
        "op_seeds": {"x-y": 10, "x*y": 10, "x^2-y": 10},
        "looks": {},  # 8 seeds on a+b and 10 on the others from the start: one look each
        "ablation_seeds": 5,
        "ablation_cell_seeds": {},
        "row_seeds": {},
        "num_steps": 10000,
        "task_steps": 10000,
        "op_steps": {},
        "ablation_steps": 10000,
        "eval_every": 10,
        "rescale_cs": [0.01, 0.5, 1.0, 2.0],
        "neuralgrok_cs": [0.5, 1.0, 2.0],
        "adamw_weight_decays": [1e-3, 1e-2],
        "transfer": True,
    },
}


def _task(key: str) -> str:  # "x^2-y/standard" -> "x^2-y"
    return key.split("/")[0]


def _op_steps(key: str, P: dict, v: Mapping[str, Any]) -> bool:
    # a later task's budget, or one Table 1 cell's of any task (the first's included)
    ops = P["operations"]
    return _task(key) in ops[1:] or ("/" in key and _task(key) == ops[0])


def _op_seeds(key: str, P: dict, v: Mapping[str, Any]) -> bool:
    return key in P["operations"][1:]  # the first task's seeds are first_seeds


def _row_seeds(key: str, P: dict, v: Mapping[str, Any]) -> bool:
    # a row whose cells are the scale's (a stability row reads the first task's), on a task the
    # notebook runs, at no fewer seeds than that task's (the row extends its runs)
    from .configs import row_cells, task_seeds

    cells = row_cells(key, P["operations"][0])
    op = _task(cells[0])
    return (
        op in P["operations"]
        and cells == row_cells(key, SCALES[v["scale"]]["operations"][0])
        and P["row_seeds"][key] >= task_seeds(P, op)
    )


_ABLATION_VALUES = {
    "rescale": "rescale_cs",
    "neuralgrok_c": "neuralgrok_cs",
    "adamw": "adamw_weight_decays",
}


def _ablation_cell_seeds(key: str, P: dict, v: Mapping[str, Any]) -> bool:
    # "neuralgrok_c/2": kept where 2 is among neuralgrok_cs (configs.plan names cells f"{c:g}")
    family, _, value = key.partition("/")
    if family == "composite_rescale":  # Fig. 3's cell, where the composite task is planned
        from .configs import COMPOSITE

        return COMPOSITE in P["operations"]
    if family not in _ABLATION_VALUES:
        return True
    return value in {f"{x:g}" for x in P[_ABLATION_VALUES[family]]}


# The dicts this chapter's scales key by task, cell or row, where the notebook leaves them None:
# each keeps the scale's entries for what the notebook runs (grokcore.params.at_scale), so that
# `-p operations '["x+y", "x-y"]'` at scale cpu drops the budgets and seeds set for a*b and a^2-b
SCOPED = {
    "op_steps": _op_steps,
    "op_seeds": _op_seeds,
    "row_seeds": _row_seeds,
    "ablation_cell_seeds": _ablation_cell_seeds,
}
