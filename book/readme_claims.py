"""Write the README's "What is reproduced" table from the verdicts a cpu-scale build recorded, and
its table of chapter times from the shipped records (grokcore.store.times_table).

python book/readme_claims.py           # rewrite the table in README.md
python book/readme_claims.py --check   # exit 1 if README.md disagrees (a test runs this)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from grokcore import store
from grokcore.claims import VERDICTS  # the one list of verdicts

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- claims:start -->", "<!-- claims:end -->"
TIMES_START, TIMES_END = "<!-- times:start -->", "<!-- times:end -->"


def summary(claims: list[dict]) -> list[str]:
    """One row per chapter: how many of its claims got each verdict."""
    chapters = list(dict.fromkeys(c["chapter"] for c in claims))
    lines = [
        "| chapter | claims | " + " | ".join(VERDICTS) + " |",
        "|" + "---|" * (2 + len(VERDICTS)),
    ]
    for ch in chapters:
        n = Counter(c["verdict"] for c in claims if c["chapter"] == ch)
        lines.append(
            f"| {ch} | {sum(n.values())} | " + " | ".join(str(n[v]) for v in VERDICTS) + " |"
        )
    return lines + [""]


def render(claims: list[dict], paper_scale: list[dict] | None = None) -> str:
    """A per-chapter count of verdicts, then one row per claim; with paper-scale verdicts
    recorded, a column for them too."""
    # paper-scale rows count only when made under the same verdict rules (they carry a band)
    big = {(c["chapter"], c["id"]): c for c in paper_scale or [] if "band_low" in c}
    head = ["chapter", "claim", "source", "paper", "band (agrees)", "ours: estimate [95% CI]"]
    head.append("verdict")
    if big:
        head.append("at scale paper")
    lines = summary(claims) + ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for c in claims:
        cells = [
            c["chapter"],
            c["statement"],
            c["source"],
            c["paper"],
            c["band"],
            c["ours"],
            f"**{c['verdict']}**",
        ]
        if big:
            p = big.get((c["chapter"], c["id"]))
            mark = " †" if p and p.get("params") else ""
            cells.append(f"{p['ours']}: **{p['verdict']}**{mark}" if p else "not run")
        lines.append("| " + " | ".join(str(x).replace("|", "\\|") for x in cells) + " |")
    counts = Counter(c["verdict"] for c in claims)
    lines.append("")
    lines.append("Totals: " + ", ".join(f"{n} {v}" for v, n in sorted(counts.items())) + ".")
    partial = {c["chapter"]: c["params"] for c in big.values() if c.get("params")}
    for chapter, params in partial.items():
        said = ", ".join(f"`{k}={v!r}`" for k, v in params.items())
        lines.append("")
        lines.append(
            f"† {chapter} at scale paper ran with {said}: the part of the paper plan whose runs "
            "exist so far (`book/build.py --scale paper --only "
            f"{chapter} --param ...`); the rows it leaves out read *not run*."
        )
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true")
    p.add_argument("--scale", default="cpu", help="the scale of the main columns")
    args = p.parse_args()
    results = ROOT / "book" / "results"
    claims = json.loads((results / f"claims-{args.scale}.json").read_text())
    paper_path = results / "claims-paper.json"
    paper_scale = json.loads(paper_path.read_text()) if paper_path.exists() else None
    readme = (ROOT / "README.md").read_text()
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{START}\n{render(claims, paper_scale)}\n{END}{tail}"
    head, rest = new.split(TIMES_START, 1)
    _, tail = rest.split(TIMES_END, 1)
    times = "\n".join(store.times_table(s) for s in ("cpu", "paper") if store.stores(s))
    new = f"{head}{TIMES_START}\n{times}{TIMES_END}{tail}"
    if args.check:
        if new != readme:
            print(
                "README.md's claims or times table differs from book/results/claims-cpu.json "
                "or the shipped stores: run `python book/readme_claims.py`",
                file=sys.stderr,
            )
            return 1
        return 0
    (ROOT / "README.md").write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
