"""Stage 1, extract: SWH graph export -> one row per file of each origin's chosen revision.

Per origin: the latest visit with status `full` and a snapshot; in it the branch named by the
repo metadata's default_branch, else HEAD (aliases resolved), else refs/heads/main, else
refs/heads/master; its revision's root directory, walked level by level. Repositories with an
identical root directory are walked once and kept once. Blobs are read once per distinct sha1.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from codecurate import columns as C
from codecurate.config import Config
from codecurate.reasons import DropReason
from codecurate.spark import blobs
from codecurate.spark.arrow import map_to_arrow
from codecurate.spark.export import SwhExport
from codecurate.stages.base import Source, SourceResult, StageContext, mark_dropped

NAME = "extract"

KNOWN_VISIT_STATUSES = ("created", "ongoing", "full", "partial", "failed", "not_found")
BRANCH_PRIORITY = ("default_branch", "HEAD", "refs/heads/main", "refs/heads/master")
SYMLINK_PERMS = 0o120000  # git mode of a symbolic link; SWH stores the mode as an integer
FORGES = ("github.com", "gitlab.com", "bitbucket.org")

# Repository-level rejects (origins that yield no files at all) carry one of these.
REPO_NO_FULL_VISIT = "no_full_visit"
REPO_NO_BRANCH = "no_branch"  # none of the candidate branches resolves to a revision
REPO_MISSING_REVISION = "missing_revision"


_TS = pa.timestamp("us", tz="UTC")
# the-stack-v2's columns, in its order, and the decoded text
ADDS = (
    pa.field(C.BLOB_ID, pa.string()),
    pa.field(C.DIRECTORY_ID, pa.string()),
    pa.field(C.PATH, pa.string()),
    pa.field(C.CONTENT_ID, pa.string()),
    pa.field(C.REPO_NAME, pa.string()),
    pa.field(C.SNAPSHOT_ID, pa.string()),
    pa.field(C.REVISION_ID, pa.string()),
    pa.field(C.BRANCH_NAME, pa.string()),
    pa.field(C.VISIT_DATE, _TS),
    pa.field(C.REVISION_DATE, _TS),
    pa.field(C.COMMITTER_DATE, _TS),
    pa.field(C.GITHUB_ID, pa.int64()),
    pa.field(C.STAR_EVENTS_COUNT, pa.int64()),
    pa.field(C.FORK_EVENTS_COUNT, pa.int64()),
    pa.field(C.GHA_LICENSE_ID, pa.string()),
    pa.field(C.GHA_EVENT_CREATED_AT, _TS),
    pa.field(C.GHA_CREATED_AT, _TS),
    pa.field(C.GHA_LANGUAGE, pa.string()),
    pa.field(C.SRC_ENCODING, pa.string()),
    pa.field(C.LENGTH_BYTES, pa.int64()),
    pa.field(C.EXTENSION, pa.string()),
    pa.field(C.CONTENT, pa.string()),
)


def repo_name_from_url(url: Column) -> Column:
    """github.com/owner/repo -> owner/repo; file:///x/y -> local/y; other hosts keep the host."""
    bare = F.regexp_replace(F.regexp_replace(url, r"^[A-Za-z][A-Za-z0-9+.-]*://(www\.)?", ""), r"(\.git)?/*$", "")
    host = F.lower(F.split(bare, "/").getItem(0))
    after_host = F.regexp_replace(bare, r"^[^/]*/", "")
    local = F.concat(F.lit("local/"), F.regexp_extract(bare, r"([^/]+)$", 1))
    return (
        F.when(url.startswith("file://"), local)
        .when(host.isin(*FORGES), after_host)
        .otherwise(bare)
    )


def _latest_full_visits(export: SwhExport) -> tuple[DataFrame, DataFrame]:
    statuses = export["origin_visit_status"]
    usable = statuses.filter((F.col("status") == "full") & F.col("snapshot").isNotNull())
    latest = Window.partitionBy("origin").orderBy(F.col("date").desc(), F.col("visit").desc())
    visits = (
        usable.withColumn("_rank", F.row_number().over(latest))
        .filter("_rank = 1")
        .select(F.col("origin").alias("origin_url"), F.col("snapshot").alias(C.SNAPSHOT_ID),
                F.col("date").alias(C.VISIT_DATE))
    )
    origins = export["origin"].select(F.col("url").alias("origin_url")).distinct()
    without = (
        origins.join(visits, "origin_url", "left_anti")
        .select(repo_name_from_url(F.col("origin_url")).alias(C.REPO_NAME), "origin_url",
                F.lit(REPO_NO_FULL_VISIT).alias(C.DROP_REASON))
    )
    # Origins present only in origin_visit_status still count: the status table is what we use.
    return visits.withColumn(C.REPO_NAME, repo_name_from_url(F.col("origin_url"))), without


