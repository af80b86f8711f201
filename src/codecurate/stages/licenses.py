"""Licenses: ScanCode on license files, SPDX headers, the path rule, license_type, the filter.

1. License-like files (codecurate.text.licenses.is_license_file) go through ScanCode, once per
   normalised text (a later run reuses the scans: RESULTS), spread over all cores (ScanCode
   does 3-6 files/s/core, so skew matters) and checkpointed: the scan is neither repeated by
   the metric action nor re-run differently (deadlines) on a task retry.
2. Path rule: a file gets the licenses of license files in its own directory and every ancestor
   of the same repository snapshot. Each folder's ancestors are exploded ("", "a", "a/b") and
   joined with license rows keyed by (repo, snapshot, directory), then given to its files:
   joins and aggregations only, no per-repository Python loop, nothing collected.
3. The file's own SPDX-License-Identifier ids and license_type (the-stack-v2 rules in
   codecurate.text.licenses.license_type), decided in Python once per distinct inputs
   (GitHub license, path rule's ids, SPDX head), which most files of a repository share.
"""

from __future__ import annotations

import dataclasses
import time
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
from codecurate.stages.base import (
    REUSED,
    ContentResults,
    Stage,
    StageContext,
    content_results,
    estimated_bytes,
    hinted,
    hinted_checkpoint,
    join_results,
    mark_dropped,
    materialised_with_content,
    narrowed,
    observed_checkpoint,
    with_content,
)
from codecurate.text import licenses as L

NAME = "licenses"
REQUIRES = (C.REPO_NAME, C.SNAPSHOT_ID, C.PATH, C.BLOB_ID, C.GHA_LICENSE_ID)
# Rejects keep what decided them, so a removal can be audited without re-running ScanCode.
# license_evidence too: it is an audit column (codecurate.columns.AUDIT_COLUMNS), written on rejects
# and dropped from kept files by the runner, so it is not listed twice here.
REJECT_COLUMNS = (C.DETECTED_LICENSES, C.LICENSE_TYPE)

# Stage-internal columns: never leave the stage.
DIR = "_license_dir"  # a scope: a folder, or one file's path (LICENSE.python covers itself)
PATTERN = "_license_pattern"  # a Files: glob under DIR (regex), or null: all of DIR
LICENSES = "_licenses"
EVIDENCE = "_evidence"
PATH_LICENSES = "_path_licenses"
PATH_EVIDENCE = "_path_evidence"
NORM_KEY = "_license_norm_key"
SCAN_STATUS = "_scan_status"
SCAN_ERROR = "_scan_error"
SCAN_APPROX = "_scan_approximate"
SCAN_SECONDS = "_scan_seconds"
HEADER = "_spdx_header"
RESULT = "_license_result"

_SCAN_ARROW = pa.schema([
    (NORM_KEY, pa.string()),
    # files: the Files: pattern of the stanza the evidence is in (null: the whole file's)
    (EVIDENCE, pa.list_(pa.struct([("id", pa.string()), ("kind", pa.string()), ("files", pa.string())]))),
    (SCAN_STATUS, pa.string()), (SCAN_ERROR, pa.string()), (SCAN_APPROX, pa.bool_()),
    (SCAN_SECONDS, pa.float64()),
])
ADDS = (
    pa.field(C.DETECTED_LICENSES, pa.list_(pa.field("element", pa.string()))),  # parquet's compliant name
    pa.field(C.LICENSE_TYPE, pa.string()),
)
SCOPE_TYPE = T.ArrayType(T.StructType([
    T.StructField(DIR, T.StringType()), T.StructField(PATTERN, T.StringType()),
    T.StructField(LICENSES, T.StringType()), T.StructField(EVIDENCE, T.StringType())]))
# What the classifier returns: the columns it adds, and the evidence that decided (rejects only).
RESULT_TYPE = spark_schema(ADDS + (pa.field(C.LICENSE_EVIDENCE, pa.list_(pa.string())),))
SPDX_MARKER = "SPDX-License-Identifier"
SCAN_TASKS_PER_CORE = 8


