"""environment.yml carries the same pins as pyproject.toml; the two commands are in the README."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pyproject_pins() -> dict[str, str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = meta["dependencies"] + [
        r for extra in meta["optional-dependencies"].values() for r in extra
    ]
    pins = {}
    for r in reqs:
        name, _, version = r.partition("==")
        assert version, f"{r!r} in pyproject.toml is not pinned with =="
        pins[name.lower()] = version
    return pins


def environment_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "environment.yml").read_text().splitlines():
        m = re.match(r"\s*-\s+([A-Za-z0-9_.-]+)==(\S+)\s*$", line)
        if m:
            pins[m.group(1).lower()] = m.group(2)
    return pins


def test_environment_yml_agrees_with_pyproject():
    assert environment_pins() == pyproject_pins()


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
