import datetime as dt
import random
import re
import sys
from pathlib import Path

import pytest

from codecurate import columns as C
from codecurate.config import Config, NearDedupConfig, SparkConfig
from codecurate.dev.bench.dedup import edit_lines
from codecurate.stages import exact_dedup, near_dedup
from codecurate.stages.base import StageContext, StageInputError

SCHEMA = (
    "blob_id string, repo_name string, path string, snapshot_id string, gha_license_id string, "
    "star_events_count long, fork_events_count long, revision_date timestamp, "
    "visit_date timestamp, content string"
)
DAY1, DAY2 = dt.datetime(2024, 1, 1), dt.datetime(2024, 6, 1)
STDLIB = Path(sys.base_prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"


def _row(blob, repo, path="f.py", snapshot="s1", license=None, stars=None, forks=None,
         revised=DAY1, visited=DAY1, content="pass"):
    return (blob, repo, path, snapshot, license, stars, forks, revised, visited, content)


def _context(spark):
    return StageContext(spark=spark, checkpoint=lambda df: df.localCheckpoint(), log=lambda _: None)


def _outcome(frame):
    return {
        (r[C.REPO_NAME], r[C.PATH], r[C.SNAPSHOT_ID]): (r[C.DROP_REASON], r[C.DUP_OF], r[C.DUP_OF_REPO_NAME])
        for r in frame.collect()
    }


# The survivors join the files by broadcast (few) or by a shuffle (spark.broadcast_max_mb=0).
@pytest.mark.parametrize("broadcast_max_mb", [32, 0])
def test_exact_dedup_keeps_one_row_per_blob_by_the_survivor_order(spark, broadcast_max_mb):
    rows = [
        # blob b1: permissive license beats stars; equal rest falls to repo_name asc
        _row("b1", "z/gpl", license="gpl-3.0", stars=900),
        _row("b1", "m/mit", license="MIT", stars=5, forks=1),
        _row("b1", "k/mit", license="mit", stars=5, forks=1),
        _row("b1", "a/apache", license="apache-2.0", stars=None, forks=50),  # null stars last
        # b2: same repo and path in two snapshots: snapshot_id breaks the tie
        _row("b2", "o/r", snapshot="s9"),
        _row("b2", "o/r", snapshot="s2"),
        # b3: alone
        _row("b3", "o/r", path="other.py"),
        # b4: forks equal (null), newer revision wins over older revision with a later visit
        _row("b4", "p/old", stars=3, revised=DAY1, visited=DAY2),
        _row("b4", "p/new", stars=3, revised=DAY2, visited=DAY1),
    ]
    cfg = Config(spark=SparkConfig(broadcast_max_mb=broadcast_max_mb))
    out = exact_dedup.run(spark.createDataFrame(rows, SCHEMA).repartition(3), cfg, _context(spark))
    plan = out._jdf.queryExecution().executedPlan().toString()
    assert ("BroadcastHashJoin" in plan) == (broadcast_max_mb > 0), plan
    dup = "exact_duplicate"
    assert _outcome(out) == {
        ("k/mit", "f.py", "s1"): (None, None, None),
        ("z/gpl", "f.py", "s1"): (dup, "b1", "k/mit"),
        ("m/mit", "f.py", "s1"): (dup, "b1", "k/mit"),
        ("a/apache", "f.py", "s1"): (dup, "b1", "k/mit"),
        ("o/r", "f.py", "s2"): (None, None, None),
        ("o/r", "f.py", "s9"): (dup, "b2", "o/r"),
        ("o/r", "other.py", "s1"): (None, None, None),
        ("p/new", "f.py", "s1"): (None, None, None),
        ("p/old", "f.py", "s1"): (dup, "b4", "p/new"),
    }
    assert out.columns[: len(SCHEMA.split(","))] == [f.split()[0] for f in SCHEMA.split(", ")]


def test_exact_dedup_names_missing_columns(spark):
    frame = spark.createDataFrame([("b1", "x")], "blob_id string, content string")
    with pytest.raises(StageInputError, match="star_events_count"):
        exact_dedup.STAGE.run(frame, Config(), _context(spark))  # the declaration checks its columns


# Planted near-duplicate families: edits of real files, at similarity levels the test checks
# with its own tokeniser and set arithmetic.

def _shingle_set(text):
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i:i + 5]) for i in range(len(words) - 4)}


