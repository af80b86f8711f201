"""Stage 1, extract: SWH graph export -> one row per file of each origin's chosen revision.

Per origin: the latest visit with status `full` and a snapshot; in it the branch named by the
repo metadata's default_branch, else HEAD (aliases resolved), else refs/heads/main, else
refs/heads/master; its revision's root directory, walked level by level. Repositories with an
identical root directory are walked once and kept once. Blobs are read once per distinct sha1.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import metadata
from typing import Any

import pyarrow as pa
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from codecurate import columns as C
from codecurate.config import Config
from codecurate.reasons import DropReason
from codecurate.spark import blobs
from codecurate.spark.arrow import map_to_arrow
from codecurate.spark.export import SwhExport
from codecurate.stages.base import (
    Source,
    SourceResult,
    StageContext,
    broadcast_if_small,
    hinted,
    hinted_checkpoint,
    mark_dropped,
    measured_bytes,
    observed_checkpoint,
    row_bytes,
)

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
# the-stack-v2's columns, in its order (the decoded text goes to the run's contents table, not
# to the stage frames: codecurate.stages.base.with_content, CONTENT_FIELD)
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


def _resolve_branches(visits: DataFrame, export: SwhExport, ctx: StageContext) -> tuple[DataFrame, DataFrame]:
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
    # Materialised: the kept repositories and both kinds of reject below read it.
    chosen = ctx.checkpoint(
        candidates.withColumn("_priority", priority).filter(F.col("_priority").isNotNull())
        .withColumn("_rank", F.row_number().over(first)).filter("_rank = 1")
        .drop("_rank", "_priority", "candidate", "target_type")
        .withColumnRenamed("branch", C.BRANCH_NAME).withColumnRenamed("target", C.REVISION_ID)
    )
    without = visits.join(chosen.select("origin_url"), "origin_url", "left_anti").select(
        C.REPO_NAME, "origin_url", F.lit(REPO_NO_BRANCH).alias(C.DROP_REASON))
    # hostile input: a branch name (bytes in the export) that is not UTF-8 text or holds control
    # characters would be published as an invalid Parquet string; the origin is rejected instead.
    valid = _valid_text(C.BRANCH_NAME)
    invalid = chosen.filter(~valid).select(
        C.REPO_NAME, "origin_url", F.lit(DropReason.INVALID_BRANCH.value).alias(C.DROP_REASON))
    return chosen.filter(valid), without.unionByName(invalid)


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


def _valid_text(text_col: str) -> Column:
    """Non-null, valid UTF-8, no control characters (NUL included); never null itself."""
    return F.coalesce(
        F.expr(f"is_valid_utf8({text_col})") & ~F.col(text_col).rlike(r"[\x00-\x1f\x7f]"),
        F.lit(False))


def _name_checks(name_col: str) -> tuple[Column, Column]:
    """(decoded name, is the name usable as a path component). A null name is not."""
    as_text = F.col(name_col).cast("string")
    valid = F.coalesce(
        F.expr(f"is_valid_utf8(cast({name_col} as string))")
        & ~as_text.rlike(r"[\x00-\x1f\x7f/]")
        & ~as_text.isin(".", "..", ""),
        F.lit(False))
    return as_text, valid


def _printable(name_col: str) -> Column:
    """A readable stand-in for a rejected name (rejects only): bad bytes and controls -> U+FFFD,
    a null name -> U+FFFD."""
    return F.coalesce(
        F.regexp_replace(F.expr(f"make_valid_utf8(cast({name_col} as string))"), r"[\x00-\x1f\x7f/]", "\uFFFD"),
        F.lit("\uFFFD"))


def _walk(roots: DataFrame, export: SwhExport, cfg: Config, ctx: StageContext) -> tuple[DataFrame, DataFrame]:
    """Level-by-level traversal from distinct root directories: (entries, bad roots).

    Entries are (root, path, target, perms, drop_reason) for every file entry reached, plus one
    row per entry that is not a file and cannot be entered (a submodule, an unknown type, a bad
    name, a subtree too deep), so nothing vanishes unrecorded. Bad roots are (root, reason) for
    trees rejected whole, whose entries must not be published: `tree_cycle` (a directory that
    contains itself) and `tree_too_large` (over extract.max_*_per_origin).

    Hostile-input bounds (kept apart from the traversal itself, see _over_cap): before a level
    is built, its size per root is projected from the frontier and the directories' entry
    counts; a root whose total would pass the cap leaves the frontier first, so the work done
    is bounded by the entries actually emitted plus one cap per root, whatever the export.
    """
    x = cfg.extract
    entries = export["directory_entry"].select("directory_id", "name", "type", "target", "perms")
    # Entries and name bytes per directory, computed once: the cap check of every level reads
    # this (one row per directory) instead of scanning directory_entry again.
    sizes = ctx.checkpoint(entries.groupBy("directory_id").agg(
        F.count(F.lit(1)).alias("_n"), F.sum(F.coalesce(F.length("name"), F.lit(0))).alias("_name_bytes")))
    # _seen: 64-bit hashes of the directories above (root included), to spot a directory that
    # contains itself; at most max_depth (64) longs a row.
    frontier = ctx.checkpoint(
        roots.select(F.col(C.DIRECTORY_ID).alias("_root"), F.col(C.DIRECTORY_ID).alias("_dir"),
                     F.lit("").alias("_prefix"),
                     F.array(F.xxhash64(C.DIRECTORY_ID)).alias("_seen")).distinct())
    totals = None  # per root: entries and path bytes listed so far
    found: list[DataFrame] = []
    bad: list[DataFrame] = []
    depth = 0
    # A frontier is measured before each level: when small it is broadcast to the joins with
    # the directories, which then scan directory_entry and the per-directory sizes where they
    # lie instead of shuffling them (two shuffles and ~1 s of Spark jobs fewer a level). Each
    # level measures the next frontier while it is materialised (observed_checkpoint), and the
    # cap check counts the roots it stops the same way: a level is two Spark queries, not four.
    size = measured_bytes(frontier)
    while True:
        frontier = hinted(frontier, size, cfg)
        totals, over, stopped = _over_cap(frontier, sizes, totals, x.max_entries_per_origin,
                                          x.max_path_bytes_per_origin, ctx)
        bad.append(over)
        if stopped:  # rare (hostile or huge trees): spares a shuffle per level
            # fewer rows than were measured: the hint still holds, and a join hides it
            frontier = hinted(frontier.join(over, "_root", "left_anti"), size, cfg)
        name, valid = _name_checks("name")
        plan = frontier.join(entries, frontier["_dir"] == entries["directory_id"]).select(
            "_root", F.coalesce(F.col("type"), F.lit("")).alias("_kind"), "target", "perms", "_seen",
            valid.alias("_valid"),
            F.concat(F.col("_prefix"), F.when(valid, name).otherwise(_printable("name"))).alias(C.PATH),
        )
        kind = F.col("_kind")
        cycle = F.array_contains(F.col("_seen"), F.xxhash64("target"))
        entered = (kind == "dir") & F.col("_valid") & ~cycle
        # The next frontier: a row per directory entered, built from this level's row.
        step = {"_root": F.col("_root"), "_dir": F.col("target"),
                "_prefix": F.concat(F.col(C.PATH), F.lit("/")),
                "_seen": F.array_append("_seen", F.xxhash64("target"))}
        shape = plan.select(*[column.alias(name) for name, column in step.items()])
        # Each level is materialised once: its files, its other entries and the next frontier
        # are all read from it, so directory_entry is scanned once per level, not once per use
        # (the lazy version re-ran every level's join when the final union was written).
        level, seen = observed_checkpoint(
            plan, ctx, size=F.coalesce(F.sum(F.when(entered, row_bytes(shape, step))), F.lit(0)))
        files = level.filter(kind == "file").select(
            "_root", C.PATH, "target", "perms",
            F.when(~F.col("_valid"), F.lit(DropReason.INVALID_PATH.value)).alias("_walk_reason"))
        # Submodules and entry types this code does not know are recorded, not dropped silently.
        others = level.filter(~kind.isin("file", "dir")).select(
            "_root", C.PATH, "target", "perms",
            F.when(kind == "rev", F.lit(DropReason.SUBMODULE.value))
            .otherwise(F.lit(DropReason.UNKNOWN_ENTRY_TYPE.value)).alias("_walk_reason"))
        dirs = level.filter(kind == "dir")
        bad.append(dirs.filter(cycle).select("_root", F.lit(DropReason.TREE_CYCLE.value).alias("_bad")))
        unenterable = dirs.filter(~F.col("_valid") | F.lit(depth + 1 > x.max_depth)).select(
            "_root", C.PATH, "target", "perms",
            F.when(~F.col("_valid"), F.lit(DropReason.INVALID_PATH.value))
            .otherwise(F.lit(DropReason.TREE_TOO_DEEP.value)).alias("_walk_reason"))
        found += [files, others, unenterable]
        if depth + 1 > x.max_depth:
            break
        frontier = level.filter(entered).select(*[column.alias(name) for name, column in step.items()])
        size = seen["size"]
        if size == 0:  # no directory left to enter
            break
        depth += 1
    ctx.metric("tree_levels_walked", depth + 1)
    result = found[0]
    for frame in found[1:]:
        result = result.unionByName(frame)
    rejected = bad[0]
    for frame in bad[1:]:
        rejected = rejected.unionByName(frame)
    # one reason per root: tree_cycle before tree_too_large (alphabetical = this order)
    rejected = rejected.groupBy("_root").agg(F.min("_bad").alias("_bad"))
    # Materialised: the files, the empty-tree check and the repository rejects all read it.
    # The rejected roots are few (none on most exports): broadcast, the files are not shuffled.
    rejected = hinted_checkpoint(rejected, ctx, cfg)
    return ctx.checkpoint(result.join(rejected, "_root", "left_anti")), rejected


def _over_cap(frontier: DataFrame, sizes: DataFrame, totals: DataFrame | None, max_entries: int,
              max_bytes: int, ctx: StageContext) -> tuple[DataFrame, DataFrame, int]:
    """(running totals including the next level, roots the next level would take over a cap,
    how many they are).

    The next level lists, per frontier row, every entry of its directory: per root that is
    sum(entries) rows and sum(prefix bytes x entries + name bytes) path bytes over its rows,
    computed from the per-directory counts (`sizes`) without building the level.
    """
    # Per frontier row: its directory's entries, each listed under the row's prefix (one
    # aggregation, by root: grouping by (root, directory) first cost a shuffle per level).
    level = (frontier.join(sizes, frontier["_dir"] == sizes["directory_id"]).groupBy("_root")
             .agg(F.sum("_n").alias("_entries"),
                  F.sum(F.octet_length("_prefix") * F.col("_n") + F.col("_name_bytes")).alias("_bytes")))
    if totals is not None:
        level = level.unionByName(totals).groupBy("_root").agg(
            F.sum("_entries").alias("_entries"), F.sum("_bytes").alias("_bytes"))
    too_large = (F.col("_entries") > max_entries) | (F.col("_bytes") > max_bytes)
    totals, seen = observed_checkpoint(level, ctx, over=F.count(F.when(too_large, 1)))
    over = totals.filter(too_large).select("_root", F.lit(DropReason.TREE_TOO_LARGE.value).alias("_bad"))
    return totals, over, seen["over"]


BLOB_SCHEMA = pa.schema([("_blob", pa.string()), (C.CONTENT, pa.string()),
                         (C.SRC_ENCODING, pa.string()), ("_blob_reason", pa.string())])


def blob_reader(blob_root: str | None, cap: int):
    schema = BLOB_SCHEMA

    def read(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        out: dict[str, list] = {name: [] for name in schema.names}
        size = 0
        for batch in batches:
            for sha1, git, length, data in zip(batch.column("_blob").to_pylist(),
                                               batch.column("_git").to_pylist(),
                                               batch.column("length").to_pylist(),
                                               batch.column("data").to_pylist(), strict=True):
                blob = blobs.load(blob_root, sha1, length, data, cap, git)
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
    # Materialised (one row per origin): the chosen branches and every repository reject
    # derive from it, and recomputing the visit and metadata windows each time cost ~10 s.
    visits = ctx.checkpoint(_with_metadata(visits, export))
    chosen, no_branch = _resolve_branches(visits, export, ctx)
    repos, no_revision = _with_revisions(chosen, export)
    # One row per repository: broadcast to the joins below when they measure small, so the
    # walked files stream past them.
    repos = hinted_checkpoint(_mark_duplicate_repos(repos), ctx, cfg)

    walked, bad_trees = _walk(repos.select(C.DIRECTORY_ID), export, cfg, ctx)
    files = repos.join(walked, repos[C.DIRECTORY_ID] == walked["_root"]).drop("_root")
    # Every origin that reached a root directory but yields no row ends up in repo_rejects:
    # trees rejected whole, and trees with no file entry at all (an empty root, or a revision
    # whose directory is missing from the export: the two look the same here).
    rejected_trees = repos.join(bad_trees, repos[C.DIRECTORY_ID] == bad_trees["_root"]).select(
        C.REPO_NAME, "origin_url", F.col("_bad").alias(C.DROP_REASON))
    empty_trees = (
        repos.join(walked.select(F.col("_root").alias(C.DIRECTORY_ID)).distinct(), C.DIRECTORY_ID, "left_anti")
        .join(bad_trees.select(F.col("_root").alias(C.DIRECTORY_ID)), C.DIRECTORY_ID, "left_anti")
        .select(C.REPO_NAME, "origin_url", F.lit(DropReason.EMPTY_TREE.value).alias(C.DROP_REASON)))
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
    # Materialised once: the blobs to decode, the kept blob ids and the tagged files all read
    # it, where each of them ran the walk's joins with the export's content tables again (~6 s
    # a time on the 1.1 GB scale corpus). `data` (content.data) is null when the blobs are in
    # a store, as in SWH's exports: only an export that ships its bytes inline writes them here.
    files = ctx.checkpoint(files)

    # Each distinct blob is fetched and decoded once, however many repos hold it. The blobs
    # are spread over two tasks a core: adaptive execution would size the tasks by their rows
    # (~1 MB of ids each), and an incremental run's 14k new blobs on the 1.1 GB scale corpus
    # were decoded by one task while the other core idled. The texts are written by the same
    # tasks, so the stages that read new texts back spread over the cores too.
    kept_files = files.filter(F.col(C.DROP_REASON).isNull())
    kept_blobs = kept_files.select(C.BLOB_ID).distinct()
    wanted = (kept_files.select(F.col(C.BLOB_ID).alias("_blob"), F.col("target").alias("_git"), "length", "data")
              .repartition(2 * ctx.spark.sparkContext.defaultParallelism, "_blob").dropDuplicates(["_blob"]))
    earlier = ctx.previous_contents()
    if earlier is not None:
        # Incremental: the texts an earlier run decoded are carried over into this run's table
        # by store_contents; only the other blobs are fetched and decoded.
        known = broadcast_if_small(earlier.select(F.col(C.BLOB_ID).alias("_blob")), cfg)
        wanted = wanted.join(known, "_blob", "left_anti")
    loaded = map_to_arrow(wanted, blob_reader(cfg.input.blobs, cfg.extract.max_file_bytes), BLOB_SCHEMA)
    if ctx.store_contents is not None:
        # The texts go to the run's contents table, once per blob, and nowhere else: the files
        # take the encoding and the decode's verdict from it (reading no content back), and
        # every later stage looks content up there (codecurate.stages.base.with_content).
        stored = ctx.store_contents(loaded.withColumnRenamed("_blob", C.BLOB_ID), kept_blobs)
        # Narrow (no text), read from Parquet: measured, and broadcast when small, so that
        # writing kept and rejects streams the files twice instead of shuffling them twice.
        loaded = broadcast_if_small(stored.select(F.col(C.BLOB_ID).alias("_blob"), C.SRC_ENCODING, "_blob_reason"),
                                    cfg)
    files = files.drop("data").join(loaded, files[C.BLOB_ID] == loaded["_blob"], "left").drop("_blob")
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
        *[C.CONTENT] * (C.CONTENT in files.columns), C.DROP_REASON,
    )
    repo_rejects = (no_visit.unionByName(no_branch).unionByName(no_revision)
                    .unionByName(rejected_trees).unionByName(empty_trees))
    return SourceResult(files=files, repos=repo_rejects)


def contents_config(cfg: Config) -> dict[str, Any]:
    """What a decoded text depends on besides the blob's bytes, checked against their sha1 when
    first read: the size cap and the decoder. An earlier run's texts are carried over only when
    this is equal (codecurate.run.runner)."""
    return {"max_file_bytes": cfg.extract.max_file_bytes, "codecurate.blobs": blobs.DECODE_VERSION,
            "charset-normalizer": metadata.version("charset-normalizer")}


STAGE = Source(name=NAME, read=run, adds=ADDS, contents_config=contents_config, recompute_tagged=True)
