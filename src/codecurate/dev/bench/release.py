"""Release writer: MB/s of publishing vs a plain Spark parquet write of the same rows; verify and
patch-optout throughput.

Input: synthetic kept rows (3 languages, 1-4 KB files) in a run directory made here; a release
is only the end of a run, so the sample export's size does not change what this measures.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from pathlib import Path

from codecurate.config import Config, OutputConfig, ReleaseConfig
from codecurate.release.patch_optout import patch_optout
from codecurate.release.verify import verify_release
from codecurate.release.writer import publish_release

ROWS = 40_000
SCHEMA = "blob_id string, path string, repo_name string, content string, language string, length_bytes long"


def _rows(rng: random.Random) -> list[tuple]:
    out = []
    for i in range(ROWS):
        content = "".join(f"line {rng.random():.12f} of file {i}\n" for _ in range(rng.randint(30, 120)))
        repo = f"owner{i % 500}/repo{i % 1000}"
        out.append((f"{i:040x}", f"src/f{i}.x", repo, content, ("Python", "Go", "C++")[i % 3], len(content)))
    return out


def _make_run(spark, root: Path, rows: list[tuple]) -> Path:
    run_dir = root / "runs" / "bench"
    (run_dir / "extract").mkdir(parents=True)
    spark.createDataFrame(rows, SCHEMA).write.parquet(str(run_dir / "extract" / "kept"))
    (run_dir / "extract" / "manifest.json").write_text(json.dumps(
        {"stage": "extract", "rows_in": len(rows), "rows_kept": len(rows), "rows_rejected": 0,
         "rejected_by_reason": {}, "metrics": {}}))
    (run_dir / "run.json").write_text(json.dumps({"run_id": "bench", "stages": ["extract"], "config": {}}))
    return run_dir


def run(ctx) -> None:
    rng = random.Random(7)
    rows = _rows(rng)
    mb = sum(r[-1] for r in rows) / 1e6
    with tempfile.TemporaryDirectory(prefix="bench-release-") as tmp:
        root = Path(tmp)
        run_dir = _make_run(ctx.spark, root, rows)
        kept = str(run_dir / "extract" / "kept")

        started = time.perf_counter()
        (ctx.spark.read.parquet(kept).orderBy("repo_name", "path", "blob_id")
         .write.option("compression", "zstd").parquet(str(root / "plain")))
        plain = time.perf_counter() - started

        cfg = Config(output=OutputConfig(root=str(root)), release=ReleaseConfig(shard_size_mb=16))
        started = time.perf_counter()
        release = publish_release(ctx.spark, run_dir, cfg, version="1.0.0")
        publish = time.perf_counter() - started

        started = time.perf_counter()
        problems = verify_release(release)
        verify = time.perf_counter() - started

        optout = root / "optout.txt"
        optout.write_text("owner1\nowner2/repo2\n")
        started = time.perf_counter()
        patch_optout(release, optout)
        patch = time.perf_counter() - started

    print(f"bench release input: {ROWS} rows, {mb:.1f} MB of content, {ctx.cores} cores")
    print(f"bench release publish (shards, card, changelog, sums): {mb / publish:.1f} MB/s")
    print(f"bench release plain sorted Spark parquet write: {mb / plain:.1f} MB/s")
    print(f"bench release publish / plain write time: {publish / plain:.2f} x")
    print(f"bench release verify: {mb / verify:.1f} MB/s ({len(problems)} problems)")
    print(f"bench release patch-optout: {mb / patch:.1f} MB/s")
