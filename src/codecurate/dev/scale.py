"""`codecurate sample --scale N`: a realistic SWH export of about N MB of source, built in minutes.

The sample (src/codecurate/dev/sample.py) plants every edge case in a few dozen small repositories and
goes through real git repositories; that is too slow for 100k+ files. This builder writes the
export's tables directly, through the same row builder as `import-git`
(src/codecurate/dev/gitimport.py), from git objects it serialises itself: blob, tree and commit ids
are sha1s of the objects exactly as git writes them (tests/test_scale.py checks them against
`git write-tree`), snapshots use swh.model's identifier, blobs are gzip-compressed at
`<out>/export/blobs/content/<sha1>`.

Source is real: the text files of the Python packages installed in this environment (one base
repository per top-level package) and their license files. On top of them, from `--seed`:

- forks with the same root tree (extract keeps one), and forks with near-duplicate edits and a
  different copyright line in their license (a license variant: same text, other holder);
- applications vendoring a package under `vendor/` or `third_party/`;
- `scale/monorepo`: one repository of min(100k, 100 N) files, half of them in one directory
  (`fixtures/`, generated JSON records), the rest edited copies of package files;
- `scale/notices`: a LICENSE of min(5 MiB, N * 5 KiB) made of real license texts;
- `scale/assets`: binary files (PNG-like, with NUL bytes) and minified JavaScript.

N is the target size of the files at the repositories' heads in MB (what extract reads: forks
and copies count); derived repositories are added until it is reached. Same seed, same
environment -> byte-identical tables. `make bench-scale` runs the pipeline on N = 1100.

With `--next`, export N+1 of the same corpus is written in `<out>/next/` (build_next): about 10%
of its contents new, repositories gone and new, one relicensed MIT -> GPL, one more opt-out;
for incremental releases (`python -m codecurate.dev.bench.scale --incremental`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import random
import shutil
import sysconfig
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from codecurate.dev.gitimport import _ExportBuilder, _write_metadata, snapshot_identifier
from codecurate.dev.sample import MARKER, SampleError, _license
from codecurate.text.licenses import is_license_file

MIB = 1024 * 1024
MB = 1000 * 1000
BASE_DATE = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)
MAX_POOL_FILE = 1 * MIB  # bigger installed files are data, not the source a repository holds
MAX_MONOREPO_FILE = 16 * 1024  # keeps the 100k-file repository at a few hundred MB
FILE_MODE, DIR_MODE = 0o100644, 0o040000
SOURCE_SUFFIXES = {
    ".py", ".pyi", ".pyx", ".pxd", ".c", ".h", ".cc", ".cpp", ".hpp", ".cu", ".cuh", ".js", ".jsx",
    ".ts", ".tsx", ".java", ".scala", ".go", ".rs", ".rb", ".pl", ".lua", ".r", ".sh", ".sql",
    ".proto", ".md", ".rst", ".txt", ".json", ".yaml", ".yml", ".toml", ".cfg", ".ini", ".html",
    ".css", ".xml",
}
HASH_COMMENT = {".py", ".pyi", ".pyx", ".pxd", ".sh", ".rb", ".pl", ".r", ".yaml", ".yml", ".toml", ".cfg"}
SLASH_COMMENT = {".c", ".h", ".cc", ".cpp", ".hpp", ".cu", ".cuh", ".js", ".jsx", ".ts", ".tsx", ".java",
                 ".scala", ".go", ".rs", ".proto"}
LICENSE_PREFIXES = ("license", "licence", "copying", "notice")
OPTOUT = "# scale corpus opt-out list\nuser00099\n"
# Export N+1 (`--next`): see build_next. Shares chosen so that about 10% of N+1's contents are
# new (half the repositories and the monorepo move on, each editing 12% of its files; the
# denominator counts the history N+1 keeps: blobs edited away are still in it).
NEXT_DIR, NEXT_SUMMARY = "next", "next_export.json"
# Recorded in sample.json; bump when a change here changes what a seed builds, so that the
# benchmarks rebuild a corpus they find on disk instead of measuring the old one.
GENERATOR_VERSION = 2
ACTIVE_SHARE = 0.5  # repositories with new commits; the others keep export N's snapshot
EDIT_SHARE = 0.12  # files an active repository edits (a line or two), besides the one it adds
GONE_EVERY = 50  # repositories 1, 51, 101, ... (planted ones aside) are gone from N+1; as many new ones appear
NEXT_COMMIT_DELAY = dt.timedelta(days=90)  # an N+1 commit's date after its parent's
NEXT_VISIT_DELAY = dt.timedelta(days=120)  # export N+1's visits, after export N's (30 days)
HOLDERS = ("Jane Roe", "The Example Project Authors", "Acme Corp.", "Foo Bar Contributors",
           "R. Developer", "Widgets Inc.", "The Scale Team", "Quux Labs")


@dataclass(frozen=True)
class Package:
    name: str
    files: tuple[tuple[str, bytes], ...]  # (path inside the repository, bytes), sorted
    license: bytes | None  # the distribution's own license text, if it ships one

    @property
    def size(self) -> int:
        return sum(len(data) for _, data in self.files)


@dataclass(frozen=True)
class ScalePlan:
    mb: int
    files: int | None = None  # files of the monorepo; None: min(100k, 100 * mb)

    @property
    def monorepo_files(self) -> int:
        return self.files or min(100_000, max(200, 100 * self.mb))

    @property
    def flat_dir_entries(self) -> int:
        return self.monorepo_files // 2

    @property
    def license_bytes(self) -> int:
        return min(5 * MIB, max(64 * 1024, self.mb * 5 * 1024))


@dataclass(frozen=True)
class Repo:
    """One repository of the corpus: its files at its head and what it stands for."""

    name: str
    files: dict[str, bytes]
    case: tuple[str, ...] = ()
    meta: dict | None = None

    @property
    def planted(self) -> bool:
        """One of the scale/ repositories of a shape (monorepo, notices, assets): always kept."""
        return self.name.startswith("scale/")

    @property
    def size(self) -> int:
        return sum(len(data) for data in self.files.values())


@dataclass
class _Writer:
    """Git objects -> export rows, through import-git's builder (one code path for both)."""

    out: Path
    base: _Writer | None = None  # export N, when this writer writes export N+1: its blobs are linked
    visit_delay: dt.timedelta = dt.timedelta(days=30)  # visit date - commit date of the first commit
    builder: _ExportBuilder = field(init=False)
    objects: set[str] = field(default_factory=set)
    blob_rows: dict[str, tuple] = field(default_factory=dict)  # git blob id -> its content row
    linked: int = 0  # blobs of `base` linked, not written
    visits: list = field(default_factory=list)
    heads: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, dict] = field(default_factory=dict)
    head_bytes: int = 0
    head_files: int = 0
    cases: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self):
        self.builder = _ExportBuilder(self.out, max_content_size=100 * MIB)

    def blob(self, data: bytes) -> str:
        oid = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
        if oid in self.objects:
            return oid
        self.objects.add(oid)
        row = self.base.blob_rows.get(oid) if self.base else None
        if row:
            # a blob of export N: link its file and reuse its row, not gzip and hash it again
            # (gzip is most of the build: 6 of 25 s at 60 MB)
            os.link(self.base.builder.blob_dir / row[0], self.builder.blob_dir / row[0])
            self.builder.rows["content"].append(row)
            self.linked += 1
            self.builder.summary.blobs_written += 1
            self.builder.summary.blob_bytes += len(data)
        else:
            self.builder._add_blob(oid, len(data), io.BytesIO(data))
        content = self.builder.rows["content"]
        if content and content[-1][1] == oid:  # not skipped as too large
            self.blob_rows[oid] = content[-1]
        return oid

    def tree(self, files: dict[str, bytes]) -> str:
        """Root tree id of `files` (POSIX path -> bytes), writing every subtree once."""
        nested: dict = {}
        for path, data in files.items():
            node = nested
            *dirs, name = path.split("/")
            for part in dirs:
                node = node.setdefault(part, {})
            node[name] = data
        return self._tree(nested)

    def _tree(self, node: dict) -> str:
        entries = []
        for name, value in node.items():
            raw_name = name.encode()
            if isinstance(value, dict):
                # git orders entries by name, a directory's name as if it ended in "/"
                entries.append((raw_name + b"/", DIR_MODE, raw_name, self._tree(value)))
            else:
                entries.append((raw_name, FILE_MODE, raw_name, self.blob(value)))
        entries.sort()
        body = b"".join(b"%o %s\0" % (mode, name) + bytes.fromhex(oid) for _, mode, name, oid in entries)
        raw = b"tree %d\0" % len(body) + body
        oid = hashlib.sha1(raw).hexdigest()
        if oid not in self.objects:
            self.objects.add(oid)
            self.builder._add_object(oid, b"tree", body)
        return oid

    def commit(self, name: str, files: dict[str, bytes], index: int, parent: str | None = None) -> str:
        """The commit of `files` (and its tree); a child of `parent` is dated NEXT_COMMIT_DELAY later."""
        tree = self.tree(files)
        date = BASE_DATE + dt.timedelta(hours=index) + (NEXT_COMMIT_DELAY if parent else dt.timedelta())
        stamp = b"%d +0000" % int(date.timestamp())
        person = b"Scale Author <scale@codecurate.invalid> "
        parents = b"parent " + parent.encode() + b"\n" if parent else b""
        message = f"export N+1 of {name}\n" if parent else f"import {name}\n"
        body = (b"tree " + tree.encode() + b"\n" + parents + b"author " + person + stamp + b"\ncommitter "
                + person + stamp + b"\n\n" + message.encode())
        commit = hashlib.sha1(b"commit %d\0" % len(body) + body).hexdigest()
        if commit not in self.objects:
            self.objects.add(commit)
            self.builder._add_object(commit, b"commit", body)
        return commit

    def repo(self, name: str, files: dict[str, bytes], index: int, *, case: tuple[str, ...] = (),
             meta: dict | None = None, parent: str | None = None) -> None:
        commit = self.commit(name, files, index, parent)
        date = BASE_DATE + dt.timedelta(hours=index)
        branches = {b"refs/heads/main": ("revision", bytes.fromhex(commit)),
                    b"HEAD": ("alias", b"refs/heads/main")}
        snapshot = snapshot_identifier(branches)
        if snapshot not in self.builder.snapshots:
            self.builder.snapshots.add(snapshot)
            self.builder.rows["snapshot"].append((snapshot,))
            for branch, (target_type, target) in branches.items():
                self.builder.rows["snapshot_branch"].append((snapshot, branch, target.hex(), target_type))
        self.visits.append((f"https://github.com/{name}", date + self.visit_delay, "full", snapshot,
                            len(self.visits)))
        self.heads[name] = "main"
        if meta:
            self.metadata[name] = meta
        self.head_bytes += sum(len(d) for d in files.values())
        self.head_files += len(files)
        for c in case:
            self.cases.setdefault(c, []).append(name)


