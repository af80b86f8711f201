"""The stage protocol: what every stage declares, and the helpers stages share.

A `Stage` is a lazy function of (files, config, context) -> tagged files, plus a declaration:
its name, the columns it needs, the columns it adds (with their Arrow types), the columns that
explain a removal in its rejects, and a start-up check. It returns its input rows, all of them,
with the columns it adds and `drop_reason` (null = kept). The runner splits kept from rejected,
writes both and counts them in one aggregation; a stage never reads, writes, counts or collects
on its own, except through the context (iterative algorithms need to cut lineage, and some
stages report measurements) and `broadcast_if_small`, which measures a small table it joins.

Files travel between stages without their content. The source stores each decoded blob once,
in the run's contents table (blob_id -> content); a stage that reads content takes it from
there with `with_content`, for the rows it computes an answer for (content_results does this
for its keys), and the release joins it at publishing. A stage's kept rows are then a few
hundred bytes a file, not a copy of every file: reading and writing them costs what the
metadata costs, and an incremental run looks up content only for what is new.

The first stage is a `Source`: it reads the SWH export instead of the previous stage's rows,
and also returns the origins that yielded no file. docs/ARCHITECTURE.md shows how to add a stage.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from codecurate import columns as C
from codecurate.reasons import DropReason

if TYPE_CHECKING:
    from codecurate.config import Config
    from codecurate.spark.export import SwhExport
from codecurate.errors import PipelineError


class StageInputError(PipelineError):
    """A stage was given a frame without the columns it needs."""


# The decoded text: in a run's contents table and in a release, never in the stage frames.
CONTENT_FIELD = pa.field(C.CONTENT, pa.string())


@dataclass
class StageContext:
    spark: SparkSession
    # Materialise now (eagerly: observed_checkpoint reads what the materialising pass measured)
    # and cut lineage.
    checkpoint: Callable[[DataFrame], DataFrame]
    metrics: dict[str, Any] = field(default_factory=dict)  # JSON-able, go to the stage manifest
    log: Callable[[str], None] = print
    # Incremental runs: the earlier run's answers for a stage's ContentResults (None: nothing
    # to reuse), and what this stage computed or reused, for the runner to write as the store.
    previous_results: Callable[[ContentResults], DataFrame | None] | None = None
    # (spec, rows, their counts: rows_reused, rows_computed, bytes_reused, bytes_computed)
    stored_results: tuple[ContentResults, DataFrame, dict[str, int]] | None = None
    # Incremental runs: the rows the earlier run published (its last stage's kept rows).
    previously_published: Callable[[], DataFrame | None] | None = None
    # The run's contents table (blob_id, content; see with_content), once the source stored it;
    # None when the frames carry their content (a stage run on an in-memory frame).
    contents: Callable[[], DataFrame | None] = lambda: None
    # The source only: writes the decoded blobs (first argument) as the run's contents table,
    # returns it read back; the second argument is every blob_id the run keeps (old ones too).
    store_contents: Callable[[DataFrame, DataFrame], DataFrame] | None = None
    # The source only, in incremental runs: the blob ids whose text the earlier run decoded under
    # the same Source.contents_config (None: decode everything). store_contents carries those
    # texts over into this run's table, so the source decodes only the other blobs.
    previous_contents: Callable[[], DataFrame | None] = lambda: None

    def metric(self, name: str, value: Any) -> None:
        self.metrics[name] = value


def require_columns(frame: DataFrame, needed: Iterable[str], stage: str) -> None:
    missing = [name for name in needed if name not in frame.columns]
    if missing:
        raise StageInputError(
            f"stage {stage!r} needs columns {missing}; the input has {sorted(frame.columns)}"
        )


def mark_dropped(frame: DataFrame, condition: Column, reason: DropReason) -> DataFrame:
    """Tag rows matching `condition` with `reason` unless an earlier check already tagged them."""
    if C.DROP_REASON not in frame.columns:
        frame = frame.withColumn(C.DROP_REASON, F.lit(None).cast("string"))
    current = F.col(C.DROP_REASON)
    return frame.withColumn(
        C.DROP_REASON,
        F.when(current.isNull() & F.coalesce(condition, F.lit(False)), F.lit(reason.value))
        .otherwise(current),
    )


def untagged(frame: DataFrame) -> DataFrame:
    """The frame with a null drop_reason column added if it has none."""
    if C.DROP_REASON in frame.columns:
        return frame
    return frame.withColumn(C.DROP_REASON, F.lit(None).cast("string"))


def _no_check(cfg: Config) -> None:
    return None


@dataclass(frozen=True)
class Stage:
    """A stage after the source: tagged files from the previous stage's kept files."""

    name: str
    requires: tuple[str, ...]  # input columns; checked before `apply` runs
    apply: Callable[[DataFrame, Config, StageContext], DataFrame]
    adds: tuple[pa.Field, ...] = ()  # output columns it adds, with their types (schemas derive from these)
    reject_columns: tuple[str, ...] = ()  # what explains a removal, kept next to the reason in rejects
    check: Callable[[Config], None] = _no_check  # start-up check (extras installed, tables readable)
    # Metrics read back from the stage's written rejects (a small keys-only table), merged into
    # its manifest: counts a stage cannot take itself without an extra pass over its input.
    summarise: Callable[[DataFrame, Config], dict[str, Any]] | None = None
    # Columns it adds to its kept rows that are not published as such: what later stages and the
    # release read (pii's redacted text, which the release publishes as `content`).
    carries: tuple[pa.Field, ...] = ()
    content_results: ContentResults | None = None  # per-content answers a later run can reuse
    # True when the tagged frame only joins and compares what the stage checkpointed (content
    # results, clusters) or cheap columns: the runner then writes kept and rejects straight from
    # its plan, the rejects from key columns alone, instead of first materialising every row
    # (~9 s a GB of rows on 2 cores: write the checkpoint, read it back). False when recomputing
    # it would run a detector or a costly pass a second time.
    recompute_tagged: bool = False

    def run(self, files: DataFrame, cfg: Config, ctx: StageContext) -> DataFrame:
        require_columns(files, self.requires, self.name)
        return self.apply(files, cfg, ctx)


