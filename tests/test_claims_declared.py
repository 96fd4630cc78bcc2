"""Claims are declared once, in each chapter's claims.py, and their bands cannot move quietly: the
committed verdicts (book/results/claims-cpu.json) record each claim's band and minimum seeds,
and this test fails when a declaration and its committed verdict disagree."""

import importlib
import json
import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "book"))
from build import chapter_packages  # noqa: E402

from grokcore.baselines import BASELINES  # noqa: E402
from grokcore.claims import VERDICTS, Claim  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
RECORDED = json.loads((ROOT / "book" / "results" / "claims-cpu.json").read_text())


def declared(notebook: Path) -> dict[str, Claim]:
    """The chapter's CLAIMS and its "baseline first" claims (grokcore.baselines)."""
    (package,) = chapter_packages(notebook)
    module = importlib.import_module(f"chapters.{package}.claims")
    base = {BASELINES[b].claim.id: BASELINES[b].claim for b in getattr(module, "BASELINE_IDS", ())}
    return {**base, **module.CLAIMS}


def _num(x):
    return None if x is None or math.isinf(x) else x


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_declared_claim_has_its_committed_verdict_with_the_same_band(notebook):
    claims = declared(notebook)
    assert claims and all(isinstance(c, Claim) and k == c.id for k, c in claims.items())
    rows = {r["id"]: r for r in RECORDED if r["chapter"] == notebook.stem}
    assert set(rows) == set(claims), (
        f"{notebook.stem}: claims declared but without a committed verdict "
        f"{sorted(set(claims) - set(rows))}, committed but not declared "
        f"{sorted(set(rows) - set(claims))}: rebuild (make book) and commit "
        "book/results/claims-cpu.json"
    )
    for cid, c in claims.items():
        r = rows[cid]
        got = (r["band_low"], r["band_high"], r["min_seeds"])
        want = (_num(c.band[0]), _num(c.band[1]), c.min_seeds)
        assert got == want, (
            f"{notebook.stem}/{cid}: declared band and min_seeds {want} but the committed verdict "
            f"was made with {got}: rebuild and commit book/results/claims-cpu.json"
        )
        assert r["verdict"] in VERDICTS
