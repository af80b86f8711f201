"""scheduled_release's order of work, with the runner, Spark and the writer replaced by fakes."""

import dataclasses
import json

import pytest

import codecurate.ops.schedule as schedule
import codecurate.run.runner as runner
import codecurate.spark.session as session
from codecurate.config import Config, InputConfig, OutputConfig, ReleaseConfig, TrackingConfig
from codecurate.ops.lock import LOCK_NAME, LockHeld, output_lock
from codecurate.ops.schedule import scheduled_release
from codecurate.ops.versioning import NothingToRelease
from codecurate.run.layout import RunDir

INFO = {"config": {"licenses": {"keep_types": ["permissive"]}}, "inputs": {"tables": {"origin": "a" * 64}},
        "optout_sha256": "b" * 64, "code_version": "0.1.0", "stages": ["extract"]}


@pytest.fixture
def fakes(tmp_path, monkeypatch):
    calls = []
    root = tmp_path / "out"

    def run_stages(spark, run, export, only=None):
        assert (root / LOCK_NAME).read_text(), "stages ran without the lock"  # holder details written
        calls.append(("run",))
        return run

    def publish_release(spark, run_dir, cfg, *, version=None, allow_shrink=False):
        calls.append(("publish", version))
        version = version or cfg.release.version
        target = root / "releases" / version
        target.mkdir(parents=True)
        (target / "manifest.json").write_text(json.dumps(
            {"release": {"version": version, "code_version": INFO["code_version"]},
             "data": {"source": {"config": INFO["config"], "inputs": INFO["inputs"],
                                 "optout_sha256": INFO["optout_sha256"]}, "patches": []}}))
        return target

    monkeypatch.setattr(schedule, "run_stages", run_stages)
    monkeypatch.setattr(runner, "prepare_run", lambda spark, cfg, run_id=None: (
        runner.Run(cfg, RunDir(root / "runs" / "r1"), dict(INFO)), None))
    monkeypatch.setattr(schedule, "publish_release", publish_release)
    monkeypatch.setattr(session, "build_session", lambda cfg, **console: "spark")
    monkeypatch.setattr(session, "log_to", lambda spark, path: None)
    monkeypatch.setattr("codecurate.release.manifest.validate", lambda m, where: None)
    cfg = Config(input=InputConfig(export="/x"), output=OutputConfig(root=str(root)),
                 release=ReleaseConfig(version="1.0.0"))
    return cfg, calls, root


def test_auto_version_first_then_nothing_to_release(fakes):
    cfg, calls, root = fakes
    assert scheduled_release(cfg, version="auto") == root / "releases" / "1.0.0"
    assert calls == [("run",), ("publish", "1.0.0")]
    calls.clear()
    with pytest.raises(NothingToRelease, match="1.0.0"):
        scheduled_release(cfg, version="auto")
    assert calls == []  # decided before any stage ran
    assert (root / LOCK_NAME).read_text() == ""  # and the lock was released


def test_explicit_version_is_published_as_given(fakes):
    cfg, calls, root = fakes
    scheduled_release(cfg, version="2.3.4")
    assert calls == [("run",), ("publish", "2.3.4")]


def test_refuses_while_another_release_holds_the_lock(fakes):
    cfg, calls, root = fakes
    with output_lock(root):
        with pytest.raises(LockHeld):
            scheduled_release(cfg, version="auto")
    assert calls == []


def test_tracking_logs_after_publishing(fakes, monkeypatch):
    import codecurate.ops.tracking as tracking

    cfg, calls, root = fakes
    monkeypatch.setattr(tracking, "log_run", lambda run_dir, release_dir, uri, experiment:
                        calls.append(("track", release_dir.name, uri, experiment)) or "mlrun")
    cfg = dataclasses.replace(cfg, tracking=TrackingConfig(enabled=True, uri="file:///m", experiment="e"))
    scheduled_release(cfg)
    assert calls == [("run",), ("publish", "1.0.0"), ("track", "1.0.0", "file:///m", "e")]


def test_missing_tracking_extra_fails_before_any_stage(fakes, monkeypatch):
    import sys

    from codecurate.ops.tracking import TrackingUnavailable

    cfg, calls, root = fakes
    monkeypatch.setitem(sys.modules, "mlflow", None)
    cfg = dataclasses.replace(cfg, tracking=TrackingConfig(enabled=True))
    with pytest.raises(TrackingUnavailable, match="tracking"):
        scheduled_release(cfg, version="auto")
    assert calls == []


def test_resumed_run_is_compared_as_recorded(fakes, monkeypatch):
    # The code moved on since the run started, but the run resumes with its recorded run.json
    # (and stage outputs): the release would be the same data, so it is nothing to release.
    cfg, calls, root = fakes
    scheduled_release(cfg, version="auto")
    run_dir = root / "runs" / "r1"
    assert json.loads((run_dir / "run.json").read_text())["code_version"] == "0.1.0"
    monkeypatch.setattr(runner, "prepare_run", lambda spark, cfg, run_id=None: (
        runner.Run(cfg, RunDir(run_dir), dict(INFO, code_version="0.2.0")), None))
    with pytest.raises(NothingToRelease):
        scheduled_release(cfg, version="auto")