def _with_metadata(visits: DataFrame, export: SwhExport) -> DataFrame:
    meta = export.repo_metadata
    fields = [C.GITHUB_ID, C.STAR_EVENTS_COUNT, C.FORK_EVENTS_COUNT, C.GHA_LICENSE_ID,
              C.GHA_EVENT_CREATED_AT, C.GHA_CREATED_AT, C.GHA_LANGUAGE, "default_branch"]
    if meta is None:
        types = {C.GITHUB_ID: "bigint", C.STAR_EVENTS_COUNT: "bigint", C.FORK_EVENTS_COUNT: "bigint",
                 C.GHA_EVENT_CREATED_AT: "timestamp", C.GHA_CREATED_AT: "timestamp"}
        return visits.select("*", *[F.lit(None).cast(types.get(f, "string")).alias(f) for f in fields])
    # GitHub names are case-insensitive; the newest metadata row per repo wins, ties by id.
    newest = Window.partitionBy("_key").orderBy(
        F.col(C.GHA_EVENT_CREATED_AT).desc_nulls_last(), F.col(C.GITHUB_ID).desc_nulls_last(),
        F.col(C.REPO_NAME))
    meta = (
        meta.withColumn("_key", F.lower(C.REPO_NAME))
        .withColumn("_rank", F.row_number().over(newest)).filter("_rank = 1")
        .select("_key", *fields)
    )
    return (
        visits.withColumn("_key", F.lower(C.REPO_NAME))
        .join(meta, "_key", "left").drop("_key")
    )


def _resolve_branches(visits: DataFrame, export: SwhExport) -> tuple[DataFrame, DataFrame]:
    """Per visit: the first candidate branch (by BRANCH_PRIORITY) that reaches a revision."""
    # C.SNAPSHOT_ID is spelled like the export's snapshot_branch.snapshot_id: join by name.
    branches = export["snapshot_branch"].join(visits.select(C.SNAPSHOT_ID).distinct(), C.SNAPSHOT_ID)
    named = branches.select(
        "snapshot_id", F.col("name").cast("string").alias("branch"), "target", "target_type",
        F.lower(F.hex("name")).alias("name_hex"),
    )
    # An alias's target is the hex of the branch name it points to (HEAD -> refs/heads/main).
    aliased = named.alias("a").join(
        named.alias("t"),
        (F.col("a.snapshot_id") == F.col("t.snapshot_id")) & (F.col("a.target") == F.col("t.name_hex"))
        & (F.col("a.target_type") == "alias"),
        "left",
    )
    resolved = aliased.select(
        F.col("a.snapshot_id").alias("snapshot_id"),
        F.col("a.branch").alias("candidate"),
        F.when(F.col("a.target_type") == "alias", F.col("t.branch")).otherwise(F.col("a.branch")).alias("branch"),
        F.when(F.col("a.target_type") == "alias", F.col("t.target")).otherwise(F.col("a.target")).alias("target"),
        F.when(F.col("a.target_type") == "alias", F.col("t.target_type"))
        .otherwise(F.col("a.target_type")).alias("target_type"),
    ).filter(F.col("target_type") == "revision")

    default_ref = F.when(
        F.col("default_branch").startswith("refs/"), F.col("default_branch")
    ).otherwise(F.concat(F.lit("refs/heads/"), F.col("default_branch")))
    candidates = visits.join(resolved, C.SNAPSHOT_ID)
    priority = (
        F.when(F.col("default_branch").isNotNull() & (F.col("candidate") == default_ref), 0)
        .when(F.col("candidate") == "HEAD", 1)
        .when(F.col("candidate") == "refs/heads/main", 2)
        .when(F.col("candidate") == "refs/heads/master", 3)
    )
    first = Window.partitionBy("origin_url").orderBy("_priority")
    chosen = (
        candidates.withColumn("_priority", priority).filter(F.col("_priority").isNotNull())
        .withColumn("_rank", F.row_number().over(first)).filter("_rank = 1")
        .drop("_rank", "_priority", "candidate", "target_type")
        .withColumnRenamed("branch", C.BRANCH_NAME).withColumnRenamed("target", C.REVISION_ID)
    )
    without = visits.join(chosen.select("origin_url"), "origin_url", "left_anti").select(
        C.REPO_NAME, "origin_url", F.lit(REPO_NO_BRANCH).alias(C.DROP_REASON))
    return chosen, without


