"""`codecurate import-git`: write a Software Heritage graph export from local git repositories.

The output has the public export's layout and encodings, so the pipeline cannot tell it from
a slice of the real thing: `<out>/orc/<table>/<table>.orc` (ZSTD) for every table in
`codecurate.swh.tables.SCHEMAS`, blobs gzip-compressed at `<out>/blobs/content/<sha1>`, and
optionally `<out>/github/repo_metadata.parquet`.

Objects are read with the git CLI (`rev-list --objects`, `cat-file --batch`) and parsed here;
blobs are streamed in chunks, so a repository's size is bounded by disk, not memory. Objects
shared by several repositories are written once (the export is deduplicated by id, as SWH's
Merkle DAG is). Every table is sorted before writing, and gzip headers carry no time or name,
so the same repositories give byte-identical output.

As in the public export, people are pseudonymised (sha256 of `Name <email>`, the raw 32
bytes) and `raw_manifest` is null: SWH fills it only for objects its parsed fields cannot
reproduce byte for byte, which git-created objects always can.

Each `RepoSpec` is one visit; specs naming the same origin become its successive visits
(numbered by date), which is how a test or the sample builds "an older full visit and a newer
partial one".
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.orc as orc
import pyarrow.parquet as pq

from codecurate.errors import UsageError
from codecurate.swh.tables import REPO_METADATA, SCHEMAS

UTC = dt.UTC
CHUNK = 1 << 20  # blobs are streamed through the hashes and gzip 1 MiB at a time
# The SWH git loader's default max_content_size: bigger blobs become skipped_content.
MAX_CONTENT_SIZE = 100 * 1024 * 1024
GZIP_LEVEL = 6  # ~3x faster than 9 on source text for a few % more bytes
VISIT_TYPE = "git"

# git tree entry modes (octal, as written in tree objects) -> directory_entry.type
MODE_DIR = 0o040000
MODE_GITLINK = 0o160000


class ImportGitError(UsageError):
    """A repository cannot be imported; the message names it."""


@dataclass(frozen=True)
class RepoSpec:
    path: Path
    name: str | None = None  # "owner/name": origin https://github.com/owner/name
    visit_date: dt.datetime | None = None  # default: the HEAD commit's committer date
    status: str = "full"  # origin_visit_status.status of this visit ('full', 'partial', ...)

    @property
    def url(self) -> str:
        if self.name:
            return f"https://github.com/{self.name}"
        return f"file://{self.path.resolve()}"

    @classmethod
    def parse(cls, arg: str) -> RepoSpec:
        """`PATH` or `PATH=owner/name`."""
        path, sep, name = arg.rpartition("=") if "=" in arg else (arg, "", "")
        if sep and (name.count("/") != 1 or not all(name.split("/"))):
            raise ImportGitError(f"{arg!r}: expected PATH=owner/name")
        return cls(Path(path), name or None)


@dataclass
class ImportSummary:
    out: Path
    origins: int = 0
    visits: int = 0
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows written
    blobs_written: int = 0
    blob_bytes: int = 0  # uncompressed bytes of the blobs written

    def lines(self) -> list[str]:
        tables = ", ".join(f"{t}={n}" for t, n in sorted(self.rows.items()))
        return [
            f"export: {self.out}",
            f"origins: {self.origins}, visits: {self.visits}",
            f"blobs: {self.blobs_written} ({self.blob_bytes} bytes)",
            f"rows: {tables}",
        ]


def import_git(
    repos: list[RepoSpec],
    out: Path,
    *,
    metadata: dict[str, dict[str, Any]] | None = None,
    visit_date: dt.datetime | None = None,
    write_metadata: bool = True,
    max_content_size: int = MAX_CONTENT_SIZE,
) -> ImportSummary:
    """Import `repos` into a new export at `out`.

    `metadata` maps repo name (owner/name) to REPO_METADATA fields; named repos without an
    entry get default_branch from their HEAD and nulls. `visit_date` overrides every spec's.
    """
    out = Path(out)
    if (out / "orc").exists():
        raise ImportGitError(f"{out} already holds an export (orc/); choose an empty directory")
    if not repos:
        raise ImportGitError("no repositories to import")
    # Every path must be a repository before anything is written; whatever fails later (a
    # broken object in the second repository, bad metadata), nothing of the import is left:
    # a partial export would read as a valid, smaller one.
    opened = [_GitRepo(spec.path) for spec in repos]
    created = [p for p in (out, out / "blobs", out / "orc", out / "github") if not p.exists()]
    builder = _ExportBuilder(out, max_content_size)
    try:
        heads: dict[str, str | None] = {}  # repo name -> default branch of its latest visit
        visits: list[tuple[str, dt.datetime, str, str, int]] = []  # url, date, status, snp, order
        for order, (spec, repo) in enumerate(zip(repos, opened, strict=True)):
            snapshot_id, head_branch, head_date = builder.add_repo(repo)
            date = visit_date or spec.visit_date or head_date
            if date is None:
                raise ImportGitError(f"{spec.path}: HEAD has no commit; pass a visit date")
            visits.append((spec.url, _utc(date), spec.status, snapshot_id, order))
            if spec.name:
                heads[spec.name] = head_branch
        builder.add_visits(visits)
        summary = builder.write()
        if write_metadata and (heads or metadata):
            summary.rows["repo_metadata"] = _write_metadata(out, heads, metadata or {})
    except BaseException:
        builder.discard()
        for path in created:  # outermost first: what we created is ours to remove whole
            shutil.rmtree(path, ignore_errors=True)
        raise
    return summary


class _GitRepo:
    def __init__(self, path: Path):
        self.path = Path(path)
        if not self.path.is_dir():
            raise ImportGitError(f"{path}: not a directory")
        try:
            self.git(["rev-parse", "--git-dir"])
        except ImportGitError as err:
            raise ImportGitError(f"{path}: not a git repository") from err

    def git(self, args: list[str]) -> bytes:
        try:
            done = subprocess.run(
                ["git", "-C", str(self.path), *args], capture_output=True, check=True
            )
        except subprocess.CalledProcessError as err:
            message = err.stderr.decode("utf-8", "replace").strip()
            raise ImportGitError(f"{self.path}: git {args[0]} failed: {message}") from err
        return done.stdout

    def refs(self) -> list[tuple[bytes, bytes, bytes, bytes]]:
        """(name, object id hex, object type, symref target or b'') for every ref."""
        fmt = "%(refname)%00%(objectname)%00%(objecttype)%00%(symref)"
        rows = []
        for line in self.git(["for-each-ref", f"--format={fmt}"]).splitlines():
            name, oid, otype, symref = line.split(b"\0")
            rows.append((name, oid, otype, symref))
        return rows

    def head(self) -> tuple[bytes | None, bytes | None]:
        """(symbolic target like b'refs/heads/main' or None, commit id hex or None)."""
        try:
            symref = self.git(["symbolic-ref", "-q", "HEAD"]).strip() or None
        except ImportGitError:
            symref = None  # detached HEAD
        try:
            oid = self.git(["rev-parse", "-q", "--verify", "HEAD^{commit}"]).strip() or None
        except ImportGitError:
            oid = None  # unborn branch
        return symref, oid


class _ExportBuilder:
    """Accumulates table rows (metadata only, never blob bytes) and streams blobs to disk."""

    def __init__(self, out: Path, max_content_size: int):
        self.out = out
        self.blob_dir = out / "blobs" / "content"
        self.blob_dir.mkdir(parents=True, exist_ok=True)
        self.max_content_size = max_content_size
        self.rows: dict[str, list[tuple]] = {name: [] for name in SCHEMAS}
        self.seen: set[bytes] = set()  # object ids (hex bytes) already imported
        self.snapshots: set[str] = set()
        self.commit_dates: dict[str, dt.datetime] = {}  # commit id -> committer date
        self.summary = ImportSummary(out)
        self.written: list[Path] = []  # blob files this import wrote (discarded on failure)

    def discard(self) -> None:
        for path in self.written:
            path.unlink(missing_ok=True)

    def add_repo(self, repo: _GitRepo) -> tuple[str, str | None, dt.datetime | None]:
        """Import a repository's reachable objects; returns (snapshot id, default branch, date)."""
        branches: dict[bytes, tuple[str, bytes]] = {}  # name -> (target_type, raw target)
        for name, oid, otype, symref in repo.refs():
            if symref:
                branches[name] = ("alias", symref)
            else:
                branches[name] = (_TARGET_TYPES[otype], bytes.fromhex(oid.decode()))
        symref, head_oid = repo.head()
        if symref and symref in branches:
            branches[b"HEAD"] = ("alias", symref)
        elif head_oid:
            branches[b"HEAD"] = ("revision", bytes.fromhex(head_oid.decode()))
        snapshot_id = snapshot_identifier(branches)
        if snapshot_id not in self.snapshots:
            self.snapshots.add(snapshot_id)
            self.rows["snapshot"].append((snapshot_id,))
            for name, (target_type, target) in branches.items():
                self.rows["snapshot_branch"].append((snapshot_id, name, target.hex(), target_type))

        if branches:
            self._import_objects(repo)
        head_date = self.commit_dates[head_oid.decode()] if head_oid else None
        default_branch = None
        if symref and symref.startswith(b"refs/heads/"):
            default_branch = symref[len(b"refs/heads/"):].decode("utf-8", "replace")
        return snapshot_id, default_branch, head_date

    def _import_objects(self, repo: _GitRepo) -> None:
        # Reachable objects only, like a clone: dangling objects are not part of any visit.
        listing = repo.git(["rev-list", "--objects", "--all", "--no-object-names"])
        wanted = []
        for line in listing.splitlines():
            oid = line[:40]
            if oid not in self.seen:
                self.seen.add(oid)
                wanted.append(oid)
        if not wanted:
            return
        with tempfile.TemporaryFile() as ids:
            ids.write(b"\n".join(wanted) + b"\n")
            ids.seek(0)
            proc = subprocess.Popen(
                ["git", "-C", str(repo.path), "cat-file", "--batch"],
                stdin=ids, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            )
            try:
                for oid, otype, size in _batch_headers(proc.stdout, len(wanted)):
                    if otype == b"blob":
                        self._add_blob(oid, size, proc.stdout)
                    else:
                        self._add_object(oid, otype, _read_exact(proc.stdout, size))
                    if proc.stdout.read(1) != b"\n":
                        raise ImportGitError(f"{repo.path}: unexpected cat-file output after {oid}")
            except BaseException:
                proc.kill()  # our error is the one to report, not git's broken pipe
                raise
            finally:
                proc.stdout.close()
                stderr = proc.stderr.read().decode("utf-8", "replace").strip()
                proc.stderr.close()
                code = proc.wait()
        if code != 0:
            raise ImportGitError(f"{repo.path}: git cat-file failed: {stderr}")

    def _add_blob(self, oid: str, size: int, stream: BinaryIO) -> None:
        hashes = [hashlib.sha1(), hashlib.sha256(), hashlib.blake2s()]
        skipped = size > self.max_content_size
        tmp = None
        if not skipped:
            tmp = tempfile.NamedTemporaryFile(dir=self.blob_dir, prefix=".tmp-", delete=False)
            # mtime=0 and no file name: the same bytes always give the same .gz file
            gz = gzip.GzipFile(filename="", mode="wb", fileobj=tmp, mtime=0, compresslevel=GZIP_LEVEL)
        try:
            left = size
            while left:
                chunk = stream.read(min(CHUNK, left))
                if not chunk:
                    raise ImportGitError(f"blob {oid}: cat-file output ended early")
                left -= len(chunk)
                for h in hashes:
                    h.update(chunk)
                if tmp:
                    gz.write(chunk)
            if tmp:
                gz.close()
                tmp.close()
        except BaseException:
            if tmp:
                tmp.close()
                os.unlink(tmp.name)
            raise
        sha1, sha256, blake2s = (h.hexdigest() for h in hashes)
        if skipped:
            self.rows["skipped_content"].append(
                (sha1, oid, sha256, blake2s, size, "absent", "Content too large")
            )
            return
        if not (self.blob_dir / sha1).exists():
            self.written.append(self.blob_dir / sha1)  # already there: not ours to discard
        os.replace(tmp.name, self.blob_dir / sha1)
        self.rows["content"].append((sha1, oid, sha256, blake2s, size, "visible", None))
        self.summary.blobs_written += 1
        self.summary.blob_bytes += size

    def _add_object(self, oid: str, otype: bytes, raw: bytes) -> None:
        if otype == b"tree":
            self.rows["directory"].append((oid, None))
            for mode, name, target in parse_tree(raw):
                kind = "dir" if mode == MODE_DIR else "rev" if mode == MODE_GITLINK else "file"
                self.rows["directory_entry"].append((oid, name, kind, target, mode))
        elif otype == b"commit":
            commit = parse_commit(raw)
            author, date, offset, raw_offset = commit.author
            committer, cdate, coffset, raw_coffset = commit.committer
            self.commit_dates[oid] = cdate
            self.rows["revision"].append((
                oid, commit.message, pseudonym(author), date, offset, raw_offset,
                pseudonym(committer), cdate, coffset, raw_coffset, commit.tree, "git", None,
            ))
            for rank, parent in enumerate(commit.parents):
                self.rows["revision_history"].append((oid, parent, rank))
            for key, value in commit.extra_headers:
                self.rows["revision_extra_headers"].append((oid, key, value))
        elif otype == b"tag":
            tag = parse_tag(raw)
            author, date, offset, raw_offset = tag.tagger or (None, None, None, None)
            self.rows["release"].append((
                oid, tag.name, tag.message, tag.target, tag.target_type,
                pseudonym(author) if author is not None else None, date, offset, raw_offset, None,
            ))
        else:
            raise ImportGitError(f"object {oid}: unknown git object type {otype!r}")

    def add_visits(self, visits: list[tuple[str, dt.datetime, str, str, int]]) -> None:
        by_origin: dict[str, list] = {}
        for visit in visits:
            by_origin.setdefault(visit[0], []).append(visit)
        for url, origin_visits in by_origin.items():
            self.rows["origin"].append((hashlib.sha1(url.encode()).hexdigest(), url))
            # visits are numbered in date order; ties keep the order they were given in
            origin_visits.sort(key=lambda v: (v[1], v[4]))
            for number, (_, date, status, snapshot_id, _) in enumerate(origin_visits, start=1):
                self.rows["origin_visit"].append((url, number, date, VISIT_TYPE))
                self.rows["origin_visit_status"].append(
                    (url, number, date, status, snapshot_id, VISIT_TYPE)
                )
        self.summary.origins = len(by_origin)
        self.summary.visits = len(visits)

    def write(self) -> ImportSummary:
        for name, schema in SCHEMAS.items():
            rows = self.rows[name]
            # Sort on every column but keep equal keys stable: extra headers keep their order.
            key_columns = _SORT_KEYS.get(name, tuple(range(len(schema))))
            rows.sort(key=lambda row: tuple(_sortable(row[i]) for i in key_columns))
            columns = list(zip(*rows, strict=True)) if rows else [[] for _ in schema]
            table = pa.table(
                [pa.array(col, type=f.type) for col, f in zip(columns, schema, strict=True)], schema=schema
            )
            target = self.out / "orc" / name
            target.mkdir(parents=True, exist_ok=True)
            orc.write_table(table, target / f"{name}.orc", compression="zstd")
            self.summary.rows[name] = len(rows)
        return self.summary


