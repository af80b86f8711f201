"""import-git writes a faithful SWH export: ids agree with git's, names stay bytes, output is
deterministic, and Spark reads every table back with the explicit schemas."""

import datetime as dt
import gzip
import hashlib
import os
import subprocess
from pathlib import Path

import pyarrow.orc as orc
import pyarrow.parquet as pq
import pytest

from codecurate.dev.gitimport import (
    ImportGitError,
    RepoSpec,
    import_git,
    parse_person,
    snapshot_identifier,
)
from codecurate.swh.tables import REPO_METADATA, SCHEMAS

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Author", "GIT_AUTHOR_EMAIL": "author@example.org",
    "GIT_COMMITTER_NAME": "Test Committer", "GIT_COMMITTER_EMAIL": "committer@example.org",
    "GIT_AUTHOR_DATE": "2024-03-01T12:00:00+0200", "GIT_COMMITTER_DATE": "2024-03-01T12:00:00+0200",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
}
MAIN_HEX = "726566732f68656164732f6d61696e"  # b"refs/heads/main".hex()


def git(repo: Path, *args: str, stdin: bytes = b"") -> str:
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(
        ["git", "-C", str(repo), *args], env=env, input=stdin, capture_output=True, check=True
    ).stdout.decode().strip()


def make_repo(path: Path, files: dict[bytes, bytes]) -> Path:
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    for name, data in files.items():
        target = os.path.join(os.fsencode(path), name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as f:
            f.write(data)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "first")
    return path


def read(out: Path, table: str) -> list[dict]:
    return orc.read_table(out / "orc" / table / f"{table}.orc").to_pylist()


@pytest.fixture
def repo(tmp_path):
    path = make_repo(tmp_path / "r1", {
        b"README.md": b"# hello\n",
        b"src/main.py": b"print('hi')\n",
        b"caf\xe9.txt": b"latin-1 name\n",  # not UTF-8: must stay bytes
    })
    os.symlink("README.md", path / "link")
    # a submodule as a bare gitlink entry (no .gitmodules needed for the tree)
    git(path, "update-index", "--add", "--cacheinfo", "160000," + "ab" * 20 + ",sub")
    git(path, "add", "link")
    git(path, "commit", "-q", "-m", "second")
    git(path, "tag", "-a", "v1", "-m", "release one")
    return path


def test_ids_match_git(repo, tmp_path):
    out = tmp_path / "export"
    summary = import_git([RepoSpec(repo, "octo/r1")], out)
    assert summary.origins == 1

    contents = {row["sha1_git"]: row for row in read(out, "content")}
    readme_id = git(repo, "hash-object", "README.md")
    assert readme_id in contents
    row = contents[readme_id]
    assert row["sha1"] == hashlib.sha1(b"# hello\n").hexdigest()
    assert row["sha256"] == hashlib.sha256(b"# hello\n").hexdigest()
    assert row["length"] == 8 and row["status"] == "visible" and row["data"] is None
    blob = gzip.decompress((out / "blobs" / "content" / row["sha1"]).read_bytes())
    assert blob == b"# hello\n"

    root = git(repo, "rev-parse", "HEAD^{tree}")
    entries = {(e["name"], e["type"], e["perms"], e["target"])
               for e in read(out, "directory_entry") if e["directory_id"] == root}
    assert entries == {
        (b"README.md", "file", 33188, readme_id),
        (b"caf\xe9.txt", "file", 33188, git(repo, "hash-object", "--stdin", stdin=b"latin-1 name\n")),
        (b"link", "file", 40960, git(repo, "hash-object", "--stdin", stdin=b"README.md")),
        (b"src", "dir", 16384, git(repo, "rev-parse", "HEAD:src")),
        (b"sub", "rev", 57344, "ab" * 20),
    }
    assert {d["id"] for d in read(out, "directory")} == {root, git(repo, "rev-parse", "HEAD:src"),
                                                          git(repo, "rev-parse", "HEAD~1^{tree}")}

    revisions = {r["id"]: r for r in read(out, "revision")}
    head = git(repo, "rev-parse", "HEAD")
    rev = revisions[head]
    assert rev["directory"] == root and rev["message"] == b"second\n" and rev["type"] == "git"
    assert rev["date"] == dt.datetime(2024, 3, 1, 10, 0, tzinfo=dt.UTC)
    assert rev["date_offset"] == 120 and rev["date_raw_offset_bytes"] == b"+0200"
    assert rev["author"] == hashlib.sha256(b"Test Author <author@example.org>").digest()
    assert read(out, "revision_history") == [
        {"id": head, "parent_id": git(repo, "rev-parse", "HEAD~1"), "parent_rank": 0}
    ]
    (release,) = read(out, "release")
    assert release["name"] == b"v1" and release["target"] == head
    assert release["target_type"] == "revision" and release["message"] == b"release one\n"

    branches = {b["name"]: (b["target"], b["target_type"]) for b in read(out, "snapshot_branch")}
    assert branches == {
        b"HEAD": (MAIN_HEX, "alias"),
        b"refs/heads/main": (head, "revision"),
        b"refs/tags/v1": (git(repo, "rev-parse", "v1"), "release"),
    }
    (origin,) = read(out, "origin")
    assert origin == {"id": hashlib.sha1(b"https://github.com/octo/r1").hexdigest(),
                      "url": "https://github.com/octo/r1"}
    (status,) = read(out, "origin_visit_status")
    assert status["status"] == "full" and status["visit"] == 1 and status["type"] == "git"
    assert status["snapshot"] == read(out, "snapshot")[0]["id"]
    assert status["date"] == dt.datetime(2024, 3, 1, 10, 0, tzinfo=dt.UTC)
    assert read(out, "skipped_content") == []

    (meta,) = pq.read_table(out / "github" / "repo_metadata.parquet").to_pylist()
    assert meta["repo_name"] == "octo/r1" and meta["default_branch"] == "main"
    assert meta["star_events_count"] is None


