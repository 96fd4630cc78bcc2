"""No number about the runs is typed by hand in a chapter's discussion.

The discussion (the markdown from "## Discussion" to the end of a notebook) is rendered at every
scale and for every user's `-p` parameters, so a number it states about the runs must come from
the run: a {glue:text} quote (grokcore.claims.ClaimsTable.quote: the claims rows, the chapter's
`prose_quotes`, and `param.<name>`, the scale's own parameter values). What may stay literal:

- what the claims declare (their statements, the sources' values, bands, minimum seeds, why),
- values of the notebook's parameters cell, scale values that are the same at cpu and paper
  (setup constants: p = 59, 250 epochs, batch 64, ...) and the accuracy thresholds the runs
  log (grokcore.train.THRESHOLDS: 90%, 95%, ...),
- integers up to 10 (counts of things: "two by two", "the code's four conditions"), years,
  section, figure, table and equation numbers, math, code and links,
- a chapter's `PROSE_LITERALS` (its claims.py): phrases with a number and the reason it is not
  a run's (a source's budget, a statistical fact), each of which must still occur in the text.

A value of a scale parameter that differs between cpu and paper ("8 seeds", "1500 epochs") is
named as such: it is wrong at the other scale, so it must be a `param.<name>` quote, unless its
sentence or table row names the scale it speaks of (`scale="cpu"`, `paper`). Before the
discussion (setup, deviation tables) only such values are checked: the sources' numbers are the
text's own there.
"""

from __future__ import annotations

import importlib
import json
import math
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "book"))
from build import chapter_packages  # noqa: E402

from grokcore.baselines import BASELINES  # noqa: E402
from grokcore.train import THRESHOLDS  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
HEADING = "## Discussion"
SMALL = 10  # integers up to this are counts of things, not results

# a number: 1,234,567 (thousands separators), 12, 0.58, 1.5; not part of a word, a name
# (rsvd128, W1, ResNet-18) or an identifier
NUMBER = re.compile(r"(?<![\w.\-/#])(\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)|\d+(?:\.\d+)?)(?!\w|\.\d)")
# what is not prose about the runs: first what a scale label's reach must not see (item
# numbers, quotes and roles, links, references: "Def. 4.2" is not two sentences), then the
# code spans (the labels among them) and formulas
NOT_PROSE = [
    r"(?m)^\s*\d+\.\s",  # a numbered list's item numbers
    r"\{glue:text\}`[^`]*`",
    r"\{[a-z:]+\}`[^`]*`",  # {cite:t}, {doc}, {ref}, ...
    r"\]\([^)]*\)",
    r"https?://\S+",
    r"(?:§|Figs?\.|Figures?|Tables?|Eqs?\.|Sec\.|Sections?|App\.|Appendix|Def\.|Thm\.|Lemma|"
    r"Algorithm|issue|arXiv:?)\s*[A-Z]?\d+(?:\.\d+)*(?:[–-]\d+(?:\.\d+)*)?",
    r"\b20[12]\d\b",  # years 2010-2029
]
CODE_AND_MATH = [r"`[^`]*`", r"\$\$.*?\$\$", r"\$[^$]*\$"]


def value(token: str) -> float:
    return float(token.replace(",", ""))


def numbers_in(obj) -> set[float]:
    """Every number an object states: numbers, numbers in text, in containers and dataclasses'
    text fields, recursively."""
    out: set[float] = set()
    if isinstance(obj, bool) or obj is None:
        return out
    if isinstance(obj, (int, float)):
        if math.isfinite(obj):
            out.add(float(obj))
    elif isinstance(obj, str):
        out |= {value(m.group(1)) for m in NUMBER.finditer(obj)}
    elif isinstance(obj, dict):
        for k, v in obj.items():
            out |= numbers_in(k) | numbers_in(v)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for v in obj:
            out |= numbers_in(v)
    return out


def with_percents(xs: set[float]) -> set[float]:
    """Fractions also as the percentages the prose writes (0.99 -> 99)."""
    return xs | {round(100 * x, 6) for x in xs if 0 < x <= 1}


