"""Execute every chapter with papermill, collect its claims, and build the HTML book.

This is the only executor of the book: Jupyter Book renders the outputs papermill stored.

    python book/build.py [--scale smoke|cpu|paper] [--only STEM] [--force] [--out DIR] [--jobs N]

For each ``notebooks/NN_*.ipynb`` (sorted) it writes ``<out>/chapters/<stem>.ipynb``, reusing the
executed copy when its cache key (source notebook, scale, the chapter package it imports,
``grokcore/*.py``, this file) is unchanged: editing one chapter's package re-executes that
chapter only. Chapters execute side by side, one process and kernel each, as many at once as
the machine has cores (``--jobs N``; ``--jobs 1``: one after another). It then gathers every
chapter's claims (the ``application/vnd.grokbook.claims+json`` output) into
``<out>/_build/claims.json`` and the intro's scoreboard, stages the book sources in
``<out>/_build/src`` and runs ``jupyter-book build`` with warnings as errors into
``<out>/_build/html``. ``<out>`` is ``book/`` unless ``--out`` is given.

A cpu or paper build into ``book/`` records the verdicts in ``book/results/claims-<scale>.json``
(the README's table); with ``--only`` it replaces just that chapter's rows there. With
``--only``, a chapter never executed into ``<out>/chapters`` is not executed either: its page in
the HTML book says so and how to build it, and the scoreboard lists it without verdicts (at paper
scale, where most chapters have no shipped records, that would be days of training).

Run records come from the shipped stores (grokcore.store): before executing, the scale's stores
are unpacked into the cache, so a fresh clone renders from them and trains only what is missing
or stale. While a chapter executes, every record key it uses is traced; after a cpu or paper
execution into ``book/`` the chapter's store ``book/results/store/<scale>/<stem>.jsonl.xz`` is
rewritten from them (only when its bytes change).

``--recompute`` retrains every run of the executed chapters (each once; a killed recompute
resumes with ``--recompute-since`` and the time it printed), leaves the shipped stores and
verdicts as they are, and ends with a table of every verdict and estimate that moved against
the shipped ones and how many run histories are bit for bit the shipped ones. ``--executor
tcp://host:8786`` trains on a dask.distributed cluster (grokcore.cluster).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import yaml

from grokcore import store  # importing grokcore pins the CPU ISA; notebook kernels inherit it
from grokcore.claims import JSON_FIELDS, VERDICTS, tally

BOOK = Path(__file__).resolve().parent
ROOT = BOOK.parent
SCALES = ("smoke", "cpu", "paper")
CLAIMS_MIME = "application/vnd.grokbook.claims+json"
CLAIM_KEYS = JSON_FIELDS  # every field of grokcore.claims.ClaimResult (README: claims.json)
SCOREBOARD = "_generated/scoreboard.md"  # relative to the staged sources; intro.md includes it
TIMES = "_generated/times.md"  # the chapters' training times, from the shipped records
# Staged with the book: everything in book/ except these (build outputs, scripts, run records).
NOT_STAGED = shutil.ignore_patterns("_build", "chapters", "results", "*.py", "*.sh", "__pycache__")


class BuildError(RuntimeError):
    """A failure that stops the build, with a message naming the notebook or step."""


def chapter_packages(source: Path) -> list[str]:
    """The chapter packages a notebook imports (``from chapters.<pkg> ...``, ``import
    chapters.<pkg>``, ``from chapters import <pkg>``): read from its code, so that a new chapter
    needs no table here."""
    packages: set[str] = set()
    for cell in nbformat.read(source, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        packages.update(re.findall(r"^\s*(?:from|import)\s+chapters\.(\w+)", cell.source, re.M))
        for names in re.findall(r"^\s*from\s+chapters\s+import\s+\(?([\w\s,]+)", cell.source, re.M):
            packages.update(n.split()[0] for n in names.split(",") if n.strip())
    return sorted(packages)


def chapter_files(source: Path, root: Path | None = None) -> list[Path]:
    """The files of the chapter packages a notebook imports (tests/ and caches left out), and
    chapters/__init__.py."""
    root = root or ROOT
    files = [root / "chapters" / "__init__.py"]
    for package in chapter_packages(source):
        folder = root / "chapters" / package
        files += [
            p
            for p in sorted(folder.rglob("*"))
            if p.is_file()
            and p.suffix != ".pyc"
            and not {"tests", "__pycache__"} & set(p.relative_to(folder).parts)
        ]
    return [p for p in files if p.is_file()]


def cache_key(
    source: Path, scale: str, root: Path | None = None, params: dict | None = None
) -> str:
    """Hash what an executed chapter depends on: the notebook, the scale, the parameters given
    besides it (`--param`), its chapter package, the library and this file. Another chapter's
    package is not in it: editing chapter 4 leaves chapter 5's executed copy current. (A chapter
    re-executed after editing only its figures or claims loads its run records: their code
    fingerprints leave those modules out.)"""
    root = root or ROOT
    h = hashlib.sha256()
    for name, data in [("notebook", source.read_bytes()), ("scale", scale.encode())]:
        h.update(f"{name}\0".encode() + data + b"\0")
    if params:
        h.update(b"params\0" + json.dumps(params, sort_keys=True).encode() + b"\0")
    files = [
        (p.relative_to(root).as_posix(), p)
        for p in [*sorted((root / "grokcore").glob("*.py")), *chapter_files(source, root)]
    ]
    for label, path in [*files, ("book/build.py", Path(__file__).resolve())]:
        h.update(f"{label}\0".encode() + path.read_bytes() + b"\0")
    return h.hexdigest()


def read_meta(executed: Path) -> dict:
    """The ``grokbook`` metadata of an executed chapter, or {} if absent or unreadable."""
    try:
        return nbformat.read(executed, as_version=4).metadata.get("grokbook", {})
    except (OSError, ValueError):
        return {}


def trace_path(scale: str, stem: str) -> Path:
    """Where the record keys a chapter's execution used are listed (gitignored)."""
    return ROOT / ".cache" / "trace" / scale / f"{stem}.keys"