@dataclass(frozen=True)
class SourceResult:
    files: DataFrame  # every file found, tagged (drop_reason null = kept)
    repos: DataFrame  # origins that yielded no file at all: url, repo_name, drop_reason


@dataclass(frozen=True)
class Source:
    """The first stage: files from the SWH export, plus the origins that yielded none."""

    name: str
    read: Callable[[SwhExport, Config, StageContext], SourceResult]
    adds: tuple[pa.Field, ...] = ()
    reject_columns: tuple[str, ...] = ()
    check: Callable[[Config], None] = _no_check
    # What a decoded text depends on besides the blob's bytes (config keys, decoder versions):
    # an incremental run carries the earlier run's texts over only when this is equal.
    contents_config: Callable[[Config], dict[str, Any]] = lambda cfg: {}
    recompute_tagged: bool = False  # as Stage.recompute_tagged


# --- Content results: per-content answers reused across runs (incremental releases) ----------
#
# A stage whose expensive work is a function of content (a ScanCode scan of a license file, the
# language of a blob under a path, a MinHash signature, a PII redaction) declares it once as
# `ContentResults`: the key the answer depends on, the answer's columns, how to compute it, the
# config keys and detector versions it depends on. The stage calls `content_results(...)` for
# the keys it needs; the helper takes what an earlier run already computed under the same
# fingerprint (the runner hands it over through the context), computes only the rest, and
# gives the union to the runner, which writes it as this run's store next to the stage's
# outputs. One mechanism for every stage: anti-join on the key, compute the rest, union, write.

REUSED = "_reused"  # store bookkeeping: the answer came from the earlier run (not written)
INPUT_BYTES = "_input_bytes"  # store bookkeeping: length_bytes of the content the answer is for