def _jaccard(a, b):
    sa, sb = _shingle_set(a), _shingle_set(b)
    return len(sa & sb) / len(sa | sb)


def _edit(text, share, seed, tag):
    return edit_lines(text, share, random.Random(seed), tag)


@pytest.fixture(scope="module")
def planted():
    a0 = (STDLIB / "textwrap.py").read_text()
    b0 = (STDLIB / "shlex.py").read_text()
    c0 = (STDLIB / "fnmatch.py").read_text()
    texts = {
        "a0": a0, "a1": _edit(a0, 0.02, 1, "qa"), "a2": _edit(a0, 0.03, 2, "qb"),
        "afar": _edit(a0, 1.0, 3, "qc"),
        "b0": b0, "b1": _edit(b0, 0.02, 4, "qd"),
        "c0": c0,
        "short1": "x = 1", "short2": "x  =  1 ",
        "colorsys": (STDLIB / "colorsys.py").read_text(),
        "bisect": (STDLIB / "bisect.py").read_text(),
    }
    texts["c1"] = _edit(c0, 0.1, 5, "qe")
    texts["c2"] = _edit(texts["c1"], 0.1, 6, "qf")
    texts["d0"] = (STDLIB / "heapq.py").read_text()
    texts["d1"] = _edit(texts["d0"], 0.18, 8, "qg")
    # Pinned edit seed: a chain with links at J ~0.78 has ends at J ~0.64, within ~2 standard
    # errors of the 0.7 threshold for a 256-value estimate (sd ~0.03), so whether the ends'
    # estimate falls under 0.7 depends on the signature's hashing. Seed 104 puts the estimates
    # at 0.77 (link) and 0.66 (ends) with codecurate.text.minhash's shingle hashing.
    texts["d2"] = _edit(texts["d1"], 0.18, 104, "qh")
    return texts


def test_planted_edit_levels(planted):
    t = planted
    for x, y in [("a0", "a1"), ("a0", "a2"), ("a1", "a2"), ("b0", "b1")]:
        assert _jaccard(t[x], t[y]) >= 0.9, (x, y)
    for x in ("a0", "a1", "a2"):
        assert _jaccard(t[x], t["afar"]) <= 0.3, x
    # a chain: neighbours are near duplicates, the ends need the middle to be grouped
    assert 0.8 <= _jaccard(t["c0"], t["c1"]) < 0.9 and 0.8 <= _jaccard(t["c1"], t["c2"]) < 0.9
    assert _jaccard(t["c0"], t["c2"]) < 0.8
    # a chain whose ends are not near duplicates: d2 survives, d0 is too far from it
    assert _jaccard(t["d0"], t["d1"]) >= 0.75 and _jaccard(t["d1"], t["d2"]) >= 0.75
    assert _jaccard(t["d0"], t["d2"]) < 0.65


def _near_input(spark, texts):
    meta = {
        "a0": dict(stars=100), "a1": dict(license="gpl-3.0", stars=500), "a2": dict(license="mit"),
        "b0": dict(stars=3), "b1": dict(stars=3, forks=2),
        "c0": dict(), "c1": dict(), "c2": dict(revised=DAY2),
        "d2": dict(stars=10),
    }
    rows = [_row(blob, f"r/{blob}", content=text, **meta.get(blob, {})) for blob, text in texts.items()]
    return spark.createDataFrame(rows, SCHEMA)


EXPECTED_NEAR = {
    "a0": ("near_duplicate", "a2", "r/a2"), "a1": ("near_duplicate", "a2", "r/a2"),
    "a2": (None, None, None), "afar": (None, None, None),
    "b0": ("near_duplicate", "b1", "r/b1"), "b1": (None, None, None),
    "c0": ("near_duplicate", "c2", "r/c2"),
    "c1": ("near_duplicate", "c2", "r/c2"), "c2": (None, None, None),
    "short1": (None, None, None), "short2": (None, None, None),
    "colorsys": (None, None, None), "bisect": (None, None, None),
    "d0": (None, None, None), "d1": ("near_duplicate", "d2", "r/d2"), "d2": (None, None, None),
}


