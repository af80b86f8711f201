"""The run console (levels, plain vs live lines), the progress line, the run report picture and
what a run records about its config (no credentials, no endpoints). No JVM."""

from __future__ import annotations

import io
import json

import pytest

from codecurate.config import REDACTED, load_config, redacted
from codecurate.run.console import NORMAL, QUIET, Console, Snapshot, clock, job_eta, render
from codecurate.run.layout import RunDir
from codecurate.run.report import stage_rates, write_report


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_line():
    snap = Snapshot(elapsed=75.0, job=12, tasks_done=37, tasks_total=64, rows_read=12345, bytes_read=45_200_000)
    assert render("licenses", snap, eta=35.4) == (
        "[licenses] job 12: 37/64 tasks, 12,345 rows read, 45.2 MB (0.6 MB/s), 1:15 elapsed, job ETA 0:35")
    assert render("x", Snapshot(elapsed=1.0, job=3), eta=None) == "[x] job 3: planning, 0:01 elapsed"
    idle = Snapshot(elapsed=3725.0)
    assert render("pii", idle, eta=None) == "[pii] driver work, no Spark job running, 1:02:05 elapsed"


def test_eta_and_clock():
    assert job_eta(done=0, total=10, job_seconds=5.0) is None  # no rate yet
    assert job_eta(done=2, total=10, job_seconds=5.0) == 20.0  # 2.5 s a task, 8 to go
    assert job_eta(done=10, total=10, job_seconds=5.0) == 0.0
    assert clock(59.6) == "1:00" and clock(3600) == "1:00:00"


def test_plain_stream_gets_no_control_characters():
    out = io.StringIO()
    console = Console(out, NORMAL)
    assert not console.interactive()
    console.log("[extract] started")
    console.clear_live()
    text = out.getvalue()
    assert text.endswith("] [extract] started\n") and "\x1b" not in text and "\r" not in text


def test_terminal_line_is_redrawn_and_cleared_before_a_message():
    out = Terminal()
    console = Console(out, NORMAL)
    assert console.interactive()
    console.live("[extract] job 1: 1/4 tasks")
    console.log("[extract] done")
    assert out.getvalue().startswith("\r\x1b[2K[extract] job 1: 1/4 tasks\r\x1b[2K[codecurate ")


def test_quiet_prints_nothing():
    out = Terminal()
    console = Console(out, QUIET)
    console.log("[extract] started")
    assert out.getvalue() == "" and not console.interactive()


def test_config_recorded_without_credentials_or_endpoints():
    cfg = load_config(None, [
        "input.export=/data/export", "input.blobs=s3://user:pw@bucket/blobs?endpoint_override=127.0.0.1:9000",
        "spark.conf={spark.hadoop.fs.s3a.secret.key: s3cr3t, spark.hadoop.fs.s3a.endpoint: http://minio:9000,"
        " spark.executor.memory: 4g}",
    ])
    recorded = json.dumps(redacted(cfg.to_dict()))
    assert "s3cr3t" not in recorded and "minio" not in recorded and "127.0.0.1" not in recorded
    assert "pw@" not in recorded
    out = redacted(cfg.to_dict())
    assert out["spark"]["conf"] == {"spark.hadoop.fs.s3a.secret.key": REDACTED,
                                    "spark.hadoop.fs.s3a.endpoint": REDACTED, "spark.executor.memory": "4g"}
    assert out["input"]["blobs"] == f"s3://{REDACTED}@bucket/blobs?{REDACTED}"
    assert out["input"]["export"].endswith("/data/export")


def _stage(run: RunDir, name: str, bytes_in: int, seconds: float, cores: int | None) -> None:
    run.stage(name).mkdir(parents=True)
    run.write_manifest(name, {"rows_in": 1, "rows_kept": 1, "rows_rejected": 0, "rejected_by_reason": {},
                              "bytes_in": bytes_in, "seconds": seconds})
    if cores is not None:
        run.write_status(name, {"state": "done", "cores": cores})


def test_run_report_picture(tmp_path):
    run = RunDir(tmp_path / "runs" / "r1")
    assert write_report(run, ["extract"]) is None and not run.report.exists()  # nothing finished yet
    _stage(run, "extract", 6_000_000, 3.0, cores=2)
    _stage(run, "optout", 1_000_000, 0.5, cores=None)  # a run from before status files: no cores
    assert [(r["stage"], r["mb_per_s"], r["mb_per_s_per_core"]) for r in stage_rates(run, ["extract", "optout", "pii"])] \
        == [("extract", 2.0, 1.0), ("optout", 2.0, None)]
    path = write_report(run, ["extract", "optout", "pii"])
    assert path == run.report and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("level", ["loud", ""])
def test_console_rejects_unknown_levels(level):
    with pytest.raises(ValueError):
        Console().configure(level)


def test_quiet_and_verbose_flags(capsys):
    from codecurate.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["run"]).console == NORMAL
    assert parser.parse_args(["run", "--quiet"]).console == QUIET
    assert parser.parse_args(["stage", "extract", "-v"]).console == "verbose"
    with pytest.raises(SystemExit):
        parser.parse_args(["run", "-q", "-v"])
    assert "not allowed with" in capsys.readouterr().err
