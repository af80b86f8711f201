"""Licenses stage: throughput (all files/s, license files/s) and agreement with declared licenses.

Input: the sample export's files (run through extract) if `ctx.sample/"export"` exists, else a
synthetic tree of repositories built from real license texts on this machine. If
`ctx.sample/"declared_licenses.json"` exists (repo_name -> the license the package declares in
its own metadata), the licenses ScanCode found in each repository's root license files are
compared with it.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
import time
from pathlib import Path

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from codecurate import columns as C
from codecurate.config import Config
from codecurate.dev.bench.common import sample_files
from codecurate.stages import licenses as stage
from codecurate.stages.base import StageContext
from codecurate.text import licenses as L

SYNTHETIC_PACKAGES = 30  # ScanCode runs ~1-5 license files/s/core: keep the bench to minutes
SOURCE_FILES_PER_REPO = 50
COMMON = Path("/usr/share/common-licenses")
SITE = Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"

# trove classifiers -> SPDX, for packages that declare no SPDX id (setuptools metadata)
CLASSIFIERS = {
    "License :: OSI Approved :: MIT License": "MIT",
    "License :: OSI Approved :: Apache Software License": "Apache-2.0",
    "License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "License :: OSI Approved :: ISC License (ISCL)": "ISC",
    "License :: OSI Approved :: BSD License": "BSD-*",  # any BSD variant agrees
}


def _installed_packages(limit: int) -> list[tuple[str, dict, list[tuple[str, str]]]]:
    """(repo_name, declared metadata, [(path, license text)]) of installed packages, by name."""
    from email.parser import Parser

    found = []
    for info in sorted(SITE.glob("*.dist-info")):
        texts = [p for p in sorted((info / "licenses").glob("*")) if p.is_file()] if (info / "licenses").is_dir() \
            else sorted(p for p in info.glob("LICEN[CS]E*") if p.is_file())
        if not texts or not (info / "METADATA").exists():
            continue
        meta = Parser().parsestr((info / "METADATA").read_text(errors="replace"), headersonly=True)
        declared = {"license_expression": meta.get("License-Expression"), "license": meta.get("License"),
                    "classifiers": [c for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]}
        found.append((f"pypi/{meta.get('Name', info.name).lower()}", declared,
                      [(p.name, p.read_text(errors="replace")) for p in texts]))
    rng = random.Random(7)
    return sorted(rng.sample(found, min(limit, len(found))))


def synthetic_files(spark, packages: int = SYNTHETIC_PACKAGES) -> tuple[DataFrame, dict]:
    """Installed packages' real license files at the root of made-up trees of source files."""
    rng = random.Random(7)
    gpl = (COMMON / "GPL-3").read_text() if (COMMON / "GPL-3").exists() else "GNU GENERAL PUBLIC LICENSE Version 3"
    rows, declared = [], {}
    for r, (repo, meta, texts) in enumerate(_installed_packages(packages)):
        declared[repo] = meta
        snapshot = f"{r:040x}"
        rows += [(repo, snapshot, name, None, text) for name, text in texts]
        rows.append((repo, snapshot, "README.md", None, f"# {repo}\n\nSee the license files.\n"))
        if r % 4 == 0:  # a vendored folder under its own (copyleft) license
            rows.append((repo, snapshot, "vendor/dep/COPYING", None, gpl))
        for i in range(SOURCE_FILES_PER_REPO):
            folder = rng.choice(["", "src/", "src/core/", "vendor/dep/", "tests/"])
            body = "".join(f"def f{i}_{k}(x):\n    return x * {k}\n\n" for k in range(rng.randint(10, 60)))
            header = "# SPDX-License-Identifier: MIT\n" if i % 10 == 0 else ""
            rows.append((repo, snapshot, f"{folder}m{i}.py", None, header + body))
    rows = [(repo, snap, path, hashlib.sha1(text.encode()).hexdigest(), gha, text)
            for repo, snap, path, gha, text in rows]  # blob_id = sha1 of the content, as extract sets it
    frame = spark.createDataFrame(
        rows, f"{C.REPO_NAME} string, {C.SNAPSHOT_ID} string, {C.PATH} string, {C.BLOB_ID} string, "
              f"{C.GHA_LICENSE_ID} string, {C.CONTENT} string")
    return frame, declared