# The components are found on the driver (graphs this small) and in Spark rounds; the decisions
# join the files by broadcast, and by a shuffle with spark.broadcast_max_mb=0.
@pytest.mark.parametrize("partitions, driver_graph_max_edges, broadcast_max_mb",
                         [(1, 200_000, 32), (2, 0, 0), (7, 200_000, 32)])
def test_near_dedup_merges_planted_families_on_any_partitioning(spark, planted, partitions, driver_graph_max_edges,
                                                                broadcast_max_mb):
    previous = spark.conf.get("spark.sql.shuffle.partitions")
    spark.conf.set("spark.sql.shuffle.partitions", str(partitions))
    try:
        ctx = _context(spark)
        files = _near_input(spark, planted).repartition(partitions)
        cfg = Config(near_dedup=NearDedupConfig(driver_graph_max_edges=driver_graph_max_edges),
                     spark=SparkConfig(broadcast_max_mb=broadcast_max_mb))
        out = near_dedup.run(files, cfg, ctx)
        got = {r[C.BLOB_ID]: (r[C.DROP_REASON], r[C.DUP_OF], r[C.DUP_OF_REPO_NAME]) for r in out.collect()}
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", previous)
    assert got == EXPECTED_NEAR
    assert ctx.metrics["lsh_bands"] == 25 and ctx.metrics["lsh_rows"] == 10
    assert ctx.metrics["largest_component"] == 3
    assert ctx.metrics["largest_bucket"] >= 3
    assert ctx.metrics["cc_rounds"] == 0 if driver_graph_max_edges else ctx.metrics["cc_rounds"] >= 1
    assert ctx.metrics["survivor_rounds"] == 2  # d0 released in round 1, nothing in round 2


def test_without_the_survivor_recheck_a_whole_chain_goes(spark, planted):
    cfg = Config(near_dedup=NearDedupConfig(recheck_survivor=False))
    out = near_dedup.run(_near_input(spark, planted), cfg, _context(spark))
    got = {r[C.BLOB_ID]: (r[C.DROP_REASON], r[C.DUP_OF], r[C.DUP_OF_REPO_NAME]) for r in out.collect()}
    assert got == {**EXPECTED_NEAR, "d0": ("near_duplicate", "d2", "r/d2")}


# Incremental runs: a1 and d0 were published by the earlier release (and "gone", no longer in
# the export). a0 and a2 are near copies of a1, d1 of d0: dropped for them, where a full run
# keeps a2 and drops d1 for d2. d2 is linked to d0 only through d1 (J(d0, d2) ~0.66): it meets d0 in
# one component, is re-checked against it and kept. The rest is clustered as in a full run.
@pytest.mark.parametrize("driver_graph_max_edges", [200_000, 0])
def test_incremental_near_dedup_keeps_published_files(spark, planted, driver_graph_max_edges):
    published = spark.createDataFrame([("a1",), ("d0",), ("gone",)], "blob_id string")
    ctx = StageContext(spark=spark, checkpoint=lambda df: df.localCheckpoint(), log=lambda _: None,
                       previously_published=lambda: published)
    cfg = Config(near_dedup=NearDedupConfig(driver_graph_max_edges=driver_graph_max_edges))
    out = near_dedup.run(_near_input(spark, planted), cfg, ctx)
    got = {r[C.BLOB_ID]: (r[C.DROP_REASON], r[C.DUP_OF], r[C.DUP_OF_REPO_NAME]) for r in out.collect()}
    assert got == {
        **EXPECTED_NEAR,
        "a0": ("near_duplicate", "a1", "r/a1"), "a1": (None, None, None), "a2": ("near_duplicate", "a1", "r/a1"),
        "d0": (None, None, None), "d1": ("near_duplicate", "d0", "r/d0"), "d2": (None, None, None),
    }
    assert ctx.metrics["dropped_for_published"] == 3  # a0, a2, d1: before any clustering
    assert ctx.metrics["survivor_rounds"] == 2  # d2 released in round 1


