from pathlib import Path

from codecurate.dev.schemas import documents, render

SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "schemas"


def test_schema_files_are_current():
    stale = [name for name, doc in documents().items()
             if not (SCHEMAS_DIR / name).exists() or (SCHEMAS_DIR / name).read_text() != render(doc)]
    assert stale == [], f"regenerate with `python -m codecurate.dev.schemas schemas`: {stale}"


def test_extract_output_is_the_stack_v2_layout():
    names = [c["name"] for c in documents()["stages/extract.json"]]
    assert names[:3] == ["blob_id", "directory_id", "path"]
    assert names[-2:] == ["length_bytes", "extension"]
    assert len(names) == 21  # the-stack-v2's columns but content, which a run keeps in its contents table
    assert [c["name"] for c in documents()["release/release.json"]][-1] == "content"