def test_snapshot_id_matches_swh_model_vectors():
    # Vectors published with swh.model (checked against its implementation by the swhid crate).
    rev1, rev2 = ("revision", bytes([1]) * 20), ("revision", bytes([2]) * 20)
    assert snapshot_identifier({}) == "1a8893e6a86f444e8be8e7bda6cb34fb1735a00e"
    assert snapshot_identifier({b"refs/heads/main": rev1, b"refs/heads/develop": rev2}) == (
        "870148a17e00ea8bd84b727cd26104b8c6ac6a72"
    )
    assert snapshot_identifier({
        b"refs/heads/main": rev1, b"refs/heads/develop": rev2,
        b"HEAD": ("alias", b"refs/heads/main"),
    }) == "9ecd7950d10ed3d02bfcf9c4a534f173697ab9f3"


def test_parse_person_offsets():
    name, date, offset, raw = parse_person(b"A B <a@b.c> 1700000000 -0130")
    assert (name, offset, raw) == (b"A B <a@b.c>", -90, b"-0130")
    assert date == dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.UTC)


def test_same_input_byte_identical_and_forks_deduplicated(repo, tmp_path):
    fork = tmp_path / "fork"
    git(tmp_path, "clone", "-q", str(repo), str(fork))
    specs = [RepoSpec(repo, "octo/r1"), RepoSpec(fork, "other/r1")]
    first, second = tmp_path / "a", tmp_path / "b"
    import_git(specs, first)
    import_git(specs, second)
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name

    # the clone shares every object: one row each, two origins
    assert len(read(first, "revision")) == 2
    assert len(read(first, "content")) == 4  # README, main.py, café.txt, link target
    assert len(read(first, "origin")) == 2
    # the clone has refs/remotes/origin/* too, so its snapshot differs
    assert len(read(first, "snapshot")) == 2


def test_two_visits_of_one_origin(tmp_path):
    old = make_repo(tmp_path / "old", {b"a.txt": b"a\n"})
    new = tmp_path / "new"
    git(tmp_path, "clone", "-q", str(old), str(new))
    (new / "b.txt").write_bytes(b"b\n")
    git(new, "add", "b.txt")
    git(new, "commit", "-q", "-m", "more")
    day = dt.timedelta(days=1)
    t0 = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
    out = tmp_path / "export"
    import_git([RepoSpec(new, "o/r", t0 + day, "partial"), RepoSpec(old, "o/r", t0)], out)
    statuses = [(s["visit"], s["date"], s["status"]) for s in read(out, "origin_visit_status")]
    assert statuses == [(1, t0, "full"), (2, t0 + day, "partial")]
    assert len(read(out, "origin")) == 1 and len(read(out, "origin_visit")) == 2
    assert len({s["snapshot"] for s in read(out, "origin_visit_status")}) == 2


def test_large_blob_becomes_skipped_content(tmp_path):
    repo = make_repo(tmp_path / "r", {b"big.bin": b"x" * 5000, b"small.txt": b"s\n"})
    out = tmp_path / "export"
    import_git([RepoSpec(repo)], out, max_content_size=4096)
    (skipped,) = read(out, "skipped_content")
    assert skipped["length"] == 5000 and skipped["status"] == "absent"
    assert skipped["sha1"] == hashlib.sha1(b"x" * 5000).hexdigest()
    assert not (out / "blobs" / "content" / skipped["sha1"]).exists()
    assert [c["length"] for c in read(out, "content")] == [2]
    (origin,) = read(out, "origin")
    assert origin["url"] == f"file://{repo.resolve()}"
    assert not (out / "github").exists()  # no named repo, no metadata


def test_errors(tmp_path):
    with pytest.raises(ImportGitError, match="not a git repository"):
        import_git([RepoSpec(tmp_path)], tmp_path / "out")
    repo = make_repo(tmp_path / "r", {b"a": b"a"})
    import_git([RepoSpec(repo)], tmp_path / "out")
    with pytest.raises(ImportGitError, match="already holds an export"):
        import_git([RepoSpec(repo)], tmp_path / "out")
    with pytest.raises(ImportGitError, match="not imported: x/y"):
        import_git([RepoSpec(repo, "a/b")], tmp_path / "out2", metadata={"x/y": {}})
    with pytest.raises(ImportGitError, match="PATH=owner/name"):
        RepoSpec.parse("repo=noslash")