def _declared_file(ctx) -> dict:
    path = Path(ctx.sample) / "declared_licenses.json" if ctx.sample else None
    return json.loads(path.read_text()) if path is not None and path.exists() else {}


def _declared_ids(raw: dict) -> dict[str, set[str]]:
    """repo -> SPDX ids from {repo: {license_expression, license, classifiers}} (or a bare string)."""
    tables = L.load_tables()
    declared = {}
    for repo, meta in raw.items():
        text = meta.get("license_expression") or meta.get("license") if isinstance(meta, dict) else meta
        ids = set(L.spdx_header_ids(f"SPDX-License-Identifier: {text}", tables)) if text else set()
        ids = {x for x in ids if x.lower() in tables.aliases}  # "UNKNOWN", free text: not an id
        if not ids and isinstance(meta, dict):
            ids = {CLASSIFIERS[c] for c in meta.get("classifiers", []) if c in CLASSIFIERS}
        if ids:
            declared[repo] = ids
    return declared


def _agrees(declared: set[str], detected: set[str]) -> bool:
    for spdx_id in declared:
        if spdx_id == "BSD-*":
            if not any(x.startswith("BSD-") for x in detected):
                return False
        elif spdx_id not in detected:
            return False
    return True


def run(ctx) -> None:
    spark = ctx.spark
    cores = max(int(ctx.cores), 1)
    files, source, declared = None, "sample", {}
    try:
        files = sample_files(ctx)
        declared = _declared_ids(_declared_file(ctx))
    except Exception as err:  # a broken sample must not hide the synthetic figures
        print(f"bench licenses: sample export unusable ({type(err).__name__}: {err}); using synthetic files")
    if files is None:
        files, raw = synthetic_files(spark)
        source, declared = "synthetic: installed packages' license files", _declared_ids(raw)
    files = files.repartition(cores * 2).cache()
    n = files.count()
    print(f"bench licenses input: {n} files ({source})")

    cfg = Config()
    # Start the Python workers and load the ScanCode index in each (~7-11 s, ~1.4 GB per worker),
    # so that the timed runs measure scanning, not start-up.
    warm = spark.createDataFrame(
        [(f"warm/{i}", "0", "LICENSE", f"{i:040x}", None, "MIT License") for i in range(cores * 4)],
        files.select(C.REPO_NAME, C.SNAPSHOT_ID, C.PATH, C.BLOB_ID, C.GHA_LICENSE_ID, C.CONTENT).schema,
    ).repartition(cores)
    start = time.perf_counter()
    stage.scan_license_files(warm, cfg.licenses).write.format("noop").mode("overwrite").save()
    print(f"bench licenses worker warm-up incl. index load: {time.perf_counter() - start:.1f} s")

    start = time.perf_counter()
    scans = stage.scan_license_files(files, cfg.licenses).localCheckpoint(eager=True)
    scan_seconds = time.perf_counter() - start
    m = scans.count()
    print(f"bench licenses license files: {m} files ({m / max(n, 1):.3f} ratio of all)")
    print(f"bench licenses scancode license files/s per core: {m / scan_seconds / cores:.2f} files/s")

    sctx = StageContext(spark=spark, checkpoint=lambda df: df.localCheckpoint(eager=True), log=lambda _: None)
    start = time.perf_counter()
    out = stage.run(files, cfg, sctx).localCheckpoint(eager=True)
    seconds = time.perf_counter() - start
    print(f"bench licenses stage all files/s per core: {n / seconds / cores:.1f} files/s")
    print(f"bench licenses stage license files/s per core: {m / seconds / cores:.2f} files/s")
    print(f"bench licenses scan share of stage time: {scan_seconds / seconds:.2f} ratio")
    for row in out.groupBy(C.LICENSE_TYPE).count().orderBy(C.LICENSE_TYPE).collect():
        print(f"bench licenses license_type {row[C.LICENSE_TYPE]}: {row['count']} files")
    print(f"bench licenses scan statuses: {json.dumps(sctx.metrics.get('license_files_by_scan_status'))}")
    m_ = sctx.metrics
    print(f"bench licenses license files per core-second (ScanCode in workers): "
          f"{m_.get('license_files_per_core_second')} files/s")
    print(f"bench licenses distinct normalised texts scanned: {m_.get('license_texts_scanned')} of "
          f"{m_.get('license_files')} license files; cache hit ratio {m_.get('license_scan_cache_hit_ratio')}")
    print(f"bench licenses share of texts needing the approximate pass: {m_.get('license_scan_approximate_share')}")
    mb = files.select(F.sum(F.length(C.CONTENT))).first()[0] / 1e6
    print(f"bench licenses stage input: {mb:.1f} MB, {mb / seconds / cores:.2f} MB/s per core (target >= 5)")
    kept_ids = out.filter(F.col(C.DROP_REASON).isNull()).select(F.explode(C.DETECTED_LICENSES).alias("id"))
    kept_copyleft = sorted(r["id"] for r in kept_ids.distinct().collect() if L.NEVER_PERMISSIVE.match(r["id"]))
    print(f"bench licenses copyleft ids on kept files (must be 0): {len(kept_copyleft)} ids {kept_copyleft}")

    if declared:
        root = (scans.filter(stage.license_dir(F.col(C.PATH)) == "")
                .groupBy(C.REPO_NAME).agg(F.flatten(F.collect_list(
                    F.filter(stage.EVIDENCE, lambda e: e["files"].isNull())["id"])).alias("ids")))  # not stanzas
        detected = {r[C.REPO_NAME]: set(r["ids"]) for r in root.collect()}
        both = sorted(set(declared) & set(detected))
        agree = [repo for repo in both if _agrees(declared[repo], detected[repo])]
        notices = L.load_tables().notices | {L.UNKNOWN_REFERENCE}
        exact = [repo for repo in agree if len(declared[repo]) == len(detected[repo] - notices)]
        for repo in sorted(set(both) - set(agree)):
            print(f"bench licenses disagreement {repo}: declared {sorted(declared[repo])} "
                  f"detected {sorted(detected[repo])}")
        print(f"bench licenses declared packages found with root license files: {len(both)} of {len(declared)}")
        print(f"bench licenses agreement with declared licenses (declared found): "
              f"{len(agree) / max(len(both), 1):.3f} ratio")
        print(f"bench licenses exact agreement (nothing else detected): {len(exact) / max(len(both), 1):.3f} ratio")
    scan_agreement(files)
    files.unpersist()


