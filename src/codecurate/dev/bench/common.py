"""What the benchmarks share: the sample's extracted files, computed once per `make bench`."""

from __future__ import annotations

import random
from pathlib import Path

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from codecurate import columns as C
from codecurate.config import Config, InputConfig
from codecurate.stages.base import StageContext


def sample_files(ctx) -> DataFrame | None:
    """The sample's files as extract keeps them (None without a sample), cached on ctx."""
    cached = getattr(ctx, "_sample_files", None)
    if cached is not None:
        return cached
    export = Path(ctx.sample) / "export" if ctx.sample else None
    if export is None or not export.is_dir():
        return None
    from codecurate.spark.export import read_export
    from codecurate.stages import extract

    # `codecurate sample` keeps the blobs inside the export, as configs/local.yaml says
    cfg = Config(input=InputConfig(export=str(export), blobs=str(export / "blobs")))
    sctx = StageContext(spark=ctx.spark, checkpoint=lambda df: df.localCheckpoint())
    files = extract.run(read_export(ctx.spark, str(export)), cfg, sctx).files
    kept = files.filter(F.col(C.DROP_REASON).isNull()).drop(C.DROP_REASON).localCheckpoint()
    ctx._sample_files = kept
    return kept


def site_packages_files(limit: int, suffixes: tuple[str, ...] = (".py",)) -> list[tuple[str, str]]:
    """(path, text) of real files of the installed packages, up to `limit` characters: a spread
    of packages (shuffled with a fixed seed), the same every run."""
    import pyarrow

    root = Path(pyarrow.__file__).resolve().parents[1]  # site-packages
    paths = sorted(p for p in root.rglob("*") if p.suffix in suffixes and p.is_file())
    random.Random(0).shuffle(paths)
    files, total = [], 0
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        files.append((str(path.relative_to(root)), text))
        total += len(text)
        if total >= limit:
            break
    return files
