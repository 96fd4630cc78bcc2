"""bench/gpu_check.sh, the prepared GPU check, runs through on the CPU with small settings: each
step passes, the throughput JSON and the slice's store come back in OUT, and the store's records
read back as current records of the chapter-4 plan's runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from grokcore import store

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import gpu_check  # noqa: E402  (bench/ is no package)

ROOT = Path(__file__).resolve().parent.parent


def test_gpu_check_runs_on_the_cpu(tmp_path):
    out = tmp_path / "out"
    env = {
        **os.environ,
        "DEVICE": "cpu",
        "PY": sys.executable,
        "OUT": str(out),
        "GROKCORE_CACHE": str(tmp_path / "cache"),
        "STACKS": "1 2",
        "STEPS": "3",
        "TESTS": "tests/unit/test_device.py::test_float32_on_the_device_follows_float64_on_the_cpu"
        "[egd_mlp-sgd]",
        "SLICE_ARGS": f"--scale smoke --limit 3 --root {tmp_path / 'store'}",
    }
    done = subprocess.run(
        ["bash", "bench/gpu_check.sh"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    summary = (out / "summary.txt").read_text()
    assert done.returncode == 0, summary + done.stdout[-2000:] + done.stderr[-2000:]
    assert [line.split(":")[0] for line in summary.splitlines()[1:]] == [
        "tests",
        "throughput",
        "slice",
    ]
    done_json = json.loads((out / "throughput.json").read_text())
    assert done_json["device"] == "cpu" and done_json["torch"] and done_json["date"]
    rows = done_json["rows"]
    assert [r["stack"] for r in rows] == [1, 2] and all(r["member_steps_per_s"] > 0 for r in rows)
    records = store.read_store(out / "04_adam_dynamics.jsonl.xz")
    parts = gpu_check.part_configs("smoke", list(gpu_check.PARTS), 3)
    want = {c.key() for cfgs in parts.values() for c in cfgs}  # every part's first 3 runs
    assert {r.key for r in records} == want and len(records) == len(want)
    assert all(r.meta["device"].startswith("cpu") for r in records)


def test_a_sigterm_packs_what_finished(tmp_path):
    """The shell's timeout ends the slice with SIGTERM mid-plan: every run finished by then is
    packed, and the store reads back whole."""
    env = {**os.environ, "GROKCORE_CACHE": str(tmp_path / "cache"), "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "bench/gpu_check.py", "slice", "--device", "cpu", "--scale", "smoke"]
    cmd += ["--part", "wd", "beta1", "--root", str(tmp_path / "store"), "--out", str(tmp_path)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    lines = []
    for line in proc.stdout:  # the first part is trained: stop it in the second
        lines.append(line)
        if line.startswith("part 'wd'"):
            proc.send_signal(signal.SIGTERM)
            break
    rest = proc.communicate(timeout=120)[0]
    # the signal lands in the second part, or just before it starts (between the first part's
    # line and the loop's next step: a busy machine showed it once)
    stopped = ("stopped in part 'beta1': signal 15", "stopped after part 'wd': signal 15")
    assert proc.returncode == 0 and any(s in rest for s in stopped), "".join(lines) + rest
    records = store.read_store(tmp_path / "04_adam_dynamics.jsonl.xz")
    cache = {r.key for r in records}
    wd = {c.key() for c in gpu_check.part_configs("smoke", ["wd"], None)["wd"]}
    assert wd <= cache, "".join(lines) + rest


def test_a_failing_step_fails_the_check(tmp_path):
    env = {
        **os.environ,
        "DEVICE": "no-such-device",
        "PY": sys.executable,
        "OUT": str(tmp_path / "out"),
        "GROKCORE_CACHE": str(tmp_path / "cache"),
        "TESTS": "tests/unit/test_device.py::test_float32_on_the_device_follows_float64_on_the_cpu"
        "[egd_mlp-sgd]",
        "SLICE_MINUTES": "0",
        # never the repository's stores: their runs would load, and the slice would pack them
        "SLICE_ARGS": f"--scale smoke --root {tmp_path / 'store'}",
    }
    done = subprocess.run(["bash", "bench/gpu_check.sh"], cwd=ROOT, env=env, capture_output=True)
    summary = (tmp_path / "out" / "summary.txt").read_text()
    assert done.returncode != 0
    assert "tests: exit 0," not in summary and "slice: exit 1," in summary
    assert "--device 'no-such-device' is invalid" in (tmp_path / "out" / "slice.log").read_text()
