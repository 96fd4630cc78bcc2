"""Shipped stores: the run records a chapter's verdicts come from, committed in compact form.

A store is one xz-compressed JSON-lines file per chapter and scale,
``book/results/store/<scale>/<name>.jsonl.xz``: a header line, then one record per line (the
record's own JSON with its checksum), sorted by key. xz writes no timestamp, so packing the same
records gives the same bytes and an unchanged store never dirties a checkout.

How the book uses them (book/build.py):

- ``unpack(scale)`` copies each shipped record into the cache where the cache has no current
  record of that key, so that a fresh clone renders from them and trains only what is missing
  or stale (a stale shipped record is unpacked as it is: run_or_load retrains it);
- while a chapter executes, ``GROKCORE_TRACE`` names a file that ``note_use`` (called by
  grokcore.sweep.run_or_load) appends every record key it serves to;
- after a cpu or paper execution, ``pack(name, scale, keys)`` writes the traced records into the
  chapter's store (rewritten only when its bytes change).

    python -m grokcore store list   [--scale S]            # stores, records, sizes, stale count
    python -m grokcore store unpack [--scale S]            # shipped records -> the cache
    python -m grokcore store verify [--scale S]            # as list: every line is read and checked
    python -m grokcore store repack [--scale S]            # each store again, from current records
                                                           # (after a restamp; keys a store has)

This module moves records and never computes one: it is outside the code fingerprint
(grokcore.fingerprint.LIBRARY_READERS).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import lzma
import os
import sys
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Iterable, Sequence

from .estimates import Between
from .records import (
    atomic_write,
    RESULTS_DIR,
    CorruptRecord,
    RunRecord,
    _import_code_of,
    cache_dir,
    lookup,
    record_path,
    staleness,
)

STORE_DIR = RESULTS_DIR / "store"
FORMAT = 1  # the header's "format": bump when the layout changes


class StoreError(RuntimeError):
    """A store that cannot be read or written as asked (the message names the file)."""


def store_path(name: str, scale: str, root: Path | None = None) -> Path:
    return (root or STORE_DIR) / scale / f"{name}.jsonl.xz"


def stores(scale: str | None = None, root: Path | None = None) -> list[Path]:
    """The store files of a scale (every scale: None), sorted."""
    base = root or STORE_DIR
    return sorted(base.glob(f"{scale or '*'}/*.jsonl.xz"))


# ---- reading and writing


def read_store(path: Path) -> list[RunRecord]:
    """Every record of a store, each validated (schema, checksum, key); a store with a bad line
    raises StoreError naming the file and line: a shipped store is never half used."""
    return [rec for _, rec in _store_lines(path)]


def _store_lines(path: Path) -> list[tuple[str, RunRecord]]:
    """read_store's records, each with its line (a record's JSON as it was written)."""
    try:
        lines = lzma.decompress(path.read_bytes()).decode().splitlines()
    except (OSError, lzma.LZMAError, UnicodeDecodeError) as e:
        raise StoreError(f"{path}: not a readable xz store ({e})") from None
    if not lines:
        raise StoreError(f"{path}: empty (no header)")
    try:
        header = json.loads(lines[0])
    except json.JSONDecodeError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise StoreError(f"{path}: header is not a format-{FORMAT} store header: {lines[0][:80]}")
    records = []
    for i, line in enumerate(lines[1:], start=2):
        try:
            _import_code_of(json.loads(line))  # chapter config classes for from_dict
            records.append((line, RunRecord.from_json(line)))
        except (CorruptRecord, json.JSONDecodeError, ImportError) as e:
            raise StoreError(f"{path}: line {i} is not a valid record ({e})") from None
    if header.get("records") != len(records):
        raise StoreError(f"{path}: header says {header.get('records')} records, has {len(records)}")
    return records


def record_json(rec: RunRecord) -> str:
    """``rec.to_json()``, byte for byte, without its ``dataclasses.asdict`` deep copy and its
    second JSON encoding: a record's fields are JSON values already, and its checksum key sorts
    first. Packing a store of long histories spent most of its time there."""
    body = {f.name: getattr(rec, f.name) for f in fields(rec)}
    blob = json.dumps(body, sort_keys=True, separators=(",", ":"))
    checksum = hashlib.sha256(blob.encode()).hexdigest()
    return f'{{"checksum":"{checksum}",' + blob[1:]  # "checksum" < "code" < every other key


def store_text(name: str, scale: str, records: Iterable[RunRecord]) -> str:
    """A store's text: deterministic for the same records (sorted by key, no timestamps)."""
    recs = sorted({r.key: r for r in records}.values(), key=lambda r: r.key)
    header = {"format": FORMAT, "name": name, "scale": scale, "records": len(recs)}
    return "\n".join([json.dumps(header, sort_keys=True)] + [record_json(r) for r in recs]) + "\n"


def _compress(text: str) -> bytes:
    return lzma.compress(text.encode(), format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64, preset=9)


