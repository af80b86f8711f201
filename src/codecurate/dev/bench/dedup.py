"""Near dedup: signature MB/s per core in Spark, whole-stage MB/s per core, peak memory, and
quality against brute-force ground truth.

Input: the sample export's files (through extract) if `ctx.sample/"export"` exists, else a
synthetic corpus: Python standard library sources, edits of a quarter of them at known
strengths (so there are pairs on both sides of the 0.7 threshold), and a block of
near-identical boilerplate files that makes one huge LSH bucket.

Ground truth: every pair with true Jaccard >= 0.7 on the same 5-gram shingle sets, found with
an exact prefix-filtered inverted index (All-Pairs, Bayardo et al. 2007) in plain Python, with
a tokeniser written here: nothing from the code under test.
"""

from __future__ import annotations

import hashlib
import math
import os
import random
import re
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path

from pyspark.sql import DataFrame

from codecurate import columns as C
from codecurate.config import Config, NearDedupConfig
from codecurate.dev.bench.common import sample_files
from codecurate.stages import near_dedup
from codecurate.stages.base import StageContext
from codecurate.text import minhash

SYNTHETIC_MB = 6.0  # base corpus; edits and boilerplate come on top (~30% more)
EDIT_SHARES = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.7)  # of lines given a new word
BOILERPLATE_FILES = 300
BASELINE_MB = 64.0  # driver-side baselines run on this much of the corpus: all of the sample,
# since MB/s depends on the files (shingles per byte) and ratios must compare like with like
_MIT = (
    "Permission is hereby granted, free of charge, to any person obtaining a copy of this "
    "software and associated documentation files (the \"Software\"), to deal in the Software "
    "without restriction, including without limitation the rights to use, copy, modify, merge, "
    "publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons "
    "to whom the Software is furnished to do so, subject to the following conditions: The above "
    "copyright notice and this permission notice shall be included in all copies or substantial "
    "portions of the Software. THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND."
)
_SCHEMA = (
    "blob_id string, repo_name string, path string, snapshot_id string, gha_license_id string, "
    "star_events_count long, fork_events_count long, revision_date timestamp, "
    "visit_date timestamp, content string"
)


def edit_lines(text: str, share: float, rng: random.Random, tag: str) -> str:
    """Insert a new word into about `share` of the non-blank lines (near-duplicate families)."""
    lines = []
    for i, line in enumerate(text.splitlines()):
        if line.strip() and rng.random() < share:
            words = line.split(" ")
            words.insert(rng.randrange(len(words) + 1), f"{tag}{i}")
            line = " ".join(words)
        lines.append(line)
    return "\n".join(lines)


