"""Shipped stores: the run records a chapter's verdicts come from, committed in compact form.

A store is one xz-compressed JSON-lines file per chapter and scale,
``book/results/store/<scale>/<name>.jsonl.xz``: a header line, then one record per line (the
record's own JSON with its checksum), sorted by key. xz writes no timestamp, so packing the same
records gives the same bytes and an unchanged store never dirties a checkout.

A record that several stores hold (a chapter's runs that another chapter reads too, the
baselines) is written in full once, in the first store in path order that holds it: a later
store's line for it is a reference, ``{"checksum": ..., "in": "<scale>/<name>", "key": ...}``
(a format-2 store: one with references). Reading resolves a reference to that store's line of
the same checksum, so a store reads as every record it lists; a store whose full line another
store refers to is never rewritten without it before the referring store holds it in full.

How the book uses them (book/build.py):

- ``unpack(scale)`` copies each shipped record into the cache where the cache has no current
  record of that key, so that a fresh clone renders from them and trains only what is missing
  or stale (a stale shipped record is unpacked as it is: run_or_load retrains it);
- while a chapter executes, ``GROKCORE_TRACE`` names a file that ``note_use`` (called by
  grokcore.sweep.run_or_load) appends every record key it serves to;
- after a cpu or paper execution, ``pack(name, scale, keys)`` writes the traced records into the
  chapter's store (rewritten only when its bytes change).

    python -m grokcore store list   [--scale S]            # stores, records (by reference),
                                                           # sizes, stale count
    python -m grokcore store unpack [--scale S]            # shipped records -> the cache
    python -m grokcore store verify [--scale S]            # as list: every line is read and checked
    python -m grokcore store repack [--scale S]            # each store again, from current records
                                                           # (after a restamp; keys a store has;
                                                           # records an earlier store holds: by
                                                           # reference)

This module moves records and never computes one: it is outside the code fingerprint
(grokcore.fingerprint.LIBRARY_READERS).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import lzma
import os
import re
import sys
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Iterable, Mapping, Sequence

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
FORMAT_REFS = 2  # the same layout with reference lines (a record held in full by an earlier store)
_SUM_AT = len('{"checksum":"')  # where every line's checksum (64 hex digits) starts
_REF_AT = _SUM_AT + 64 + 1  # a reference line goes on with ',"in":' there, a record not


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
    """read_store's records, each with its line (a record's JSON as it was written; a
    reference resolved to the line it refers to)."""
    header, lines = _read_lines(path)
    records = []
    for i, line in enumerate(lines, start=2):
        try:
            ref = _reference(line)
            if ref is not None:
                if header["format"] != FORMAT_REFS:
                    raise StoreError(f"{path}: line {i} is a reference in a format-{FORMAT} store")
                line = _resolve(path, ref, i)
            _import_code_of(json.loads(line))  # chapter config classes for from_dict
            rec = RunRecord.from_json(line, expect_key=ref["key"] if ref else None)
            records.append((line, rec))
        except (CorruptRecord, json.JSONDecodeError, ImportError) as e:
            raise StoreError(f"{path}: line {i} is not a valid record ({e})") from None
    if header.get("records") != len(records):
        raise StoreError(f"{path}: header says {header.get('records')} records, has {len(records)}")
    return records


def _read_lines(path: Path) -> tuple[dict, list[str]]:
    """A store's header and its record lines (records and references, unparsed)."""
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
    if not isinstance(header, dict) or header.get("format") not in (FORMAT, FORMAT_REFS):
        raise StoreError(
            f"{path}: header is not a format-{FORMAT} or -{FORMAT_REFS} store header: "
            f"{lines[0][:80]}"
        )
    return header, lines[1:]


def _reference(line: str) -> dict | None:
    """A reference line's fields (checksum, in, key); None for a record's line."""
    if line[_REF_AT : _REF_AT + 6] != ',"in":':
        return None
    ref = json.loads(line)
    if (
        set(ref) != {"checksum", "in", "key"}
        or not all(isinstance(v, str) for v in ref.values())
        or not re.fullmatch(r"[\w-]+/[\w.-]+", ref["in"])  # "<scale>/<stem>", no way out
        or ".." in ref["in"]
    ):
        raise CorruptRecord(f"not a reference: {line[:120]}")
    return ref


def _reference_line(checksum: str, where: str, key: str) -> str:
    return json.dumps({"checksum": checksum, "in": where, "key": key}, separators=(",", ":"))


def _where(path: Path) -> str:
    """A store's name in a reference: "<scale>/<name>"."""
    return f"{path.parent.name}/{path.name.removesuffix('.jsonl.xz')}"


def _checksum(line: str) -> str:
    return line[_SUM_AT : _SUM_AT + 64]