def scan_agreement(files: DataFrame, limit: int = 400) -> None:
    """Exact-first scans against ScanCode's full approximate detection, text by text, one process.

    Agreement: the same set of SPDX ids. Timing is one core's, both ways, index already loaded.
    """
    from licensedcode.detection import detect_licenses

    located = files.filter(stage._is_license_file(F.col(C.PATH))).select(C.BLOB_ID, C.CONTENT)
    texts = [r[C.CONTENT] for r in located.dropDuplicates([C.BLOB_ID]).orderBy(C.BLOB_ID).limit(limit).collect()]
    sc = L.scancode()
    options = stage.scan_options(Config().licenses)
    fast_s = full_s = 0.0
    same = approx = 0
    differ = []
    for text in texts:
        start = time.perf_counter()
        fast = L.scan_license_text(text, options=options)
        fast_s += time.perf_counter() - start
        start = time.perf_counter()
        full = set()
        for detection in detect_licenses(index=sc.index, query_string=L.cap_text(text, options.max_bytes)):
            if detection.license_expression:
                full.update(sc.spdx_ids(detection.license_expression))
        full_s += time.perf_counter() - start
        approx += fast.approximate
        if set(fast.licenses) == full:
            same += 1
        else:
            differ.append(sorted(set(fast.licenses) ^ full))
    n = max(len(texts), 1)
    print(f"bench licenses exact-first vs full approximate: {same} of {len(texts)} distinct license texts "
          f"agree ({same / n:.3f} ratio); approximate pass on {approx / n:.3f} of them")
    print(f"bench licenses one core: exact-first {len(texts) / max(fast_s, 1e-9):.1f} texts/s, "
          f"full approximate {len(texts) / max(full_s, 1e-9):.2f} texts/s ({full_s / max(fast_s, 1e-9):.0f}x)")
    for ids in differ[:10]:
        print(f"bench licenses exact-first vs full differs on ids: {ids}")