def write_store(path: Path, text: str) -> bool:
    """Atomically replace path with the store of this text unless it already holds it; True if
    written. The comparison is on the decompressed text: compressing a large store at preset 9
    takes a minute, decompressing it a second, and the same text always gives the same bytes."""
    if path.exists():
        try:
            if lzma.decompress(path.read_bytes()).decode() == text:
                return False
        except (lzma.LZMAError, UnicodeDecodeError):
            pass  # not a readable store: replaced
    atomic_write(path, _compress(text), mode=0o644)  # a committed file: readable by all
    return True


# ---- what the shipped runs cost


@dataclass(frozen=True)
class TrainingTime:
    """What training a store's runs from scratch costs, from the records' own timings."""

    name: str
    records: int
    cpu_s: float  # one worker's seconds: each record's share of its stack's wall time
    cpus: tuple[str, ...]  # the CPU kinds the records were trained on
    gpu_s: float = 0.0  # the same for the records trained on a GPU (not in cpu_s)
    gpus: tuple[str, ...] = ()  # the GPUs they were trained on (meta "device")

    def wall_s(self, workers: int) -> float:
        """Estimated wall time with `workers` single-threaded workers (no overheads)."""
        return self.cpu_s / max(1, workers)


def training_times(scale: str, root: Path | None = None) -> list[TrainingTime]:
    """Per store of `scale`, the summed training time of its records (wall_s / stack_size: the
    stack trained as one, on one single-threaded worker). The one source of the chapter times
    that the README and the intro print."""
    out = []
    for path in stores(scale, root):
        recs = read_store(path)
        cpu = [r for r in recs if not _on_gpu(r)]
        gpu = [r for r in recs if _on_gpu(r)]
        out.append(
            TrainingTime(
                path.name.removesuffix(".jsonl.xz"),
                len(recs),
                sum(map(_share, cpu)),
                tuple(sorted({str(r.meta.get("cpu") or "not recorded") for r in cpu})),
                sum(map(_share, gpu)),
                tuple(sorted({str(r.meta["device"]) for r in gpu})),
            )
        )
    return out


def _on_gpu(r: RunRecord) -> bool:
    return not str(r.meta.get("device") or "cpu").startswith("cpu")


def _share(r: RunRecord) -> float:
    """A record's share of its stack's wall time (the stack trained as one)."""
    return float(r.meta.get("wall_s") or 0.0) / max(1, int(r.meta.get("stack_size") or 1))


def times_table(scale: str, workers: int = 2, root: Path | None = None) -> str:
    """A markdown table of training_times: runs, CPU minutes, and minutes on `workers` cores;
    where records were trained on a GPU, their GPU minutes in a column of their own (a stacked
    GPU minute is no CPU minute: it would take tens of CPU minutes)."""
    rows = training_times(scale, root)
    gpu = any(t.gpus for t in rows)
    head = f"| store ({scale}) | runs | training, CPU-min | ≈ min on {workers} cores |"
    lines = [head + (" on a GPU, min |" if gpu else ""), "|---|---|---|---|" + ("---|" * gpu)]

    def gpu_cell(seconds: float, names: Sequence[str]) -> str:
        return (f" {seconds / 60:.1f} ({', '.join(names)}) |" if names else " — |") if gpu else ""

    for t in rows:
        lines.append(
            f"| {t.name} | {t.records} | {t.cpu_s / 60:.1f} | {t.wall_s(workers) / 60:.1f} |"
            + gpu_cell(t.gpu_s, t.gpus)
        )
    total = sum(t.cpu_s for t in rows)
    every_gpu = sorted({g for t in rows for g in t.gpus})
    lines.append(f"| all | {sum(t.records for t in rows)} | {total / 60:.1f} | "
                 f"{total / max(1, workers) / 60:.1f} |"
                 + gpu_cell(sum(t.gpu_s for t in rows), every_gpu))  # fmt: skip
    return "\n".join(lines) + "\n"


# ---- which records a chapter used


def note_use(keys: Iterable[str]) -> None:
    """Append keys to the file GROKCORE_TRACE names (nothing when it is unset). One write per
    call in append mode: concurrent writers do not interleave within a line."""
    path = os.environ.get("GROKCORE_TRACE")
    if not path:
        return
    text = "".join(f"{k}\n" for k in keys)
    if text:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a") as f:
            f.write(text)


def traced(path: Path) -> list[str]:
    """The distinct keys a trace file lists, in first-use order (none if it does not exist)."""
    if not path.exists():
        return []
    return list(dict.fromkeys(line for line in path.read_text().split() if line))


