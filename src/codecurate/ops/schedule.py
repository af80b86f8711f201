"""A release that is safe to start from cron or an orchestrator.

    scheduled_release(cfg, version="auto")

1. what can be checked before any work is: the output root is a writable directory, the
   tracking extra is installed when tracking is on, an explicit version is well formed and not
   published yet (unless release.overwrite);
2. the output root's lock is taken (codecurate.ops.lock): a second release on the same root
   exits at once (LockHeld, exit 3) instead of racing the first;
3. the run is prepared once (inputs listed and fingerprinted once); with version "auto" the
   version is derived from it before any stage runs (codecurate.ops.versioning): an unchanged
   config + inputs + opt-out list + code is NothingToRelease (exit 4), cheaply;
4. the stages run, resuming after a crash: a run's id is derived from config, inputs, opt-out
   list and code, and stages whose manifests match are skipped (codecurate.run.runner);
5. the release is published atomically (codecurate.release), then logged to MLflow when
   tracking.enabled. release.variants picks what data/ holds: the training-ready files (all
   configured stages), the raw ones (without quality and decontaminate), or both, the raw ones
   then as a second dataset config under raw/ (codecurate.run.variants).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from codecurate.config import Config
from codecurate.errors import UsageError
from codecurate.ops.lock import output_lock
from codecurate.release.publish import check_publishable
from codecurate.release.writer import publish_release
from codecurate.run.layout import OutputRoot
from codecurate.run.runner import log, open_session, run_stages, start_run
from codecurate.run.variants import RAW, raw_branch, raw_config

AUTO = "auto"


def check_output_root(root: Path) -> None:
    """The output root is (or can become) a directory this process can write to."""
    existing = next((p for p in (root, *root.parents) if p.exists()), None)
    if existing is None or not existing.is_dir():
        raise UsageError(f"output.root {root}: {existing} is not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"output.root {root}: {existing} is not writable")


def scheduled_release(cfg: Config, *, version: str | None = None, run_id: str | None = None,
                      spark=None, allow_shrink: bool = False) -> Path:
    """Run the configured stages (resuming) and publish; return the release directory.

    version: MAJOR.MINOR.PATCH, "auto" (derived from the previous release) or None
    (cfg.release.version).
    """
    from codecurate.ops.versioning import derive_version, previous_release

    if cfg.release.variants == RAW:
        cfg = raw_config(cfg)
    output = OutputRoot(Path(cfg.output.root))
    check_output_root(output.path)
    if cfg.tracking.enabled:
        from codecurate.ops.tracking import require_mlflow

        require_mlflow()
    if version != AUTO:
        version = version or cfg.release.version
        check_publishable(output.releases, version, overwrite=cfg.release.overwrite)
    with output_lock(output.path, command=" ".join(["codecurate", *sys.argv[1:]])):
        spark = spark or open_session(cfg)
        run, export = start_run(spark, cfg, run_id)
        if version == AUTO:
            # An earlier attempt of this run (same id) is resumed with its recorded run.json,
            # code_version included: that is what the release will say, so compare that.
            previous = previous_release(output.releases)
            version = derive_version(previous, run.info, initial=cfg.release.version)
            log(f"release version {version} (previous: "
                f"{previous['release']['version'] if previous else 'none'})")
        run_stages(spark, run, export)
        extra = {}
        if cfg.release.variants == "both":
            raw = run_stages(spark, raw_branch(run), export)
            extra["variants"] = ((RAW, raw.run_dir),)
        started = time.monotonic()
        log("[release] started")
        release_dir = publish_release(spark, run.run_dir, cfg, version=version, allow_shrink=allow_shrink, **extra)
        log(f"release published at {release_dir} in {time.monotonic() - started:.1f} s")
        if cfg.tracking.enabled:
            from codecurate.ops.tracking import log_run

            mlflow_run = log_run(run.run_dir, release_dir, cfg.tracking.uri, cfg.tracking.experiment)
            log(f"release logged to MLflow run {mlflow_run}")
    return release_dir
