"""extract on a hand-built export: visit choice, branch resolution, traversal, drop reasons."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta

import pytest
from swh_fixture import T0, content_row, write_export

from codecurate import columns as C
from codecurate.config import load_config
from codecurate.run.runner import read_kept, run_pipeline

MAIN_PY = b"print('hi')\n"
README = b"# App\n"
LATIN1 = "café crème brûlée, déjà vu\n".encode("latin-1")
NUL = b"abc\x00def"
MISSING = b"this blob was never stored\n"
SKIPPED = b"skipped by the archive\n"
LARGE = b"x" * 2000
CORRUPT = b"the stored gzip of this one is cut short\n"
DEV = b"dev branch file\n"
DEEP = b"deep file\n"


def hexname(name: bytes) -> str:
    return name.hex()


def entry(directory, name: bytes, kind, target, perms=0o100644):
    return {"directory_id": directory, "name": name, "type": kind, "target": target, "perms": perms}


def build(tmp_path):
    c = {k: content_row(v) for k, v in {
        "main": MAIN_PY, "readme": README, "latin": LATIN1, "nul": NUL, "missing": MISSING,
        "large": LARGE, "corrupt": CORRUPT, "dev": DEV, "deep": DEEP}.items()}
    skipped = content_row(SKIPPED)
    dirs = {k: (k * 40)[:40] for k in "abcdefgh"}  # fake tree ids
    d = {"root": "1" * 40, "src": "2" * 40, "d3": "3" * 40, "deep0": "4" * 40, "deep1": "5" * 40,
         "deep2": "6" * 40, "deep3": "7" * 40}
    del dirs
    entries = [
        entry(d["root"], b"README.md", "file", c["readme"]["sha1_git"]),
        entry(d["root"], b"src", "dir", d["src"], 0o040000),
        entry(d["root"], b"link", "file", c["main"]["sha1_git"], 0o120000),
        entry(d["root"], b"sub", "rev", "9" * 40, 0o160000),
        entry(d["root"], b"bad\xff.txt", "file", c["main"]["sha1_git"]),
        entry(d["src"], b"main.py", "file", c["main"]["sha1_git"], 0o100755),
        entry(d["src"], b"latin.txt", "file", c["latin"]["sha1_git"]),
        entry(d["src"], b"nul.dat", "file", c["nul"]["sha1_git"]),
        entry(d["src"], b"missing.txt", "file", c["missing"]["sha1_git"]),
        entry(d["src"], b"gone.txt", "file", "8" * 40),
        entry(d["src"], b"skip.txt", "file", skipped["sha1_git"]),
        entry(d["src"], b"large.txt", "file", c["large"]["sha1_git"]),
        entry(d["src"], b"corrupt.txt", "file", c["corrupt"]["sha1_git"]),
        entry(d["d3"], b"dev.txt", "file", c["dev"]["sha1_git"]),
        entry(d["deep0"], b"a", "dir", d["deep1"], 0o040000),
        entry(d["deep1"], b"b", "dir", d["deep2"], 0o040000),
        entry(d["deep2"], b"x.txt", "file", c["deep"]["sha1_git"]),
        entry(d["deep2"], b"c", "dir", d["deep3"], 0o040000),
        entry(d["deep3"], b"f.txt", "file", c["deep"]["sha1_git"]),
    ]
    rev = {"r1": "a1" * 20, "r2": "a2" * 20, "r3": "a3" * 20, "r4": "a4" * 20}
    revisions = [
        {"id": rev["r1"], "directory": d["root"], "date": T0, "committer_date": T0, "type": "git"},
        {"id": rev["r2"], "directory": d["d3"], "date": T0, "committer_date": T0, "type": "git"},
        {"id": rev["r3"], "directory": d["d3"], "date": T0, "committer_date": T0, "type": "git"},
        {"id": rev["r4"], "directory": d["deep0"], "date": T0, "committer_date": T0, "type": "git"},
    ]
    snaps = {"s1": "b1" * 20, "s2": "b2" * 20, "s3": "b3" * 20, "s4": "b4" * 20, "s5": "b5" * 20,
             "s6": "b6" * 20}
    head = {"name": b"HEAD", "target": hexname(b"refs/heads/main"), "target_type": "alias"}
    branches = [
        {"snapshot_id": snaps["s1"], **head},
        {"snapshot_id": snaps["s1"], "name": b"refs/heads/main", "target": rev["r1"], "target_type": "revision"},
        {"snapshot_id": snaps["s1"], "name": b"refs/heads/dev", "target": rev["r2"], "target_type": "revision"},
        {"snapshot_id": snaps["s2"], "name": b"refs/heads/main", "target": rev["r2"], "target_type": "revision"},
        # the fork: no HEAD, only master, same root directory as acme/app
        {"snapshot_id": snaps["s3"], "name": b"refs/heads/master", "target": rev["r1"], "target_type": "revision"},
        # default_branch from metadata ("dev") beats HEAD
        {"snapshot_id": snaps["s4"], **head},
        {"snapshot_id": snaps["s4"], "name": b"refs/heads/main", "target": rev["r1"], "target_type": "revision"},
        {"snapshot_id": snaps["s4"], "name": b"refs/heads/dev", "target": rev["r3"], "target_type": "revision"},
        {"snapshot_id": snaps["s5"], "name": b"refs/heads/main", "target": rev["r4"], "target_type": "revision"},
        # HEAD points at a branch that is not there, and only a tag exists: nothing to extract
        {"snapshot_id": snaps["s6"], **head},
        {"snapshot_id": snaps["s6"], "name": b"refs/tags/v1", "target": "c1" * 20, "target_type": "release"},
    ]
    urls = {"app": "https://github.com/acme/app", "fork": "https://github.com/acme/app-fork",
            "meta": "https://github.com/other/meta", "nofull": "https://gitlab.com/grp/nofull",
            "deep": "https://github.com/x/deep", "tagonly": "https://github.com/x/tagonly"}
    day = timedelta(days=1)
    statuses = [
        {"origin": urls["app"], "visit": 1, "date": T0, "status": "full", "snapshot": snaps["s1"], "type": "git"},
        {"origin": urls["app"], "visit": 2, "date": T0 + day, "status": "partial", "snapshot": snaps["s2"], "type": "git"},
        {"origin": urls["app"], "visit": 3, "date": T0 + 2 * day, "status": "full", "snapshot": None, "type": "git"},
        {"origin": urls["fork"], "visit": 1, "date": T0, "status": "full", "snapshot": snaps["s3"], "type": "git"},
        {"origin": urls["meta"], "visit": 1, "date": T0, "status": "full", "snapshot": snaps["s4"], "type": "git"},
        {"origin": urls["nofull"], "visit": 1, "date": T0, "status": "partial", "snapshot": snaps["s2"], "type": "git"},
        {"origin": urls["nofull"], "visit": 2, "date": T0, "status": "weird-status", "snapshot": snaps["s2"], "type": "git"},
        {"origin": urls["deep"], "visit": 1, "date": T0, "status": "full", "snapshot": snaps["s5"], "type": "git"},
        {"origin": urls["tagonly"], "visit": 1, "date": T0, "status": "full", "snapshot": snaps["s6"], "type": "git"},
    ]
    tables = {
        "origin": [{"id": str(i), "url": u} for i, u in enumerate(urls.values())],
        "origin_visit_status": statuses,
        "snapshot_branch": branches,
        "revision": revisions,
        "directory_entry": entries,
        "content": list(c.values()),
        "skipped_content": [{**skipped, "status": "absent", "reason": "Content too large"}],
    }
    blobs = {c[k]["sha1"]: v for k, v in {
        "main": MAIN_PY, "readme": README, "latin": LATIN1, "nul": NUL, "large": LARGE,
        "dev": DEV, "deep": DEEP}.items()}
    export = write_export(tmp_path / "export", tables, blobs)
    corrupt = export / "blobs" / "content" / c["corrupt"]["sha1"]
    corrupt.write_bytes(gzip.compress(CORRUPT, mtime=0)[:-12])
    import pyarrow as pa
    import pyarrow.parquet as pq

    from codecurate.swh.tables import REPO_METADATA
    meta = pa.Table.from_pylist([
        {"repo_name": "acme/app", "github_id": 1, "star_events_count": 10, "fork_events_count": 2,
         "gha_license_id": "mit", "default_branch": None},
        {"repo_name": "ACME/app-fork", "github_id": 2, "star_events_count": 1, "fork_events_count": 0,
         "gha_license_id": "mit", "default_branch": "master"},
        {"repo_name": "other/meta", "github_id": 3, "star_events_count": 0, "fork_events_count": 0,
         "gha_license_id": None, "default_branch": "dev"},
    ], schema=REPO_METADATA)
    (export / "github").mkdir()
    pq.write_table(meta, export / "github" / "repo_metadata.parquet")
    return export


@pytest.fixture(scope="module")
def extracted(spark, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("extract")
    export = build(tmp)
    cfg = load_config(None, [
        f"input.export={export}", f"input.blobs={export / 'blobs'}", f"output.root={tmp / 'out'}",
        "stages=[extract]", "extract.max_file_bytes=1000", "extract.max_depth=2",
    ])
    run = run_pipeline(cfg, spark=spark)
    stage = run.dir.stage("extract")
    kept = spark.read.parquet(str(stage / "kept"))
    rejects = spark.read.parquet(str(stage / "rejects"))
    repos = spark.read.parquet(str(stage / "repo_rejects"))
    return run, kept, rejects, repos


def test_kept_rows(spark, extracted):
    run, kept, _, _ = extracted
    from pyspark.sql.pandas.types import from_arrow_schema

    from codecurate.dev.schemas import stage_output_schema
    assert kept.schema == from_arrow_schema(stage_output_schema("extract"))
    assert C.CONTENT not in kept.columns  # the texts are in the run's contents table
    rows = {(r[C.REPO_NAME], r[C.PATH]): r for r in read_kept(spark, run.dir, "extract", run.cfg).collect()}
    assert sorted(rows) == [
        ("acme/app", "README.md"),
        ("acme/app", "src/latin.txt"),
        ("acme/app", "src/main.py"),
        ("other/meta", "dev.txt"),
        ("x/deep", "a/b/x.txt"),
    ]
    main = rows[("acme/app", "src/main.py")]
    assert main[C.CONTENT] == "print('hi')\n"
    assert main[C.SRC_ENCODING] == "UTF-8"
    assert main[C.BRANCH_NAME] == "refs/heads/main"
    assert main[C.SNAPSHOT_ID] == "b1" * 20  # the older full visit, not the newer partial one
    assert main[C.REVISION_ID] == "a1" * 20
    assert main[C.DIRECTORY_ID] == "1" * 40
    assert main[C.EXTENSION] == "py"
    assert main[C.LENGTH_BYTES] == len(MAIN_PY)
    assert main[C.STAR_EVENTS_COUNT] == 10 and main[C.GHA_LICENSE_ID] == "mit"
    latin = rows[("acme/app", "src/latin.txt")]
    assert latin[C.CONTENT] == "café crème brûlée, déjà vu\n"
    assert latin[C.SRC_ENCODING] != "UTF-8"
    assert rows[("other/meta", "dev.txt")][C.BRANCH_NAME] == "refs/heads/dev"
    assert rows[("acme/app", "README.md")][C.EXTENSION] == "md"


def test_the_contents_table_holds_each_blob_read_once(spark, extracted):
    run, _, _, _ = extracted
    texts = spark.read.parquet(str(run.dir.texts)).collect()
    failed = spark.read.parquet(str(run.dir.contents / "decoded=false")).collect()
    assert len({r[C.BLOB_ID] for r in texts + failed}) == len(texts + failed)
    # the fork's files are duplicates and the large one is over the cap before any read
    assert sorted(r[C.CONTENT] for r in texts) == sorted(
        [MAIN_PY.decode(), README.decode(), LATIN1.decode("latin-1"), DEV.decode(), DEEP.decode()])
    assert sorted(r["_blob_reason"] for r in failed) == ["binary", "corrupt_blob", "missing_blob"]
    assert all(r[C.CONTENT] is None for r in failed)


def test_rejects_have_reasons_and_no_content(extracted):
    _, _, rejects, _ = extracted
    assert C.CONTENT not in rejects.columns
    got = sorted((r[C.REPO_NAME], r[C.PATH], r[C.DROP_REASON]) for r in rejects.collect())
    assert got == sorted([
        ("acme/app", "link", "symlink"),
        ("acme/app", "bad\ufffd.txt", "invalid_path"),
        ("acme/app", "src/nul.dat", "binary"),
        ("acme/app", "src/missing.txt", "missing_blob"),
        ("acme/app", "src/gone.txt", "missing_content"),
        ("acme/app", "src/skip.txt", "skipped_content"),
        ("acme/app", "src/large.txt", "too_large"),
        ("acme/app", "src/corrupt.txt", "corrupt_blob"),
        ("x/deep", "a/b/c", "tree_too_deep"),
        ("acme/app", "sub", "submodule"),
    ] + [("acme/app-fork", p, "duplicate_repository") for p in (
        "README.md", "link", "sub", "bad\ufffd.txt", "src/main.py", "src/latin.txt", "src/nul.dat",
        "src/missing.txt", "src/gone.txt", "src/skip.txt", "src/large.txt", "src/corrupt.txt")])


def test_repo_rejects_and_manifest(extracted):
    run, kept, rejects, repos = extracted
    assert sorted((r[C.REPO_NAME], r[C.DROP_REASON]) for r in repos.collect()) == [
        ("grp/nofull", "no_full_visit"), ("x/tagonly", "no_branch")]
    import json
    manifest = json.loads((run.dir.manifest_path("extract")).read_text())
    assert manifest["rows_in"] == 5 + 22
    assert manifest["rows_kept"] == 5
    assert manifest["rejected_by_reason"]["duplicate_repository"] == 12
    assert manifest["repos_rejected_by_reason"] == {"no_branch": 1, "no_full_visit": 1}
    assert manifest["metrics"]["unknown_visit_statuses"] == ["weird-status"]


def test_rerun_resumes_and_an_interrupted_stage_is_redone(spark, extracted, capsys):
    run, _, _, _ = extracted
    manifest = run.dir.manifest_path("extract")
    before = manifest.read_text()
    again = run_pipeline(run.cfg, spark=spark)
    assert again.run_dir == run.run_dir  # same config, inputs and opt-outs: the same run
    assert "complete from an earlier attempt" in capsys.readouterr().err
    assert manifest.read_text() == before  # not rewritten: the stage was skipped
    # A stage killed before its manifest was written is run again, not trusted.
    (run.dir.kept("extract") / "_SUCCESS").unlink()
    run_pipeline(run.cfg, spark=spark)
    assert (run.dir.kept("extract") / "_SUCCESS").exists()
    assert json.loads(manifest.read_text())["rows_kept"] == 5


def test_a_stage_that_loses_rows_fails_the_run(spark, extracted, monkeypatch):
    import dataclasses

    from codecurate.run.runner import ConservationError
    from codecurate.stages import optout, registry
    from codecurate.stages.base import untagged

    run, _, _, _ = extracted
    cfg = load_config(None, [*_overrides(run.cfg), "stages=[extract, optout]"])
    lossy = dataclasses.replace(optout.STAGE, apply=lambda files, cfg, ctx: untagged(files.limit(2)))
    monkeypatch.setattr(optout, "STAGE", lossy)
    registry.cache_clear()  # the registry reads STAGE once per process
    try:
        with pytest.raises(ConservationError, match=r"'optout': 5 rows in, but 2 kept \+ 0 rejected"):
            run_pipeline(cfg, spark=spark)
    finally:
        monkeypatch.undo()
        registry.cache_clear()


def _overrides(cfg) -> list[str]:
    return [f"input.export={cfg.input.export}", f"input.blobs={cfg.input.blobs}",
            f"output.root={cfg.output.root}", "extract.max_file_bytes=1000", "extract.max_depth=2"]
