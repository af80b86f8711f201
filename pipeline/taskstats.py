"""Task-time spread of a stage's Spark work: is one task (a 100k-file repository, a 5 MB license
file, a boilerplate bucket) holding everyone else up?

Spread = longest task / median task of a Spark stage, from the driver UI's REST API (the
status tracker knows jobs and stages but not task times). One request per job list and one
per Spark stage, after the stage: cheap. Without a UI (spark.ui.enabled=false) or when a
request fails, the figures are simply absent: a measurement must never fail a run.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

MIN_TASKS = 4  # with fewer tasks a median says nothing
TIMEOUT_SECONDS = 5
SHOWN = 3  # the heaviest Spark stages listed in the manifest


def _get(base: str, path: str) -> Any:
    with urllib.request.urlopen(f"{base}{path}", timeout=TIMEOUT_SECONDS) as response:
        return json.load(response)


def task_time_spread(spark, job_group: str) -> dict[str, Any] | None:
    """{spread, heaviest: [{stage, tasks, median_s, max_s, spread}]} for the Spark stages of
    `job_group` with at least MIN_TASKS tasks; `spread` is that of the stage with the most task
    time (where skew costs most). None when the UI cannot tell."""
    sc = spark.sparkContext
    base = sc.uiWebUrl
    if not base:
        return None
    try:
        app = f"/api/v1/applications/{sc.applicationId}"
        stage_ids = sorted({s for job in _get(base, f"{app}/jobs") if job.get("jobGroup") == job_group
                            for s in job.get("stageIds", ())})
        rows = []
        for stage_id in stage_ids:
            for attempt in _get(base, f"{app}/stages/{stage_id}"):
                if attempt.get("status") != "COMPLETE" or attempt.get("numCompleteTasks", 0) < MIN_TASKS:
                    continue
                summary = _get(base, f"{app}/stages/{stage_id}/{attempt['attemptId']}/taskSummary"
                                     "?quantiles=0.5,1.0")
                median_ms, max_ms = summary["executorRunTime"]
                rows.append({
                    "stage": stage_id, "tasks": attempt["numCompleteTasks"],
                    "task_seconds": round(attempt.get("executorRunTime", 0) / 1000, 3),
                    "median_s": round(median_ms / 1000, 3), "max_s": round(max_ms / 1000, 3),
                    "spread": round(max_ms / max(median_ms, 1.0), 2),
                })
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not rows:
        return {"spread": None, "heaviest": []}
    rows.sort(key=lambda r: (-r["task_seconds"], r["stage"]))
    return {"spread": rows[0]["spread"], "heaviest": rows[:SHOWN]}