def run(files: DataFrame, cfg: Config, ctx: StageContext) -> DataFrame:
    lc = cfg.licenses
    # One small table of license-file blobs with their text keys, read three times below: the
    # content of license files only is looked up for it. Materialised before the lookup, which
    # reads them twice: finding them runs a Python UDF over every path.
    located = materialised_with_content(narrowed(license_files(files), C.PATH, C.LENGTH_BYTES), cfg, ctx)
    blobs = ctx.checkpoint(license_blobs(located, lc))
    # ScanCode answers by normalised text: an earlier run's answers are reused (RESULTS).
    scanned = content_results(blobs, RESULTS, cfg, ctx)
    scans = ctx.checkpoint(scan_license_files(files, lc, blobs, scanned))
    _record_scan_metrics(scans, ctx)
    # A file's decision is a function of four values (_INPUTS: its GitHub license, what the
    # path rule found, the head of its content when it holds an SPDX marker), and the files of
    # a repository mostly share them: each file names its inputs by their sha256, and the
    # classifier runs once per distinct inputs (6.6k of 165k files on the 1.1 GB scale
    # corpus). Both tables fit a broadcast where decisions written out per file may not (69 MB
    # there, whose largest repositories carry 7 license ids a file), so the files and their
    # content stream into kept and rejects instead of being shuffled. Only heads that hold an
    # SPDX marker travel, and evidence only for files it removes (the runner writes it on
    # rejects alone).
    read = with_content(narrowed(files, *_FILE_KEYS, C.GHA_LICENSE_ID), cfg, ctx.contents())
    heads = read.select(*_FILE_KEYS, C.GHA_LICENSE_ID, spdx_header(lc).alias(HEADER))
    # The tables below are measured while they are materialised (observed_checkpoint).
    folders = hinted_checkpoint(folder_licenses(files, license_scopes(scans, lc)), ctx, cfg)
    inputs = with_decision_id(path_licenses(heads, folders))
    file_keys = [*_FILE_KEYS, _DECISION_ID]
    inputs, seen = observed_checkpoint(inputs, ctx, size=estimated_bytes(inputs.select(*file_keys)))
    by_file = hinted(inputs.select(*file_keys), seen["size"], cfg)
    keep = F.col(C.LICENSE_TYPE).isin(list(lc.keep_types))
    decisions = decide(inputs, lc).withColumn(C.LICENSE_EVIDENCE, F.when(~keep, F.col(C.LICENSE_EVIDENCE)))
    tagged = join_results(files.drop(*_DECISION), by_file, _FILE_KEYS)
    tagged = join_results(tagged, hinted_checkpoint(decisions, ctx, cfg), [_DECISION_ID]).drop(_DECISION_ID)
    return mark_dropped(tagged, ~keep, DropReason.LICENSE_NON_PERMISSIVE)


@F.pandas_udf(T.BooleanType())
def _is_license_file(paths: pd.Series) -> pd.Series:
    return paths.map(lambda p: p is not None and L.is_license_file(p)).astype(bool)


def scan_options(lc: LicensesConfig) -> L.ScanOptions:
    return L.ScanOptions(
        timeout_seconds=lc.scan_timeout_seconds, max_bytes=lc.max_license_file_bytes,
        approximate_min_unexplained=lc.approximate_min_unexplained_tokens,
        approximate_max_bytes=lc.approximate_max_bytes, min_text_coverage=lc.min_match_coverage,
        min_notice_relevance=lc.min_notice_relevance)


def _norm_key_udf(max_bytes: int):
    @F.pandas_udf(T.StringType())
    def norm_key(texts: pd.Series) -> pd.Series:
        return texts.map(lambda t: L.normalised_key(t, max_bytes))

    return norm_key


