"""Publish a run's last kept rows as a versioned release.

How shards come out byte-identical: each row's shard is a pure function of the row
(xxhash64(repo_name, path) mod the language's shard count, which comes from a deterministic
aggregate), Spark only groups rows by shard, and each shard is written by one Python worker
that sorts its rows by (repo_name, path, blob_id) in pyarrow and writes them with pinned
settings (layout.PARQUET_OPTIONS). Neither the partitioning of the input nor task retries can
change the bytes. Workers write into the staging directory, so output.root must be a
filesystem every executor can see (local mode, or a shared mount on a cluster).

Shards are written in parallel; only per-shard metadata (rows, bytes, sha256) and one small
per-language aggregate reach the driver.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from codecurate import columns as C
from codecurate.config import MIB, Config
from codecurate.errors import PipelineError
from codecurate.release import layout, manifest, publish
from codecurate.run.console import console
from codecurate.run.layout import OutputRoot, RunDir, RunDirError
from codecurate.run.runner import read_contents
from codecurate.stages.base import with_content
from codecurate.stages.optout import broadcastable, optout_entries, with_opted_out
from codecurate.text.optout import check_optout_list
from codecurate.version import code_version

ROW_OVERHEAD_BYTES = 256  # metadata columns per row, for shard sizing (ids are ~200 bytes of hex)
_DIR = "_release_dir"
_SHARD = "_release_shard"
_OPTED_OUT = "_release_opted_out"


class ReleaseGateError(PipelineError):
    """A release that looks broken (empty, or much smaller than the previous one) is held back."""

    debug_hint = False  # the message has the figures; a traceback adds nothing


def check_shrink(totals_: dict[str, int], previous: dict[str, Any] | None, version: str,
                 max_shrink: float) -> None:
    """Refuse an empty release, or one with more than max_shrink of the previous release's
    rows or bytes gone: what a wrong blob path or a truncated table looks like downstream."""
    if totals_["rows"] == 0:
        raise ReleaseGateError(
            f"release {version} not published: it has 0 rows (see the stage manifests for what was "
            "rejected); pass --allow-shrink to publish it anyway")
    if previous is None:
        return
    before = previous["data"]["totals"]
    lost = []
    for key in ("rows", "bytes"):
        old, new = int(before.get(key) or 0), int(totals_[key] or 0)
        if old and (old - new) / old > max_shrink:
            lost.append(f"{key} {old:,} -> {new:,} (-{(old - new) / old:.1%})")
    if lost:
        raise ReleaseGateError(
            f"release {version} not published: against release {previous['release']['version']}, "
            f"{' and '.join(lost)}, more than release.max_shrink {max_shrink:.0%} lost; "
            "pass --allow-shrink to publish it anyway")


def publish_release(spark: SparkSession, run_dir: Path, cfg: Config, *, version: str | None = None,
                    variants: tuple[tuple[str, Path], ...] = (), allow_shrink: bool = False) -> Path:
    """Write releases/<version>/ from the run's last stage; return its path.

    variants: (name, run directory) of further dataset configs, each published from its run's
    last stage under <release>/<name>/ (release.variants "both": the raw files as `raw`).
    Not published (ReleaseGateError, exit 1) unless allow_shrink: an empty release, or one that
    lost more than release.max_shrink of the previous release's rows or bytes."""
    run_dir = Path(run_dir)
    version = version or cfg.release.version
    layout.parse_version(version)
    releases_root = OutputRoot(Path(cfg.output.root)).releases
    source = RunDir(run_dir)
    run = source.read_info()
    stages = stage_summaries(source, run["stages"])
    last = run["stages"][-1]

    with publish.staged(releases_root, version, overwrite=cfg.release.overwrite) as staging:
        files = spark.read.parquet(str(source.kept(last)))
        started = time.monotonic()
        shards, languages, recheck, repos = _write_data(files, cfg, staging, run=run,
                                                        contents=read_contents(spark, source))
        console.log(f"[release] {sum(s['rows'] for s in shards):,} files written to {len(shards)} shards "
                    f"in {time.monotonic() - started:.1f} s")
        data = {
            "source": {
                "config": run.get("config", {}),
                "config_fingerprint": run.get("config_fingerprint", ""),
                "inputs": run.get("inputs", {}),
                "optout_sha256": run.get("optout_sha256"),
            },
            "options": {"shard_size_mb": cfg.release.shard_size_mb, "ids_only": cfg.release.ids_only},
            "parquet": parquet_settings(),
            "columns": layout.schema_to_json(layout.release_schema(cfg.release.ids_only)),
            "sort_order": list(layout.SORT_KEYS),
            "stages": [summary for _, summary in stages],
            "language_detectors": language_detectors(stages),
            "optout_recheck": recheck,
            "patches": [],
            "totals": totals(languages, shards, repos),
            "languages": languages,
            "files": shards,
        }
        if variants:
            data["variants"] = [_variant(spark, name, Path(path), cfg, staging) for name, path in variants]
        previous = layout.previous_version(releases_root, version)
        if not allow_shrink:
            check_shrink(data["totals"], manifest.read(releases_root / previous) if previous else None,
                         version, cfg.release.max_shrink)
        built = manifest.build(
            version=version, code_version=run.get("code_version") or code_version(),
            run_id=run.get("run_id"), previous=previous, data=data, reuse=content_reuse(run, stages),
        )
        publish.finish_release(staging, built, releases_root / previous if previous else None)
    return releases_root / version


