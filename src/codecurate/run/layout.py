"""What a run is on disk. The one owner of these names: everyone else asks this module.

    <output.root>/
      .codecurate.lock                  held by the process publishing (codecurate.ops.lock)
      runs/<run_id>/
        run.json                        resolved config, fingerprints, inputs, opt-out sha256
        contents/                       Parquet: every blob the source read, once (blob_id, content,
                                        src_encoding, _blob_reason), by decoded=true|false;
                                        an incremental run's holds links to the earlier's texts
        contents.json                   what the texts depend on (fingerprint), what was carried over
        <stage>/kept/                   Parquet: rows that passed (the next stage's input), without
                                        their content: stages and the release look it up
        <stage>/rejects/                Parquet: keys + drop_reason (+ audit columns), never content
        <stage>/repo_rejects/           the source stage only: origins that yielded no file
        <stage>/content_results/        Parquet: the stage's per-content answers by their key
                                        (stages with ContentResults), reused by a later run
        <stage>/content_results.json    their key, config slice, detector versions, fingerprint
                                        and reuse counts; written after the Parquet
        <stage>/manifest.json           counts, bytes, seconds, metrics; written last
        <stage>/status.json             running (pid, host, cores, progress) or failed (the error's
                                        first line); what `codecurate status` reads before a manifest
        spark.log                       Spark's own log (log4j2), not the console
        report.png                      per-stage time and throughput, redrawn after every run
        _checkpoints/                   scratch for lineage cuts; removed after each stage
      releases/<version>/               codecurate.release.layout owns what is inside

A stage directory without its manifest is unfinished; readers trust manifests, not globs.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codecurate.errors import UsageError

RUNS = "runs"
RELEASES = "releases"
RUN_FILE = "run.json"
STAGE_MANIFEST = "manifest.json"
STAGE_STATUS = "status.json"
SPARK_LOG = "spark.log"
REPORT = "report.png"
KEPT = "kept"
REJECTS = "rejects"
REPO_REJECTS = "repo_rejects"
CHECKPOINTS = "_checkpoints"
CONTENT_RESULTS = "content_results"
CONTENTS = "contents"  # the run's decoded blobs, once each (blob_id -> content): written by the source
CONTENTS_FILE = "contents.json"  # what the texts depend on (fingerprint), and what was carried over
DECODED = "decoded"  # the contents table's partition column: true where the blob decoded to a text
CONTENT_RESULTS_FILE = "content_results.json"
RELEASE_MANIFEST = "manifest.json"  # a release's; read here only for the run id it came from
SUCCESS_MARKER = "_SUCCESS"  # written by Spark when a Parquet directory is complete


class RunDirError(UsageError):
    """A run directory is missing, unfinished or unreadable; the message names the file."""


def write_json(path: Path, payload: dict[str, Any]) -> None:
    """Write aside and rename: a reader never sees half a file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_json(path: Path, when_missing: str) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise RunDirError(when_missing) from err
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise RunDirError(f"{path}: unreadable: {err}") from err


@dataclass(frozen=True)
class OutputRoot:
    path: Path

    @property
    def runs(self) -> Path:
        return self.path / RUNS

    @property
    def releases(self) -> Path:
        return self.path / RELEASES

    def run(self, run_id: str) -> RunDir:
        return RunDir(self.runs / run_id)

    def latest_run(self) -> RunDir:
        """The run started last (run.json's started_at, then name) that has a run.json."""
        candidates = []
        for path in self.runs.iterdir() if self.runs.is_dir() else ():
            try:
                started = json.loads((path / RUN_FILE).read_text(encoding="utf-8")).get("started_at") or ""
            except (OSError, UnicodeDecodeError, json.JSONDecodeError):
                continue
            candidates.append((str(started), path.name, path))
        if not candidates:
            raise RunDirError(f"no runs under {self.runs}; run `codecurate run` first or pass --run RUN_DIR")
        return RunDir(max(candidates)[2])