def license_files(files: DataFrame) -> DataFrame:
    """The license-like files (codecurate.text.licenses.is_license_file) among `files`."""
    name = F.regexp_extract(F.col(C.PATH), r"([^/]*)$", 1)
    # (?iu): Unicode case folding, a superset of Python's lower() on the words (all ASCII).
    hint = name.rlike(f"(?iu)({L.LICENSE_NAME_HINT})")
    return files.filter(hint).filter(_is_license_file(F.col(C.PATH)))


def license_blobs(files: DataFrame, lc: LicensesConfig) -> DataFrame:
    """(blob_id, normalised text key, capped text, length_bytes): one row per license-file blob."""
    # Cut in the JVM first (characters >= bytes/4), to the exact byte cap in Python.
    head = F.substring(F.col(C.CONTENT), 1, lc.max_license_file_bytes)
    size = F.col(C.LENGTH_BYTES) if C.LENGTH_BYTES in files.columns else F.lit(None).cast("long")
    return (license_files(files).select(C.BLOB_ID, head.alias(C.CONTENT), size.alias(C.LENGTH_BYTES))
            .dropDuplicates([C.BLOB_ID])
            .withColumn(NORM_KEY, _norm_key_udf(lc.max_license_file_bytes)(F.col(C.CONTENT))))


def scan_texts(blobs: DataFrame, lc: LicensesConfig) -> DataFrame:
    """The scan of each normalised text among `blobs` (license_blobs rows): _SCAN_ARROW.

    Each normalised text is scanned once per run, however many files carry it: forks and vendored
    copies repeat the same LICENSE, often with only the copyright line changed, and ScanCode costs
    ~0.01 s (exact pass) to ~1-5 s (approximate pass) a file. Of the texts sharing a key, the one
    with the smallest blob_id is scanned, so the result does not depend on partitioning.
    """
    # License files cluster (one repo, one partition) and ScanCode is slow, the approximate pass
    # 100x the exact one: spread the texts over many more tasks than cores, so that a task that
    # drew slow texts does not leave the other cores idle. An explicit count: adaptive execution
    # merges a plain repartition of a few hundred small rows into one or two tasks (the 1.1 GB
    # scale corpus: 196 texts in 2 tasks, 83 core-seconds of scans in 86 s of wall time).
    tasks = SCAN_TASKS_PER_CORE * blobs.sparkSession.sparkContext.defaultParallelism
    texts = (
        blobs.groupBy(NORM_KEY).agg(F.min_by(C.CONTENT, C.BLOB_ID).alias(C.CONTENT))
        .repartition(tasks, NORM_KEY)
    )
    return map_to_arrow(texts, partial(_scan_batches, options=scan_options(lc)), _SCAN_ARROW)


def scan_license_files(files: DataFrame, lc: LicensesConfig, blobs: DataFrame | None = None,
                       scanned: DataFrame | None = None) -> DataFrame:
    """One row per license-like file: its path, the evidence ScanCode found, the scan status.

    `blobs`, `scanned`: license_blobs and the scans by normalised text, when the caller has them
    (the stage: reused from an earlier run or computed already); else computed here.
    """
    located = license_files(files).select(C.REPO_NAME, C.SNAPSHOT_ID, C.PATH, C.BLOB_ID)
    if blobs is None:
        blobs = license_blobs(files, lc)
    if scanned is None:
        scanned = scan_texts(blobs, lc).withColumn(REUSED, F.lit(False))
    by_blob = blobs.select(C.BLOB_ID, NORM_KEY).join(scanned, NORM_KEY)
    return located.join(by_blob, C.BLOB_ID).select(
        C.REPO_NAME, C.SNAPSHOT_ID, C.PATH, NORM_KEY, EVIDENCE, SCAN_STATUS, SCAN_ERROR, SCAN_APPROX,
        SCAN_SECONDS, REUSED)


