"""What a run prints while it works: stage lines, one progress display per running stage.

The runner owns this; stages only call ctx.log. Progress comes from Spark's status tracker
(sc.statusTracker(): the stage's jobs, found by their job group, and each Spark stage's task
counts), plus rows and bytes read where Spark's status store knows them. On a terminal the
progress is one line redrawn in place; anywhere else (CI, cron, a pipe) it is a plain line
every PLAIN_EVERY seconds, with no control characters.

Levels: quiet prints no stage lines and no progress (the final table still goes to stdout);
normal prints both; verbose also lets Spark's own warnings through to stderr (see
codecurate.spark.session) and so keeps progress to plain lines, which interleave cleanly.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

QUIET, NORMAL, VERBOSE = "quiet", "normal", "verbose"
REDRAW_EVERY = 0.5  # seconds between redraws of the live line on a terminal
PLAIN_EVERY = 30.0  # seconds between plain progress lines (CI logs stay short: 120 lines an hour)
STATUS_EVERY = 5.0  # seconds between progress snapshots handed to the status file
CLEAR_LINE = "\r\x1b[2K"


class Console:
    """Where run messages go. One per process (`console` below), set up by the CLI."""

    def __init__(self, stream: TextIO | None = None, level: str = NORMAL) -> None:
        self._stream = stream
        self.level = level
        self._lock = threading.Lock()
        self._live = ""  # the progress line on screen, if any

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stderr  # looked up late: pytest swaps sys.stderr per test

    def configure(self, level: str = NORMAL, stream: TextIO | None = None) -> None:
        if level not in (QUIET, NORMAL, VERBOSE):
            raise ValueError(f"console level must be quiet, normal or verbose, got {level!r}")
        self.level, self._stream = level, stream

    @property
    def verbose(self) -> bool:
        return self.level == VERBOSE

    def interactive(self) -> bool:
        """A live line only on a real terminal, and not when Spark's own lines share it."""
        isatty = getattr(self.stream, "isatty", lambda: False)
        return self.level == NORMAL and isatty() and os.environ.get("TERM") != "dumb"

    def log(self, message: str) -> None:
        if self.level == QUIET:
            return
        stamp = datetime.now(UTC).strftime("%H:%M:%S")
        with self._lock:
            # a message clears the live line and the next redraw puts it back underneath
            prefix = CLEAR_LINE if self._live else ""
            self._live = ""
            self.stream.write(f"{prefix}[codecurate {stamp}] {message}\n")
            self.stream.flush()

    def live(self, line: str) -> None:
        width = shutil.get_terminal_size((100, 20)).columns - 1
        with self._lock:
            self._live = line[:width]
            self.stream.write(CLEAR_LINE + self._live)
            self.stream.flush()

    def clear_live(self) -> None:
        with self._lock:
            if self._live:
                self.stream.write(CLEAR_LINE)
                self.stream.flush()
                self._live = ""


console = Console()


@dataclass(frozen=True)
class Snapshot:
    """How far a codecurate stage is, from Spark's point of view."""

    elapsed: float  # seconds since the stage started
    job: int | None = None  # the Spark job running now (the newest active one of the stage)
    tasks_done: int = 0  # of that job
    tasks_total: int = 0
    rows_read: int | None = None  # over all the stage's Spark jobs so far; None: not known
    bytes_read: int | None = None

    @property
    def mb_per_s(self) -> float | None:
        if self.bytes_read is None or self.elapsed <= 0:
            return None
        return self.bytes_read / 1e6 / self.elapsed

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "mb_per_s": None if self.mb_per_s is None else round(self.mb_per_s, 3)}


