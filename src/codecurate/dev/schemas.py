"""Every table's schema, written out to schemas/ for review: `python -m codecurate.dev.schemas schemas`.

The definitions live in code (src/codecurate/swh/tables.py for the SWH input, each stage's
declaration in src/codecurate/stages/ for stage outputs and the release); the JSON files are generated from them, and a test fails when
they are stale, so the reviewable copy cannot drift from what the code reads and writes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pyarrow as pa

from codecurate.config import ALL_STAGES
from codecurate.release.layout import release_schema, type_text
from codecurate.stages import registry
from codecurate.swh.tables import REPO_METADATA, SCHEMAS


def stage_output_schema(stage: str) -> pa.Schema:
    """Columns of `<stage>/kept/` when every stage up to it ran (from the stage declarations)."""
    upto = ALL_STAGES[: ALL_STAGES.index(stage) + 1]
    return pa.schema([f for s in registry() if s.name in upto for f in (*s.adds, *getattr(s, "carries", ()))])


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
    parser = argparse.ArgumentParser(prog="python -m codecurate.dev.schemas")
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