@dataclass(frozen=True)
class ContentResults:
    key: tuple[str, ...]  # what the answer depends on, and nothing more (e.g. blob_id, path)
    results: tuple[pa.Field, ...]  # the answer's columns, with their types
    # (rows holding key + inputs + length_bytes, cfg) -> one row per distinct key: key + results.
    # Lazy, like a stage; it only sees keys the earlier run has no answer for.
    compute: Callable[[DataFrame, Config], DataFrame]
    config: Callable[[Config], dict[str, Any]]  # the config keys the answer depends on
    versions: Callable[[Config], dict[str, Any]]  # detector and per-row logic versions

    def describe(self, cfg: Config) -> dict[str, Any]:
        """What the store records beside its rows; `fingerprint` decides whether rows are reused."""
        described = {
            "key": list(self.key),
            # with their types: a store written in an older layout is not read as this one
            "results": {f.name: str(f.type) for f in self.results},
            "config": self.config(cfg),
            "versions": self.versions(cfg),
        }
        canonical = json.dumps(described, sort_keys=True, default=str).encode()
        return {**described, "fingerprint": hashlib.sha256(canonical).hexdigest()}


def estimated_bytes(frame: DataFrame) -> Column:
    """An aggregate: about how many bytes `frame`'s rows hold in Spark's row format (row_bytes)."""
    return F.coalesce(F.sum(row_bytes(frame)), F.lit(0))


def row_bytes(frame: DataFrame, columns: dict[str, Column] | None = None) -> Column:
    """About how many bytes a row of `frame` holds in Spark's row format: 16 a row, strings and
    binaries by length, 8 any other value; arrays 16 an element plus the length of string
    elements, or 32 an element of another type (a struct of a few fields).

    `columns` (name -> expression) sizes each field of `frame` by that expression instead of
    the column of its name: a frame that is a projection of another is then measured on the
    other's rows (extract's walk sizes the next frontier while it materialises a level)."""
    from pyspark.sql import types as T

    value = (lambda name: columns[name]) if columns is not None else F.col
    parts = [F.lit(16)]
    for field_ in frame.schema.fields:
        col, kind = value(field_.name), field_.dataType
        if isinstance(kind, T.StringType | T.BinaryType):
            parts.append(F.coalesce(F.octet_length(col), F.lit(0)))
        elif isinstance(kind, T.ArrayType) and isinstance(kind.elementType, T.StringType):
            parts.append(F.coalesce(F.size(col) * 16 + F.octet_length(F.array_join(col, "")), F.lit(0)))
        elif isinstance(kind, T.ArrayType | T.MapType):
            parts.append(F.coalesce(F.size(col), F.lit(0)) * 32)
        else:
            parts.append(F.lit(8))
    return sum(parts[1:], parts[0]).cast("long")


def observed_checkpoint(frame: DataFrame, ctx: StageContext, **aggregates: Column) -> tuple[DataFrame, dict[str, Any]]:
    """(ctx.checkpoint(frame), the `aggregates` over its rows): the aggregates are computed by
    the pass that materialises the frame (Spark's observe), not by a job of their own. A Spark
    job costs ~0.2-0.5 s however small, and extract's walk measures every level it builds."""
    from pyspark.sql import Observation

    observation = Observation()
    done = ctx.checkpoint(frame.observe(observation, *[agg.alias(name) for name, agg in aggregates.items()]))
    return done, observation.get


def hinted_checkpoint(frame: DataFrame, ctx: StageContext, cfg: Config) -> DataFrame:
    """ctx.checkpoint(frame), hinted for broadcast when it holds at most spark.broadcast_max_mb:
    measured by the pass that materialises it (observed_checkpoint)."""
    done, seen = observed_checkpoint(frame, ctx, size=estimated_bytes(frame))
    return hinted(done, seen["size"], cfg)


