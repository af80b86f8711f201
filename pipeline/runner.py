"""The runner: all I/O and counting around the stages, and the `run` / `stage` commands.

For each stage: read the previous stage's kept rows, call the stage (lazy), then persist the
tagged result once and write kept rows, rejects (keys + reason, never content) and, last, the
stage manifest. Conservation is checked on every stage: rows in = kept + rejected.

A run's id is derived from its config, inputs and opt-out list, so re-running after a crash
lands in the same run directory and skips stages whose manifests are complete and match.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline import columns as C
from pipeline.config import ALL_STAGES, Config, load_config
from pipeline.taskstats import task_time_spread

RUN_FILE = "run.json"
STAGE_MANIFEST = "manifest.json"


class ConservationError(RuntimeError):
    """A stage lost or invented rows."""


class StageFailed(RuntimeError):
    """A stage raised; the message names the stage and the cause."""


def log(message: str) -> None:
    stamp = datetime.now(UTC).strftime("%H:%M:%S")
    print(f"[codecurate {stamp}] {message}", file=sys.stderr, flush=True)


def stage_module(name: str):
    return importlib.import_module(f"pipeline.stages.{name}")


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    """Write aside and rename: a reader never sees half a manifest."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")
    os.replace(tmp, path)


def _fingerprint(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class Run:
    cfg: Config
    run_id: str
    run_dir: Path
    info: dict[str, Any]

    def stage_dir(self, stage: str) -> Path:
        return self.run_dir / stage


def prepare_run(spark, cfg: Config, run_id: str | None = None):
    """Validate what can be validated before any work, and describe the run."""
    from pipeline.stages import optout
    from pipeline.swh.reader import read_export
    from pipeline.version import code_version
    from pipeline.versioning import curation_config

    optouts = optout.load_list(cfg)  # a missing list fails now, not after extract
    if "languages" in cfg.stages:
        stage_module("languages").check_available(cfg)
    export = read_export(spark, cfg.input.export, cfg.input.repo_metadata)
    # Where and how a run executes (spark.*, output.*, paths, tracking) does not change its
    # results; what it curates with, the inputs, the opt-out list and the code do.
    identity = {
        "curation_config": curation_config(cfg.to_dict()),
        "tables": export.fingerprints,
        "optout_sha256": optouts.sha256,
        "code_version": code_version(),
    }
    run_id = run_id or _fingerprint(identity)[:16]
    run_dir = Path(cfg.output.root) / "runs" / run_id
    info = {
        "run_id": run_id,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "code_version": code_version(),
        "config": cfg.to_dict(),
        "config_fingerprint": cfg.fingerprint(),
        "inputs": {
            "export": cfg.input.export,
            "blobs": cfg.input.blobs,
            "repo_metadata": cfg.input.repo_metadata,
            "tables": export.fingerprints,
        },
        "optout_sha256": optouts.sha256,
        "stages": list(cfg.stages),
    }
    return Run(cfg, run_id, run_dir, info), export


def _stage_complete(stage_dir: Path, fingerprint: str) -> bool:
    manifest = stage_dir / STAGE_MANIFEST
    if not manifest.exists():
        return False
    try:
        recorded = json.loads(manifest.read_text())
    except (OSError, json.JSONDecodeError):
        return False
    return recorded.get("run_fingerprint") == fingerprint and all(
        (stage_dir / part / "_SUCCESS").exists() for part in ("kept", "rejects"))


def _run_fingerprint(run: Run, stage: str) -> str:
    # A stage's output depends on everything the run id covers plus the stages before it.
    upto = run.cfg.stages[: run.cfg.stages.index(stage) + 1]
    return _fingerprint([run.info["config_fingerprint"], run.info["inputs"]["tables"],
                         run.info["optout_sha256"], list(upto)])


def _checkpointer(spark):
    """Cut lineage: in local mode to the block manager's local disk (about 2x faster on the
    sample than a reliable checkpoint; a lost executor is a lost driver anyway), on a cluster to
    the checkpoint directory, which survives one. DISK_ONLY, not Spark's MEMORY_AND_DISK: in
    local mode the block manager's memory is the driver's heap, and the OS page cache serves
    the re-reads just as well."""
    from pyspark import StorageLevel

    if spark.sparkContext.master.startswith("local"):
        return lambda df: df.localCheckpoint(eager=True, storageLevel=StorageLevel.DISK_ONLY)
    return lambda df: df.checkpoint(eager=True)


def execute_stage(spark, run: Run, stage: str, export=None) -> dict[str, Any]:
    """Run one stage of `run`, or reuse its complete output; returns its manifest."""
    from pyspark.sql import functions as F

    from pipeline.stages.base import StageContext

    out = run.stage_dir(stage)
    fingerprint = _run_fingerprint(run, stage)
    if _stage_complete(out, fingerprint):
        manifest = json.loads((out / STAGE_MANIFEST).read_text())
        log(f"[{stage}] complete from an earlier attempt: {manifest['rows_kept']:,} kept, skipped")
        return manifest
    if out.exists():
        shutil.rmtree(out)  # an interrupted attempt: start this stage over
    out.mkdir(parents=True)
    checkpoints = run.run_dir / "_checkpoints"
    spark.sparkContext.setCheckpointDir(str(checkpoints))
    ctx = StageContext(spark=spark, checkpoint=_checkpointer(spark), log=log)
    module = stage_module(stage)
    started = time.monotonic()
    # One job group per stage: its Spark stages' task times are looked up by it afterwards.
    job_group = f"codecurate-{run.run_id}-{stage}"
    spark.sparkContext.setJobGroup(job_group, f"codecurate {stage}")
    log(f"[{stage}] started")
    try:
        repo_rejects = None
        if stage == "extract":
            result = module.run(export, run.cfg, ctx)
            tagged, repo_rejects = result.files, result.repos
            rows_in = None  # every traversed entry comes out tagged; counted below
        else:
            previous = run.cfg.stages[run.cfg.stages.index(stage) - 1]
            source = spark.read.parquet(str(run.stage_dir(previous) / "kept"))
            rows_in = source.count()
            tagged = module.run(source, run.cfg, ctx)
        # Read three times (kept, rejects, counts): materialised once, row by row, on disk. Not
        # persist(): a DataFrame cache builds columnar batches of 10,000 rows on the heap, ~200 MB
        # of content per task here, and in local mode that heap is the driver's (the 1.1 GB scale
        # corpus died in extract with OutOfMemoryError in ColumnBuilder.ensureFreeSpace).
        tagged = ctx.checkpoint(tagged)
        reason = F.col(C.DROP_REASON)
        audit = [c for c in C.AUDIT_COLUMNS if c in tagged.columns]
        kept = tagged.filter(reason.isNull()).drop(C.DROP_REASON, *audit)
        kept.write.option("compression", "zstd").parquet(str(out / "kept"))
        # Rejects: keys, the reason, audit columns, and whatever the stage says explains a
        # removal (e.g. detected_licenses) -- never content.
        explain = [c for c in getattr(module, "REJECT_COLUMNS", ()) if c in tagged.columns]
        keys = [c for c in C.REJECT_KEYS if c in tagged.columns]
        (tagged.filter(reason.isNotNull()).select(*keys, C.DROP_REASON, *audit, *explain)
         .write.option("compression", "zstd").parquet(str(out / "rejects")))
        size = F.coalesce(F.col(C.LENGTH_BYTES), F.lit(0)) if C.LENGTH_BYTES in tagged.columns else F.lit(0)
        counts = {
            row[0]: (row[1], row[2])
            for row in tagged.groupBy(reason).agg(F.count(F.lit(1)), F.sum(size)).collect()
        }
        if repo_rejects is not None:
            repo_rejects.write.option("compression", "zstd").parquet(str(out / "repo_rejects"))
            repo_counts = dict(repo_rejects.groupBy(C.DROP_REASON).count().collect())
    except Exception as err:
        raise StageFailed(f"stage {stage!r} failed: {_first_line(err)}") from err

    kept_rows, kept_bytes = counts.pop(None, (0, 0))
    rejected = {str(k): v[0] for k, v in sorted(counts.items())}
    total = kept_rows + sum(rejected.values())
    rows_in = total if rows_in is None else rows_in
    written = spark.read.parquet(str(out / "kept")).count()
    if rows_in != total or written != kept_rows:
        raise ConservationError(
            f"stage {stage!r}: {rows_in} rows in, but {kept_rows} kept + {total - kept_rows} rejected"
            f" (and {written} kept rows written)")
    seconds = round(time.monotonic() - started, 3)
    ctx.metric("task_time", task_time_spread(spark, job_group))
    manifest = {
        "stage": stage,
        "rows_in": rows_in,
        "rows_kept": kept_rows,
        "rows_rejected": total - kept_rows,
        "rejected_by_reason": rejected,
        "bytes_in": kept_bytes + sum(v[1] for v in counts.values()),
        "bytes_kept": kept_bytes,
        "bytes_rejected_by_reason": {str(k): v[1] for k, v in sorted(counts.items())},
        "seconds": seconds,
        "config_fingerprint": run.info["config_fingerprint"],
        "run_fingerprint": fingerprint,
        "metrics": ctx.metrics,
    }
    if repo_rejects is not None:
        manifest["repos_rejected_by_reason"] = {str(k): v for k, v in sorted(repo_counts.items())}
    _write_json(out / STAGE_MANIFEST, manifest)
    if (run.run_dir / "_checkpoints").exists():
        shutil.rmtree(run.run_dir / "_checkpoints", ignore_errors=True)
    reasons = ", ".join(f"{k} {v:,}" for k, v in rejected.items()) or "none"
    log(f"[{stage}] {rows_in:,} in -> {kept_rows:,} kept, {total - kept_rows:,} rejected "
        f"({reasons}) in {seconds:.1f} s")
    return manifest


def run_pipeline(cfg: Config, *, run_id: str | None = None, only: str | None = None, spark=None) -> Run:
    """Run the configured stages (or `only` one), resuming what an earlier attempt finished.

    Publishing is pipeline.schedule's job: it holds the output root's lock around run + release.
    """
    from pipeline.session import build_session

    spark = spark or build_session(cfg.spark)
    run, export = prepare_run(spark, cfg, run_id)
    run.run_dir.mkdir(parents=True, exist_ok=True)
    if not (run.run_dir / RUN_FILE).exists():
        _write_json(run.run_dir / RUN_FILE, run.info)
    else:
        run.info = json.loads((run.run_dir / RUN_FILE).read_text())
    log(f"run {run.run_id} -> {run.run_dir}")
    stages = [only] if only else list(cfg.stages)
    for stage in stages:
        if stage != "extract" and not (run.stage_dir(_previous(cfg, stage)) / STAGE_MANIFEST).exists():
            from pipeline.cli import UserError

            raise UserError(f"stage {stage!r} needs the output of {_previous(cfg, stage)!r} in {run.run_dir}")
        execute_stage(spark, run, stage, export)
    _summary(run)
    return run


def _previous(cfg: Config, stage: str) -> str:
    if stage not in cfg.stages:
        from pipeline.cli import UserError

        raise UserError(f"stage {stage!r} is not in this config's stages: {', '.join(cfg.stages)}")
    index = cfg.stages.index(stage)
    return cfg.stages[index - 1] if index else stage


def _summary(run: Run) -> None:
    lines = [f"{'stage':<12} {'in':>10} {'kept':>10} {'rejected':>10} {'seconds':>8}"]
    for stage in run.cfg.stages:
        path = run.stage_dir(stage) / STAGE_MANIFEST
        if path.exists():
            m = json.loads(path.read_text())
            lines.append(f"{stage:<12} {m['rows_in']:>10,} {m['rows_kept']:>10,} "
                         f"{m['rows_rejected']:>10,} {m['seconds']:>8.1f}")
    print("\n".join(lines))


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0][:500] if text else type(err).__name__


