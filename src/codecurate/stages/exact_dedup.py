"""Exact dedup: one row per blob_id, the survivor picked by the shared total order."""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from codecurate import columns as C
from codecurate.config import Config
from codecurate.reasons import DropReason
from codecurate.stages.base import Stage, StageContext, hinted_checkpoint, mark_dropped
from codecurate.stages.survivor import SURVIVOR_COLUMNS, survivor_order

NAME = "exact_dedup"
REQUIRES = SURVIVOR_COLUMNS

_RANK = "_exact_rank"
_SURVIVOR = "_exact_survivor"  # prefix: the survivor's blob_id, repo_name, path and snapshot_id
_IDENTITY = (C.REPO_NAME, C.PATH, C.SNAPSHOT_ID)


def run(files: DataFrame, cfg: Config, ctx: StageContext) -> DataFrame:
    # The survivor of each blob, from the ordering columns alone: one shuffle by blob_id of
    # metadata, not content. A blob copied into 100k repositories is one window group, which
    # Spark sorts with spilling rather than holding in memory. Materialised: it is measured to
    # decide the join below, and joined.
    by_blob = Window.partitionBy(C.BLOB_ID).orderBy(*survivor_order(cfg.licenses))
    survivors = (
        files.select(*SURVIVOR_COLUMNS).withColumn(_RANK, F.row_number().over(by_blob))
        .where(F.col(_RANK) == 1)
        .select(F.col(C.BLOB_ID).alias(f"{_SURVIVOR}_blob"),
                *[F.col(c).alias(f"{_SURVIVOR}_{c}") for c in _IDENTITY]))
    # Files join their blob's survivor by broadcast when the survivors are few, else by a shuffle.
    joined = files.join(hinted_checkpoint(survivors, ctx, cfg),
                        F.col(C.BLOB_ID).eqNullSafe(F.col(f"{_SURVIVOR}_blob")), "left")
    # A row is its blob's survivor when it is that row: (repo_name, path, snapshot_id) name one
    # file of one snapshot, and extract keeps one repository per root directory.
    survivor = F.lit(True)
    for c in _IDENTITY:
        survivor = survivor & F.col(c).eqNullSafe(F.col(f"{_SURVIVOR}_{c}"))
    tagged = mark_dropped(joined, ~survivor, DropReason.EXACT_DUPLICATE)
    removed = F.col(C.DROP_REASON) == F.lit(DropReason.EXACT_DUPLICATE.value)
    return tagged.select(
        *[c for c in files.columns if c not in (C.DROP_REASON, C.DUP_OF, C.DUP_OF_REPO_NAME, C.DUP_OF_PATH)],
        C.DROP_REASON,
        F.when(removed, F.col(C.BLOB_ID)).alias(C.DUP_OF),
        F.when(removed, F.col(f"{_SURVIVOR}_{C.REPO_NAME}")).alias(C.DUP_OF_REPO_NAME),
        F.when(removed, F.col(f"{_SURVIVOR}_{C.PATH}")).alias(C.DUP_OF_PATH),
    )


STAGE = Stage(name=NAME, requires=REQUIRES, apply=run, recompute_tagged=True)