def prose(text: str, literals=(), patterns=(*NOT_PROSE, *CODE_AND_MATH)) -> str:
    """The text with every quote, role, code span, formula, link, reference and allowed phrase
    blanked out."""
    for phrase in literals:
        text = text.replace(phrase, " ")
    for pattern in patterns:
        text = re.sub(pattern, " ", text, flags=re.S)
    return text


# a sentence or table row that names a scale (`cpu`, `scale="paper"`) speaks of that preset
SCALE_LABEL = re.compile(r'`(?:scale=")?(?:smoke|cpu|paper)"?`')


def units(text: str) -> list[str]:
    """Sentences, list items and table rows: the reach of a scale label."""
    out = []
    for para in re.split(r"\n\s*\n", text):
        if para.lstrip().startswith("|"):
            out += para.split("\n")
        else:
            out += re.split(r"(?<=[.!?])\s+|\n(?=\s*(?:[-*]|\d+\.) )", para)
    return out


def typed_numbers(text: str, allowed: set[float], scale_only: set[float], literals=()):
    """(token, context, kind) for each number of `text` that nobody vouches for: kind "scale"
    for a value of a scale parameter that differs between scales, unless its sentence (or
    table row) names the scale it speaks of; "typed" for any other."""
    out = []
    for unit in units(prose(text, literals, NOT_PROSE)):
        labelled = SCALE_LABEL.search(unit) is not None
        body = prose(unit, patterns=CODE_AND_MATH)
        for m in NUMBER.finditer(body):
            v = value(m.group(1))
            context = " ".join(body[max(0, m.start() - 50) : m.end() + 30].split())
            if v in scale_only and v not in allowed:
                if not labelled:
                    out.append((m.group(1), context, "scale"))
            elif v not in allowed and not (v.is_integer() and v <= SMALL):
                out.append((m.group(1), context, "typed"))
    return out


def split(cells: list[dict]) -> tuple[str, str]:
    """The markdown before "## Discussion" and from it to the end."""
    md = [(i, "".join(c["source"])) for i, c in enumerate(cells) if c["cell_type"] == "markdown"]
    starts = [i for i, text in md if text.startswith(HEADING)]
    assert starts, f"no markdown cell starts with {HEADING!r}"
    before = "\n\n".join(text for i, text in md if i < starts[0])
    return before, "\n\n".join(text for i, text in md if i >= starts[0])


def vouched(notebook: Path, cells: list[dict]) -> tuple[set[float], set[float], dict[str, str]]:
    """The numbers the chapter vouches for, the values only some scales have, its literals."""
    (package,) = chapter_packages(notebook)
    claims_mod = importlib.import_module(f"chapters.{package}.claims")
    scales = importlib.import_module(f"chapters.{package}.scales").SCALES
    claims = [BASELINES[b].claim for b in getattr(claims_mod, "BASELINE_IDS", ())]
    claims += list(claims_mod.CLAIMS.values())
    declared: set[float] = set()
    for c in claims:
        for field in ("statement", "source", "paper", "why", "band", "min_seeds", "quantity"):
            declared |= numbers_in(getattr(c, field, None))
    (parameters,) = [c for c in cells if "parameters" in c["metadata"].get("tags", [])]
    defaults = set()
    for line in "".join(parameters["source"]).splitlines():
        defaults |= numbers_in(line.split("#", 1)[0].split("=", 1)[-1])
    cpu, paper = numbers_in(scales["cpu"]), numbers_in(scales["paper"])
    allowed = with_percents(declared | defaults | (cpu & paper) | set(THRESHOLDS))
    return allowed, (cpu ^ paper) - allowed, getattr(claims_mod, "PROSE_LITERALS", {})


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_discussion_quotes_its_numbers(notebook):
    cells = json.loads(notebook.read_text())["cells"]
    before, text = split(cells)
    allowed, scale_only, literals = vouched(notebook, cells)
    missing = [phrase for phrase in literals if phrase not in before + text]
    assert not missing, f"PROSE_LITERALS phrases no longer in the notebook: {missing}"
    assert all(reason.strip() for reason in literals.values()), "each literal says why"
    found = typed_numbers(text, allowed, scale_only, literals)
    assert not found, (
        f"{notebook.name}: numbers typed in the discussion; quote them ({{glue:text}}`name`: a "
        "claims row, the chapter's prose_quotes, or param.<name> for a scale's value) or, if "
        "no run made them, add the phrase to the chapter's PROSE_LITERALS with the reason:\n"
        + "\n".join(f"  {kind}: {tok!r} in ...{ctx}..." for tok, ctx, kind in found)
    )


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_setup_quotes_the_scales_values(notebook):
    """Before the discussion (setup, deviation tables) a source's numbers are the text's own,
    but a value of the scale the run used must be quoted: typed, it is the cpu preset's and
    wrong at the paper scale."""
    cells = json.loads(notebook.read_text())["cells"]
    before, _ = split(cells)
    allowed, scale_only, literals = vouched(notebook, cells)
    found = [f for f in typed_numbers(before, allowed, scale_only, literals) if f[2] == "scale"]
    assert not found, (
        f"{notebook.name}: a scale's values typed before the discussion; quote them "
        "({glue:text}`param.<name>`) or, where the text names the scale it speaks of, add the "
        "phrase to the chapter's PROSE_LITERALS:\n"
        + "\n".join(f"  {tok!r} in ...{ctx}..." for tok, ctx, _ in found)
    )


