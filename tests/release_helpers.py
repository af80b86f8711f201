"""Builders for release tests: a runner-layout run directory, written by hand."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

KEPT_SCHEMA = (
    "blob_id string, path string, repo_name string, content string, language string, "
    "length_bytes long, detected_licenses array<string>, license_type string, "
    "pii_counts array<struct<kind:string,count:int>>, visit_date timestamp, star_events_count long"
)

STAGE_COUNTS = {
    "extract": {"rows_in": 20, "rows_kept": 18, "rows_rejected": 2, "rejected_by_reason": {"binary": 2}},
    "optout": {"rows_in": 18, "rows_kept": 17, "rows_rejected": 1, "rejected_by_reason": {"opted_out": 1}},
    "languages": {"rows_in": 17, "rows_kept": 15, "rows_rejected": 2,
                  "rejected_by_reason": {"vendor": 1, "generated": 1},
                  "metrics": {"detectors": {"enry": "2.8.9"}}},
}


def row(repo: str, path: str, blob: str, language: str | None, content: str = "x = 1\n") -> dict:
    return {
        "blob_id": blob, "path": path, "repo_name": repo, "content": content, "language": language,
        "length_bytes": len(content.encode()), "detected_licenses": ["MIT"], "license_type": "permissive",
        "pii_counts": [("email", 1)], "visit_date": dt.datetime(2024, 1, 2, 3, 4, 5),
        "star_events_count": 3,
    }


def make_run(spark, output_root: Path, rows: list[dict], run_id: str = "run-1",
             stages: dict = STAGE_COUNTS, partitions: int = 2) -> Path:
    run_dir = output_root / "runs" / run_id
    names = list(stages)
    for name, counts in stages.items():
        (run_dir / name).mkdir(parents=True)
        body = {"stage": name, "bytes_in": 100, "bytes_kept": 90, "seconds": 1.5,
                "config_fingerprint": "f" * 64, "metrics": {}, **counts}
        (run_dir / name / "manifest.json").write_text(json.dumps(body))
    frame = spark.createDataFrame(rows, KEPT_SCHEMA).repartition(partitions)
    frame.write.parquet(str(run_dir / names[-1] / "kept"))
    run = {
        "run_id": run_id, "started_at": "2026-01-01T00:00:00Z", "code_version": "abc123",
        "config": {"licenses": {"keep_types": ["permissive", "no_license"]}},
        "config_fingerprint": "c" * 64,
        "inputs": {"export": "/data/export", "blobs": None, "repo_metadata": None,
                   "tables": {"origin": "1" * 64}},
        "optout_sha256": None, "stages": names,
    }
    (run_dir / "run.json").write_text(json.dumps(run))
    return run_dir
