import pytest

from codecurate.config import ConfigError, load_config


def write(tmp_path, text):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return path


def test_defaults_and_overrides(tmp_path):
    cfg = load_config(write(tmp_path, "input:\n  export: exp\n"), [
        "near_dedup.num_perm=128", "release.version=2.0.1", "spark.app_name=1.5", "stages=[extract, optout]",
    ])
    assert cfg.near_dedup.num_perm == 128
    assert cfg.release.version == "2.0.1"
    assert cfg.spark.app_name == "1.5"  # YAML reads 1.5 as a number; the key is text
    assert cfg.stages == ("extract", "optout")
    assert cfg.input.export == str(tmp_path.cwd() / "exp")
    assert cfg.near_dedup.threshold == 0.7  # default


def test_unknown_key_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"near_dedup\.num_perms"):
        load_config(write(tmp_path, "input: {export: e}\nnear_dedup:\n  num_perms: 128\n"))
    with pytest.raises(ConfigError, match=r"inputs"):
        load_config(write(tmp_path, "inputs: {export: e}\n"))


def test_wrong_types_are_named(tmp_path):
    with pytest.raises(ConfigError, match=r"near_dedup\.num_perm must be an integer"):
        load_config(None, ["input.export=e", "near_dedup.num_perm=lots"])
    with pytest.raises(ConfigError, match=r"release\.ids_only must be true or false"):
        load_config(None, ["input.export=e", "release.ids_only=1"])
    with pytest.raises(ConfigError, match=r"near_dedup\.threshold"):
        load_config(None, ["input.export=e", "near_dedup.threshold=1.5"])
    with pytest.raises(ConfigError, match=r"incremental\.compact_share: must be between 0 and 1"):
        load_config(None, ["input.export=e", "incremental.compact_share=-0.1"])
    with pytest.raises(ConfigError, match=r"stages"):
        load_config(None, ["input.export=e", "stages=[extract, dedup]"])
    with pytest.raises(ConfigError, match=r"input\.export"):
        load_config(None, [])


def test_bad_files_and_set_syntax(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(write(tmp_path, "input: [unclosed\n"))
    with pytest.raises(ConfigError, match="key=value"):
        load_config(None, ["input.export"])


def test_fingerprint_tracks_every_setting():
    a = load_config(None, ["input.export=/e"])
    b = load_config(None, ["input.export=/e"])
    c = load_config(None, ["input.export=/e", "near_dedup.seed=7"])
    assert a.fingerprint() == b.fingerprint() != c.fingerprint()
    assert len(a.fingerprint()) == 64


def test_shipped_configs_load():
    for name in ("configs/local.yaml", "configs/cluster.yaml"):
        cfg = load_config(name)
        assert cfg.stages[0] == "extract"
