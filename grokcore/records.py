"""Run records: what a run returns, cached by config key, stamped with its code, checked on load.

A record is looked up under book/results/ (committed: runs made elsewhere, e.g. on a GPU) and
in the gitignored cache ($GROKCORE_CACHE, default <repo>/.cache/grokcore); the freshest valid
one is served. A record that fails to parse, has another schema, another key or a wrong
checksum is corrupt: reported and recomputed, never used. A record whose code fingerprint
(grokcore.fingerprint) differs from the current code's is stale: recomputed, and the new record
replaces the stale file where it was. GROKCORE_REQUIRE_CACHE=1 turns a miss or a stale record
into an error that names them.

A change that keeps the numbers (a refactor) keeps its records by proving it:

    python -m grokcore.records stale   [--root DIR]       # list stale records, changed files
    python -m grokcore.records restamp [--root DIR] [--sample N] [--seed S] [--device D]

restamp retrains a seeded sample of the stale records and, only if every history matches bit for
bit, rewrites all of them with the current fingerprint (atomically).

Float sums are bit-exact only on one kind of CPU (a record's meta "cpu" says which: AVX2 and
AVX-512 kernels group sums differently). Where the records were made on another kind,
``restamp --against REV`` asks the question restamp is for on this machine: it retrains the
sample with the code at git revision REV (checked to be the code that made the records: same
fingerprint) and with the current code, and re-stamps only if the two agree bit for bit.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import importlib
import json
import math
import os
import platform
import random
import subprocess
import sys
import tempfile
import warnings
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

from .config import RECORD_SCHEMA, config_key, from_dict, to_dict
from .fingerprint import changed_files, code_of, git_state

REPO = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO / "book" / "results"


class CorruptRecord(ValueError):
    """A record file that must not be used."""


class CacheMiss(RuntimeError):
    """GROKCORE_REQUIRE_CACHE is set and a run has no record."""


class StaleRecords(CacheMiss):
    """GROKCORE_REQUIRE_CACHE is set and a run's record was made by other code."""


