"""Extract's input: how fast import-git builds an export, and how fast Spark reads it back.

import-git is measured on a synthetic repository (always available) against the floor of
reading the same objects with `git cat-file --batch` alone, so the ratio shows what hashing,
gzip and ORC writing cost on top of git. The Spark read is measured on the sample export when
it exists (`make sample`), else on the synthetic one.
"""

from __future__ import annotations

import random
import subprocess
import tempfile
import time
from pathlib import Path

from codecurate.dev.gitimport import RepoSpec, import_git
from codecurate.dev.sample import BASE_DATE, commit_files
from codecurate.spark.export import read_export
from codecurate.swh.tables import REQUIRED

FILES = 3_000
LINE = "    value_{i} = compute(value_{j}, {k})  # step {i}\n"


def _synthetic_repo(path: Path) -> int:
    rng = random.Random(7)
    files = {}
    for n in range(FILES):
        lines = [LINE.format(i=i, j=rng.randrange(1000), k=rng.randrange(10**6)) for i in range(60)]
        files[f"pkg{n % 30}/mod_{n}.py"] = "def f():\n" + "".join(lines)
    commit_files(path, files, date=BASE_DATE)
    return sum(len(v) for v in files.values())


def run(ctx) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-extract-input-") as tmp:
        repo = Path(tmp) / "repo"
        size = _synthetic_repo(repo)

        started = time.perf_counter()
        subprocess.run(
            f"git -C {repo} rev-list --objects --all --no-object-names"
            f" | git -C {repo} cat-file --batch > /dev/null",
            shell=True, check=True,
        )
        floor = time.perf_counter() - started

        started = time.perf_counter()
        import_git([RepoSpec(repo, "bench/synthetic")], Path(tmp) / "export")
        elapsed = time.perf_counter() - started
        print(f"bench import-git synthetic: {FILES / elapsed:.0f} files/s")
        print(f"bench import-git synthetic: {size / elapsed / 1e6:.1f} MB/s")
        print(f"bench import-git / cat-file floor: {elapsed / floor:.1f} x")

        sample_export = ctx.sample / "export" if ctx.sample else None
        export = sample_export if sample_export and sample_export.exists() else Path(tmp) / "export"
        started = time.perf_counter()
        tables = read_export(ctx.spark, str(export))
        rows = sum(tables[t].count() for t in REQUIRED)
        elapsed = time.perf_counter() - started
        # tiny tables: this is mostly per-table job overhead (footer check, count job)
        print(f"bench spark read {len(REQUIRED)} export tables ({rows} rows): {elapsed:.1f} s")