def execute(
    source: Path,
    executed: Path,
    scale: str,
    trace: Path | None = None,
    params: dict | None = None,
) -> tuple[float, bool]:
    """Run ``source`` with papermill into ``executed`` unless the cached copy is current,
    listing the record keys it uses in ``trace`` (grokcore.store.note_use); ``params``: the
    notebook's parameters besides the scale (`--param`).

    Returns (wall seconds, reused). Raises BuildError naming the notebook on any error output.
    """
    key = cache_key(source, scale, params=params)
    meta = read_meta(executed) if executed.exists() else {}
    if meta.get("key") == key:
        return meta.get("wall_s", 0.0), True

    import papermill

    executed.parent.mkdir(parents=True, exist_ok=True)
    print(f"executing {source.name} (scale={scale}) ...", flush=True)
    if trace is not None:
        trace.parent.mkdir(parents=True, exist_ok=True)
        trace.write_text("")
        os.environ["GROKCORE_TRACE"] = str(trace)  # the kernel inherits it
    from grokcore.campaign import STATUS, Watch

    units = ROOT / ".cache" / "progress" / scale / f"{source.stem}.json"
    units.parent.mkdir(parents=True, exist_ok=True)
    units.unlink(missing_ok=True)
    os.environ[STATUS] = str(units)  # the kernel's run_or_load counts its units there
    watch = Watch(units, f"  {source.stem}")
    start = time.perf_counter()
    try:
        retry_kernel_start(
            lambda: papermill.execute_notebook(
                str(source),
                str(executed),
                parameters={**(params or {}), "scale": scale},
                kernel_name="python3",
                cwd=str(source.parent),
                progress_bar=False,
                log_output=False,
            )
        )
    except papermill.PapermillExecutionError as err:
        raise BuildError(
            f"{source.name}: cell In [{err.exec_count}] raised {err.ename}: "
            f"{err.evalue}\n  (the executed copy shows the traceback: {executed})"
        ) from None
    finally:
        os.environ.pop("GROKCORE_TRACE", None)
        os.environ.pop(STATUS, None)
        watch.close()
    wall = round(time.perf_counter() - start, 1)

    nb = nbformat.read(executed, as_version=4)
    check_no_errors(nb, source.name)
    for cell in nb.cells:  # the reader sees the parameters used behind a "show" toggle
        tags = cell.metadata.setdefault("tags", [])
        if "injected-parameters" in tags and "hide-input" not in tags:
            tags.append("hide-input")
    nb.metadata["grokbook"] = {"key": key, "scale": scale, "wall_s": wall, "params": params or {}}
    nbformat.write(nb, executed)
    return wall, False


