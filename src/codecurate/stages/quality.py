"""quality: StarCoder2's file filters, one drop reason per rule.

Runs after languages (the rules depend on the language and go-enry's is_generated flag) and
before exact_dedup, so that dedup picks its survivors among files that will be published. The
per-file work is codecurate.text.quality, run Arrow-batched once per distinct (blob_id,
language, is_generated), what a verdict depends on, and reused by a later run (RESULTS); the
stage adds no column to the rows it keeps.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from codecurate import columns as C
from codecurate.config import Config, ConfigError, QualityConfig
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
from codecurate.text import languages as langs
from codecurate.text import quality

NAME = "quality"
REQUIRES = (C.BLOB_ID, C.LANGUAGE, C.IS_GENERATED)
REJECT_COLUMNS = (C.LANGUAGE,)
_REASON = "_quality_reason"  # temporary: becomes drop_reason, then dropped


def _canonical(names, key: str) -> frozenset[str]:
    bad = langs.unknown_names(names)
    if bad:
        raise ConfigError(f"quality.{key}: unknown language(s) {bad}: use GitHub Linguist names")
    return frozenset(langs.canonical_language(n) for n in names)


def rules(cfg: QualityConfig) -> quality.QualityRules:
    """The pure rules from the config section; raises ConfigError on unknown languages or a bad table."""
    table = {}
    if cfg.language_rules:
        try:
            table = quality.read_language_rules(cfg.language_rules_table)
        except (OSError, quality.QualityTableError) as err:
            raise ConfigError(f"quality.language_rules_table: {err}") from err
        _canonical(list(table), "language_rules_table")
    return quality.QualityRules(
        long_lines=cfg.long_lines, max_avg_line_chars=cfg.max_avg_line_chars,
        max_line_chars=cfg.max_line_chars,
        long_line_languages=_canonical(cfg.long_line_languages, "long_line_languages"),
        long_line_limit=cfg.long_line_limit, too_many_lines=cfg.too_many_lines, max_lines=cfg.max_lines,
        auto_generated=cfg.auto_generated, generated_marker_lines=cfg.generated_marker_lines,
        low_alpha=cfg.low_alpha, min_alpha_fraction=cfg.min_alpha_fraction,
        alnum_languages=_canonical(cfg.alnum_languages, "alnum_languages"),
        encoded_data=cfg.encoded_data, encoded_max_fraction=cfg.encoded_max_fraction,
        encoded_max_chars=cfg.encoded_max_chars, language_rules=table,
    )


def check(cfg: Config) -> None:
    rules(cfg.quality)


_JUDGED_ARROW = pa.schema([
    (C.BLOB_ID, pa.string()), (C.LANGUAGE, pa.string()), (C.IS_GENERATED, pa.bool_()), (_REASON, pa.string()),
])


def _judge(rules_: quality.QualityRules):
    def judge(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            languages, generated = batch.column(C.LANGUAGE), batch.column(C.IS_GENERATED)
            reasons = quality.batch_reasons(
                batch.column(C.CONTENT).to_pylist(), languages.to_pylist(), generated.to_pylist(), rules_)
            yield pa.RecordBatch.from_arrays(
                [pa.array(batch.column(C.BLOB_ID).to_pylist(), pa.string()),
                 pa.array(languages.to_pylist(), pa.string()), generated.cast(pa.bool_()),
                 pa.array(reasons, pa.string())], schema=_JUDGED_ARROW)

    return judge


def judge(files: DataFrame, cfg: Config) -> DataFrame:
    """Per (blob_id, language, is_generated) of `files` (content_results hands over each once):
    the first rule the file fails, or null."""
    key = [C.BLOB_ID, C.LANGUAGE, C.IS_GENERATED]
    return map_to_arrow(files.select(*key, C.CONTENT), _judge(rules(cfg.quality)), _JUDGED_ARROW)


def run(files: DataFrame, cfg: Config, ctx: StageContext) -> DataFrame:
    # Verdicts by (blob_id, language, is_generated): an earlier run's are reused (RESULTS).
    judged = content_results(files, RESULTS, cfg, ctx)
    tagged = untagged(join_results(files, judged, RESULTS.key))
    for reason in quality.RULE_ORDER:  # the per-file function picked one reason (or none)
        tagged = mark_dropped(tagged, F.col(_REASON) == F.lit(reason.value), reason)
    return tagged.drop(_REASON)


# Bump when codecurate's rules change (codecurate.text.quality): stored verdicts of earlier runs
# are then recomputed, not reused.
RESULTS_VERSION = 1


def _rules_config(cfg: Config) -> dict[str, Any]:
    """The rules as applied: every quality key, the per-language table's rows instead of its path."""
    applied = dataclasses.asdict(rules(cfg.quality))
    return {k: sorted(v) if isinstance(v, frozenset) else v for k, v in applied.items()}


# A verdict depends on the content (blob_id), the language and the generated flag (the
# languages stage's answers: the rules differ by language), and the rules. The key holds the
# languages stage's answers rather than the path, so a change of language detection re-judges
# exactly the files whose language changed.
RESULTS = ContentResults(
    key=(C.BLOB_ID, C.LANGUAGE, C.IS_GENERATED),
    results=(_JUDGED_ARROW.field(_REASON),),
    compute=judge,
    config=_rules_config,
    versions=lambda cfg: {"codecurate.quality": RESULTS_VERSION},
)

STAGE = Stage(name=NAME, requires=REQUIRES, apply=run, reject_columns=REJECT_COLUMNS, check=check,
              content_results=RESULTS,
              recompute_tagged=True)
