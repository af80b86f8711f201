"""pii stage: redact secrets, emails and public IPs in `content`; count them; reject dense files.

The per-file work is `pipeline.text.pii.redact`, run through one Arrow-batched `mapInArrow`.
Detected values never leave the Python worker: the stage emits the redacted text, counts by
kind and a dense flag, and its metrics are settings, not measurements of the data.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from pipeline import columns as C
from pipeline.config import Config, PiiConfig
from pipeline.reasons import DropReason
from pipeline.stages.base import StageContext, mark_dropped, require_columns, untagged

NAME = "pii"
REQUIRES = (C.CONTENT, C.PATH)

class PiiRedactionError(RuntimeError):
    """Redaction failed on a file; the message names the file, never its content."""


_DENSE = "_pii_dense"  # temporary: becomes drop_reason, then dropped
_COUNTS_ARROW = pa.map_(pa.string(), pa.int32())


def options(cfg: PiiConfig):
    from pipeline.text.pii import PiiOptions

    return PiiOptions(
        emails=cfg.emails,
        ip_addresses=cfg.ip_addresses,
        secrets=cfg.secrets,
        keep_example_emails=cfg.keep_example_emails,
        max_line_chars=cfg.max_line_chars,
        dense_fraction=cfg.dense_fraction,
        dense_min_lines=cfg.dense_min_lines,
        credential_words=cfg.credential_words,
        credential_min_chars=cfg.credential_min_chars,
        password_min_chars=cfg.password_min_chars,
        password_min_entropy=cfg.password_min_entropy,
        dummy_words=cfg.dummy_words,
        skip_secret_files=cfg.skip_secret_files,
    )


def _redact_batches(cfg: PiiConfig):
    def redact_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from pipeline.text.pii import redact  # imported on the worker

        opts = options(cfg)
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
    require_columns(files, REQUIRES, NAME)
    pii = cfg.pii
    if C.PII_COUNTS in files.columns:
        files = files.drop(C.PII_COUNTS)
    out_schema = T.StructType(
        files.schema.fields
        + [
            T.StructField(C.PII_COUNTS, T.MapType(T.StringType(), T.IntegerType()), False),
            T.StructField(_DENSE, T.BooleanType(), False),
        ]
    )
    tagged = files.mapInArrow(_redact_batches(pii), out_schema)
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
