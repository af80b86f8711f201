"""The languages stage on a small inline frame inside Spark."""

import dataclasses
import hashlib

import pytest

from codecurate import columns as C
from codecurate.config import Config, ConfigError, LanguagesConfig
from codecurate.stages import languages as stage
from codecurate.stages.base import StageContext

ROWS = [
    # path, content, extension as extract set it
    ("src/app.py", "import os\nprint(os.name)\n", "py"),
    ("include/vec.h", "#include <vector>\nnamespace g {\nclass V { std::vector<int> x; };\n}\n", "h"),
    ("bin/deploy", "#!/usr/bin/env python3\nprint('x')\n", None),
    ("notes/thing", "some words\n", None),
    ("node_modules/x/index.js", "module.exports = 1;\n", "js"),
    ("package-lock.json", "{\n  \"lockfileVersion\": 3\n}\n", "json"),
    ("docs/a.md", "# A\n", None),  # extension left null upstream: the stage fills it
]


def _frame(spark):
    rows = [(hashlib.sha1(content.encode()).hexdigest(), *row) for row in ROWS
            for content in [row[1]]]
    return spark.createDataFrame(
        rows, f"{C.BLOB_ID} string, {C.PATH} string, {C.CONTENT} string, {C.EXTENSION} string"
    )


def _ctx(spark):
    return StageContext(spark=spark, checkpoint=lambda df: df.localCheckpoint())


def _run(spark, **languages):
    cfg = Config(languages=dataclasses.replace(LanguagesConfig(), **languages))
    ctx = _ctx(spark)
    out = stage.run(_frame(spark), cfg, ctx)
    rows = {
        r[C.PATH]: r
        for r in out.select(C.PATH, C.EXTENSION, C.LANGUAGE, C.LANGUAGE_DETECTOR, C.IS_VENDOR,
                            C.IS_GENERATED, C.DROP_REASON).collect()
    }
    return rows, ctx


def test_stage_tags_every_row(spark):
    rows, ctx = _run(spark)
    assert len(rows) == len(ROWS)
    got = {p: (r[C.LANGUAGE], r[C.LANGUAGE_DETECTOR], r[C.DROP_REASON]) for p, r in rows.items()}
    assert got == {
        "src/app.py": ("Python", "enry", None),
        "include/vec.h": ("C++", "enry", None),
        "bin/deploy": ("Python", "enry", None),
        "notes/thing": (None, None, "language_unknown"),
        "node_modules/x/index.js": ("JavaScript", "enry", None),
        "package-lock.json": ("JSON", "enry", None),
        "docs/a.md": ("Markdown", "enry", None),
    }
    assert rows["node_modules/x/index.js"][C.IS_VENDOR] is True
    assert rows["package-lock.json"][C.IS_GENERATED] is True
    assert rows["src/app.py"][C.IS_VENDOR] is False and rows["src/app.py"][C.IS_GENERATED] is False
    assert rows["docs/a.md"][C.EXTENSION] == "md"
    assert rows["bin/deploy"][C.EXTENSION] is None
    assert ctx.metrics["detectors"]["enry-python"] == "0.2.0"


def test_stage_allow_deny_and_flags_as_drop_reasons(spark):
    rows, _ = _run(spark, allow=("python", "C++", "js", "JSON"), deny=("cpp",),
                   drop_vendor=True, drop_generated=True)
    got = {p: r[C.DROP_REASON] for p, r in rows.items()}
    assert got == {
        "src/app.py": None,
        "include/vec.h": "language_excluded",  # allowed, but denied too: deny wins
        "bin/deploy": None,
        "notes/thing": "language_unknown",
        "node_modules/x/index.js": "vendor",
        "package-lock.json": "generated",
        "docs/a.md": "language_excluded",
    }


def test_stage_needs_blob_id_and_path_and_a_text(spark):
    from codecurate.stages.base import StageInputError

    frame = spark.createDataFrame([("a.py",)], f"{C.PATH} string")
    with pytest.raises(StageInputError, match="blob_id"):
        stage.STAGE.run(frame, Config(), _ctx(spark))  # the declaration checks its columns
    # no content column, and no run's contents table to look it up in
    frame = spark.createDataFrame([("a.py", "b" * 40)], f"{C.PATH} string, {C.BLOB_ID} string")
    with pytest.raises(StageInputError, match="contents table"):
        stage.STAGE.run(frame, Config(), _ctx(spark)).collect()


def test_check_available_names_the_config_key(monkeypatch):
    from codecurate.text import languages as langs

    def missing(fallback):
        raise ImportError("guesslang is not installed; run `make setup`")

    monkeypatch.setattr(langs, "check_available", missing)
    with pytest.raises(ConfigError, match="languages.fallback.*make setup"):
        stage.check_available(Config(languages=LanguagesConfig(fallback="guesslang")))
