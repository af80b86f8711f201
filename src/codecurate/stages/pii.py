"""pii stage: redact secrets, emails and public IPs in `content`; count them; reject dense files.

The per-file work is `codecurate.text.pii.redact`, run through one Arrow-batched `mapInArrow`.
Detected values never leave the Python worker: the stage emits the redacted text, counts by
kind and a dense flag, and its metrics are settings, not measurements of the data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from importlib import metadata

import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from codecurate import columns as C
from codecurate.config import Config, PiiConfig
from codecurate.errors import PipelineError
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

NAME = "pii"
REQUIRES = (C.BLOB_ID, C.PATH)

class PiiRedactionError(PipelineError):
    """Redaction failed on a file; the message names the file, never its content."""


_DENSE = "_pii_dense"  # temporary: becomes drop_reason, then dropped
# kind -> redactions, as (kind, count) pairs sorted by kind. Not an Arrow map: Hugging Face
# `datasets` has no type for maps and refuses a table that holds one (release format 2).
_COUNTS_ARROW = pa.list_(pa.struct([("kind", pa.string()), ("count", pa.int32())]))
ADDS = (pa.field(C.PII_COUNTS, _COUNTS_ARROW),)


def _redact_batches(cfg: PiiConfig):
    def redact_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from codecurate.text.pii import redact  # imported on the worker

        opts = cfg
        for batch in batches:
            contents = batch.column(C.CONTENT).to_pylist()
            paths = batch.column(C.PATH).to_pylist()
            texts, counts, dense = [], [], []
            for content, path in zip(contents, paths, strict=True):
                if content is None:
                    texts.append(None)
                    counts.append([])
                    dense.append(False)
                    continue
                try:
                    result = redact(content, path or "", opts)
                except Exception as err:
                    # Not chained: the original message or traceback locals could quote the
                    # text being scanned, and a Spark task error ends up in logs.
                    raise PiiRedactionError(
                        f"pii redaction failed on {path!r} ({len(content)} chars): "
                        f"{type(err).__name__}"
                    ) from None
                # Only a text that a redaction changed is kept: the store and the join back
                # carry the redacted files' content, not every file's (null = unchanged).
                texts.append(result.text if result.text != content else None)
                counts.append(sorted(result.counts.items()))
                dense.append(result.dense)
            arrays = {
                name: batch.column(name) for name in batch.schema.names if name != C.CONTENT
            }
            arrays[C.CONTENT] = pa.array(texts, type=batch.schema.field(C.CONTENT).type)
            arrays[C.PII_COUNTS] = pa.array(counts, type=_COUNTS_ARROW)
            arrays[_DENSE] = pa.array(dense, type=pa.bool_())
            names = list(batch.schema.names) + [C.PII_COUNTS, _DENSE]
            yield pa.RecordBatch.from_arrays([arrays[n] for n in names], names=names)

    return redact_batches


_REDACTED_ARROW = pa.schema([
    (C.BLOB_ID, pa.string()), (C.PATH, pa.string()), (C.CONTENT, pa.string()), *ADDS,
    pa.field(_DENSE, pa.bool_()),
])


def redact_files(files: DataFrame, cfg: Config) -> DataFrame:
    """Per (blob_id, path) of `files` (content_results hands over one row per key): the
    redacted content (null when nothing was redacted), counts by kind, the dense flag."""
    return map_to_arrow(files.select(C.BLOB_ID, C.PATH, C.CONTENT), _redact_batches(cfg.pii), _REDACTED_ARROW)


def run(files: DataFrame, cfg: Config, ctx: StageContext) -> DataFrame:
    pii = cfg.pii
    # a re-run replaces earlier answers instead of redacting the redacted text
    files = files.drop(C.PII_COUNTS, C.REDACTED_CONTENT)
    # Redactions by (blob_id, path): an earlier run's are reused (RESULTS). The redacted text
    # travels as a column of its own, null where nothing changed: the stage frames carry no
    # content, and later stages and the release read it through with_content.
    redacted = content_results(files, RESULTS, cfg, ctx).withColumnRenamed(C.CONTENT, C.REDACTED_CONTENT)
    tagged = join_results(files, redacted, RESULTS.key).select(
        *files.columns, C.PII_COUNTS, C.REDACTED_CONTENT, _DENSE)
    if pii.dense_reject:
        tagged = mark_dropped(tagged, F.col(_DENSE), DropReason.PII_DENSE)
    else:
        tagged = untagged(tagged)
    # Settings only: a measurement would be an extra pass over the data, and a value must
    # never reach the manifest.
    ctx.metric("pii_detectors", {
        "secrets": pii.secrets, "emails": pii.emails, "ip_addresses": pii.ip_addresses,
        "dense_reject": pii.dense_reject,
    })
    return tagged.drop(_DENSE)


# Bump when codecurate's own detectors or replacement rules change (codecurate.text.pii): stored
# redactions of earlier runs are then recomputed, not reused.
RESULTS_VERSION = 2  # 2: content stored only where a redaction changed it


def _redaction_config(cfg: Config) -> dict:
    """Every pii key but dense_reject, which acts on the stored dense flag: a key added later
    invalidates stored redactions until it is listed here as not changing them."""
    return {k: v for k, v in dataclasses.asdict(cfg.pii).items() if k != "dense_reject"}


# A redaction depends on the content and the path (detect-secrets' filters read file names:
# lock files, swagger files, non-text extensions). The store holds the redacted text of files
# with a redaction (null for the others, whose text is their content) and the counts by kind,
# never a detected value.
RESULTS = ContentResults(
    key=(C.BLOB_ID, C.PATH),
    results=tuple(_REDACTED_ARROW)[2:],
    compute=redact_files,
    config=_redaction_config,
    versions=lambda cfg: {"detect-secrets": metadata.version("detect-secrets"),
                          "codecurate.pii": RESULTS_VERSION},
)

STAGE = Stage(name=NAME, requires=REQUIRES, apply=run, adds=ADDS, content_results=RESULTS,
              carries=(pa.field(C.REDACTED_CONTENT, pa.string()),),
              recompute_tagged=True)
