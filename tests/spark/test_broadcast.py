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


def _context(spark):
    from codecurate.stages.base import StageContext

    return StageContext(spark=spark, checkpoint=lambda df: df.localCheckpoint(), log=lambda _: None)


def test_observed_checkpoint_measures_what_it_materialises(spark):
    from pyspark.sql import functions as F

    from codecurate.stages.base import observed_checkpoint

    frame = spark.createDataFrame([("abc", 1), ("de", 2), (None, 3)], "s string, n long")
    done, seen = observed_checkpoint(frame.where("n > 1"), _context(spark), rows=F.count(F.lit(1)),
                                     size=estimated_bytes(frame))
    # two rows: 16 each, "de" 2 + null 0, two longs 8 each
    assert seen == {"rows": 2, "size": 2 * 16 + 2 + 2 * 8}
    assert sorted(r["n"] for r in done.collect()) == [2, 3]
    empty, seen = observed_checkpoint(frame.where("n > 9"), _context(spark), size=estimated_bytes(frame))
    assert seen == {"size": 0} and empty.count() == 0


def test_few_rows_read_only_the_contents_files_that_hold_their_texts(spark, tmp_path):
    # An incremental run's contents table: texts carried over from earlier runs in some files,
    # the texts it decoded itself in others (here two writes into one directory, with a space
    # in its path: Spark names files by URL).
    from codecurate.stages.base import with_content

    table = tmp_path / "con tents"
    old = spark.createDataFrame([(f"old{i}", f"old text {i}") for i in range(50)], "blob_id string, content string")
    new = spark.createDataFrame([(f"new{i}", f"new text {i}") for i in range(5)], "blob_id string, content string")
    old.coalesce(1).write.parquet(str(table))
    new.coalesce(1).write.mode("append").parquet(str(table))
    contents = spark.read.schema("blob_id string, content string").parquet(str(table))
    assert len(contents.inputFiles()) == 2
    cfg = Config()

    rows = spark.createDataFrame([("new1", "a.py"), ("new3", "b.py")], "blob_id string, path string")
    found = with_content(rows, cfg, contents)
    assert sorted((r["path"], r["content"]) for r in found.collect()) == [("a.py", "new text 1"), ("b.py", "new text 3")]
    (read,) = found.inputFiles()
    assert read in new_files(contents, "new0")

    both = spark.createDataFrame([("new1", "a.py"), ("old7", "c.py")], "blob_id string, path string")
    found = with_content(both, cfg, contents)
    assert sorted(r["content"] for r in found.collect()) == ["new text 1", "old text 7"]
    assert len(found.inputFiles()) == 2

    # no broadcast (cap 0): the rows are joined with the whole table
    found = with_content(rows, Config(spark=SparkConfig(broadcast_max_mb=0)), contents)
    assert len(found.inputFiles()) == 2 and found.count() == 2
    # rows whose blobs the table lacks find no text, and read nothing
    missing = spark.createDataFrame([("gone", "d.py")], "blob_id string, path string")
    assert with_content(missing, cfg, contents).count() == 0


def new_files(contents, blob_id):
    """The file URLs of `contents` whose rows include `blob_id`, as inputFiles() names them."""
    from pyspark.sql import functions as F

    return {r[0] for r in contents.where(F.col("blob_id") == blob_id).select(F.input_file_name()).collect()}
