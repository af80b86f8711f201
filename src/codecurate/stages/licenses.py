"""Licenses: ScanCode on license files, SPDX headers, the path rule, license_type, the filter.

1. License-like files (codecurate.text.licenses.is_license_file) go through ScanCode, spread over
   all cores (ScanCode does 3-6 files/s/core, so skew matters) and checkpointed: the scan is
   neither repeated by the metric action nor re-run differently (deadlines) on a task retry.
2. Path rule: a file gets the licenses of license files in its own directory and every ancestor
   of the same repository snapshot. Each file's ancestor directories are exploded ("", "a",
   "a/b") and joined with license rows keyed by (repo, snapshot, directory), then aggregated back
   per file: joins and aggregations only, no per-repository Python loop, nothing collected.
3. One Arrow-batched pass over every file adds its own SPDX-License-Identifier ids and decides
   license_type (the-stack-v2 rules in codecurate.text.licenses.license_type).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from importlib import metadata

import pandas as pd
import pyarrow as pa
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from codecurate import columns as C
from codecurate.config import Config, LicensesConfig
from codecurate.reasons import DropReason
from codecurate.spark.arrow import map_to_arrow, spark_schema
from codecurate.stages.base import ContentResults, Stage, StageContext, content_results, mark_dropped
from codecurate.text import licenses as L

NAME = "licenses"
REQUIRES = (C.REPO_NAME, C.SNAPSHOT_ID, C.PATH, C.BLOB_ID, C.CONTENT, C.GHA_LICENSE_ID)
# Rejects keep what decided them, so a removal can be audited without re-running ScanCode.
REJECT_COLUMNS = (C.DETECTED_LICENSES, C.LICENSE_TYPE)

# Stage-internal columns: never leave the stage.
DIR = "_license_dir"
LICENSES = "_licenses"
PATH_LICENSES = "_path_licenses"
SCAN_STATUS = "_scan_status"
SCAN_ERROR = "_scan_error"
HEADER = "_spdx_header"
RESULT = "_license_result"

_SCAN_ARROW = pa.schema([
    (C.BLOB_ID, pa.string()), (LICENSES, pa.list_(pa.string())), (SCAN_STATUS, pa.string()),
    (SCAN_ERROR, pa.string()),
])
ADDS = (
    pa.field(C.DETECTED_LICENSES, pa.list_(pa.field("element", pa.string()))),  # parquet's compliant name
    pa.field(C.LICENSE_TYPE, pa.string()),
)
RESULT_TYPE = spark_schema(ADDS)
SPDX_MARKER = "SPDX-License-Identifier"


def run(files: DataFrame, cfg: Config, ctx: StageContext) -> DataFrame:
    lc = cfg.licenses
    # ScanCode answers by license-file blob: an earlier run's answers are reused (RESULTS).
    scanned = content_results(license_files(files), RESULTS, cfg, ctx)
    scans = ctx.checkpoint(scan_license_files(files, lc, scanned))
    _record_scan_metrics(scans, ctx)
    tagged = classify(files, path_licenses(files, scans), lc)
    keep = F.col(C.LICENSE_TYPE).isin(list(lc.keep_types))
    return mark_dropped(tagged, ~keep, DropReason.LICENSE_NON_PERMISSIVE)


@F.pandas_udf(T.BooleanType())
def _is_license_file(paths: pd.Series) -> pd.Series:
    return paths.map(lambda p: p is not None and L.is_license_file(p)).astype(bool)


def license_files(files: DataFrame) -> DataFrame:
    """The license-like files (codecurate.text.licenses.is_license_file) among `files`."""
    return files.filter(_is_license_file(F.col(C.PATH)))


def scan_texts(texts: DataFrame, lc: LicensesConfig) -> DataFrame:
    """(blob_id, _licenses, _scan_status, _scan_error) for each distinct blob_id of `texts`.

    Each distinct text is scanned once, however many repositories carry it: forks and vendored
    copies repeat the same LICENSE files, and ScanCode costs ~0.3-0.5 s a file.
    """
    # Cut in the JVM first (characters >= bytes/4), to the exact byte cap in Python.
    head = F.substring(F.col(C.CONTENT), 1, lc.max_license_file_bytes)
    distinct = (
        texts.select(C.BLOB_ID, head.alias(C.CONTENT)).dropDuplicates([C.BLOB_ID])
        # License files cluster (one repo, one partition); ScanCode is slow: spread them out.
        .repartition(C.BLOB_ID)
    )
    scan = partial(_scan_batches, timeout=lc.scan_timeout_seconds, max_bytes=lc.max_license_file_bytes)
    return map_to_arrow(distinct, scan, _SCAN_ARROW)


def scan_license_files(files: DataFrame, lc: LicensesConfig, scanned: DataFrame | None = None) -> DataFrame:
    """One row per license-like file: its directory, SPDX ids found by ScanCode, scan status.

    `scanned`: the answers by blob_id when the caller has them (reused or computed already).
    """
    located = license_files(files).select(C.REPO_NAME, C.SNAPSHOT_ID, C.PATH, C.BLOB_ID, C.CONTENT)
    if scanned is None:
        scanned = scan_texts(located, lc)
    return located.join(scanned, C.BLOB_ID).select(
        C.REPO_NAME, C.SNAPSHOT_ID, C.PATH, license_dir(F.col(C.PATH)).alias(DIR), LICENSES,
        SCAN_STATUS, SCAN_ERROR)


def license_dir(path: Column) -> Column:
    """The directory a file is in: "a/b" for "a/b/LICENSE", "" at the repository root."""
    return F.regexp_extract(path, r"^(.*)/[^/]*$", 1)


def _scan_batches(batches: Iterator[pa.RecordBatch], timeout: float, max_bytes: int) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        data = batch.to_pydict()
        out = {name: [] for name in _SCAN_ARROW.names}
        for blob_id, text in zip(data[C.BLOB_ID], data[C.CONTENT], strict=True):
            result = L.scan_license_text(text, timeout, max_bytes)
            out[C.BLOB_ID].append(blob_id)
            out[LICENSES].append(list(result.licenses))
            out[SCAN_STATUS].append(result.status)
            out[SCAN_ERROR].append(result.error)
        yield pa.RecordBatch.from_pydict(out, schema=_SCAN_ARROW)


def _record_scan_metrics(scans: DataFrame, ctx: StageContext) -> None:
    """One small action on the checkpointed scans: license files by status (and error class)."""
    rows = scans.groupBy(SCAN_STATUS, SCAN_ERROR).count().collect()
    by_status = {status: 0 for status in L.SCAN_STATUSES}
    errors: dict[str, int] = {}
    for row in rows:
        by_status[row[SCAN_STATUS]] += row["count"]
        if row[SCAN_ERROR] is not None:
            errors[row[SCAN_ERROR]] = errors.get(row[SCAN_ERROR], 0) + row["count"]
    ctx.metric("license_files", sum(by_status.values()))
    ctx.metric("license_files_by_scan_status", by_status)
    ctx.metric("license_scan_errors", dict(sorted(errors.items())))


def ancestor_dirs(path: F.Column) -> F.Column:
    """"a/b/c.py" -> ["", "a", "a/b"]: the directories whose license files cover the file."""
    parts = F.split(path, "/")
    return F.transform(
        F.sequence(F.lit(0), F.size(parts) - 1),
        lambda n: F.array_join(F.slice(parts, 1, n), "/"),
    )


def path_licenses(files: DataFrame, scans: DataFrame) -> DataFrame:
    """(repo, snapshot, path, _path_licenses) for files with a license file above them."""
    keys = [C.REPO_NAME, C.SNAPSHOT_ID]
    by_dir = scans.groupBy(*keys, DIR).agg(F.flatten(F.collect_list(LICENSES)).alias(LICENSES))
    return (
        files.select(*keys, C.PATH, F.explode(ancestor_dirs(F.col(C.PATH))).alias(DIR))
        .join(by_dir, [*keys, DIR])
        .groupBy(*keys, C.PATH)
        .agg(F.array_sort(F.array_distinct(F.flatten(F.collect_list(LICENSES)))).alias(PATH_LICENSES))
    )


def classify(files: DataFrame, by_path: DataFrame, lc: LicensesConfig) -> DataFrame:
    """Adds detected_licenses (path rule + the file's own SPDX headers) and license_type."""
    head = F.substring(F.col(C.CONTENT), 1, lc.spdx_header_chars)
    # Only files that name an SPDX id ship their head to Python; the rest send a null.
    header = F.when(F.instr(head, SPDX_MARKER) > 0, head)
    decide = _classifier(lc.permissive_list, lc.blueoak_lead_is_permissive, lc.copyleft_overrides_gha)
    joined = files.join(by_path, [C.REPO_NAME, C.SNAPSHOT_ID, C.PATH], "left")
    result = decide(F.col(C.GHA_LICENSE_ID), F.col(PATH_LICENSES), header)
    columns = [F.col(c) for c in files.columns if c not in (C.DETECTED_LICENSES, C.LICENSE_TYPE)]
    return joined.select(
        *columns,
        result[C.DETECTED_LICENSES].alias(C.DETECTED_LICENSES),
        result[C.LICENSE_TYPE].alias(C.LICENSE_TYPE),
    )


def _classifier(permissive_list, lead_is_permissive: bool, copyleft_overrides_gha: bool):
    @F.pandas_udf(RESULT_TYPE)
    def decide(gha: pd.Series, found: pd.Series, header: pd.Series) -> pd.DataFrame:
        tables = L.load_tables(permissive_list, lead_is_permissive)
        detected, types = [], []
        for gha_id, ids, text in zip(gha, found, header, strict=True):
            own = L.spdx_header_ids(text, tables) if isinstance(text, str) else ()
            ids = L.merge_ids(ids if ids is not None else (), own)
            detected.append(ids)
            gha_id = gha_id if isinstance(gha_id, str) else None  # pandas may hand a null as NaN
            types.append(L.license_type(gha_id, ids, tables, copyleft_overrides_gha))
        return pd.DataFrame({C.DETECTED_LICENSES: detected, C.LICENSE_TYPE: types})

    return decide


def check(cfg: Config) -> None:
    # The license tables are read on every worker: a bad permissive list fails now, by name.
    L.load_tables(cfg.licenses.permissive_list, cfg.licenses.blueoak_lead_is_permissive)


# Bump when codecurate's own handling of a scan changes (codecurate.text.licenses.scan_license_text):
# stored scans of earlier runs are then recomputed, not reused.
RESULTS_VERSION = 1


def _scan_versions(cfg: Config) -> dict[str, str | int]:
    return {"scancode-toolkit": metadata.version("scancode-toolkit"), "codecurate.licenses": RESULTS_VERSION}


# The scan of a license file depends on its text (blob_id) and two keys, nothing else: the
# path rule and license_type are joins and table lookups redone on every run (cheap).
RESULTS = ContentResults(
    key=(C.BLOB_ID,),
    results=tuple(_SCAN_ARROW)[1:],
    compute=lambda texts, cfg: scan_texts(texts, cfg.licenses),
    config=lambda cfg: {"scan_timeout_seconds": cfg.licenses.scan_timeout_seconds,
                        "max_license_file_bytes": cfg.licenses.max_license_file_bytes},
    versions=_scan_versions,
)

STAGE = Stage(name=NAME, requires=REQUIRES, apply=run, adds=ADDS, reject_columns=REJECT_COLUMNS,
              check=check, content_results=RESULTS)
