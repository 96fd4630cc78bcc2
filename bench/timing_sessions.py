"""How much a measured cost ratio moves between timing sessions, beyond its rounds' spread.

A timing record (chapter 2's CostTiming, chapter 7's StepTiming: `reproducible = False`) times
several methods side by side in a few rounds; a claim in seconds carries the rounds' spread of
a cost ratio. Each time the code changes, the build measures the timing again, in another
session (another process, another day, maybe another host of the same CPU model), and the
stores' git history keeps every measurement. This script reads them all, the working tree's
stores included: per CPU kind, per timing config and method, one cost ratio (log, against the
timing's first method) per session with its rounds' squared standard error, and pools the
variance between sessions beyond what the rounds predict (grokcore.estimates.between_sessions,
one-way random effects by the method of moments). It writes book/results/timing-sessions.json,
which chapter 7's claims in seconds and chapter 2's egd-cost read (grokcore.store.timing_between),
so that their intervals hold how much a timing moves between sessions too. It pools the same way
each method's own seconds per step (its log): how much an absolute cost moves between sessions,
which chapter 7's median seconds to grok carry. Sessions of one timing config made by different
code count as sessions too, so a speed change of the code itself is in the estimate: it errs
wide.

    python bench/timing_sessions.py      # a few seconds; run it after a timing is re-measured
"""

from __future__ import annotations

import collections
import json
import lzma
import math
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from grokcore import estimates  # noqa: E402
from grokcore.records import atomic_write  # noqa: E402
from grokcore.store import STORE_DIR, TIMING_SESSIONS  # noqa: E402

TIMINGS = ("StepTiming", "CostTiming")  # the config types whose records are timings
STORES = ("cpu/02_egd_modular.jsonl.xz", "cpu/07_accelerators.jsonl.xz")


def _git(*args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=REPO, capture_output=True, check=True).stdout


def versions(rel: str) -> list[tuple[str, bytes]]:
    """(commit, the store's bytes) for every commit that changed the store, then the working
    tree's ("worktree")."""
    path = STORE_DIR.relative_to(REPO) / rel
    out = []
    for commit in _git("log", "--format=%h", "--", str(path)).decode().split():
        try:
            out.append((commit, _git("show", f"{commit}:{path}")))
        except subprocess.CalledProcessError:  # deleted in that commit
            continue
    if (REPO / path).exists():
        out.append(("worktree", (REPO / path).read_bytes()))
    return out


def _timings_in(raw: bytes) -> list[dict]:
    """The timing records of one store's bytes, as stored."""
    out = []
    for line in lzma.decompress(raw).decode().splitlines():
        if any(f'"{t}"' in line for t in TIMINGS):  # parse only the few candidate lines
            r = json.loads(line)
            if r.get("config", {}).get("_type") in TIMINGS:
                out.append(r)
    return out


def timing_records() -> dict[str, tuple[str, dict]]:
    """checksum -> (the first commit seen holding it, the record as stored), every timing
    record the stores have held (the same measurement in many commits counts once)."""
    seen: dict[str, tuple[str, dict]] = {}
    for rel in STORES:
        for commit, raw in versions(rel):
            for r in _timings_in(raw):
                seen.setdefault(r["checksum"], (commit, r))
    return seen


def shipped_checksums() -> set[str]:
    """The checksums of the timing records the working tree's stores hold (no git needed): the
    shipped estimate is fresh when it was pooled over all of them."""
    paths = [STORE_DIR / rel for rel in STORES]
    return {r["checksum"] for p in paths if p.exists() for r in _timings_in(p.read_bytes())}


def _session(x: list[float]) -> tuple[float, float] | None:
    """A session's mean of per-round logs and its squared standard error (None: one round)."""
    if len(x) < 2:
        return None  # one round: no standard error
    m = sum(x) / len(x)
    return m, sum((v - m) ** 2 for v in x) / (len(x) - 1) / len(x)


def groups(
    records: dict[str, tuple[str, dict]], seconds: bool = False
) -> dict[tuple[str, str, str], list]:
    """(CPU kind, timing key, method) -> per session (mean log cost ratio against the timing's
    first method, its squared standard error over the rounds, commit). seconds: the mean log of
    the method's own seconds per step instead (every method, the first included): how much an
    absolute cost moves between sessions, which no ratio shows."""
    out: dict[tuple[str, str, str], list] = collections.defaultdict(list)
    for commit, r in records.values():
        h = r["history"]
        labels = r["config"].get("labels") or sorted(k for k in h if k != "step")
        ref = h[labels[0]]
        for label in labels if seconds else labels[1:]:
            if seconds:
                x = [math.log(t) for t in h[label]]
            else:
                x = [math.log(t / t0) for t, t0 in zip(h[label], ref, strict=True)]
            if (s := _session(x)) is not None:
                out[(r["meta"].get("cpu", "?"), r["key"], label)].append((*s, commit))
    return out


def pooled(g: dict[tuple[str, str, str], list]) -> dict:
    """Per CPU kind (those with a timing in two sessions) and over all ("all"): the pooled
    between-session variance, its sd and df, how many quantities and sessions it rests on."""

    def summary(gs: list[list]) -> dict | None:
        try:
            b = estimates.between_sessions([[(m, v) for m, v, _ in s] for s in gs])
        except ValueError:  # no timing of this kind in two sessions
            return None
        return {
            "var": b.var,
            "sd": math.sqrt(b.var),
            "df": b.df,
            "quantities": sum(len(s) >= 2 for s in gs),
            "sessions": len({c for s in gs for _, _, c in s}),
        }

    kinds = {}
    for kind in sorted({k for k, _, _ in g}):
        s = summary([v for (k, _, _), v in g.items() if k == kind])
        if s is not None:
            kinds[kind] = s
    return {"kinds": kinds, "all": summary(list(g.values()))}


def main() -> None:
    recs = timing_records()
    head = _git("rev-parse", "--short", "HEAD").decode().strip()
    result: dict = {"made_by": "bench/timing_sessions.py", "git": head}
    result["timing_records"] = len(recs)
    result["checksums"] = sorted(recs)  # every measurement pooled: a test checks it is fresh
    result.update(pooled(groups(recs)))  # cost ratios: "kinds" and "all"
    result["seconds"] = pooled(groups(recs, seconds=True))  # each method's seconds per step
    atomic_write(TIMING_SESSIONS, (json.dumps(result, indent=1, sort_keys=True) + "\n").encode())
    for what, est in (("cost ratio", result), ("seconds per step", result["seconds"])):
        for kind, s in [*est["kinds"].items(), ("all", est["all"])]:
            print(f"{what}, {kind}: sd between sessions {s['sd']:.3f} (log), df {s['df']:.0f}, "
                  f"{s['quantities']} quantities over {s['sessions']} sessions")  # fmt: skip
    print("wrote", TIMING_SESSIONS.relative_to(REPO))


if __name__ == "__main__":
    main()