def parquet_settings() -> dict[str, Any]:
    options = layout.PARQUET_OPTIONS
    return {
        "compression": options["compression"],
        "compression_level": options["compression_level"],
        "row_group_size": options["row_group_size"],
        "version": options["version"],
        "created_by": layout.parquet_created_by(),
    }


def totals(languages: list[dict[str, Any]], shards: list[dict[str, Any]], repos: int) -> dict[str, int]:
    return {
        "rows": sum(lang["rows"] for lang in languages),
        "bytes": sum(lang["bytes"] for lang in languages),
        "repos": repos,
        "data_files": len(shards),
        "parquet_bytes": sum(s["bytes"] for s in shards),
    }


def stage_summaries(run_dir: RunDir, names: list[str]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(raw stage manifest, the counts a release records) per stage, in run order."""
    out = []
    for name in names:
        path = run_dir.manifest_path(name)
        raw = run_dir.read_manifest(name)
        try:
            summary = {
                "stage": name,
                "rows_in": int(raw["rows_in"]),
                "rows_kept": int(raw["rows_kept"]),
                "rows_rejected": int(raw["rows_rejected"]),
                "rejected_by_reason": {str(k): int(v) for k, v in sorted(raw.get("rejected_by_reason", {}).items())},
                "bytes_in": raw.get("bytes_in"),
                "bytes_kept": raw.get("bytes_kept"),
            }
            by_benchmark = (raw.get("metrics") or {}).get("rejected_by_benchmark")
            if by_benchmark is not None:  # decontaminate: removals per benchmark
                summary["rejected_by_benchmark"] = {str(k): int(v) for k, v in sorted(by_benchmark.items())}
        except (KeyError, TypeError, ValueError) as err:
            raise RunDirError(f"{path}: missing or bad count: {err}") from err
        out.append((raw, summary))
    return out


def content_reuse(run: dict[str, Any], stages: list[tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, Any]:
    """Per stage with a content-result store: rows and bytes reused from the earlier run vs computed."""
    earlier = run.get("incremental_from") or {}
    by_stage = {}
    for raw, summary in stages:
        counts = raw.get("content_results")
        if counts:
            by_stage[summary["stage"]] = {k: int(counts[k]) for k in
                                          ("rows_reused", "rows_computed", "bytes_reused", "bytes_computed")}
    return {"from_run": earlier.get("run_id"), "stages": by_stage}


def language_detectors(stages: list[tuple[dict[str, Any], dict[str, Any]]]) -> Any:
    for raw, summary in stages:
        if summary["stage"] == "languages":
            return (raw.get("metrics") or {}).get("detectors")
    return None


def _variant(spark: SparkSession, name: str, run_dir: Path, cfg: Config, staging: Path) -> dict[str, Any]:
    """A second dataset config: its files under <release>/<name>/, its own stage counts and totals."""
    source = RunDir(run_dir)
    run = source.read_info()
    stages = stage_summaries(source, run["stages"])
    files = spark.read.parquet(str(source.kept(stages[-1][1]["stage"])))
    shards, languages, recheck, repos = _write_data(files, cfg, staging, data_dir=name, run=run,
                                                    contents=read_contents(spark, source))
    return {"name": name, "dir": name, "stages": [summary for _, summary in stages],
            "optout_recheck": recheck, "totals": totals(languages, shards, repos),
            "languages": languages, "files": shards}


def optout_applied(run: dict[str, Any], sha256: str) -> bool:
    """The run's optout stage matched this very list (same sha256) with this very code, so
    matching it again at publishing could remove nothing: the re-check is for a list that
    changed between the run and the release."""
    return ("optout" in run.get("stages", ()) and run.get("optout_sha256") == sha256
            and run.get("code_version") == code_version())


def _write_data(files: DataFrame, cfg: Config, staging: Path, data_dir: str = layout.DATA_DIR, *,
                run: dict[str, Any], contents: DataFrame | None = None):
    """Write the shards of `files` (a run's last kept rows) under staging/data_dir; `contents`:
    the run's contents table, where the published text is looked up, once the rows to publish
    are planned (the planning pass reads no content)."""
    missing = [c for c in layout.REQUIRED if c not in files.columns]
    if missing:
        raise RunDirError(f"the last stage's kept rows lack {missing}; a release needs {list(layout.REQUIRED)}")
    schema = layout.release_schema(cfg.release.ids_only)
    with_text = C.CONTENT in schema.names and (C.CONTENT in files.columns or contents is not None)
    # what the rows carry of the release's columns, and what finds the published text
    present = [f.name for f in schema if f.name in files.columns and f.name != C.CONTENT]
    text_inputs = [c for c in (C.CONTENT, C.REDACTED_CONTENT) if c in files.columns] if with_text else []

    optout = check_optout_list(cfg.optout.list) if cfg.optout.list else None
    rematch = optout is not None and not optout_applied(run, optout.sha256)
    flagged = files
    if rematch:
        flagged = with_opted_out(files, optout_entries(files.sparkSession, cfg.optout.list), _OPTED_OUT,
                                 broadcast=broadcastable(optout, cfg))
    excluded = F.col(_OPTED_OUT) if rematch else F.lit(False)
    language = F.col(C.LANGUAGE) if C.LANGUAGE in files.columns else F.lit(None).cast("string")
    # Shard sizing reads length_bytes, not the content's own length: the planning pass then
    # reads no content column, and the two differ only by PII redactions and re-encoding.
    length = F.col(C.LENGTH_BYTES) if C.LENGTH_BYTES in files.columns else F.lit(0)
    size = F.lit(ROW_OVERHEAD_BYTES)
    if with_text:
        size = size + F.coalesce(length.cast("long"), F.lit(0))
    columns = [*present, *text_inputs, language.alias("_lang"), size.alias("_size"),
               length.cast("long").alias("_length")]
    tagged = flagged.select(*columns, excluded.alias(_OPTED_OUT))

    stats = (
        tagged.groupBy("_lang", _OPTED_OUT)
        .agg(F.count(F.lit(1)).alias("rows"), F.sum("_length").alias("bytes"), F.sum("_size").alias("size"))
        .collect()
    )
    removed = sum(r["rows"] for r in stats if r[_OPTED_OUT])
    kept_stats = {r["_lang"]: r for r in stats if not r[_OPTED_OUT]}
    dirs = layout.language_dirs(list(kept_stats))
    target = cfg.release.shard_size_mb * MIB
    planned = {lang: max(1, math.ceil(r["size"] / target)) for lang, r in kept_stats.items()}

    # Nothing to remove (the usual case when the list changed a little): the files are
    # published without the match in their plan, so it is not run a second time, row by row.
    kept = tagged.filter(~F.col(_OPTED_OUT)) if removed else files.select(*columns)
    repos = kept.select(F.countDistinct(C.REPO_NAME)).first()[0] if kept_stats else 0
    written: list[dict[str, Any]] = []
    if kept_stats:
        dir_map = F.create_map(*[x for lang, d in dirs.items() if lang is not None for x in (F.lit(lang), F.lit(d))]) \
            if any(lang is not None for lang in dirs) else None
        count_map = F.create_map(*[x for lang, n in planned.items() if lang is not None for x in (F.lit(lang), F.lit(n))]) \
            if any(lang is not None for lang in planned) else None
        unknown_dir = F.lit(dirs.get(None, layout.UNKNOWN_DIR))
        unknown_count = F.lit(planned.get(None, 1))
        lang_col = F.col("_lang")
        dir_col = F.when(lang_col.isNull(), unknown_dir).otherwise(dir_map[lang_col] if dir_map is not None else unknown_dir)
        count_col = F.when(lang_col.isNull(), unknown_count).otherwise(
            count_map[lang_col] if count_map is not None else unknown_count)
        shard_col = F.pmod(F.xxhash64(C.REPO_NAME, C.PATH), count_col.cast("long")).cast("int")
        placed = kept.withColumn(_DIR, dir_col).withColumn(_SHARD, shard_col).select(*present, *text_inputs, _DIR, _SHARD)
        if with_text:
            placed = with_content(placed, cfg, contents)
        published = [f.name for f in schema if f.name in placed.columns]
        prepared = (
            placed.select(*published, _DIR, _SHARD)
            .repartition(sum(planned.values()), _DIR, _SHARD)
            # Grouped by shard only: each shard writer sorts its rows itself (layout.sort_rows).
            .sortWithinPartitions(_DIR, _SHARD)
        )
        data_root = str(staging / data_dir)
        out_schema = "dir string, shard int, rows long, bytes long, sha256 string"
        # The schema goes to the workers built: building it there imports every stage module.
        results = prepared.mapInArrow(lambda it: _write_shards(it, data_root, schema), out_schema).collect()
        written = [r.asDict() for r in results]
    shards = _name_shards(staging, written, data_dir)
    languages = []
    for lang, r in sorted(kept_stats.items(), key=lambda kv: dirs[kv[0]]):
        in_files = sum(s["rows"] for s in shards if s["language_dir"] == dirs[lang])
        if in_files != r["rows"]:
            raise layout.ReleaseLayoutError(
                f"language {lang!r}: {r['rows']} rows to publish but {in_files} written to shards"
            )
        languages.append({
            "language": lang, "dir": dirs[lang], "rows": int(r["rows"]), "bytes": int(r["bytes"] or 0),
            "shards": sum(1 for s in shards if s["language_dir"] == dirs[lang]),
        })
    recheck = {"optout_sha256": optout.sha256 if optout else None, "rows_removed": int(removed)}
    return shards, languages, recheck, int(repos)


def _write_shards(batches: Iterator[pa.RecordBatch], data_root: str, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """Executor side: rows arrive grouped by (dir, shard); write each group as one shard file."""
    pending: list[pa.Table] = []
    key = None
    for batch in batches:
        table = pa.Table.from_batches([batch])
        dirs = table.column(_DIR).to_pylist()
        shards = table.column(_SHARD).to_pylist()
        start = 0
        for i in range(1, len(dirs) + 1):
            if i < len(dirs) and (dirs[i], shards[i]) == (dirs[start], shards[start]):
                continue
            run_key = (dirs[start], shards[start])
            if key is not None and run_key != key:
                yield _flush(pending, key, data_root, schema)
                pending = []
            key = run_key
            pending.append(table.slice(start, i - start))
            start = i
    if pending:
        yield _flush(pending, key, data_root, schema)


def _flush(pending: list[pa.Table], key: tuple[str, int], data_root: str, schema: pa.Schema) -> pa.RecordBatch:
    directory, shard = key
    rows = layout.sort_rows(layout.conform(pa.concat_tables(pending), schema))
    path = Path(data_root) / directory / f"shard-{shard:05d}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    size, digest = layout.write_shard(rows, path)
    return pa.RecordBatch.from_pydict(
        {"dir": [directory], "shard": [shard], "rows": [rows.num_rows], "bytes": [size], "sha256": [digest]},
        schema=pa.schema([("dir", pa.string()), ("shard", pa.int32()), ("rows", pa.int64()),
                          ("bytes", pa.int64()), ("sha256", pa.string())]),
    )


def _name_shards(staging: Path, written: list[dict[str, Any]], data_dir: str) -> list[dict[str, Any]]:
    """Rename shard-NNNNN files to train-i-of-n (n = shards that got rows; hashing can leave gaps)."""
    for leftover in (staging / data_dir).glob("*/.partial-*"):
        leftover.unlink()  # from a task attempt that died mid-write; its retry wrote the shard
    by_dir: dict[str, dict[str, dict[str, Any]]] = {}
    for item in written:
        by_dir.setdefault(item["dir"], {})[f"shard-{item['shard']:05d}.parquet"] = item
    files = []
    for directory in sorted(by_dir):
        items = by_dir[directory]
        renamed = publish.rename_shards(staging / data_dir / directory,
                                        [(item["shard"], name) for name, item in items.items()])
        for old, new in renamed:
            item = items[old]
            files.append({
                "path": f"{data_dir}/{directory}/{new}", "language_dir": directory,
                "rows": int(item["rows"]), "bytes": int(item["bytes"]), "sha256": item["sha256"],
            })
    return files
