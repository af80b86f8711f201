"""Small answer tables are joined onto the files by broadcast, measured rather than estimated."""

import pytest

from codecurate.config import Config, SparkConfig
from codecurate.stages.base import broadcast_if_small, estimated_bytes


def _plan(frame) -> str:
    return frame._jdf.queryExecution().executedPlan().toString()


def test_estimated_bytes_counts_strings_by_length_and_other_values_by_eight(spark):
    frame = spark.createDataFrame(
        [("abc", 1, ["x", "y"]), ("de", None, None), (None, 3, [])], "s string, n long, a array<string>")
    # per row 16; "abc" 3 + "de" 2 + null 0; three longs (null too) 8 each; string arrays 16 an
    # element plus their lengths
    assert frame.agg(estimated_bytes(frame)).first()[0] == 3 * 16 + 5 + 3 * 8 + 2 * 16 + 2
    empty = spark.createDataFrame([], "s string")
    assert empty.agg(estimated_bytes(empty)).first()[0] == 0


@pytest.mark.parametrize("cap_mb, broadcast", [(1, True), (0, False)])
def test_a_table_under_the_cap_is_broadcast_and_the_join_is_the_same(spark, cap_mb, broadcast):
    files = spark.createDataFrame([(f"b{i}", "x" * 100) for i in range(200)], "blob_id string, content string")
    answers = spark.createDataFrame([(f"b{i}", i % 3) for i in range(0, 200, 2)], "blob_id string, label long")
    hinted = broadcast_if_small(answers, Config(spark=SparkConfig(broadcast_max_mb=cap_mb)))
    joined = files.join(hinted, "blob_id", "left")
    assert ("BroadcastHashJoin" in _plan(joined)) == broadcast
    got = {r["blob_id"]: r["label"] for r in joined.collect()}
    assert len(got) == 200 and got["b4"] == 1 and got["b5"] is None


def test_a_table_over_the_cap_is_joined_by_a_shuffle(spark):
    # ~1.2 MB of strings against a 1 MB cap
    big = spark.createDataFrame([(f"b{i}", "y" * 1200) for i in range(1000)], "blob_id string, text string")
    files = spark.createDataFrame([("b1",)], "blob_id string")
    joined = files.join(broadcast_if_small(big, Config(spark=SparkConfig(broadcast_max_mb=1))), "blob_id")
    assert "BroadcastHashJoin" not in _plan(joined)
    assert joined.count() == 1


def test_the_hint_survives_join_results(spark):
    # stages join answers through join_results, which renames the keys on top of the hinted table
    from codecurate.stages.base import join_results

    rows = spark.createDataFrame([(f"b{i}", "x") for i in range(100)], "blob_id string, content string")
    answers = spark.createDataFrame([(f"b{i}", i) for i in range(50)], "blob_id string, n long").localCheckpoint()
    joined = join_results(rows, broadcast_if_small(answers, Config()), ["blob_id"])
    assert "BroadcastHashJoin" in _plan(joined)
    assert sorted(r["n"] for r in joined.collect() if r["n"] is not None) == list(range(50))
