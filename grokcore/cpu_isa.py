"""One vector ISA for PyTorch's CPU kernels, so that a run gives the same floats on every x86-64.

PyTorch's CPU libraries each pick their kernels by the widest vector ISA the machine has (AVX2
or AVX-512), and the two group float sums differently: a seed trained on an AVX-512 machine
drifts from the same seed trained on an AVX2 one in the 7th digit of its first loss, then
(through a chaotic training run) in its grokking step. The shipped run records, the nbval
references and the tests' tiny configs were made under AVX2, so importing grokcore pins, on
x86-64, each library that chooses by CPUID to AVX2 (`pin`, called first thing by
grokcore/__init__.py): ATen's vectorized ops (ATEN_CPU_CAPABILITY), oneDNN, which runs float32
matmuls and linear layers (ONEDNN_MAX_CPU_ISA: ATen pinned alone left a NeuralGrok decoder's
step-0 loss 1e-9 off its AVX2 record), and MKL (MKL_ENABLE_INSTRUCTIONS: BLAS, and LAPACK's SVD
for EGD). A variable the user set stays. The same config and seed then give the same numbers on
an AVX2 and an AVX-512 machine, bit for bit, from the book's executors and from a user's own
script alike, on one vendor's CPUs: MKL dispatches by vendor, and on an AMD EPYC it runs one
path whatever MKL_ENABLE_INSTRUCTIONS says (the same float32 matmul bits under AVX2, AVX and
SSE4_2 there), so an EPYC and an Intel Xeon can differ in the last bits, which a chaotic
training phase grows: chapter 5's smoke layout runs at 80 steps flipped one test pair, chapter 2's
smoke SGD runs at 300 moved a condition number by 1% (hence their short smoke budgets now, and
`make nbval-paths`, which checks the smoke references under MKL_CBWR=COMPATIBLE too).
GROKCORE_CPU_ISA=native lets each library pick its widest ISA again (on an AVX-512 EPYC the pin
costs less than the machine drifts between rounds: bench/throughput.py's transformer 28.0 and
24.9 steps/s pinned against 28.3 and 28.2 native); records made so say so in their meta "cpu"
(grokcore.records.cpu_kind) and are not comparable bit for bit with the shipped ones.

The libraries read their variables at their first kernel, not at import, and child processes
(notebook kernels, sweep workers) inherit them. A process that ran a torch kernel before it
imported grokcore has chosen already: `check` warns when ATen's ISA is not the pinned one.
Inductor (RunConfig.compile) compiles for ATen's ISA, but its on-disk cache served a kernel
compiled under one ATEN_CPU_CAPABILITY to a process under another (NaN losses), so each ISA gets
its own cache folder unless TORCHINDUCTOR_CACHE_DIR is set.

    python -m grokcore.cpu_isa   # prints VAR=value for each of the pin's variables (a shell's
                                 # `export $(...)`, e.g. before papermill)

Outside the code fingerprint (grokcore.fingerprint.LIBRARY_READERS): it computes nothing, and
the ISA a record was computed with is in its meta "cpu".
"""

from __future__ import annotations

import os
import platform
import re
import tempfile
from pathlib import Path

PINNED = "avx2"  # the ISA every shipped record was made with
CHOICES = ("avx2", "native")  # GROKCORE_CPU_ISA: the pin (default), or each library's own pick
# each library that picks its own kernels by CPUID: ATen's vectorized ops, oneDNN (PyTorch's
# float32 matmuls and linear layers on x86) and MKL (BLAS and LAPACK: the SVD of EGD)
LIBRARIES = {
    "ATEN_CPU_CAPABILITY": PINNED,
    "ONEDNN_MAX_CPU_ISA": PINNED.upper(),
    "MKL_ENABLE_INSTRUCTIONS": PINNED.upper(),
}
X86 = frozenset({"x86_64", "amd64", "x64"})


def _user() -> str:
    """A name for this user's inductor cache folder (as inductor names its own)."""
    try:
        import getpass

        name = getpass.getuser()
    except Exception:  # no user name in some containers
        name = str(os.getuid()) if hasattr(os, "getuid") else "user"
    return re.sub(r"[^\w.-]", "_", name)


def pin(environ: dict | None = None, machine: str | None = None) -> str:
    """Pin ATen, oneDNN and MKL to AVX2 on x86-64 (each variable the user set stays), unless
    GROKCORE_CPU_ISA is "native"; give inductor one cache folder per ATen ISA unless
    TORCHINDUCTOR_CACHE_DIR is set. Return the choice ("avx2", or "native": also on other
    architectures). ``environ`` and ``machine`` default to this process's."""
    env = os.environ if environ is None else environ
    choice = env.get("GROKCORE_CPU_ISA", PINNED).strip().lower()
    if choice not in CHOICES:
        raise ValueError(
            f"GROKCORE_CPU_ISA={env['GROKCORE_CPU_ISA']!r}: allowed are 'avx2' (the default: "
            "every x86-64 computes as an AVX2 one, as the shipped records were made) and "
            "'native' (each library picks the machine's widest ISA)"
        )
    if (machine or platform.machine()).lower() not in X86:
        choice = "native"
    if choice == PINNED:
        for var, value in LIBRARIES.items():
            env.setdefault(var, value)
    if "TORCHINDUCTOR_CACHE_DIR" not in env:
        tag = re.sub(r"[^\w]", "_", env.get("ATEN_CPU_CAPABILITY", "native").lower())
        folder = f"torchinductor_{_user()}_{tag}"
        env["TORCHINDUCTOR_CACHE_DIR"] = str(Path(tempfile.gettempdir()) / folder)
    return choice


def check() -> str | None:
    """A warning (also issued) when ATen runs another ISA than the pin asks for: torch ran a CPU
    kernel before grokcore was imported, so its numbers may differ from the shipped records' in
    the last bits; None when it agrees (or nothing is pinned)."""
    asked = os.environ.get("ATEN_CPU_CAPABILITY", "")
    if not asked or asked == "default":
        return None
    import torch

    have = torch.backends.cpu.get_cpu_capability().lower()
    if have == asked.lower() or (asked.lower() == PINNED and have == "default"):
        return None  # "default": a machine without AVX2 has nothing wider to pin down from
    message = (
        f"PyTorch's CPU kernels run {have.upper()}, not {asked.upper()} as "
        "ATEN_CPU_CAPABILITY asks: a torch kernel ran before grokcore was imported. Import "
        "grokcore first (or export $(python -m grokcore.cpu_isa) before starting Python) to "
        "compute as the shipped records were made"
    )
    import warnings

    warnings.warn(message, RuntimeWarning, stacklevel=3)
    return message


def variables(environ: dict | None = None) -> dict[str, str]:
    """The pin's variables as they stand (set by `pin` or by the user)."""
    env = os.environ if environ is None else environ
    names = (*LIBRARIES, "TORCHINDUCTOR_CACHE_DIR")
    return {k: env[k] for k in names if k in env}


if __name__ == "__main__":  # `export $(python -m grokcore.cpu_isa)`: a shell computes pinned
    pin()  # importing grokcore pinned already; a second call changes nothing
    print(" ".join(f"{k}={v}" for k, v in sorted(variables().items())))
