"""Exact dedup: one row per blob_id, the survivor picked by the shared total order."""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from codecurate import columns as C
from codecurate.config import Config
from codecurate.reasons import DropReason
from codecurate.stages.base import Stage, StageContext, mark_dropped
from codecurate.stages.survivor import SURVIVOR_COLUMNS, survivor_order

NAME = "exact_dedup"
REQUIRES = SURVIVOR_COLUMNS

_RANK = "_exact_rank"


def run(files: DataFrame, cfg: Config, ctx: StageContext) -> DataFrame:
    # One shuffle by blob_id; a blob copied into 100k repositories is one window group, which
    # Spark sorts with spilling rather than holding in memory.
    by_blob = Window.partitionBy(C.BLOB_ID).orderBy(*survivor_order(cfg.licenses))
    first = Window.partitionBy(C.BLOB_ID).orderBy(*survivor_order(cfg.licenses)).rowsBetween(
        Window.unboundedPreceding, Window.currentRow)
    ranked = (
        files.withColumn(_RANK, F.row_number().over(by_blob))
        .withColumn(C.DUP_OF_REPO_NAME, F.first(C.REPO_NAME).over(first))
        .withColumn(C.DUP_OF_PATH, F.first(C.PATH).over(first))
    )
    duplicate = F.col(_RANK) > 1
    tagged = mark_dropped(ranked, duplicate, DropReason.EXACT_DUPLICATE)
    removed = F.col(C.DROP_REASON) == F.lit(DropReason.EXACT_DUPLICATE.value)
    return tagged.select(
        *[c for c in files.columns if c not in (C.DROP_REASON, C.DUP_OF, C.DUP_OF_REPO_NAME, C.DUP_OF_PATH)],
        C.DROP_REASON,
        F.when(removed, F.col(C.BLOB_ID)).alias(C.DUP_OF),
        F.when(removed, F.col(C.DUP_OF_REPO_NAME)).alias(C.DUP_OF_REPO_NAME),
        F.when(removed, F.col(C.DUP_OF_PATH)).alias(C.DUP_OF_PATH),
    )


STAGE = Stage(name=NAME, requires=REQUIRES, apply=run, recompute_tagged=True)
