"""Chapter 7 compares the methods on chapters 2's and 3's own setups: where it runs a cell one of
them ran, its config is theirs field for field, so both serve the same run record (one key)."""

from __future__ import annotations

from pathlib import Path


from chapters.accelerators import configs as acc
from chapters.egd_modular import configs as egd
from chapters.neuralgrok import configs as ng
from chapters.neuralgrok import scales as ng_scales
from chapters.accelerators import scales as acc_scales
from chapters.neuralgrok.parameters import check_parameters
from grokcore import params

ROOT = Path(__file__).resolve().parent.parent


def notebook_defaults(notebook: str) -> dict:
    """The parameters cell's values of a notebook, checked as the notebook checks them."""
    return check_parameters(params.notebook_defaults(ROOT / notebook))


def test_the_mlp_cells_are_chapter_2s_long_runs():
    P = acc_scales.SCALES["cpu"]
    for op in ("x+y", "x*y"):
        ours = acc.plan(dict(P, tasks=[f"mlp {op}"]), {})
        theirs = egd.plan_configs(
            {op: ["none", "column_norm"]}, p=97, seeds=P["seeds"], num_steps=2000,
            parity_epochs=100, long_methods=["none", "column_norm"],
        )  # fmt: skip
        mine = ours[f"mlp {op}/sgd"] + ours[f"mlp {op}/column_norm"]
        assert [c.key() for c in mine] == [c.key() for c in theirs]


def test_the_decoder_cells_are_chapter_3s_table_1_runs():
    v = notebook_defaults("notebooks/03_neuralgrok.ipynb")
    P = ng_scales.SCALES["cpu"]
    theirs = ng.plan(P, v)
    ours = acc.plan(dict(acc_scales.SCALES["cpu"], tasks=["decoder x+y"]), {})
    same = {"standard": "adam", "grokfast_ma": "grokfast_ma", "grokfast_ema": "grokfast_ema"}
    for method, label in {**same, "neuralgrok": "neuralgrok"}.items():
        mine, their = ours[f"decoder x+y/{label}"], theirs[f"x+y/{method}"]
        if f"x+y/{method}" in P["op_steps"]:
            # chapter 3 raised this cell's budget after a look (a look of its own); chapter 7
            # keeps its family's one budget: chapter 3's cell at chapter 3's num_steps
            assert mine[0].num_steps == P["num_steps"] != their[0].num_steps
            their = [c.replace(num_steps=P["num_steps"]) for c in their]
        assert [c.key() for c in mine] == [c.key() for c in their], label
