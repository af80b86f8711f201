"""pii stage: redact secrets, emails and public IPs in `content`; count them; reject dense files.

The per-file work is `codecurate.text.pii.redact`, run through one Arrow-batched `mapInArrow`.
Detected values never leave the Python worker: the stage emits the redacted text, counts by
kind and a dense flag, and its metrics are settings, not measurements of the data.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from codecurate import columns as C
from codecurate.config import Config, PiiConfig
from codecurate.errors import PipelineError
from codecurate.reasons import DropReason
from codecurate.spark.arrow import map_in_arrow
from codecurate.stages.base import Stage, StageContext, mark_dropped, untagged

NAME = "pii"
REQUIRES = (C.CONTENT, C.PATH)

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
                texts.append(result.text)
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


def run(files: DataFrame, cfg: Config, ctx: StageContext) -> DataFrame:
    pii = cfg.pii
    if C.PII_COUNTS in files.columns:
        files = files.drop(C.PII_COUNTS)
    tagged = map_in_arrow(files, _redact_batches(pii), ADDS + (pa.field(_DENSE, pa.bool_(), nullable=False),))
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


STAGE = Stage(name=NAME, requires=REQUIRES, apply=run, adds=ADDS)
