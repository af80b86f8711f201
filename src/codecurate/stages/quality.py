"""quality: StarCoder2's file filters, one drop reason per rule.

Runs after languages (the rules depend on the language and go-enry's is_generated flag) and
before exact_dedup, so that dedup picks its survivors among files that will be published. The
per-file work is codecurate.text.quality, run through one Arrow-batched mapInArrow that adds a
temporary reason column; the stage adds no column to the rows it keeps.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from codecurate import columns as C
from codecurate.config import Config, ConfigError, QualityConfig
from codecurate.spark.arrow import map_in_arrow
from codecurate.stages.base import Stage, StageContext, mark_dropped, untagged
from codecurate.text import languages as langs
from codecurate.text import quality

NAME = "quality"
REQUIRES = (C.CONTENT, C.LANGUAGE, C.IS_GENERATED)
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


def _judge(rules_: quality.QualityRules):
    def judge(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            reasons = quality.batch_reasons(
                batch.column(C.CONTENT).to_pylist(), batch.column(C.LANGUAGE).to_pylist(),
                batch.column(C.IS_GENERATED).to_pylist(), rules_)
            yield pa.RecordBatch.from_arrays(
                list(batch.columns) + [pa.array(reasons, pa.string())],
                names=list(batch.schema.names) + [_REASON])

    return judge


def run(files: DataFrame, cfg: Config, ctx: StageContext) -> DataFrame:
    tagged = map_in_arrow(files, _judge(rules(cfg.quality)), (pa.field(_REASON, pa.string()),))
    tagged = untagged(tagged)
    for reason in quality.RULE_ORDER:  # the per-file function picked one reason (or none)
        tagged = mark_dropped(tagged, F.col(_REASON) == F.lit(reason.value), reason)
    return tagged.drop(_REASON)


STAGE = Stage(name=NAME, requires=REQUIRES, apply=run, reject_columns=REJECT_COLUMNS, check=check)
