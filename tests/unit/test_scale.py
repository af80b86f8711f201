"""The scale corpus: git-exact ids, deterministic from its seed, and the shapes it promises.

Two small packages stand in for the whole environment, for speed (a few seconds)."""

import gzip
import hashlib
import json
import os
import subprocess

import pyarrow.orc as orc
import pytest

from codecurate.dev.scale import ScalePlan, _Writer, build_scale, license_variant

PACKAGES = ("yaml", "idna")
MB = 4


def _digests(out):
    orc_files = sorted((out / "export" / "orc").rglob("*.orc"))
    tables = {p.parent.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in orc_files}
    blobs = sorted(p.name for p in (out / "export" / "blobs" / "content").iterdir())
    return tables, blobs


def table(out, name):
    return orc.read_table(out / "export" / "orc" / name / f"{name}.orc").to_pylist()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("scale") / "a"
    summary = build_scale(out, MB, seed=7, packages=PACKAGES)
    return out, summary


def test_same_seed_same_tables_other_seed_other_tables(corpus, tmp_path):
    out, _ = corpus
    build_scale(tmp_path / "b", MB, seed=7, packages=PACKAGES)
    assert _digests(tmp_path / "b") == _digests(out)
    build_scale(tmp_path / "c", MB, seed=8, packages=PACKAGES)
    assert _digests(tmp_path / "c")[0]["content"] != _digests(out)[0]["content"]


def test_reaches_the_requested_size_and_plants_every_shape(corpus):
    out, summary = corpus
    assert summary["head_bytes"] >= MB * 1000 * 1000
    plan = ScalePlan(MB)
    assert (plan.monorepo_files, plan.flat_dir_entries) == (400, 200)
    for case in ("monorepo", "flat_directory", "big_license_file", "binary", "minified",
                 "fork_same_tree", "fork_edited", "license_variant", "vendoring"):
        assert summary["cases"].get(case), case
    entries = table(out, "directory_entry")
    per_dir: dict[str, int] = {}
    for e in entries:
        per_dir[e["directory_id"]] = per_dir.get(e["directory_id"], 0) + 1
    assert max(per_dir.values()) >= 200  # fixtures/: the one wide directory
    contents = {c["sha1"]: c for c in table(out, "content")}
    sizes = sorted(c["length"] for c in contents.values())
    assert sizes[-1] >= plan.license_bytes  # the notices LICENSE
    blob_dir = out / "export" / "blobs" / "content"
    datas = [gzip.decompress((blob_dir / sha1).read_bytes()) for sha1 in contents]
    assert any(d.startswith(b"\x89PNG") and b"\x00" in d for d in datas)
    assert any(len(d) > 2000 and b"\n" not in d and b"\x00" not in d for d in datas)  # a minified one-liner
    # every visit is full and points at a snapshot whose HEAD is an alias of refs/heads/main
    statuses = table(out, "origin_visit_status")
    assert len(statuses) == summary["repos"] and {s["status"] for s in statuses} == {"full"}


def test_license_variant_changes_only_the_copyright_line():
    import random

    text = b"MIT License\n\nCopyright (c) 2010 Someone\n\nPermission is hereby granted\n"
    variant = license_variant(text, random.Random(1))
    assert variant != text
    new, old = variant.split(b"\n"), text.split(b"\n")
    assert new[:2] + new[3:] == old[:2] + old[3:]
    assert new[2].startswith(b"Copyright (c) ") and new[2] != old[2]


def test_tree_and_commit_ids_are_the_ones_git_computes(tmp_path):
    files = {"a.b": b"x\n", "a/b.py": b"print(1)\n", "a-c": b"", "z/y/x.txt": b"deep\n", "README": b"hi\n"}
    writer = _Writer(tmp_path / "export")
    tree = writer.tree(files)
    writer.repo("owner/name", files, 3)
    work = tmp_path / "git"
    for path, data in files.items():
        (work / path).parent.mkdir(parents=True, exist_ok=True)
        (work / path).write_bytes(data)
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}

    def git(*args):
        return subprocess.run(["git", "-C", str(work), *args], env=env, check=True,
                              capture_output=True).stdout.decode().strip()

    git("init", "-q")
    git("add", "-A")
    assert git("write-tree") == tree
    (revision,) = writer.builder.rows["revision"]
    stamp = revision[3].isoformat()
    env |= {"GIT_AUTHOR_NAME": "Scale Author", "GIT_AUTHOR_EMAIL": "scale@codecurate.invalid",
            "GIT_COMMITTER_NAME": "Scale Author", "GIT_COMMITTER_EMAIL": "scale@codecurate.invalid",
            "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
    assert git("commit-tree", tree, "-m", "import owner/name") == revision[0]
    assert json.dumps(sorted(writer.heads)) == '["owner/name"]'


def test_near_duplicate_edits_code_but_not_license_terms():
    from codecurate.dev.scale import near_duplicate

    code = b"\n".join(b"x%d = %d" % (i, i) for i in range(12))
    edited = near_duplicate(code, "pkg/mod.py", "team 7", 4)
    assert edited != code and b"# team 7 3" in edited
    terms = b"Redistribution and use in source and binary forms\nare permitted provided that\n" * 6
    for path in ("LICENSE", "pkg/licenses/LICENSE-dep.txt", "COPYING.md"):
        assert near_duplicate(terms, path, "team 7", 4) == terms