# The scanner itself, on text with known answers


def test_quoted_and_referenced_numbers_pass_typed_ones_are_named():
    text = (
        "Batch 64 groks in {glue:text}`thirty-passes` (§3, Fig. 2, Eq. 4.2, 2026): the "
        "$2^{11}$ sizes, `lr=1e-3`, [code](https://x.org/a/123). It took 36.2 epochs and "
        "7 of 8 seeds; 1500 epochs at cpu; the source's 30 passes, 99% accuracy."
    )
    found = typed_numbers(text, allowed=with_percents({64, 30, 0.99}), scale_only={1500})
    assert [(tok, kind) for tok, _, kind in found] == [("36.2", "typed"), ("1500", "scale")]


def test_literal_phrases_and_thousands_separators():
    text = "The authors' budget is 10,100 epochs; ours ran 12,000 and 1,234.5."
    found = typed_numbers(text, allowed={12000.0}, scale_only=set())
    assert [tok for tok, _, _ in found] == ["10,100", "1,234.5"]
    found = typed_numbers(text, {12000.0}, set(), literals=["10,100 epochs", "1,234.5"])
    assert found == []


def test_small_integers_pass_unless_they_are_a_scale_value():
    found = typed_numbers("two by two, 4 conditions, 8 seeds", set(), scale_only={8.0})
    assert [(tok, kind) for tok, _, kind in found] == [("8", "scale")]


def test_a_scale_label_covers_its_sentence_or_row_only():
    text = (
        'Every claim declares 5 seeds. At `scale="cpu"` we run 8 seeds and 1500 epochs. '
        "Elsewhere 1500 epochs.\n\n| budget | 2000 steps at `cpu` |\n| seeds | 8 |\n\n"
        "- **Runs.** 8 seeds.\n- at `paper`, 8 too"
    )
    found = typed_numbers(text, allowed=set(), scale_only={8.0, 1500.0, 2000.0})
    assert [(tok, ctx.split()[0]) for tok, ctx, _ in found] == [
        ("1500", "Elsewhere"),
        ("8", "|"),
        ("8", "-"),
    ]
    # a label does not excuse a typed result, only the scale's own values
    found = typed_numbers("At `cpu` the median is 36.2 epochs.", set(), set())
    assert [tok for tok, _, _ in found] == ["36.2"]


def test_item_numbers_and_dotted_references_are_not_numbers():
    text = "1. **First.** See Def. 4.2, Thm. 3.12 and App. D.2.\n2. Then 6.6k steps.\n10. Last."
    assert typed_numbers(text, allowed=set(), scale_only={1.0, 2.0, 10.0}) == []


def test_numbers_in_declarations_and_percent_forms():
    assert numbers_in({"a": [1, 2.5, "3 and 1,000"], "b": (True, None, math.inf)}) == {
        1.0,
        2.5,
        3.0,
        1000.0,
    }
    assert with_percents({0.99, 0.5, 2.0}) == {0.99, 0.5, 2.0, 99.0, 50.0}
