"""The SWH graph export's tables: names, columns and types, defined once.

Arrow schemas are the source of truth (import-git writes ORC with them); the reader converts
them to Spark schemas, so what we write and what we read cannot drift apart. Hash-like columns
are lowercase hex strings, as the exporter's hash-to-hex writes them.
"""

import pyarrow as pa

TS = pa.timestamp("us", tz="UTC")

SCHEMAS: dict[str, pa.Schema] = {
    "origin": pa.schema([("id", pa.string()), ("url", pa.string())]),
    "origin_visit": pa.schema([
        ("origin", pa.string()), ("visit", pa.int64()), ("date", TS), ("type", pa.string()),
    ]),
    "origin_visit_status": pa.schema([
        ("origin", pa.string()), ("visit", pa.int64()), ("date", TS), ("status", pa.string()),
        ("snapshot", pa.string()), ("type", pa.string()),
    ]),
    "snapshot": pa.schema([("id", pa.string())]),
    "snapshot_branch": pa.schema([
        ("snapshot_id", pa.string()), ("name", pa.binary()), ("target", pa.string()),
        ("target_type", pa.string()),
    ]),
    "release": pa.schema([
        ("id", pa.string()), ("name", pa.binary()), ("message", pa.binary()),
        ("target", pa.string()), ("target_type", pa.string()), ("author", pa.binary()),
        ("date", TS), ("date_offset", pa.int16()), ("date_raw_offset_bytes", pa.binary()),
        ("raw_manifest", pa.binary()),
    ]),
    "revision": pa.schema([
        ("id", pa.string()), ("message", pa.binary()), ("author", pa.binary()), ("date", TS),
        ("date_offset", pa.int16()), ("date_raw_offset_bytes", pa.binary()),
        ("committer", pa.binary()), ("committer_date", TS), ("committer_offset", pa.int16()),
        ("committer_date_raw_offset_bytes", pa.binary()), ("directory", pa.string()),
        ("type", pa.string()), ("raw_manifest", pa.binary()),
    ]),
    "revision_history": pa.schema([
        ("id", pa.string()), ("parent_id", pa.string()), ("parent_rank", pa.int32()),
    ]),
    "revision_extra_headers": pa.schema([
        ("id", pa.string()), ("key", pa.binary()), ("value", pa.binary()),
    ]),
    "directory": pa.schema([("id", pa.string()), ("raw_manifest", pa.binary())]),
    "directory_entry": pa.schema([
        ("directory_id", pa.string()), ("name", pa.binary()), ("type", pa.string()),
        ("target", pa.string()), ("perms", pa.int32()),
    ]),
    "content": pa.schema([
        ("sha1", pa.string()), ("sha1_git", pa.string()), ("sha256", pa.string()),
        ("blake2s256", pa.string()), ("length", pa.int64()), ("status", pa.string()),
        ("data", pa.binary()),
    ]),
    "skipped_content": pa.schema([
        ("sha1", pa.string()), ("sha1_git", pa.string()), ("sha256", pa.string()),
        ("blake2s256", pa.string()), ("length", pa.int64()), ("status", pa.string()),
        ("reason", pa.string()),
    ]),
}

# The tables extract reads; the rest are written by import-git for fidelity but not needed.
REQUIRED = ("origin", "origin_visit_status", "snapshot_branch", "revision", "directory_entry", "content")
OPTIONAL = ("skipped_content",)

# GitHub metadata (GH Archive derived), <export>/github/repo_metadata.parquet
REPO_METADATA = pa.schema([
    ("repo_name", pa.string()), ("github_id", pa.int64()), ("star_events_count", pa.int64()),
    ("fork_events_count", pa.int64()), ("gha_license_id", pa.string()),
    ("default_branch", pa.string()), ("gha_language", pa.string()),
    ("gha_created_at", TS), ("gha_event_created_at", TS),
])

# Hash-like columns and their hex length (None: any even length, e.g. an alias branch's target
# is the hex of a branch name). The public export writes them as lowercase hex strings; an
# export that keeps SWH's binary form (raw bytes) is accepted and converted to hex once, when
# the table is read.
HASH_COLUMNS: dict[str, dict[str, int | None]] = {
    "origin": {"id": 40},
    "origin_visit_status": {"snapshot": 40},
    "snapshot": {"id": 40},
    "snapshot_branch": {"snapshot_id": 40, "target": None},
    "release": {"id": 40, "target": 40},
    "revision": {"id": 40, "directory": 40},
    "revision_history": {"id": 40, "parent_id": 40},
    "revision_extra_headers": {"id": 40},
    "directory": {"id": 40},
    "directory_entry": {"directory_id": 40, "target": 40},
    "content": {"sha1": 40, "sha1_git": 40, "sha256": 64, "blake2s256": 64},
    "skipped_content": {"sha1": 40, "sha1_git": 40, "sha256": 64, "blake2s256": 64},
}

# The hash columns extract joins on or publishes: a sample of their values is checked at
# start-up (the others are converted from the binary form if need be, but not used).
CHECKED_HASH_COLUMNS = {
    "origin_visit_status": ("snapshot",),
    "snapshot_branch": ("snapshot_id", "target"),
    "revision": ("id", "directory"),
    "directory_entry": ("directory_id", "target"),
    "content": ("sha1", "sha1_git"),
    "skipped_content": ("sha1_git",),
}
