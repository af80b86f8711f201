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
from codecurate.spark.arrow import map_to_arrow
from codecurate.stages.base import (
    ContentResults,
    Stage,
    StageContext,
    content_results,
    join_results,
    mark_dropped,
    require_columns,
)
from codecurate.text import languages as langs

NAME = "languages"
REQUIRES = (C.BLOB_ID, C.PATH)
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


PATH_EXTENSION = "_path_extension"  # extension_of(path): fills `extension` where extract left it null
_DETECTED_ARROW = pa.schema([
    (C.BLOB_ID, pa.string()), (C.PATH, pa.string()), *ADDS, (PATH_EXTENSION, pa.string()),
])


def _detector(fallback: str, min_fallback_chars: int):
    def detect(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            paths = batch.column(C.PATH).to_pylist()
            found = langs.detect_batch(paths, batch.column(C.CONTENT).to_pylist(), fallback, min_fallback_chars)
            yield pa.RecordBatch.from_arrays([
                pa.array(batch.column(C.BLOB_ID).to_pylist(), pa.string()),
                pa.array(paths, pa.string()),
                pa.array([d.language for d in found], pa.string()),
                pa.array([d.detector for d in found], pa.string()),
                pa.array([d.is_vendor for d in found], pa.bool_()),
                pa.array([d.is_generated for d in found], pa.bool_()),
                pa.array([langs.extension_of(path) for path in paths], pa.string()),
            ], schema=_DETECTED_ARROW)

    return detect


def detect(files: DataFrame, cfg: Config) -> DataFrame:
    """Per (blob_id, path) of `files`: the detections and the path's extension. Forks and
    copies repeat (blob_id, path) pairs; content_results hands over each pair once."""
    lcfg = cfg.languages
    return map_to_arrow(files.select(C.BLOB_ID, C.PATH, C.CONTENT),
                        _detector(lcfg.fallback, lcfg.min_fallback_chars), _DETECTED_ARROW)


def run(files: DataFrame, cfg: Config, ctx: StageContext) -> DataFrame:
    lcfg = cfg.languages
    require_columns(files, REQUIRES, NAME)  # before any plan is built on them
    ctx.metric("detectors", detector_versions(cfg))

    # a re-run replaces earlier tags instead of duplicating the columns
    files = files.drop(*[f.name for f in ADDS])
    if C.EXTENSION not in files.columns:
        files = files.withColumn(C.EXTENSION, F.lit(None).cast(StringType()))
    # Detections by (blob_id, path): an earlier run's are reused (RESULTS).
    detected = content_results(files, RESULTS, cfg, ctx)
    joined = join_results(files, detected, RESULTS.key)
    columns = [F.coalesce(F.col(C.EXTENSION), F.col(PATH_EXTENSION)).alias(C.EXTENSION)
               if name == C.EXTENSION else F.col(name) for name in files.columns]
    tagged = joined.select(*columns, *[f.name for f in ADDS])

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


# Bump when codecurate's own rules around the detectors change (codecurate.text.languages:
# lock files, byte cap, fallback gating): stored detections of earlier runs are then recomputed.
RESULTS_VERSION = 1

# A detection depends on the content and the whole path (go-enry's vendor and generated rules
# read directory names, e.g. node_modules/, not only the file name) and on the fallback keys;
# allow/deny and the drop_* switches act on the answers and are redone on every run.
RESULTS = ContentResults(
    key=(C.BLOB_ID, C.PATH),
    results=tuple(_DETECTED_ARROW)[2:],
    compute=detect,
    config=lambda cfg: {"fallback": cfg.languages.fallback,
                        "min_fallback_chars": cfg.languages.min_fallback_chars},
    versions=lambda cfg: {**detector_versions(cfg), "codecurate.languages": RESULTS_VERSION},
)

STAGE = Stage(name=NAME, requires=REQUIRES, apply=run, adds=ADDS, reject_columns=REJECT_COLUMNS,
              check=check_available, content_results=RESULTS,
              recompute_tagged=True)