def license_scopes(scans: DataFrame, lc: LicensesConfig) -> DataFrame:
    """(repo, snapshot, scope, decided SPDX ids, evidence entries): what each license file decides
    and where (codecurate.text.licenses.license_scopes: kind and file-name rules)."""
    scopes = _scopes_udf(lc.permissive_list, lc.blueoak_lead_is_permissive)
    rows = scans.select(C.REPO_NAME, C.SNAPSHOT_ID, F.explode(scopes(F.col(C.PATH), F.col(EVIDENCE))).alias("s"))
    scope = [F.col("s")[DIR].alias(DIR), F.col("s")[PATTERN].alias(PATTERN)]
    return rows.groupBy(C.REPO_NAME, C.SNAPSHOT_ID, *scope).agg(
        F.collect_set(F.col("s")[LICENSES]).alias(LICENSES),
        F.collect_set(F.col("s")[EVIDENCE]).alias(EVIDENCE))


def _scopes_udf(permissive_list, lead_is_permissive: bool):
    @F.pandas_udf(SCOPE_TYPE)
    def scopes(paths: pd.Series, evidence: pd.Series) -> pd.Series:
        tables = L.load_tables(permissive_list, lead_is_permissive)
        out = []
        for path, found in zip(paths, evidence, strict=True):
            found = list(found) if found is not None else []
            pairs = [(e["id"], e["kind"]) for e in found if e["files"] is None]
            stanzas = [(e["id"], e["kind"], e["files"]) for e in found if e["files"] is not None]
            rows = []
            for scope, spdx_id, kind in L.license_scopes(path, pairs, tables, stanzas):
                folder, pattern = L.scope_pattern(scope)
                rows.append({DIR: folder, PATTERN: pattern, LICENSES: spdx_id,
                             EVIDENCE: L.evidence_entry(kind, spdx_id, path)})
            out.append(rows)
        return pd.Series(out, dtype=object)

    return scopes


def license_dir(path: Column) -> Column:
    """The directory a file is in: "a/b" for "a/b/LICENSE", "" at the repository root."""
    return F.regexp_extract(path, r"^(.*)/[^/]*$", 1)


def _scan_batches(batches: Iterator[pa.RecordBatch], options: L.ScanOptions) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        data = batch.to_pydict()
        out = {name: [] for name in _SCAN_ARROW.names}
        for key, text in zip(data[NORM_KEY], data[C.CONTENT], strict=True):
            started = time.perf_counter()
            result = L.scan_license_text(text, options=options)
            out[NORM_KEY].append(key)
            out[EVIDENCE].append([{"id": i, "kind": k, "files": None} for i, k in result.evidence]
                                 + [{"id": i, "kind": k, "files": p} for i, k, p in result.scoped])
            out[SCAN_STATUS].append(result.status)
            out[SCAN_ERROR].append(result.error)
            out[SCAN_APPROX].append(result.approximate)
            out[SCAN_SECONDS].append(time.perf_counter() - started)
        yield pa.RecordBatch.from_pydict(out, schema=_SCAN_ARROW)


