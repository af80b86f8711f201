"""The one place a SparkSession is built."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from pyspark.sql import SparkSession

from codecurate.config import SparkConfig

# Spark's own log (log4j2) goes to a file, not the console: its INFO/WARN start-up lines and
# progress bars would interleave with codecurate's stage lines. `${sys:...}` is read each time
# log4j2 configures itself, so log_to() can move the file once the run directory is known.
LOG_FILE_PROPERTY = "codecurate.spark.log"
LOG_LEVEL = "WARN"  # INFO is several lines per task: gigabytes on a big run
LOG4J2_CONFIG = """\
status = error
rootLogger.level = warn
rootLogger.appenderRef.file.ref = file
appender.file.type = File
appender.file.name = file
appender.file.fileName = ${sys:codecurate.spark.log}
appender.file.append = true
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
"""
LOG4J2_CONSOLE = """\
rootLogger.appenderRef.console.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n%ex
"""


# The JDK copies a heap buffer written to or read from a file or socket through a temporary
# direct buffer of the same size, and keeps it cached per thread, unbounded by default. Spark's
# task threads move multi-MB blocks (Parquet pages of content, checkpoints, Arrow batches for
# the Python workers): on the 1.1 GB scale corpus these caches held 270-370 MB of the driver
# JVM's native memory (NMT "Other") by the end of the run; with larger buffers freed after use
# it stays at ~15 MB. On a cluster, set the same in spark.executor.extraJavaOptions.
NIO_BUFFER_CAP = "-Djdk.nio.maxCachedBufferSize=262144"


def _log4j2_options(log_file: Path, console: bool) -> str:
    """JVM options that point log4j2 at our configuration (written to a temporary file)."""
    config = Path(tempfile.mkdtemp(prefix="codecurate-log4j2-")) / "log4j2.properties"
    config.write_text(LOG4J2_CONFIG + (LOG4J2_CONSOLE if console else ""), encoding="utf-8")
    return f"-Dlog4j2.configurationFile={config.as_uri()} -D{LOG_FILE_PROPERTY}={log_file}"


def build_session(cfg: SparkConfig, *, log_file: str | os.PathLike | None = None,
                  console_logs: bool = False) -> SparkSession:
    """Local mode by default; under spark-submit the master it was given wins.

    Spark's log goes to `log_file` (default: a file in the temporary directory until log_to()
    moves it into the run directory); `console_logs` also sends it to stderr (`--verbose`).
    Under spark-submit the JVM is already up and its logging is the submitter's business.
    """
    # Executors must run the interpreter that has our dependencies, not whatever `python3` is.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(cfg.app_name)
    settings = {}
    if not launched_by_spark_submit():
        builder = builder.master(local_master(cfg))
        # Local mode: the driver JVM also runs every task (spark-submit sets its own).
        settings["spark.driver.memory"] = cfg.driver_memory
        # glibc gives each thread that allocates natively (zstd, Arrow, Parquet) an arena of up
        # to 64 MB; with 2 the driver JVM's peak RSS on the 1.1 GB scale corpus went from 1928
        # to 1778 MiB. Read by the JVM about to start and inherited by its Python workers.
        os.environ.setdefault("MALLOC_ARENA_MAX", "2")
        if cfg.local_dir:
            settings["spark.local.dir"] = cfg.local_dir
    settings |= {
        "spark.sql.shuffle.partitions": str(cfg.shuffle_partitions),
        # No automatic broadcast joins. A broadcast side is collected to the driver as task
        # results and its hash table built on the driver's heap, and Spark decides from estimates: the
        # compressed ORC file size (on the 1.1 GB scale corpus extract broadcast the whole
        # directory_entry table at each of 14 tree levels, and the content table, which carries
        # `data` in exports that ship content) or compressed shuffle bytes (adaptive). Every
        # join shuffles executor to executor; at SWH scale no side of ours is small anyway (one
        # row per directory entry, per file or per origin). Stages broadcast small tables of
        # answers on purpose, measured first (codecurate.stages.base.broadcast_if_small).
        "spark.sql.autoBroadcastJoinThreshold": "-1",
        "spark.sql.adaptive.autoBroadcastJoinThreshold": "-1",
        # What the driver collects is counts, shard lists (KBs) and the measured broadcasts
        # (spark.broadcast_max_mb): anything bigger is a bug, and a clear error beats an
        # OutOfMemoryError.
        "spark.driver.maxResultSize": "256m",
        # Dates are written and compared in UTC whatever the machine's zone.
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.ui.showConsoleProgress": "true" if cfg.show_progress else "false",
        # Blobs up to 10 MiB travel inside Arrow batches: keep batches small.
        "spark.sql.execution.arrow.maxRecordsPerBatch": "256",
        # Likewise the Parquet reader's column batches, which live on the heap (the driver's, in
        # local mode): at Spark's 4,096 rows a batch of `content` needs ~30-50 MB of contiguous
        # buffer on real code, and the 1.1 GB scale corpus ran out of a 1 GB heap reading
        # optout's output. 256 rows keep it at a few MB; narrow reads barely notice.
        "spark.sql.parquet.columnarReaderBatchSize": "256",
        "spark.python.worker.reuse": "true",  # per-worker caches (ScanCode index, models) survive
    }
    settings.update(cfg.conf)
    java_options = settings.get("spark.driver.extraJavaOptions", "")
    if not launched_by_spark_submit():
        added = []
        if "jdk.nio.maxCachedBufferSize" not in java_options:
            added.append(NIO_BUFFER_CAP)
        if "log4j2.configurationFile" not in java_options:
            log_file = Path(log_file or Path(tempfile.gettempdir()) / f"codecurate-spark-{os.getpid()}.log")
            added.append(_log4j2_options(log_file, console_logs))
        settings["spark.driver.extraJavaOptions"] = " ".join(filter(None, [java_options, *added]))
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel(LOG_LEVEL)
    return spark


def log_to(spark: SparkSession, log_file: str | os.PathLike) -> None:
    """Move Spark's log (when it is ours, see build_session) to `log_file`, keeping what was
    written so far: the start-up lines land at the head of the run directory's spark.log."""
    jvm = spark.sparkContext._jvm
    current = jvm.java.lang.System.getProperty(LOG_FILE_PROPERTY)
    target = Path(log_file)
    if current is None or Path(current) == target:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(current, "rb") as old, open(target, "ab") as new:
            new.write(old.read())
    except FileNotFoundError:
        pass
    jvm.java.lang.System.setProperty(LOG_FILE_PROPERTY, str(target))
    jvm.org.apache.logging.log4j.LogManager.getContext(False).reconfigure()
    spark.sparkContext.setLogLevel(LOG_LEVEL)  # reconfigure() reset it to the file's
    if Path(current).name.startswith("codecurate-spark-"):
        Path(current).unlink(missing_ok=True)


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
