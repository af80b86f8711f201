"""How to load a release: the snippets the dataset card shows, and the ones the tests run.

One list, two readers: release/card.py renders it into README.md (paths relative to the
release directory), tests/spark/test_loaders.py runs each snippet against a release it
publishes and checks every row and the published schema came back. A snippet changed here is
a snippet tested.

Python snippets bind `everything` (all rows) and `one_language` (one data/<language>/
directory); the SQL snippet is two statements, in that order.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Snippet:
    tool: str  # as named in the card
    language: str  # the code fence: "python" or "sql"
    code: str  # with {data}: the release's data/ directory; {language_dir}: one folder in it
    note: str = ""  # printed under the snippet in the card: a known limit of the tool

    def render(self, data: str, language_dir: str) -> str:
        return self.code.format(data=data, language_dir=language_dir)


SNIPPETS = (
    Snippet("pyarrow", "python", """\
import pyarrow.dataset as ds
everything = ds.dataset("{data}/", format="parquet").to_table()
one_language = ds.dataset("{data}/{language_dir}/", format="parquet").to_table()"""),
    Snippet("pandas", "python", """\
import pandas as pd
everything = pd.read_parquet("{data}/")
one_language = pd.read_parquet("{data}/{language_dir}/")"""),
    Snippet("Spark", "python", """\
everything = spark.read.parquet("{data}/*/*.parquet")
one_language = spark.read.parquet("{data}/{language_dir}/")"""),
    Snippet("DuckDB", "sql", """\
SELECT * FROM read_parquet('{data}/*/*.parquet');
SELECT * FROM read_parquet('{data}/{language_dir}/*.parquet');"""),
    Snippet("Hugging Face `datasets`", "python", """\
from datasets import load_dataset
everything = load_dataset("parquet", data_files="{data}/*/*.parquet", split="train")
one_language = load_dataset("parquet", data_files="{data}/{language_dir}/*.parquet", split="train")"""),
)


def card_section(language_dir: str) -> list[str]:
    """The card's "How to load" lines, run from the release directory."""
    lines = []
    for snippet in SNIPPETS:
        lines += [f"{snippet.tool}:", "", f"```{snippet.language}", snippet.render("data", language_dir), "```", ""]
        lines += [snippet.note, ""] if snippet.note else []
    return lines
