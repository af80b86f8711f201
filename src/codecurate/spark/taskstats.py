"""Task-time spread of a stage's Spark work: is one task (a 100k-file repository, a 5 MB license
file, a boilerplate bucket) holding everyone else up?

Spread = longest task / median task of a Spark stage, from the driver UI's REST API (the
status tracker knows jobs and stages but not task times). After the stage, five requests: the
job list, the stage list, and task quantiles of the three heaviest Spark stages. Without a UI (spark.ui.enabled=false) or when a
request fails, the figures are simply absent: a measurement must never fail a run.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

MIN_TASKS = 4  # with fewer tasks a median says nothing
TIMEOUT_SECONDS = 20  # a driver busy with a stage answers slowly on a loaded machine
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
        ours = {s for job in _get(base, f"{app}/jobs") if job.get("jobGroup") == job_group
                for s in job.get("stageIds", ())}
        # One listing of every stage, then task quantiles for the heaviest few only: a stage
        # like extract runs ~500 Spark stages, and a request each took minutes on a busy machine.
        done = [s for s in _get(base, f"{app}/stages?status=complete") if s["stageId"] in ours
                and s.get("numCompleteTasks", 0) >= MIN_TASKS]
        done.sort(key=lambda s: (-s.get("executorRunTime", 0), s["stageId"]))
        rows = []
        for stage in done[:SHOWN]:
            summary = _get(base, f"{app}/stages/{stage['stageId']}/{stage['attemptId']}/taskSummary"
                                 "?quantiles=0.5,1.0")
            median_ms, max_ms = summary["executorRunTime"]
            rows.append({
                "stage": stage["stageId"], "tasks": stage["numCompleteTasks"],
                "task_seconds": round(stage.get("executorRunTime", 0) / 1000, 3),
                "median_s": round(median_ms / 1000, 3), "max_s": round(max_ms / 1000, 3),
                "spread": round(max_ms / max(median_ms, 1.0), 2),
            })
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not rows:
        return {"spread": None, "heaviest": []}
    return {"spread": rows[0]["spread"], "heaviest": rows}
