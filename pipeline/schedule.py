"""A release that is safe to start from cron or an orchestrator.

    scheduled_release(cfg, version="auto")

1. the output root's lock is taken first (pipeline.lock): a second release on the same root
   exits at once (LockHeld, exit 3) instead of racing the first;
2. with version "auto", the version is derived before any stage runs (pipeline.versioning):
   an unchanged config + inputs + opt-out list + code is NothingToRelease (exit 4), cheaply;
3. the run itself resumes after a crash: its id is derived from config, inputs and opt-out
   list, and stages whose manifests match are skipped (pipeline.runner);
4. the release is published atomically (pipeline.release), then logged to MLflow when
   tracking.enabled. The extra is checked before the run, not discovered after publishing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pipeline.config import Config

AUTO = "auto"

# Exit codes beyond pipeline.cli's EXIT_OK (0), EXIT_FAILED (1) and EXIT_USAGE (2).
EXIT_LOCKED = 3  # another release holds the output root's lock: try again later
EXIT_NOTHING_TO_RELEASE = 4  # nothing changed since the last release: not an error for cron


def scheduled_release(cfg: Config, *, version: str | None = None, run_id: str | None = None,
                      spark=None) -> Path:
    """Run the configured stages (resuming) and publish; return the release directory.

    version: MAJOR.MINOR.PATCH, "auto" (derived from the previous release) or None
    (cfg.release.version).
    """
    from pipeline.lock import output_lock
    from pipeline.release.writer import publish_release
    from pipeline.runner import RUN_FILE, log, prepare_run, run_pipeline
    from pipeline.session import build_session
    from pipeline.versioning import derive_version, previous_release

    if cfg.tracking.enabled:
        from pipeline.tracking import require_mlflow

        require_mlflow()
    with output_lock(cfg.output.root, command=" ".join(["codecurate", *sys.argv[1:]])):
        spark = spark or build_session(cfg.spark)
        if version == AUTO:
            planned, _ = prepare_run(spark, cfg, run_id)
            # An earlier attempt of this run (same id) is resumed with its recorded run.json,
            # code_version included: that is what the release will say, so compare that.
            recorded = planned.run_dir / RUN_FILE
            info = json.loads(recorded.read_text()) if recorded.exists() else planned.info
            previous = previous_release(Path(cfg.output.root) / "releases")
            version = derive_version(previous, info, initial=cfg.release.version)
            log(f"release version {version} (previous: "
                f"{previous['release']['version'] if previous else 'none'})")
        run = run_pipeline(cfg, run_id=run_id, spark=spark)
        release_dir = publish_release(spark, run.run_dir, cfg, version=version)
        log(f"release published at {release_dir}")
        if cfg.tracking.enabled:
            from pipeline.tracking import log_run

            mlflow_run = log_run(run.run_dir, release_dir, cfg.tracking.uri, cfg.tracking.experiment)
            log(f"release logged to MLflow run {mlflow_run}")
    return release_dir
