"""Content-result stores: what decides reuse (the fingerprint), and finding the earlier run."""

from __future__ import annotations

import dataclasses
import json

import pytest

from codecurate.config import (
    BenchmarkConfig,
    Config,
    DecontaminateConfig,
    PiiConfig,
    QualityConfig,
    load_config,
)
from codecurate.run.layout import OutputRoot, RunDirError, previous_run
from codecurate.stages import decontaminate, languages, licenses, near_dedup, pii, quality, registry


def fingerprints(cfg: Config) -> dict[str, str]:
    return {s.name: s.content_results.describe(cfg)["fingerprint"] for s in registry() if
            getattr(s, "content_results", None) is not None}


def test_stages_with_stores_and_their_keys():
    keys = {s.name: s.content_results.key for s in registry() if getattr(s, "content_results", None)}
    assert keys == {
        # ScanCode's answer is a function of the normalised license text (copyright lines
        # aside): a fork's LICENSE with another holder reuses the scan
        "licenses": ("_license_norm_key",),
        "languages": ("blob_id", "path"),
        "near_dedup": ("blob_id",),
        "pii": ("blob_id", "path"),
        # the languages stage's answers, not the path: a verdict depends on them
        "quality": ("blob_id", "language", "is_generated"),
        # the text it reads: the blob's, or pii's redacted one (keyed by its hash)
        "decontaminate": ("_decontaminate_text_key",),
    }
    # never a value: pii stores the redacted text and counts by kind
    assert [f.name for f in pii.RESULTS.results] == ["content", "pii_counts", "_pii_dense"]


@pytest.mark.parametrize("key, value, changed", [
    ("languages.min_fallback_chars", 10, {"languages"}),
    ("languages.allow", ["Python"], set()),  # applied to the answers, not part of them
    ("licenses.max_license_file_bytes", 1024, {"licenses"}),
    ("licenses.keep_types", ["permissive"], set()),
    ("licenses.min_match_coverage", 80.0, {"licenses"}),  # evidence kinds come from the scan
    ("licenses.blueoak_lead_is_permissive", True, set()),  # a table lookup after the scan
    ("near_dedup.num_perm", 128, {"near_dedup"}),
    ("near_dedup.recheck_survivor", False, set()),  # clustering is redone on every run
    ("pii.emails", False, {"pii"}),
    ("pii.dense_reject", False, set()),
    ("pii.password_min_chars", 12, {"pii"}),
    ("pii.skip_secret_files", ["yarn.lock"], {"pii"}),
    ("quality.max_lines", 10, {"quality"}),
    ("quality.long_line_languages", ["JSON", "HTML"], {"quality"}),
    ("decontaminate.ngram_threshold", 0.5, {"decontaminate"}),
    ("decontaminate.enabled", False, set()),  # then the stage stores nothing
    ("spark.shuffle_partitions", 3, set()),
])
def test_a_config_key_changes_exactly_its_stage(key, value, changed):
    base = load_config(None, ["input.export=/x"])
    other = load_config(None, ["input.export=/x", f"{key}={json.dumps(value)}"])
    before, after = fingerprints(base), fingerprints(other)
    assert {s for s in before if before[s] != after[s]} == changed


def test_a_version_changes_exactly_its_stage(monkeypatch):
    cfg = Config(pii=dataclasses.replace(PiiConfig()))
    before = fingerprints(cfg)
    for module, stage in ((licenses, "licenses"), (languages, "languages"), (near_dedup, "near_dedup"),
                          (pii, "pii"), (quality, "quality"), (decontaminate, "decontaminate")):
        with monkeypatch.context() as m:
            m.setattr(module, "RESULTS_VERSION", module.RESULTS_VERSION + 1)
            after = fingerprints(cfg)
        assert {s for s in before if before[s] != after[s]} == {stage}


def test_quality_table_counts_by_content_not_path(tmp_path):
    header = "language\tmin_chars\tmax_chars\tmin_visible_chars\tmin_visible_fraction\n"
    one, two = tmp_path / "one.tsv", tmp_path / "two.tsv"
    one.write_text(header + "JSON\t50\t5000\t-\t-\n")
    two.write_text(header + "JSON\t50\t5000\t-\t-\n")

    def fingerprint(path):
        cfg = dataclasses.replace(Config(), quality=QualityConfig(language_rules_table=str(path)))
        return quality.RESULTS.describe(cfg)["fingerprint"]

    assert fingerprint(one) == fingerprint(two)
    two.write_text(header + "JSON\t50\t9000\t-\t-\n")
    assert fingerprint(one) != fingerprint(two)


def test_decontaminate_benchmark_counts_by_content_not_path(tmp_path):
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    task = json.dumps({"id": "t/1", "code": "def f(x):\n    return sorted(set(x))[::-1]\n" * 3}) + "\n"
    one.write_text(task)
    two.write_text(task)

    def fingerprint(path):
        bench = BenchmarkConfig(name="mini", path=str(path), id_field="id", fields=("code",))
        cfg = dataclasses.replace(Config(), decontaminate=DecontaminateConfig(benchmarks=(bench,)))
        return decontaminate.RESULTS.describe(cfg)["fingerprint"]

    assert fingerprint(one) == fingerprint(two)
    two.write_text(task + json.dumps({"id": "t/2", "code": "print('a new task in the benchmark file')"}) + "\n")
    assert fingerprint(one) != fingerprint(two)


def test_previous_run_from_a_run_or_a_release(tmp_path):
    root = OutputRoot(tmp_path)
    run = root.run("abc123")
    run.path.mkdir(parents=True)
    run.write_info({"run_id": "abc123", "stages": ["extract"]})
    assert previous_run(run.path) == run
    release = root.releases / "0.1.0"
    release.mkdir(parents=True)
    (release / "manifest.json").write_text(json.dumps({"release": {"run_id": "abc123"}}))
    assert previous_run(release) == run
    (release / "manifest.json").write_text(json.dumps({"release": {"run_id": "gone"}}))
    with pytest.raises(RunDirError, match="gone"):
        previous_run(release)
    with pytest.raises(RunDirError, match="neither a run directory"):
        previous_run(tmp_path / "nothing")


@pytest.mark.parametrize("change, carried", [
    ({}, True),
    ({"max_file_bytes": 1000}, False),  # a cap decides which blobs are texts at all
    ({"version": True}, False),  # codecurate's reading or decoding of a blob changed
])
def test_extract_carries_texts_over_only_if_decoded_alike(tmp_path, monkeypatch, change, carried):
    from codecurate.run.runner import Run, _carried_contents, fingerprint
    from codecurate.spark import blobs
    from codecurate.stages import extract

    earlier = OutputRoot(tmp_path).run("earlier")
    earlier.texts.mkdir(parents=True)
    (earlier.contents / "_SUCCESS").touch()
    earlier.write_contents_info({"fingerprint": fingerprint(extract.contents_config(Config()))})
    cfg = Config()
    if "max_file_bytes" in change:
        cfg = dataclasses.replace(cfg, extract=dataclasses.replace(cfg.extract, max_file_bytes=change["max_file_bytes"]))
    if "version" in change:
        monkeypatch.setattr(blobs, "DECODE_VERSION", blobs.DECODE_VERSION + 1)
    run = Run(cfg, OutputRoot(tmp_path).run("now"),
              {"incremental_from": {"path": str(earlier.path), "run_id": "earlier"}})
    assert (_carried_contents(run, extract.STAGE) == earlier) is carried
    # a run that wrote no contents table (an older layout) is decoded in full
    (earlier.contents / "_SUCCESS").unlink()
    assert _carried_contents(run, extract.STAGE) is None
