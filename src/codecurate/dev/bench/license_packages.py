"""License agreement benchmark (issue 13 part 5): real package trees, their declared licenses.

Trees: every installed distribution in this venv with a RECORD (its files as installed, its
dist-info license files at the root, its long description as README.md), plus source
distributions of copyleft/LGPL/MPL packages fetched at bench time with
`pip download --no-binary :all: --no-deps` (PyPI is the only network use; without it they are
skipped and the figure says so). Truth: the package's declared License-Expression / License /
trove classifiers, except the packages in configs/data/licenses/bench_exceptions.tsv, whose
expected outcome is written there with the reason.

Scoring (pure Python, tested offline in tests/test_licenses_bench.py): a file agrees when it is
kept and its package is expected kept, or dropped and its package is expected dropped.
"""

from __future__ import annotations

import csv
import hashlib
import subprocess
import sys
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.parser import Parser
from pathlib import Path

from codecurate.resources import data_file
from codecurate.text import licenses as L

SITE = Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
EXCEPTIONS = data_file("licenses") / "bench_exceptions.tsv"
MAX_FILES_PER_PACKAGE = 120  # license files and README always; the rest sampled by path hash
MAX_FILE_BYTES = 256 * 1024
# Non-permissive packages fetched as sdists (pinned: the figure must not move with releases).
SDISTS = (
    "pylint==3.3.1",  # GPL-2.0
    "astroid==3.3.5",  # LGPL-2.1
    "paramiko==3.5.0",  # LGPL-2.1
    "chardet==5.2.0",  # LGPL-2.1
    "mutagen==1.47.0",  # GPL-2.0-or-later
    "psycopg2==2.9.10",  # LGPL-3.0 with exceptions
    "pyenchant==3.2.2",  # LGPL-2.1
    "pycountry==24.6.1",  # LGPL-2.1
)

# trove classifiers -> SPDX, for packages that declare no SPDX id (setuptools metadata)
CLASSIFIERS = {
    "License :: OSI Approved :: MIT License": "MIT",
    "License :: OSI Approved :: Apache Software License": "Apache-2.0",
    "License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "License :: OSI Approved :: ISC License (ISCL)": "ISC",
    "License :: OSI Approved :: BSD License": "BSD-3-Clause",  # a BSD variant: permissive either way
    "License :: OSI Approved :: GNU General Public License v2 (GPLv2)": "GPL-2.0-only",
    "License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)": "GPL-2.0-or-later",
    "License :: OSI Approved :: GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
    "License :: OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)": "LGPL-2.0-only",
    "License :: OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)": "LGPL-2.0-or-later",
    "License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    "License :: OSI Approved :: GNU Library or Lesser General Public License (LGPL)": "LGPL-2.1-only",
    "License :: OSI Approved :: Python Software Foundation License": "Python-2.0",
}
KEEP, DROP = "keep", "drop"


@dataclass
class PackageTree:
    repo: str
    declared: set[str]
    files: list[tuple[str, str]] = field(default_factory=list)  # (path, text)


def declared_ids(meta: dict, tables: L.LicenseTables) -> set[str]:
    """SPDX ids from License-Expression, else License (when it is an expression), else classifiers."""
    for text in (meta.get("license_expression"), meta.get("license")):
        if text and len(text) < 200:
            ids = set(L.spdx_header_ids(f"SPDX-License-Identifier: {text}", tables))
            ids = {x for x in ids if x.lower() in tables.aliases}  # "UNKNOWN", free text: not an id
            if ids:
                return ids
    return {CLASSIFIERS[c] for c in meta.get("classifiers", []) if c in CLASSIFIERS}


def _meta(text: str) -> tuple[str, dict, str]:
    msg = Parser().parsestr(text)
    meta = {"license_expression": msg.get("License-Expression"), "license": msg.get("License"),
            "classifiers": [c for c in msg.get_all("Classifier") or [] if c.startswith("License ::")]}
    body = msg.get_payload() if isinstance(msg.get_payload(), str) else ""
    return (msg.get("Name") or "").lower(), meta, body


