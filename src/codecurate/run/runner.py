"""The runner: all I/O and counting around the stages.

For each stage: read the previous stage's kept rows (the source reads the export), call the
stage (lazy), then persist the tagged result once and write kept rows, rejects (keys + reason,
never content) and, last, the stage manifest. Conservation is checked on every stage: rows in =
kept + rejected, and the kept rows re-read from disk are as many as were counted.

A run's id is derived from its config, inputs, opt-out list and code version, so re-running
after a crash lands in the same run directory and skips stages whose manifests are complete
and match. Where things live on disk is codecurate.run.layout's business.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from codecurate import columns as C
from codecurate.config import Config, curation_config, redacted
from codecurate.errors import PipelineError, UsageError
from codecurate.run.console import StageProgress, console
from codecurate.run.layout import DECODED, OutputRoot, RunDir, previous_run
from codecurate.spark.taskstats import task_time_spread
from codecurate.stages import registry
from codecurate.stages.base import (
    ContentResults,
    Source,
    Stage,
    StageContext,
    with_content,
)


class ConservationError(PipelineError):
    """A stage lost or invented rows."""


class StageFailed(PipelineError):
    """A stage raised; the message names the stage and the cause."""


def log(message: str) -> None:
    console.log(message)


def open_session(cfg: Config):
    """The run's SparkSession; `--verbose` lets Spark's own warnings through to the console."""
    from codecurate.spark.session import build_session

    return build_session(cfg.spark, console_logs=console.verbose)


def fingerprint(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class Run:
    cfg: Config
    dir: RunDir
    info: dict[str, Any]

    @property
    def run_id(self) -> str:
        return self.dir.run_id

    @property
    def run_dir(self) -> Path:
        return self.dir.path

    @property
    def previous(self) -> RunDir | None:
        """The earlier run whose per-content answers this one reuses (--incremental-from)."""
        earlier = self.info.get("incremental_from")
        return RunDir(Path(earlier["path"])) if earlier else None


def prepare_run(spark, cfg: Config, run_id: str | None = None):
    """Check what can be checked before any work, and describe the run: (Run, export)."""
    from codecurate.spark.export import check_blob_store, read_export
    from codecurate.stages.optout import load_list
    from codecurate.version import code_version

    for stage in registry():
        if stage.name in cfg.stages:
            stage.check(cfg)  # missing extras, unreadable lists: fail now, not after extract
    optouts = load_list(cfg)
    export = read_export(spark, cfg.input.export, cfg.input.repo_metadata)
    check_blob_store(export, cfg.input.blobs)
    # Where and how a run executes (spark.*, output.*, paths, tracking) does not change its
    # results; what it curates with, the inputs, the opt-out list and the code do.
    identity = {
        "curation_config": curation_config(cfg.to_dict()),
        "tables": export.fingerprints,
        "optout_sha256": optouts.sha256,
        "code_version": code_version(),
    }
    previous = previous_run(Path(cfg.incremental.previous)) if cfg.incremental.previous else None
    if previous is not None:
        # Reuse does not change what a stage answers, but near_dedup's survivors may depend on
        # what the earlier release published: an incremental run is a run of its own.
        identity["incremental_from"] = previous.run_id
        identity["incremental_keep_published"] = cfg.incremental.keep_published
    run_dir = OutputRoot(Path(cfg.output.root)).run(run_id or fingerprint(identity)[:16])
    info = {
        "run_id": run_dir.run_id,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "code_version": code_version(),
        "config": redacted(cfg.to_dict()),  # no credentials or endpoints on disk
        "config_fingerprint": cfg.fingerprint(),
        "inputs": {
            "export": cfg.input.export,
            "blobs": cfg.input.blobs,
            "repo_metadata": cfg.input.repo_metadata,
            "tables": export.fingerprints,
        },
        "optout_sha256": optouts.sha256,
        "stages": list(cfg.stages),
        "incremental_from": None if previous is None else {"path": str(previous.path), "run_id": previous.run_id},
    }
    return Run(cfg, run_dir, info), export


def _stage_fingerprint(run: Run, stage: str) -> str:
    # A stage's output depends on everything the run id covers plus the stages before it.
    upto = run.cfg.stages[: run.cfg.stages.index(stage) + 1]
    return fingerprint([run.info["config_fingerprint"], run.info["inputs"]["tables"],
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


def _tag(spark, run: Run, stage: Source | Stage, export, ctx: StageContext):
    """(tagged files, repository rejects or None, rows in or None when the source counts them)."""
    if isinstance(stage, Source):
        result = stage.read(export, run.cfg, ctx)
        return result.files, result.repos, None  # every traversed entry comes out tagged
    source = spark.read.parquet(str(run.dir.kept(_previous(run.cfg, stage.name))))
    return stage.run(source, run.cfg, ctx), None, source.count()


def _write_outputs(run: Run, stage: Source | Stage, tagged, repo_rejects, ctx: StageContext) -> dict[str, Any]:
    """Write kept, rejects (and repository rejects); return the counts of what was written."""
    from pyspark.sql import functions as F

    name = stage.name
    # Read twice (kept, rejects): materialised once, row by row, on disk, unless the stage says
    # its plan is cheap to run again (Stage.recompute_tagged). Not persist(): a DataFrame cache
    # builds columnar batches of 10,000 rows on the heap, ~200 MB of content per task here, and
    # in local mode that heap is the driver's (the 1.1 GB scale corpus died in extract with
    # OutOfMemoryError in ColumnBuilder.ensureFreeSpace). Either way conservation is checked
    # on what was written, so two runs of a plan that disagreed would fail the stage.
    if not stage.recompute_tagged:
        tagged = ctx.checkpoint(tagged)
    reason = F.col(C.DROP_REASON)
    audit = [c for c in C.AUDIT_COLUMNS if c in tagged.columns]
    kept = tagged.filter(reason.isNull()).drop(C.DROP_REASON, *audit)
    kept.write.option("compression", "zstd").parquet(str(run.dir.kept(name)))
    # Rejects: keys, the reason, audit columns, and whatever the stage says explains a
    # removal (e.g. detected_licenses) -- never content.
    explain = [c for c in stage.reject_columns if c in tagged.columns and c not in audit]
    keys = [c for c in C.REJECT_KEYS if c in tagged.columns]
    (tagged.filter(reason.isNotNull()).select(*keys, C.DROP_REASON, *audit, *explain)
     .write.option("compression", "zstd").parquet(str(run.dir.rejects(name))))
    # Counted from what was written, reading two narrow columns (a third pass over the
    # checkpoint would read every file's content again): what the manifest says is on disk.
    # One query over both outputs: each Spark job costs ~0.1-0.2 s however small.
    parts = []
    for path, by in ((run.dir.kept(name), F.lit(None).cast("string")), (run.dir.rejects(name), reason)):
        written = ctx.spark.read.parquet(str(path))
        size = F.coalesce(F.col(C.LENGTH_BYTES), F.lit(0)) if C.LENGTH_BYTES in written.columns else F.lit(0)
        parts.append(written.select(by.alias("_reason"), size.cast("long").alias("_size")))
    counts = {row[0]: (row[1], row[2] or 0) for row in parts[0].unionByName(parts[1]).groupBy("_reason")
              .agg(F.count(F.lit(1)), F.sum("_size")).collect()}
    repo_counts = None
    if repo_rejects is not None:
        repo_rejects.write.option("compression", "zstd").parquet(str(run.dir.repo_rejects(name)))
        # Counted from what was written: the frame itself would be computed a second time.
        written = ctx.spark.read.parquet(str(run.dir.repo_rejects(name)))
        repo_counts = dict(written.groupBy(C.DROP_REASON).count().collect())
    return {"rows": counts, "repos": repo_counts}


TEXTS_SCHEMA = f"{C.BLOB_ID} string, {C.CONTENT} string"


def read_contents(spark, run_dir: RunDir):
    """The texts of the run's contents table (blob_id, content), or None if its source stored none."""
    if not run_dir.has_contents:
        return None
    if not run_dir.texts.exists():  # no blob decoded to a text
        return spark.createDataFrame([], TEXTS_SCHEMA)
    return spark.read.schema(TEXTS_SCHEMA).parquet(str(run_dir.texts))