def _add_config_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default="configs/local.yaml", help="YAML config (default: %(default)s)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config key, e.g. --set spark.shuffle_partitions=16 (repeatable)")
    parser.add_argument("--run-id", help="run directory name (default: derived from config and inputs)")


def _cmd_run(args: argparse.Namespace) -> int:
    cfg = load_config(args.config, args.overrides)
    if args.no_release:
        run_pipeline(cfg, run_id=args.run_id)
    else:
        from pipeline.schedule import scheduled_release

        scheduled_release(cfg, version=args.version, run_id=args.run_id)
    return 0


def _cmd_stage(args: argparse.Namespace) -> int:
    cfg = load_config(args.config, args.overrides)
    run_pipeline(cfg, run_id=args.run_id, only=args.name)
    return 0


def register(sub) -> None:
    run = sub.add_parser("run", help="run the configured stages in order and publish a release")
    _add_config_arguments(run)
    run.add_argument("--no-release", action="store_true", help="stop after the last stage")
    run.add_argument("--version", help="release version: MAJOR.MINOR.PATCH, or 'auto' to derive it from "
                     "the last release (default: release.version)")
    run.set_defaults(func=_cmd_run)
    stage = sub.add_parser("stage", help="run one stage on the previous stage's output")
    stage.add_argument("name", choices=ALL_STAGES)
    _add_config_arguments(stage)
    stage.set_defaults(func=_cmd_stage)
