"""Local mode sizes itself to the machine, and the memory keys are validated (no JVM needed)."""

import pytest

from codecurate.config import ConfigError, SparkConfig, load_config
from codecurate.spark import session


@pytest.mark.parametrize(("memory_mb", "cpus", "expected"), [
    (8 * 1024, 8, "local[2]"),    # 8 GB laptop: (8192 - 1024 - 1024) // 2560 = 2 workers
    (32 * 1024, 8, "local[8]"),   # memory for 11 workers, 8 cores
    (4 * 1024, 4, "local[1]"),    # too small for even one worker's budget: still one core
    (64 * 1024, 2, "local[2]"),   # this machine's class: cores are the limit
])
def test_local_auto_takes_the_cores_memory_allows(monkeypatch, memory_mb, cpus, expected):
    monkeypatch.setattr(session, "_total_memory_mb", lambda: memory_mb)
    monkeypatch.setattr(session.os, "cpu_count", lambda: cpus)
    assert session.local_master(SparkConfig(master="local[auto]")) == expected


def test_an_explicit_master_is_kept(monkeypatch):
    monkeypatch.setattr(session, "_total_memory_mb", lambda: 1024)
    assert session.local_master(SparkConfig(master="local[3]")) == "local[3]"
    assert session.local_master(SparkConfig(master="spark://h:7077")) == "spark://h:7077"


def test_a_bigger_driver_leaves_room_for_fewer_workers(monkeypatch):
    monkeypatch.setattr(session, "_total_memory_mb", lambda: 16 * 1024)
    monkeypatch.setattr(session.os, "cpu_count", lambda: 16)
    # (16384 - 8192 - 1024) // 2560 = 2
    assert session.local_master(SparkConfig(master="local[auto]", driver_memory="8g")) == "local[2]"


def test_defaults_are_the_documented_ones():
    cfg = load_config(None, ["input.export=/x"])
    assert (cfg.spark.master, cfg.spark.driver_memory, cfg.spark.shuffle_partitions) == ("local[auto]", "1g", 64)


@pytest.mark.parametrize("value", ["1 GB", "lots", "0g", "1.5g"])
def test_driver_memory_must_be_a_jvm_size(value):
    with pytest.raises(ConfigError, match="spark.driver_memory"):
        load_config(None, ["input.export=/x", f"spark.driver_memory={value}"])


def test_no_join_is_broadcast_however_small_a_side_looks(spark, tmp_path):
    # A tiny Parquet side is what Spark would broadcast by default (estimate: its file size).
    spark.range(50).selectExpr("id", "repeat('x', 100) as content").write.parquet(str(tmp_path / "small"))
    small = spark.read.parquet(str(tmp_path / "small"))
    joined = spark.range(1000).join(small, "id")
    assert joined.count() == 50
    plan = joined._jdf.queryExecution().executedPlan().toString()
    assert "BroadcastHashJoin" not in plan and "BroadcastNestedLoopJoin" not in plan
    assert "SortMergeJoin" in plan or "ShuffledHashJoin" in plan