def synthetic_texts(megabytes: float = SYNTHETIC_MB, seed: int = 7) -> list[tuple[str, str]]:
    """(repo/path, text) pairs: stdlib sources, edited copies and boilerplate."""
    rng = random.Random(seed)
    stdlib = Path(sys.base_prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    sources = sorted(p for p in stdlib.rglob("*.py") if "site-packages" not in p.parts)
    rng.shuffle(sources)
    texts, size = [], 0
    for source in sources:
        try:
            text = source.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if not 200 <= len(text) <= 200_000:
            continue
        name = str(source.relative_to(stdlib))
        texts.append((f"std/{name}", text))
        if rng.random() < 0.25:
            for k in range(rng.randint(1, 3)):
                share = rng.choice(EDIT_SHARES)
                texts.append((f"fork{k}/{name}", edit_lines(text, share, rng, f"q{k}x")))
        size += len(text)
        if size >= megabytes * 1e6:
            break
    for i in range(BOILERPLATE_FILES):
        texts.append((f"boiler{i}/LICENSE.py", f"# Copyright {1990 + i % 30} author{i}\n# {_MIT}\n"))
    return texts


def _frame(spark, texts: list[tuple[str, str]]) -> DataFrame:
    rows, seen = [], set()
    for name, text in texts:
        blob = hashlib.sha1(text.encode()).hexdigest()
        if blob in seen:  # exact dedup runs before near dedup
            continue
        seen.add(blob)
        repo, _, path = name.partition("/")
        rows.append((blob, repo, path, "s", None, None, None, None, None, text))
    return spark.createDataFrame(rows, _SCHEMA)


def _shingle_sets(docs: dict[str, str], ngram: int, min_tokens: int) -> dict[str, frozenset]:
    out = {}
    for key, text in docs.items():
        words = re.findall(r"\w+", (text or "").lower())
        if len(words) < min_tokens:
            continue
        grams = {" ".join(words[i:i + ngram]) for i in range(max(len(words) - ngram + 1, 1))}
        out[key] = frozenset(grams)
    return out


def similar_pairs(sets: dict[str, frozenset], threshold: float) -> dict[tuple[str, str], float]:
    """Every pair with Jaccard >= threshold, exactly: prefix filtering, then set arithmetic.

    With shingles ordered rarest first, two sets with J >= t share a shingle within the first
    |A| - ceil(t|A|) + 1 of each, so only those prefixes are indexed.
    """
    frequency: dict[str, int] = defaultdict(int)
    for grams in sets.values():
        for g in grams:
            frequency[g] += 1
    index: dict[str, list[str]] = defaultdict(list)
    pairs = {}
    for key in sorted(sets, key=lambda k: (len(sets[k]), k)):
        grams = sets[key]
        ordered = sorted(grams, key=lambda g: (frequency[g], g))
        prefix = ordered[: len(grams) - math.ceil(threshold * len(grams)) + 1]
        candidates = set()
        for g in prefix:
            candidates.update(index[g])
            index[g].append(key)
        for other in candidates:
            shared = len(grams & sets[other])
            jaccard = shared / (len(grams) + len(sets[other]) - shared)
            if jaccard >= threshold:
                pairs[(min(key, other), max(key, other))] = jaccard
    return pairs


def _peak_rss_mb() -> tuple[float, float]:
    """(driver Python, JVM + Python workers) peak resident memory, from VmHWM in /proc."""
    driver = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children[ppid].append(int(entry.name))
    total, stack = 0.0, list(children[os.getpid()])
    while stack:
        pid = stack.pop()
        stack.extend(children[pid])
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return driver, total


def _noop_seconds(frame: DataFrame) -> float:
    start = time.perf_counter()
    frame.write.format("noop").mode("overwrite").save()
    return time.perf_counter() - start


def run(ctx) -> None:
    spark = ctx.spark
    cores = max(int(ctx.cores), 1)
    cfg = Config(near_dedup=NearDedupConfig())
    nd = cfg.near_dedup
    files, source = None, "sample"
    try:
        files = sample_files(ctx)
        files = files.dropDuplicates([C.BLOB_ID]) if files is not None else None  # as after exact dedup
    except Exception as err:  # a broken sample must not hide the synthetic figures
        print(f"bench dedup: sample export unusable ({type(err).__name__}: {err}); using synthetic files")
    boilerplate: set[str] = set()
    if files is None:
        texts = synthetic_texts()
        files, source = _frame(spark, texts), "synthetic"
        boilerplate = {hashlib.sha1(t.encode()).hexdigest() for n, t in texts if n.startswith("boiler")}
    files = files.repartition(cores * 4).cache()
    docs = {r[C.BLOB_ID]: r[C.CONTENT] for r in files.select(C.BLOB_ID, C.CONTENT).collect()}
    size = sum(len((t or "").encode()) for t in docs.values())
    print(f"bench dedup input: {len(docs)} files, {size / 1e6:.1f} MB ({source})")

    # Driver-side baselines on the same text: datasketch bulk with its defaults, and ours.
    sample_texts, sample_size = [], 0
    for text in docs.values():
        if sample_size >= BASELINE_MB * 1e6:
            break
        sample_texts.append(text or "")
        sample_size += len((text or "").encode())
    from datasketch import MinHash

    start = time.perf_counter()
    shingled = [minhash.shingles(minhash.tokens(t), nd.ngram) for t in sample_texts]
    MinHash.bulk(shingled, num_perm=nd.num_perm, seed=nd.seed)
    bulk_rate = sample_size / 1e6 / (time.perf_counter() - start)
    start = time.perf_counter()
    minhash.signatures(sample_texts, nd.num_perm, nd.seed, nd.ngram, nd.min_tokens)
    ours_rate = sample_size / 1e6 / (time.perf_counter() - start)
    print(f"bench dedup datasketch bulk (default sha1) single core: {bulk_rate:.2f} MB/s")
    print(f"bench dedup our signatures, plain Python single core: {ours_rate:.2f} MB/s")

    # A full warm-up pass: every Python worker (one a core) pays its imports (datasketch pulls
    # in scipy, ~1-2 s) before the timed pass, as they do once per executor in a long run.
    _noop_seconds(near_dedup.signatures(files, nd))
    seconds = _noop_seconds(near_dedup.signatures(files, nd))
    spark_rate = size / 1e6 / seconds / cores
    print(f"bench dedup signatures in Spark per core: {spark_rate:.2f} MB/s")
    print(f"bench dedup Spark signatures vs datasketch bulk baseline: {spark_rate / bulk_rate:.2f} ratio")

    sctx = StageContext(spark=spark, checkpoint=lambda df: df.localCheckpoint(), log=lambda _: None)
    start = time.perf_counter()
    out = near_dedup.run(files, cfg, sctx).select(C.BLOB_ID, C.DROP_REASON, C.DUP_OF).localCheckpoint()
    decided = out.collect()
    seconds = time.perf_counter() - start
    print(f"bench dedup whole near-dedup stage per core: {size / 1e6 / seconds / cores:.2f} MB/s")
    for name in ("largest_bucket", "largest_component", "cc_rounds", "candidate_edges", "verified_edges",
                 "survivor_rounds"):
        print(f"bench dedup {name}: {sctx.metrics.get(name)} count")
    driver_mb, spark_mb = _peak_rss_mb()
    print(f"bench dedup peak memory driver python: {driver_mb:.0f} MB")
    print(f"bench dedup peak memory JVM + python workers (sum of VmHWM): {spark_mb:.0f} MB")

    sets = _shingle_sets(docs, nd.ngram, nd.min_tokens)
    truth = similar_pairs(sets, nd.threshold)
    removed = {r[C.BLOB_ID]: r[C.DUP_OF] for r in decided if r[C.DROP_REASON] == "near_duplicate"}
    kept = {r[C.BLOB_ID] for r in decided if r[C.DROP_REASON] is None}
    partners = defaultdict(set)
    for a, b in truth:
        partners[a].add(b)
        partners[b].add(a)
    _quality("all files", truth, partners, kept, removed)
    if boilerplate:
        # 300 boilerplate files make 44,850 pairs: judge the edited sources on their own too
        rest = {p: j for p, j in truth.items() if not set(p) & boilerplate}
        _quality("without boilerplate", rest, partners,
                 kept - boilerplate, {r: s for r, s in removed.items() if r not in boilerplate})
    files.unpersist()


def _quality(label: str, truth: dict, partners: dict, kept: set, removed: dict) -> None:
    strong = [p for p, j in truth.items() if j >= 0.8]
    both_left = sum(a in kept and b in kept for a, b in strong)
    justified = sum(bool(partners[r] & kept) for r in removed)
    to_survivor = sum(s in partners[r] for r, s in removed.items())
    print(f"bench dedup ground truth ({label}): {len(truth)} pairs with J>=0.7, {len(strong)} with "
          f"J>=0.8, {len(removed)} files removed")
    print(f"bench dedup J>=0.8 pairs with both files left ({label}): "
          f"{both_left / max(len(strong), 1):.4f} ratio")
    print(f"bench dedup removal precision, a kept partner with J>=0.7 ({label}): "
          f"{justified / max(len(removed), 1):.4f} ratio")
    print(f"bench dedup removal precision, J(file, dup_of)>=0.7 ({label}): "
          f"{to_survivor / max(len(removed), 1):.4f} ratio")
