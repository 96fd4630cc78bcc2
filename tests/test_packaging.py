"""Packaging: the Makefile's Python, requirements.lock (every dependency, exact and hashed) against
pyproject.toml's loose pins and environment.yml, what the library imports, and the two commands."""

import os
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def declared() -> set[str]:
    """Every distribution pyproject.toml declares (the library and its extras)."""
    from packaging.requirements import Requirement

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = meta["dependencies"] + [r for rs in meta["optional-dependencies"].values() for r in rs]
    return {canon(Requirement(r).name) for r in reqs}


def environment_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "environment.yml").read_text().splitlines():
        m = re.match(r"\s*-\s+([A-Za-z0-9_.-]+)==(\S+)\s*$", line)
        if m:
            pins[canon(m.group(1))] = m.group(2)
    return pins


def test_environment_yml_pins_the_locked_versions():
    env, locked = environment_pins(), lock_pins()
    assert set(env) == declared()
    for name, version in env.items():  # conda's pip takes PyPI's torch: no "+cpu" there
        assert locked[name].split("+")[0] == version, (name, version, locked[name])


def test_python_minor_agrees():
    env = (ROOT / "environment.yml").read_text()
    assert "python=3.11" in env
    assert ">=3.11,<3.12" in (ROOT / "pyproject.toml").read_text()


def test_readme_names_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    assert "make book" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_readme_verdicts_match_the_recorded_cpu_build():
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, str(ROOT / "book" / "readme_claims.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr


# ---- the Makefile's Python, the lock file, and what the library imports

FAKE_PYTHON = """#!/bin/sh
# a python3 that is not 3.11: the version check exits 1
case "$1" in --version) echo "Python 3.12.1";; *) exit 1;; esac
"""


def make(args, tmp_path, path=None):
    import shutil
    import subprocess

    env = {"HOME": str(tmp_path), "PATH": path or os.environ["PATH"]}
    cmd = [shutil.which("make"), "-C", str(ROOT), f"VENV={tmp_path / 'venv'}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env)


def test_make_installs_with_python_311(tmp_path):
    out = make(["-n", "install"], tmp_path)
    assert out.returncode == 0, out.stderr
    [line] = [x for x in out.stdout.splitlines() if " -m venv " in x]
    python = line.split("||")[1].split()[0]
    version = subprocess_output([python, "--version"])
    assert version.startswith("Python 3.11"), (python, version)


def test_make_refuses_a_python_other_than_311_with_a_clear_message(tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "python3").write_text(FAKE_PYTHON)
    (fake / "python3").chmod(0o755)
    out = make(["install"], tmp_path, path=str(fake))
    assert out.returncode != 0
    assert "needs Python 3.11" in out.stderr and "python3 is Python 3.12.1" in out.stderr
    assert "make PYTHON=" in out.stderr
    assert not (tmp_path / "venv").exists()  # nothing was created


def subprocess_output(cmd):
    import subprocess

    return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()


def lock_pins() -> dict[str, str]:
    """requirements.lock: name -> exact version; every entry carries a hash."""
    text = (ROOT / "requirements.lock").read_text()
    pins = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        m = re.match(r"([A-Za-z0-9_.-]+)==(\S+)", block)
        if m:
            assert "--hash=sha256:" in block, f"{m.group(1)} has no hash in requirements.lock"
            pins[canon(m.group(1))] = m.group(2)
    return pins


def canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_lock_pins_every_declared_dependency_within_its_range():
    from packaging.requirements import Requirement

    locked = lock_pins()
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = meta["dependencies"] + [r for rs in meta["optional-dependencies"].values() for r in rs]
    for r in map(Requirement, reqs):
        name = canon(r.name)
        assert name in locked, f"{r.name} is declared in pyproject.toml but not locked"
        assert r.specifier.contains(locked[name], prereleases=True), (str(r), locked[name])
    assert "seaborn" not in locked  # unused, dropped


def test_the_lock_is_the_environment_a_make_install_made():
    """Every locked package is installed here at its locked version (make installs the lock)."""
    import importlib.metadata as md

    installed = {canon(d.metadata["Name"]): d.version for d in md.distributions()}
    for name, version in lock_pins().items():
        if name in ("pip",):
            continue
        assert installed.get(name) == version, (name, version, installed.get(name))


LIBRARY_EXTRA_MODULES = {"cluster.py": "cluster", "testing.py": "test"}
IMPORT_NAMES = {"PIL": "pillow", "yaml": "pyyaml"}


def test_what_the_library_imports_its_dependencies_declare():
    import ast
    import sys

    from packaging.requirements import Requirement

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = {canon(Requirement(r).name) for r in meta["dependencies"]}
    extras = {
        k: {canon(Requirement(r).name) for r in rs}
        for k, rs in meta["optional-dependencies"].items()
    }
    for path in sorted((ROOT / "grokcore").glob("*.py")) + sorted(
        p for p in (ROOT / "chapters").rglob("*.py") if "tests" not in p.parts
    ):
        if path.name == "conftest.py":
            continue
        declared = core | extras.get(LIBRARY_EXTRA_MODULES.get(path.name, ""), set())
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for top in {n.split(".")[0] for n in names}:
                if top in sys.stdlib_module_names or top in ("grokcore", "chapters"):
                    continue
                dist = canon(IMPORT_NAMES.get(top, top))
                assert dist in declared, f"{path.relative_to(ROOT)} imports {top}, undeclared"
