"""What every stage is: a lazy function of (files, config, context) -> tagged files.

A stage returns its input rows, all of them, with the columns it adds and `drop_reason`
(null = kept). The runner splits kept from rejected, writes both and counts them in one
aggregation; a stage never reads, writes, counts or collects on its own, except through the
context (iterative algorithms need to cut lineage, and some stages report measurements).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from pipeline import columns as C
from pipeline.reasons import DropReason


class StageInputError(ValueError):
    """A stage was given a frame without the columns it needs."""


@dataclass
class StageContext:
    spark: SparkSession
    checkpoint: Callable[[DataFrame], DataFrame]  # materialise and cut lineage
    metrics: dict[str, Any] = field(default_factory=dict)  # JSON-able, go to the stage manifest
    log: Callable[[str], None] = print

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
