"""Incremental release: release N+1 made from run N, against a full run of export N+1.

Export N is the sample; export N+1 is the sample's repositories after new commits
(codecurate.dev.nextexport: ~10% of text files edited, a new file per repository, one
repository relicensed MIT -> GPL, two gone, two new, one more opt-out). Three releases run in
this process on one Spark session, in this order: N (full; it also warms the JVM and the
Python workers, ScanCode's index included), N+1 full, N+1 incremental from N. The figure is
the wall time of the incremental N+1 over the full N+1 (target: <= 25%), with the share of
per-content results reused per stage. languages.fallback is `none`, as in the e2e benchmark
(guesslang would add TensorFlow's start-up to both runs and flatter the ratio).
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from codecurate.config import load_config
from codecurate.dev.nextexport import build_next_export
from codecurate.ops.schedule import scheduled_release
from codecurate.run.layout import OutputRoot, RunDir

TARGET = 0.25


def _config(export: Path, optout: Path, root: Path, *extra: str):
    return load_config("configs/local.yaml", [
        f"input.export={export}", f"input.blobs={export / 'blobs'}", f"optout.list={optout}",
        f"output.root={root}", "languages.fallback=none", "release.overwrite=true", *extra,
    ])


def _timed_release(spark, cfg, version: str) -> tuple[Path, float]:
    started = time.monotonic()
    release = scheduled_release(cfg, version=version, spark=spark)
    return release, time.monotonic() - started


def run(ctx) -> None:
    work = ctx.work / "incremental"
    if work.exists():
        shutil.rmtree(work)
    summary = build_next_export(ctx.sample, work / "next")
    print(f"export N+1: {summary['files_changed']} files edited, {summary['files_added']} added, "
          f"relicensed {summary['relicensed_mit_to_gpl']}, gone {summary['gone']}, new {summary['new']}, "
          f"opt-out +{summary['optout_added']}")
    sample, nxt = ctx.sample, work / "next"
    release_n, seconds_n = _timed_release(
        ctx.spark, _config(sample / "export", sample / "optout.txt", work / "out"), "1.0.0")
    _, seconds_full = _timed_release(
        ctx.spark, _config(nxt / "export", nxt / "optout.txt", work / "full"), "1.1.0")
    incremental, seconds_inc = _timed_release(
        ctx.spark, _config(nxt / "export", nxt / "optout.txt", work / "out", f"incremental.previous={release_n}"),
        "1.1.0")

    built = json.loads((incremental / "manifest.json").read_text())
    run_dir = OutputRoot(work / "out").run(built["release"]["run_id"])
    full_root = OutputRoot(work / "full")
    full_run = full_root.run(json.loads((full_root.releases / "1.1.0" / "manifest.json").read_text())
                             ["release"]["run_id"])
    print("\n".join(reuse_table(full_run, run_dir, built["data"]["source"]["config"]["stages"])))
    print(f"release N (full, warm-up): {seconds_n:.1f} s; " + verdict(seconds_full, seconds_inc))


def reuse_table(full_run: RunDir, incremental_run: RunDir, stages: list[str]) -> list[str]:
    """Per stage: seconds of the full and of the incremental run, and the per-content results
    the incremental run reused (rows reused, rows computed, share reused) from its manifest."""
    lines = [f"{'stage':<13} {'full s':>8} {'incr s':>8} {'reused rows':>12} {'computed':>9} {'reused':>7}"]
    for stage in stages:
        inc_m, full_m = incremental_run.read_manifest(stage), full_run.read_manifest(stage)
        reuse = inc_m.get("content_results") or {}
        total = reuse.get("rows_reused", 0) + reuse.get("rows_computed", 0)
        share = f"{reuse['rows_reused'] / total:.0%}" if total else "-"
        lines.append(f"{stage:<13} {full_m['seconds']:>8.1f} {inc_m['seconds']:>8.1f} "
                     f"{reuse.get('rows_reused', '-'):>12} {reuse.get('rows_computed', '-'):>9} {share:>7}")
    return lines


def verdict(seconds_full: float, seconds_incremental: float) -> str:
    ratio = seconds_incremental / seconds_full
    return (f"N+1 full: {seconds_full:.1f} s; N+1 incremental from N: {seconds_incremental:.1f} s = {ratio:.0%} "
            f"of full (target <= {TARGET:.0%}: {'met' if ratio <= TARGET else 'NOT met'})")
