"""Re-check a published release against its manifest: every problem, each named exactly."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from codecurate.release import layout, manifest


def verify_release(release_dir: Path) -> list[str]:
    """The list of mismatches; empty means the release is intact."""
    release_dir = Path(release_dir)
    try:
        m = manifest.read(release_dir)
    except manifest.ManifestError as err:
        return [str(err)]
    problems: list[str] = []
    data = m["data"]
    if manifest.data_sha256(data) != m["release"]["data_sha256"]:
        problems.append("manifest.json: release.data_sha256 does not match the data section (manifest edited?)")
    if release_dir.name != m["release"]["version"]:
        problems.append(f"directory name {release_dir.name!r} is not the manifest's version {m['release']['version']!r}")

    expected_columns = [(c["name"], c["type"]) for c in data["columns"]]
    # the default config (data/) and any further one (release.variants both: raw/)
    configs = [(layout.DATA_DIR, data, "")] + [(v["dir"], v, f"variant {v['name']}: ") for v in data.get("variants", [])]
    for directory, part, label in configs:
        problems += _check_config(release_dir, directory, part, label, expected_columns)
    problems += _check_sums(release_dir)
    return problems


def _check_config(release_dir: Path, directory: str, data: dict, label: str,
                  expected_columns: list[tuple[str, str]]) -> list[str]:
    """One dataset config's files, languages and totals against its part of the manifest."""
    problems: list[str] = []
    listed = set()
    for entry in data["files"]:
        problems += _check_file(release_dir, entry, expected_columns)
        listed.add(entry["path"])
    data_root = release_dir / directory
    if data_root.is_dir():
        for path in sorted(p for p in data_root.rglob("*") if p.is_file()):
            rel = path.relative_to(release_dir).as_posix()
            if rel not in listed:
                problems.append(f"{rel}: data file not listed in manifest.json")

    for lang in data["languages"]:
        entries = [f for f in data["files"] if f["language_dir"] == lang["dir"]]
        rows = sum(f["rows"] for f in entries)
        if rows != lang["rows"]:
            problems.append(f"{label}language {lang['language']!r}: manifest says {lang['rows']} rows, its files list {rows}")
        if len(entries) != lang["shards"]:
            problems.append(f"{label}language {lang['language']!r}: manifest says {lang['shards']} shards, lists {len(entries)} files")
    totals = data["totals"]
    for key, actual in (("rows", sum(f["rows"] for f in data["files"])),
                        ("data_files", len(data["files"])),
                        ("parquet_bytes", sum(f["bytes"] for f in data["files"]))):
        if totals[key] != actual:
            problems.append(f"{label}totals.{key}: manifest says {totals[key]}, its files add up to {actual}")
    return problems


def _check_file(release_dir: Path, entry: dict, expected_columns: list[tuple[str, str]]) -> list[str]:
    rel = entry["path"]
    path = release_dir / rel
    if not path.is_file():
        return [f"{rel}: missing"]
    problems = []
    size = path.stat().st_size
    if size != entry["bytes"]:
        problems.append(f"{rel}: {size} bytes, manifest says {entry['bytes']}")
    digest = layout.sha256_file(path)
    if digest != entry["sha256"]:
        problems.append(f"{rel}: sha256 {digest}, manifest says {entry['sha256']}")
    try:
        parquet = pq.ParquetFile(path)
    except (OSError, ValueError) as err:  # pyarrow raises ArrowInvalid (a ValueError) on bad footers
        return problems + [f"{rel}: not a readable parquet file: {err}"]
    rows = parquet.metadata.num_rows
    if rows != entry["rows"]:
        problems.append(f"{rel}: {rows} rows, manifest says {entry['rows']}")
    actual = [(f.name, layout.type_text(f.type)) for f in parquet.schema_arrow]
    if actual != expected_columns:
        problems.append(f"{rel}: schema {actual} differs from the manifest's columns {expected_columns}")
    # Arrow's full validation, a row group at a time: what a reader's to_pylist() would meet
    # (invalid UTF-8 in a string column, offsets out of range) is found here, not by users.
    for group in range(parquet.num_row_groups):
        try:
            parquet.read_row_group(group).validate(full=True)
        except (pa.ArrowException, OSError, ValueError) as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            problems.append(f"{rel}: row group {group} is not valid Arrow data: {first[:300]}")
            break
    return problems


def _check_sums(release_dir: Path) -> list[str]:
    sums = release_dir / layout.SUMS
    if not sums.is_file():
        return [f"{layout.SUMS}: missing"]
    problems = []
    listed = {}
    for number, line in enumerate(sums.read_text(encoding="utf-8").splitlines(), start=1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64:
            problems.append(f"{layout.SUMS}:{number}: malformed line")
            continue
        listed[name] = digest
    for name, digest in sorted(listed.items()):
        path = release_dir / name
        if not path.is_file():
            problems.append(f"{layout.SUMS}: lists {name}, which is missing")
        elif layout.sha256_file(path) != digest:
            problems.append(f"{layout.SUMS}: {name} has another sha256 than listed")
    for path in sorted(p for p in release_dir.rglob("*") if p.is_file() and p.name != layout.SUMS):
        rel = path.relative_to(release_dir).as_posix()
        if rel not in listed:
            problems.append(f"{rel}: not listed in {layout.SUMS}")
    return problems