def load_packages(names: tuple[str, ...] | None = None) -> list[Package]:
    """Installed packages' text files, one Package per top-level directory of site-packages."""
    root = Path(sysconfig.get_paths()["purelib"])
    licenses: dict[str, bytes] = {}
    for info in sorted(root.glob("*.dist-info")):
        top = info / "top_level.txt"
        tops = top.read_text().split() if top.exists() else [info.name.split("-")[0].lower()]
        texts = sorted(p for p in info.rglob("*") if p.is_file() and p.name.lower().startswith(LICENSE_PREFIXES))
        if texts:
            for t in tops:
                licenses.setdefault(t, texts[0].read_bytes())
    packages = []
    for top in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.endswith((".dist-info", ".libs"))
                      and not p.name.startswith(("_", "."))):
        if names is not None and top.name not in names:
            continue
        files = []
        for path in sorted(top.rglob("*")):
            rel = path.relative_to(top)
            if ("__pycache__" in rel.parts or path.suffix.lower() not in SOURCE_SUFFIXES
                    or path.is_symlink() or not path.is_file()):
                continue
            if path.stat().st_size <= MAX_POOL_FILE:
                files.append((f"{top.name}/{rel.as_posix()}", path.read_bytes()))
        if files:
            packages.append(Package(top.name, tuple(files), licenses.get(top.name)))
    if not packages:
        raise SampleError(f"no installed package source found in {root}")
    return packages