def _text(data: bytes) -> str | None:
    if len(data) > MAX_FILE_BYTES or b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _sample(files: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """License files and READMEs (shallowest first, at most a third of the cap: scancode-toolkit
    ships thousands of license texts as data), then other files by a hash of their path."""
    legal = sorted((f for f in files if L.is_license_file(f[0])), key=lambda f: (f[0].count("/"), f[0]))
    legal = legal[: MAX_FILES_PER_PACKAGE // 3]
    rest = sorted((f for f in files if not L.is_license_file(f[0])),
                  key=lambda f: hashlib.sha1(f[0].encode()).hexdigest())
    return sorted(legal + rest[: max(MAX_FILES_PER_PACKAGE - len(legal), 0)])


def installed_trees(tables: L.LicenseTables) -> list[PackageTree]:
    trees = []
    for info in sorted(SITE.glob("*.dist-info")):
        if not (info / "METADATA").exists() or not (info / "RECORD").exists():
            continue
        name, meta, body = _meta((info / "METADATA").read_text(errors="replace"))
        declared = declared_ids(meta, tables)
        if not name or not declared:
            continue
        files = [("README.md", body)] if body.strip() else []
        for row in csv.reader((info / "RECORD").read_text(errors="replace").splitlines()):
            rel = row[0] if row else ""
            if not rel or rel.startswith(("..", "/")) or rel.endswith(".pyc"):
                continue
            if rel.startswith(info.name + "/"):
                inner = rel[len(info.name) + 1:]
                if inner.startswith("licenses/"):
                    rel = inner[len("licenses/"):]
                elif L.is_license_file(inner) and "/" not in inner:
                    rel = inner
                else:
                    continue  # METADATA, RECORD, WHEEL: packaging, not the package
            path = SITE / row[0]
            text = _text(path.read_bytes()) if path.is_file() else None
            if text is not None:
                files.append((rel, text))
        trees.append(PackageTree(f"pypi/{name}", declared, _sample(files)))
    return trees


def fetch_sdists(cache: Path) -> list[Path]:
    """Download the pinned sdists once into `cache`; whatever cannot be fetched is skipped."""
    cache.mkdir(parents=True, exist_ok=True)
    found = []
    for spec in SDISTS:
        name, version = spec.split("==")
        have = sorted(cache.glob(f"{name.replace('-', '?')}-{version}.tar.gz")) + sorted(
            cache.glob(f"{name.replace('-', '_')}-{version}.tar.gz"))
        if not have:
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps",
                            "--quiet", "-d", str(cache), spec], check=False, capture_output=True, timeout=300)
            have = sorted(cache.glob(f"{name.replace('-', '?')}-{version}.tar.gz"))
        found += have[:1]
    return found


def sdist_tree(archive: Path, tables: L.LicenseTables) -> PackageTree | None:
    files, meta_text = [], None
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            if not member.isfile() or "/" not in member.name:
                continue
            rel = member.name.split("/", 1)[1]
            data = tar.extractfile(member).read()
            if rel == "PKG-INFO":
                meta_text = data.decode("utf-8", errors="replace")
                continue
            text = _text(data)
            if text is not None:
                files.append((rel, text))
    if meta_text is None:
        return None
    name, meta, _ = _meta(meta_text)
    declared = declared_ids(meta, tables)
    return PackageTree(f"pypi-sdist/{name}", declared, _sample(files)) if declared else None


def load_exceptions(path: Path | None = None) -> dict[str, tuple[str, str]]:
    """repo -> (expected outcome, reason) from the reviewable table."""
    with (path or EXCEPTIONS).open(newline="") as handle:
        rows = csv.DictReader((line for line in handle if not line.startswith("#")), delimiter="\t")
        return {row["repo"]: (row["expected"], row["reason"]) for row in rows}


def expected_outcome(declared: set[str], tables: L.LicenseTables) -> str:
    return KEEP if declared and all(tables.is_permissive(x) for x in declared) else DROP


@dataclass(frozen=True)
class Score:
    packages: int
    files: int
    file_agreement: float
    permissive_files_dropped: float  # share of files of packages expected kept that were dropped
    leaked_packages: tuple[str, ...]  # expected dropped, yet a file published as permissive
    disagreeing_packages: tuple[tuple[str, int, int], ...]  # (repo, files disagreeing, files)


