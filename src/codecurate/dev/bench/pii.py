"""PII: recall and false positives on the labelled cases (pii_cases), then the stage's
throughput beside a full detect-secrets scan of the same files, in one run.

Per-core figures are measured single-threaded in this process (the stage's per-row work is
plain Python, one file at a time), plus the Spark stage end to end over all cores. Findings are
compared as (file, line, type, value) sets; only their counts are printed, never a value.
"""

from __future__ import annotations

import re
import time

from codecurate import columns as C
from codecurate.config import Config
from codecurate.dev.bench import pii_cases
from codecurate.dev.bench.common import sample_files, site_packages_files
from codecurate.stages import pii as stage
from codecurate.stages.base import StageContext
from codecurate.text import pii

# A full scan runs ~0.1-0.2 MB/s here: 2 MB keeps it under ~20 s while findings still show up.
COMPARE_BYTES = 2_000_000
SITE_PACKAGES_BYTES = 6_000_000
_CREDENTIAL_WORDS = re.compile(r"(?i)password|secret|token|api_?key")


def _take(files, limit):
    out, total = [], 0
    for path, text in files:
        out.append((path, text))
        total += len(text)
        if total >= limit:
            break
    return out, total


def labelled_cases() -> None:
    """Recall per planted form and false-positive rate per near-miss form (pii_cases)."""
    opts = Config().pii
    results: dict[tuple[bool, str], list[str]] = {}
    start = time.perf_counter()
    size = 0
    for case in pii_cases.cases():
        out = pii.redact(case.text, case.path, opts).text
        size += len(case.text)
        results.setdefault((case.positive, case.form), []).append(pii_cases.outcome(case, out))
    took = time.perf_counter() - start
    positives = {form: r for (positive, form), r in results.items() if positive}
    negatives = {form: r for (positive, form), r in results.items() if not positive}
    n_pos = sum(map(len, positives.values()))
    n_neg = sum(map(len, negatives.values()))
    print(f"bench pii labelled cases: {n_pos} planted in {len(positives)} forms, "
          f"{n_neg} near-misses in {len(negatives)} forms ({size / 1e3:.0f} kB, {took:.2f} s)")
    for form, outcomes in positives.items():
        caught = sum(o != "missed" for o in outcomes)
        exact = outcomes.count("caught")
        print(f"bench pii recall {form}: {caught}/{len(outcomes)} = {caught / len(outcomes):.1%}"
              f" (exact {exact})")
    for form, outcomes in negatives.items():
        changed = outcomes.count("changed")
        print(f"bench pii false positives {form}: {changed}/{len(outcomes)} = "
              f"{changed / len(outcomes):.1%}")
    caught = sum(o != "missed" for r in positives.values() for o in r)
    exact = sum(o == "caught" for r in positives.values() for o in r)
    changed = sum(o == "changed" for r in negatives.values() for o in r)
    locks = [o for form in pii_cases.LOCK_FORMS for o in negatives.get(form, [])]
    print(f"bench pii recall overall: {caught}/{n_pos} = {caught / n_pos:.1%} (target 100%)")
    print(f"bench pii exact redactions (only the secret replaced): {exact}/{n_pos}")
    print(f"bench pii near-miss false-positive rate: {changed}/{n_neg} = {changed / n_neg:.1%}"
          " (target <= 1%)")
    print(f"bench pii lock and checksum files changed: {locks.count('changed')}/{len(locks)} (target 0)")


def run(ctx) -> None:
    labelled_cases()
    files = None
    try:
        frame = sample_files(ctx)
        files = None if frame is None else [
            (r[C.PATH], r[C.CONTENT]) for r in frame.select(C.PATH, C.CONTENT).collect() if r[C.CONTENT]]
    except Exception as err:  # a broken sample must not hide the figures on real code
        print(f"bench pii: sample export unusable ({type(err).__name__}); using site-packages")
    source = "sample"
    if not files:
        files, source = site_packages_files(SITE_PACKAGES_BYTES), "site-packages"
    size = sum(len(text) for _, text in files)
    print(f"bench pii input: {len(files)} files, {size / 1e6:.1f} MB ({source})")
    pii._detect_secrets()  # configure once, outside the timings

    # Files that talk about credentials first: more findings to compare, and more candidate
    # lines for the prefilter (a conservative speed figure).
    talky = [f for f in files if _CREDENTIAL_WORDS.search(f[1])]
    rest = [f for f in files if not _CREDENTIAL_WORDS.search(f[1])]
    compare, compare_size = _take(talky + rest, COMPARE_BYTES)
    start = time.perf_counter()
    full = set()
    for path, text in compare:
        full.update((path,) + f for f in pii.detect_secrets_findings(text.split("\n"), path))
    full_s = time.perf_counter() - start

    start = time.perf_counter()
    fast = set()
    for path, text in compare:
        layout = pii._Layout(text, Config().pii.max_line_chars)
        numbers = pii.candidate_lines(layout)
        fast.update((path,) + f for f in pii.detect_secrets_findings(layout.scan_lines, path, numbers))
    fast_s = time.perf_counter() - start

    opts = Config().pii
    start = time.perf_counter()
    for path, text in compare:
        pii.redact(text, path, opts)
    redact_compare_s = time.perf_counter() - start

    # Every input file, timed in CPU seconds of this process: on a shared machine the wall
    # clock also counts other people's work.
    start = time.process_time()
    for path, text in files:
        pii.redact(text, path, opts)
    redact_all_cpu_s = time.process_time() - start

    mb = compare_size / 1e6
    print(f"bench pii full detect-secrets scan MB/s per core: {mb / full_s:.3f} MB/s")
    print(f"bench pii prefiltered detect-secrets MB/s per core: {mb / fast_s:.3f} MB/s")
    print(f"bench pii redact (all detectors) MB/s per core: {mb / redact_compare_s:.3f} MB/s")
    print(f"bench pii redact (all detectors) MB/s per core, all {size / 1e6:.1f} MB, CPU time: "
          f"{size / 1e6 / redact_all_cpu_s:.3f} MB/s (target >= 3)")
    speedup = full_s / redact_compare_s
    print(f"bench pii speed-up of the stage's per-file work over a full scan: {speedup:.1f} x")
    print(f"bench pii full-scan findings on {mb:.1f} MB: {len(full)} findings")
    print(f"bench pii prefiltered findings on the same files: {len(fast)} findings")
    print(f"bench pii findings lost by the prefilter: {len(full - fast)} findings")

    # The Spark stage over every file, all cores: Arrow batches, worker start-up included.
    spark = ctx.spark
    cores = max(int(ctx.cores), 1)
    frame = spark.createDataFrame(files, f"{C.PATH} string, {C.CONTENT} string")
    frame = frame.repartition(cores * 2).cache()
    frame.count()
    sctx = StageContext(spark=spark, checkpoint=lambda df: df.localCheckpoint())
    stage.run(frame.limit(50), Config(), sctx).write.format("noop").mode("overwrite").save()
    start = time.perf_counter()
    stage.run(frame, Config(), sctx).write.format("noop").mode("overwrite").save()
    stage_s = time.perf_counter() - start
    print(f"bench pii spark stage MB/s per core: {size / 1e6 / stage_s / cores:.3f} MB/s")
    frame.unpersist()