def near_duplicate(data: bytes, path: str, tag: str, every: int) -> bytes:
    """A light edit: a comment appended to a few lines spread over the file.

    License files are left as they are: forks and copies change a license's copyright line
    (license_variant), not its terms, and words spliced into a license text's sentences (no
    comment syntax there) made every copy a distinct text that only ScanCode's approximate
    matcher could read -- a cost real exports do not have.
    """
    if is_license_file(path):
        return data
    suffix = Path(path).suffix.lower()
    mark = b"#" if suffix in HASH_COMMENT else b"//" if suffix in SLASH_COMMENT else b""
    lines = data.split(b"\n")
    step = max(len(lines) // every, 1)
    for i in range(step, len(lines), step):
        lines[i] += b"  " + mark + b" " + tag.encode() + b" %d" % i
    return b"\n".join(lines)


def license_variant(text: bytes, rng: random.Random) -> bytes:
    """The same license with another copyright line (or one added on top if it has none)."""
    year = rng.randrange(1998, 2025)
    holder = f"Copyright (c) {year} {rng.choice(HOLDERS)}".encode()
    lines = text.split(b"\n")
    for i, line in enumerate(lines):
        if line.strip().lower().startswith((b"copyright", b"(c)")):
            lines[i] = holder
            return b"\n".join(lines)
    return holder + b"\n\n" + text


def minify(data: bytes) -> bytes:
    """Whitespace-stripped, one line: what a bundler leaves of a source file."""
    return b";".join(line.strip() for line in data.split(b"\n") if line.strip())


def build_scale(out: Path, mb: int, seed: int = 1, packages: tuple[str, ...] | None = None,
                monorepo_files: int | None = None, next_export: bool = False) -> dict:
    """Build the corpus in `out`; `packages` narrows the installed packages used and
    `monorepo_files` sets the big repository's size apart from `mb` (tests use both).
    `next_export`: also export N+1 in `out/next` (build_next); export N is the same either way."""
    out = Path(out).absolute()
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).exists():
            raise SampleError(f"{out} is not empty and is not a sample directory; refusing to clear it")
        shutil.rmtree(out)
    started = time.monotonic()
    plan = ScalePlan(mb, monorepo_files)
    pool = load_packages(packages)
    w = _Writer(out / "export")
    for index, repo in enumerate(_repositories(pool, plan, seed)):
        w.repo(repo.name, repo.files, index, case=repo.case, meta=repo.meta)
    (out / "optout.txt").write_text(OPTOUT, encoding="utf-8")
    summary = _write(w)
    result = {
        "export": "export",
        "optout": "optout.txt",
        "scale_mb": mb,
        "seed": seed,
        "generator": GENERATOR_VERSION,
        "repos": len(w.heads),
        "head_files": w.head_files,
        "head_bytes": w.head_bytes,
        "blobs": summary.blobs_written,
        "blob_bytes": summary.blob_bytes,
        "rows": summary.rows,
        "shapes": {"monorepo_files": plan.monorepo_files, "flat_dir_entries": plan.flat_dir_entries,
                   "license_bytes": plan.license_bytes},
        "cases": {k: v[:5] + ([f"... {len(v)} in all"] if len(v) > 5 else []) for k, v in sorted(w.cases.items())},
        "next": None,
    }
    (out / MARKER).write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    if next_export:
        build_next(out / NEXT_DIR, w, pool, plan, seed)
        result["next"] = f"{NEXT_DIR}/{NEXT_SUMMARY}"
        (out / MARKER).write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    result["seconds"] = round(time.monotonic() - started, 1)
    return result