def score(rows: Iterable[tuple[str, str, bool, str]], expected: dict[str, str]) -> Score:
    """rows: (repo, path, kept, license_type) per file; expected: repo -> keep | drop."""
    total = agree = keep_files = keep_dropped = 0
    leaked, per_repo = set(), {}
    for repo, _path, kept, license_type in rows:
        want = expected[repo]
        ok = kept == (want == KEEP)
        total += 1
        agree += ok
        n, bad = per_repo.get(repo, (0, 0))
        per_repo[repo] = (n + 1, bad + (not ok))
        if want == KEEP:
            keep_files += 1
            keep_dropped += not kept
        elif kept and license_type == L.PERMISSIVE:
            leaked.add(repo)
    return Score(
        packages=len(per_repo), files=total, file_agreement=agree / total if total else 0.0,
        permissive_files_dropped=keep_dropped / keep_files if keep_files else 0.0,
        leaked_packages=tuple(sorted(leaked)),
        disagreeing_packages=tuple(sorted((r, bad, n) for r, (n, bad) in per_repo.items() if bad)),
    )


def run(ctx) -> None:
    from pyspark.sql import functions as F

    from codecurate import columns as C
    from codecurate.config import Config
    from codecurate.stages import licenses as stage
    from codecurate.stages.base import StageContext

    tables = L.load_tables()
    trees = installed_trees(tables)
    archives = fetch_sdists(Path(ctx.work) / "license-sdists")
    trees += [t for t in (sdist_tree(a, tables) for a in archives) if t is not None]
    print(f"bench license_packages: {len(trees)} package trees ({len(archives)} fetched sdists of "
          f"{len(SDISTS)}), {sum(len(t.files) for t in trees)} files")
    exceptions = load_exceptions()
    expected = {t.repo: exceptions[t.repo][0] if t.repo in exceptions else expected_outcome(t.declared, tables)
                for t in trees}
    rows = [(t.repo, "bench", path, hashlib.sha1(text.encode()).hexdigest(), None, text)
            for t in trees for path, text in t.files]
    frame = ctx.spark.createDataFrame(
        rows, f"{C.REPO_NAME} string, {C.SNAPSHOT_ID} string, {C.PATH} string, {C.BLOB_ID} string, "
              f"{C.GHA_LICENSE_ID} string, {C.CONTENT} string").repartition(ctx.cores * 4)
    sctx = StageContext(spark=ctx.spark, checkpoint=lambda df: df.localCheckpoint(eager=True), log=lambda _: None)
    out = stage.run(frame, Config(), sctx).select(
        C.REPO_NAME, C.PATH, F.col(C.DROP_REASON).isNull().alias("kept"), C.LICENSE_TYPE, C.LICENSE_EVIDENCE)
    collected = out.collect()
    result = score(((r[C.REPO_NAME], r[C.PATH], r["kept"], r[C.LICENSE_TYPE]) for r in collected), expected)
    keep_n = sum(1 for v in expected.values() if v == KEEP)
    print(f"bench license_packages: {result.packages} packages ({keep_n} expected kept, "
          f"{result.packages - keep_n} expected dropped; {len(exceptions)} known exceptions in "
          f"configs/data/licenses/bench_exceptions.tsv)")
    print(f"bench license_packages file-level agreement: {result.file_agreement:.4f} ratio (target >= 0.98)")
    print(f"bench license_packages permissive packages' files dropped: {result.permissive_files_dropped:.4f} "
          f"ratio (target <= 0.02)")
    print(f"bench license_packages non-permissive packages published as permissive: "
          f"{len(result.leaked_packages)} {list(result.leaked_packages)} (target 0)")
    why = {}
    for r in collected:
        if r["kept"] != (expected[r[C.REPO_NAME]] == KEEP) and r[C.REPO_NAME] not in why:
            why[r[C.REPO_NAME]] = r[C.LICENSE_EVIDENCE]
    for repo, bad, n in result.disagreeing_packages:
        print(f"bench license_packages disagreement {repo}: {bad} of {n} files; expected {expected[repo]}; "
              f"evidence {(why.get(repo) or [])[:6]}")
    print(f"bench license_packages scan: {json_metrics(sctx.metrics)}")


def json_metrics(metrics: dict) -> str:
    keys = ("license_files", "license_texts_scanned", "license_scan_cache_hit_ratio",
            "license_scan_approximate_share", "license_files_per_core_second")
    return ", ".join(f"{k} {metrics.get(k)}" for k in keys)
