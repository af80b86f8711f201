"""A release loads where users load data: every snippet of the dataset card, run as printed.

The snippets come from codecurate.release.snippets, the list the card is rendered from. Each
must return every row of a small release with the published columns, and the rows of one
language directory. Hugging Face `datasets` runs offline, on the local files only.
"""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
from release_helpers import make_run, row

from codecurate.config import Config, OutputConfig
from codecurate.release import layout
from codecurate.release.snippets import SNIPPETS
from codecurate.release.writer import publish_release

ROWS = [
    row("alice/web", "src/app.py", "b01", "Python"),
    row("alice/web", "main.go", "b02", "Go"),
    row("bob/tools", "x.py", "b03", "Python"),
    row("bob/tools", "lib/y.py", "b04", "Python"),
    row("carol/z", "Makefile", "b05", None),
]
ALL_ROWS, PYTHON_ROWS = 5, 3  # written down from ROWS
NAMES = [f.name for f in layout.release_schema(ids_only=False)]


@pytest.fixture(scope="module")
def release(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("out")
    run_dir = make_run(spark, root, ROWS, partitions=1)
    return publish_release(spark, run_dir, Config(output=OutputConfig(root=str(root))), version="1.0.0")


def _as_arrow(value, spark) -> tuple[int, list[str], pa.Schema | None]:
    """(rows, column names, Arrow schema where the loader keeps Arrow types) of a loaded result."""
    if isinstance(value, pa.Table):
        return value.num_rows, value.column_names, value.schema
    module = type(value).__module__
    if module.startswith("pandas"):
        return len(value), list(value.columns), None
    if module.startswith("pyspark"):
        return value.count(), value.columns, None
    if module.startswith("datasets"):
        return value.num_rows, value.column_names, value.data.table.schema
    raise AssertionError(f"unexpected result type {type(value)}")


def _type(type_: pa.DataType) -> str:
    # DuckDB hands UTC timestamps back as "Etc/UTC": the same zone under its IANA name
    return layout.type_text(type_).replace("tz=Etc/UTC", "tz=UTC")


def _run(snippet, release, spark) -> dict:
    code = snippet.render(str(release / "data"), "python")
    if snippet.language == "sql":
        import duckdb

        everything, one_language = [duckdb.sql(s).to_arrow_table() for s in code.split(";") if s.strip()]
        return {"everything": everything, "one_language": one_language}
    namespace = {"spark": spark}
    exec(compile(code, f"<{snippet.tool} snippet>", "exec"), namespace)
    return namespace


@pytest.fixture
def offline_hf(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf" / "datasets"))


def _params():
    for snippet in SNIPPETS:
        yield pytest.param(snippet, id=snippet.tool.split()[0].strip("`"))


@pytest.mark.parametrize("snippet", list(_params()))
def test_snippet_loads_every_row_and_one_language(snippet, release, spark, offline_hf):
    loaded = _run(snippet, release, spark)
    rows, names, schema = _as_arrow(loaded["everything"], spark)
    assert rows == ALL_ROWS
    assert names == NAMES
    if schema is not None:  # Arrow-native loaders keep the published types too
        published = layout.release_schema(ids_only=False)
        assert [_type(f.type) for f in schema] == [_type(f.type) for f in published]
    rows, names, _ = _as_arrow(loaded["one_language"], spark)
    assert rows == PYTHON_ROWS and names == NAMES


def test_card_shows_exactly_these_snippets(release):
    card = (release / layout.CARD).read_text()
    first_dir = json.loads((release / layout.MANIFEST).read_text())["data"]["files"][0]["path"].split("/")[1]
    assert first_dir in ("go", "python", "unknown")
    for snippet in SNIPPETS:
        assert f"```{snippet.language}\n{snippet.render('data', first_dir)}\n```" in card
