"""Progress from Spark's status tracker, Spark's log in a file, and the runner's status trace."""

from __future__ import annotations

import io
import json
import time

import pytest

from codecurate.run.console import NORMAL, Console, SparkProgress, StageProgress


def _slow_job(spark, group: str, partitions: int = 4, seconds: float = 0.4) -> list[int]:
    spark.sparkContext.setJobGroup(group, "test")
    try:
        return spark.sparkContext.parallelize(range(partitions), partitions).map(
            lambda x: time.sleep(seconds) or x).collect()
    finally:
        spark.sparkContext.setJobGroup("", "")


def test_plain_progress_lines_count_the_jobs_tasks(spark):
    out = io.StringIO()
    snaps = []
    with StageProgress(spark, "demo", "test-progress-a", out=Console(out, NORMAL),
                       on_status=snaps.append, plain_every=0.1, status_every=0.1):
        assert _slow_job(spark, "test-progress-a") == [0, 1, 2, 3]
    text = out.getvalue()
    assert "[demo] job " in text and "/4 tasks" in text
    assert "\x1b" not in text and "\r" not in text  # not a terminal: plain lines only
    seen = [s for s in snaps if s.job is not None]
    # before its Spark stage is submitted a job has no tasks yet; after, all 4 partitions count
    assert any(s.tasks_total == 4 for s in seen)
    assert all(s.tasks_total in (0, 4) and 0 <= s.tasks_done <= s.tasks_total for s in seen)


def test_snapshot_of_a_finished_group_reads_its_input(spark, tmp_path):
    path = tmp_path / "t.parquet"
    spark.range(1000).write.parquet(str(path))
    spark.sparkContext.setJobGroup("test-progress-b", "test")
    try:
        assert spark.read.parquet(str(path)).count() == 1000
    finally:
        spark.sparkContext.setJobGroup("", "")
    # Spark's listener bus marks the job finished asynchronously, a moment after count() returns.
    progress = SparkProgress(spark, "test-progress-b")
    for _ in range(100):
        snap = progress.snapshot(elapsed=2.0)
        if snap.job is None:
            break
        time.sleep(0.1)
    assert snap.job is None  # nothing running any more
    assert snap.rows_read is not None and snap.bytes_read and snap.bytes_read > 0
    other = SparkProgress(spark, "no-such-group").snapshot(elapsed=1.0)
    assert other.job is None and other.rows_read == 0 and other.bytes_read == 0


def test_spark_log_goes_to_the_file_not_the_console(spark, tmp_path, capfd):
    from codecurate.spark.session import log_to

    target = tmp_path / "run" / "spark.log"
    log_to(spark, target)
    logger = spark.sparkContext._jvm.org.apache.logging.log4j.LogManager.getLogger("codecurate.test")
    logger.warn("marker-8f3a for the log file")
    logger.info("info-8f3a below the level")
    time.sleep(0.2)
    text = target.read_text()
    assert "marker-8f3a for the log file" in text and "info-8f3a" not in text
    captured = capfd.readouterr()
    assert "marker-8f3a" not in captured.err + captured.out


def test_runner_leaves_a_failed_status_and_a_report(spark, tmp_path, monkeypatch):
    from swh_fixture import write_export

    from codecurate.config import load_config
    from codecurate.run import runner
    from codecurate.run.runner import StageFailed, run_pipeline

    export = write_export(tmp_path / "export", {})
    cfg = load_config(None, [f"input.export={export}", f"output.root={tmp_path / 'out'}", "stages=[extract]"])

    def boom(*args):
        raise RuntimeError("boom: disk on fire")

    monkeypatch.setattr(runner, "_write_outputs", boom)
    with pytest.raises(StageFailed, match="boom"):
        run_pipeline(cfg, spark=spark)
    (run_dir,) = (tmp_path / "out" / "runs").iterdir()
    status = json.loads((run_dir / "extract" / "status.json").read_text())
    assert status["state"] == "failed" and status["error"] == "stage 'extract' failed: boom: disk on fire"
    assert status["cores"] == spark.sparkContext.defaultParallelism
    monkeypatch.undo()
    run_pipeline(cfg, spark=spark)  # again, working: done, with a report
    status = json.loads((run_dir / "extract" / "status.json").read_text())
    assert status["state"] == "done" and (run_dir / "report.png").is_file()
    assert (run_dir / "spark.log").is_file()