def _import_classes(key: str) -> None:
    """Import the chapter modules the stored records of key list, so that their config classes
    exist in this process (a build process imports no chapter)."""
    for path in [*RESULTS_DIR.glob(f"**/{key}.json"), record_path(key)]:
        try:
            _import_code_of(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue


def pack(name: str, scale: str, keys: Iterable[str], root: Path | None = None) -> tuple[Path, bool]:
    """Write the current records of keys into the store name/scale; (its path, whether its bytes
    changed). A key with no current record (none, or only stale ones) is an error that names it:
    a store never ships records older code made."""
    records, missing = [], []
    for key in dict.fromkeys(keys):
        _import_classes(key)
        hit = lookup(key)
        if hit.record is None:
            missing.append(key)
        else:
            records.append(hit.record)
    if missing:
        raise StoreError(
            f"store {scale}/{name}: {len(missing)} keys have no current record, e.g. {missing[:3]}"
        )
    path = store_path(name, scale, root)
    return path, write_store(path, store_text(name, scale, records))


def add(name: str, scale: str, keys: Iterable[str], root: Path | None = None) -> tuple[Path, bool]:
    """pack() with the store's own keys kept: keys are added to (or refreshed in) the store."""
    path = store_path(name, scale, root)
    have = [r.key for r in read_store(path)] if path.exists() else []
    return pack(name, scale, [*have, *keys], root)


@dataclass
class Unpacked:
    """What unpack did: records copied into the cache, kept (the cache had a current one), and
    copied stale (made by older code: run_or_load retrains them)."""

    copied: int = 0
    kept: int = 0
    stale: int = 0
    stores: int = 0


def unpack(scale: str, names: Iterable[str] | None = None, root: Path | None = None) -> Unpacked:
    """Copy a scale's shipped records into the cache (GROKCORE_CACHE), each unless the cache
    already holds a current record of its key (a run made here is never replaced)."""
    out = Unpacked()
    wanted = set(names) if names is not None else None
    for path in stores(scale, root):
        if wanted is not None and path.name.removesuffix(".jsonl.xz") not in wanted:
            continue
        out.stores += 1
        for text, rec in _store_lines(path):
            target = record_path(rec.key)
            if target.exists():
                have_text = target.read_text()
                if have_text == text:  # the same record: nothing to parse
                    out.kept += 1
                    continue
                try:
                    have = RunRecord.from_json(have_text, expect_key=rec.key)
                except CorruptRecord:
                    have = None
                if have is not None and staleness(have) is None:
                    out.kept += 1
                    continue
            atomic_write(target, text.encode())  # write_record's write, without its asdict
            if staleness(rec) is None:
                out.copied += 1
            else:
                out.stale += 1
    return out


# ---- timings between sessions -----------------------------------------------------------------

TIMING_SESSIONS = RESULTS_DIR / "timing-sessions.json"  # written by bench/timing_sessions.py


def timing_between(cpu: str | None, path: Path | None = None, seconds: bool = False) -> Between:
    """How much a cost ratio's log moves between timing sessions on the CPU kind `cpu` (a
    record's meta "cpu") beyond its rounds' spread: the shipped estimate bench/timing_sessions.py
    pooled over every timing record the stores have held (their git history). A kind without
    two sessions of one timing takes the estimate pooled over every kind. seconds: how much a
    method's own seconds per step (its log) move instead, the machine's speed included."""
    path = path or TIMING_SESSIONS
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise StoreError(f"{path} is missing: python bench/timing_sessions.py writes it") from None
    if seconds:
        if "seconds" not in data:
            raise StoreError(
                f"{path} has no estimate for seconds per step (an older script wrote it): "
                "python bench/timing_sessions.py writes it"
            )
        data = data["seconds"]
    est = data["kinds"].get(cpu or "") or data["all"]
    return Between(est["var"], est["df"])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m grokcore store", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("command", choices=("list", "unpack", "verify", "repack"))
    p.add_argument("--scale", help="one scale (default: every scale; unpack: cpu)")
    args = p.parse_args(argv)
    repo = str(RESULTS_DIR.parents[1])
    if repo not in sys.path:  # chapters/ (the records' config classes) importable
        sys.path.insert(0, repo)
    if args.command == "unpack":
        scale = args.scale or "cpu"
        u = unpack(scale)
        print(
            f"{u.stores} stores ({scale}) -> {cache_dir()}: {u.copied} copied, "
            f"{u.kept} kept, {u.stale} stale"
        )
        return 0
    if args.command == "repack":  # after a restamp: each store again, from the current records
        for path in stores(args.scale):
            name, scale = path.name.removesuffix(".jsonl.xz"), path.parent.name
            _, changed = add(name, scale, [])
            print(f"{scale}/{name}: {'rewritten' if changed else 'unchanged'}")
        return 0
    total = 0
    for path in stores(args.scale):
        recs = read_store(path)
        n_stale = sum(staleness(r) is not None for r in recs)
        size = path.stat().st_size
        total += size
        print(
            f"{path.relative_to(STORE_DIR)}: {len(recs)} records, {size / 1e6:.2f} MB, "
            f"{n_stale} stale"
        )
    print(f"total {total / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    from grokcore import store as _store  # one module object, not a __main__ copy

    sys.exit(_store.main())
