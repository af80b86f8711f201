"""Every table's schema, written out to schemas/ for review: `python -m pipeline.schemas schemas`.

The definitions live in code (pipeline/swh/tables.py for the SWH input, pipeline/release/layout.py
for stage outputs and the release); the JSON files are generated from them, and a test fails when
they are stale, so the reviewable copy cannot drift from what the code reads and writes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pyarrow as pa

from pipeline import columns as C
from pipeline.config import ALL_STAGES
from pipeline.release.layout import release_schema, type_text
from pipeline.swh.tables import REPO_METADATA, SCHEMAS

# Columns each stage adds to the files it passes on (extract makes the-stack-v2's + content).
ADDED_BY_STAGE = {
    "extract": (*C.STACK_V2_COLUMNS, C.CONTENT),
    "optout": (),
    "licenses": (C.DETECTED_LICENSES, C.LICENSE_TYPE),
    "languages": (C.LANGUAGE, C.LANGUAGE_DETECTOR, C.IS_VENDOR, C.IS_GENERATED),
    "exact_dedup": (),
    "near_dedup": (),
    "pii": (C.PII_COUNTS,),
}


def stage_output_schema(stage: str) -> pa.Schema:
    """Columns of `<stage>/kept/` when every stage up to it ran."""
    upto = ALL_STAGES[: ALL_STAGES.index(stage) + 1]
    names = [n for s in upto for n in ADDED_BY_STAGE[s]]
    full = release_schema(ids_only=False)
    return pa.schema([full.field(n) for n in names])


def _describe(schema: pa.Schema) -> list[dict[str, str]]:
    return [{"name": f.name, "type": type_text(f.type)} for f in schema]


def documents() -> dict[str, object]:
    docs: dict[str, object] = {f"swh/{name}.json": _describe(s) for name, s in sorted(SCHEMAS.items())}
    docs["swh/repo_metadata.json"] = _describe(REPO_METADATA)
    for stage in ALL_STAGES:
        docs[f"stages/{stage}.json"] = _describe(stage_output_schema(stage))
    docs["release/release.json"] = _describe(release_schema(ids_only=False))
    docs["release/release-ids-only.json"] = _describe(release_schema(ids_only=True))
    return docs


def render(doc: object) -> str:
    return json.dumps(doc, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.schemas")
    parser.add_argument("out", type=Path, help="directory to write (schemas/)")
    args = parser.parse_args(argv)
    for name, doc in documents().items():
        path = args.out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(doc))
    print(f"wrote {len(documents())} schema files under {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
