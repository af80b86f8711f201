"""Hand-built SWH exports for tests: rows in, ORC tables and gzip blobs out."""

from __future__ import annotations

import gzip
import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.orc as orc

from codecurate.swh.tables import REQUIRED, SCHEMAS

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\x00" % len(data) + data).hexdigest()


def write_export(root: Path, tables: dict[str, list[dict]], blobs: dict[str, bytes] | None = None) -> Path:
    """Write every required table (empty if not given); missing columns are null."""
    for name in set(REQUIRED) | set(tables):
        schema = SCHEMAS[name]
        rows = tables.get(name, [])
        columns = {f.name: [row.get(f.name) for row in rows] for f in schema}
        table = pa.Table.from_pydict(columns, schema=schema)
        out = root / "orc" / name
        out.mkdir(parents=True, exist_ok=True)
        orc.write_table(table, str(out / f"{name}-0.orc"), compression="zstd")
    for key, data in (blobs or {}).items():
        path = root / "blobs" / "content" / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(data, mtime=0))
    return root


def content_row(data: bytes, **extra) -> dict:
    row = {"sha1": sha1(data), "sha1_git": git_blob_id(data), "sha256": hashlib.sha256(data).hexdigest(),
           "blake2s256": hashlib.blake2s(data).hexdigest(), "length": len(data), "status": "visible"}
    row.update(extra)
    return row
