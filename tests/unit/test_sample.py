"""The sample plants every case the pipeline must handle, where sample.json says, and is
deterministic. One real package (pluggy) stands in for the ~17 of `make sample`, for speed."""

import gzip
import json

import pyarrow.orc as orc
import pyarrow.parquet as pq
import pytest

from codecurate.dev.sample import SampleError, build_sample
from codecurate.text.optout import read_optout_list

PACKAGES = (("pluggy", "pluggy"),)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample") / "s"
    build_sample(out, packages=PACKAGES)
    return out


def table(out, name):
    return orc.read_table(out / "export" / "orc" / name / f"{name}.orc").to_pylist()


def head_files(out, repo_name, visit=None):
    """path -> (perms, type, target) of a repo's HEAD tree, resolved by hand from the tables."""
    url = f"https://github.com/{repo_name}"
    statuses = [s for s in table(out, "origin_visit_status") if s["origin"] == url]
    status = statuses[-1] if visit is None else next(s for s in statuses if s["visit"] == visit)
    branches = {b["name"]: b for b in table(out, "snapshot_branch")
                if b["snapshot_id"] == status["snapshot"]}
    head = branches[b"HEAD"]
    if head["target_type"] == "alias":
        head = branches[bytes.fromhex(head["target"])]
    revision = next(r for r in table(out, "revision") if r["id"] == head["target"])
    entries = table(out, "directory_entry")
    files, todo = {}, [(b"", revision["directory"])]
    while todo:
        prefix, directory = todo.pop()
        for e in entries:
            if e["directory_id"] == directory:
                path = prefix + e["name"]
                if e["type"] == "dir":
                    todo.append((path + b"/", e["target"]))
                else:
                    files[path] = (e["perms"], e["type"], e["target"])
    return files


def blob(out, sha1_git):
    (row,) = [c for c in table(out, "content") if c["sha1_git"] == sha1_git]
    return gzip.decompress((out / "export" / "blobs" / "content" / row["sha1"]).read_bytes())


def test_opt_out_list_names_the_planted_repos(sample):
    optout = read_optout_list(sample / "optout.txt")
    assert optout.excludes("OptOut-Org/tools") and optout.excludes("acme/please-remove")
    assert not optout.excludes("acme/mit-lib")
    repos = json.loads((sample / "sample.json").read_text())["repos"]
    assert {"OptOut-Org/tools", "acme/please-remove", "pypi/pluggy"} <= set(repos)


def test_planted_files(sample):
    mit = head_files(sample, "acme/mit-lib")
    assert mit[b"strutil_link.py"][0] == 0o120000
    assert blob(sample, mit[b"strutil_link.py"][2]) == b"src/strutil.py"
    assert b"\x00" in blob(sample, mit[b"data/weird.txt"][2])
    assert blob(sample, mit[b"assets/logo.png"][2]).startswith(b"\x89PNG")
    assert blob(sample, mit[b"LICENSE"][2]).startswith(b"MIT License")

    kit = head_files(sample, "acme/bsd-kit")
    with pytest.raises(UnicodeDecodeError):
        blob(sample, kit[b"docs/notes_latin1.txt"][2]).decode("utf-8")
    assert "Größe" in blob(sample, kit[b"docs/notes_latin1.txt"][2]).decode("latin-1")

    plain = head_files(sample, "acme/no-license")
    assert not any(b"LICENSE" in p or b"COPYING" in p for p in plain)
    assert b"r\xe9sum\xe9.txt" in plain
    (huge,) = [c for c in table(sample, "content") if c["sha1_git"] == plain[b"data/huge.csv"][2]]
    assert huge["length"] > 10 * 1024 * 1024

    vendored = head_files(sample, "acme/vendored")
    assert vendored[b"external/mit-lib"][:2] == (0o160000, "rev")
    assert b"vendor/somelib/COPYING" in vendored and b"node_modules/leftpad/index.js" in vendored
    assert b"third_party/tinylib/tiny.h" in vendored
    assert blob(sample, vendored[b"vendor/somelib/COPYING"][2]).lstrip().startswith(
        b"GNU GENERAL PUBLIC LICENSE")

    pluggy = head_files(sample, "pypi/pluggy")
    assert b"LICENSE" in pluggy and b"pluggy/_hooks.py" in pluggy
    assert not any(p.endswith(b".pyc") for p in pluggy)
    declared = json.loads((sample / "declared_licenses.json").read_text())
    assert declared["pypi/pluggy"]["license"] == "MIT"


