"""Extract throughput on the sample: files/s and MB/s of blob bytes, per core."""

from __future__ import annotations

import json
import shutil

from codecurate.config import load_config
from codecurate.run.runner import run_pipeline


def run(ctx) -> None:
    out = ctx.work / "extract"
    shutil.rmtree(out, ignore_errors=True)
    export = ctx.sample / "export"
    cfg = load_config(None, [
        f"input.export={export}", f"input.blobs={export / 'blobs'}", f"output.root={out}",
        "stages=[extract]", "optout.list=null",
    ])
    run_ = run_pipeline(cfg, spark=ctx.spark)
    m = json.loads((run_.dir.manifest_path("extract")).read_text())
    seconds = m["seconds"]
    print(f"bench extract files: {m['rows_in']:,} ({m['rows_kept']:,} kept)")
    print(f"bench extract throughput: {m['rows_in'] / seconds / ctx.cores:,.0f} files/s/core")
    print(f"bench extract blob bytes: {m['bytes_kept'] / seconds / ctx.cores / 1e6:.1f} MB/s/core "
          f"(target >= 20) over {m['bytes_kept'] / 1e6:.1f} MB decoded in {seconds:.1f} s")

    # The per-blob path alone (fetch, gunzip, NUL check, decode) inside Spark, over every
    # content row: what extract costs per byte once the fixed job overheads are paid.
    import time

    from pyspark.sql import functions as F

    from codecurate.spark.arrow import map_to_arrow
    from codecurate.spark.export import read_export
    from codecurate.stages.extract import BLOB_SCHEMA, blob_reader

    content = read_export(ctx.spark, str(export))["content"].select(
        F.col("sha1").alias("_blob"), F.col("sha1_git").alias("_git"), "length", "data").filter(F.col("length") <= cfg.extract.max_file_bytes)
    # Four passes over the sample's blobs, so Python worker start-up does not dominate the figure.
    copies = ctx.spark.range(4).withColumnRenamed("id", "_copy")
    content = content.crossJoin(copies).drop("_copy").repartition(ctx.cores * 4).cache()
    total = content.agg(F.sum("length")).collect()[0][0]
    reader = blob_reader(cfg.input.blobs, cfg.extract.max_file_bytes)
    started = time.monotonic()
    map_to_arrow(content, reader, BLOB_SCHEMA).agg(F.count("_blob")).collect()
    seconds = time.monotonic() - started
    print(f"bench extract blob path in Spark: {total / seconds / ctx.cores / 1e6:.1f} MB/s/core "
          f"(target >= 20) over {total / 1e6:.1f} MB in {seconds:.1f} s")
    content.unpersist()