def _resolve(path: Path, ref: dict, i: int) -> str:
    """The line a reference (line i of path) refers to: the record of its checksum in full in
    the store it names, beside path's scale folder."""
    target = path.parents[1] / f"{ref['in']}.jsonl.xz"
    line = _full_lines(target).get(ref["checksum"]) if target.exists() else None
    if line is None:
        raise StoreError(
            f"{path}: line {i} refers to store {ref['in']} for record {ref['key']}, which "
            "does not hold it in full"
        )
    return line


_FULL: dict[str, tuple[tuple[int, int], dict[str, str]]] = {}  # path -> (its stat, its lines)


def _full_lines(path: Path) -> dict[str, str]:
    """checksum -> line of every record a store holds in full (references left out), read
    again only when the file changed (a packing reads every earlier store's)."""
    st = path.stat()
    stamp = (st.st_mtime_ns, st.st_size)
    hit = _FULL.get(str(path))
    if hit is None or hit[0] != stamp:
        _, lines = _read_lines(path)
        try:
            hit = (stamp, {_checksum(ln): ln for ln in lines if _reference(ln) is None})
        except (CorruptRecord, json.JSONDecodeError) as e:
            raise StoreError(f"{path}: a line is neither a record nor a reference ({e})") from None
        _FULL[str(path)] = hit
    return hit[1]


def record_json(rec: RunRecord) -> str:
    """``rec.to_json()``, byte for byte, without its ``dataclasses.asdict`` deep copy and its
    second JSON encoding: a record's fields are JSON values already, and its checksum key sorts
    first. Packing a store of long histories spent most of its time there."""
    body = {f.name: getattr(rec, f.name) for f in fields(rec)}
    blob = json.dumps(body, sort_keys=True, separators=(",", ":"))
    checksum = hashlib.sha256(blob.encode()).hexdigest()
    return f'{{"checksum":"{checksum}",' + blob[1:]  # "checksum" < "code" < every other key


def store_text(
    name: str, scale: str, records: Iterable[RunRecord], held: Mapping[str, str] | None = None
) -> str:
    """A store's text: deterministic for the same records (sorted by key, no timestamps) and
    the same `held` (checksum -> "<scale>/<name>" of an earlier store holding that record in
    full: the line is a reference to it)."""
    held = held or {}
    recs = sorted({r.key: r for r in records}.values(), key=lambda r: r.key)
    lines = []
    for r in recs:
        line = record_json(r)
        where = held.get(_checksum(line))
        lines.append(line if where is None else _reference_line(_checksum(line), where, r.key))
    return _with_header(name, scale, lines)


def _with_header(name: str, scale: str, lines: list[str]) -> str:
    refs = any(_reference(line) is not None for line in lines)
    header = {"format": FORMAT_REFS if refs else FORMAT, "name": name, "scale": scale,
              "records": len(lines)}  # fmt: skip
    return "\n".join([json.dumps(header, sort_keys=True)] + lines) + "\n"


def _held_before(path: Path, root: Path | None) -> dict[str, str]:
    """checksum -> the first store before path (in path order) that holds that record in full."""
    held: dict[str, str] = {}
    for other in stores(None, root):  # sorted: those before path come first
        if other >= path:
            break
        for checksum in _full_lines(other):
            held.setdefault(checksum, _where(other))
    return held


def _keep_referred(path: Path, text: str, root: Path | None) -> None:
    """Before path's store becomes `text`: every later store that refers to a record path now
    holds in full and `text` will not gets that record's line in full, written first, so that
    a kill between the two writes leaves both stores readable."""
    if not path.exists():
        return
    try:
        now = _full_lines(path)
    except StoreError:
        return  # not readable: nothing can have been resolved through it
    kept = {_checksum(ln) for ln in text.splitlines()[1:] if _reference(ln) is None}
    gone = {c: ln for c, ln in now.items() if c not in kept}
    me = _where(path)
    for other in stores(None, root) if gone else []:
        if other == path or not other.exists():
            continue
        header, lines = _read_lines(other)
        refs = [_reference(ln) for ln in lines]
        if not any(r and r["in"] == me and r["checksum"] in gone for r in refs):
            continue
        lines = [
            gone[r["checksum"]] if r and r["in"] == me and r["checksum"] in gone else ln
            for ln, r in zip(lines, refs)
        ]
        write_store(other, _with_header(header["name"], header["scale"], lines))


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
    text = store_text(name, scale, records, _held_before(path, root))
    _keep_referred(path, text, root)
    return path, write_store(path, text)


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
        n_refs = sum(_reference(line) is not None for line in _read_lines(path)[1])
        size = path.stat().st_size
        total += size
        refs = f" ({n_refs} in full in an earlier store)" if n_refs else ""
        print(
            f"{path.relative_to(STORE_DIR)}: {len(recs)} records{refs}, {size / 1e6:.2f} MB, "
            f"{n_stale} stale"
        )
    print(f"total {total / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    from grokcore import store as _store  # one module object, not a __main__ copy

    sys.exit(_store.main())
