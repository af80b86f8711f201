"""Publishing a release from a run directory (Spark), then verify / patch-optout / CLI on it."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from release_helpers import make_run, row

from codecurate.config import Config, OptOutConfig, OutputConfig, ReleaseConfig
from codecurate.release import layout
from codecurate.release.patch_optout import patch_optout
from codecurate.release.verify import verify_release
from codecurate.release.writer import publish_release
from codecurate.version import code_version

ROWS = [
    row("alice/web", "src/app.py", "b01", "Python"),
    row("Alice/Tools", "a.py", "b02", "Python"),
    row("alice/web", "main.go", "b03", "Go"),
    row("bob/tools", "x.cpp", "b04", "C++"),
    row("bob/other", "y.py", "b05", "Python"),
    row("carol/alice", "z.py", "b06", "Python"),  # owner carol: an `alice` entry must not touch it
    row("alicebob/z", "Makefile", "b07", None),  # prefix of no listed owner
    row("bob/other", "a/b.py", "b08", "Python"),
]


def _cfg(root: Path, **release) -> Config:
    return Config(output=OutputConfig(root=str(root)), release=ReleaseConfig(**release))


@pytest.fixture(scope="module")
def published(spark, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("out")
    run_dir = make_run(spark, root, ROWS)
    return publish_release(spark, run_dir, _cfg(root), version="0.1.0")


def _copy(release: Path, tmp_path: Path) -> Path:
    target = tmp_path / "releases" / release.name
    shutil.copytree(release, target)
    return target


def _rows(release: Path) -> list[tuple[str, str]]:
    table = ds.dataset(str(release / "data"), format="parquet").to_table(columns=["repo_name", "path"])
    return sorted(zip(table.column("repo_name").to_pylist(), table.column("path").to_pylist(), strict=True))


def test_round_trip_layout_and_verify(published):
    assert verify_release(published) == []
    assert sorted(p.relative_to(published).as_posix() for p in (published / "data").rglob("*.parquet")) == [
        "data/cpp/train-00000-of-00001.parquet",
        "data/go/train-00000-of-00001.parquet",
        "data/python/train-00000-of-00001.parquet",
        "data/unknown/train-00000-of-00001.parquet",
    ]
    python = pq.read_table(published / "data/python/train-00000-of-00001.parquet")
    assert list(zip(python.column("repo_name").to_pylist(), python.column("path").to_pylist(), strict=True)) == [
        ("Alice/Tools", "a.py"), ("alice/web", "src/app.py"), ("bob/other", "a/b.py"),
        ("bob/other", "y.py"), ("carol/alice", "z.py"),
    ]
    # columns no stage produced are published as typed nulls: one schema for every release
    assert python.schema.field("gha_language").type == "string"
    assert python.column("gha_language").null_count == 5
    assert layout.type_text(python.schema.field("pii_counts").type) == "list<struct<kind: string, count: int32>>"
    assert python.column("content").to_pylist()[0] == "x = 1\n"
    manifest = json.loads((published / "manifest.json").read_text())
    data = manifest["data"]
    assert data["totals"] == {"rows": 8, "bytes": 48, "repos": 6, "data_files": 4,
                              "parquet_bytes": data["totals"]["parquet_bytes"]}
    assert [(x["language"], x["dir"], x["rows"]) for x in data["languages"]] == [
        ("C++", "cpp", 1), ("Go", "go", 1), ("Python", "python", 5), (None, "unknown", 1)]
    assert [s["stage"] for s in data["stages"]] == ["extract", "optout", "languages"]
    assert data["stages"][2]["rejected_by_reason"] == {"generated": 1, "vendor": 1}
    assert data["language_detectors"] == {"enry": "2.8.9"}
    assert data["parquet"]["created_by"] == pq.ParquetFile(
        published / "data/go/train-00000-of-00001.parquet").metadata.created_by
    assert manifest["release"]["code_version"] == "abc123"
    card = (published / "README.md").read_text()
    assert "| Python | `data/python/` | 5 |" in card and 'load_dataset("parquet"' in card
    assert (published / "charts/languages.png").read_bytes()[:4] == b"\x89PNG"
    sums = (published / "SHA256SUMS").read_text()
    assert "  data/go/train-00000-of-00001.parquet\n" in sums and "  manifest.json\n" in sums


def test_verify_catches_flipped_byte(published, tmp_path):
    release = _copy(published, tmp_path)
    shard = release / "data/python/train-00000-of-00001.parquet"
    raw = bytearray(shard.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    shard.write_bytes(bytes(raw))
    problems = verify_release(release)
    assert any(p.startswith("data/python/train-00000-of-00001.parquet: sha256 ") for p in problems)
    assert "SHA256SUMS: data/python/train-00000-of-00001.parquet has another sha256 than listed" in problems


def test_verify_catches_missing_shard(published, tmp_path):
    release = _copy(published, tmp_path)
    (release / "data/go/train-00000-of-00001.parquet").unlink()
    problems = verify_release(release)
    assert "data/go/train-00000-of-00001.parquet: missing" in problems


def test_verify_catches_row_count_lie(published, tmp_path):
    release = _copy(published, tmp_path)
    path = release / "manifest.json"
    manifest = json.loads(path.read_text())
    entry = next(f for f in manifest["data"]["files"] if f["path"] == "data/cpp/train-00000-of-00001.parquet")
    entry["rows"] = 2
    path.write_text(json.dumps(manifest))
    problems = verify_release(release)
    assert "data/cpp/train-00000-of-00001.parquet: 1 rows, manifest says 2" in problems
    assert any("data_sha256 does not match" in p for p in problems)


def test_verify_catches_schema_violation_and_stray_file(published, tmp_path):
    release = _copy(published, tmp_path)
    (release / "data/go/extra.parquet").write_bytes(b"PAR1")
    path = release / "manifest.json"
    manifest = json.loads(path.read_text())
    del manifest["data"]["totals"]
    path.write_text(json.dumps(manifest))
    problems = verify_release(release)
    assert len(problems) == 1 and "does not match the manifest schema" in problems[0] and "totals" in problems[0]


def test_patch_optout_removes_exactly_listed_repos(published, tmp_path):
    release = _copy(published, tmp_path)
    optout = tmp_path / "optout.txt"
    optout.write_text("# requests of 2026-02\nALICE\nBob/TOOLS   # one repo only\n")
    patched = patch_optout(release, optout)
    assert patched.name == "0.1.1"
    assert verify_release(patched) == []
    assert _rows(patched) == [
        ("alicebob/z", "Makefile"), ("bob/other", "a/b.py"), ("bob/other", "y.py"), ("carol/alice", "z.py"),
    ]
    assert not (patched / "data/go").exists() and not (patched / "data/cpp").exists()
    # shards without an opted-out repo are copied byte for byte
    assert (patched / "data/unknown/train-00000-of-00001.parquet").read_bytes() == \
        (release / "data/unknown/train-00000-of-00001.parquet").read_bytes()
    manifest = json.loads((patched / "manifest.json").read_text())
    assert manifest["release"]["previous_version"] == "0.1.0"
    assert manifest["release"]["code_version"] == "abc123"  # the code that produced the rows
    assert manifest["data"]["patches"][0]["rows_removed"] == 4
    assert manifest["data"]["patches"][0]["repos_removed"] == 3
    assert manifest["data"]["totals"]["repos"] == 3
    assert [x["dir"] for x in manifest["data"]["languages"]] == ["python", "unknown"]
    log = (patched / "CHANGELOG.md").read_text()
    assert "# Changelog: 0.1.0 -> 0.1.1" in log
    assert "- removed: 3 (not named" in log and "- removed: 4\n" in log
    assert "alice/web" not in log and "Alice" not in (patched / "README.md").read_text()
    # the original release is untouched
    assert verify_release(release) == [] and len(_rows(release)) == 8


@pytest.mark.parametrize("run_list, run_code, rematched", [
    ("same", "current", False),  # the run's optout stage applied this list: nothing to re-match
    ("older", "current", True),  # the list changed after the run
    ("same", "other", True),  # same list, other code: its matching may differ
])
def test_optout_recheck_at_publishing(spark, tmp_path, run_list, run_code, rematched):
    listed = tmp_path / "optout.txt"
    listed.write_text("alice\nbob/tools\n")
    older = "carol\n"
    run_dir = make_run(spark, tmp_path, ROWS)
    info = json.loads((run_dir / "run.json").read_text())
    # A hand-written run that claims its optout stage ran, yet kept files the list names:
    # they stay published only if the release trusts the run instead of matching again.
    info["optout_sha256"] = hashlib.sha256((listed.read_text() if run_list == "same" else older).encode()).hexdigest()
    info["code_version"] = code_version() if run_code == "current" else "0.0.1+gdeadbeef"
    (run_dir / "run.json").write_text(json.dumps(info))
    cfg = Config(output=OutputConfig(root=str(tmp_path)), optout=OptOutConfig(list=str(listed)))
    release = publish_release(spark, run_dir, cfg, version="0.1.0")
    recheck = json.loads((release / "manifest.json").read_text())["data"]["optout_recheck"]
    assert recheck["optout_sha256"] == hashlib.sha256(listed.read_bytes()).hexdigest()
    if rematched:  # alice/web x2, Alice/Tools, bob/tools go; carol/alice and alicebob/z stay
        assert recheck["rows_removed"] == 4
        assert _rows(release) == [("alicebob/z", "Makefile"), ("bob/other", "a/b.py"),
                                  ("bob/other", "y.py"), ("carol/alice", "z.py")]
    else:
        assert recheck["rows_removed"] == 0 and len(_rows(release)) == len(ROWS)
    assert verify_release(release) == []


def test_publish_twice_is_byte_identical_and_shards_by_size(spark, tmp_path):
    # 3 Python files of ~400 KiB with a 1 MiB target: 2 shards. Two runs written with different
    # input partitioning must still give the same bytes.
    big = [row("r/a", f"f{i}.py", f"c{i:02d}", "Python", content=str(i) * 400_000) for i in range(3)]
    small = [row("r/b", "g.rs", "d01", "Rust")]
    releases = []
    for n, parts in ((1, 1), (2, 3)):
        root = tmp_path / f"out{n}"
        run_dir = make_run(spark, root, big + small, partitions=parts)
        releases.append(publish_release(spark, run_dir, _cfg(root, shard_size_mb=1), version="1.0.0"))
    one, two = (json.loads((r / "manifest.json").read_text()) for r in releases)
    assert one["data"] == two["data"]
    assert one["release"]["data_sha256"] == two["release"]["data_sha256"]
    assert [f["path"] for f in one["data"]["files"]] == [
        "data/python/train-00000-of-00002.parquet", "data/python/train-00001-of-00002.parquet",
        "data/rust/train-00000-of-00001.parquet"]
    for entry in one["data"]["files"]:
        assert (releases[0] / entry["path"]).read_bytes() == (releases[1] / entry["path"]).read_bytes()
    assert verify_release(releases[0]) == []


def test_failure_before_rename_leaves_no_release(spark, tmp_path, monkeypatch):
    run_dir = make_run(spark, tmp_path, ROWS[:2])

    def crash(staging, target, *, overwrite):
        assert (staging / "manifest.json").is_file()  # everything was written; only the rename is left
        raise OSError("disk went away")

    monkeypatch.setattr(layout, "publish_dir", crash)
    with pytest.raises(OSError, match="disk went away"):
        publish_release(spark, run_dir, _cfg(tmp_path), version="0.1.0")
    assert list((tmp_path / "releases").iterdir()) == []


def test_existing_version_refused_and_ids_only(spark, tmp_path):
    run_dir = make_run(spark, tmp_path, ROWS[:3])
    release = publish_release(spark, run_dir, _cfg(tmp_path, ids_only=True), version="0.1.0")
    assert "content" not in pq.read_schema(release / "data/python/train-00000-of-00001.parquet").names
    assert verify_release(release) == []
    before = layout.sha256_file(release / "manifest.json")
    with pytest.raises(layout.ReleaseExistsError, match="already exists"):
        publish_release(spark, run_dir, _cfg(tmp_path), version="0.1.0")
    assert layout.sha256_file(release / "manifest.json") == before
    again = publish_release(spark, run_dir, _cfg(tmp_path, overwrite=True), version="0.1.0")
    assert "content" in pq.read_schema(again / "data/python/train-00000-of-00001.parquet").names
    assert sorted(p.name for p in (tmp_path / "releases").iterdir()) == ["0.1.0"]