def _record_scan_metrics(scans: DataFrame, ctx: StageContext) -> None:
    """One small action on the checkpointed scans: license files by status, scan cost and reuse.

    Scan seconds are summed in the workers, one text at a time: they are core-seconds, so
    license files per core-second is the scan's throughput per core, start-up excluded. Texts
    whose scan an incremental run reused cost nothing here: they count as files, not as texts
    scanned or seconds.
    """
    per_text = scans.groupBy(NORM_KEY).agg(
        F.count(F.lit(1)).alias("files"), F.first(SCAN_STATUS).alias(SCAN_STATUS),
        F.first(SCAN_ERROR).alias(SCAN_ERROR), F.first(SCAN_APPROX).alias(SCAN_APPROX),
        F.first(SCAN_SECONDS).alias(SCAN_SECONDS), F.first(REUSED).alias(REUSED))
    scanned = ~F.col(REUSED)
    rows = per_text.groupBy(SCAN_STATUS, SCAN_ERROR, SCAN_APPROX).agg(
        F.sum("files").alias("files"), F.sum(F.when(scanned, F.col("files"))).alias("files_scanned"),
        F.count(F.when(scanned, 1)).alias("texts"),
        F.sum(F.when(scanned, F.col(SCAN_SECONDS))).alias("seconds")).collect()
    by_status = {status: 0 for status in L.SCAN_STATUSES}
    errors: dict[str, int] = {}
    files = files_scanned = texts = approximate = 0
    seconds = 0.0
    for row in rows:
        by_status[row[SCAN_STATUS]] += row["files"]
        files += row["files"]
        files_scanned += row["files_scanned"] or 0
        texts += row["texts"]
        approximate += row["texts"] if row[SCAN_APPROX] else 0
        seconds += row["seconds"] or 0.0
        if row[SCAN_ERROR] is not None:
            errors[row[SCAN_ERROR]] = errors.get(row[SCAN_ERROR], 0) + row["files"]
    ctx.metric("license_files", files)
    ctx.metric("license_files_by_scan_status", by_status)
    ctx.metric("license_scan_errors", dict(sorted(errors.items())))
    ctx.metric("license_texts_scanned", texts)
    # a file whose normalised text was already scanned in this run (or reused) is a cache hit
    ctx.metric("license_scan_cache_hit_ratio", round(1 - texts / files, 4) if files else 0.0)
    ctx.metric("license_scan_approximate_share", round(approximate / texts, 4) if texts else 0.0)
    ctx.metric("license_scan_core_seconds", round(seconds, 3))
    ctx.metric("license_files_per_core_second", round(files_scanned / seconds, 2) if seconds else None)


def ancestor_dirs(path: F.Column) -> F.Column:
    """"a/b/c.py" -> ["", "a", "a/b", "a/b/c.py"]: the scopes whose license files cover the file
    (its folders, and the path itself for a license file named for a part, LICENSE.python)."""
    parts = F.split(path, "/")
    return F.transform(
        F.sequence(F.lit(0), F.size(parts)),
        lambda n: F.array_join(F.slice(parts, 1, n), "/"),
    )


def folder_licenses(files: DataFrame, scopes: DataFrame) -> DataFrame:
    """Per folder of `files` (repo, snapshot, _folder): what the path rule finds for the files in
    it, for path_licenses.

    A file is covered by the scopes of its folder and every folder above it, by a scope that
    is its own path (LICENSE.python), and by a Files: glob under one of its folders that
    matches it. The files of one folder share the first kind, by far the most common: it is
    found once per folder (a few per cent of the rows exploding every file's ancestors took).
    The other two are kept per folder as lists (the globs under its scopes, the scopes that
    are one of its files' paths), which each file then matches against its path.
    """
    keys = [C.REPO_NAME, C.SNAPSHOT_ID]
    by_dir = scopes.groupBy(*keys, DIR, PATTERN).agg(
        F.flatten(F.collect_list(LICENSES)).alias(LICENSES), F.flatten(F.collect_list(EVIDENCE)).alias(EVIDENCE))
    plain = F.col(PATTERN).isNull()
    folders = files.select(*keys, license_dir(F.col(C.PATH)).alias(_FOLDER)).distinct()
    # Per folder, once: the licenses of its own and its ancestors' scopes, final (sorted,
    # distinct), and the Files: globs under them (numpy.libs/libgfortran*.so). A folder's
    # ancestors are its path's, without the path ("a/b" -> "", "a", "a/b").
    ancestors = F.array_distinct(ancestor_dirs(F.col(_FOLDER)))
    inherited = (
        folders.select(*keys, _FOLDER, F.explode(ancestors).alias(DIR))
        .join(by_dir, [*keys, DIR])
        .groupBy(*keys, _FOLDER)
        .agg(_sorted_union(F.when(plain, F.col(LICENSES))).alias(PATH_LICENSES),
             _sorted_union(F.when(plain, F.col(EVIDENCE))).alias(PATH_EVIDENCE),
             F.collect_list(F.when(~plain, F.struct(PATTERN, LICENSES, EVIDENCE))).alias(_GLOBS))
    )
    # Scopes that are one file's path (LICENSE.python covers itself), kept by that file's folder.
    own = (by_dir.where(plain)
           .select(*keys, license_dir(F.col(DIR)).alias(_FOLDER), F.struct(DIR, LICENSES, EVIDENCE).alias(_OWNED))
           .groupBy(*keys, _FOLDER).agg(F.collect_list(_OWNED).alias(_OWNED)))
    return folders.join(inherited, [*keys, _FOLDER], "left").join(own, [*keys, _FOLDER], "left")