KERNEL_START_FAILED = "Kernel died before replying to kernel_info"  # jupyter_client's words
KERNEL_START_TRIES = 3


def retry_kernel_start(call, tries: int = KERNEL_START_TRIES):
    """call(), again (up to `tries` in all) while its kernel dies before it has started: two
    kernels started side by side (--jobs) can pick the same free TCP port, and the second dies
    binding it ("Address already in use"). No cell has run then, so a new kernel loses nothing;
    any other error is raised at once."""
    for attempt in range(1, tries + 1):
        try:
            return call()
        except RuntimeError as err:
            if KERNEL_START_FAILED not in str(err) or attempt == tries:
                raise
            print(f"  the kernel died while starting; starting another ({attempt + 1}/{tries})")


def _execute_child(conn, args: tuple) -> None:
    """execute(*args) in a forked process, its result or error message sent back on conn."""
    try:
        conn.send(("ok", execute(*args)))
    except BuildError as err:
        conn.send(("error", str(err)))
    except BaseException as err:  # noqa: BLE001 (reported, with the chapter's name, by the parent)
        conn.send(("error", f"{args[0].name}: {type(err).__name__}: {err}"))
    finally:
        conn.close()


def execute_chapters(
    tasks: list[tuple[str, tuple]], jobs: int
) -> tuple[dict[str, tuple[float, bool]], list[str]]:
    """execute(*args) for each (stem, args), up to `jobs` at a time, each in a process of its
    own: a kernel inherits its trace and status files through the environment, which is one
    per process. Returns ({stem: (wall seconds, reused)}, error messages); a chapter that fails
    does not stop the others (their records and executed copies are kept)."""
    results: dict[str, tuple[float, bool]] = {}
    errors: list[str] = []
    if jobs <= 1 or len(tasks) <= 1:
        for stem, args in tasks:
            try:
                results[stem] = execute(*args)
            except BuildError as err:
                errors.append(str(err))
        return results, errors
    import multiprocessing
    from multiprocessing.connection import wait

    ctx = multiprocessing.get_context("fork")  # the build process runs no thread to fork with
    pending, running = list(tasks), {}
    try:
        while pending or running:
            while pending and len(running) < jobs:
                stem, args = pending.pop(0)
                recv, send = ctx.Pipe(duplex=False)
                proc = ctx.Process(target=_execute_child, args=(send, args), name=stem)
                proc.start()
                send.close()
                running[recv] = (stem, proc)
            for conn in wait(list(running)):
                stem, proc = running.pop(conn)
                try:
                    kind, value = conn.recv()
                except EOFError:  # killed before it could answer
                    kind, value = "error", f"{stem}: its process ended without a result"
                proc.join()
                if kind == "ok":
                    results[stem] = value
                else:
                    errors.append(value)
    finally:
        for stem, proc in running.values():
            proc.terminate()
            proc.join()
    return results, errors


def check_no_errors(nb: nbformat.NotebookNode, name: str) -> None:
    """Fail if any cell stored an error output (e.g. a cell allowed to raise)."""
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                raise BuildError(
                    f"{name}: cell {i} has an error output: {out.get('ename')}: {out.get('evalue')}"
                )


def read_claims(executed: Path) -> list[dict]:
    """Return the claims a chapter emitted; fail if it emitted none or a row lacks a key."""
    nb = nbformat.read(executed, as_version=4)
    claims = None
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if CLAIMS_MIME in data:
                rows = data[CLAIMS_MIME]
                claims = (claims or []) + (json.loads(rows) if isinstance(rows, str) else rows)
    if claims is None:
        raise BuildError(
            f"{executed.name}: no output with mimetype {CLAIMS_MIME} "
            "(every chapter must display its claim table)"
        )
    for row in claims:
        missing = [k for k in CLAIM_KEYS if k not in row]
        if missing:
            raise BuildError(f"{executed.name}: claim {row.get('id', row)!r} lacks {missing}")
    return [dict(row) for row in claims]


def _cell(value: object) -> str:
    """Format a value for a markdown table cell."""
    text = "" if value is None else str(value)
    text = " ".join(text.split())
    for ch in "\\|*_`[]<>":  # literal text: no emphasis, links or HTML from a claim's wording
        text = text.replace(ch, "\\" + ch)
    return text


