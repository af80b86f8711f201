"""Content-result stores: what decides reuse (the fingerprint), and finding the earlier run."""

from __future__ import annotations

import dataclasses
import json

import pytest

from codecurate.config import Config, PiiConfig, load_config
from codecurate.run.layout import OutputRoot, RunDirError, previous_run
from codecurate.stages import languages, licenses, near_dedup, pii, registry


def fingerprints(cfg: Config) -> dict[str, str]:
    return {s.name: s.content_results.describe(cfg)["fingerprint"] for s in registry() if
            getattr(s, "content_results", None) is not None}


def test_stages_with_stores_and_their_keys():
    keys = {s.name: s.content_results.key for s in registry() if getattr(s, "content_results", None)}
    assert keys == {
        "licenses": ("blob_id",),
        "languages": ("blob_id", "path"),
        "near_dedup": ("blob_id",),
        "pii": ("blob_id", "path"),
    }
    # never a value: pii stores the redacted text and counts by kind
    assert [f.name for f in pii.RESULTS.results] == ["content", "pii_counts", "_pii_dense"]


@pytest.mark.parametrize("key, value, changed", [
    ("languages.min_fallback_chars", 10, {"languages"}),
    ("languages.allow", ["Python"], set()),  # applied to the answers, not part of them
    ("licenses.max_license_file_bytes", 1024, {"licenses"}),
    ("licenses.keep_types", ["permissive"], set()),
    ("near_dedup.num_perm", 128, {"near_dedup"}),
    ("near_dedup.recheck_survivor", False, set()),  # clustering is redone on every run
    ("pii.emails", False, {"pii"}),
    ("pii.dense_reject", False, set()),
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
                          (pii, "pii")):
        with monkeypatch.context() as m:
            m.setattr(module, "RESULTS_VERSION", module.RESULTS_VERSION + 1)
            after = fingerprints(cfg)
        assert {s for s in before if before[s] != after[s]} == {stage}


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
