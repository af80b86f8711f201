"""`codecurate status`: what is under an output root, and how far each run got.

Reads only files (run.json, each stage's manifest.json and status.json, release manifests,
the lock file) through codecurate.run.layout and codecurate.release.layout: it needs no Spark,
takes no lock and works while a run is going.

A stage is
  done         its manifest is there (written last, after its outputs)
  running      status.json says running and the process it names is alive (or on another
               host, where it cannot be checked: then "running?" and the host is shown)
  failed       status.json says failed (with the error's first line), or says running but the
               process is gone (killed, out of memory, machine rebooted): a crash
  not started  no trace of it
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from codecurate.errors import UsageError
from codecurate.ops.lock import describe_holder, holder_alive, read_holder
from codecurate.release import layout as release_layout
from codecurate.run.layout import RUN_FILE, OutputRoot, RunDir
from codecurate.run.report import stage_rates

DONE, RUNNING, FAILED, NOT_STARTED = "done", "running", "failed", "not started"


class StatusError(UsageError):
    """The path is neither an output root nor a run directory."""


def stage_status(run_dir: RunDir, name: str) -> dict[str, Any]:
    status = run_dir.read_status(name) or {}
    out: dict[str, Any] = {"stage": name}
    if run_dir.has_manifest(name):
        m = run_dir.read_manifest(name)
        (rate,) = stage_rates(run_dir, [name]) or [{}]
        out.update(state=DONE, rows_in=m.get("rows_in"), rows_kept=m.get("rows_kept"),
                   rows_rejected=m.get("rows_rejected"), rejected_by_reason=m.get("rejected_by_reason", {}),
                   bytes_in=m.get("bytes_in"), bytes_kept=m.get("bytes_kept"), seconds=m.get("seconds"),
                   mb_per_s=_round(rate.get("mb_per_s")), cores=rate.get("cores"),
                   mb_per_s_per_core=_round(rate.get("mb_per_s_per_core")))
        return out
    if not status:
        out["state"] = FAILED if run_dir.stage(name).exists() else NOT_STARTED
        if out["state"] == FAILED:
            out["error"] = "unfinished: a stage directory with no manifest and no status.json"
        return out
    started = status.get("started_at")
    out.update(started_at=started, pid=status.get("pid"), host=status.get("host"), cores=status.get("cores"))
    state = status.get("state")
    if state == "failed":
        out.update(state=FAILED, error=status.get("error"), failed_at=status.get("failed_at"))
    elif state == "running":
        alive = holder_alive(status)
        if alive is False:
            out.update(state=FAILED, error=f"crashed: process {status.get('pid')} on {status.get('host')} "
                                           "is gone and wrote no manifest")
        else:
            out.update(state=RUNNING, checked=alive is True, elapsed=_since(started),
                       progress=status.get("progress"))
    else:  # "done" without a manifest: somebody removed it
        out.update(state=FAILED, error=f"status.json says {state!r} but there is no manifest")
    return out


def run_status(run_dir: RunDir) -> dict[str, Any]:
    info = run_dir.read_info()
    stages = [stage_status(run_dir, name) for name in info["stages"]]
    states = [s["state"] for s in stages]
    if RUNNING in states:
        state = RUNNING
    elif FAILED in states:
        state = FAILED
    elif all(s == DONE for s in states):
        state = DONE
    elif all(s == NOT_STARTED for s in states):
        state = NOT_STARTED
    else:
        state = "incomplete"  # some stages ran (`codecurate stage`), the rest did not
    return {
        "run_id": run_dir.run_id,
        "path": str(run_dir.path),
        "started_at": info.get("started_at"),
        "code_version": info.get("code_version"),
        "state": state,
        "stages": stages,
        "report": str(run_dir.report) if run_dir.report.exists() else None,
        "spark_log": str(run_dir.spark_log) if run_dir.spark_log.exists() else None,
    }


def releases(root: OutputRoot) -> list[dict[str, Any]]:
    out = []
    for version in release_layout.published_versions(root.releases):
        path = root.releases / version
        try:
            manifest = json.loads((path / release_layout.MANIFEST).read_text(encoding="utf-8"))
            release, totals = manifest["release"], manifest["data"]["totals"]
        except (OSError, ValueError, KeyError, TypeError) as err:
            out.append({"version": version, "path": str(path), "error": f"unreadable manifest: {err}"})
            continue
        out.append({"version": version, "path": str(path), "created_at": release.get("created_at"),
                    "run_id": release.get("run_id"), "rows": totals.get("rows"),
                    "bytes": totals.get("bytes"), "data_sha256": release.get("data_sha256")})
    return out


def lock_status(root: Path) -> dict[str, Any] | None:
    holder = read_holder(root)
    if holder is None:
        return None
    alive = holder_alive(holder)
    return {**holder, "alive": alive}


def status(path: str | Path) -> dict[str, Any]:
    """Status of an output root (its runs, releases and lock) or of one run directory."""
    path = Path(path)
    if (path / RUN_FILE).is_file():
        run = run_status(RunDir(path))
        root = path.parent.parent  # <root>/runs/<run_id>
        return {"kind": "run", "lock": lock_status(root), **run}
    root = OutputRoot(path)
    if not root.runs.is_dir() and not root.releases.is_dir():
        raise StatusError(f"{path} is neither an output root (no runs/ or releases/) nor a run directory "
                          f"(no {RUN_FILE})")
    runs = []
    for run_path in sorted(root.runs.iterdir()) if root.runs.is_dir() else ():
        if not (run_path / RUN_FILE).is_file():
            continue
        try:
            runs.append(run_status(RunDir(run_path)))
        except UsageError as err:
            runs.append({"run_id": run_path.name, "path": str(run_path), "state": "unreadable",
                         "error": str(err), "stages": []})
    runs.sort(key=lambda r: (str(r.get("started_at") or ""), r["run_id"]))
    return {"kind": "root", "path": str(path), "lock": lock_status(path), "runs": runs,
            "releases": releases(root)}


# -- text ------------------------------------------------------------------------------------

def format_status(report: dict[str, Any]) -> str:
    lines = [_lock_line(report.get("lock"))]
    if report["kind"] == "run":
        lines += _run_lines(report)
        return "\n".join(lines)
    lines.append(f"output root {report['path']}")
    lines.append(f"runs ({len(report['runs'])}):")
    for run in report["runs"]:
        stages = run.get("stages", [])
        done = sum(s["state"] == DONE for s in stages)
        current = next((s["stage"] for s in stages if s["state"] in (RUNNING, FAILED)), "")
        lines.append(f"  {run['run_id']}  {run.get('started_at') or '?':<25} {run['state']:<11} "
                     f"{done}/{len(stages)} stages done" + (f", {current} {_state_of(stages, current)}" if current else ""))
    lines.append(f"releases ({len(report['releases'])}):")
    for rel in report["releases"]:
        if "error" in rel:
            lines.append(f"  {rel['version']:<10} {rel['error']}")
            continue
        lines.append(f"  {rel['version']:<10} {rel.get('created_at') or '?':<21} {rel.get('rows') or 0:>12,} files "
                     f"{(rel.get('bytes') or 0) / 1e6:>10,.1f} MB  run {rel.get('run_id')}")
    latest = report["runs"][-1] if report["runs"] else None
    if latest and latest.get("stages"):
        lines += ["", "latest run:"] + _run_lines(latest)
    return "\n".join(lines)


def _state_of(stages: list[dict[str, Any]], name: str) -> str:
    return next(s["state"] for s in stages if s["stage"] == name)


def _lock_line(lock: dict[str, Any] | None) -> str:
    if lock is None:
        return "lock: free"
    who = lock.get("text") or describe_holder(json.dumps(lock))
    if lock.get("alive") is False:
        return f"lock: free (stale details of {who}: that process is gone)"
    return f"lock: held by {who}" + ("" if lock.get("alive") else " (other host: not checked)")


def _run_lines(run: dict[str, Any]) -> list[str]:
    lines = [f"run {run['run_id']}: {run['state']} (started {run.get('started_at')}, code {run.get('code_version')})",
             f"  {'stage':<12} {'state':<11} {'in':>10} {'kept':>10} {'rejected':>9} {'MB in':>9} "
             f"{'seconds':>8} {'MB/s/core':>9}  rejected by reason"]
    for s in run["stages"]:
        if s["state"] == DONE:
            reasons = ", ".join(f"{k} {v:,}" for k, v in (s.get("rejected_by_reason") or {}).items()) or "-"
            per_core = s.get("mb_per_s_per_core")
            lines.append(f"  {s['stage']:<12} {DONE:<11} {s['rows_in']:>10,} {s['rows_kept']:>10,} "
                         f"{s['rows_rejected']:>9,} {(s.get('bytes_in') or 0) / 1e6:>9,.1f} "
                         f"{s.get('seconds') or 0:>8.1f} {'-' if per_core is None else f'{per_core:.2f}':>9}  {reasons}")
        elif s["state"] == RUNNING:
            lines.append(f"  {s['stage']:<12} {RUNNING + ('' if s.get('checked') else '?'):<11} "
                         f"{_progress_text(s)}")
        elif s["state"] == FAILED:
            lines.append(f"  {s['stage']:<12} {FAILED:<11} {s.get('error') or ''}")
        else:
            lines.append(f"  {s['stage']:<12} {s['state']:<11}")
    if run.get("report"):
        lines.append(f"  report: {run['report']}")
    if run.get("spark_log"):
        lines.append(f"  spark log: {run['spark_log']}")
    return lines


def _progress_text(stage: dict[str, Any]) -> str:
    parts = [f"pid {stage.get('pid')} on {stage.get('host')}"]
    if stage.get("elapsed") is not None:
        parts.append(f"{stage['elapsed']:,.0f} s so far")
    progress = stage.get("progress") or {}
    if progress.get("job") is not None:
        parts.append(f"job {progress['job']}: {progress.get('tasks_done', 0):,}/{progress.get('tasks_total', 0):,} tasks")
    if progress.get("rows_read"):
        parts.append(f"{progress['rows_read']:,} rows read")
    if progress.get("bytes_read"):
        parts.append(f"{progress['bytes_read'] / 1e6:,.1f} MB read")
    return ", ".join(parts)


def _since(stamp: str | None) -> float | None:
    try:
        started = datetime.fromisoformat(str(stamp))
    except ValueError:
        return None
    if started.tzinfo is None:
        started = started.replace(tzinfo=UTC)
    return round((datetime.now(UTC) - started).total_seconds(), 1)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