def test_secrets_and_pii_are_planted(sample):
    files = head_files(sample, "acme/secrets-demo")
    config = blob(sample, files[b"config.py"][2]).decode()
    for marker in ('= "AKIA', '= "ghp_', '= "github_pat_', '= "xoxb-', "postgres://admin:",
                   "jane.doe@acme-sample.com"):
        assert marker in config, marker
    assert blob(sample, files[b"deploy/key.pem"][2]).startswith(b"-----BEGIN RSA PRIVATE KEY-----\n")
    assert b"93.184.216.34" in blob(sample, files[b"net.py"][2])


def test_duplicates_fork_and_visits(sample):
    # one content row, three repos
    ids = {head_files(sample, r)[p][2] for r, p in [
        ("acme/mit-lib", b"src/strutil.py"), ("acme/apache-tool", b"strutil.py"),
        ("acme/mpl-thing", b"strutil.py")]}
    assert len(ids) == 1
    near_a, near_b = (blob(sample, next(t for p, (_, _, t) in head_files(sample, r).items()
                                        if p.endswith(b"six.py")))
                      for r in ("acme/near-a", "acme/near-b"))
    changed = [a for a, b in zip(near_a.split(b"\n"), near_b.split(b"\n"), strict=True) if a != b]
    assert len(changed) == 3 and len(near_a.split(b"\n")) > 500

    # the fork has the same branches, hence the same snapshot (and root tree), under two origins
    statuses = {s["origin"]: s["snapshot"] for s in table(sample, "origin_visit_status")}
    assert statuses["https://github.com/acme/mit-lib"] == statuses["https://github.com/forker/mit-lib"]

    visited = [(s["visit"], s["status"]) for s in table(sample, "origin_visit_status")
               if s["origin"] == "https://github.com/acme/visited"]
    assert visited == [(1, "full"), (2, "partial")]
    assert b"only_in_partial_visit.py" in head_files(sample, "acme/visited", visit=2)
    assert b"only_in_partial_visit.py" not in head_files(sample, "acme/visited", visit=1)
    apache = head_files(sample, "acme/apache-tool")
    assert b"feature_only.go" not in apache

    meta = {r["repo_name"]: r for r in pq.read_table(
        sample / "export" / "github" / "repo_metadata.parquet").to_pylist()}
    assert meta["acme/gpl-app"]["gha_license_id"] == "mit"
    assert meta["acme/no-license"]["gha_license_id"] == "NOASSERTION"
    assert meta["acme/bsd-kit"]["default_branch"] == "master"
    assert meta["acme/mit-lib"]["star_events_count"] == 120


def test_rebuild_is_byte_identical(sample, tmp_path):
    again = tmp_path / "s"
    build_sample(again, packages=PACKAGES)
    first = sorted(p.relative_to(sample) for p in (sample / "export").rglob("*") if p.is_file())
    second = sorted(p.relative_to(again) for p in (again / "export").rglob("*") if p.is_file())
    assert first == second and len(first) > 50
    for name in first:
        assert (sample / name).read_bytes() == (again / name).read_bytes(), name
    # a rebuild over an existing sample directory is allowed; over anything else it is not
    build_sample(again, packages=())
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "keep.txt").write_text("mine")
    with pytest.raises(SampleError, match="refusing to clear"):
        build_sample(tmp_path / "other", packages=())
