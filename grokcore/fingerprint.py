"""Code fingerprints: which source files produce a config's run record, and a hash of them.

A run record is only as good as the code that made it, so every record carries
`code_fingerprint(cfg)`: SHA-256 over the sorted (path, code) of the files a run of `cfg`
executes, and a record whose fingerprint differs from the current code's is stale
(grokcore.records). A file's code is its syntax tree without docstrings (`canonical`): comments,
docstrings and formatting (`ruff format`) never make a record stale; any change a run could
execute does.
The files are

- the library: every grokcore/*.py except the modules that only read records (LIBRARY_READERS:
  plotting, claims, widgets, test fixtures, statistics), only build configs (presets,
  baselines: a config's values are in its key) or only move records and steer sweeps (store:
  shipped stores; cluster: the Dask executor; campaign: budgets, progress, recompute;
  checkpoint: a stack's state saved and restored, its resumed records bit for bit an
  uninterrupted run's, as tests/unit/test_checkpoint.py checks) or only
  check a notebook's parameters before anything runs (params) or set the CPU's vector ISA before
  any kernel (cpu_isa: the ISA a run used is in its record's meta "cpu");
- for every config class in the config tree (dataclass fields, walked) that lives in a chapter
  package ``chapters.<name>``: that package's modules except its readers (CHAPTER_READERS:
  figures.py, claims.py, measures.py, parameters.py, and scales.py: the notebook's defaults per
  scale, whose every value a run's config holds) and tests/. A reader that a training
  module of the package imports is executed by the training, so it counts (chapter 4's
  configs.py stores measures.gap in its summaries);
- for every probe named "package.module:attr" in a RunConfig.probes anywhere in the tree: that
  module's chapter package (or the module's own file outside chapters/ and grokcore/).

Editing a figure or a claim therefore re-renders a chapter (book/build.py) from its records
without retraining it. Sweeps have thousands of configs: the files of a set of packages are read
and hashed once per process, a config costs one walk of its tree.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import hashlib
import importlib.util
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
LIBRARY = REPO / "grokcore"
# library modules that never run during training: they read records (or are test fixtures), or
# build configs whose every value the record's key already holds (presets, baselines)
LIBRARY_READERS = frozenset(
    {
        "plotting.py",
        "claims.py",
        "explore.py",
        "testing.py",
        "outcomes.py",
        "estimates.py",
        "presets.py",
        "baselines.py",
        "store.py",
        "cluster.py",
        "campaign.py",
        "checkpoint.py",
        "params.py",
        "cpu_isa.py",
    }
)
# a chapter's modules that read records: figures, claim checks, per-seed measurements
CHAPTER_READERS = frozenset(
    {"figures.py", "claims.py", "measures.py", "parameters.py", "scales.py"}
)


@dataclass(frozen=True)
class Code:
    """The code behind a set of configs: its files, one short hash per file, and the fingerprint."""

    files: tuple[Path, ...]  # sorted by label
    hashes: dict[str, str]  # label (path relative to the repo) -> sha256[:12] of the bytes
    fingerprint: str  # sha256 over the sorted (label, bytes)


def _read(path: Path) -> bytes:
    """A source file's bytes (tests replace this to simulate an edit)."""
    return path.read_bytes()


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                node.body = body[1:] or [ast.Pass()]
    return tree


def canonical(data: bytes) -> bytes:
    """What of a source file a run executes: its syntax tree without docstrings or positions, so
    that comments, docstrings and layout do not count. A file that does not parse counts by its
    bytes."""
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError):
        return data
    return _dump(_strip_docstrings(tree)).encode()


def _dump(node: Any) -> str:
    """ast.dump without positions and without the fields that are None or empty: those differ
    between Python versions for the same code (3.12 added FunctionDef.type_params, 3.13's
    ast.dump leaves empty fields out), and a record's fingerprint must not depend on the Python
    that made it."""
    if isinstance(node, ast.AST):
        fields = ((f, getattr(node, f, None)) for f in node._fields)
        inner = ", ".join(f"{f}={_dump(v)}" for f, v in fields if v is not None and v != [])
        return f"{type(node).__name__}({inner})"
    if isinstance(node, list):
        return "[" + ", ".join(_dump(v) for v in node) + "]"
    return repr(node)


def _label(path: Path) -> str:
    """The name a file is hashed under: its path relative to the repo, so that fingerprints agree
    between checkouts; a file outside the repo (an installed package) goes by its absolute path."""
    try:
        return path.relative_to(REPO).as_posix()
    except ValueError:
        return path.as_posix()


# ---- which files: one "unit" per source of code (the library, a chapter package, a module file)


def _package_dir(package: str) -> Path:
    mod = sys.modules.get(package)
    if mod is not None and getattr(mod, "__file__", None):
        return Path(mod.__file__).resolve().parent
    spec = importlib.util.find_spec(package)
    if spec is not None and spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0]).resolve()
    return REPO / Path(*package.split("."))


