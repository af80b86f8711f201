"""Opt-out: drop every file of a repository whose owner, or owner/repo, asked to be left out.

Runs right after extract, so an opted-out repository can never win a dedup survivor slot; the
release re-checks the list before publishing.

The list is matched as a Spark join, never as a set in the driver or a literal IN list: Spark
reads it (one entry a line, parsed by codecurate.text.optout.parse_entry) and matches it
against the keys of each distinct repository name (codecurate.text.optout.repo_keys); the
files are then joined with the names it flags. A list of at most
`optout.broadcast_max_entries` lines (real opt-out lists hold thousands) is broadcast, and so
are the names it flags: the files stream past them and nothing of theirs is shuffled. A
longer one costs a shuffle of names and one of the files (benchmark: python -m
codecurate.dev.bench --only optout).
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from codecurate import columns as C
from codecurate.config import Config
from codecurate.reasons import DropReason
from codecurate.spark.arrow import map_to_arrow
from codecurate.stages.base import Stage, StageContext, mark_dropped
from codecurate.text.optout import MalformedEntry, OptOutSummary, check_optout_list, parse_entry, repo_keys

NAME = "optout"
REQUIRES = (C.REPO_NAME,)
_FLAG = "_opted_out"
_ENTRY = "_optout_entry"
_ENTRY_SCHEMA = pa.schema([(_ENTRY, pa.string())])
_KEYS = (pa.field("_optout_repo", pa.string()), pa.field("_optout_owner", pa.string()))


def load_list(cfg: Config) -> OptOutSummary:
    """Validate the configured list (every line) and fingerprint it; nothing is kept in memory."""
    return check_optout_list(cfg.optout.list)


def optout_entries(spark: SparkSession, path: str) -> DataFrame:
    """The list as a frame of distinct entries (lowercase `owner` or `owner/repo`), read by Spark."""

    def parse(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            entries = []
            for line in batch.column("value").to_pylist():
                try:
                    entries.append(parse_entry(line))
                except MalformedEntry:  # load_list rejected the list at start-up already
                    entries.append(None)
            yield pa.RecordBatch.from_pydict({_ENTRY: entries}, schema=_ENTRY_SCHEMA)

    lines = spark.read.text(str(path))
    return map_to_arrow(lines, parse, _ENTRY_SCHEMA).filter(F.col(_ENTRY).isNotNull()).distinct()


@F.pandas_udf(T.StructType([T.StructField(f.name, T.StringType()) for f in _KEYS]))
def _repo_keys(names: pd.Series) -> pd.DataFrame:
    lower, owner = repo_keys(pa.array(names, pa.string()))
    return pd.DataFrame({_KEYS[0].name: lower.to_pandas(), _KEYS[1].name: owner.to_pandas()})


def with_opted_out(files: DataFrame, entries: DataFrame | None, flag: str, *, broadcast: bool = False) -> DataFrame:
    """`files` plus a boolean column `flag` (never null): the opt-out predicate as a join.

    Same answers as codecurate.text.optout.excluded: the lowercased name is a listed
    `owner/repo`, or its owner (before the first '/') a listed `owner`; a null name is not.
    broadcast: the list is short enough to ship to every task (optout.broadcast_max_entries).
    """
    if entries is None:
        return files.withColumn(flag, F.lit(False))
    repos = entries.filter(F.col(_ENTRY).contains("/")).select(
        F.col(_ENTRY).alias("_optout_repo"), F.lit(True).alias("_by_repo"))
    owners = entries.filter(~F.col(_ENTRY).contains("/")).select(
        F.col(_ENTRY).alias("_optout_owner"), F.lit(True).alias("_by_owner"))
    opted_out = F.coalesce(F.col("_by_repo"), F.lit(False)) | F.coalesce(F.col("_by_owner"), F.lit(False))
    # Safe to broadcast: the caller counted the list's lines first. The names it flags (its
    # repositories, and every repository of its owners) are names only, a few tens of bytes.
    listed = F.broadcast if broadcast else (lambda frame: frame)

    def matched(frame: DataFrame) -> DataFrame:
        """`frame` joined with the entries its repo_name's keys match (only the name goes to Python)."""
        keyed = frame.withColumn("_optout_keys", _repo_keys(F.col(C.REPO_NAME)))
        return (
            keyed.join(listed(repos), F.col("_optout_keys._optout_repo") == F.col("_optout_repo"), "left")
            .join(listed(owners), F.col("_optout_keys._optout_owner") == F.col("_optout_owner"), "left")
        )

    # Only distinct names go to Python (the keys' UDF over every file cost ~3 s a pass on the
    # 1.1 GB scale corpus, and kept and rejects are two passes), and only the opted-out names
    # come back: with a short list they are broadcast, and the files stream past them.
    names = files.select(C.REPO_NAME).distinct()
    flagged = listed(matched(names).where(opted_out).select(F.col(C.REPO_NAME).alias("_optout_name")))
    joined = files.join(flagged, F.col(C.REPO_NAME) == F.col("_optout_name"), "left")
    return joined.select(*[F.col(c) for c in files.columns], F.col("_optout_name").isNotNull().alias(flag))


def broadcastable(summary: OptOutSummary, cfg: Config) -> bool:
    return summary.entries <= cfg.optout.broadcast_max_entries


def run(files: DataFrame, cfg: Config, ctx: StageContext) -> DataFrame:
    summary = load_list(cfg)
    ctx.metric("optout_list_sha256", summary.sha256)
    ctx.metric("optout_entries", summary.entries)
    entries = optout_entries(ctx.spark, cfg.optout.list) if cfg.optout.list else None
    flagged = with_opted_out(files, entries, _FLAG, broadcast=broadcastable(summary, cfg))
    return mark_dropped(flagged, F.col(_FLAG), DropReason.OPTED_OUT).drop(_FLAG)


# No start-up check of its own: the runner reads the list before any work (its sha256 is part
# of the run's identity), so a missing or malformed list already fails then.
STAGE = Stage(name=NAME, requires=REQUIRES, apply=run, recompute_tagged=True)
