"""The one place a SparkSession is built."""

from __future__ import annotations

import os
import sys

from pyspark.sql import SparkSession

from pipeline.config import SparkConfig


def build_session(cfg: SparkConfig) -> SparkSession:
    """Local mode by default; under spark-submit the master it was given wins."""
    # Executors must run the interpreter that has our dependencies, not whatever `python3` is.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(cfg.app_name)
    settings = {}
    if not launched_by_spark_submit():
        builder = builder.master(local_master(cfg))
        # Local mode: the driver JVM also runs every task (spark-submit sets its own).
        settings["spark.driver.memory"] = cfg.driver_memory
        if cfg.local_dir:
            settings["spark.local.dir"] = cfg.local_dir
    settings |= {
        "spark.sql.shuffle.partitions": str(cfg.shuffle_partitions),
        # No broadcast joins. A broadcast side is collected to the driver as task results and
        # its hash table built on the driver's heap, and Spark decides from estimates: the
        # compressed ORC file size (on the 1.1 GB scale corpus extract broadcast the whole
        # directory_entry table at each of 14 tree levels, and the content table, which carries
        # `data` in exports that ship content) or compressed shuffle bytes (adaptive). Every
        # join shuffles executor to executor; at SWH scale no side of ours is small anyway (one
        # row per directory entry, per file or per origin). Raise both in spark.conf to
        # broadcast on purpose.
        "spark.sql.autoBroadcastJoinThreshold": "-1",
        "spark.sql.adaptive.autoBroadcastJoinThreshold": "-1",
        # What the driver collects is counts and shard lists (KBs): anything bigger is a bug,
        # and a clear error beats an OutOfMemoryError.
        "spark.driver.maxResultSize": "256m",
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


def local_master(cfg: SparkConfig) -> str:
    """local[auto] -> local[N]: every core, but no more Python workers than memory holds."""
    if cfg.master.replace(" ", "") != "local[auto]":
        return cfg.master
    cores = os.cpu_count() or 1
    free_mb = _total_memory_mb() - _size_mb(cfg.driver_memory) - 1024  # 1 GB for the OS and the rest
    return f"local[{max(1, min(cores, free_mb // cfg.python_worker_mb))}]"


def _total_memory_mb() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1024 * 1024)
    except (ValueError, OSError):
        return 8 * 1024  # no sysconf (not Linux or macOS): assume the smallest supported machine


def _size_mb(size: str) -> int:
    """JVM size text (validated by the config: digits and one of k, m, g, t) -> MB."""
    scale = {"k": 1 / 1024, "m": 1, "g": 1024, "t": 1024 * 1024}[size[-1].lower()]
    return int(int(size[:-1]) * scale)


def launched_by_spark_submit() -> bool:
    """spark-submit starts the JVM first and hands the driver its gateway port."""
    return "PYSPARK_GATEWAY_PORT" in os.environ