def read_kept(spark, run_dir: RunDir, stage: str, cfg: Config):
    """A stage's kept rows with their content, as it would be published (pii's redaction applied)."""
    return with_content(spark.read.parquet(str(run_dir.kept(stage))), cfg, read_contents(spark, run_dir))


def _contents_fingerprint(cfg: Config, source: Source) -> str:
    return fingerprint(source.contents_config(cfg))


def _carried_contents(run: Run, source: Source) -> RunDir | None:
    """The earlier run whose texts this run's source carries over (same contents_config), or None."""
    earlier = run.previous
    if earlier is None:
        return None
    info = earlier.read_contents_info()
    if info is None:
        log(f"[{source.name}] run {earlier.run_id} stored no contents table: decoding every blob")
        return None
    if info.get("fingerprint") != _contents_fingerprint(run.cfg, source):
        log(f"[{source.name}] run {earlier.run_id} decoded its blobs with other settings: decoding every blob")
        return None
    return earlier


def _store_contents(spark, run: Run, source: Source, decoded, wanted, earlier: RunDir | None, ctx: StageContext):
    """Write the source's decoded blobs as the run's contents table, carry the earlier run's
    texts over, and return the table read back (a reader of its narrow columns then reads no
    content, and nothing is decoded twice).

    `wanted` (blob_id) holds every blob this run keeps, old and new. The earlier texts are
    carried by hard links (nothing copied or decoded again) unless more than
    incremental.compact_share of them are of blobs this run does not want: those are
    rewritten without them, so a chain of incremental runs does not grow the table.
    Blobs that decoded to no text (binary, missing from the store, ...) are not carried over:
    the next run reads them again, and a blob the store lacked this time may be there then."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    path = run.dir.contents
    schema = T.StructType([*decoded.schema.fields, T.StructField(DECODED, T.BooleanType())])
    (decoded.withColumn(DECODED, F.col(C.CONTENT).isNotNull()).write.partitionBy(DECODED)
     .option("compression", "zstd").parquet(str(path)))
    written = spark.read.schema(schema).parquet(str(path))
    counts = dict(written.groupBy(DECODED).count().collect())  # from the Parquet footers
    carried = gone = 0
    rewritten = False
    if earlier is not None and earlier.texts.exists():
        before = earlier.read_contents_info()  # its texts: those it decoded and those it carried
        total = before["texts_decoded"] + before["texts_carried_over"]
        texts = spark.read.schema(T.StructType(decoded.schema.fields)).parquet(str(earlier.texts))
        gone = texts.select(C.BLOB_ID).join(wanted, C.BLOB_ID, "left_anti").count()  # reads ids only
        if gone > run.cfg.incremental.compact_share * total:
            (texts.join(wanted, C.BLOB_ID, "left_semi").write.mode("append")
             .option("compression", "zstd").parquet(str(run.dir.texts)))
            carried, rewritten = total - gone, True
        else:
            _link_parts(earlier.texts, run.dir.texts)
            carried = total
    contents = {"from_run": earlier.run_id if earlier is not None else None, "texts_carried_over": carried,
                "texts_gone": gone, "rewritten": rewritten,
                "blobs_read": sum(counts.values()), "texts_decoded": counts.get(True, 0)}
    run.dir.write_contents_info({"config": source.contents_config(run.cfg),
                                 "fingerprint": _contents_fingerprint(run.cfg, source), **contents})
    ctx.metric("contents", contents)
    how = (f" from run {earlier.run_id} ({gone:,} of its texts are of blobs this run lacks: "
           + ("rewritten without them)" if rewritten else "linked)")) if earlier is not None else ""
    log(f"[{source.name}] contents: {contents['texts_decoded']:,} texts decoded, {carried:,} carried over{how}")
    # Read again: a reader lists its files when it is made, and the links came after `written`.
    return spark.read.schema(schema).parquet(str(path))


def _link_parts(source: Path, target: Path) -> None:
    """Hard-link the Parquet files of `source` into `target` (a copy across file systems). Spark
    names each file after its write job, so names from different runs do not collide."""
    target.mkdir(parents=True, exist_ok=True)
    for part in sorted(source.glob("*.parquet")):
        try:
            os.link(part, target / part.name)
        except OSError:
            shutil.copy2(part, target / part.name)


def _previous_results(spark, run: Run, name: str, spec: ContentResults):
    """The earlier run's answers for this stage, if they were computed exactly as this run would
    compute them (same key, config slice and detector versions); else None: compute all."""
    earlier = run.previous
    if earlier is None:
        return None
    info = earlier.read_content_results_info(name)
    if info is None:
        log(f"[{name}] run {earlier.run_id} stored no content results for this stage: computing all")
        return None
    wanted = spec.describe(run.cfg)["fingerprint"]
    if info.get("fingerprint") != wanted:
        log(f"[{name}] run {earlier.run_id}'s results were computed with other config keys or "
            "detector versions: computing all")
        return None
    return spark.read.parquet(str(earlier.content_results(name)))


def _previously_published(spark, run: Run):
    """The earlier run's published rows (its last stage's kept rows), or None."""
    earlier = run.previous
    if earlier is None:
        return None
    last = earlier.read_info()["stages"][-1]
    return spark.read.parquet(str(earlier.kept(last)))


def _write_content_results(run: Run, name: str, ctx: StageContext) -> dict[str, Any] | None:
    """Write the stage's per-content answers (reused and computed) as this run's store; return
    how many rows and bytes were reused and computed."""
    if ctx.stored_results is None:
        return None
    spec, stored, counts = ctx.stored_results
    columns = [*spec.key, *(f.name for f in spec.results)]
    (stored.select(*columns).write.option("compression", "zstd")
     .parquet(str(run.dir.content_results(name))))
    earlier = run.previous
    reuse = {
        "from_run": earlier.run_id if earlier is not None else None,
        **counts,  # rows and bytes reused and computed, counted as the store was materialised
    }
    run.dir.write_content_results_info(name, {**spec.describe(run.cfg), "reuse": reuse})
    return reuse


def _manifest(spark, run: Run, stage: str, rows_in: int | None, counts: dict[str, Any],
              seconds: float, ctx: StageContext) -> dict[str, Any]:
    """The stage manifest, after checking conservation against the rows written."""
    rows = dict(counts["rows"])
    kept_rows, kept_bytes = rows.pop(None, (0, 0))
    rejected = {str(k): v[0] for k, v in sorted(rows.items())}
    total = kept_rows + sum(rejected.values())
    rows_in = total if rows_in is None else rows_in
    if rows_in != total:  # kept and rejected are counted from the files written
        raise ConservationError(
            f"stage {stage!r}: {rows_in} rows in, but {kept_rows} kept + {total - kept_rows} rejected written")
    manifest = {
        "stage": stage,
        "rows_in": rows_in,
        "rows_kept": kept_rows,
        "rows_rejected": total - kept_rows,
        "rejected_by_reason": rejected,
        "bytes_in": kept_bytes + sum(v[1] for v in rows.values()),
        "bytes_kept": kept_bytes,
        "bytes_rejected_by_reason": {str(k): v[1] for k, v in sorted(rows.items())},
        "seconds": seconds,
        "config_fingerprint": run.info["config_fingerprint"],
        "run_fingerprint": _stage_fingerprint(run, stage),
        "metrics": ctx.metrics,
    }
    if counts["repos"] is not None:
        manifest["repos_rejected_by_reason"] = {str(k): v for k, v in sorted(counts["repos"].items())}
    return manifest


def execute_stage(spark, run: Run, name: str, export=None) -> dict[str, Any]:
    """Run one stage of `run`, or reuse its complete output; returns its manifest."""
    stage = _registered(run.cfg, name)
    out = run.dir.stage(name)
    source = isinstance(stage, Source)
    if run.dir.is_complete(name, _stage_fingerprint(run, name)) and (not source or run.dir.has_contents):
        manifest = run.dir.read_manifest(name)
        log(f"[{name}] complete from an earlier attempt: {manifest['rows_kept']:,} kept, skipped")
        return manifest
    if out.exists():
        shutil.rmtree(out)  # an interrupted attempt: start this stage over
    if source and run.dir.contents.exists():
        shutil.rmtree(run.dir.contents)
    out.mkdir(parents=True)
    spark.sparkContext.setCheckpointDir(str(run.dir.checkpoints))
    ctx = StageContext(spark=spark, checkpoint=_checkpointer(spark), log=log,
                       previous_results=lambda spec: _previous_results(spark, run, name, spec),
                       previously_published=lambda: _previously_published(spark, run),
                       contents=lambda: read_contents(spark, run.dir))
    if source:
        earlier = _carried_contents(run, stage)
        ctx.store_contents = lambda frame, wanted: _store_contents(spark, run, stage, frame, wanted, earlier, ctx)
        if earlier is not None:
            ctx.previous_contents = lambda: read_contents(spark, earlier)
    started = time.monotonic()
    # The job group lets the progress display find this stage's Spark jobs (and the UI group them).
    group = f"codecurate-{run.run_id}-{name}"
    spark.sparkContext.setJobGroup(group, f"codecurate {name}")
    status = {"state": "running", "started_at": _now(), "pid": os.getpid(), "host": socket.gethostname(),
              "cores": spark.sparkContext.defaultParallelism}
    run.dir.write_status(name, status)
    log(f"[{name}] started")
    try:
        with StageProgress(spark, name, group, on_status=lambda snap: run.dir.write_status(
                name, {**status, "progress": snap.to_dict()})):
            try:
                tagged, repo_rejects, rows_in = _tag(spark, run, stage, export, ctx)
                counts = _write_outputs(run, stage, tagged, repo_rejects, ctx)
                reuse = _write_content_results(run, name, ctx)
                if getattr(stage, "summarise", None) is not None:
                    ctx.metrics.update(stage.summarise(spark.read.parquet(str(run.dir.rejects(name))), run.cfg))
            except Exception as err:
                raise StageFailed(f"stage {name!r} failed{_reading(run, stage, err)}: {_cause(err)}") from err
            seconds = round(time.monotonic() - started, 3)
            ctx.metric("task_time", task_time_spread(spark, group))  # skew: max / median task
            manifest = _manifest(spark, run, name, rows_in, counts, seconds, ctx)
            if reuse is not None:
                manifest["content_results"] = reuse
                log(f"[{name}] content results: {reuse['rows_reused']:,} reused, "
                    f"{reuse['rows_computed']:,} computed")
    except BaseException as err:  # Ctrl-C too: `codecurate status` should say it stopped
        run.dir.write_status(name, {**status, "state": "failed", "failed_at": _now(),
                                    "error": _first_line(err)})
        raise
    run.dir.write_manifest(name, manifest)
    run.dir.write_status(name, {**status, "state": "done", "finished_at": _now()})
    shutil.rmtree(run.dir.checkpoints, ignore_errors=True)
    reasons = ", ".join(f"{k} {v:,}" for k, v in manifest["rejected_by_reason"].items()) or "none"
    log(f"[{name}] {manifest['rows_in']:,} in -> {manifest['rows_kept']:,} kept, "
        f"{manifest['rows_rejected']:,} rejected ({reasons}) in {manifest['seconds']:.1f} s"
        f"{_throughput(manifest)}")
    return manifest


def start_run(spark, cfg: Config, run_id: str | None = None):
    """Prepare the run and make its directory (reusing an earlier attempt's run.json): (Run, export)."""
    from codecurate.spark.session import log_to

    run, export = prepare_run(spark, cfg, run_id)
    run.dir.path.mkdir(parents=True, exist_ok=True)
    log_to(spark, run.dir.spark_log)
    if run.dir.run_file.exists():
        run.info = run.dir.read_info()  # an earlier attempt of this run: its record stands
    else:
        run.dir.write_info(run.info)
    return run, export


def run_stages(spark, run: Run, export, only: str | None = None) -> Run:
    """Run the configured stages (or `only` one), resuming what an earlier attempt finished."""
    from codecurate.run.report import write_report

    log(f"run {run.run_id} -> {run.run_dir}")
    try:
        for name in [only] if only else list(run.cfg.stages):
            previous = _previous(run.cfg, name)
            if previous != name and not run.dir.has_manifest(previous):
                raise UsageError(f"stage {name!r} needs the output of {previous!r} in {run.run_dir}")
            execute_stage(spark, run, name, export)
    finally:
        try:
            write_report(run.dir, run.cfg.stages)  # what finished, also after a failure
        except Exception as err:  # a picture must not hide the run's own outcome
            log(f"run report not drawn: {_first_line(err)}")
    _summary(run)
    return run


def run_pipeline(cfg: Config, *, run_id: str | None = None, only: str | None = None, spark=None) -> Run:
    """Run the configured stages (or `only` one) without publishing.

    Publishing is codecurate.ops.schedule's job: it holds the output root's lock around run + release.
    """
    spark = spark or open_session(cfg)
    run, export = start_run(spark, cfg, run_id)
    return run_stages(spark, run, export, only)


def _registered(cfg: Config, name: str) -> Source | Stage:
    _previous(cfg, name)  # the stage must be in this config
    return next(s for s in registry() if s.name == name)


def _previous(cfg: Config, stage: str) -> str:
    if stage not in cfg.stages:
        raise UsageError(f"stage {stage!r} is not in this config's stages: {', '.join(cfg.stages)}")
    index = cfg.stages.index(stage)
    return cfg.stages[index - 1] if index else stage


def _summary(run: Run) -> None:
    lines = [f"{'stage':<12} {'in':>10} {'kept':>10} {'rejected':>10} {'MB in':>9} {'seconds':>8} {'MB/s':>7} {'reused':>7}"]
    for stage in run.cfg.stages:
        if run.dir.has_manifest(stage):
            m = run.dir.read_manifest(stage)
            rate = m["bytes_in"] / 1e6 / m["seconds"] if m["seconds"] > 0 else 0.0
            lines.append(f"{stage:<12} {m['rows_in']:>10,} {m['rows_kept']:>10,} "
                         f"{m['rows_rejected']:>10,} {m['bytes_in'] / 1e6:>9,.1f} {m['seconds']:>8.1f} {rate:>7.2f} {_reuse_ratio(m):>7}")
    lines.append(f"report: {run.dir.report}")
    print("\n".join(lines), flush=True)


def _throughput(manifest: dict[str, Any]) -> str:
    if manifest["seconds"] <= 0 or not manifest["bytes_in"]:
        return ""
    return f", {manifest['bytes_in'] / 1e6:,.1f} MB at {manifest['bytes_in'] / 1e6 / manifest['seconds']:,.2f} MB/s"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _reuse_ratio(manifest: dict[str, Any]) -> str:
    """Share of a stage's per-content answers reused from the earlier run ("-": none stored)."""
    reuse = manifest.get("content_results")
    if not reuse:
        return "-"
    total = reuse["rows_reused"] + reuse["rows_computed"]
    return f"{reuse['rows_reused'] / total:.0%}" if total else "0%"


def _reading(run: Run, stage: Source | Stage, err: BaseException) -> str:
    """' reading table X' when the source failed on an export file (a corrupt ORC stripe is
    found only when extract reads it; Spark names the file deep in its cause chain)."""
    from codecurate.spark.export import tables_named_in

    if not isinstance(stage, Source):
        return ""
    tables = tables_named_in(_full_text(err), run.cfg.input.export)
    return f" reading table {', '.join(repr(t) for t in tables)}" if tables else ""


def _full_text(err: BaseException) -> str:
    parts = []
    while err is not None and len(parts) < 10:
        parts.append(str(err))
        java = getattr(err, "java_exception", None)
        if java is not None:
            try:
                parts.append(java.toString())
                cause = java.getCause()
                while cause is not None and len(parts) < 30:
                    parts.append(cause.toString())
                    cause = cause.getCause()
            except Exception:  # the JVM may be gone; the Python text is what we have
                pass
        err = err.__cause__ or err.__context__
    return "\n".join(parts)


def _cause(err: BaseException) -> str:
    """The first line of the innermost useful message: Py4J's own first line only says which
    JVM call failed ('An error occurred while calling o750.localCheckpoint')."""
    text = _first_line(err)
    if text.startswith("An error occurred while calling"):
        for line in str(err).splitlines()[1:]:
            line = line.strip()
            if line and not line.startswith("at "):
                return line[:500]
    return text


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0][:500] if text else type(err).__name__