def clock(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def job_eta(done: int, total: int, job_seconds: float) -> float | None:
    """Seconds left in the current job at its rate so far; None before the first task ends."""
    if done <= 0 or total <= done:
        return None if done <= 0 else 0.0
    return job_seconds * (total - done) / done


def render(stage: str, snap: Snapshot, eta: float | None) -> str:
    parts = []
    if snap.job is None:
        parts.append("driver work, no Spark job running")
    elif snap.tasks_total == 0:
        parts.append(f"job {snap.job}: planning")  # active, its Spark stages not submitted yet
    else:
        parts.append(f"job {snap.job}: {snap.tasks_done:,}/{snap.tasks_total:,} tasks")
    if snap.rows_read:
        parts.append(f"{snap.rows_read:,} rows read")
    if snap.bytes_read:
        parts.append(f"{snap.bytes_read / 1e6:,.1f} MB ({snap.mb_per_s:,.1f} MB/s)")
    parts.append(f"{clock(snap.elapsed)} elapsed")
    if eta is not None and snap.job is not None:
        parts.append(f"job ETA {clock(eta)}")
    return f"[{stage}] " + ", ".join(parts)


class SparkProgress:
    """Reads a job group's progress from Spark's status tracker (and status store, if it can)."""

    def __init__(self, spark, group: str) -> None:
        self._sc = spark.sparkContext
        self._group = group
        self._done_stages: dict[int, tuple[int, int]] = {}  # finished Spark stages: (rows, bytes)
        self._done_jobs: dict[int, tuple[int, ...]] = {}  # finished jobs: their stage ids
        self._store_ok = True

    def snapshot(self, elapsed: float) -> Snapshot:
        tracker = self._sc.statusTracker()
        jobs = set(tracker.getJobIdsForGroup(self._group))
        active = sorted(j for j in tracker.getActiveJobsIds() if j in jobs)
        job, done, total = (active[-1] if active else None), 0, 0
        stage_ids: set[int] = set()
        for job_id in jobs:
            if job_id in self._done_jobs:  # a long stage runs hundreds of jobs: ask once each
                stage_ids.update(self._done_jobs[job_id])
                continue
            info = tracker.getJobInfo(job_id)
            if info is None:
                continue
            stage_ids.update(info.stageIds)
            if info.status in ("SUCCEEDED", "FAILED"):
                self._done_jobs[job_id] = tuple(info.stageIds)
            if job_id == job:
                for stage_id in info.stageIds:
                    stage = tracker.getStageInfo(stage_id)
                    if stage is not None:
                        done, total = done + stage.numCompletedTasks, total + stage.numTasks
        rows, size = self._read_metrics(stage_ids)
        return Snapshot(elapsed, job, done, total, rows, size)

    def _read_metrics(self, stage_ids: set[int]) -> tuple[int | None, int | None]:
        """Rows and bytes the stage's Spark stages read (files, shuffles), from the JVM's status
        store: not a public API, so any failure just leaves them unknown."""
        if not self._store_ok:
            return None, None
        try:
            store = self._sc._jsc.sc().statusStore()
            rows = size = 0
            for stage_id in stage_ids:
                if stage_id in self._done_stages:
                    r, b = self._done_stages[stage_id]
                else:
                    try:
                        data = store.lastStageAttempt(stage_id)
                    except Exception:  # evicted from the store, or not there yet
                        continue
                    r = data.inputRecords() + data.shuffleReadRecords()
                    b = data.inputBytes() + data.shuffleReadBytes()
                    if str(data.status()) in ("COMPLETE", "SKIPPED"):
                        self._done_stages[stage_id] = (r, b)
                rows, size = rows + r, size + b
            return rows, size
        except Exception:
            self._store_ok = False
            return None, None


class StageProgress:
    """A daemon thread showing one codecurate stage's progress while it runs.

        with StageProgress(spark, "licenses", group, on_status=write_status):
            ...  # the stage's Spark jobs, tagged with `group`
    """

    def __init__(self, spark, stage: str, group: str, *, out: Console | None = None,
                 on_status: Callable[[Snapshot], None] | None = None,
                 plain_every: float = PLAIN_EVERY, status_every: float = STATUS_EVERY) -> None:
        self.stage = stage
        self._source = SparkProgress(spark, group)
        self._out = out or console
        self._on_status = on_status
        self._plain_every = plain_every
        self._status_every = status_every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"progress-{stage}", daemon=True)
        self._started = time.monotonic()
        self._job_started: dict[int, float] = {}

    def __enter__(self) -> StageProgress:
        self._started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._out.clear_live()

    def line(self) -> tuple[str, Snapshot]:
        now = time.monotonic()
        snap = self._source.snapshot(now - self._started)
        eta = None
        if snap.job is not None:
            began = self._job_started.setdefault(snap.job, now)
            eta = job_eta(snap.tasks_done, snap.tasks_total, now - began)
        return render(self.stage, snap, eta), snap

    def _loop(self) -> None:
        interactive = self._out.interactive()
        tick = REDRAW_EVERY if interactive else min(self._plain_every, self._status_every, 1.0)
        last_plain = last_status = time.monotonic()
        while not self._stop.wait(tick):
            try:
                text, snap = self.line()
            except Exception:  # the JVM is going away (a failing stage): stop drawing, quietly
                return
            now = time.monotonic()
            if interactive:
                self._out.live(text)
            elif self._out.level != QUIET and now - last_plain >= self._plain_every:
                self._out.log(text)
                last_plain = now
            if self._on_status is not None and now - last_status >= self._status_every:
                self._on_status(snap)
                last_status = now