@dataclass
class RunRecord:
    """One member's run: its config, metric history, summary and provenance."""

    key: str
    config: dict  # grokcore.config.to_dict(cfg)
    history: dict[str, list]  # "step" plus one list per metric, on the evaluation schedule
    summary: dict[str, Any]  # e.g. step_to_test_acc_95: int, or None = not reached by last_step
    final: dict[str, float]  # metrics at the last evaluation
    meta: dict[str, Any] = field(default_factory=dict)  # wall_s, created, torch, device, ...
    code: str = ""  # grokcore.fingerprint.code_fingerprint(cfg) of the code that made it
    code_files: dict[str, str] = field(default_factory=dict)  # its files: path -> sha256[:12]
    git: dict | None = None  # {"commit": HEAD, "dirty": bool}; None outside a git checkout
    schema: int = RECORD_SCHEMA

    @property
    def cfg(self):
        return from_dict(self.config)

    def payload(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        body = self.payload()
        body["checksum"] = _checksum(body)
        return json.dumps(body, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str, expect_key: str | None = None) -> "RunRecord":
        try:
            body = json.loads(text)
        except json.JSONDecodeError as e:
            raise CorruptRecord(f"not valid JSON ({e})") from None
        if not isinstance(body, dict):
            raise CorruptRecord("not a JSON object")
        checksum = body.pop("checksum", None)
        if body.get("schema") != RECORD_SCHEMA:
            raise CorruptRecord(f"schema {body.get('schema')!r} != {RECORD_SCHEMA}")
        if checksum != _checksum(body):
            raise CorruptRecord("checksum mismatch (truncated or edited)")
        try:
            rec = cls(**body)
            key = config_key(from_dict(rec.config))
        except (TypeError, KeyError, ValueError) as e:
            raise CorruptRecord(f"fields do not match a RunRecord ({e})") from None
        if key != rec.key or (expect_key and key != expect_key):
            raise CorruptRecord(f"key {rec.key} does not match its config ({key})")
        return rec


def _checksum(body: dict) -> str:
    blob = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def cache_dir() -> Path:
    return Path(os.environ.get("GROKCORE_CACHE", REPO / ".cache" / "grokcore"))


def record_path(key: str, root: Path | None = None) -> Path:
    return (root or cache_dir()) / key[:2] / f"{key}.json"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def clean_temp(root: Path | None = None) -> list[Path]:
    """Remove the temp files of record writes whose writer is gone (killed mid-write): they are
    never read, but they would pile up. A temp file of a live process is left alone."""
    removed = []
    for tmp in (root or cache_dir()).glob("*/.*.tmp"):
        parts = tmp.name.split(".")  # "", key, pid, random, "tmp"
        if len(parts) >= 4 and parts[2].isdigit() and _alive(int(parts[2])):
            continue
        tmp.unlink(missing_ok=True)
        removed.append(tmp)
    return removed


def atomic_write(path: Path, data: bytes, mode: int | None = None) -> None:
    """Replace `path` with `data` so that a reader or a kill never sees a partial file: a temp
    file in the same folder (the writer's pid in its name, so one a kill left behind is
    recognised), fsync, then rename over the target. `mode`: the file's permissions (a
    committed file: 0o644, as git checks it out); default the temp file's (owner only)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.stem}.{os.getpid()}.", suffix=".tmp"
    )
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_record(rec: RunRecord, root: Path | None = None, path: Path | None = None) -> Path:
    """Atomic write (atomic_write) to `path`, default the key's place under root or the cache."""
    path = path or record_path(rec.key, root)
    atomic_write(path, rec.to_json().encode())
    return path


@dataclass
class Stale:
    """A valid record made by other code than the current one."""

    path: Path
    record: RunRecord
    changed: list[str]  # code files whose hash differs (added, removed or edited)

    def describe(self) -> str:
        files = ", ".join(self.changed[:6]) + (", ..." if len(self.changed) > 6 else "")
        return f"{self.record.key} at {self.path} (changed: {files or 'unknown'})"


@dataclass
class Lookup:
    """What is stored for one key: the record to serve (or None) and the stale ones."""

    record: RunRecord | None
    path: Path | None
    stale: list[Stale]


def staleness(rec: RunRecord, cfg: Any = None) -> list[str] | None:
    """None if rec was made by the current code for cfg (default: its own config), else the code
    files that changed (empty when the record does not list its files)."""
    code = code_of(rec.cfg if cfg is None else cfg)
    if rec.code == code.fingerprint:
        return None
    return changed_files(rec.code_files, code.hashes) if rec.code_files else []


def lookup(key: str, cfg: Any = None) -> Lookup:
    """Every stored record of key: the freshest valid current one, and the stale ones."""
    paths = sorted(RESULTS_DIR.glob(f"**/{key}.json")) + [record_path(key)]
    best: tuple[str, int] | None = None
    served: tuple[RunRecord, Path] | None = None
    stale = []
    for rank, path in enumerate(paths):
        if not path.exists():
            continue
        try:
            rec = RunRecord.from_json(path.read_text(), expect_key=key)
        except CorruptRecord as e:
            warnings.warn(
                f"ignoring corrupt record {path}: {e}; it will be recomputed", stacklevel=3
            )
            continue
        changed = staleness(rec, cfg)
        if changed is not None:
            stale.append(Stale(path, rec, changed))
            continue
        order = (str(rec.meta.get("created", "")), -rank)  # newest; a tie goes to committed
        if best is None or order > best:
            best, served = order, (rec, path)
    return Lookup(*(served or (None, None)), stale)


def load_record(key: str, cfg: Any = None) -> RunRecord | None:
    """The freshest valid record of key made by the current code; None if absent, corrupt (a
    warning says which) or stale."""
    return lookup(key, cfg).record


def new_record(cfg: Any, history: dict, summary: dict, meta: dict) -> RunRecord:
    """A record of cfg's run, stamped with the current code (fingerprint, files, git commit)
    and its creation time (kept from meta when a chapter re-keys a record it trained)."""
    final = {k: v[-1] for k, v in history.items() if k != "step" and v}
    code = code_of(cfg)
    meta = {
        **meta,
        "created": meta.get("created") or datetime.now(timezone.utc).isoformat(),
        "cpu": meta.get("cpu") or cpu_kind(),
    }
    return RunRecord(
        config_key(cfg),
        to_dict(cfg),
        history,
        summary,
        final,
        meta,
        code.fingerprint,
        dict(code.hashes),
        git_state(),
    )


@functools.cache
def cpu_kind() -> str:
    """The host CPU as far as float results go: architecture, the vector ISA PyTorch's kernels
    use, and the model name (e.g. "x86_64 AVX2 AMD EPYC")."""
    import torch

    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    except OSError:
        pass
    return " ".join(
        filter(None, [platform.machine(), torch.backends.cpu.get_cpu_capability(), model])
    )


# ---- re-stamping: keep records across a change that provably keeps the numbers


def _import_code_of(body: dict) -> None:
    """Import the chapter modules a stored record lists, so that its config classes exist."""
    for label in body.get("code_files") or {}:
        parts = Path(label).with_suffix("").parts
        if label.endswith(".py") and parts[0] == "chapters" and not Path(label).is_absolute():
            try:
                importlib.import_module(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
            except ModuleNotFoundError:  # removed since; from_json says if the config needed it
                pass


def find_stale(root: Path | None = None) -> tuple[list[Stale], list[str]]:
    """The stale records of a store (default: the cache) and the files that could not be read as
    records (path: reason). JSON files that are not records (claims snapshots) are skipped."""
    stale, problems = [], []
    for path in sorted((root or cache_dir()).rglob("*.json")):
        text = path.read_text()
        try:
            body = json.loads(text)
        except json.JSONDecodeError as e:
            problems.append(f"{path}: not valid JSON ({e})")
            continue
        if not (isinstance(body, dict) and "key" in body and "history" in body):
            continue
        try:
            _import_code_of(body)
            rec = RunRecord.from_json(text, expect_key=path.stem)
            changed = staleness(rec)
        except (CorruptRecord, ImportError, KeyError) as e:
            problems.append(f"{path}: {e}")
            continue
        if changed is not None:
            stale.append(Stale(path, rec, changed))
    return stale, problems


def default_sample(n: int) -> int:
    """5% of the stale records, at least 3 (all of them when fewer)."""
    return min(n, max(3, math.ceil(0.05 * n)))


def first_difference(old: dict[str, list], new: dict[str, list]) -> str | None:
    """Where two histories first differ bit for bit (None if they are identical). Values are
    compared as their JSON text: distinct floats print differently, NaN equals NaN, 1 != 1.0."""
    for k in sorted(old.keys() | new.keys()):
        if k not in old or k not in new:
            return f"history key {k!r} is only in the {'new' if k in new else 'recorded'} run"
        a, b = old[k], new[k]
        for i, (x, y) in enumerate(zip(a, b)):
            if json.dumps(x) != json.dumps(y):
                return f"history[{k!r}][{i}]: recorded {x!r}, now {y!r}"
        if len(a) != len(b):
            return f"history[{k!r}]: {len(a)} entries recorded, {len(b)} now"
    return None


@dataclass
class Restamp:
    """What restamp did: the records it retrained, the first mismatch, the records rewritten."""

    checked: list[str]  # keys retrained
    mismatch: str | None  # first difference found ("key: where"); None: all matched
    rewritten: list[Path]  # records rewritten with the current fingerprint (empty on a mismatch)
    skipped: list[str] = field(default_factory=list)  # not reproducible (timings): left stale


def _stack_of(s: Stale, stale: Sequence[Stale]) -> list[Stale] | None:
    """The stale records trained in one stack with s (same stack key, same stack wall time:
    members share their meta), in the stack's order (meta "stack_seeds"; seed order for records
    made before it was recorded); None if they are not all stale here."""
    size = s.record.meta.get("stack_size", 1)
    if size == 1:
        return [s]
    key, wall = s.record.cfg.stack_key, s.record.meta.get("wall_s")
    members = {
        t.record.key: t
        for t in stale
        if t.record.meta.get("wall_s") == wall and t.record.cfg.stack_key == key
    }
    if len(members) != size:
        return None
    order = s.record.meta.get("stack_seeds")  # recorded since 2026-12; older stacks: seed order
    if order is not None and sorted(order) != sorted(t.record.cfg.seed for t in members.values()):
        return None
    rank = {
        seed: i
        for i, seed in enumerate(order or sorted(t.record.cfg.seed for t in members.values()))
    }
    return sorted(members.values(), key=lambda t: rank[t.record.cfg.seed])


def _retrain(members: list[Stale], device: str) -> list[RunRecord]:
    """Train the members as one unit, as they were trained: one stack, the recorded thread count
    (float sums group by thread, so another count moves the last bits)."""
    import torch

    from .sweep import run_unit

    threads = members[0].record.meta.get("threads")
    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        return run_unit([m.record.cfg for m in members], device)
    finally:
        torch.set_num_threads(before)


_AT_REV = """
import importlib, json, sys
from pathlib import Path
import torch
from grokcore.config import from_dict
from grokcore.fingerprint import code_of
from grokcore.sweep import run_unit
job = json.load(sys.stdin)
for label in job["labels"]:
    parts = Path(label).with_suffix("").parts
    if label.endswith(".py") and parts[0] == "chapters":
        try:
            importlib.import_module(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
        except ModuleNotFoundError:
            pass
if job["threads"]:
    torch.set_num_threads(job["threads"])
cfgs = [from_dict(d) for d in job["configs"]]
recs = run_unit(cfgs, job["device"])
out = [
    {"key": r.key, "code": code_of(c).fingerprint, "history": r.history}
    for r, c in zip(recs, cfgs)
]
sys.stdout.write(json.dumps(out))
"""


@functools.cache
def _worktree(rev: str) -> Path:
    """A detached checkout of git revision rev (removed when this process exits)."""
    import atexit
    import shutil

    path = Path(tempfile.mkdtemp(prefix="grokcore-rev-"))
    try:
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", "--force", str(path), rev],
            check=True,
            capture_output=True,
            text=True,
        )
    except subprocess.CalledProcessError as e:
        raise ValueError(f"--against {rev}: not a revision git can check out ({e.stderr.strip()})")

    def remove() -> None:
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "remove", "--force", str(path)],
            capture_output=True,
        )
        shutil.rmtree(path, ignore_errors=True)

    atexit.register(remove)
    return path