def broadcast_if_small(frame: DataFrame, cfg: Config) -> DataFrame:
    """`frame` hinted for broadcast when it holds at most `spark.broadcast_max_mb`, else as is.

    Joining a small table of answers onto the files by broadcast streams the files (and their
    content) instead of shuffling them: on the 1.1 GB scale corpus each content shuffle a join
    spares is 200-470 MB written and read. The size is measured, not estimated by Spark (which
    guesses from compressed file sizes and has broadcast whole tables: see
    codecurate.spark.session), by one aggregation: call this on a materialised frame (a
    checkpoint, a stored table). At SWH scale no answer table fits and every join shuffles.
    """
    if cfg.spark.broadcast_max_mb <= 0:
        return frame
    return hinted(frame, measured_bytes(frame), cfg)


def measured_bytes(frame: DataFrame) -> int:
    """estimated_bytes of `frame`, taken with one aggregation (0: the frame has no rows)."""
    return frame.agg(estimated_bytes(frame)).first()[0]


def hinted(frame: DataFrame, size: int, cfg: Config) -> DataFrame:
    """`frame` hinted for broadcast when `size` (measured_bytes) is within spark.broadcast_max_mb."""
    return F.broadcast(frame) if _fits(size, cfg) else frame


def _fits(size: int, cfg: Config) -> bool:
    cap = cfg.spark.broadcast_max_mb * 1024 * 1024
    return 0 < cap and size <= cap


def _holding(rows: DataFrame, contents: DataFrame) -> DataFrame:
    """The part of `contents` in the files that hold the blobs of `rows` (few, broadcast): one
    narrow pass over the table's blob ids finds them. An incremental run's new texts are in the
    files its source wrote, the texts it carried over in the earlier runs' files: a stage that
    computes answers for new contents only reads those (on the 1.1 GB scale corpus's N+1,
    15 MB of the table's 168 MB), where it read every text before. `contents` itself when it
    is not read from files (a frame built in memory)."""
    from urllib.parse import unquote

    located = contents.select(C.BLOB_ID, F.input_file_name().alias("_file")).join(
        rows.select(C.BLOB_ID), C.BLOB_ID, "left_semi")
    files = sorted(row[0] for row in located.select("_file").distinct().collect())
    if not files:
        return contents.where(F.lit(False))
    if "" in files:
        return contents
    # Spark names the files by URL (a space is %20); the reader takes paths.
    return contents.sparkSession.read.schema(contents.schema).parquet(*[unquote(f) for f in files])


def narrowed(rows: DataFrame, *columns: str) -> DataFrame:
    """`rows` with only `columns` (those it has) and what with_content reads to find their text."""
    wanted = [*columns, C.BLOB_ID, C.CONTENT, C.REDACTED_CONTENT]
    return rows.select(*[c for c in dict.fromkeys(wanted) if c in rows.columns])


def with_content(rows: DataFrame, cfg: Config, contents: DataFrame | None, size: int | None = None) -> DataFrame:
    """`rows` with the `content` column: each file's text as published (after pii's redaction,
    where pii changed it).

    `contents` is the run's contents table (blob_id, content, ...), or None when `rows` carry
    their content already (a frame built in memory). The rows are looked up by blob_id: the
    source stores the blob of every file it keeps, once, so each row finds exactly one text. When
    the rows are few (spark.broadcast_max_mb; `size` is their measured_bytes when the caller
    has it, else they are measured here) they are broadcast, and only the files of the contents
    table that hold their blobs stream past them (_holding); otherwise both are shuffled, the
    way every content join is at SWH scale.
    """
    if C.CONTENT not in rows.columns:
        if contents is None:
            raise StageInputError(f"the rows have no {C.CONTENT!r} column and the run stored no contents table")
        if cfg.spark.broadcast_max_mb > 0 and _fits(measured_bytes(rows) if size is None else size, cfg):
            rows = F.broadcast(rows)
            contents = _holding(rows, contents)
        # An inner join: an outer one could only broadcast the contents table.
        rows = rows.join(contents.select(C.BLOB_ID, C.CONTENT), C.BLOB_ID)
    if C.REDACTED_CONTENT in rows.columns:
        rows = rows.withColumn(C.CONTENT, F.coalesce(F.col(C.REDACTED_CONTENT), F.col(C.CONTENT)))
    return rows


