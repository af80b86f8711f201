"""quality and decontaminate: per-core MB/s of the per-file work, the Spark stages end to end,
and how many files each rule removes, on real files (the sample's, or installed packages').

Per-core figures are measured single-threaded in this process (the stages' per-row work is
plain Python); the Spark figures run the stages over all cores, worker start-up included. The
quality stage must run at >= 20 MB/s per core.
"""

from __future__ import annotations

import time
from collections import Counter

from codecurate import columns as C
from codecurate.config import Config
from codecurate.dev.bench.common import sample_files, site_packages_files
from codecurate.stages import decontaminate as dstage
from codecurate.stages import quality as qstage
from codecurate.stages.base import StageContext
from codecurate.text import languages as langs
from codecurate.text import quality

SITE_PACKAGES_BYTES = 30_000_000
TEXT_SUFFIXES = {".py", ".pyi", ".c", ".h", ".js", ".json", ".html", ".md", ".txt", ".rst", ".yaml",
                 ".yml", ".toml", ".cfg", ".xml", ".css", ".sh", ".java", ".scala", ".R", ".sql"}
REQUIRED_MB_S = 20.0
# A fixed pure-Python loop, ~0.12 s on an idle core of these machines: timing it next to the
# stage says how much of a core this process really got on a shared machine.
IDLE_REFERENCE_S = 0.12


def _core_share() -> float:
    start = time.perf_counter()
    sum(range(10**7))
    return min(1.0, IDLE_REFERENCE_S / (time.perf_counter() - start))


def run(ctx) -> None:
    frame = sample_files(ctx)
    files = [] if frame is None else [
        (r[C.PATH], r[C.CONTENT]) for r in frame.select(C.PATH, C.CONTENT).collect() if r[C.CONTENT]]
    source = f"sample ({len(files)} files) + site-packages"
    files += site_packages_files(SITE_PACKAGES_BYTES, tuple(TEXT_SUFFIXES))
    found = langs.detect_batch([p for p, _ in files], [t for _, t in files], "none", 64)
    rows = [(p, t, d.language, d.is_generated) for (p, t), d in zip(files, found, strict=True)]
    size = sum(len(t.encode()) for _, t in files)
    print(f"bench quality input: {len(rows)} files, {size / 1e6:.1f} MB ({source})")

    cfg = Config()
    rules = qstage.rules(cfg.quality)
    start = time.perf_counter()
    reasons = Counter(quality.file_reason(t, lang, gen, rules) for _, t, lang, gen in rows)
    quality_s = time.perf_counter() - start
    share = _core_share()
    mb_s = size / 1e6 / quality_s
    print(f"bench quality rules MB/s per core: {mb_s:.1f} MB/s, with {share:.0%} of a core "
          f"(a reference loop's speed); scaled to a whole core: {mb_s / share:.1f} MB/s "
          f"({'meets' if mb_s / share >= REQUIRED_MB_S else 'BELOW'} the {REQUIRED_MB_S:.0f} MB/s target)")
    for reason in quality.RULE_ORDER:
        print(f"bench quality removed by {reason.value}: {reasons.get(reason, 0)} files")
    print(f"bench quality kept: {reasons.get(None, 0)} of {len(rows)} files")

    index, described = dstage.load(cfg.decontaminate)
    start = time.perf_counter()
    matched = sum(1 for _, t, _, _ in rows if index.match(t) is not None)
    match_s = time.perf_counter() - start
    share = _core_share()
    print(f"bench decontaminate match MB/s per core: {size / 1e6 / match_s:.1f} MB/s, with {share:.0%} "
          f"of a core; scaled to a whole core: {size / 1e6 / match_s / share:.1f} MB/s "
          f"({len(index.strings)} strings of {', '.join(d['name'] for d in described)})")
    print(f"bench decontaminate files matched (real code, expected 0): {matched}")

    spark = ctx.spark
    cores = max(int(ctx.cores), 1)
    frame = spark.createDataFrame(rows, f"{C.PATH} string, {C.CONTENT} string, {C.LANGUAGE} string, "
                                        f"{C.IS_GENERATED} boolean").repartition(cores * 4).cache()
    frame.count()
    sctx = StageContext(spark=spark, checkpoint=lambda df: df.localCheckpoint())
    for name, stage in (("quality", qstage.STAGE), ("decontaminate", dstage.STAGE)):
        stage.run(frame.limit(50), cfg, sctx).write.format("noop").mode("overwrite").save()  # warm workers
        start = time.perf_counter()
        stage.run(frame, cfg, sctx).write.format("noop").mode("overwrite").save()
        seconds = time.perf_counter() - start
        print(f"bench {name} spark stage MB/s per core: {size / 1e6 / seconds / cores:.1f} MB/s")
    frame.unpersist()
