"""manifest.json: what a release holds and where it came from.

Two parts, so determinism is visible at a glance:
  "release": facts about this act of publishing (version, created_at, code_version, run_id,
             previous_version, data_sha256); they differ between two publishes of one run.
  "data":    a function of the run's outputs and the release options only; two publishes of the
             same run give an identical "data" part, and release.data_sha256 is its fingerprint
             (sha256 of its canonical JSON), so comparing two releases is comparing one string.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema

from codecurate.release import layout
from codecurate.resources import data_file

FORMAT = "codecurate-release/2"  # 2: pii_counts is list<struct<kind, count>>, was a map
SCHEMA_PATH = data_file("manifest.schema.json")


class ManifestError(layout.ReleaseLayoutError):
    """manifest.json is missing, unreadable or does not match its JSON Schema."""


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def data_sha256(data: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(data)).hexdigest()


def build(*, version: str, code_version: str, run_id: str | None, previous: str | None,
          data: dict[str, Any], reuse: dict[str, Any] | None = None) -> dict[str, Any]:
    """`reuse`: per stage, the per-content answers reused from an earlier run and computed
    (rows and bytes); a fact about how the run was made, so not part of "data"."""
    built = {
        "format": FORMAT,
        "release": {
            "version": version,
            "created_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "code_version": code_version,
            "run_id": run_id,
            "previous_version": previous,
            "data_sha256": data_sha256(data),
        },
        "data": data,
    }
    if reuse is not None:
        built["release"]["reuse"] = reuse
    return built


def write(manifest: dict[str, Any], release_dir: Path) -> None:
    validate(manifest, release_dir / layout.MANIFEST)
    text = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    (release_dir / layout.MANIFEST).write_text(text, encoding="utf-8")


def read(release_dir: Path) -> dict[str, Any]:
    path = release_dir / layout.MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ManifestError(f"{path}: missing (an unfinished or not a release directory)") from err
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ManifestError(f"{path}: unreadable: {err}") from err
    validate(manifest, path)
    return manifest


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validate(manifest: dict[str, Any], where: Path) -> None:
    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(manifest), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        location = "/".join(str(p) for p in first.absolute_path) or "(top level)"
        raise ManifestError(f"{where}: does not match the manifest schema at {location}: {first.message}")