def path_licenses(rows: DataFrame, folders: DataFrame) -> DataFrame:
    """`rows` (repo, snapshot, path, ...) with _path_licenses and _path_evidence: what the path
    rule finds for each file (folder_licenses of files that include them), null when nothing.

    One join by folder: the per-folder table is small (broadcast when measured so), and the
    rows, which carry SPDX heads, stream past it."""
    keys = [C.REPO_NAME, C.SNAPSHOT_ID]
    hits = [F.filter(_GLOBS, lambda g: F.regexp_like(F.col(C.PATH), g[PATTERN])),
            F.filter(_OWNED, lambda o: o[DIR] == F.col(C.PATH))]
    found = {}
    for name, part in ((PATH_LICENSES, LICENSES), (PATH_EVIDENCE, EVIDENCE)):
        parts = [F.col(name), *[F.flatten(F.transform(hit, _field(part))) for hit in hits]]
        parts = [F.coalesce(x, F.array().cast("array<string>")) for x in parts]
        found[name] = F.array_sort(F.array_distinct(F.concat(*parts)))
    covered = F.size(found[PATH_LICENSES]) > 0
    return (
        rows.withColumn(_FOLDER, license_dir(F.col(C.PATH)))
        .join(folders, [*keys, _FOLDER], "left")
        .select(*rows.columns, *[F.when(covered, column).alias(name) for name, column in found.items()])
    )


# folder_licenses' columns beside the path rule's two
_FOLDER, _GLOBS, _OWNED = "_folder", "_globs", "_owned"


def _field(name: str):
    """A one-argument lambda for F.transform (which reads a second argument as the index)."""
    return lambda element: element[name]


def _sorted_union(arrays: Column) -> Column:
    """An aggregate: the distinct elements of the arrays, sorted (nulls skipped)."""
    return F.array_sort(F.array_distinct(F.flatten(F.collect_list(arrays))))


# One file of one snapshot (extract keeps one repository per root directory), and what the
# license rule decides for it.
_FILE_KEYS = (C.REPO_NAME, C.SNAPSHOT_ID, C.PATH)
_DECISION = (C.DETECTED_LICENSES, C.LICENSE_TYPE, C.LICENSE_EVIDENCE)
_INPUTS = (C.GHA_LICENSE_ID, PATH_LICENSES, PATH_EVIDENCE, HEADER)  # all that decides a file's licenses
_DECISION_ID = "_license_decision_id"  # stage-internal: sha256 of a file's _INPUTS as JSON


def spdx_header(lc: LicensesConfig) -> Column:
    """The head of `content` the SPDX header rule reads, or null when it names no SPDX id: only
    those heads are shipped to Python."""
    head = F.substring(F.col(C.CONTENT), 1, lc.spdx_header_chars)
    # A byte search of the whole text first: most texts hold no marker, and cutting the head
    # (counting up to spdx_header_chars characters, copying them) of every text was ~6 s of
    # CPU on the 1.1 GB scale corpus. Nested, so Spark does not compute the head for all rows.
    return F.when(F.col(C.CONTENT).contains(SPDX_MARKER), F.when(F.instr(head, SPDX_MARKER) > 0, head))


def classify(files: DataFrame, scopes: DataFrame, lc: LicensesConfig) -> DataFrame:
    """Adds detected_licenses (path rule + the file's own SPDX headers), license_type and
    license_evidence (kind:id:source of each decided id; kept on rejects only). `scopes`:
    license_scopes' rows for the files' snapshots."""
    headed = files.drop(*_DECISION).withColumn(HEADER, spdx_header(lc))
    inputs = with_decision_id(path_licenses(headed, folder_licenses(files, scopes)))
    columns = [F.col(c) for c in files.columns if c not in _DECISION]
    return inputs.join(decide(inputs, lc), _DECISION_ID).select(*columns, *_DECISION)


