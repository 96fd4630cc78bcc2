"""Code fingerprints: which files a config's runs execute, and when the fingerprint changes."""

import ast
import itertools
import subprocess
import sys
import textwrap

import pytest

import chapters
from grokcore import fingerprint
from grokcore.config import MLPConfig, ModularTask, OptimConfig, RunConfig, TransformerConfig
from grokcore.fingerprint import REPO, code_files, code_fingerprint

CFG = RunConfig(
    task=ModularTask(p=7),
    model=MLPConfig(width=8),
    optim=OptimConfig(batch_size=None),
    num_steps=5,
    eval_every=5,
)


@pytest.fixture(autouse=True)
def fresh_hashes():
    """Each test hashes the files itself, and leaves no simulated edit behind."""
    fingerprint.clear_cache()
    yield
    fingerprint.clear_cache()


def edit(monkeypatch, suffix: str) -> None:
    """Simulate an edit of the file whose path ends with `suffix` (a statement appended)."""
    real = fingerprint._read
    monkeypatch.setattr(
        fingerprint,
        "_read",
        lambda p: real(p) + (b"\n_edited = 1\n" if p.as_posix().endswith(suffix) else b""),
    )
    fingerprint.clear_cache()


def labels(cfg) -> list[str]:
    return [fingerprint._label(p) for p in code_files(cfg)]


def test_library_files_are_the_training_modules():
    names = labels(CFG)
    assert {"grokcore/train.py", "grokcore/config.py", "grokcore/records.py"} <= set(names)
    for reader in ("plotting", "claims", "explore", "testing", "outcomes"):
        assert f"grokcore/{reader}.py" not in names
    assert not any(n.startswith("chapters/") for n in names)  # a plain RunConfig runs no chapter


def test_stable_across_calls_configs_and_processes():
    fp = code_fingerprint(CFG)
    assert fp == code_fingerprint(CFG) == code_fingerprint(CFG.replace(seed=3))
    assert len(fp) == 64 and int(fp, 16) >= 0
    code = (
        "from grokcore.config import *; from grokcore.fingerprint import code_fingerprint; "
        "print(code_fingerprint(RunConfig(task=ModularTask(p=7), model=MLPConfig(width=8), "
        "optim=OptimConfig(batch_size=None), num_steps=5, eval_every=5)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == fp


def test_changes_with_a_training_module_not_with_plotting_or_claims(monkeypatch):
    fp = code_fingerprint(CFG)
    edit(monkeypatch, "grokcore/plotting.py")
    assert code_fingerprint(CFG) == fp
    edit(monkeypatch, "grokcore/claims.py")
    assert code_fingerprint(CFG) == fp
    edit(monkeypatch, "grokcore/train.py")
    assert code_fingerprint(CFG) != fp


def test_a_chapter_probe_brings_its_package():
    """Chapter 5's "chapters.med.med:MED_PROBE" runs chapters/med's code, not its figures."""
    from chapters.med import med

    cfg = RunConfig(model=TransformerConfig(), probes=(med.MED_PROBE_NAME,))
    names = labels(cfg)
    assert "chapters/med/med.py" in names and "chapters/med/__init__.py" in names
    assert "chapters/med/figures.py" not in names
    assert not any("/tests/" in n for n in names)
    assert code_fingerprint(cfg) != code_fingerprint(RunConfig(model=TransformerConfig()))


CONFIGS = """
from dataclasses import dataclass
from grokcore.config import Experiment, RunConfig
from .measures import gap  # a reader a training module imports is executed by training


@dataclass(frozen=True)
class FakeChapterRun{n}(Experiment):
    run: RunConfig = RunConfig()
"""


_FAKE = itertools.count()


@pytest.fixture
def fake_chapter(tmp_path, monkeypatch):
    """A chapter package chapters.fakechap<n> in a temporary folder: configs (training),
    figures, claims and measures (readers), tests/."""
    n = next(_FAKE)
    folder = tmp_path / "chapters" / f"fakechap{n}"
    (folder / "tests").mkdir(parents=True)
    files = {
        "__init__.py": "",
        "configs.py": CONFIGS.format(n=n),
        "figures.py": "X = 1\n",
        "claims.py": "Y = 1\n",
        "measures.py": "def gap(s):\n    return s\n",
        "tests/test_it.py": "Z = 1\n",
    }
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text))
    monkeypatch.setattr(chapters, "__path__", [*chapters.__path__, str(tmp_path / "chapters")])
    name = f"chapters.fakechap{n}"
    mod = __import__(f"{name}.configs", fromlist=["configs"])
    yield folder, getattr(mod, f"FakeChapterRun{n}")(run=CFG)
    for m in [m for m in sys.modules if m.startswith(name)]:
        del sys.modules[m]


def test_chapter_package_counts_but_not_its_figures_claims_or_tests(fake_chapter):
    folder, cfg = fake_chapter
    names = {p.name for p in code_files(cfg) if p.is_relative_to(folder)}
    assert names == {"__init__.py", "configs.py", "measures.py"}  # measures: configs imports it
    fp = code_fingerprint(cfg)
    assert fp != code_fingerprint(CFG)
    for name in ("figures.py", "claims.py", "tests/test_it.py"):  # re-render, never retrain
        (folder / name).write_text("CHANGED = 2\n")
        fingerprint.clear_cache()
        assert code_fingerprint(cfg) == fp, name
    (folder / "configs.py").write_text((folder / "configs.py").read_text() + "# edit\n")
    fingerprint.clear_cache()
    assert code_fingerprint(cfg) == fp  # a comment: nothing a run executes
    (folder / "configs.py").write_text((folder / "configs.py").read_text() + "EDITED = 1\n")
    fingerprint.clear_cache()
    assert code_fingerprint(cfg) != fp