def _with_revisions(chosen: DataFrame, export: SwhExport) -> tuple[DataFrame, DataFrame]:
    revisions = export["revision"].select(
        F.col("id").alias(C.REVISION_ID), F.col("directory").alias(C.DIRECTORY_ID),
        F.col("date").alias(C.REVISION_DATE), F.col("committer_date").alias(C.COMMITTER_DATE),
    ).dropDuplicates([C.REVISION_ID])
    repos = chosen.join(revisions, C.REVISION_ID, "left")
    missing = repos.filter(F.col(C.DIRECTORY_ID).isNull()).select(
        C.REPO_NAME, "origin_url", F.lit(REPO_MISSING_REVISION).alias(C.DROP_REASON))
    return repos.filter(F.col(C.DIRECTORY_ID).isNotNull()), missing


def _mark_duplicate_repos(repos: DataFrame) -> DataFrame:
    """Repos sharing a root directory: one survivor, by the dedup order (stars, forks, name)."""
    order = Window.partitionBy(C.DIRECTORY_ID).orderBy(
        F.col(C.STAR_EVENTS_COUNT).desc_nulls_last(), F.col(C.FORK_EVENTS_COUNT).desc_nulls_last(),
        F.col(C.VISIT_DATE).desc(), F.col(C.REPO_NAME), F.col("origin_url"))
    return repos.withColumn("_duplicate_repo", F.row_number().over(order) > 1)


def _name_checks(name_col: str) -> tuple[Column, Column]:
    """(decoded name, is the name usable as a path component)."""
    as_text = F.col(name_col).cast("string")
    valid = (
        F.expr(f"is_valid_utf8(cast({name_col} as string))")
        & ~as_text.rlike(r"[\x00-\x1f\x7f/]")
        & ~as_text.isin(".", "..", "")
    )
    return as_text, valid


def _printable(name_col: str) -> Column:
    """A readable stand-in for a rejected name (rejects only): bad bytes and controls -> U+FFFD."""
    return F.regexp_replace(F.expr(f"make_valid_utf8(cast({name_col} as string))"), r"[\x00-\x1f\x7f/]", "\uFFFD")


def _walk(roots: DataFrame, export: SwhExport, max_depth: int, ctx: StageContext) -> DataFrame:
    """Level-by-level traversal from distinct root directories.

    Returns (root, path, target, perms, drop_reason) for every file entry reached, plus one row
    per subtree that could not be entered (bad name or too deep), so nothing vanishes unrecorded.
    """
    entries = export["directory_entry"].select("directory_id", "name", "type", "target", "perms")
    frontier = ctx.checkpoint(
        roots.select(F.col(C.DIRECTORY_ID).alias("_root"), F.col(C.DIRECTORY_ID).alias("_dir"),
                     F.lit("").alias("_prefix")).distinct())
    found: list[DataFrame] = []
    depth = 0
    while True:
        level = frontier.join(entries, frontier["_dir"] == entries["directory_id"])
        name, valid = _name_checks("name")
        level = level.select(
            "_root", "type", "target", "perms", valid.alias("_valid"),
            F.concat(F.col("_prefix"), F.when(valid, name).otherwise(_printable("name"))).alias(C.PATH),
        )
        files = level.filter(F.col("type") == "file").select(
            "_root", C.PATH, "target", "perms",
            F.when(~F.col("_valid"), F.lit(DropReason.INVALID_PATH.value)).alias("_walk_reason"))
        dirs = level.filter(F.col("type") == "dir")
        unenterable = dirs.filter(~F.col("_valid") | F.lit(depth + 1 > max_depth)).select(
            "_root", C.PATH, "target", "perms",
            F.when(~F.col("_valid"), F.lit(DropReason.INVALID_PATH.value))
            .otherwise(F.lit(DropReason.TREE_TOO_DEEP.value)).alias("_walk_reason"))
        found += [files, unenterable]
        if depth + 1 > max_depth:
            break
        frontier = ctx.checkpoint(
            dirs.filter("_valid").select("_root", F.col("target").alias("_dir"),
                                         F.concat(F.col(C.PATH), F.lit("/")).alias("_prefix")))
        if frontier.isEmpty():
            break
        depth += 1
    ctx.metric("tree_levels_walked", depth + 1)
    result = found[0]
    for frame in found[1:]:
        result = result.unionByName(frame)
    return result


BLOB_SCHEMA = pa.schema([("_blob", pa.string()), (C.CONTENT, pa.string()),
                         (C.SRC_ENCODING, pa.string()), ("_blob_reason", pa.string())])


