"""The stage protocol: what every stage declares, and the helpers stages share.

A `Stage` is a lazy function of (files, config, context) -> tagged files, plus a declaration:
its name, the columns it needs, the columns it adds (with their Arrow types), the columns that
explain a removal in its rejects, and a start-up check. It returns its input rows, all of them,
with the columns it adds and `drop_reason` (null = kept). The runner splits kept from rejected,
writes both and counts them in one aggregation; a stage never reads, writes, counts or collects
on its own, except through the context (iterative algorithms need to cut lineage, and some
stages report measurements).

The first stage is a `Source`: it reads the SWH export instead of the previous stage's rows,
and also returns the origins that yielded no file. docs/ARCHITECTURE.md shows how to add a stage.
"""

from __future__ import annotations

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
