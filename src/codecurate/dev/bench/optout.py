"""Opt-out matching at scale: a large list (default 10M entries) against many files.

The list is matched as a Spark join (codecurate.stages.optout.with_opted_out), so its size
costs a shuffle, not driver memory. Prints the time to validate the list at start-up
(check_optout_list, one pass in the driver at constant memory), to flag the files, and the
count flagged, which is checked against the number planted.

    python -m codecurate.dev.bench --only optout
    CODECURATE_BENCH_OPTOUT_ENTRIES=1000000 python -m codecurate.dev.bench --only optout
"""

from __future__ import annotations

import os
import time

from pyspark.sql import functions as F

from codecurate import columns as C
from codecurate.stages.optout import optout_entries, with_opted_out
from codecurate.text.optout import check_optout_list

ENTRIES = int(os.environ.get("CODECURATE_BENCH_OPTOUT_ENTRIES", "10000000"))
FILES = 1_000_000
REPOS = 100_000
OPTED_OUT_EVERY = 100  # every 100th repository is listed (half by owner/repo, half by owner)


def write_list(path, entries: int, repos: int) -> int:
    """`entries` lines: the planted repos' owners or owner/repos first, then filler names no
    file has. Returns how many of the `repos` repositories the list opts out."""
    planted = 0
    with open(path, "w", encoding="utf-8") as out:
        for i in range(0, repos, OPTED_OUT_EVERY):
            # repository i is owner{i % 1000}-r{i}/repo{i}: one owner per repository here
            out.write(f"Owner{i}-R{i}/Repo{i}\n" if (i // OPTED_OUT_EVERY) % 2 else f"owner{i}-r{i}\n")
            planted += 1
        for i in range(entries - planted):
            out.write(f"nobody{i}/none\n" if i % 3 else f"# filler {i}\n")
    return planted


def run(ctx) -> None:
    spark = ctx.spark
    path = ctx.work / "optout-bench.txt"
    started = time.monotonic()
    planted = write_list(path, ENTRIES, REPOS)
    print(f"bench optout list: {ENTRIES:,} lines written in {time.monotonic() - started:.1f} s")

    started = time.monotonic()
    summary = check_optout_list(path)
    print(f"bench optout start-up check: {summary.entries:,} entries validated in "
          f"{time.monotonic() - started:.1f} s (constant driver memory)")

    files = (spark.range(FILES)
             .select(F.concat(F.lit("owner"), (F.col("id") % REPOS).cast("string"), F.lit("-r"),
                              (F.col("id") % REPOS).cast("string"), F.lit("/repo"),
                              (F.col("id") % REPOS).cast("string")).alias(C.REPO_NAME),
                     F.col("id").cast("string").alias(C.PATH)))
    started = time.monotonic()
    flagged = with_opted_out(files, optout_entries(spark, str(path)), "_out")
    out = flagged.filter("_out").count()
    seconds = time.monotonic() - started
    expected = planted * (FILES // REPOS)
    print(f"bench optout join: {FILES:,} files x {summary.entries:,} entries in {seconds:.1f} s "
          f"({FILES / seconds:,.0f} files/s); {out:,} flagged, expected {expected:,}"
          f"{'' if out == expected else '  MISMATCH'}")
    path.unlink()
