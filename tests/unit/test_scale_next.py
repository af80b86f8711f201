"""Export N+1 of the scale corpus (`codecurate sample --scale N --next`): what it promises.

The heads are read back from the ORC tables (snapshot -> revision -> tree walk), not from the
generator, and compared with export N. Two small packages stand in for the environment (~1 s)."""

import gzip
import hashlib
import json

import pyarrow.orc as orc
import pytest

from codecurate.dev.scale import build_scale

PACKAGES = ("yaml", "idna")  # PyYAML is MIT: the base repository that gets relicensed
MB = 4


def table(export, name):
    return orc.read_table(export / "orc" / name / f"{name}.orc").to_pylist()


def heads(export):
    """url -> (snapshot, revision, {path: sha1_git}) of each origin's visit."""
    entries: dict[str, list] = {}
    for e in table(export, "directory_entry"):
        entries.setdefault(e["directory_id"], []).append(e)
    trees = {r["id"]: r["directory"] for r in table(export, "revision")}
    branches = {(b["snapshot_id"], b["name"]): b["target"] for b in table(export, "snapshot_branch")}

    def walk(tree, prefix):
        for e in entries.get(tree, []):
            path = prefix + e["name"].decode()
            if e["type"] == "dir":
                yield from walk(e["target"], path + "/")
            else:
                yield path, e["target"]

    out = {}
    for visit in table(export, "origin_visit_status"):
        revision = branches[(visit["snapshot"], b"refs/heads/main")]
        out[visit["origin"]] = (visit["snapshot"], revision, dict(walk(trees[revision], "")))
    return out


def blob(export, sha1_git):
    (row,) = [c for c in table(export, "content") if c["sha1_git"] == sha1_git]
    return gzip.decompress((export / "blobs" / "content" / row["sha1"]).read_bytes())


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("scale_next")
    build_scale(out, MB, seed=7, packages=PACKAGES, next_export=True)
    summary = json.loads((out / "next" / "next_export.json").read_text())
    return out, summary, heads(out / "export"), heads(out / "next" / "export")


def test_export_n_is_the_same_with_or_without_n_plus_1(corpus, tmp_path):
    out, *_ = corpus
    build_scale(tmp_path, MB, seed=7, packages=PACKAGES)

    def digests(root):
        return {p.relative_to(root): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted((root / "export").rglob("*")) if p.is_file()}

    assert digests(tmp_path) == digests(out)


def test_unchanged_repositories_keep_their_ids_changed_ones_descend_from_export_n(corpus):
    out, summary, n, n1 = corpus
    parents = {(h["id"], h["parent_id"]) for h in table(out / "next" / "export", "revision_history")}
    unchanged = changed = 0
    for url in n.keys() & n1.keys():
        if n[url][2] == n1[url][2]:
            unchanged += 1
            assert n1[url][:2] == n[url][:2], url  # same snapshot, same commit
        else:
            changed += 1
            assert n1[url][0] != n[url][0] and (n1[url][1], n[url][1]) in parents, url
            assert n[url][1] in {r["id"] for r in table(out / "next" / "export", "revision")}
    assert unchanged == summary["repos_unchanged"] and unchanged >= 1 and changed >= 2
    # most of the corpus's files: it always moves on, so the share of new contents is steady
    monorepo = "https://github.com/scale/monorepo"
    assert n[monorepo][2] != n1[monorepo][2]


def test_repositories_gone_new_and_the_new_opt_out(corpus):
    out, summary, n, n1 = corpus
    name = "https://github.com/{}".format
    assert summary["gone"] and summary["new"]
    assert n1.keys() == (n.keys() - {name(g) for g in summary["gone"]}) | {name(r) for r in summary["new"]}
    assert not n.keys() & {name(r) for r in summary["new"]}
    old = (out / "optout.txt").read_text().splitlines()
    assert (out / "next" / "optout.txt").read_text().splitlines() == old + [summary["optout_added"]]
    assert name(summary["optout_added"]) in n.keys() & n1.keys()


def test_the_relicensed_repository_is_mit_in_n_and_gpl_in_n_plus_1(corpus):
    out, summary, n, n1 = corpus
    url = "https://github.com/" + summary["relicensed_mit_to_gpl"]
    before = blob(out / "export", n[url][2]["LICENSE"])
    after = blob(out / "next" / "export", n1[url][2]["LICENSE"])
    assert b"Permission is hereby granted, free of charge" in before
    assert b"GNU GENERAL PUBLIC LICENSE" in after and b"Version 3" in after
    assert b"Permission is hereby granted" not in after


def test_summary_counts_match_the_tables(corpus):
    out, summary, n, n1 = corpus
    both = n.keys() & n1.keys()
    changed = sum(1 for u in both for p, b in n[u][2].items() if n1[u][2].get(p, b) != b)
    added = sum(len(n1[u][2].keys() - n[u][2].keys()) for u in both)
    assert (summary["files_changed"], summary["files_added"]) == (changed, added)
    assert changed > 0 and added > 0
    assert summary["head_files"] == sum(len(h[2]) for h in n1.values())
    assert summary["repos"] == len(n1)
    contents_n = {c["sha1"]: c for c in table(out / "export", "content")}
    contents_n1 = table(out / "next" / "export", "content")
    assert summary["blobs"] == len(contents_n1) == summary["rows"]["content"]
    new = [c for c in contents_n1 if c["sha1"] not in contents_n]
    assert summary["new_contents"] == len(new) > 0
    blobs_n, blobs_n1 = out / "export" / "blobs" / "content", out / "next" / "export" / "blobs" / "content"
    for c in contents_n1:
        data = gzip.decompress((blobs_n1 / c["sha1"]).read_bytes())
        assert hashlib.sha1(data).hexdigest() == c["sha1"]
        if c["sha1"] in contents_n:  # the same row, and the same file (a hard link, not a copy)
            assert c == contents_n[c["sha1"]]
            assert (blobs_n1 / c["sha1"]).stat().st_ino == (blobs_n / c["sha1"]).stat().st_ino