def run_cli(argv: list[str]) -> int:
    # only this module's sub-command: the other modules of `codecurate` are not needed here
    import argparse

    from codecurate.dev.gitimport import register
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli(tmp_path, capsys):
    repo = make_repo(tmp_path / "r", {b"LICENSE": b"MIT\n"})
    meta = tmp_path / "meta.json"
    meta.write_text('{"o/r": {"star_events_count": 5, "gha_license_id": "mit",'
                    ' "gha_created_at": "2020-01-01T00:00:00Z"}}')
    out = tmp_path / "export"
    code = run_cli(["import-git", f"{repo}=o/r", "--out", str(out), "--metadata", str(meta),
                 "--visit-date", "2025-01-02T03:04:05+00:00"])
    assert code == 0
    assert "origins: 1, visits: 1" in capsys.readouterr().out
    (row,) = pq.read_table(out / "github" / "repo_metadata.parquet").to_pylist()
    assert (row["star_events_count"], row["gha_license_id"], row["default_branch"]) == (5, "mit", "main")
    assert row["gha_created_at"] == dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    (status,) = read(out, "origin_visit_status")
    assert status["date"] == dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    with pytest.raises(ImportGitError, match="missing: not a directory"):
        run_cli(["import-git", str(tmp_path / "missing"), "--out", str(tmp_path / "o2")])


def test_spark_reads_every_table_back(repo, tmp_path, spark):
    from pyspark.sql.pandas.types import from_arrow_schema
    out = tmp_path / "export"
    import_git([RepoSpec(repo, "octo/r1")], out)
    for name, schema in SCHEMAS.items():
        frame = spark.read.schema(from_arrow_schema(schema)).orc(str(out / "orc" / name))
        assert frame.count() == len(read(out, name)), name
    rev = spark.read.schema(from_arrow_schema(SCHEMAS["revision"])).orc(str(out / "orc" / "revision"))
    row = rev.where("message = cast('second\n' as binary)").select(
        "date_offset", "date_raw_offset_bytes",
        rev.date.cast("long").alias("epoch"),
    ).first()
    # 2024-03-01T12:00:00+02:00 = 1709287200
    assert (row.date_offset, bytes(row.date_raw_offset_bytes), row.epoch) == (120, b"+0200", 1709287200)
    names = spark.read.schema(from_arrow_schema(SCHEMAS["directory_entry"])).orc(
        str(out / "orc" / "directory_entry")).select("name").collect()
    assert b"caf\xe9.txt" in {bytes(r.name) for r in names}
    meta = spark.read.schema(from_arrow_schema(REPO_METADATA)).parquet(str(out / "github"))
    assert meta.first().default_branch == "main"


def test_multi_chunk_blob_and_detached_head(tmp_path):
    data = bytes(range(256)) * (12 * 1024) + b"tail\n"  # 3 MiB + 5 bytes: several 1 MiB chunks
    repo = make_repo(tmp_path / "r", {b"big.dat": data})
    git(repo, "checkout", "-q", "--detach")
    out = tmp_path / "export"
    import_git([RepoSpec(repo)], out)
    (row,) = read(out, "content")
    assert row["sha1_git"] == git(repo, "hash-object", "big.dat")
    assert row["sha1"] == hashlib.sha1(data).hexdigest() and row["length"] == 3 * 1024 * 1024 + 5
    assert row["blake2s256"] == hashlib.blake2s(data).hexdigest()
    assert gzip.decompress((out / "blobs" / "content" / row["sha1"]).read_bytes()) == data
    branches = {b["name"]: (b["target"], b["target_type"]) for b in read(out, "snapshot_branch")}
    assert branches[b"HEAD"] == (git(repo, "rev-parse", "HEAD"), "revision")


@pytest.mark.parametrize("broken", ["not-a-repo", "missing-object"])
def test_a_bad_second_repository_leaves_no_partial_export(tmp_path, repo, broken):
    second = make_repo(tmp_path / "r2", {b"b.txt": b"only in the second repository\n"})
    if broken == "not-a-repo":
        second = tmp_path / "plain"
        second.mkdir()
    else:  # a blob the second repository's tree needs is gone from its object store
        blob = git(second, "rev-parse", "HEAD:b.txt")
        (second / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    out = tmp_path / "export"
    with pytest.raises(ImportGitError):
        import_git([RepoSpec(repo, "acme/one"), RepoSpec(second, "acme/two")], out)
    assert not out.exists()  # not a smaller export that reads as valid: nothing
    # into an existing directory: only what the import created goes
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(ImportGitError):
        import_git([RepoSpec(repo, "acme/one"), RepoSpec(second, "acme/two")], out)
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
