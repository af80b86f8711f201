"""Stage 3, languages: Linguist language (go-enry, guesslang fallback), vendor and generated flags.

Adds `language`, `language_detector`, `is_vendor`, `is_generated` and fills `extension` where
extract left it null. Files without a language are rejected as `language_unknown`, languages
outside `allow` or inside `deny` as `language_excluded`; vendor and generated files are only
flagged (as in The Stack v2) unless the config drops them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StringType

from codecurate import columns as C
from codecurate.config import Config, ConfigError
from codecurate.reasons import DropReason
from codecurate.spark.arrow import map_in_arrow
from codecurate.stages.base import Stage, StageContext, mark_dropped
from codecurate.text import languages as langs

NAME = "languages"
REQUIRES = (C.PATH, C.CONTENT)
REJECT_COLUMNS = (C.LANGUAGE, C.IS_VENDOR, C.IS_GENERATED)  # why a file was excluded

ADDS = (
    pa.field(C.LANGUAGE, pa.string()),
    pa.field(C.LANGUAGE_DETECTOR, pa.string()),
    pa.field(C.IS_VENDOR, pa.bool_()),
    pa.field(C.IS_GENERATED, pa.bool_()),
)


def check_available(cfg: Config) -> None:
    """Start-up check: allow/deny name known languages, and the configured fallback imports."""
    for key in ("allow", "deny"):
        bad = langs.unknown_names(getattr(cfg.languages, key))
        if bad:
            raise ConfigError(
                f"languages.{key}: unknown language(s) {bad}: use GitHub Linguist names (e.g. 'C++', "
                "'Shell') or an alias from configs/data/languages/aliases.tsv")
    try:
        langs.check_available(cfg.languages.fallback)
    except ImportError as err:
        raise ConfigError(f"languages.fallback is {cfg.languages.fallback!r}, but {err}") from err


def detector_versions(cfg: Config) -> dict[str, str | None]:
    """Detector names and versions, for the release manifest."""
    return langs.detector_versions(cfg.languages.fallback)


def _detector(fallback: str, min_fallback_chars: int, names: list[str]):
    path_at = names.index(C.PATH)
    content_at = names.index(C.CONTENT)
    extension_at = names.index(C.EXTENSION)

    def detect(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            paths = batch.column(path_at).to_pylist()
            found = langs.detect_batch(
                paths, batch.column(content_at).to_pylist(), fallback, min_fallback_chars
            )
            extension = batch.column(extension_at)
            filled = [
                ext if ext is not None else langs.extension_of(path)
                for ext, path in zip(extension.to_pylist(), paths, strict=True)
            ]
            # strings go back in the Arrow type Spark sent them in (string or large_string)
            text = batch.column(path_at).type
            arrays = list(batch.columns)
            arrays[extension_at] = pa.array(filled, type=text)
            arrays += [
                pa.array([d.language for d in found], text),
                pa.array([d.detector for d in found], text),
                pa.array([d.is_vendor for d in found], pa.bool_()),
                pa.array([d.is_generated for d in found], pa.bool_()),
            ]
            yield pa.RecordBatch.from_arrays(arrays, names=names + [f.name for f in ADDS])

    return detect


def run(files: DataFrame, cfg: Config, ctx: StageContext) -> DataFrame:
    lcfg = cfg.languages
    ctx.metric("detectors", detector_versions(cfg))

    # a re-run replaces earlier tags instead of duplicating the columns
    files = files.drop(*[f.name for f in ADDS])
    if C.EXTENSION not in files.columns:
        files = files.withColumn(C.EXTENSION, F.lit(None).cast(StringType()))
    tagged = map_in_arrow(files, _detector(lcfg.fallback, lcfg.min_fallback_chars, files.columns), ADDS)

    language = F.col(C.LANGUAGE)
    tagged = mark_dropped(tagged, language.isNull(), DropReason.LANGUAGE_UNKNOWN)
    if lcfg.allow:
        allowed = sorted({langs.canonical_language(name) for name in lcfg.allow})
        tagged = mark_dropped(tagged, ~language.isin(allowed), DropReason.LANGUAGE_EXCLUDED)
    if lcfg.deny:
        denied = sorted({langs.canonical_language(name) for name in lcfg.deny})
        tagged = mark_dropped(tagged, language.isin(denied), DropReason.LANGUAGE_EXCLUDED)
    if lcfg.drop_vendor:
        tagged = mark_dropped(tagged, F.col(C.IS_VENDOR), DropReason.VENDOR)
    if lcfg.drop_generated:
        tagged = mark_dropped(tagged, F.col(C.IS_GENERATED), DropReason.GENERATED)
    return tagged


STAGE = Stage(name=NAME, requires=REQUIRES, apply=run, adds=ADDS, reject_columns=REJECT_COLUMNS,
              check=check_available)