def _retrain_at(rev: str, members: list[Stale], device: str) -> list[dict]:
    """Train the members as one unit with the code at git revision rev, in a subprocess run in
    a checkout of it: [{key, code (that code's fingerprint), history}] per member."""
    tree = _worktree(rev)
    job = {
        "configs": [m.record.config for m in members],
        "labels": sorted({label for m in members for label in m.record.code_files}),
        "threads": members[0].record.meta.get("threads"),
        "device": device,
    }
    env = {**os.environ, "PYTHONPATH": str(tree), "GROKCORE_CACHE": str(tree / ".cache")}
    run = subprocess.run(
        [sys.executable, "-c", _AT_REV],
        input=json.dumps(job),
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        raise RuntimeError(f"retraining at {rev} failed:\n{run.stderr[-2000:]}")
    return json.loads(run.stdout)


def _reproducible(cfg: Any) -> bool:
    """Whether a retrain gives the record's history bit for bit (a timing does not)."""
    return getattr(type(cfg), "reproducible", True)


def restamp(
    stale: Sequence[Stale],
    sample: int | None = None,
    seed: int = 0,
    device: str = "cpu",
    against: str | None = None,
) -> Restamp:
    """Retrain a seeded random sample of the stale records with the current code, each as it
    was trained (its whole stack, its thread count); if every retrained history equals its
    record bit for bit, rewrite every stale record with the current code's stamp, else change
    nothing.

    The sample has `sample` records (default: default_sample), at least one, and at least one of
    each code change (records with the same old and new fingerprint: e.g. one per chapter whose
    package changed). A record whose stack-mates are not all stale here cannot be retrained as it
    was and is not picked, nor is one whose training reads other records (`cfg.requires()`).
    A record trained on another device may not reproduce here bit for
    bit: restamp where it was made, or pass `against`, a git revision whose code made the
    records: the sample is then retrained with that code and with the current one, here, and
    the two must agree bit for bit (a mismatch refuses, it never passes wrongly). Records of a
    config class with `reproducible = False` (timings) are never re-stamped (`skipped`)."""
    skipped = [s.record.key for s in stale if not _reproducible(s.record.cfg)]
    stale = [s for s in stale if _reproducible(s.record.cfg)]
    if not stale:
        return Restamp([], None, [], skipped)
    n = len(stale)
    k = default_sample(n) if sample is None else max(1, min(sample, n))
    rng = random.Random(seed)
    groups: dict[tuple[str, str], list[Stale]] = {}
    for s in sorted(stale, key=lambda s: (s.record.key, str(s.path))):
        # a run that reads other records (cfg.requires()) cannot be retrained while they are
        # stale: it is re-stamped with the rest when the sample passes, never picked
        if _stack_of(s, stale) is not None and not getattr(s.record.cfg, "requires", tuple)():
            groups.setdefault((s.record.code, code_of(s.record.cfg).fingerprint), []).append(s)
    picked = [rng.choice(g) for _, g in sorted(groups.items())]
    taken = {id(s) for s in picked}
    rest = [s for g in groups.values() for s in g if id(s) not in taken]
    picked += rng.sample(rest, max(0, min(k - len(picked), len(rest))))
    checked: list[str] = []
    done: set[str] = set()
    for s in picked:
        if s.record.key in done:  # retrained with an earlier pick's stack
            continue
        members = _stack_of(s, stale) or [s]
        if against is None:
            refs = [m.record.history for m in members]
        else:
            at = _retrain_at(against, members, device)
            for m, ref in zip(members, at):
                if ref["code"] != m.record.code:
                    return Restamp(
                        checked,
                        f"{m.record.key} ({m.path}): the code at {against} is not the code that "
                        f"made it (fingerprint {ref['code'][:12]}, recorded {m.record.code[:12]})",
                        [],
                        skipped,
                    )
            refs = [ref["history"] for ref in at]
        for m, ref, fresh in zip(members, refs, _retrain(members, device)):
            checked.append(m.record.key)
            done.add(m.record.key)
            diff = first_difference(ref, json.loads(json.dumps(fresh.history)))
            if diff is not None:
                where = f"the code at {against}" if against else "recorded"
                problem = f"{m.record.key} ({m.path}, against {where}): {diff}"
                return Restamp(checked, problem, [], skipped)
    rewritten = []
    for s in stale:
        rec = s.record
        code = code_of(rec.cfg)
        rec.meta = {**rec.meta, "restamped_from": rec.code}
        rec.code, rec.code_files, rec.git = code.fingerprint, dict(code.hashes), git_state()
        rewritten.append(write_record(rec, path=s.path))
    return Restamp(checked, None, rewritten, skipped)


def main(argv: list[str] | None = None) -> int:
    """`stale`: list a store's stale records; `restamp`: re-stamp them if a sample reproduces."""
    p = argparse.ArgumentParser(prog="python -m grokcore", description=__doc__.split("\n\n")[0])
    p.add_argument("command", choices=("stale", "restamp"))
    p.add_argument("--root", type=Path, help="the store (default: the cache; or book/results)")
    p.add_argument("--sample", type=int, help="records to retrain (default 5%%, at least 3)")
    p.add_argument("--seed", type=int, default=0, help="seed of the sample (default 0)")
    p.add_argument("--device", default="cpu", help="device to retrain on (default cpu)")
    p.add_argument(
        "--against",
        metavar="REV",
        help="compare with a retrain by the code at git revision REV (records made on another CPU)",
    )
    args = p.parse_args(argv)
    if str(REPO) not in sys.path:  # chapters/ (the records' config classes) importable
        sys.path.insert(0, str(REPO))
    stale, problems = find_stale(args.root)
    for line in problems:
        print(f"not a usable record: {line}", file=sys.stderr)
    print(f"{len(stale)} stale records in {args.root or cache_dir()}")
    if args.command == "stale":
        for s in stale:
            print("  " + s.describe())
        return 0
    out = restamp(stale, args.sample, args.seed, args.device, args.against)
    if out.mismatch:
        print(f"retrained {len(out.checked)}; a history differs, nothing changed: {out.mismatch}")
        return 1
    print(f"retrained {len(out.checked)}, all bit for bit equal; re-stamped {len(out.rewritten)}")
    if out.skipped:
        print(
            f"{len(out.skipped)} not re-stamped, not reproducible by nature (timings): they stay "
            f"stale and are measured again where a chapter needs them: {', '.join(out.skipped)}"
        )
    return 0


if __name__ == "__main__":
    from grokcore import records as _records  # one module object, not a __main__ copy

    sys.exit(_records.main())