def blob_reader(blob_root: str | None, cap: int):
    schema = BLOB_SCHEMA

    def read(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        out: dict[str, list] = {name: [] for name in schema.names}
        size = 0
        for batch in batches:
            for sha1, length, data in zip(batch.column("_blob").to_pylist(),
                                          batch.column("length").to_pylist(),
                                          batch.column("data").to_pylist(), strict=True):
                blob = blobs.load(blob_root, sha1, length, data, cap)
                out["_blob"].append(sha1)
                out[C.CONTENT].append(blob.content)
                out[C.SRC_ENCODING].append(blob.encoding)
                out["_blob_reason"].append(blob.reason.value if blob.reason else None)
                size += len(blob.content or "")
                # Files go up to 10 MiB: flush by bytes, not rows, to keep Arrow batches bounded.
                if size >= 32 * 1024 * 1024:
                    yield pa.RecordBatch.from_pydict(out, schema=schema)
                    out = {name: [] for name in schema.names}
                    size = 0
        if out["_blob"]:
            yield pa.RecordBatch.from_pydict(out, schema=schema)

    return read


def run(export: SwhExport, cfg: Config, ctx: StageContext) -> SourceResult:
    visits, no_visit = _latest_full_visits(export)
    unknown = export["origin_visit_status"].filter(~F.col("status").isin(*KNOWN_VISIT_STATUSES))
    ctx.metric("unknown_visit_statuses", sorted(r[0] for r in unknown.select("status").distinct().limit(20).collect()))
    visits = _with_metadata(visits, export)
    chosen, no_branch = _resolve_branches(visits, export)
    repos, no_revision = _with_revisions(chosen, export)
    repos = ctx.checkpoint(_mark_duplicate_repos(repos))

    walked = _walk(repos.select(C.DIRECTORY_ID), export, cfg.extract.max_depth, ctx)
    files = repos.join(walked, repos[C.DIRECTORY_ID] == walked["_root"]).drop("_root")
    # A duplicate repository is rejected whole, before anything is said about its files.
    files = mark_dropped(files, F.col("_duplicate_repo"), DropReason.DUPLICATE_REPOSITORY)
    files = files.withColumn(C.DROP_REASON, F.coalesce(C.DROP_REASON, "_walk_reason"))
    files = mark_dropped(files, F.col("perms") == SYMLINK_PERMS, DropReason.SYMLINK)

    content = export["content"].select(
        F.col("sha1_git").alias("target"), F.col("sha1").alias(C.BLOB_ID), "length", "status", "data"
    ).dropDuplicates(["target"])
    skipped = export["skipped_content"].select(
        F.col("sha1_git").alias("target"), F.lit(True).alias("_skipped")).dropDuplicates(["target"])
    files = files.join(content, "target", "left").join(skipped, "target", "left")
    files = mark_dropped(files, F.col("_skipped") & F.col(C.BLOB_ID).isNull(), DropReason.SKIPPED_CONTENT)
    files = mark_dropped(files, F.col(C.BLOB_ID).isNull(), DropReason.MISSING_CONTENT)
    files = mark_dropped(files, F.col("status") != "visible", DropReason.CONTENT_NOT_VISIBLE)
    files = mark_dropped(files, F.col("length") > cfg.extract.max_file_bytes, DropReason.TOO_LARGE)

    # Each distinct blob is fetched and decoded once, however many repos hold it.
    wanted = files.filter(F.col(C.DROP_REASON).isNull()).select(
        F.col(C.BLOB_ID).alias("_blob"), "length", "data").dropDuplicates(["_blob"])
    loaded = map_to_arrow(wanted, blob_reader(cfg.input.blobs, cfg.extract.max_file_bytes), BLOB_SCHEMA)
    files = files.drop("data")
    files = files.join(loaded, files[C.BLOB_ID] == loaded["_blob"], "left").drop("_blob")
    files = files.withColumn(
        C.DROP_REASON, F.coalesce(F.col(C.DROP_REASON), F.col("_blob_reason")))

    basename = F.regexp_extract(F.col(C.PATH), r"([^/]*)$", 1)
    extension = F.regexp_extract(basename, r"^.+\.([^.]+)$", 1)
    files = files.select(
        C.BLOB_ID, C.DIRECTORY_ID, C.PATH,
        F.col("target").alias(C.CONTENT_ID), C.REPO_NAME, C.SNAPSHOT_ID, C.REVISION_ID,
        C.BRANCH_NAME, C.VISIT_DATE, C.REVISION_DATE, C.COMMITTER_DATE, C.GITHUB_ID,
        C.STAR_EVENTS_COUNT, C.FORK_EVENTS_COUNT, C.GHA_LICENSE_ID, C.GHA_EVENT_CREATED_AT,
        C.GHA_CREATED_AT, C.GHA_LANGUAGE, C.SRC_ENCODING,
        F.col("length").alias(C.LENGTH_BYTES),
        F.when(extension == "", None).otherwise(extension).alias(C.EXTENSION),
        C.CONTENT, C.DROP_REASON,
    )
    repo_rejects = no_visit.unionByName(no_branch).unionByName(no_revision)
    return SourceResult(files=files, repos=repo_rejects)


STAGE = Source(name=NAME, read=run, adds=ADDS)