def scoreboard(claims: dict[str, list[dict]], absent: tuple[str, ...] = ()) -> str:
    """Render the intro's scoreboard from {chapter stem: claims}: the verdicts tallied per
    chapter, then per chapter a table narrow enough to read without scrolling (statement, the
    paper's value, ours, the verdict); the band and source of each row are in the chapter's own
    claim table. Chapters in `absent` (not executed in this build) get a line, not a table."""
    flat = [row for rows in claims.values() for row in rows]
    counts = tally(flat)
    lines = [
        "| Chapter | Claims | " + " | ".join(VERDICTS) + " |",
        "|" + "---|" * (2 + len(VERDICTS)),
    ]
    for stem, n in counts.items():
        cells = [f"{{doc}}`{stem} </chapters/{stem}>`", str(sum(n.values()))]
        lines.append("| " + " | ".join(cells + [str(n[v]) for v in VERDICTS]) + " |")
    head = ["Statement", "Paper", "Ours (95% CI)", "Verdict"]
    for stem in sorted([*claims, *absent]):  # NN_ stems: the TOC's order
        if stem in absent:
            lines += ["", f"**{{doc}}`/chapters/{stem}`** ({stem}): not executed in this build."]
            continue
        rows = claims[stem]
        lines += ["", f"**{{doc}}`/chapters/{stem}`** ({stem}; bands and sources there)", ""]
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for row in rows:
            cells = [_cell(row[k]) for k in ("statement", "paper", "ours")]
            lines.append("| " + " | ".join(cells + [f"**{_cell(row['verdict'])}**"]) + " |")
    scales = ", ".join(sorted({str(row["scale"]) for row in flat}))
    return "\n".join(lines) + f"\n\nClaims: {len(flat)}. Scale: {scales}.\n"


def merge_chapter(path: Path, rows: list[dict], stem: str, stems: list[str]) -> list[dict]:
    """The recorded snapshot at `path` with chapter `stem`'s rows replaced by `rows`."""
    old = json.loads(path.read_text()) if path.exists() else []
    by_chapter = {s: [r for r in old if r["chapter"] == s] for s in stems}
    by_chapter[stem] = rows
    return [r for s in stems for r in by_chapter[s]]


def snapshot(flat: list[dict], path: Path) -> None:
    """Record the verdicts of a cpu/paper build (the README's table reads them)."""
    text = json.dumps(flat, indent=1, ensure_ascii=False) + "\n"
    if path.exists() and path.read_text() == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
    print(
        f"recorded the verdicts in {path.relative_to(ROOT)}; `python book/readme_claims.py` "
        "puts them in README.md"
    )


def toc_chapters(toc_path: Path) -> list[str]:
    """The chapter stems the TOC lists, in order (entries ``chapters/<stem>``)."""
    toc = yaml.safe_load(toc_path.read_text())
    files = [
        entry["file"] for part in [toc] + toc.get("parts", []) for entry in part.get("chapters", [])
    ]
    return [f.removeprefix("chapters/").removesuffix(".ipynb") for f in files]


def placeholder(source: Path, scale: str) -> nbformat.NotebookNode:
    """The page of a chapter `--only` left unexecuted: its title, and how to build it."""
    nb = nbformat.read(source, as_version=4)
    titles = [
        line
        for cell in nb.cells
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
        if line.startswith("# ")
    ]
    title = titles[0] if titles else f"# {source.stem}"
    text = (
        f"{title}\n\nThis chapter was not executed in this build (`book/build.py --only` "
        f"executed another one). Build it with `python book/build.py --scale {scale} --only "
        f"{source.stem}`, or the whole book with `make book SCALE={scale}`."
    )
    if scale != "smoke":  # smoke builds record no verdicts
        text += (
            f" The verdicts recorded for it at this scale are in "
            f"`book/results/claims-{scale}.json` and the README's claims table."
        )
    text += "\n"
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(text)])


