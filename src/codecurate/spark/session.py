"""The one place a SparkSession is built."""

from __future__ import annotations

import os
import sys

from pyspark.sql import SparkSession

from codecurate.config import SparkConfig


def build_session(cfg: SparkConfig) -> SparkSession:
    """Local mode by default; under spark-submit the master it was given wins."""
    # Executors must run the interpreter that has our dependencies, not whatever `python3` is.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(cfg.app_name)
    if not launched_by_spark_submit():
        builder = builder.master(cfg.master)
    settings = {
        "spark.sql.shuffle.partitions": str(cfg.shuffle_partitions),
        # Dates are written and compared in UTC whatever the machine's zone.
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.ui.showConsoleProgress": "true" if cfg.show_progress else "false",
        # Blobs up to 10 MiB travel inside Arrow batches: keep batches small.
        "spark.sql.execution.arrow.maxRecordsPerBatch": "256",
        "spark.python.worker.reuse": "true",  # per-worker caches (ScanCode index, models) survive
    }
    settings.update(cfg.conf)
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark


def launched_by_spark_submit() -> bool:
    """spark-submit starts the JVM first and hands the driver its gateway port."""
    return "PYSPARK_GATEWAY_PORT" in os.environ
