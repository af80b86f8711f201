"""Opt-out: drop every file of a repository whose owner, or owner/repo, asked to be left out.

Runs right after extract, so an opted-out repository can never win a dedup survivor slot; the
release re-checks the list before publishing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from codecurate import columns as C
from codecurate.config import Config
from codecurate.reasons import DropReason
from codecurate.spark.arrow import map_in_arrow
from codecurate.stages.base import Stage, StageContext, mark_dropped
from codecurate.text.optout import OptOutList, excluded, read_optout_list

NAME = "optout"
REQUIRES = (C.REPO_NAME,)
_FLAG = "_opted_out"


def load_list(cfg: Config) -> OptOutList:
    return read_optout_list(cfg.optout.list) if cfg.optout.list else OptOutList.empty()


def with_opted_out(files: DataFrame, optouts: OptOutList, flag: str) -> DataFrame:
    """`files` plus a boolean column `flag`: the shared predicate, run per Arrow batch."""

    def flag_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            yield batch.append_column(flag, excluded(batch.column(C.REPO_NAME), optouts))

    return map_in_arrow(files, flag_batches, (pa.field(flag, pa.bool_(), nullable=False),))


def run(files: DataFrame, cfg: Config, ctx: StageContext) -> DataFrame:
    optouts = load_list(cfg)
    ctx.metric("optout_list_sha256", optouts.sha256)
    ctx.metric("optout_entries", len(optouts.owners) + len(optouts.repos))
    flagged = with_opted_out(files, optouts, _FLAG)
    return mark_dropped(flagged, F.col(_FLAG), DropReason.OPTED_OUT).drop(_FLAG)


# No start-up check of its own: the runner reads the list before any work (its sha256 is part
# of the run's identity), so a missing or malformed list already fails then.
STAGE = Stage(name=NAME, requires=REQUIRES, apply=run)
