"""`codecurate status` on run directories built by hand: a finished, a running and a crashed run.

No Spark: status reads files only. The expected states and figures are written down here.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from codecurate.cli import main
from codecurate.errors import EXIT_USAGE
from codecurate.ops.lock import LOCK_NAME, output_lock
from codecurate.ops.status import status

HOST = socket.gethostname()


def dead_pid() -> int:
    """The pid of a process that has exited (reaped): nothing answers to it."""
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(proc.stdout)


def write(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload))


def make_run(root: Path, run_id: str, started_at: str, stages=("extract", "optout", "licenses")) -> Path:
    run_dir = root / "runs" / run_id
    write(run_dir / "run.json", {"run_id": run_id, "started_at": started_at, "code_version": "abc",
                                 "stages": list(stages)})
    return run_dir


def finish(run_dir: Path, stage: str, rows_in: int, rejected: dict, bytes_in: int, seconds: float,
           cores: int = 2) -> None:
    kept = rows_in - sum(rejected.values())
    write(run_dir / stage / "manifest.json", {
        "stage": stage, "rows_in": rows_in, "rows_kept": kept, "rows_rejected": rows_in - kept,
        "rejected_by_reason": rejected, "bytes_in": bytes_in, "bytes_kept": bytes_in // 2,
        "seconds": seconds, "metrics": {}})
    write(run_dir / stage / "status.json", {"state": "done", "started_at": "2026-01-01T00:00:00+00:00",
                                            "pid": 1, "host": HOST, "cores": cores})


def started(run_dir: Path, stage: str, pid: int, **extra) -> None:
    write(run_dir / stage / "status.json", {"state": "running", "started_at": "2026-01-01T00:00:00+00:00",
                                            "pid": pid, "host": HOST, "cores": 2, **extra})


def by_stage(report: dict) -> dict:
    return {s["stage"]: s for s in report["stages"]}


def test_finished_run(tmp_path):
    run_dir = make_run(tmp_path, "r1", "2026-01-01T00:00:00+00:00")
    finish(run_dir, "extract", 100, {"binary": 3, "missing_blob": 2}, bytes_in=8_000_000, seconds=2.0)
    finish(run_dir, "optout", 95, {"opted_out": 5}, bytes_in=6_000_000, seconds=1.5)
    finish(run_dir, "licenses", 90, {}, bytes_in=4_000_000, seconds=4.0, cores=4)
    report = status(run_dir)
    assert report["kind"] == "run" and report["state"] == "done" and report["lock"] is None
    stages = by_stage(report)
    assert [s["state"] for s in report["stages"]] == ["done", "done", "done"]
    assert stages["extract"]["rows_kept"] == 95 and stages["extract"]["rows_rejected"] == 5
    assert stages["extract"]["rejected_by_reason"] == {"binary": 3, "missing_blob": 2}
    assert stages["extract"]["mb_per_s"] == 4.0 and stages["extract"]["mb_per_s_per_core"] == 2.0
    assert stages["optout"]["mb_per_s_per_core"] == 2.0
    assert stages["licenses"]["mb_per_s_per_core"] == 0.25
    assert stages["licenses"]["rows_kept"] == 90


def test_running_run_with_its_lock_holder(tmp_path):
    run_dir = make_run(tmp_path, "r2", "2026-01-02T00:00:00+00:00")
    finish(run_dir, "extract", 10, {}, bytes_in=1_000_000, seconds=1.0)
    started(run_dir, "optout", os.getpid(),
            progress={"job": 7, "tasks_done": 3, "tasks_total": 8, "rows_read": 1234, "bytes_read": 5_000_000})
    with output_lock(tmp_path, command="codecurate run --version auto"):
        report = status(tmp_path)
        text = format_text(tmp_path)
    assert report["kind"] == "root"
    (run,) = report["runs"]
    assert run["state"] == "running"
    stages = by_stage(run)
    assert stages["optout"]["state"] == "running" and stages["optout"]["checked"] is True
    assert stages["licenses"]["state"] == "not started"
    assert report["lock"]["pid"] == os.getpid() and report["lock"]["alive"] is True
    assert f"lock: held by pid {os.getpid()} on {HOST}" in text and "codecurate run --version auto" in text
    assert "job 7: 3/8 tasks" in text and "1,234 rows read" in text and "5.0 MB read" in text
    # the lock is released: its details are cleared
    assert status(tmp_path)["lock"] is None


def test_crashed_run(tmp_path):
    run_dir = make_run(tmp_path, "r3", "2026-01-03T00:00:00+00:00")
    finish(run_dir, "extract", 10, {}, bytes_in=1_000_000, seconds=1.0)
    gone = dead_pid()
    started(run_dir, "optout", gone)
    # kill -9 leaves the holder's details in the lock file, but the kernel released the flock
    (tmp_path / LOCK_NAME).write_text(json.dumps({"pid": gone, "host": HOST, "started_at": "x", "command": "c"}))
    report = status(run_dir)
    stages = by_stage(report)
    assert report["state"] == "failed"
    assert stages["optout"]["state"] == "failed" and "crashed" in stages["optout"]["error"]
    assert str(gone) in stages["optout"]["error"]
    assert stages["licenses"]["state"] == "not started"
    assert report["lock"]["alive"] is False
    assert "lock: free (stale details" in format_text(run_dir)


def test_failed_stage_shows_its_error(tmp_path):
    run_dir = make_run(tmp_path, "r4", "2026-01-04T00:00:00+00:00")
    write(run_dir / "extract" / "status.json", {"state": "failed", "pid": 1, "host": HOST,
                                                "error": "stage 'extract' failed: boom"})
    report = status(run_dir)
    assert report["state"] == "failed"
    assert by_stage(report)["extract"]["error"] == "stage 'extract' failed: boom"


def test_root_lists_runs_and_releases_and_json(tmp_path, capsys):
    finish(make_run(tmp_path, "old", "2026-01-01T00:00:00+00:00", stages=("extract",)), "extract", 5, {},
           bytes_in=10, seconds=1.0)
    make_run(tmp_path, "new", "2026-02-01T00:00:00+00:00", stages=("extract",))
    write(tmp_path / "releases" / "0.1.0" / "manifest.json", {
        "release": {"version": "0.1.0", "created_at": "2026-01-01T01:00:00Z", "run_id": "old",
                    "data_sha256": "d" * 64},
        "data": {"totals": {"rows": 5, "bytes": 2_000_000}}})
    (tmp_path / "releases" / ".tmp-0.2.0-123").mkdir()  # an unfinished write: not a release
    assert main(["status", str(tmp_path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [r["run_id"] for r in report["runs"]] == ["old", "new"]  # by start time
    assert [r["state"] for r in report["runs"]] == ["done", "not started"]
    assert [(r["version"], r["rows"], r["run_id"]) for r in report["releases"]] == [("0.1.0", 5, "old")]
    assert main(["status", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "0.1.0" in text and "2.0 MB" in text and "runs (2):" in text and "latest run:" in text


def test_not_a_root_nor_a_run(tmp_path, capsys):
    assert main(["status", str(tmp_path)]) == EXIT_USAGE
    assert "neither an output root" in capsys.readouterr().err


def format_text(path: Path) -> str:
    from codecurate.ops.status import format_status

    return format_status(status(path))