def materialised_with_content(rows: DataFrame, cfg: Config, ctx: StageContext) -> DataFrame:
    """with_content of `rows` (narrowed, a stage's rows to compute something for), materialised
    and measured in one pass first: with_content reads them twice (to find the files of the
    contents table that hold their texts, then to join them), and the measure decides the
    broadcast without a query of its own."""
    rows, seen = observed_checkpoint(rows, ctx, size=estimated_bytes(rows))
    return with_content(rows, cfg, ctx.contents(), size=seen["size"])


def content_results(rows: DataFrame, spec: ContentResults, cfg: Config, ctx: StageContext) -> DataFrame:
    """key + results + REUSED for every distinct key of `rows`: reused where an earlier run has them.

    `rows` holds the key, what `spec.compute` reads, and length_bytes (for the reuse figures).
    `rows` may hold more columns (compute selects what it reads); a missing length_bytes
    counts as unknown. Rows without content get it from the run's contents table (with_content)
    after the reused keys are taken out, one row per key: compute reads only key and content
    then. The union is checkpointed once: the stage joins it back and the runner writes it as the
    store, and neither may run the detectors a second time.
    """
    key = list(spec.key)
    names = key + [f.name for f in spec.results]
    size = F.col(C.LENGTH_BYTES) if C.LENGTH_BYTES in rows.columns else F.lit(None)
    sizes = rows.groupBy(*key).agg(F.max(size).cast("long").alias(INPUT_BYTES))
    previous = ctx.previous_results(spec) if ctx.previous_results else None
    if previous is None:
        todo, reused = rows, None
    else:
        wanted = sizes.select(*key)  # the distinct keys, from the aggregation already planned
        reused = previous.select(*names).join(wanted, key, "left_semi").withColumn(REUSED, F.lit(True))
        # What to compute: the rows whose key the earlier run has no answer for. Its keys are
        # those of `reused` or keys these rows do not have, so the anti-join can read them
        # straight from the store, and broadcast them when they are few: the rows then stream
        # through instead of being shuffled.
        todo = rows.join(broadcast_if_small(previous.select(*key), cfg), key, "left_anti")
    if C.CONTENT not in todo.columns:
        # One row per key, narrowed to what finds its text: the only rows whose content this
        # stage reads.
        todo = materialised_with_content(narrowed(todo, *key).dropDuplicates(key), cfg, ctx)
    computed = spec.compute(todo, cfg).select(*names).dropDuplicates(key).withColumn(REUSED, F.lit(False))
    union = computed if reused is None else computed.unionByName(reused)
    # The stage joins these answers back onto its files: by broadcast when they are few,
    # measured while they are materialised; the same pass counts what was reused and
    # computed, for the store's figures.
    answers = join_results(union, sizes, key)
    reused_, bytes_ = F.col(REUSED), F.col(INPUT_BYTES)
    stored, seen = observed_checkpoint(
        answers, ctx, size=estimated_bytes(answers.select(*names, REUSED)),
        rows_reused=F.count(F.when(reused_, 1)), rows_computed=F.count(F.when(~reused_, 1)),
        bytes_reused=F.coalesce(F.sum(F.when(reused_, bytes_)), F.lit(0)),
        bytes_computed=F.coalesce(F.sum(F.when(~reused_, bytes_)), F.lit(0)))
    size = seen.pop("size")
    ctx.stored_results = (spec, stored, seen)
    return hinted(stored.select(*names, REUSED), size, cfg)


def join_results(rows: DataFrame, results: DataFrame, key: Iterable[str]) -> DataFrame:
    """`rows` with the columns of `results` (but REUSED) added by `key`, a left join in which a
    null key matches a null key: a row whose key has a null (a file without content) still
    gets its answer. An answer computed for a null key is never reused by a later run."""
    key = list(key)
    right = results.select(*[F.col(k).alias(f"_key_{k}") for k in key],
                           *[c for c in results.columns if c not in key and c != REUSED])
    matches = [F.col(k).eqNullSafe(F.col(f"_key_{k}")) for k in key]
    return rows.join(right, matches, "left").drop(*[f"_key_{k}" for k in key])
