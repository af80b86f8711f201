"""Near dedup: MinHash LSH candidates, verified, grouped by connected components.

signatures (one Arrow-batched pass, checkpointed: the only Python-heavy step)
  -> band buckets -> candidate edges (every pair of a bucket of up to ALL_PAIRS_MAX files; a
     bigger bucket of k files gives k-1 edges to its smallest blob_id and k-1 between
     neighbours in blob_id order: linear in k, never k^2)
  -> verification (signature Jaccard >= threshold) -> connected components (codecurate.spark.graph)
  -> one survivor per component by the shared survivor order; the rest are near_duplicate,
     unless too far from the survivor (`recheck_survivor`): those are clustered again.
Files under `min_tokens` tokens get no signature, so they join no component and are kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import metadata
from typing import Any

import pyarrow as pa
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from codecurate import columns as C
from codecurate.config import Config, NearDedupConfig
from codecurate.reasons import DropReason
from codecurate.spark.arrow import map_to_arrow
from codecurate.spark.graph import (
    COMPONENT,
    DST,
    ID,
    SRC,
    GraphError,
    collected,
    connected_components,
    indexed,
    labels_on_driver,
)
from codecurate.stages.base import (
    ContentResults,
    Stage,
    StageContext,
    broadcast_if_small,
    content_results,
    estimated_bytes,
    hinted,
    mark_dropped,
    observed_checkpoint,
)
from codecurate.stages.survivor import SURVIVOR_COLUMNS, survivor_order
from codecurate.text import minhash

NAME = "near_dedup"
REQUIRES = SURVIVOR_COLUMNS

SIGNATURE, BANDS, BAND, KEY = "signature", "bands", "band", "key"
_SIGNED_SCHEMA = pa.schema([(C.BLOB_ID, pa.string()), (SIGNATURE, pa.binary()), (BANDS, pa.list_(pa.int64()))])
_SCORED_SCHEMA = pa.schema([(SRC, pa.string()), (DST, pa.string()), ("jaccard", pa.float64())])
_DUP_OF_SNAPSHOT = "_dup_of_snapshot"
PUBLISHED = "_published_before"  # incremental runs: the blob was in the earlier release


def signatures(files: DataFrame, cfg: NearDedupConfig) -> DataFrame:
    """(blob_id, signature, bands) for every file with at least `min_tokens` tokens."""
    return all_signatures(files, cfg).where(F.col(SIGNATURE).isNotNull())


def all_signatures(files: DataFrame, cfg: NearDedupConfig) -> DataFrame:
    """(blob_id, signature, bands) for every file; null signature and bands under `min_tokens`
    tokens (stored too, so a later run need not count a short file's tokens again)."""
    bands, rows = minhash.lsh_params(cfg.threshold, cfg.num_perm)
    num_perm, seed, ngram, min_tokens = cfg.num_perm, cfg.seed, cfg.ngram, cfg.min_tokens

    def sign(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            sigs = minhash.signatures(batch.column(1).to_pylist(), num_perm, seed, ngram, min_tokens)
            yield pa.RecordBatch.from_arrays(
                [
                    pa.array(batch.column(0).to_pylist(), pa.string()),
                    pa.array(sigs, pa.binary()),
                    pa.array([None if sig is None else minhash.band_keys(sig, bands, rows) for sig in sigs],
                             pa.list_(pa.int64())),
                ],
                names=[C.BLOB_ID, SIGNATURE, BANDS],
            )

    return map_to_arrow(files.select(C.BLOB_ID, C.CONTENT), sign, _SIGNED_SCHEMA)


def _score(edges: DataFrame, signed: DataFrame) -> DataFrame:
    """Candidate edges with the Jaccard similarity their full signatures estimate."""
    left = signed.select(F.col(C.BLOB_ID).alias(SRC), F.col(SIGNATURE).alias("a"))
    right = signed.select(F.col(C.BLOB_ID).alias(DST), F.col(SIGNATURE).alias("b"))

    def score(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            jaccard = minhash.estimated_jaccards(batch.column(2).to_pylist(), batch.column(3).to_pylist())
            yield pa.RecordBatch.from_arrays(
                [batch.column(0), batch.column(1), pa.array(jaccard, pa.float64())],
                names=[SRC, DST, "jaccard"],
            )

    pairs = edges.join(left, SRC).join(right, DST).select(SRC, DST, "a", "b")
    return map_to_arrow(pairs, score, _SCORED_SCHEMA)


def run(files: DataFrame, cfg: Config, ctx: StageContext) -> DataFrame:
    nd = cfg.near_dedup
    bands, rows = minhash.lsh_params(nd.threshold, nd.num_perm)
    ctx.metric("lsh_bands", bands)
    ctx.metric("lsh_rows", rows)

    # The one expensive pass; everything after it reads the checkpoint.
    # Signatures by blob_id: an earlier run's are reused (RESULTS); checkpointed by the helper.
    signed = content_results(files, RESULTS, cfg, ctx).where(F.col(SIGNATURE).isNotNull())

    candidates = candidate_edges(signed, ctx)
    # Every bucket of two or more members gives edges, each carrying its bucket's size.
    ctx.metric("largest_bucket", candidates.agg(F.max("size")).first()[0] or 0)
    candidates = candidates.select(SRC, DST)
    if nd.verify:
        # One unlucky band collision must not chain unrelated files into one cluster.
        scored, counts = observed_checkpoint(_score(candidates, signed), ctx, candidate_edges=F.count(F.lit(1)),
                                             verified_edges=F.count(F.when(F.col("jaccard") >= nd.threshold, 1)))
        ctx.metric("candidate_edges", counts["candidate_edges"])
        ctx.metric("verified_edges", counts["verified_edges"])
        edges = scored.where(F.col("jaccard") >= nd.threshold).select(SRC, DST)
    else:
        edges = candidates

    order = survivor_order(cfg.licenses)
    candidates_for_survivor = files
    near_published = None
    published = ctx.previously_published() if ctx.previously_published else None
    if published is not None and cfg.incremental.keep_published:
        # Incremental policy: a file the earlier release published keeps its place; a new file
        # near-duplicating it is the one dropped. Files the earlier release published but this
        # run no longer has (opted out, relicensed, gone) are not in `files`: they hold nothing.
        mark = broadcast_if_small(published.select(C.BLOB_ID).distinct().withColumn(PUBLISHED, F.lit(True)), cfg)
        candidates_for_survivor = files.join(mark, C.BLOB_ID, "left")
        order = [F.coalesce(F.col(PUBLISHED), F.lit(False)).desc(), *order]
        near_published, seen = _near_published(candidates_for_survivor, edges, mark, order, ctx)
        ctx.metric("dropped_for_published", seen["count"])
        edges = _contracted(edges, hinted(near_published.select(C.BLOB_ID, C.DUP_OF), seen["size"], cfg), mark)
    survivors = _survivors(candidates_for_survivor, edges, signed, nd, order, ctx)
    if near_published is not None:
        survivors = survivors.unionByName(near_published)
    return _tag(files, broadcast_if_small(survivors, cfg))


# Buckets of up to this many files link every pair of them: two files sharing one are always
# compared. Linking only star and chain there left pairs at J 0.70-0.75 both published (10 of
# 37k files on the 1.1 GB scale corpus, sharing one bucket of 4-54 files). Bigger buckets
# (boilerplate: a license header shared by 1M files) keep the linear star and chain.
ALL_PAIRS_MAX = 64


def candidate_edges(signed: DataFrame, ctx: StageContext) -> DataFrame:
    """(src, dst, size): the pairs of blobs LSH puts in one bucket (src > dst), with the size
    of the largest bucket they share; checkpointed (the edges are few, and both the metric
    and the scoring read them).

    A bucket of up to ALL_PAIRS_MAX members gives every pair. A bigger one gives linear edges,
    not all pairs (1M files: 2M edges, not 5e11): each member links to the bucket's smallest
    id (a star) and to the next smaller id (a chain); with a star alone, verification cuts
    every edge of a bucket whose root is the odd one out, and members similar to each other
    lose their only link. One sort by (band, key, blob_id) gives each member its bucket's size,
    root and previous id (a blob has one key per band, so members need no distinct).
    """
    members = signed.select(C.BLOB_ID, F.posexplode(BANDS).alias(BAND, KEY))
    in_order = Window.partitionBy(BAND, KEY).orderBy(C.BLOB_ID)
    whole = in_order.rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)
    linked = ctx.checkpoint(members.select(
        C.BLOB_ID, BAND, KEY, F.count(F.lit(1)).over(whole).alias("size"),
        F.first(C.BLOB_ID).over(in_order).alias("root"), F.lag(C.BLOB_ID).over(in_order).alias("previous"),
    ).where("size > 1"))
    small = linked.where(F.col("size") <= ALL_PAIRS_MAX)
    big = linked.where(F.col("size") > ALL_PAIRS_MAX)
    pairs = (small.select(BAND, KEY, F.col(C.BLOB_ID).alias(SRC), "size")
             .join(small.select(BAND, KEY, F.col(C.BLOB_ID).alias(DST)), [BAND, KEY])
             .where(F.col(SRC) > F.col(DST)).select(SRC, DST, "size"))
    return ctx.checkpoint(
        pairs
        .union(big.select(F.col(C.BLOB_ID).alias(SRC), F.col("root").alias(DST), "size"))
        .union(big.select(F.col(C.BLOB_ID).alias(SRC), F.col("previous").alias(DST), "size"))
        .where(F.col(DST).isNotNull() & (F.col(SRC) != F.col(DST)))
        .groupBy(SRC, DST).agg(F.max("size").alias("size"))
    )


def _contracted(edges: DataFrame, dropped: DataFrame, published: DataFrame) -> DataFrame:
    """The graph left to cluster once the files of _near_published (`dropped`: blob_id,
    dup_of) are dropped: each of them is replaced by the published file it was dropped for, so
    what was linked to it is now linked to that file and meets it in one component. The
    survivor re-check then compares them directly (a file similar to a dropped copy of a
    published file may be similar to the published file itself, with no LSH edge of its own
    to it). `published`: the blob ids the earlier release published (blob_id, PUBLISHED).

    Links between two published files that only the replacement made are left out: both keep
    their places whatever their similarity, and they would only cost re-check rounds. What
    is left is small: the new files among themselves and next to those published files.
    """
    ends = []
    for end in (SRC, DST):
        edges = (edges.join(dropped.select(F.col(C.BLOB_ID).alias(end), F.col(C.DUP_OF).alias(f"_{end}_to")), end,
                            "left")
                 .join(published.select(F.col(C.BLOB_ID).alias(end), F.col(PUBLISHED).alias(f"_{end}_published")),
                       end, "left"))
        ends.append(F.col(f"_{end}_to").isNotNull() | F.col(f"_{end}_published").isNotNull())
    replaced = F.col(f"_{SRC}_to").isNotNull() | F.col(f"_{DST}_to").isNotNull()
    return (edges.where(~(replaced & ends[0] & ends[1]))
            .select(F.coalesce(f"_{SRC}_to", SRC).alias(SRC), F.coalesce(f"_{DST}_to", DST).alias(DST))
            .where(F.col(SRC) != F.col(DST)))


def _near_published(files: DataFrame, edges: DataFrame, mark: DataFrame, order: list[Column],
                    ctx: StageContext) -> tuple[DataFrame, dict[str, Any]]:
    """Incremental runs: the decisions for files the earlier release did not publish that are
    near-duplicates (a verified edge) of one it did: each is dropped for the first such
    published file in survivor order, as _assign's rows (blob_id, dup_of, ...), materialised,
    with their count and the size of their (blob_id, dup_of).

    Taken before clustering, in one pass: under the keep-published policy these files are
    dropped whatever the components around them, and what is left to cluster is smaller (the
    scale corpus's N+1: 26k of 66k files dropped here, largest component 143 -> 44 files).
    Their dup_of is a published file they are similar to, never one a chain of others links
    them to.
    """
    published = files.where(F.col(PUBLISHED)).select(*SURVIVOR_COLUMNS, PUBLISHED)
    ids = mark.select(C.BLOB_ID)  # edges hold blobs of `files` only: no need to intersect them
    # Each verified edge in both directions, then: member not published, other end published.
    both = edges.select(SRC, DST).union(edges.select(F.col(DST).alias(SRC), F.col(SRC).alias(DST)))
    pairs = (both.join(ids.withColumnRenamed(C.BLOB_ID, DST), DST, "left_semi")
             .join(ids.withColumnRenamed(C.BLOB_ID, SRC), SRC, "left_anti"))
    best = Window.partitionBy(SRC).orderBy(*order)  # the order reads the published file's columns
    dropped = (
        pairs.withColumnRenamed(DST, C.BLOB_ID).join(published, C.BLOB_ID)
        .withColumn("_rank", F.row_number().over(best)).where("_rank = 1")
        .select(F.col(SRC).alias(C.BLOB_ID), F.col(C.BLOB_ID).alias(C.DUP_OF),
                F.col(C.REPO_NAME).alias(C.DUP_OF_REPO_NAME), F.col(C.PATH).alias(C.DUP_OF_PATH),
                F.col(C.SNAPSHOT_ID).alias(_DUP_OF_SNAPSHOT)))
    # Counted, and measured for the broadcast of its (blob_id, dup_of), as it is materialised.
    return observed_checkpoint(dropped, ctx, count=F.count(F.lit(1)),
                               size=estimated_bytes(dropped.select(C.BLOB_ID, C.DUP_OF)))


def _assign(files: DataFrame, labels: DataFrame, order: list[Column]) -> DataFrame:
    """Per clustered blob, its component's first file in survivor order (the survivor's
    blob_id, repo_name, path and snapshot_id)."""
    clustered = files.select(*SURVIVOR_COLUMNS, *[c for c in (PUBLISHED,) if c in files.columns]).join(
        labels.withColumnRenamed(ID, C.BLOB_ID), C.BLOB_ID)
    best = Window.partitionBy(COMPONENT).orderBy(*order)
    first = (
        clustered.withColumn("_rank", F.row_number().over(best))
        .where("_rank = 1")
        .select(
            COMPONENT,
            F.col(C.BLOB_ID).alias(C.DUP_OF),
            F.col(C.REPO_NAME).alias(C.DUP_OF_REPO_NAME),
            F.col(C.PATH).alias(C.DUP_OF_PATH),
            F.col(C.SNAPSHOT_ID).alias(_DUP_OF_SNAPSHOT),
        )
    )
    # One row per clustered blob: a blob is in exactly one component.
    return labels.withColumnRenamed(ID, C.BLOB_ID).join(first, COMPONENT).drop(COMPONENT)


def _survivors(files: DataFrame, edges: DataFrame, signed: DataFrame, nd: NearDedupConfig,
               order: list[Column], ctx: StageContext) -> DataFrame:
    """Decisions for clustered blobs: (blob_id, dup_of, dup_of_repo_name, dup_of_path, snapshot).

    Components chain: a-b and b-c similar does not make a and c similar, and the survivor
    picked by metadata may sit at one end of a chain. With `recheck_survivor`, a member whose
    signature Jaccard with its survivor is under the threshold is not removed for it; the
    members so released are clustered again among themselves, until none is released. On the
    sample (2,523 files, Apache-header boilerplate around J=0.7) removal precision (a kept
    partner with true J>=0.7) went from 0.81 to 0.99, with still no J>=0.8 pair left behind
    (src/codecurate/dev/bench/dedup.py).
    """
    rows = collected(edges, nd.driver_graph_max_edges)
    if rows is not None:
        return _survivors_on_driver(files, rows, signed, nd, order, ctx)
    decided = None
    first_round = True
    for attempt in range(1, nd.max_iterations + 1):
        # The first graph is over the driver's cap (collected above); the released files' may not be.
        cap = nd.driver_graph_max_edges if attempt > 1 else 0
        labels, rounds = connected_components(edges, ctx.checkpoint, nd.max_iterations, cap)
        by_blob = ctx.checkpoint(_assign(files, labels, order))
        if first_round:
            ctx.metric("cc_rounds", rounds)
            ctx.metric("largest_component",
                       labels.groupBy(COMPONENT).count().agg(F.max("count")).first()[0] or 0)
            first_round = False
        if not nd.recheck_survivor:
            return by_blob
        to_survivor = by_blob.where(F.col(C.BLOB_ID) != F.col(C.DUP_OF)).select(
            F.col(C.BLOB_ID).alias(SRC), F.col(C.DUP_OF).alias(DST))
        released = ctx.checkpoint(
            _score(to_survivor, signed).where(F.col("jaccard") < nd.threshold)
            .select(F.col(SRC).alias(C.BLOB_ID)))
        final = by_blob.join(released, C.BLOB_ID, "left_anti")
        decided = final if decided is None else decided.unionByName(final)
        if released.limit(1).count() == 0:
            ctx.metric("survivor_rounds", attempt)
            return decided
        edges = (
            edges.join(released.select(F.col(C.BLOB_ID).alias(SRC)), SRC, "left_semi")
            .join(released.select(F.col(C.BLOB_ID).alias(DST)), DST, "left_semi")
        )
    raise GraphError(f"survivor re-check still releasing files after {nd.max_iterations} rounds; "
                     "raise near_dedup.max_iterations")


def _survivors_on_driver(files: DataFrame, rows: list, signed: DataFrame, nd: NearDedupConfig,
                         order: list[Column], ctx: StageContext) -> DataFrame:
    """_survivors for a graph of at most near_dedup.driver_graph_max_edges edges, whose edges
    `rows` were collected (ids only): the same decisions, with the components, survivors and
    releases of every round on the driver, and the re-check of each round (with
    `recheck_survivor`; else one round) one Spark job scoring the members against their
    survivors. The rounds in Spark cost ~3 s of jobs each whatever the graph's size (5 rounds
    on the 1.1 GB scale corpus).

    Each clustered blob's file that goes first in survivor order, and that order over the
    blobs, are taken in one sort; a component's survivor is its member that goes first.
    """
    import numpy as np
    import pandas as pd

    spark = files.sparkSession
    schema = f"{C.BLOB_ID} string, {C.DUP_OF} string, {C.DUP_OF_REPO_NAME} string, {C.DUP_OF_PATH} string, " \
             f"{_DUP_OF_SNAPSHOT} string"
    if not rows:
        for name in ("cc_rounds", "largest_component"):
            ctx.metric(name, 0)
        if nd.recheck_survivor:
            ctx.metric("survivor_rounds", 1)
        return spark.createDataFrame([], schema)
    ids, src, dst = indexed(rows)
    nodes = spark.createDataFrame(pd.DataFrame({C.BLOB_ID: ids}), f"{C.BLOB_ID} string")
    extra = [c for c in (PUBLISHED,) if c in files.columns]
    best = (files.select(*SURVIVOR_COLUMNS, *extra).join(F.broadcast(nodes), C.BLOB_ID, "left_semi")
            .orderBy(*order).select(C.BLOB_ID, C.REPO_NAME, C.PATH, C.SNAPSHOT_ID)
            .toPandas().drop_duplicates(C.BLOB_ID).set_index(C.BLOB_ID))
    # Position in survivor order per node; a node no file holds (none should) is never a survivor.
    rank = pd.Series(np.arange(len(best), dtype=float), index=best.index).reindex(ids).fillna(np.inf).to_numpy()
    decided: list[pd.DataFrame] = []
    for attempt in range(1, nd.max_iterations + 1):
        label = labels_on_driver(src, dst, len(ids))
        present = np.zeros(len(ids), dtype=bool)
        present[src] = present[dst] = True
        members = pd.DataFrame({"node": np.flatnonzero(present & np.isfinite(rank))})
        members["label"] = label[members["node"]]
        members["rank"] = rank[members["node"]]
        first = members.loc[members.groupby("label")["rank"].idxmin(), ["label", "node"]]
        members["survivor"] = members["label"].map(first.set_index("label")["node"])
        if attempt == 1:
            ctx.metric("cc_rounds", 0)
            ctx.metric("largest_component", int(members.groupby("label").size().max()) if len(members) else 0)
        others = members[members["node"] != members["survivor"]]
        pairs = spark.createDataFrame(pd.DataFrame({SRC: ids[others["node"]], DST: ids[others["survivor"]]}),
                                      f"{SRC} string, {DST} string")
        released = {row[0] for row in _score(pairs, signed).where(F.col("jaccard") < nd.threshold)
                    .select(SRC).collect()} if nd.recheck_survivor and len(others) else set()
        out = ids[members["node"]]
        kept = ~pd.Series(out).isin(released).to_numpy()
        survivor = ids[members["survivor"]]
        decided.append(pd.DataFrame({
            C.BLOB_ID: out[kept], C.DUP_OF: survivor[kept],
            C.DUP_OF_REPO_NAME: best[C.REPO_NAME].reindex(survivor[kept]).to_numpy(),
            C.DUP_OF_PATH: best[C.PATH].reindex(survivor[kept]).to_numpy(),
            _DUP_OF_SNAPSHOT: best[C.SNAPSHOT_ID].reindex(survivor[kept]).to_numpy()}))
        if not released:
            if nd.recheck_survivor:
                ctx.metric("survivor_rounds", attempt)
            return spark.createDataFrame(pd.concat(decided, ignore_index=True), schema)
        # The released members are clustered again among themselves.
        free = pd.Series(ids).isin(released).to_numpy()
        keep = free[src] & free[dst]
        src, dst = src[keep], dst[keep]
    raise GraphError(f"survivor re-check still releasing files after {nd.max_iterations} rounds; "
                     "raise near_dedup.max_iterations")


def _tag(files: DataFrame, by_blob: DataFrame) -> DataFrame:
    """Keep each survivor; mark the other clustered files near_duplicate, pointing at it."""
    joined = files.drop(C.DUP_OF, C.DUP_OF_REPO_NAME, C.DUP_OF_PATH).join(by_blob, C.BLOB_ID, "left")
    is_survivor = (
        (F.col(C.BLOB_ID) == F.col(C.DUP_OF))
        & F.col(C.REPO_NAME).eqNullSafe(F.col(C.DUP_OF_REPO_NAME))
        & F.col(C.PATH).eqNullSafe(F.col(C.DUP_OF_PATH))
        & F.col(C.SNAPSHOT_ID).eqNullSafe(F.col(_DUP_OF_SNAPSHOT))
    )
    duplicate = F.col(C.DUP_OF).isNotNull() & ~is_survivor
    tagged = mark_dropped(joined, duplicate, DropReason.NEAR_DUPLICATE)
    removed = F.col(C.DROP_REASON) == F.lit(DropReason.NEAR_DUPLICATE.value)
    audit = (C.DUP_OF, C.DUP_OF_REPO_NAME, C.DUP_OF_PATH)
    base = [c for c in files.columns if c not in audit + (C.DROP_REASON,)]
    return tagged.select(
        *base, C.DROP_REASON, *[F.when(removed, F.col(c)).alias(c) for c in audit])


# Bump when codecurate's shingling or MinHash changes (codecurate.text.minhash): stored
# signatures of earlier runs are then recomputed, not reused.
RESULTS_VERSION = 1

# A signature depends on the content (blob_id) and the MinHash keys; the threshold sets the
# band layout stored with it. Clustering and survivors are redone on every run.
RESULTS = ContentResults(
    key=(C.BLOB_ID,),
    results=tuple(_SIGNED_SCHEMA)[1:],
    # content_results hands over each blob_id once, with its content.
    compute=lambda rows, cfg: all_signatures(rows, cfg.near_dedup),
    config=lambda cfg: {k: getattr(cfg.near_dedup, k) for k in ("num_perm", "seed", "ngram", "min_tokens",
                                                                "threshold")},
    versions=lambda cfg: {"datasketch": metadata.version("datasketch"), "numpy": metadata.version("numpy"),
                          "codecurate.minhash": RESULTS_VERSION},
)

STAGE = Stage(name=NAME, requires=REQUIRES, apply=run, content_results=RESULTS,
              recompute_tagged=True)