def stage(
    out: Path,
    claims: dict[str, list[dict]],
    absent: tuple[str, ...] = (),
    scale: str = "cpu",
    notebooks: Path = ROOT / "notebooks",
) -> Path:
    """Assemble the book sources, executed chapters (for each chapter in `absent`, a page that
    says it was not executed) and generated scoreboard in one folder."""
    src = out / "_build" / "src"
    shutil.rmtree(src, ignore_errors=True)
    shutil.copytree(BOOK, src, ignore=NOT_STAGED)
    (src / "chapters").mkdir()
    for stem in claims:
        # Drop the claims mimetype (already collected): myst-nb warns on mimetypes it can't render.
        nb = nbformat.read(out / "chapters" / f"{stem}.ipynb", as_version=4)
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                output.get("data", {}).pop(CLAIMS_MIME, None)
        nbformat.write(nb, src / "chapters" / f"{stem}.ipynb")
    for stem in absent:
        nb = placeholder(notebooks / f"{stem}.ipynb", scale)
        nbformat.write(nb, src / "chapters" / f"{stem}.ipynb")
    (src / SCOREBOARD).parent.mkdir()
    (src / SCOREBOARD).write_text(scoreboard(claims, absent))
    (src / TIMES).write_text(chapter_times())
    return src


def chapter_times() -> str:
    """The intro's table of what each chapter's runs cost to train, from the shipped records
    (grokcore.store.times_table: the README prints the same)."""
    parts = [store.times_table(scale) for scale in ("cpu", "paper") if store.stores(scale)]
    return "\n".join(parts)


def build_html(src: Path, out: Path) -> None:
    """Run jupyter-book 1.x on the staged sources, warnings as errors, into <out>/_build/html."""
    cmd = [
        sys.executable,
        "-c",
        "from jupyter_book.cli.main import main; main()",
        "build",
        str(src),
        "--path-output",
        str(out),
        "--all",
        "-W",
        "-n",
        "--keep-going",
        "-q",
    ]
    result = subprocess.run(cmd, cwd=ROOT, check=False)
    if result.returncode != 0:
        raise BuildError(
            f"jupyter-book build failed (exit {result.returncode}); "
            "Sphinx warnings are errors, see the messages above"
        )


def pack_chapter(stem: str, scale: str, keep: bool = False) -> str:
    """Write the records a chapter's execution used into its shipped store (`keep`: added to
    the records it has, as after a run of part of the plan); a summary."""
    keys = store.traced(trace_path(scale, stem))
    if not keys:
        return "no run records"
    path, changed = (store.add if keep else store.pack)(stem, scale, keys)
    size = path.stat().st_size / 1e6
    return f"{len(keys)} records, {size:.2f} MB, {'rewritten' if changed else 'unchanged'}"


MOVED_FIELDS = ("verdict", "estimate", "ci_low", "ci_high", "n", "censored")


def recompute_report(new: list[dict], shipped: list[dict], stems: list[str], scale: str) -> str:
    """Markdown: every claim row whose verdict or estimate moved against the shipped verdicts,
    and how many retrained run histories equal the shipped records bit for bit."""
    from grokcore.records import first_difference, lookup

    old = {(r["chapter"], r["id"]): r for r in shipped}
    lines = ["| chapter | claim | field | shipped | recomputed |", "|---|---|---|---|---|"]
    moved = same = 0
    for row in new:
        ref = old.get((row["chapter"], row["id"]))
        if ref is None:
            lines.append(f"| {row['chapter']} | {row['id']} | (new row) | | {row['verdict']} |")
            moved += 1
            continue
        diffs = [f for f in MOVED_FIELDS if ref.get(f) != row.get(f)]
        for f in diffs:
            lines.append(f"| {row['chapter']} | {row['id']} | {f} | {ref.get(f)} | {row.get(f)} |")
        moved += bool(diffs)
        same += not diffs
    out = [f"Claims: {same} rows unchanged, {moved} moved (of {len(new)}).", ""]
    out += lines if moved else []
    identical, differ = 0, []
    for stem in stems:
        path = store.store_path(stem, scale)
        if not path.exists():
            continue
        for rec in store.read_store(path):
            now = lookup(rec.key).record
            diff = None if now is None else first_difference(rec.history, now.history)
            if now is not None and diff is None:
                identical += 1
            else:
                differ.append(f"{stem} {rec.key}: {diff or 'no current record'}")
    out += [
        "",
        f"Run histories: {identical} bit for bit equal to the shipped ones, {len(differ)} differ.",
    ]
    out += [f"- {d}" for d in differ[:20]] + (
        [f"- ... {len(differ) - 20} more"] if len(differ) > 20 else []
    )
    return "\n".join(out) + "\n"