def with_decision_id(frame: DataFrame) -> DataFrame:
    """`frame` (holding _INPUTS) with _DECISION_ID: the sha256 of the inputs, which name a decision."""
    return frame.withColumn(_DECISION_ID, F.unhex(F.sha2(F.to_json(F.struct(*_INPUTS)), 256)))


def decide(inputs: DataFrame, lc: LicensesConfig) -> DataFrame:
    """(_DECISION_ID, detected_licenses, license_type, license_evidence), one row per distinct
    inputs of `inputs` (with_decision_id rows): the rule, run once for the files that share them."""
    rule = _classifier(lc.permissive_list, lc.blueoak_lead_is_permissive, lc.copyleft_overrides_gha)
    result = rule(*[F.col(c) for c in _INPUTS])
    return inputs.select(_DECISION_ID, *_INPUTS).dropDuplicates([_DECISION_ID]).select(
        _DECISION_ID, *[result[c].alias(c) for c in _DECISION])


def _classifier(permissive_list, lead_is_permissive: bool, copyleft_overrides_gha: bool):
    @F.pandas_udf(RESULT_TYPE)
    def decide(gha: pd.Series, found: pd.Series, evidence: pd.Series, header: pd.Series) -> pd.DataFrame:
        tables = L.load_tables(permissive_list, lead_is_permissive)
        detected, types, why = [], [], []
        for gha_id, ids, entries, text in zip(gha, found, evidence, header, strict=True):
            own = L.spdx_header_ids(text, tables) if isinstance(text, str) else ()
            ids = L.merge_ids(ids if ids is not None else (), own)
            detected.append(ids)
            gha_id = gha_id if isinstance(gha_id, str) else None  # pandas may hand a null as NaN
            types.append(L.license_type(gha_id, ids, tables, copyleft_overrides_gha))
            entries = list(entries) if entries is not None else []
            entries += [L.evidence_entry("header", x, "") for x in own]
            if gha_id:
                entries.append(L.evidence_entry("github", gha_id, ""))
            why.append(sorted(set(entries)))
        return pd.DataFrame({C.DETECTED_LICENSES: detected, C.LICENSE_TYPE: types, C.LICENSE_EVIDENCE: why})

    return decide


def check(cfg: Config) -> None:
    # The license tables are read on every worker: a bad permissive list fails now, by name.
    L.load_tables(cfg.licenses.permissive_list, cfg.licenses.blueoak_lead_is_permissive)


# Bump when codecurate's own handling of a scan changes (codecurate.text.licenses: scan_license_text,
# evidence kinds, normalise_license_text): stored scans of earlier runs are then recomputed.
RESULTS_VERSION = 3  # 3: evidence by section (Files: stanzas, appendices)


# A scan depends on the normalised text (the key: texts differing only in copyright lines share
# one scan, within a run and across runs) and on the scan options, nothing else: the scopes,
# the path rule and license_type are joins and table lookups redone on every run (cheap), so
# a changed permissive list or Blue Oak tier reuses every scan.
RESULTS = ContentResults(
    key=(NORM_KEY,),
    results=tuple(_SCAN_ARROW)[1:],
    compute=lambda blobs, cfg: scan_texts(blobs, cfg.licenses),
    config=lambda cfg: dataclasses.asdict(scan_options(cfg.licenses)),
    versions=lambda cfg: {"scancode-toolkit": metadata.version("scancode-toolkit"),
                          "codecurate.licenses": RESULTS_VERSION},
)

STAGE = Stage(name=NAME, requires=REQUIRES, apply=run, adds=ADDS, reject_columns=REJECT_COLUMNS,
              check=check, content_results=RESULTS, recompute_tagged=True)
