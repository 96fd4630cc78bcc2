"""Checkpoints of a stack in training, so that a kill loses at most a few minutes of a long run.

train_stack saves the whole state of its loop (weights, optimizer and schedule, the gradient
transform's state, the batch order's generators, the history so far, the hooks' logs) at an
evaluation step once `GROKCORE_CHECKPOINT_S` seconds have passed since it started or last saved
(default 300; 0: at every evaluation; "off": never), to <cache>/checkpoints/<name>.pt, written
atomically. A later train_stack of the same configs, by the same code, on the same device,
continues from it, and its records are bit for bit those of an uninterrupted run
(tests/unit/test_checkpoint.py); the file goes once the stack finishes. The name hashes the code
fingerprint, the configs' keys, the device (on CPU its kind and ISA) and the torch version, so
no other code's or machine's state is ever read.

A stack is checkpointed only where train_stack holds its state whole: the configs' own gradient
transform, or a caller's that says its state is held (`grokcore.transforms.ResumableTransform`:
NeuralGrok's amplifier, which its hook holds); no snapshots or resume (chapter 4's transplant);
and hooks that hand over their state between steps (`Hook.resumable`, `Hook.state`: their log
and `state_attrs`, or more, as NeuralGrok's amplifier and meta optimizer). Others (chapter 7's
step clock: a timing is of one uninterrupted run) train as before.

A checkpoint moves state and computes nothing, so this module is outside the code fingerprint
(grokcore.fingerprint.LIBRARY_READERS); the bit-for-bit tests are what pin it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
import warnings
from pathlib import Path
from typing import Any, Sequence

import torch

from .records import atomic_write, cache_dir

ENV = "GROKCORE_CHECKPOINT_S"
DEFAULT_S = 300.0  # a kill loses at most about five minutes of a run, plus one evaluation


def interval() -> float | None:
    """Seconds between checkpoints from GROKCORE_CHECKPOINT_S (None: off)."""
    text = os.environ.get(ENV, "").strip()
    if not text:
        return DEFAULT_S
    if text.lower() == "off":
        return None
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:  # also NaN
        raise ValueError(f"{ENV}={text!r}: allowed a number of seconds >= 0, or 'off'")
    return seconds


def path_for(cfgs: Sequence[Any], device: str) -> Path:
    """Where a stack's checkpoint lives: named by code, configs, device and torch version."""
    from .fingerprint import code_of
    from .records import cpu_kind

    body = {
        "code": code_of(cfgs[0]).fingerprint,
        "keys": [c.key() for c in cfgs],
        # the CPU kind too: its float kernels (ISA) decide the bits a continued run gets
        "device": device if device != "cpu" else f"cpu: {cpu_kind()}",
        "torch": torch.__version__,
    }
    name = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:32]
    return cache_dir() / "checkpoints" / f"{name}.pt"


class Checkpoints:
    """A stack's checkpoint file and clock. `path` is None where the stack is not checkpointed
    (off, or state train_stack does not hold whole)."""

    def __init__(self, cfgs: Sequence[Any], device: str, resumable: bool) -> None:
        self.every = interval()
        on = resumable and self.every is not None
        self.path = path_for(cfgs, device) if on else None
        self.last = time.perf_counter()

    def restore(self) -> dict | None:
        """The saved state, or None (no file; an unreadable one is set aside with a warning)."""
        if self.path is None or not self.path.exists():
            return None
        try:
            return torch.load(self.path, weights_only=False)  # onto the device it was saved from
        except Exception as e:  # noqa: BLE001  (any unreadable file: train from the start)
            warnings.warn(f"checkpoint {self.path} unreadable ({e}): training from the start")
            self.path.replace(self.path.with_suffix(".unreadable"))
            return None

    def due(self) -> bool:
        return self.path is not None and time.perf_counter() - self.last >= self.every

    def save(self, state: dict) -> None:
        buf = io.BytesIO()
        torch.save(state, buf)
        atomic_write(self.path, buf.getvalue())
        self.last = time.perf_counter()

    def done(self) -> None:
        """The stack finished: its records hold everything, the checkpoint goes."""
        if self.path is not None:
            self.path.unlink(missing_ok=True)