def _write(w: _Writer):
    """Visits, tables and repository metadata of `w` to disk; the import summary."""
    w.builder.add_visits(w.visits)
    summary = w.builder.write()
    summary.rows["repo_metadata"] = _write_metadata(w.out, w.heads, w.metadata)
    return summary


def _common_licenses(pool: list[Package]) -> list[bytes]:
    return [p.license for p in pool if p.license] or [b"MIT License\n\nCopyright (c) 2024 Scale\n"]


def _license_of(pkg: Package, common: list[bytes]) -> bytes:
    return pkg.license or common[sum(pkg.name.encode()) % len(common)]


def _repositories(pool: list[Package], plan: ScalePlan, seed: int) -> Iterator[Repo]:
    """Export N's repositories in order; the same seed and packages give the same repositories."""
    rng = random.Random(seed)
    common = _common_licenses(pool)
    head_bytes = 0

    def counted(repo: Repo) -> Repo:
        nonlocal head_bytes
        head_bytes += repo.size
        return repo

    # Base repositories: each package as it is installed, with its license at the root.
    for pkg in pool:
        files = dict(pkg.files)
        files["LICENSE"] = _license_of(pkg, common)
        stars = rng.randrange(0, 5000)
        yield counted(Repo(f"pypi/{pkg.name}", files, meta={"star_events_count": stars,
                                                             "fork_events_count": stars // 10}))

    yield counted(_monorepo(pool, plan, rng))
    notices = b""
    i = 0
    while len(notices) < plan.license_bytes:
        text = common[i % len(common)]
        notices += f"\n\n---- third-party notice {i} ----\n\n".encode() + license_variant(text, rng)
        i += 1
    yield counted(Repo("scale/notices", {"LICENSE": notices[: plan.license_bytes], "README.md": b"# notices\n"},
                       case=("big_license_file",)))
    assets: dict[str, bytes] = {"LICENSE": common[0]}
    scripts = [(p, d) for pkg in pool for p, d in pkg.files if p.endswith((".js", ".py"))]
    for k in range(40):
        assets[f"img/pic_{k:03d}.png"] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + rng.randbytes(rng.randrange(2048, 65536))
        path, data = scripts[rng.randrange(len(scripts))]
        assets[f"dist/bundle_{k:03d}.min.js"] = minify(data)
    yield counted(Repo("scale/assets", assets, case=("binary", "minified")))

    # Derived repositories until the heads hold `mb` MB.
    index = len(pool) + 3
    while head_bytes < plan.mb * MB:
        yield counted(_derived(pool, common, f"user{index:05d}", rng))
        index += 1


def _derived(pool: list[Package], common: list[bytes], owner: str, rng: random.Random) -> Repo:
    """A user's repository: a fork (same tree, or edited with its own copyright line) or an
    application vendoring a package."""
    pkg = pool[rng.randrange(len(pool))]
    kind = ("fork_same_tree", "fork_edited", "vendoring")[rng.randrange(3)]
    if kind == "fork_same_tree":
        files = dict(pkg.files)
        files["LICENSE"] = _license_of(pkg, common)
        return Repo(f"{owner}/{pkg.name}", files, case=(kind,))
    if kind == "fork_edited":
        files = {}
        for path, data in pkg.files:
            files[path] = near_duplicate(data, path, owner, 4) if rng.random() < 0.1 else data
        files["LICENSE"] = license_variant(_license_of(pkg, common), rng)
        return Repo(f"{owner}/{pkg.name}", files, case=(kind, "license_variant"))
    host = pool[rng.randrange(len(pool))]
    folder = rng.choice(("vendor", "third_party"))
    own = host.files[: max(1, len(host.files) // 20)]
    files = {f"src/{p}": near_duplicate(d, p, owner, 8) for p, d in own}
    files["LICENSE"] = license_variant(_license_of(host, common), rng)
    for path, data in pkg.files:
        files[f"{folder}/{path}"] = data
    files[f"{folder}/{pkg.name}/LICENSE"] = _license_of(pkg, common)
    return Repo(f"{owner}/app-{host.name}", files, case=(kind,))


def _monorepo(pool: list[Package], plan: ScalePlan, rng: random.Random) -> Repo:
    files: dict[str, bytes] = {"LICENSE": pool[0].license or b"MIT License\n"}
    for k in range(plan.flat_dir_entries):
        record = {"id": k, "name": f"case-{rng.randrange(10**9):09d}",
                  "values": [rng.randrange(-1000, 1000) for _ in range(rng.randrange(4, 40))],
                  "enabled": rng.random() < 0.5}
        files[f"fixtures/case_{k:06d}.json"] = json.dumps(record, indent=2).encode() + b"\n"
    small = [(p, d) for pkg in pool for p, d in pkg.files if len(d) <= MAX_MONOREPO_FILE]
    k = 0
    while len(files) < plan.monorepo_files:
        path, data = small[rng.randrange(len(small))]
        # a copy per team: the same file edited a little under another directory
        files[f"teams/t{k % 500:03d}/{path}"] = near_duplicate(data, path, f"team {k}", 6)
        k += 1
    return Repo("scale/monorepo", files, case=("monorepo", "flat_directory"),
                meta={"star_events_count": 10, "fork_events_count": 1})


def is_mit(text: bytes) -> bool:
    """The MIT license alone (not a bundle of notices that quotes it)."""
    return b"Permission is hereby granted, free of charge" in text and len(text) < 2000


def build_next(out: Path, base: _Writer, pool: list[Package], plan: ScalePlan, seed: int) -> dict:
    """Export N+1 in `out`, from export N written by `base` (same pool, plan and seed).

    Export N's repositories are generated again, in order; from its own random stream:
    - ACTIVE_SHARE of them, and always the monorepo, get a new commit (parent: export N's head) that edits EDIT_SHARE of
      their files (not license files) and adds one (an edited copy of one of them); the rest keep
      export N's snapshot, so their trees, commits and snapshots are the same ids;
    - the first base repository whose LICENSE is MIT gets the GPL-3.0 text instead;
    - every GONE_EVERY-th repository but the planted scale/ ones (from the first) is absent; as
      many new derived repositories (at least one) are added;
    - the opt-out list gains one repository present in both exports (not planted, not relicensed).
    Export N's blobs are hard links in N+1's blob store. `out/next_export.json` says what moved.
    """
    out = Path(out).absolute()
    if out.exists():
        shutil.rmtree(out)
    started = time.monotonic()
    rng = random.Random(f"next export {seed}")  # its own stream: export N is the same without N+1
    gpl = _license("GPL-3").encode()
    common = _common_licenses(pool)
    w = _Writer(out / "export", base=base, visit_delay=NEXT_VISIT_DELAY)
    relicensed, gone, both, unchanged, changed, added = None, [], [], 0, 0, 0
    index = eligible = 0
    for index, repo in enumerate(_repositories(pool, plan, seed)):
        active = rng.random() < ACTIVE_SHARE  # drawn for every repository: one stream, whatever is gone
        # The monorepo holds most of the corpus's files: left to the draw, it alone would set
        # the share of new contents (~3% or ~11% at the default scale, by the installed packages).
        active = active or "monorepo" in repo.case
        if not repo.planted:
            eligible += 1
            if eligible % GONE_EVERY == 1:
                gone.append(repo.name)
                continue
        files = dict(repo.files)
        if relicensed is None and repo.name.startswith("pypi/") and is_mit(files["LICENSE"]):
            relicensed = repo.name
            files["LICENSE"] = gpl
        if active:
            _move_on(files, rng, f"{repo.name} N+1")
        changed += sum(1 for path, data in repo.files.items() if files[path] != data)
        added += len(files) - len(repo.files)
        if files == repo.files:
            unchanged += 1
            w.repo(repo.name, files, index, case=repo.case, meta=repo.meta)
        else:
            parent = w.commit(repo.name, repo.files, index)  # export N's head: N+1 has the history
            w.repo(repo.name, files, index, case=repo.case, meta=repo.meta, parent=parent)
        if not repo.planted and repo.name != relicensed:
            both.append(repo.name)
    if relicensed is None:
        raise SampleError("no base repository has an MIT LICENSE to relicense; use more packages")
    new = []
    for _ in range(max(1, len(gone))):
        index += 1
        repo = _derived(pool, common, f"user{index:05d}", rng)
        w.repo(repo.name, repo.files, index, case=(*repo.case, "new_in_next"))
        new.append(repo.name)
    optout_added = rng.choice(both)
    (out / "optout.txt").write_text(OPTOUT + optout_added + "\n", encoding="utf-8")
    summary = _write(w)
    new_contents = summary.blobs_written - w.linked
    result = {
        "export": "export",
        "optout": "optout.txt",
        "seed": seed,
        "relicensed_mit_to_gpl": relicensed,
        "gone": gone,
        "new": new,
        "optout_added": optout_added,
        "repos": len(w.heads),
        "repos_unchanged": unchanged,
        "files_changed": changed,
        "files_added": added,
        "head_files": w.head_files,
        "head_bytes": w.head_bytes,
        "blobs": summary.blobs_written,
        "blob_bytes": summary.blob_bytes,
        "new_contents": new_contents,
        "new_contents_share": round(new_contents / max(summary.blobs_written, 1), 4),
        "rows": summary.rows,
    }
    (out / NEXT_SUMMARY).write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    result["seconds"] = round(time.monotonic() - started, 1)
    return result


def _move_on(files: dict[str, bytes], rng: random.Random, tag: str) -> None:
    """New commits on `files`: EDIT_SHARE of them edited, one added (an edited copy of one)."""
    paths = [path for path in files if not is_license_file(path)]
    for path in paths:
        if rng.random() < EDIT_SHARE:
            files[path] = near_duplicate(files[path], path, tag, 2)
    if paths:
        source = PurePosixPath(rng.choice(paths))
        copy = str(source.with_name(f"{source.stem}_next{source.suffix}"))
        files.setdefault(copy, near_duplicate(files[str(source)], copy, tag, 3))
