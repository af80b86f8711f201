"""Release pieces that need no Spark: directory names, changelog, CLI exit codes, unfinished dirs."""

from __future__ import annotations

import argparse
from pathlib import Path

import pyarrow as pa
import pytest

from codecurate.cli import release as release_commands
from codecurate.release import layout, manifest, publish
from codecurate.release.changelog import changelog
from codecurate.release.verify import verify_release


def test_language_dirs_are_safe_and_distinct():
    dirs = layout.language_dirs(["C++", "C#", "F#", "Objective-C++", "Ren'Py", "Python", None,
                                 "Unknown", "Common Lisp", "!!"])
    assert dirs["C++"] == "cpp"
    assert dirs["C#"] == "c-sharp"
    assert dirs["F#"] == "f-sharp"
    assert dirs["Objective-C++"] == "objective-cpp"
    assert dirs["Ren'Py"] == "ren-py"
    assert dirs["Common Lisp"] == "common-lisp"
    assert dirs[None] == "unknown"
    # a real language called "Unknown" must not share the directory of undetected files
    assert dirs["Unknown"].startswith("unknown-") and len(dirs["Unknown"]) == len("unknown-") + 8
    assert dirs["!!"].startswith("lang-")
    assert len(set(dirs.values())) == len(dirs)


def test_versions():
    assert layout.next_patch("0.1.9") == "0.1.10"
    with pytest.raises(layout.ReleaseLayoutError, match="MAJOR.MINOR.PATCH"):
        layout.parse_version("../1.0.0")


def _hand_release(root: Path, version: str, files: list[tuple[str, str, str, str]],
                  reasons: dict[str, dict[str, int]], previous: Path | None = None) -> Path:
    """files: (language dir, repo_name, path, blob_id); one shard per language."""
    target = root / "releases" / version
    schema = layout.release_schema(ids_only=True)
    entries, languages = [], []
    for directory in sorted({f[0] for f in files}):
        mine = [f for f in files if f[0] == directory]
        table = pa.table({"repo_name": [f[1] for f in mine], "path": [f[2] for f in mine],
                          "blob_id": [f[3] for f in mine], "length_bytes": [10] * len(mine)})
        rows = layout.sort_rows(layout.conform(table, schema))
        out = target / "data" / directory / layout.shard_name(0, 1)
        out.parent.mkdir(parents=True)
        size, digest = layout.write_shard(rows, out)
        entries.append({"path": f"data/{directory}/{out.name}", "language_dir": directory,
                        "rows": len(mine), "bytes": size, "sha256": digest})
        languages.append({"language": directory.title(), "dir": directory, "rows": len(mine),
                          "bytes": 10 * len(mine), "shards": 1})
    stages = [{"stage": s, "rows_in": 0, "rows_kept": 0, "rows_rejected": sum(r.values()),
               "rejected_by_reason": r, "bytes_in": None, "bytes_kept": None} for s, r in reasons.items()]
    data = {
        "source": {"config": {}, "config_fingerprint": version, "inputs": {}, "optout_sha256": None},
        "options": {"shard_size_mb": 256, "ids_only": True},
        "parquet": {"compression": "zstd", "compression_level": 3, "row_group_size": 4096,
                    "version": "2.6", "created_by": layout.parquet_created_by()},
        "columns": layout.schema_to_json(schema), "sort_order": list(layout.SORT_KEYS),
        "stages": stages, "language_detectors": None,
        "optout_recheck": {"optout_sha256": None, "rows_removed": 0}, "patches": [],
        "totals": {"rows": len(files), "bytes": 10 * len(files), "repos": len({f[1] for f in files}),
                   "data_files": len(entries), "parquet_bytes": sum(e["bytes"] for e in entries)},
        "languages": languages, "files": entries,
    }
    built = manifest.build(version=version, code_version="test", run_id=None,
                           previous=previous.name if previous else None, data=data)
    publish.finish_release(target, built, previous)
    return target


@pytest.fixture
def two_releases(tmp_path):
    old = _hand_release(tmp_path, "0.1.0", [
        ("python", "a/x", "p1.py", "blob1"), ("python", "a/x", "p2.py", "blob2"),
        ("go", "b/y", "q1.go", "blob3"), ("python", "c/z", "r1.py", "blob4"),
    ], {"extract": {"binary": 2}, "optout": {"opted_out": 1}})
    new = _hand_release(tmp_path, "0.2.0", [
        ("python", "a/x", "p1.py", "blob1"), ("python", "a/x", "p2.py", "blob2b"),
        ("python", "a/x", "p3.py", "blob5"), ("rust", "d/w", "s1.rs", "blob6"),
        ("python", "c/z", "r1.py", "blob4"),
    ], {"extract": {"binary": 5}, "near_dedup": {"near_duplicate": 3}}, previous=old)
    return old, new


def test_changelog_between_hand_built_releases(two_releases):
    old, new = two_releases
    text = changelog(old, new, manifest.read(new))
    assert text.startswith("# Changelog: 0.1.0 -> 0.2.0\n")
    assert "## Repositories\n\n- added: 1\n- removed: 1 (not named" in text
    assert "- total: 3 -> 3\n" in text
    assert "- `d/w`" in text and "b/y" not in text  # removed repositories are counted, never named
    assert "## Files\n\n- added: 2\n- removed: 1\n- changed content: 1\n- total: 4 -> 5\n" in text
    assert "| extract | binary | 2 | 5 | +3 |" in text
    assert "| near_dedup | near_duplicate | 0 | 3 | +3 |" in text
    assert "| optout | opted_out | 1 | 0 | -1 |" in text
    # the release's own CHANGELOG.md was written against the previous release the same way
    assert (new / "CHANGELOG.md").read_text() == text
    assert verify_release(new) == [] and verify_release(old) == []


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    release_commands.register(parser.add_subparsers(dest="command", required=True))
    return parser


def test_cli_diff_and_verify_exit_codes(two_releases, capsys):
    old, new = two_releases
    args = _parser().parse_args(["diff", str(old), str(new)])
    assert args.func(args) == 0
    assert "- changed content: 1" in capsys.readouterr().out

    args = _parser().parse_args(["verify", str(new)])
    assert args.func(args) == 0
    (new / "data/rust/train-00000-of-00001.parquet").unlink()
    assert args.func(args) == 1
    err = capsys.readouterr().err
    assert "verify: data/rust/train-00000-of-00001.parquet: missing" in err


def test_unfinished_directories_are_not_releases(two_releases):
    old, new = two_releases
    root = old.parent
    (root / ".tmp-0.3.0-deadbeef").mkdir()
    (root / ".tmp-0.3.0-deadbeef" / "manifest.json").write_text("{}")
    (root / "0.4.0").mkdir()  # a version-named directory without a manifest
    assert layout.published_versions(root) == ["0.1.0", "0.2.0"]
    assert layout.previous_version(root, "9.0.0") == "0.2.0"
    assert verify_release(root / "0.4.0")[0].endswith("missing (an unfinished or not a release directory)")