@functools.cache
def _module_unit(module: str) -> Path | None:
    """The unit of code a module belongs to: its chapter package's folder, its own file (outside
    chapters/ and grokcore/), or None (grokcore: always counted; a module without a file)."""
    parts = module.split(".")
    if parts[0] == "grokcore":
        return None
    if parts[0] == "chapters" and len(parts) >= 2:
        return _package_dir(".".join(parts[:2]))
    mod = sys.modules.get(module)
    origin = getattr(mod, "__file__", None) if mod is not None else None
    if origin is None:
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            spec = None
        origin = spec.origin if spec is not None else None
    if origin and origin.endswith(".py"):
        return Path(origin).resolve()
    return None  # __main__ of a notebook, a builtin: no file to hash


@functools.cache
def _fields(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def _units(cfg: Any) -> frozenset[Path]:
    """Chapter package folders and module files the config tree's classes and probes live in."""
    from .config import RunConfig

    units: set[Path] = set()
    todo = [cfg]
    while todo:
        obj = todo.pop()
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            cls = type(obj)
            unit = _module_unit(cls.__module__)
            if unit is not None:
                units.add(unit)
            if isinstance(obj, RunConfig):
                for name in obj.probes:
                    if ":" in name:
                        unit = _module_unit(name.partition(":")[0])
                        if unit is not None:
                            units.add(unit)
            todo.extend(getattr(obj, f) for f in _fields(cls))
        elif isinstance(obj, (tuple, list)):
            todo.extend(obj)
        elif isinstance(obj, dict):
            todo.extend(obj.values())
    return frozenset(units)


def _imported_siblings(path: Path, package: str, names: set[str]) -> set[str]:
    """Which of the package's module `names` the file at `path` imports (statically)."""
    try:
        tree = ast.parse(_read(path))
    except SyntaxError:
        return set()
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level == 1:  # from . import x / from .x import y
                mods = [base] if base else [a.name for a in node.names]
            elif node.level == 0 and base == package:  # from chapters.pkg import x
                mods = [a.name for a in node.names]
            elif node.level == 0 and base.startswith(package + "."):
                mods = [base[len(package) + 1 :]]
            else:
                mods = []
        elif isinstance(node, ast.Import):
            mods = [
                a.name[len(package) + 1 :] for a in node.names if a.name.startswith(package + ".")
            ]
        else:
            continue
        found |= {m.split(".")[0] for m in mods} & names
    return found


def _package_files(folder: Path) -> list[Path]:
    """A chapter package's training modules: all but tests/ and the readers no training module
    imports."""
    files = [
        p
        for p in sorted(folder.rglob("*.py"))
        if "tests" not in p.relative_to(folder).parts and "__pycache__" not in p.parts
    ]
    readers = {p.stem: p for p in files if p.parent == folder and p.name in CHAPTER_READERS}
    kept = [p for p in files if p.stem not in readers or p.parent != folder]
    package = "chapters." + folder.name if folder.parent.name == "chapters" else folder.name
    todo = list(kept)
    while todo and readers:  # a reader imported by a counted module is executed by training
        for stem in _imported_siblings(todo.pop(), package, set(readers)):
            todo.append(readers[stem])
            kept.append(readers.pop(stem))
    return kept


def library_files() -> list[Path]:
    """grokcore's modules that training can execute."""
    return [p for p in sorted(LIBRARY.glob("*.py")) if p.name not in LIBRARY_READERS]


_CODE: dict[frozenset[Path], Code] = {}


def _code_of(units: frozenset[Path]) -> Code:
    code = _CODE.get(units)
    if code is None:
        files = library_files()
        for unit in sorted(units):
            files += _package_files(unit) if unit.is_dir() else [unit]
        by_label = sorted({_label(p): p for p in files}.items())
        h = hashlib.sha256()
        hashes = {}
        for label, path in by_label:
            data = canonical(_read(path))
            h.update(f"{label}\0{len(data)}\0".encode() + data + b"\0")
            hashes[label] = hashlib.sha256(data).hexdigest()[:12]
        code = _CODE[units] = Code(tuple(p for _, p in by_label), hashes, h.hexdigest())
    return code


def code_of(cfg: Any) -> Code:
    """Files, per-file hashes and fingerprint of the code a run of cfg executes (cached)."""
    return _code_of(_units(cfg))


def code_fingerprint(cfg: Any) -> str:
    """SHA-256 (hex) over the sorted (path, bytes) of code_files(cfg)."""
    return code_of(cfg).fingerprint


def code_files(cfg: Any) -> list[Path]:
    """The source files a run of cfg executes (see the module docstring for which)."""
    return list(code_of(cfg).files)


def changed_files(old: dict[str, str], new: dict[str, str]) -> list[str]:
    """Labels whose hash differs between two {label: hash} maps (added, removed or edited)."""
    return sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))


def clear_cache() -> None:
    """Forget the hashed files (after editing code in a running process; tests)."""
    _CODE.clear()
    _module_unit.cache_clear()
    git_state.cache_clear()


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", "--no-optional-locks", *args],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


@functools.cache
def git_state() -> dict | None:
    """{"commit": HEAD, "dirty": tracked files differ from it} of the repo grokcore is in; None
    outside a git checkout of it (e.g. an installed copy). Once per process."""
    top = _git("rev-parse", "--show-toplevel")
    if not top or Path(top).resolve() != REPO:
        return None
    commit = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain", "--untracked-files=no")
    if commit is None or status is None:
        return None
    return {"commit": commit, "dirty": bool(status)}