@dataclass(frozen=True)
class RunDir:
    path: Path

    @property
    def run_id(self) -> str:
        return self.path.name

    @property
    def run_file(self) -> Path:
        return self.path / RUN_FILE

    @property
    def checkpoints(self) -> Path:
        return self.path / CHECKPOINTS

    @property
    def spark_log(self) -> Path:
        return self.path / SPARK_LOG

    @property
    def report(self) -> Path:
        return self.path / REPORT

    def stage(self, name: str) -> Path:
        return self.path / name

    def kept(self, name: str) -> Path:
        return self.path / name / KEPT

    def rejects(self, name: str) -> Path:
        return self.path / name / REJECTS

    def repo_rejects(self, name: str) -> Path:
        return self.path / name / REPO_REJECTS

    def manifest_path(self, name: str) -> Path:
        return self.path / name / STAGE_MANIFEST

    @property
    def contents(self) -> Path:
        return self.path / CONTENTS

    @property
    def has_contents(self) -> bool:
        return (self.contents / SUCCESS_MARKER).exists()

    @property
    def texts(self) -> Path:
        """The contents table's partition of blobs that decoded to a text (what stages read)."""
        return self.contents / f"{DECODED}=true"

    @property
    def contents_file(self) -> Path:
        return self.path / CONTENTS_FILE

    def read_contents_info(self) -> dict[str, Any] | None:
        if not self.contents_file.exists() or not self.has_contents:
            return None
        return read_json(self.contents_file, f"{self.contents_file}: missing")

    def write_contents_info(self, info: dict[str, Any]) -> None:
        write_json(self.contents_file, info)

    def content_results(self, name: str) -> Path:
        return self.path / name / CONTENT_RESULTS

    def content_results_file(self, name: str) -> Path:
        return self.path / name / CONTENT_RESULTS_FILE

    def read_content_results_info(self, name: str) -> dict[str, Any] | None:
        """The stage's store description, or None when the stage wrote no (whole) store."""
        path = self.content_results_file(name)
        if not path.exists() or not (self.content_results(name) / SUCCESS_MARKER).exists():
            return None
        return read_json(path, f"{path}: missing")

    def write_content_results_info(self, name: str, info: dict[str, Any]) -> None:
        write_json(self.content_results_file(name), info)

    def status_path(self, name: str) -> Path:
        return self.path / name / STAGE_STATUS

    def read_status(self, name: str) -> dict[str, Any] | None:
        """The stage's status.json, or None when the stage never started (or it is unreadable)."""
        try:
            return json.loads(self.status_path(name).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            return None

    def write_status(self, name: str, status: dict[str, Any]) -> None:
        write_json(self.status_path(name), status)

    def has_manifest(self, name: str) -> bool:
        return self.manifest_path(name).exists()

    def read_info(self) -> dict[str, Any]:
        info = read_json(self.run_file, f"{self.path} is not a run directory: no {RUN_FILE}")
        if not info.get("stages"):
            raise RunDirError(f"{self.run_file}: lists no stages")
        return info

    def write_info(self, info: dict[str, Any]) -> None:
        write_json(self.run_file, info)

    def read_manifest(self, name: str) -> dict[str, Any]:
        return read_json(self.manifest_path(name),
                         f"run {self.run_id} is unfinished: stage {name!r} has no manifest")

    def write_manifest(self, name: str, manifest: dict[str, Any]) -> None:
        write_json(self.manifest_path(name), manifest)

    def is_complete(self, name: str, fingerprint: str) -> bool:
        """The stage's manifest is there, was written for this exact input, and its outputs are whole."""
        try:
            recorded = json.loads(self.manifest_path(name).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            return False
        return recorded.get("run_fingerprint") == fingerprint and all(
            (part / SUCCESS_MARKER).exists() for part in (self.kept(name), self.rejects(name)))


def previous_run(path: Path) -> RunDir:
    """The run an incremental run reuses: `path` is a run directory, or a release made by a run
    of the same output root (<root>/releases/<version> -> <root>/runs/<its run_id>)."""
    path = Path(path)
    if (path / RUN_FILE).exists():
        return RunDir(path)
    release = read_json(path / RELEASE_MANIFEST,
                        f"{path}: neither a run directory (no {RUN_FILE}) nor a release (no {RELEASE_MANIFEST})")
    run_id = (release.get("release") or {}).get("run_id")
    if not run_id:
        raise RunDirError(f"{path / RELEASE_MANIFEST}: names no run_id")
    run = RunDir(path.parent.parent / RUNS / run_id)
    if not run.run_file.exists():
        raise RunDirError(f"release {path} was made by run {run_id}, but {run.path} is gone")
    return run
