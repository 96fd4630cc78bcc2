"""grokcore.cpu_isa: importing grokcore pins PyTorch's CPU libraries (ATen, oneDNN, MKL) to AVX2
on x86-64 unless the user chose otherwise, gives inductor one cache folder per ISA, and warns when
a torch kernel ran before the pin could apply."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from grokcore import cpu_isa

ROOT = Path(__file__).resolve().parents[2]
FLAGS = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
X86 = platform.machine().lower() in cpu_isa.X86


def test_pin_sets_avx2_on_x86_and_one_inductor_cache_per_isa():
    env: dict = {}
    assert cpu_isa.pin(env, "x86_64") == "avx2" and env["ATEN_CPU_CAPABILITY"] == "avx2"
    assert env["ONEDNN_MAX_CPU_ISA"] == env["MKL_ENABLE_INSTRUCTIONS"] == "AVX2"  # matmul, SVD
    assert Path(env["TORCHINDUCTOR_CACHE_DIR"]).name.endswith("_avx2")
    chosen = {"ATEN_CPU_CAPABILITY": "avx512"}  # a variable the user set stays, in its own cache
    assert cpu_isa.pin(chosen, "AMD64") == "avx2" and chosen["ATEN_CPU_CAPABILITY"] == "avx512"
    assert chosen["ONEDNN_MAX_CPU_ISA"] == "AVX2"  # the ones not set are pinned
    assert Path(chosen["TORCHINDUCTOR_CACHE_DIR"]).name.endswith("_avx512")
    own = {"TORCHINDUCTOR_CACHE_DIR": "/somewhere"}  # a cache folder the user set stays
    assert cpu_isa.pin(own, "x86_64") == "avx2" and own["TORCHINDUCTOR_CACHE_DIR"] == "/somewhere"


def test_native_and_other_architectures_pin_nothing():
    for env, machine in (({"GROKCORE_CPU_ISA": "Native"}, "x86_64"), ({}, "aarch64")):
        assert cpu_isa.pin(env, machine) == "native"
        assert not set(cpu_isa.LIBRARIES) & set(env)
        assert Path(env["TORCHINDUCTOR_CACHE_DIR"]).name.endswith("_native")


def test_an_unknown_choice_is_an_error_naming_the_variable():
    with pytest.raises(ValueError, match="GROKCORE_CPU_ISA='avx512'.*'avx2'.*'native'"):
        cpu_isa.pin({"GROKCORE_CPU_ISA": "avx512"}, "x86_64")


def test_the_tests_run_pinned():
    """The root conftest pinned this process before anything computed (on an AVX-512 machine
    too: the tiny configs and nbval references were made under AVX2)."""
    pinned = os.environ.get("GROKCORE_CPU_ISA", "avx2").strip().lower() == "avx2"
    if X86 and " avx2" in FLAGS and pinned:
        assert torch.backends.cpu.get_cpu_capability() == "AVX2"
    assert all(os.environ.get(k) for k in cpu_isa.LIBRARIES) or not (X86 and pinned)


def _capability(extra: dict) -> str:
    """The ISA a fresh process's ATen kernels use, with the environment `export $(python -m
    grokcore.cpu_isa)` gives a shell, as a record's meta "cpu" names it."""
    drop = {*cpu_isa.LIBRARIES, "GROKCORE_CPU_ISA", "TORCHINDUCTOR_CACHE_DIR"}
    env = {k: v for k, v in os.environ.items() if k not in drop} | extra
    sets = subprocess.run(
        [sys.executable, "-m", "grokcore.cpu_isa"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    env |= dict(s.split("=", 1) for s in sets)
    code = (
        "import torch; torch.ones(64).exp().sum(); from grokcore import records;"
        "print(torch.backends.cpu.get_cpu_capability()); print(records.cpu_kind())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert out[1].split()[1] == out[0], "a record's meta cpu names the ISA the kernels used"
    return out[0]


def test_a_pinned_process_computes_as_an_avx2_one():
    cap = _capability({})
    if X86 and " avx2" in FLAGS:
        assert cap == "AVX2"
    assert cap != "AVX512"
    if X86 and " avx512f" in FLAGS:
        assert _capability({"GROKCORE_CPU_ISA": "native"}) == "AVX512"


def _fresh(code: str, extra: dict) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter whose environment has none of the pin's variables."""
    drop = {*cpu_isa.LIBRARIES, "GROKCORE_CPU_ISA", "TORCHINDUCTOR_CACHE_DIR"}
    env = {k: v for k, v in os.environ.items() if k not in drop} | extra
    return subprocess.run(
        [sys.executable, "-W", "always", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )


def test_importing_grokcore_pins_a_users_own_script():
    """A script that imports grokcore before it computes computes as the book does, with no
    executor around it; its children inherit the pin."""
    code = (
        "import os, grokcore, torch; torch.ones(64).exp().sum();"
        "print(torch.backends.cpu.get_cpu_capability(), os.environ.get('ONEDNN_MAX_CPU_ISA'))"
    )
    cap, onednn = _fresh(code, {}).stdout.split()
    if X86 and " avx2" in FLAGS:
        assert (cap, onednn) == ("AVX2", "AVX2")
    if X86 and " avx512f" in FLAGS:
        native = _fresh(code, {"GROKCORE_CPU_ISA": "native"}).stdout.split()
        assert native == ["AVX512", "None"]


def test_a_kernel_before_the_import_is_warned_about(monkeypatch):
    """torch picks its ISA at its first kernel: one that ran before grokcore was imported is
    reported, naming both ISAs (here simulated by asking for an ISA the process does not run)."""
    have = torch.backends.cpu.get_cpu_capability()
    other = "avx512" if have != "AVX512" else "avx2"
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", other)
    with pytest.warns(RuntimeWarning, match=f"run {have}, not {other.upper()}.*Import grokcore"):
        assert cpu_isa.check() is not None
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", have.lower())
    assert cpu_isa.check() is None
    if X86 and " avx512f" in FLAGS:  # a real late import: the kernel ran native, then grokcore
        late = _fresh("import torch; torch.ones(64).exp().sum(); import grokcore", {})
        assert "run AVX512, not AVX2" in late.stderr
