import json
import sys

import pytest

from codecurate.ops.tracking import TrackingUnavailable, flatten, log_run, require_mlflow

DATA_SHA = "ab" * 32


def write_json(path, value):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value))


@pytest.fixture
def published(tmp_path):
    """A run directory and its release, by hand, in the runner's and writer's layouts."""
    run_dir = tmp_path / "out" / "runs" / "r1"
    write_json(run_dir / "run.json", {
        "run_id": "r1", "code_version": "0.1.0+gabc", "config_fingerprint": "c" * 64,
        "config": {"licenses": {"keep_types": ["permissive", "no_license"]},
                   "near_dedup": {"threshold": 0.7}, "optout": {"list": None},
                   "spark": {"conf": {"spark.hadoop.fs.s3a.secret.key": "FAKE-s3-secret-0000"}},
                   "tracking": {"uri": "http://alice:FAKE-pw-0000@mlflow.example:5000"}},
        "inputs": {"tables": {"origin": "1" * 64}}, "optout_sha256": "2" * 64,
        "stages": ["extract", "licenses"],
    })
    write_json(run_dir / "extract" / "manifest.json", {
        "rows_in": 10, "rows_kept": 8, "rows_rejected": 2, "rejected_by_reason": {"binary": 2},
        "bytes_in": 4_000_000, "bytes_kept": 3_000_000, "seconds": 2.0})
    write_json(run_dir / "licenses" / "manifest.json", {
        "rows_in": 8, "rows_kept": 5, "rows_rejected": 3, "rejected_by_reason": {"license": 3},
        "bytes_in": 3_000_000, "bytes_kept": 1_000_000, "seconds": 0.0})
    release = tmp_path / "out" / "releases" / "0.2.0"
    write_json(release / "manifest.json", {
        "release": {"version": "0.2.0", "data_sha256": DATA_SHA, "code_version": "0.1.0+gabc",
                    "previous_version": "0.1.0"},
        "data": {"totals": {"rows": 5, "bytes": 1_000_000, "repos": 2, "data_files": 2},
                 "languages": [{"language": "C++", "dir": "c++", "rows": 3, "bytes": 600},
                               {"language": "Python", "dir": "python", "rows": 2, "bytes": 400}]},
    })
    (release / "README.md").write_text("# card\n")
    (release / "CHANGELOG.md").write_text("# changes\n")
    (release / "charts").mkdir()
    (release / "charts" / "languages.png").write_bytes(b"\x89PNG fake")
    return run_dir, release


def test_flatten_config():
    assert flatten({"b": {"x": [1, "y"], "n": None, "on": True}, "a": 0.7}) == {
        "a": "0.7", "b.n": "null", "b.on": "true", "b.x": "1,y"}


def test_log_run_to_a_local_tracking_dir(published, tmp_path):
    from mlflow.tracking import MlflowClient

    run_dir, release = published
    uri = f"file://{tmp_path}/mlruns"
    run_id = log_run(run_dir, release, uri, experiment="nightly")

    client = MlflowClient(tracking_uri=uri)
    logged = client.get_run(run_id)
    params, metrics, tags = logged.data.params, logged.data.metrics, logged.data.tags
    assert params["licenses.keep_types"] == "permissive,no_license"
    assert params["near_dedup.threshold"] == "0.7"
    assert params["optout.list"] == "null"
    assert params["input_tables.origin"] == "1" * 64
    assert metrics["extract.rows_in"] == 10
    assert metrics["extract.rejected.binary"] == 2
    assert metrics["licenses.rejected.license"] == 3
    assert metrics["extract.mb_per_s"] == 2.0  # 4 MB in 2 s
    assert "licenses.mb_per_s" not in metrics  # 0 s: no rate rather than a division by zero
    assert metrics["release.rows"] == 5
    assert metrics["language.c__.rows"] == 3
    assert tags["codecurate.data_sha256"] == DATA_SHA
    assert tags["mlflow.runName"] == "release 0.2.0"
    assert client.get_experiment(logged.info.experiment_id).name == "nightly"

    (dataset_input,) = logged.inputs.dataset_inputs
    assert dataset_input.dataset.name == "codecurate-0.2.0"
    assert dataset_input.dataset.digest == DATA_SHA[:32]
    assert release.as_uri() in dataset_input.dataset.source

    names = {a.path for a in client.list_artifacts(run_id)}
    assert {"manifest.json", "README.md", "CHANGELOG.md", "charts", "run"} <= names
    assert [a.path for a in client.list_artifacts(run_id, "charts")] == ["charts/languages.png"]
    assert {a.path for a in client.list_artifacts(run_id, "run")} == {"run/extract", "run/licenses"}


def test_credentials_in_the_config_are_not_logged(published, tmp_path):
    from mlflow.tracking import MlflowClient

    run_dir, release = published
    uri = f"file://{tmp_path}/mlruns"
    params = MlflowClient(tracking_uri=uri).get_run(log_run(run_dir, release, uri)).data.params
    assert params["spark.conf.spark.hadoop.fs.s3a.secret.key"] == "<redacted>"
    assert params["tracking.uri"] == "http://<redacted>@mlflow.example:5000"
    logged = "".join(p.read_text(errors="replace") for p in (tmp_path / "mlruns").rglob("*") if p.is_file())
    assert "FAKE-s3-secret-0000" not in logged and "FAKE-pw-0000" not in logged


def test_missing_release_manifest_is_named(published, tmp_path):
    from codecurate.ops.tracking import TrackingError

    run_dir, release = published
    (release / "manifest.json").unlink()
    with pytest.raises(TrackingError, match="manifest.json: missing"):
        log_run(run_dir, release, f"file://{tmp_path}/mlruns")


def test_missing_extra_names_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "mlflow", None)  # import mlflow -> ImportError
    with pytest.raises(TrackingUnavailable, match=r"`tracking` extra.*mlflow-skinny==3\.17\.2"):
        require_mlflow()
