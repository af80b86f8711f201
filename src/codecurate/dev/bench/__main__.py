"""`make bench`: build the sample if needed, then print every module's figures.

Figures are measured in one run on a shared machine: compare ratios within a run, not
absolute numbers across runs.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

MODULES = ("extract", "optout", "licenses", "license_packages", "languages", "quality", "dedup", "pii", "release",
           "e2e", "incremental")


@dataclass
class BenchContext:
    spark: object
    sample: Path
    cores: int
    work: Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codecurate.dev.bench")
    parser.add_argument("--sample", default="sample", help="sample directory (built if missing)")
    parser.add_argument("--only", nargs="*", choices=MODULES, help="run only these benchmarks")
    parser.add_argument("--work", default="out/bench", help="scratch directory")
    args = parser.parse_args(argv)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")

    from codecurate.config import SparkConfig
    from codecurate.dev.sample import build_sample
    from codecurate.spark.session import build_session

    sample = Path(args.sample)
    if not (sample / "export").exists():
        print(f"bench: building the sample in {sample} first", file=sys.stderr)
        build_sample(sample)
    cores = 2
    spark = build_session(SparkConfig(master=f"local[{cores}]", shuffle_partitions=8, show_progress=False))
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    spark.sparkContext.setCheckpointDir(str((work / "checkpoints").absolute()))
    ctx = BenchContext(spark=spark, sample=sample.absolute(), cores=cores, work=work.absolute())
    failed = []
    for name in args.only or MODULES:
        try:
            module = importlib.import_module(f"codecurate.dev.bench.{name}")
        except ModuleNotFoundError:
            continue
        started = time.monotonic()
        print(f"== {name}", flush=True)
        try:
            module.run(ctx)
        except Exception as err:  # one broken benchmark must not hide the others' figures
            failed.append(name)
            print(f"bench {name}: FAILED: {type(err).__name__}: {err}", flush=True)
        print(f"   ({time.monotonic() - started:.0f} s)", flush=True)
    spark.stop()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
