"""Config of the training-set stages and release variants: defaults, validation, paths."""

from __future__ import annotations

import pytest

from codecurate.config import ALL_STAGES, HUMANEVAL, ConfigError, load_config
from codecurate.run.variants import raw_config


def load(tmp_path, *overrides):
    return load_config(None, [f"input.export={tmp_path}", *overrides])


def test_stage_order_and_defaults(tmp_path):
    assert ALL_STAGES == ("extract", "optout", "licenses", "languages", "quality", "exact_dedup",
                          "near_dedup", "pii", "decontaminate")
    cfg = load(tmp_path)
    assert cfg.release.variants == "training"
    assert (cfg.quality.max_avg_line_chars, cfg.quality.max_line_chars, cfg.quality.max_lines) == (100.0, 1000, 100_000)
    assert (cfg.quality.min_alpha_fraction, cfg.quality.encoded_max_fraction, cfg.quality.encoded_max_chars) == \
        (0.25, 0.5, 1024)
    assert cfg.decontaminate.enabled and cfg.decontaminate.benchmarks == (HUMANEVAL,)
    assert raw_config(cfg).stages == ("extract", "optout", "licenses", "languages", "exact_dedup",
                                      "near_dedup", "pii")


@pytest.mark.parametrize("override,message", [
    ("release.variants=all", "release.variants: must be one of training, raw, both"),
    ("quality.min_alpha_fraction=1.5", "quality.min_alpha_fraction"),
    ("quality.encoded_max_fraction=0", "quality.encoded_max_fraction"),
    ("quality.long_lines=maybe", "quality.long_lines must be true or false"),
    ("quality.typo=1", "unknown config key.*quality.typo"),
    ("decontaminate.ngram_threshold=0", "decontaminate.ngram_threshold"),
    ("decontaminate.ngram=0", "decontaminate.ngram"),
])
def test_bad_values_name_the_key(tmp_path, override, message):
    with pytest.raises(ConfigError, match=message):
        load(tmp_path, override)


def test_benchmarks_are_validated_and_paths_resolved(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "c.yaml"
    config.write_text("decontaminate:\n  benchmarks:\n"
                      "    - {name: mbpp, path: b/mbpp.jsonl, id_field: task_id, fields: [text, code]}\n"
                      f"    - {{name: he, path: '{HUMANEVAL.path}', fields: [prompt]}}\n")
    cfg = load_config(config, [f"input.export={tmp_path}"])
    mbpp, he = cfg.decontaminate.benchmarks
    assert mbpp.path == str(tmp_path / "b" / "mbpp.jsonl") and mbpp.fields == ("text", "code")
    assert he.path == HUMANEVAL.path  # package paths stay as they are
    config.write_text("decontaminate:\n  benchmarks:\n    - {name: x, path: a.jsonl, fields: [q]}\n"
                      "    - {name: x, path: b.jsonl, fields: [q]}\n")
    with pytest.raises(ConfigError, match="names must be unique"):
        load_config(config, [f"input.export={tmp_path}"])
    config.write_text("decontaminate:\n  benchmarks:\n    - {name: x, path: a.jsonl}\n")
    with pytest.raises(ConfigError, match=r"benchmarks\[0\].fields"):
        load_config(config, [f"input.export={tmp_path}"])
    config.write_text("decontaminate:\n  benchmarks:\n    - {name: x, path: a.jsonl, fields: [q], url: u}\n")
    with pytest.raises(ConfigError, match="unknown config key"):
        load_config(config, [f"input.export={tmp_path}"])


def test_quality_needs_languages(tmp_path):
    with pytest.raises(ConfigError, match="quality needs languages"):
        load(tmp_path, "stages=[extract, licenses, quality]")