# revision_extra_headers: order within one revision matters (it is the manifest's order)
_SORT_KEYS = {"revision_extra_headers": (0,)}
_TARGET_TYPES = {b"commit": "revision", b"tag": "release", b"tree": "directory", b"blob": "content"}


def _sortable(value: Any) -> tuple:
    # None sorts first; values of one column share a type, so the rest compare directly
    return (0, 0) if value is None else (1, value)


def _batch_headers(stream: BinaryIO, count: int) -> Iterator[tuple[str, bytes, int]]:
    for _ in range(count):
        header = stream.readline()
        parts = header.split()
        if len(parts) != 3:
            raise ImportGitError(f"unexpected cat-file header {header[:100]!r}")
        yield parts[0].decode(), parts[1], int(parts[2])


def _read_exact(stream: BinaryIO, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise ImportGitError(f"cat-file output ended early ({len(data)} of {size} bytes)")
    return data


def parse_tree(raw: bytes) -> Iterator[tuple[int, bytes, str]]:
    """(mode as int, name bytes, target hex) for each entry of a git tree object."""
    pos = 0
    while pos < len(raw):
        space = raw.index(b" ", pos)
        nul = raw.index(b"\0", space)
        mode = int(raw[pos:space], 8)
        yield mode, raw[space + 1:nul], raw[nul + 1:nul + 21].hex()
        pos = nul + 21


@dataclass
class Commit:
    tree: str
    parents: list[str]
    author: tuple  # (fullname, date, offset minutes, raw offset bytes)
    committer: tuple
    extra_headers: list[tuple[bytes, bytes]]
    message: bytes


@dataclass
class Tag:
    name: bytes
    target: str
    target_type: str
    tagger: tuple | None
    message: bytes


def _headers(raw: bytes) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """Header (key, value) pairs (continuation lines joined by \\n) and the message."""
    head, _, message = raw.partition(b"\n\n")
    headers: list[tuple[bytes, bytes]] = []
    for line in head.split(b"\n"):
        if line.startswith(b" ") and headers:
            key, value = headers[-1]
            headers[-1] = (key, value + b"\n" + line[1:])
        else:
            key, _, value = line.partition(b" ")
            headers.append((key, value))
    return headers, message


def parse_commit(raw: bytes) -> Commit:
    headers, message = _headers(raw)
    tree, parents, author, committer, extra = None, [], None, None, []
    for key, value in headers:
        if key == b"tree" and tree is None:
            tree = value.decode()
        elif key == b"parent":
            parents.append(value.decode())
        elif key == b"author" and author is None:
            author = parse_person(value)
        elif key == b"committer" and committer is None:
            committer = parse_person(value)
        else:
            extra.append((key, value))  # encoding, gpgsig, mergetag, ...
    if tree is None or author is None or committer is None:
        raise ImportGitError("commit without tree, author or committer")
    return Commit(tree, parents, author, committer, extra, message)


def parse_tag(raw: bytes) -> Tag:
    fields: dict[bytes, bytes] = {}
    headers, message = _headers(raw)
    for key, value in headers:
        fields.setdefault(key, value)
    try:
        target_type = _TARGET_TYPES[fields[b"type"]]
        target, name = fields[b"object"].decode(), fields[b"tag"]
    except KeyError as err:
        raise ImportGitError(f"tag object without {err.args[0]!r} header") from err
    tagger = parse_person(fields[b"tagger"]) if b"tagger" in fields else None
    return Tag(name, target, target_type, tagger, message)


def parse_person(value: bytes) -> tuple[bytes, dt.datetime, int, bytes]:
    """b'Name <email> 1700000000 +0200' -> (b'Name <email>', UTC datetime, 120, b'+0200')."""
    fullname, _, rest = value.rpartition(b"> ")
    try:
        seconds, raw_offset = rest.split(b" ")
        sign = -1 if raw_offset.startswith(b"-") else 1
        digits = raw_offset.lstrip(b"+-")
        offset = sign * (int(digits[:-2] or b"0") * 60 + int(digits[-2:]))
        date = dt.datetime.fromtimestamp(int(seconds), UTC)
    except ValueError as err:
        raise ImportGitError(f"cannot parse person line date {rest[:40]!r}") from err
    return fullname + b">", date, offset, raw_offset


def pseudonym(fullname: bytes) -> bytes:
    """The public export replaces a person's full name by its sha256 (the raw 32 bytes)."""
    return hashlib.sha256(fullname).digest()


def snapshot_identifier(branches: dict[bytes, tuple[str, bytes]]) -> str:
    """swh.model's snapshot id: sha1 of a git-style 'snapshot' object over sorted branches.

    Each branch contributes `<target_type> <name>\\0<len(target)>:<target>`; the target is the
    raw 20-byte id, or the target branch's name for an alias. Checked against swh.model's
    published vectors in tests/test_import_git.py.
    """
    body = b"".join(
        target_type.encode() + b" " + name + b"\0" + b"%d:" % len(target) + target
        for name, (target_type, target) in sorted(branches.items())
    )
    return hashlib.sha1(b"snapshot %d\0" % len(body) + body).hexdigest()


def _utc(date: dt.datetime) -> dt.datetime:
    if date.tzinfo is None:
        raise ImportGitError(f"visit date {date.isoformat()} has no time zone")
    return date.astimezone(UTC)


_METADATA_FIELDS = {f.name: f for f in REPO_METADATA if f.name != "repo_name"}


def _write_metadata(
    out: Path, heads: dict[str, str | None], metadata: dict[str, dict[str, Any]]
) -> int:
    unknown = sorted(set(metadata) - set(heads))
    if unknown:
        raise ImportGitError(f"metadata names repositories not imported: {', '.join(unknown)}")
    rows = []
    for name in sorted(heads):
        fields = dict(metadata.get(name, {}))
        bad = sorted(set(fields) - set(_METADATA_FIELDS))
        if bad:
            raise ImportGitError(f"metadata for {name}: unknown fields {', '.join(bad)}")
        fields.setdefault("default_branch", heads[name])
        row = {"repo_name": name}
        for key, f in _METADATA_FIELDS.items():
            value = fields.get(key)
            if value is not None and pa.types.is_timestamp(f.type) and isinstance(value, str):
                value = _utc(_parse_iso(value))
            row[key] = value
        rows.append(row)
    target = out / "github"
    target.mkdir(parents=True, exist_ok=True)
    try:
        table = pa.Table.from_pylist(rows, schema=REPO_METADATA)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
        raise ImportGitError(f"metadata has a value of the wrong type: {err}") from err
    pq.write_table(table, target / "repo_metadata.parquet", compression="zstd")
    return len(rows)


def _parse_iso(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as err:
        raise ImportGitError(f"not an ISO date with a time zone: {text!r}") from err


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "import-git",
        help="write an SWH graph export (ORC + blobs) from local git repositories",
        description="Each REPO is a local git repository, optionally `=owner/name` to give it "
        "the origin https://github.com/owner/name (else file://<absolute path>).",
    )
    parser.add_argument("repos", nargs="+", metavar="REPO[=owner/name]")
    parser.add_argument("--out", required=True, type=Path, help="new export directory")
    parser.add_argument(
        "--metadata", type=Path,
        help="JSON object: repo name (owner/name) -> repo_metadata fields "
        "(github_id, star_events_count, fork_events_count, gha_license_id, default_branch, ...)",
    )
    parser.add_argument(
        "--visit-date", help="ISO date with zone for every visit (default: HEAD's committer date)"
    )
    parser.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    metadata = None
    if args.metadata:
        try:
            metadata = json.loads(args.metadata.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise ImportGitError(f"cannot read metadata {args.metadata}: {err}") from err
        if not isinstance(metadata, dict) or not all(isinstance(v, dict) for v in metadata.values()):
            raise ImportGitError(f"{args.metadata}: expected an object of objects")
    visit_date = _parse_iso(args.visit_date) if args.visit_date else None
    summary = import_git(
        [RepoSpec.parse(arg) for arg in args.repos], args.out,
        metadata=metadata, visit_date=visit_date,
    )
    for line in summary.lines():
        print(line)
    return 0
