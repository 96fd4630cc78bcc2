"""Run records: what a run returns, cached by config key, written atomically, checked on load.

Lookup order: committed records under book/results/ (runs made elsewhere, e.g. on a GPU),
then the gitignored cache ($GROKCORE_CACHE, default <repo>/.cache/grokcore). A record that
fails to parse, has another schema, another key or a wrong checksum is reported and
recomputed, never used. GROKCORE_REQUIRE_CACHE=1 turns a miss into an error.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .config import RECORD_SCHEMA, config_key, from_dict, to_dict

REPO = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO / "book" / "results"


class CorruptRecord(ValueError):
    """A record file that must not be used."""


class CacheMiss(RuntimeError):
    """GROKCORE_REQUIRE_CACHE is set and a run has no record."""


@dataclass
class RunRecord:
    """One member's run: its config, metric history, summary and provenance."""

    key: str
    config: dict  # grokcore.config.to_dict(cfg)
    history: dict[str, list]  # "step" plus one list per metric, on the evaluation schedule
    summary: dict[str, Any]  # e.g. step_to_test_acc_95: int, or None = not reached by last_step
    final: dict[str, float]  # metrics at the last evaluation
    meta: dict[str, Any] = field(default_factory=dict)  # wall_s, steps_per_s, torch, device, ...
    schema: int = RECORD_SCHEMA

    @property
    def cfg(self):
        return from_dict(self.config)

    def payload(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        body = self.payload()
        body["checksum"] = _checksum(body)
        return json.dumps(body, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str, expect_key: str | None = None) -> "RunRecord":
        try:
            body = json.loads(text)
        except json.JSONDecodeError as e:
            raise CorruptRecord(f"not valid JSON ({e})") from None
        if not isinstance(body, dict):
            raise CorruptRecord("not a JSON object")
        checksum = body.pop("checksum", None)
        if body.get("schema") != RECORD_SCHEMA:
            raise CorruptRecord(f"schema {body.get('schema')!r} != {RECORD_SCHEMA}")
        if checksum != _checksum(body):
            raise CorruptRecord("checksum mismatch (truncated or edited)")
        try:
            rec = cls(**body)
            key = config_key(from_dict(rec.config))
        except (TypeError, KeyError, ValueError) as e:
            raise CorruptRecord(f"fields do not match a RunRecord ({e})") from None
        if key != rec.key or (expect_key and key != expect_key):
            raise CorruptRecord(f"key {rec.key} does not match its config ({key})")
        return rec


def _checksum(body: dict) -> str:
    blob = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def cache_dir() -> Path:
    return Path(os.environ.get("GROKCORE_CACHE", REPO / ".cache" / "grokcore"))


def record_path(key: str, root: Path | None = None) -> Path:
    return (root or cache_dir()) / key[:2] / f"{key}.json"


def write_record(rec: RunRecord, root: Path | None = None) -> Path:
    """Atomic write: a temp file in the same folder, fsync, then rename over the target."""
    path = record_path(rec.key, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(rec.to_json())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_record(key: str) -> RunRecord | None:
    """The committed or cached record for key; None if absent or corrupt (a warning says which)."""
    paths = sorted(RESULTS_DIR.glob(f"**/{key}.json")) + [record_path(key)]
    for path in paths:
        if not path.exists():
            continue
        try:
            return RunRecord.from_json(path.read_text(), expect_key=key)
        except CorruptRecord as e:
            warnings.warn(f"ignoring corrupt record {path}: {e}; it will be recomputed", stacklevel=2)
    return None


def new_record(cfg: Any, history: dict, summary: dict, meta: dict) -> RunRecord:
    final = {k: v[-1] for k, v in history.items() if k != "step" and v}
    return RunRecord(config_key(cfg), to_dict(cfg), history, summary, final, meta)
