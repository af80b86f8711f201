"""Two dataset configs in one release (release.variants both): data/ training-ready, raw/ raw."""

from __future__ import annotations

import json

import pytest
from release_helpers import STAGE_COUNTS, make_run, row

from codecurate.config import Config, OutputConfig
from codecurate.release.patch_optout import PatchError, patch_optout
from codecurate.release.verify import verify_release
from codecurate.release.writer import publish_release

TRAINING_STAGES = dict(STAGE_COUNTS) | {
    "quality": {"rows_in": 15, "rows_kept": 3, "rows_rejected": 12,
                "rejected_by_reason": {"long_lines": 11, "auto_generated": 1}},
    "decontaminate": {"rows_in": 3, "rows_kept": 2, "rows_rejected": 1,
                      "rejected_by_reason": {"benchmark_contamination": 1},
                      "metrics": {"rejected_by_benchmark": {"humaneval": 1, "mbpp": 0}}},
}
TRAINING = [row("acme/a", "a.py", "b1", "Python"), row("acme/b", "b.js", "b2", "JavaScript")]
RAW = TRAINING + [row("acme/a", "gen.py", "b3", "Python"), row("acme/c", "c.json", "b4", "JSON")]


def cfg(root):
    return Config(output=OutputConfig(root=str(root)))


@pytest.fixture(scope="module")
def releases(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("variants")
    training = make_run(spark, root, TRAINING, run_id="train", stages=TRAINING_STAGES)
    raw = make_run(spark, root, RAW, run_id="raw", stages=STAGE_COUNTS)
    both = publish_release(spark, training, cfg(root), version="1.0.0", variants=(("raw", raw),))
    alone = publish_release(spark, training, cfg(root), version="2.0.0")
    return both, alone


def sums(release, prefix):
    return sorted(line.split("  ")[0] + " " + line.split("  ")[1].split("/", 1)[1]
                  for line in (release / "SHA256SUMS").read_text().splitlines() if f"  {prefix}/" in line)


def test_both_configs_verify_and_data_is_unchanged_by_the_second(releases):
    both, alone = releases
    assert verify_release(both) == [] and verify_release(alone) == []
    assert sums(both, "data") == sums(alone, "data") and sums(both, "data")
    manifest = json.loads((both / "manifest.json").read_text())["data"]
    assert manifest["totals"]["rows"] == 2
    (variant,) = manifest["variants"]
    assert (variant["name"], variant["dir"], variant["totals"]["rows"]) == ("raw", "raw", 4)
    assert [s["stage"] for s in variant["stages"]] == ["extract", "optout", "languages"]
    assert sorted(p.relative_to(both).parts[:2] for p in (both / "raw").rglob("*.parquet")) == \
        [("raw", "javascript"), ("raw", "json"), ("raw", "python")]
    assert "variants" not in json.loads((alone / "manifest.json").read_text())["data"]


def test_card_lists_both_configs_and_per_benchmark_counts(releases):
    both, alone = releases
    card = (both / "README.md").read_text()
    assert "- config_name: default\n  data_files:\n  - split: train\n    path: data/*/*.parquet\n" in card
    assert "- config_name: raw\n  data_files:\n  - split: train\n    path: raw/*/*.parquet\n" in card
    assert "| humaneval | 1 |" in card and "| mbpp | 0 |" in card
    assert "| long_lines | 11 |" in card and "| low_alpha | 0 |" in card
    assert "## The `raw` config" in card and "- files: 4 from 3 repositories" in card
    assert "config_name: raw" not in (alone / "README.md").read_text()


def test_verify_catches_a_stray_raw_file_and_patch_refuses(releases, tmp_path):
    both, _ = releases
    stray = both / "raw" / "python" / "extra.parquet"
    stray.write_bytes(b"x")
    try:
        assert "raw/python/extra.parquet: data file not listed in manifest.json" in verify_release(both)
    finally:
        stray.unlink()
    optout = tmp_path / "optout.txt"
    optout.write_text("acme\n")
    with pytest.raises(PatchError, match="more than one dataset config"):
        patch_optout(both, optout)
