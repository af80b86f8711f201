"""Log a published release to MLflow, so releases can be compared side by side in its UI.

One MLflow run per published release:
  params     the run's resolved config, flattened (`licenses.keep_types` = `permissive,no_license`)
  metrics    per stage: rows in/kept/rejected, rejected per drop reason, seconds, MB/s;
             release totals and rows per language
  artifacts  the release's manifest.json, README.md (dataset card), CHANGELOG.md, SHA256SUMS,
             charts/, and the run's stage manifests under run/
  input      the release as an MLflow dataset whose digest is the manifest's data_sha256
             (its first 32 hex digits: MLflow's SQL stores cap digests at 36 characters; the
             full value is the `codecurate.data_sha256` tag)

Only the release's metadata is logged, never its data: artifacts hold counts and names, and
no secret value ever reaches a manifest (README.md, stage 7), so none reaches MLflow.

Needs the `tracking` extra (mlflow-skinny, no pandas-heavy parts: the dataset is a
metadata-only MetaDataset). Re-log a release by hand with
    python -m codecurate.ops.tracking --run-dir out/runs/<id> --release-dir out/releases/<v> --uri URI
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from codecurate.config import REDACTED, SENSITIVE_KEY, redact_text
from codecurate.errors import PipelineError, UsageError
from codecurate.release import layout
from codecurate.run.layout import RunDir

EXTRA_HINT = "pip install 'codecurate[tracking]' (mlflow-skinny==3.17.2)"
DIGEST_CHARS = 32
MAX_PARAM_CHARS = 6000  # MLflow's limit on a param value
RELEASE_ARTIFACTS = (layout.MANIFEST, layout.CARD, layout.CHANGELOG, layout.SUMS)
# spark.conf may carry credentials (spark.hadoop.fs.s3a.secret.key) and URIs may carry a
# user:password@: such values are logged as <redacted>, never sent to the tracking server
# (codecurate.config.redacted does the same for run.json and release manifests).


class TrackingUnavailable(UsageError):
    """Tracking was asked for but the `tracking` extra (mlflow-skinny) is not installed."""


class TrackingError(PipelineError):
    """The run or release directory cannot be logged; the message names the file."""


def require_mlflow():
    """Import mlflow or say which extra to install; call it before a run, not after publishing."""
    try:
        import mlflow
        import mlflow.data.meta_dataset  # noqa: F401
    except ImportError as err:
        raise TrackingUnavailable(f"run tracking needs the `tracking` extra: {EXTRA_HINT}") from err
    return mlflow


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """Nested config -> {"a.b": "text"}; lists joined with commas, None as "null"."""
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for key in sorted(value):
            out.update(flatten(value[key], f"{prefix}{key}."))
        if not value and prefix:
            out[prefix[:-1]] = "{}"
        return out
    if isinstance(value, (list, tuple)):
        text = ",".join(json.dumps(v) if isinstance(v, (dict, list)) else str(v) for v in value)
    elif value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = str(value)
    return {prefix[:-1]: text[:MAX_PARAM_CHARS]}


def redact(params: dict[str, str]) -> dict[str, str]:
    return {k: REDACTED if SENSITIVE_KEY.search(k) else redact_text(v) for k, v in params.items()}


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise TrackingError(f"{path}: missing") from err
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise TrackingError(f"{path}: unreadable: {err}") from err


def _metric_key(text: str) -> str:
    # MLflow keys allow letters, digits, _ - . / and spaces; drop reasons and language names
    # ("C++", "Objective-C") may carry other characters.
    return "".join(c if c.isalnum() or c in "_-./ " else "_" for c in text)


def stage_metrics(run_dir: Path, stages: list[str]) -> dict[str, float]:
    metrics: dict[str, float] = {}
    for stage in stages:
        m = _read_json(RunDir(run_dir).manifest_path(stage))
        for key in ("rows_in", "rows_kept", "rows_rejected", "bytes_in", "bytes_kept", "seconds"):
            if isinstance(m.get(key), (int, float)):
                metrics[f"{stage}.{key}"] = float(m[key])
        for reason, count in (m.get("rejected_by_reason") or {}).items():
            metrics[_metric_key(f"{stage}.rejected.{reason}")] = float(count)
        seconds, size = m.get("seconds"), m.get("bytes_in")
        if isinstance(seconds, (int, float)) and seconds > 0 and isinstance(size, (int, float)):
            metrics[f"{stage}.mb_per_s"] = round(size / 1e6 / seconds, 3)
    return metrics


def release_metrics(manifest: dict[str, Any]) -> dict[str, float]:
    data = manifest.get("data", {})
    metrics = {f"release.{k}": float(v) for k, v in (data.get("totals") or {}).items()
               if isinstance(v, (int, float))}
    for lang in data.get("languages") or []:
        name = lang.get("dir") or str(lang.get("language"))
        metrics[_metric_key(f"language.{name}.rows")] = float(lang.get("rows", 0))
        metrics[_metric_key(f"language.{name}.bytes")] = float(lang.get("bytes", 0))
    return metrics


def log_run(run_dir: str | Path, release_dir: str | Path, tracking_uri: str = "",
            experiment: str = "codecurate") -> str:
    """Log one published release (and the run it came from) to MLflow; return the MLflow run id."""
    mlflow = require_mlflow()
    from mlflow.data.meta_dataset import MetaDataset
    from mlflow.data.sources import LocalArtifactDatasetSource

    run_dir, release_dir = Path(run_dir), Path(release_dir)
    run = _read_json(RunDir(run_dir).run_file)
    manifest = _read_json(release_dir / layout.MANIFEST)
    try:
        release = manifest["release"]
        version, data_sha256 = release["version"], release["data_sha256"]
    except (KeyError, TypeError) as err:
        raise TrackingError(f"{release_dir / 'manifest.json'}: no release.{err}") from err
    stages = list(run.get("stages") or [])

    params = flatten(run.get("config") or {})
    params["config_fingerprint"] = str(run.get("config_fingerprint"))
    params["optout_sha256"] = str(run.get("optout_sha256"))
    params.update(flatten((run.get("inputs") or {}).get("tables") or {}, "input_tables."))
    params = redact(params)
    metrics = {**stage_metrics(run_dir, stages), **release_metrics(manifest)}
    tags = {
        "codecurate.version": version,
        "codecurate.run_id": str(run.get("run_id")),
        "codecurate.code_version": str(release.get("code_version") or run.get("code_version")),
        "codecurate.data_sha256": data_sha256,
        "codecurate.previous_version": str(release.get("previous_version")),
    }
    dataset = MetaDataset(
        source=LocalArtifactDatasetSource(release_dir.resolve().as_uri()),
        name=f"codecurate-{version}",
        digest=data_sha256[:DIGEST_CHARS],
    )

    from mlflow.exceptions import MlflowException

    if tracking_uri.startswith("file:"):
        # MLflow 3.17 refuses its file store ("maintenance mode") unless opted in; a file://
        # URI in our config is that opt-in. sqlite:// needs SQLAlchemy, which mlflow-skinny
        # leaves out; a tracking server (http://) needs nothing.
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    try:
        if tracking_uri:
            mlflow.set_tracking_uri(tracking_uri)
        mlflow.set_experiment(experiment)
        with mlflow.start_run(run_name=f"release {version}", tags=tags) as active:
            mlflow.log_params(params)
            mlflow.log_metrics(metrics)
            mlflow.log_input(dataset, context="release")
            for name in RELEASE_ARTIFACTS:
                if (release_dir / name).is_file():
                    mlflow.log_artifact(str(release_dir / name))
            if (release_dir / "charts").is_dir():
                mlflow.log_artifacts(str(release_dir / "charts"), artifact_path="charts")
            # run.json is not logged: it holds the unredacted config (the params carry it, redacted)
            for stage in stages:
                mlflow.log_artifact(str(RunDir(run_dir).manifest_path(stage)), artifact_path=f"run/{stage}")
            return active.info.run_id
    except (MlflowException, OSError) as err:
        where = redact_text(tracking_uri) or "the default URI"
        raise TrackingError(f"logging release {version} to MLflow at {where} failed: {err}") from err


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codecurate.ops.tracking", description="log a release to MLflow")
    parser.add_argument("--run-dir", required=True, type=Path)
    parser.add_argument("--release-dir", required=True, type=Path)
    parser.add_argument("--uri", default="", help="MLflow tracking URI (default: MLflow's own)")
    parser.add_argument("--experiment", default="codecurate")
    args = parser.parse_args(argv)
    try:
        run_id = log_run(args.run_dir, args.release_dir, args.uri, args.experiment)
    except (TrackingUnavailable, TrackingError) as err:
        print(f"tracking: error: {err}", file=sys.stderr)
        return 2
    print(f"tracking: logged {args.release_dir} as MLflow run {run_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