def print_times(rows: list[tuple[str, str]]) -> None:
    """Print the wall-time table at the end of a build."""
    width = max(len(name) for name, _ in rows)
    print("\n" + "step".ljust(width) + "  wall time")
    for name, value in rows:
        print(name.ljust(width) + "  " + value)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options (``--notebooks`` is for developing build.py itself)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", choices=SCALES, default="cpu", help="parameter tier (default cpu)")
    p.add_argument("--only", metavar="STEM", help="execute only this notebook, e.g. 01_egd_toy")
    p.add_argument("--force", action="store_true", help="re-execute even if cached")
    p.add_argument("--out", type=Path, default=BOOK, help="output folder (default book/)")
    p.add_argument(
        "--recompute",
        action="store_true",
        help="retrain every run and compare the verdicts and histories with the shipped ones",
    )
    p.add_argument(
        "--recompute-since",
        metavar="ISO",
        help="resume a recompute: retrain only records created before this time",
    )
    p.add_argument(
        "--executor",
        metavar="ADDRESS",
        help="train on a dask.distributed scheduler (tcp://host:8786) or local:N workers",
    )
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=YAML",
        help="with --only: a notebook parameter besides the scale (YAML, as papermill -y), e.g. "
        "'grokfast_settings=[]'; the verdicts say they come from a run with it",
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="chapters executed at once, each in its own process and kernel (default: the "
        "number of cores; 1: one after another)",
    )
    p.add_argument("--notebooks", type=Path, default=ROOT / "notebooks", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.jobs is None:
        args.jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    elif args.jobs < 1:
        p.error(f"--jobs: a number of chapters at once, 1 or more; got {args.jobs}")
    return args


def parse_params(items: list[str], only: str | None) -> dict:
    """`--param NAME=YAML` values as papermill parameters; only with --only (one chapter)."""
    if items and not only:
        raise BuildError("--param needs --only: parameters belong to one chapter's notebook")
    params = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name.isidentifier():
            raise BuildError(f"--param {item!r}: expected NAME=YAML, e.g. transplant_seeds=0")
        if name == "scale":
            raise BuildError("--param scale=...: give the scale with --scale")
        try:
            params[name] = yaml.safe_load(text)
        except yaml.YAMLError as err:
            raise BuildError(f"--param {item!r}: the value is not YAML ({err})") from None
    return params


def check_param_names(notebook: Path, params: dict) -> None:
    """Every --param names a parameter of the notebook (papermill would ignore another one with
    only a warning); its value is the notebook's own check (its first cell)."""
    if not params:
        return
    from grokcore.params import notebook_defaults

    known = notebook_defaults(notebook)
    if unknown := [name for name in params if name not in known]:
        raise BuildError(
            f"--param {unknown[0]}: {notebook.stem} has no such parameter (it has "
            f"{', '.join(known)})"
        )


def with_params(rows: list[dict], params: dict) -> list[dict]:
    """Each claims row of a run with `params` says so: in its note, and as "params"."""
    if not params:
        return rows
    said = ", ".join(f"{k}={v!r}" for k, v in params.items())
    return [
        {
            **r,
            "params": params,
            "note": f"run with {said}, not the scale's whole plan; " + r["note"],
        }
        for r in rows
    ]


def main(argv: list[str] | None = None) -> int:
    """Execute, collect claims, build; return the exit status."""
    args = parse_args(argv)
    params = parse_params(args.param, args.only)
    out = args.out.resolve()
    t0 = time.perf_counter()
    subprocess.run(["bash", str(BOOK / "fetch_assets.sh")], check=True)
    if args.executor:
        os.environ["GROKCORE_EXECUTOR"] = args.executor
    recompute = args.recompute or bool(args.recompute_since)
    if recompute:
        since = args.recompute_since or datetime.now(timezone.utc).isoformat()
        os.environ["GROKCORE_RECOMPUTE_SINCE"] = since
        print(f"recomputing every run created before {since} (resume: --recompute-since {since})")
    # Kernels inherit this environment: grokcore importable without an install, and matplotlib's
    # inline backend (not a GUI one). Not MPLBACKEND=Agg: the kernel would then drop its figures.
    pythonpath = [str(ROOT), os.environ.get("PYTHONPATH", "")]
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, pythonpath))
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"

    sources = sorted(args.notebooks.glob("[0-9][0-9]_*.ipynb"))
    stems = toc_chapters(BOOK / "_toc.yml")
    if sorted(stems) != [s.stem for s in sources]:
        raise BuildError(
            f"book/_toc.yml lists {stems} but {args.notebooks} has "
            f"{[s.stem for s in sources]}: add one line per chapter to the TOC"
        )
    if args.only and args.only not in stems:
        raise BuildError(f"--only {args.only}: no such notebook (have {stems})")
    check_param_names(args.notebooks / f"{args.only}.ipynb", params)

    rows = []
    t_unpack = time.perf_counter()
    u = store.unpack(args.scale)
    if u.stores:
        rows.append(
            (
                "unpack stores",
                f"{time.perf_counter() - t_unpack:.1f} s ({u.copied} records copied, "
                f"{u.kept} kept, {u.stale} stale: retrained when used)",
            )
        )
    ship = out == BOOK.resolve() and args.scale != "smoke" and not recompute
    absent = []  # with --only: chapters never executed into <out>, left so (a page says so)
    tasks, last = [], {}  # last: a chapter's wall seconds when it was last executed here
    for source in sources:
        executed = out / "chapters" / f"{source.stem}.ipynb"
        if args.only and source.stem != args.only:
            if not executed.exists():
                absent.append(source.stem)
            continue
        last[source.stem] = read_meta(executed).get("wall_s") if executed.exists() else None
        if (args.force or recompute) and executed.exists():
            executed.unlink()
        tasks.append(
            (
                source.stem,
                (
                    source,
                    executed,
                    args.scale,
                    trace_path(args.scale, source.stem),
                    params if source.stem == args.only else None,
                ),
            )
        )
    # The longest first (by its last execution here; never executed: first), so that the last
    # chapter to finish is a short one: side by side, the build lasts about the longest chapter.
    tasks.sort(key=lambda task: -(last[task[0]] or math.inf))
    t_exec = time.perf_counter()
    results, errors = execute_chapters(tasks, args.jobs)
    t_exec = time.perf_counter() - t_exec
    for source in sources:
        if args.only and source.stem != args.only:
            kept = (
                "left out (--only; never executed here)"
                if source.stem in absent
                else "kept (--only)"
            )
            rows.append((source.stem, kept))
            continue
        if source.stem not in results:
            rows.append((source.stem, "failed"))
            continue
        wall, reused = results[source.stem]
        rows.append(
            (source.stem, f"cached ({wall:.1f} s when executed)" if reused else f"{wall:.1f} s")
        )
        if ship and (not reused or not store.store_path(source.stem, args.scale).exists()):
            keep = bool(params) and source.stem == args.only  # part of the plan: add, not replace
            rows.append((f"  store {source.stem}", pack_chapter(source.stem, args.scale, keep)))
    if len(tasks) > 1:
        rows.append((f"chapters, {min(args.jobs, len(tasks))} at once", f"{t_exec:.1f} s"))
    if errors:
        print_times(rows)
        raise BuildError("\n".join(errors))

    claims = {
        stem: read_claims(out / "chapters" / f"{stem}.ipynb")
        for stem in stems
        if stem not in absent
    }
    if params:
        claims[args.only] = with_params(claims[args.only], params)
    flat = [row for rows in claims.values() for row in rows]
    (out / "_build").mkdir(parents=True, exist_ok=True)
    (out / "_build" / "claims.json").write_text(json.dumps(flat, indent=1) + "\n")
    path = BOOK / "results" / f"claims-{args.scale}.json"
    if recompute:
        shipped = json.loads(path.read_text()) if path.exists() else []
        done = [args.only] if args.only else stems
        report = recompute_report(
            [r for r in flat if r["chapter"] in done],
            [r for r in shipped if r["chapter"] in done],
            done,
            args.scale,
        )
        (out / "_build" / "recompute.md").write_text(report)
        print("\n" + report + f"(also in {out / '_build' / 'recompute.md'})")
    elif out == BOOK.resolve() and args.scale != "smoke":
        if args.only:  # replace this chapter's rows, keep the others' recorded verdicts
            flat = merge_chapter(path, claims[args.only], args.only, stems)
        snapshot(flat, path)

    t_book = time.perf_counter()
    build_html(stage(out, claims, tuple(absent), args.scale, args.notebooks), out)
    rows.append(("jupyter-book", f"{time.perf_counter() - t_book:.1f} s"))
    rows.append(("total", f"{time.perf_counter() - t0:.1f} s"))
    print_times(rows)
    print(f"\nbook: {out / '_build' / 'html' / 'index.html'}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BuildError as err:
        print(f"build.py: error: {err}", file=sys.stderr)
        sys.exit(1)