# A chain a-b-c-d-e (verified edges), survivor order a..e by stars, hand-made signatures of 10
# values (J = the share of equal positions): J(a,b) = 0.9, J(c,d) = 0.9, every other pair the
# re-check reads <= 0.3. Round 1: survivor a keeps b as its copy, releases c, d, e; round 2
# (edges c-d, d-e): survivor c keeps d, releases e; round 3: e has no edge left, it is kept.
@pytest.mark.parametrize("driver_graph_max_edges", [200_000, 0])
def test_survivor_recheck_releases_a_chain_round_by_round(spark, driver_graph_max_edges):
    import numpy as np

    from codecurate.config import LicensesConfig
    from codecurate.stages.survivor import survivor_order

    values = {"a": list(range(10)), "b": [*range(9), 300], "c": [0, 1, 2, *range(100, 107)],
              "d": [0, 1, 2, *range(100, 106), 200], "e": [0, *range(400, 409)]}
    signed = spark.createDataFrame(
        [(blob, np.array(v, dtype="<u4").tobytes()) for blob, v in values.items()], "blob_id string, signature binary")
    files = spark.createDataFrame(
        [_row(blob, f"r/{blob}", stars=100 - i)[:-1] for i, blob in enumerate(values)], SCHEMA.rsplit(",", 1)[0])
    edges = spark.createDataFrame([("b", "a"), ("c", "b"), ("d", "c"), ("e", "d")], "src string, dst string")
    ctx = _context(spark)
    nd = NearDedupConfig(driver_graph_max_edges=driver_graph_max_edges)
    decided = near_dedup._survivors(files, edges, signed, nd, survivor_order(LicensesConfig()), ctx)
    got = {(r[C.BLOB_ID], r[C.DUP_OF], r[C.DUP_OF_REPO_NAME], r[C.DUP_OF_PATH]) for r in decided.collect()}
    assert got == {("a", "a", "r/a", "f.py"), ("b", "a", "r/a", "f.py"),
                   ("c", "c", "r/c", "f.py"), ("d", "c", "r/c", "f.py")}
    assert ctx.metrics["survivor_rounds"] == 3
    assert ctx.metrics["largest_component"] == 5


# Hand-made band keys: bucket (0, 7) holds a < b < c < d, bucket (1, 9) holds b and d, the
# others one blob each. Up to ALL_PAIRS_MAX members a bucket links every pair; past it, each
# member links to the smallest (a) and to the one before it, and d-b comes only from (1, 9).
@pytest.mark.parametrize("all_pairs_max, expected", [
    (64, {("b", "a", 4), ("c", "a", 4), ("d", "a", 4), ("c", "b", 4), ("d", "b", 4), ("d", "c", 4)}),
    (3, {("b", "a", 4), ("c", "a", 4), ("d", "a", 4), ("c", "b", 4), ("d", "c", 4), ("d", "b", 2)}),
    (1, {("b", "a", 4), ("c", "a", 4), ("d", "a", 4), ("c", "b", 4), ("d", "c", 4), ("d", "b", 2)}),
])
def test_candidate_edges_link_every_pair_of_a_small_bucket(spark, monkeypatch, all_pairs_max, expected):
    monkeypatch.setattr(near_dedup, "ALL_PAIRS_MAX", all_pairs_max)
    signed = spark.createDataFrame(
        [("a", b"", [7, 1]), ("b", b"", [7, 9]), ("c", b"", [7, 5]), ("d", b"", [7, 9])],
        "blob_id string, signature binary, bands array<bigint>")
    got = {(r["src"], r["dst"], r["size"]) for r in near_dedup.candidate_edges(signed, _context(spark)).collect()}
    assert got == expected


@pytest.mark.parametrize("key, value", [("min_tokens", 0), ("max_iterations", 0), ("num_perm", 8)])
def test_near_dedup_config_rejects_unusable_values(tmp_path, key, value):
    from codecurate.config import ConfigError, load_config

    with pytest.raises(ConfigError, match=f"near_dedup.{key}"):
        load_config(None, [f"input.export={tmp_path}", f"near_dedup.{key}={value}"])
