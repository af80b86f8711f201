import copy
import json

import pytest

from codecurate.ops.versioning import NothingToRelease, VersionError, derive_version, previous_release

CONFIG = {
    "input": {"export": "/data/swh/2024-05-16", "blobs": None, "repo_metadata": None},
    "output": {"root": "/srv/out"},
    "release": {"version": "0.1.0", "shard_size_mb": 256, "ids_only": False, "overwrite": False},
    "optout": {"list": "/etc/optout.txt"},
    "spark": {"master": "local[2]", "shuffle_partitions": 8},
    "stages": ["extract", "optout", "licenses"],
    "licenses": {"keep_types": ["permissive", "no_license"]},
}
TABLES = {"origin": "aa" * 32, "content": "bb" * 32}


def run_info(**changes):
    info = {"config": copy.deepcopy(CONFIG), "inputs": {"tables": dict(TABLES)},
            "optout_sha256": "11" * 32, "code_version": "0.1.0+gabc"}
    info.update(changes)
    return info


def manifest(version="1.4.2", patches=()):
    info = run_info()
    return {
        "release": {"version": version, "code_version": info["code_version"]},
        "data": {
            "source": {"config": info["config"], "config_fingerprint": "x",
                       "inputs": {"export": "/data/swh/2024-05-16", "tables": info["inputs"]["tables"]},
                       "optout_sha256": info["optout_sha256"]},
            "patches": list(patches),
        },
    }


def test_first_release_uses_initial_version():
    assert derive_version(None, run_info(), initial="1.0.0") == "1.0.0"


def test_unchanged_run_is_nothing_to_release():
    with pytest.raises(NothingToRelease, match="1.4.2"):
        derive_version(manifest(), run_info())


def test_where_it_runs_is_not_a_change():
    config = copy.deepcopy(CONFIG)
    config["spark"] = {"master": "spark://10.0.0.1:7077", "shuffle_partitions": 2000}
    config["output"] = {"root": "/mnt/shared"}
    config["input"]["export"] = "s3a://bucket/swh/2024-05-16"  # same tables, other path
    config["release"]["version"] = "9.9.9"
    with pytest.raises(NothingToRelease):
        derive_version(manifest(), run_info(config=config))


def test_optout_only_change_is_a_patch_bump():
    assert derive_version(manifest(), run_info(optout_sha256="22" * 32)) == "1.4.3"


def test_new_export_is_a_minor_bump():
    tables = dict(TABLES, content="cc" * 32)
    assert derive_version(manifest(), run_info(inputs={"tables": tables})) == "1.5.0"


def test_new_export_and_optout_is_a_minor_bump():
    tables = dict(TABLES, origin="dd" * 32)
    assert derive_version(manifest(), run_info(inputs={"tables": tables}, optout_sha256="22" * 32)) == "1.5.0"


def test_curation_config_change_is_a_minor_bump():
    config = copy.deepcopy(CONFIG)
    config["licenses"]["keep_types"] = ["permissive"]
    assert derive_version(manifest(), run_info(config=config)) == "1.5.0"


def test_new_code_is_a_minor_bump():
    assert derive_version(manifest(), run_info(code_version="0.2.0+gdef")) == "1.5.0"


def test_optout_already_applied_by_patch_optout_is_not_a_change():
    patched = manifest("1.4.3", patches=[{"from_version": "1.4.2", "optout_sha256": "22" * 32}])
    with pytest.raises(NothingToRelease):
        derive_version(patched, run_info(optout_sha256="22" * 32))


def test_foreign_manifest_is_a_clear_error():
    with pytest.raises(VersionError, match="data"):
        derive_version({"release": {"version": "1.0.0"}}, run_info())


def test_previous_release_picks_highest_published_version(tmp_path, monkeypatch):
    import codecurate.ops.versioning as versioning

    releases = tmp_path / "releases"
    for version in ("1.2.0", "1.10.0", "1.9.3"):
        (releases / version).mkdir(parents=True)
        (releases / version / "manifest.json").write_text(json.dumps({"release": {"version": version}}))
    (releases / ".tmp-2.0.0-abcd").mkdir()  # unfinished write: not a release
    monkeypatch.setattr(versioning.manifest, "validate", lambda m, where: None)
    assert previous_release(releases)["release"]["version"] == "1.10.0"
    assert previous_release(tmp_path / "none") is None
