"""License agreement benchmark (issue 13 part 5): real package trees, their declared licenses.

Trees: every installed distribution in this venv with a RECORD (its files as installed, its
dist-info license files at the root, its long description as README.md), plus pinned source
distributions of GPL/LGPL/AGPL/MPL packages (`pip download --no-binary :all: --no-deps`) and
pinned npm tarballs (`npm pack`), fetched once into the bench work directory (PyPI and the npm
registry are the only network use; what cannot be fetched is skipped and the figure says so).
Truth: the package's declared License-Expression / License / trove classifiers (package.json
"license" for npm), except where configs/data/licenses/bench_exceptions.tsv writes down another
expected outcome for a package or a path in it, with the reason.

Scoring (pure Python, tested offline in tests/unit/test_licenses_bench.py): a file agrees when it
is kept and expected kept, or dropped and expected dropped.

Issue 12: the texts the exact-first scan left to its exact matchers are scanned again with
ScanCode's full approximate detection (cached in the work directory: ~1 s a text), and the
stage's decisions re-made from those scans: agreement with the declared licenses must not drop.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.parser import Parser
from functools import partial
from importlib import metadata
from pathlib import Path

from codecurate.resources import data_file
from codecurate.text import licenses as L

SITE = Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
EXCEPTIONS = data_file("licenses") / "bench_exceptions.tsv"
MAX_FILES_PER_PACKAGE = 120  # license files and README always; the rest sampled by path hash
MAX_FILE_BYTES = 256 * 1024
# Non-permissive packages fetched as sdists (pinned: the figure must not move with releases),
# pure Python or plain setuptools so that pip prepares their metadata without compilers.
SDISTS = (
    "pylint==3.3.1",  # GPL-2.0
    "astroid==3.3.5",  # LGPL-2.1
    "paramiko==3.5.0",  # LGPL-2.1
    "chardet==5.2.0",  # LGPL-2.1
    "mutagen==1.47.0",  # GPL-2.0-or-later
    "psycopg2==2.9.10",  # LGPL-3.0 with exceptions
    "pyenchant==3.2.2",  # LGPL-2.1
    "pycountry==24.6.1",  # LGPL-2.1
    "yamllint==1.38.0",  # GPL-3.0-or-later
    "ranger-fm==1.9.4",  # GPL-3.0
    "gallery-dl==1.32.18",  # GPL-2.0-only
    "visidata==3.4",  # GPL-3.0-only
    "radicale==3.9.0",  # GPL-3.0
    "python-nmap==0.7.1",  # GPL-3.0
    "eyed3==0.9.9",  # GPL-3.0
    "unidecode==1.4.0",  # GPL-2.0-or-later
    "html2text==2025.4.15",  # GPL-3.0-or-later
    "ansible-core==2.19.14",  # GPL-3.0-or-later
    "rope==1.15.2",  # LGPL-3.0-or-later
    "python-can==4.6.1",  # LGPL-3.0-only
    "pygithub==2.10.0",  # LGPL
    "psycopg==3.3.9",  # LGPL-3.0-only
    "ldap3==2.9.1",  # LGPL-3.0
    "glances==4.5.8",  # LGPL-3.0-only
    "img2pdf==0.6.3",  # LGPL-3.0
    "python-stdnum==2.2",  # LGPL-2.0-or-later
    "pathspec==1.1.1",  # MPL-2.0
    "ocrmypdf==17.13.0",  # MPL-2.0
    "pytest-rerunfailures==16.7",  # MPL-2.0
    "ebooklib==0.20",  # AGPL-3.0-or-later
    "pelican==4.12.0",  # AGPL-3.0
)
# npm tarballs: permissive ones with the traps (Ramda's logo licence, KaTeX's fonts,
# Bootstrap's docs), copyleft and dual-licensed ones (an OR with a copyleft side counts as
# copyleft, as the stage's flat license lists do).
NPM = (
    "ramda@0.32.0", "katex@0.19.1", "lodash@4.18.1", "express@5.3.0", "chalk@5.6.2",
    "typescript@7.0.2", "tslib@2.9.1", "d3@7.9.2", "moment@2.31.0", "jquery@4.0.0",
    "bootstrap@5.3.9", "highlight.js@11.12.0", "react@19.3.1", "caniuse-lite@1.0.30001828",
    "@fortawesome/fontawesome-free@7.3.1",  # CC-BY-4.0 AND OFL-1.1 AND MIT
    "openpgp@6.3.2",  # LGPL-3.0+
    "web3@4.16.0",  # LGPL-3.0
    "@wordpress/i18n@6.29.0",  # GPL-2.0-or-later
    "axe-core@4.14.1",  # MPL-2.0
    "webextension-polyfill@0.12.0",  # MPL-2.0
    "jszip@3.10.2",  # MIT OR GPL-3.0-or-later
    "node-forge@1.4.3",  # BSD-3-Clause OR GPL-2.0
    "dompurify@3.5.0",  # MPL-2.0 OR Apache-2.0
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
    "License :: OSI Approved :: GNU General Public License v3 or later (GPLv3+)": "GPL-3.0-or-later",
    "License :: OSI Approved :: GNU General Public License (GPL)": "GPL-1.0-or-later",
    "License :: OSI Approved :: GNU Affero General Public License v3": "AGPL-3.0-only",
    "License :: OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)": "AGPL-3.0-or-later",
    "License :: OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)": "LGPL-3.0-or-later",
    "License :: OSI Approved :: Mozilla Public License 1.1 (MPL 1.1)": "MPL-1.1",
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


def _norm(name: str) -> str:
    return re.sub(r"[-_.@/]+", "-", name).lower().strip("-")


def _cached(cache: Path, name: str, version: str, suffixes: tuple[str, ...]) -> Path | None:
    """The archive of name==version in `cache`, however the registry spelled the name."""
    for path in sorted(cache.glob("*")):
        for suffix in suffixes:
            stem = path.name[: -len(suffix)] if path.name.endswith(suffix) else None
            if stem is not None and stem.endswith(f"-{version}") and _norm(stem[: -len(version) - 1]) == _norm(name):
                return path
    return None


SDIST_SUFFIXES = (".tar.gz", ".zip")


def fetch_sdists(cache: Path) -> list[Path]:
    """Download the pinned sdists once into `cache`; whatever cannot be fetched is skipped."""
    cache.mkdir(parents=True, exist_ok=True)
    found = []
    for spec in SDISTS:
        name, version = spec.split("==")
        if _cached(cache, name, version, SDIST_SUFFIXES) is None:
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps",
                            "--quiet", "-d", str(cache), spec], check=False, capture_output=True, timeout=600)
        have = _cached(cache, name, version, SDIST_SUFFIXES)
        found += [have] if have is not None else []
    return found


def fetch_npm(cache: Path) -> list[Path]:
    """`npm pack` the pinned tarballs once into `cache` (skipped without npm or the registry)."""
    cache.mkdir(parents=True, exist_ok=True)
    npm = shutil.which("npm")
    found = []
    for spec in NPM:
        name, version = spec.rsplit("@", 1)
        if _cached(cache, name, version, (".tgz",)) is None and npm is not None:
            subprocess.run([npm, "pack", spec, "--silent", "--pack-destination", str(cache)],
                           check=False, capture_output=True, timeout=600, cwd=cache)
        have = _cached(cache, name, version, (".tgz",))
        found += [have] if have is not None else []
    return found


def _members(archive: Path) -> Iterable[tuple[str, bytes]]:
    """(path below the archive's top folder, bytes) of its regular files."""
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                if not info.is_dir() and "/" in info.filename:
                    yield info.filename.split("/", 1)[1], zf.read(info)
        return
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            if member.isfile() and "/" in member.name:
                yield member.name.split("/", 1)[1], tar.extractfile(member).read()


def sdist_tree(archive: Path, tables: L.LicenseTables) -> PackageTree | None:
    files, meta_text = [], None
    for rel, data in _members(archive):
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


def npm_tree(archive: Path, tables: L.LicenseTables) -> PackageTree | None:
    files, manifest = [], None
    for rel, data in _members(archive):
        text = _text(data)
        if rel == "package.json" and text is not None:
            manifest = json.loads(text)
        if text is not None:
            files.append((rel, text))
    if manifest is None:
        return None
    declared = manifest.get("license")
    if isinstance(declared, dict):  # the old {"type": "MIT", "url": ...} form
        declared = declared.get("type")
    declared = declared_ids({"license_expression": declared if isinstance(declared, str) else None}, tables)
    return PackageTree(f"npm/{manifest.get('name')}", declared, _sample(files)) if declared else None


# --- truth and score -------------------------------------------------------------------------------

Expect = Callable[[str, str], str]  # (repo, path) -> KEEP | DROP


@dataclass(frozen=True)
class KnownException:
    repo: str
    path: str  # "" for the whole package, a folder ending in "/", or one file
    expected: str
    reason: str


def load_exceptions(path: Path | None = None) -> list[KnownException]:
    """The reviewable table of packages (or paths in them) whose expected outcome differs from
    what the declared license says."""
    with (path or EXCEPTIONS).open(newline="") as handle:
        rows = csv.DictReader((line for line in handle if not line.startswith("#")), delimiter="\t")
        return [KnownException(r["repo"], r["path"], r["expected"], r["reason"]) for r in rows]


def expected_outcome(declared: set[str], tables: L.LicenseTables) -> str:
    return KEEP if declared and all(tables.is_permissive(x) for x in declared) else DROP


def expectations(declared: dict[str, str], exceptions: Iterable[KnownException]) -> Expect:
    """(repo, path) -> the outcome of the longest exception that covers the path, else the
    package's declared outcome (`declared`: repo -> KEEP | DROP)."""
    by_repo: dict[str, list[KnownException]] = {}
    for e in exceptions:
        by_repo.setdefault(e.repo, []).append(e)

    def expect(repo: str, path: str) -> str:
        covering = [e for e in by_repo.get(repo, ()) if e.path in ("", path)
                    or (e.path.endswith("/") and path.startswith(e.path))]
        return max(covering, key=lambda e: len(e.path)).expected if covering else declared[repo]

    return expect


@dataclass(frozen=True)
class Score:
    packages: int
    files: int
    file_agreement: float
    permissive_files_dropped: float  # share of the files expected kept that were dropped
    leaked_packages: tuple[str, ...]  # a file expected dropped was published as permissive
    disagreeing_packages: tuple[tuple[str, int, int], ...]  # (repo, files disagreeing, files)


def score(rows: Iterable[tuple[str, str, bool, str]], expect: Expect) -> Score:
    """rows: (repo, path, kept, license_type) per file."""
    total = agree = keep_files = keep_dropped = 0
    leaked, per_repo = set(), {}
    for repo, path, kept, license_type in rows:
        want = expect(repo, path)
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


# --- the run ---------------------------------------------------------------------------------------

def build_trees(work: Path, tables: L.LicenseTables) -> tuple[list[PackageTree], str]:
    trees = installed_trees(tables)
    installed = len(trees)
    archives = fetch_sdists(work / "license-sdists")
    trees += [t for t in (sdist_tree(a, tables) for a in archives) if t is not None]
    tarballs = fetch_npm(work / "license-npm")
    trees += [t for t in (npm_tree(a, tables) for a in tarballs) if t is not None]
    seen, unique = set(), []
    for tree in trees:  # an installed package may be fetched as an sdist too: keep the first
        if tree.repo not in seen:
            seen.add(tree.repo)
            unique.append(tree)
    return unique, (f"{installed} installed, {len(archives)} of {len(SDISTS)} sdists, "
                    f"{len(tarballs)} of {len(NPM)} npm tarballs fetched")


def run(ctx) -> None:
    from pyspark.sql import functions as F

    from codecurate import columns as C
    from codecurate.config import Config
    from codecurate.stages import licenses as stage
    from codecurate.stages.base import StageContext

    tables = L.load_tables()
    trees, fetched = build_trees(Path(ctx.work), tables)
    print(f"bench license_packages: {len(trees)} package trees ({fetched}), "
          f"{sum(len(t.files) for t in trees)} files")
    exceptions = load_exceptions()
    declared = {t.repo: expected_outcome(t.declared, tables) for t in trees}
    expect = expectations(declared, exceptions)
    rows = [(t.repo, "bench", path, hashlib.sha1(text.encode()).hexdigest(), None, text)
            for t in trees for path, text in t.files]
    frame = ctx.spark.createDataFrame(
        rows, f"{C.REPO_NAME} string, {C.SNAPSHOT_ID} string, {C.PATH} string, {C.BLOB_ID} string, "
              f"{C.GHA_LICENSE_ID} string, {C.CONTENT} string").repartition(ctx.cores * 4).cache()
    checkpoints = []  # the stage checkpoints its scans: kept for the approximate comparison

    def checkpoint(df):
        checkpoints.append(df.localCheckpoint(eager=True))
        return checkpoints[-1]

    cfg = Config()
    sctx = StageContext(spark=ctx.spark, checkpoint=checkpoint, log=lambda _: None)
    out = stage.run(frame, cfg, sctx).select(
        C.REPO_NAME, C.PATH, F.col(C.DROP_REASON).isNull().alias("kept"), C.LICENSE_TYPE, C.LICENSE_EVIDENCE)
    collected = out.collect()
    result = score(((r[C.REPO_NAME], r[C.PATH], r["kept"], r[C.LICENSE_TYPE]) for r in collected), expect)
    copyleft = sorted(repo for repo, want in declared.items() if want == DROP)
    print(f"bench license_packages: {result.packages} packages ({result.packages - len(copyleft)} declared "
          f"permissive, {len(copyleft)} declared non-permissive: "
          f"{sum(r.startswith('pypi-sdist/') for r in copyleft)} sdists, {sum(r.startswith('npm/') for r in copyleft)} "
          f"npm, {sum(r.startswith('pypi/') for r in copyleft)} installed); {len(exceptions)} known exceptions "
          f"in configs/data/licenses/bench_exceptions.tsv")
    print(f"bench license_packages file-level agreement: {result.file_agreement:.4f} ratio (target >= 0.98)")
    print(f"bench license_packages permissive packages' files dropped: {result.permissive_files_dropped:.4f} "
          f"ratio (target <= 0.02)")
    print(f"bench license_packages non-permissive packages published as permissive: "
          f"{len(result.leaked_packages)} {list(result.leaked_packages)} (target 0)")
    why = {}
    for r in collected:
        if r["kept"] != (expect(r[C.REPO_NAME], r[C.PATH]) == KEEP):
            why.setdefault(r[C.REPO_NAME], (r[C.PATH], r[C.LICENSE_EVIDENCE]))
    for repo, bad, n in result.disagreeing_packages:
        path, evidence = why[repo]
        print(f"bench license_packages disagreement {repo}: {bad} of {n} files; e.g. {path} expected "
              f"{expect(repo, path)}: {(evidence or [])[:6]}")
    print(f"bench license_packages scan: {json_metrics(sctx.metrics)}")
    scans = next(df for df in checkpoints if stage.EVIDENCE in df.columns and C.PATH in df.columns)
    approximate_comparison(ctx, frame, scans, trees, cfg, expect, result)
    frame.unpersist()


def json_metrics(metrics: dict) -> str:
    keys = ("license_files", "license_texts_scanned", "license_scan_cache_hit_ratio",
            "license_scan_approximate_share", "license_files_per_core_second")
    return ", ".join(f"{k} {metrics.get(k)}" for k in keys)


def approximate_comparison(ctx, frame, scans, trees: list[PackageTree], cfg, expect: Expect, exact: Score) -> None:
    """The stage's decisions from ScanCode's full approximate detection of every license text.

    Only texts the exact-first scan did not give the approximate pass (or gave it on their head
    only) are scanned again: for the others both scans are the same computation. Their scans are
    cached in the work directory, keyed by ScanCode's version and the scan options.
    """
    from pyspark.sql import functions as F

    from codecurate import columns as C
    from codecurate.spark.arrow import map_to_arrow, spark_schema
    from codecurate.stages import licenses as stage

    lc = cfg.licenses
    options = stage.scan_options(lc)
    full = dataclasses.replace(options, approximate_min_unexplained=0, approximate_max_bytes=options.max_bytes)
    texts: dict[str, tuple[str, str]] = {}  # normalised key -> (blob id, text): the stage's choice
    for tree in trees:
        for path, text in tree.files:
            if L.is_license_file(path):
                key, blob = L.normalised_key(text, lc.max_license_file_bytes), hashlib.sha1(text.encode()).hexdigest()
                if key not in texts or blob < texts[key][0]:
                    texts[key] = (blob, L.cap_text(text, lc.max_license_file_bytes))
    first = {r[stage.NORM_KEY]: (r[stage.SCAN_APPROX], r[stage.EVIDENCE])
             for r in scans.select(stage.NORM_KEY, stage.SCAN_APPROX, stage.EVIDENCE).dropDuplicates([stage.NORM_KEY])
             .collect()}
    again = sorted(k for k, (approx, _) in first.items()
                   if not approx or len(texts[k][1].encode()) > options.approximate_max_bytes)
    cache_path = Path(ctx.work) / "license-full-scans.json"
    version = f"scancode-toolkit {metadata.version('scancode-toolkit')} {full}"
    cache = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    cached = cache.get("scans", {}) if cache.get("version") == version else {}
    todo = [(k, texts[k][1]) for k in again if k not in cached]
    if todo:
        todo_frame = ctx.spark.createDataFrame(todo, f"{stage.NORM_KEY} string, {C.CONTENT} string")
        scanned = map_to_arrow(todo_frame.repartition(ctx.cores * 4),
                               partial(stage._scan_batches, options=full), stage._SCAN_ARROW)
        for r in scanned.select(stage.NORM_KEY, stage.EVIDENCE).collect():
            cached[r[stage.NORM_KEY]] = [[e["id"], e["kind"], e["files"]] for e in r[stage.EVIDENCE]]
        cache_path.write_text(json.dumps({"version": version, "scans": cached}, sort_keys=True))

    def ids(evidence) -> set:
        return {(e[0], e[1], e[2]) if isinstance(e, list) else (e["id"], e["kind"], e["files"]) for e in evidence}

    differ = [k for k in again if ids(first[k][1]) != ids(cached[k])]
    n = max(len(first), 1)
    files = scans.groupBy(stage.SCAN_APPROX).count().collect()
    approx_files = sum(r["count"] for r in files if r[stage.SCAN_APPROX])
    print(f"bench license_packages approximate pass: {len(first) - len(again)} of {len(first)} distinct license "
          f"texts, {approx_files} of {sum(r['count'] for r in files)} license files")
    print(f"bench license_packages exact-first vs full approximate: {n - len(differ)} of {len(first)} distinct "
          f"license texts have the same evidence ({(n - len(differ)) / n:.4f} ratio; {len(again)} scanned again)")
    for k in differ[:10]:
        print(f"bench license_packages exact-first vs full differs: {sorted(ids(first[k][1]) ^ ids(cached[k]))}")
    evidence_type = spark_schema(stage._SCAN_ARROW)[stage.EVIDENCE].dataType
    replaced = ctx.spark.createDataFrame(
        [(k, [{"id": i, "kind": kind, "files": files} for i, kind, files in cached[k]]) for k in again],
        f"{stage.NORM_KEY} string, _full {evidence_type.simpleString()}")
    scans_full = (scans.join(replaced, stage.NORM_KEY, "left")
                  .withColumn(stage.EVIDENCE, F.coalesce(F.col("_full"), F.col(stage.EVIDENCE))).drop("_full"))
    tagged = stage.classify(frame, stage.license_scopes(scans_full, lc), lc)
    kept = F.col(C.LICENSE_TYPE).isin(list(lc.keep_types))
    rows = tagged.select(C.REPO_NAME, C.PATH, kept.alias("kept"), C.LICENSE_TYPE).collect()
    result = score(((r[C.REPO_NAME], r[C.PATH], r["kept"], r[C.LICENSE_TYPE]) for r in rows), expect)
    print(f"bench license_packages file-level agreement from full approximate scans: {result.file_agreement:.4f} "
          f"ratio, exact-first {exact.file_agreement:.4f} (must not be lower); permissive files dropped "
          f"{result.permissive_files_dropped:.4f}; non-permissive published as permissive "
          f"{len(result.leaked_packages)} {list(result.leaked_packages)}")