def test_a_reader_no_training_module_imports_is_left_out(fake_chapter):
    folder, cfg = fake_chapter
    text = (folder / "configs.py").read_text().replace("from .measures import gap", "")
    (folder / "configs.py").write_text(text)
    fingerprint.clear_cache()
    fp = code_fingerprint(cfg)
    assert "measures.py" not in {p.name for p in code_files(cfg)}
    (folder / "measures.py").write_text("def gap(s):\n    return None\n")
    fingerprint.clear_cache()
    assert code_fingerprint(cfg) == fp


def test_a_scale_preset_edit_keeps_records_fresh_unless_training_imports_it(fake_chapter):
    """scales.py (the notebook's defaults per scale) is a reader: more seeds or a longer budget
    asks for other configs and stales none; imported by a training module, it counts."""
    folder, cfg = fake_chapter
    (folder / "scales.py").write_text('SCALES = {"cpu": {"seeds": 5}}\n')
    fingerprint.clear_cache()
    fp = code_fingerprint(cfg)
    assert "scales.py" not in {p.name for p in code_files(cfg)}
    (folder / "scales.py").write_text('SCALES = {"cpu": {"seeds": 8}}\n')
    fingerprint.clear_cache()
    assert code_fingerprint(cfg) == fp
    configs = folder / "configs.py"
    configs.write_text(configs.read_text() + "from .scales import SCALES\n")
    fingerprint.clear_cache()
    assert "scales.py" in {p.name for p in code_files(cfg)}


def test_no_chapters_training_module_imports_its_scales():
    """Every chapter keeps its presets in scales.py, outside its records' fingerprints."""
    root = fingerprint.REPO / "chapters"
    for folder in sorted(p for p in root.iterdir() if (p / "scales.py").exists()):
        assert not (folder / "configs.py").read_text().count("SCALES = {"), folder.name
        kept = {p.name for p in fingerprint._package_files(folder)}
        assert "scales.py" not in kept and "configs.py" in kept, folder.name
    assert len([p for p in root.iterdir() if (p / "scales.py").exists()]) >= 8


def test_changed_files_names_the_edits():
    old, new = {"a": "1", "b": "2"}, {"a": "1", "b": "3", "c": "4"}
    assert fingerprint.changed_files(old, new) == ["b", "c"]


def test_git_state_is_a_commit_or_none():
    state = fingerprint.git_state()
    assert state is None or (len(state["commit"]) == 40 and isinstance(state["dirty"], bool))


def test_a_thousand_configs_are_cheap():
    import time

    cfgs = [CFG.replace(seed=s) for s in range(1000)]
    code_fingerprint(cfgs[0])
    t0 = time.perf_counter()
    assert len({code_fingerprint(c) for c in cfgs}) == 1
    assert time.perf_counter() - t0 < 1.0  # ~0.05 s here


def test_comments_docstrings_and_layout_do_not_count_but_code_does():
    src = (
        b'"""Module doc."""\nimport math\n\n\ndef f(x):\n'
        b'    """Doc."""\n    return math.sqrt(x)  # why\n'
    )
    same = b"import math\ndef f(x):\n    # a comment\n    return math.sqrt(\n        x\n    )\n"
    other = b"import math\ndef f(x):\n    return math.sqrt(x + 0)\n"
    assert fingerprint.canonical(src) == fingerprint.canonical(same)
    assert fingerprint.canonical(src) != fingerprint.canonical(other)
    # a function whose body is only a docstring keeps a body (and differs from one that returns)
    assert fingerprint.canonical(b'def g():\n    """Doc."""\n') == fingerprint.canonical(
        b"def g():\n    pass\n"
    )
    assert fingerprint.canonical(b"def (") == b"def ("  # unparsable: its bytes


def test_the_canonical_form_does_not_depend_on_the_python_version(monkeypatch):
    """Written out here, so that every Python (3.11 here, 3.12 on the GPU image) must give it:
    no empty or None fields (3.12's FunctionDef.type_params, 3.11's empty lists), no positions."""
    src = b"@dec\nclass A(B):\n    def f(self, x=1):\n        return x\n"
    assert fingerprint.canonical(src) == (
        b"Module(body=[ClassDef(name='A', bases=[Name(id='B', ctx=Load())], body=[FunctionDef("
        b"name='f', args=arguments(args=[arg(arg='self'), arg(arg='x')], defaults=[Constant("
        b"value=1)]), body=[Return(value=Name(id='x', ctx=Load()))])], decorator_list=[Name("
        b"id='dec', ctx=Load())])])"
    )
    # a field a later Python adds empty (as 3.12 did) leaves the form as it was
    for kind in (ast.ClassDef, ast.FunctionDef):
        if "type_params" not in kind._fields:  # as on 3.11: add it
            monkeypatch.setattr(kind, "_fields", (*kind._fields, "type_params"))
    tree = ast.parse(src)
    for node in ast.walk(tree):
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            assert getattr(node, "type_params", []) == []
            node.type_params = []
    assert fingerprint._dump(tree) == fingerprint.canonical(src).decode()
    assert "type_params" in ast.dump(tree)  # which ast.dump would have shown


def test_a_comment_edit_keeps_records_fresh(monkeypatch):
    before = code_fingerprint(CFG)
    real = fingerprint._read
    monkeypatch.setattr(
        fingerprint,
        "_read",
        lambda p: real(p)
        + (b"\n# a comment\n" if p.as_posix().endswith("grokcore/train.py") else b""),
    )
    fingerprint.clear_cache()
    assert code_fingerprint(CFG) == before
