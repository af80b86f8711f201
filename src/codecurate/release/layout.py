"""What a release is on disk: its schema, directory names, file names and parquet settings.

Plain pyarrow (the column types come from the stage declarations, which are imported but run
no Spark): the writer (on Spark executors), verify, diff and patch-optout all read and write
releases through these helpers, so they cannot drift apart.

    releases/<version>/
      data/<language dir>/train-00000-of-00003.parquet   zstd, rows sorted by SORT_KEYS
      manifest.json        written last: no manifest = no release
      SHA256SUMS           every other file of the release
      README.md            dataset card, charts/ next to it
      CHANGELOG.md         against the previous release in the same output root
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import os
import re
import shutil
import sys
from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from codecurate import columns as C
from codecurate.config import VERSION_RE
from codecurate.errors import UsageError

MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
CARD = "README.md"
CHANGELOG = "CHANGELOG.md"
DATA_DIR = "data"
CHARTS_DIR = "charts"
UNKNOWN_DIR = "unknown"  # files with no detected language (or a run without the languages stage)

# A total order: (repo_name, path) is unique within a snapshot, blob_id breaks any remaining tie.
SORT_KEYS = (C.REPO_NAME, C.PATH, C.BLOB_ID)

# Pinned writer settings: the same rows give the same bytes (pyarrow's `created_by` names only
# its version, no clock). 4096 rows a row group keeps groups well under 100 MB for typical code
# (median file ~2 KB) so readers such as the HF viewer can page through a shard.
PARQUET_OPTIONS = {
    "compression": "zstd",
    "compression_level": 3,
    "row_group_size": 4096,
    "version": "2.6",
    "use_dictionary": True,
    "write_statistics": True,
}

# The release schema is fixed, whatever stages ran: a column a disabled stage would have added
# is published as nulls of its type, so readers see one schema across releases. Columns come
# from the stages' declarations: the-stack-v2's (extract), then languages', licenses' and pii's
# (the order of format 1, kept so releases stay byte-identical), then any other stage's in
# pipeline order; `content` (from the run's contents table) last.
_FIRST_STAGES = ("extract", "languages", "licenses", "pii")


@cache
def _release_fields() -> tuple[pa.Field, ...]:
    from codecurate.stages import registry  # the stage modules import pyspark: only when needed
    from codecurate.stages.base import CONTENT_FIELD

    by_name = {stage.name: stage.adds for stage in registry()}
    order = [n for n in _FIRST_STAGES if n in by_name] + [n for n in by_name if n not in _FIRST_STAGES]
    return tuple(f for name in order for f in by_name[name]) + (CONTENT_FIELD,)


# Every release row has these; without them there is nothing to sort, shard or opt out by.
REQUIRED = (C.BLOB_ID, C.PATH, C.REPO_NAME)


class ReleaseLayoutError(UsageError):
    """A release on disk is not what the layout says it should be."""


def release_schema(ids_only: bool) -> pa.Schema:
    return pa.schema([f for f in _release_fields() if not (ids_only and f.name == C.CONTENT)])


def schema_to_json(schema: pa.Schema) -> list[dict[str, str]]:
    return [{"name": f.name, "type": type_text(f.type)} for f in schema]


def type_text(type_: pa.DataType) -> str:
    """A type's name without nested field names: a map read back from parquet names its entries
    after the column ("map<string, int32 ('pii_counts')>"), which is not a difference in type."""
    if pa.types.is_map(type_):
        return f"map<{type_text(type_.key_type)}, {type_text(type_.item_type)}>"
    if pa.types.is_list(type_) or pa.types.is_large_list(type_):
        return f"list<{type_text(type_.value_type)}>"
    if pa.types.is_struct(type_):
        return "struct<" + ", ".join(f"{f.name}: {type_text(f.type)}" for f in type_) + ">"
    return str(type_)


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """`table` with exactly `schema`'s columns, in order, cast; missing columns become nulls."""
    arrays = []
    for field in schema:
        if field.name in table.column_names:
            column = table.column(field.name)
            try:
                arrays.append(column.cast(field.type))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as err:
                raise ReleaseLayoutError(
                    f"column {field.name!r} of type {column.type} cannot be published as {field.type}"
                ) from err
        else:
            arrays.append(pa.nulls(table.num_rows, field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def sort_rows(table: pa.Table) -> pa.Table:
    # combine_chunks: page boundaries must not depend on how the rows arrived in batches
    return table.sort_by([(k, "ascending") for k in SORT_KEYS]).combine_chunks()


def write_shard(table: pa.Table, path: Path) -> tuple[int, str]:
    """Write sorted rows to `path` via a temporary name; return (bytes, sha256)."""
    partial = path.with_name(f".partial-{os.getpid()}-{path.name}")
    pq.write_table(table, partial, **PARQUET_OPTIONS)
    fsync_file(partial)
    os.replace(partial, path)  # a retried or speculative task never leaves half a file
    return path.stat().st_size, sha256_file(path)


def parquet_created_by() -> str:
    return f"parquet-cpp-arrow version {pa.__version__}"


def language_dirs(languages: list[str | None]) -> dict[str | None, str]:
    """A filesystem-safe, stable, collision-free directory name for each language.

    Lowercase ASCII letters, digits and '-': "C++" -> "cpp", "C#" -> "c-sharp",
    "Objective-C++" -> "objective-cpp", "Ren'Py" -> "ren-py"; None -> "unknown". A name that
    still collides (or is empty) gets a short hash of the language name appended.
    """
    dirs: dict[str | None, str] = {}
    for name in sorted(languages, key=lambda n: (n is not None, n or "")):
        if name is None:
            dirs[name] = UNKNOWN_DIR
            continue
        slug = name.lower().replace("++", "pp").replace("+", "-plus").replace("#", "-sharp")
        slug = re.sub(r"[^a-z0-9]+", "-", slug).strip("-")
        if not slug or slug in dirs.values():
            digest = hashlib.sha256(name.encode()).hexdigest()[:8]
            slug = f"{slug}-{digest}" if slug else f"lang-{digest}"
        dirs[name] = slug
    return dirs


def shard_name(index: int, count: int) -> str:
    return f"train-{index:05d}-of-{count:05d}.parquet"




def parse_version(version: str) -> tuple[int, int, int]:
    match = VERSION_RE.fullmatch(version) if isinstance(version, str) else None
    if not match:
        raise ReleaseLayoutError(f"release version must be MAJOR.MINOR.PATCH, got {version!r}")
    return tuple(int(g) for g in match.groups())  # type: ignore[return-value]


def next_patch(version: str) -> str:
    major, minor, patch = parse_version(version)
    return f"{major}.{minor}.{patch + 1}"


def published_versions(releases_root: Path) -> list[str]:
    """Versions with a manifest, oldest first; dot-directories are unfinished writes."""
    if not releases_root.is_dir():
        return []
    found = [
        p.name for p in releases_root.iterdir()
        if VERSION_RE.fullmatch(p.name) and (p / MANIFEST).is_file()
    ]
    return sorted(found, key=parse_version)


def previous_version(releases_root: Path, version: str) -> str | None:
    older = [v for v in published_versions(releases_root) if parse_version(v) < parse_version(version)]
    return older[-1] if older else None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def fsync_tree(root: Path) -> None:
    """fsync every file and directory under root, so a rename publishes durable bytes."""
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            fsync_file(Path(dirpath) / name)
        fsync_dir(Path(dirpath))


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


STAGING_PREFIX = ".tmp-"  # a release being written (or, after an overwrite, the old one)
ASIDE_PREFIX = ".old-"  # an old release moved aside by the fallback overwrite


def publish_dir(staging: Path, target: Path, *, overwrite: bool) -> None:
    """Move a finished staging directory into place; a reader always sees a whole release.

    A new version is one rename: readers see no release or the complete one. An overwrite
    swaps the two directories in one atomic step (Linux renameat2 RENAME_EXCHANGE), so the
    version is always visible, old or new, whenever the process is killed; the old release is
    then under the staging name and removed (or, if killed first, by the next publish:
    `clean_staging`). Where the system cannot swap (not Linux, or a filesystem without
    support), the old release is renamed aside first; a kill between the two renames leaves a
    `.old-<version>-*` directory that `clean_staging` renames back before anything else.
    """
    fsync_tree(staging)
    if not target.exists():
        os.rename(staging, target)
        fsync_dir(target.parent)
        return
    if not overwrite:
        raise ReleaseExistsError(f"release {target} already exists (set release.overwrite to replace it)")
    if exchange_dirs(staging, target):
        fsync_dir(target.parent)
        shutil.rmtree(staging)  # now the old release
        return
    aside = target.with_name(f"{ASIDE_PREFIX}{target.name}-{os.getpid()}")
    os.rename(target, aside)
    os.rename(staging, target)
    fsync_dir(target.parent)
    shutil.rmtree(aside)


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2  # linux/fs.h
_NO_EXCHANGE = {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP}


def exchange_dirs(a: Path, b: Path) -> bool:
    """Swap two paths atomically; False where the system or filesystem cannot."""
    if not sys.platform.startswith("linux"):
        return False
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:  # glibc before 2.28, musl
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in _NO_EXCHANGE:
        return False
    raise OSError(code, os.strerror(code), str(a))


def clean_staging(releases_root: Path) -> list[str]:
    """Tidy what killed publishes left behind; return what was done, one line each.

    `.tmp-*` directories are unfinished writes (or old releases already swapped out): removed.
    `.old-<version>-*` is a release moved aside by the fallback overwrite: removed if the
    version is in place, renamed back if the kill came before the new one got there.
    Call it holding the output root's lock: another publish's staging would look the same.
    """
    done: list[str] = []
    if not releases_root.is_dir():
        return done
    for path in sorted(releases_root.iterdir()):
        if path.name.startswith(STAGING_PREFIX) and path.is_dir():
            shutil.rmtree(path)
            done.append(f"removed unfinished {path.name}")
        elif path.name.startswith(ASIDE_PREFIX) and path.is_dir():
            version = path.name[len(ASIDE_PREFIX):].rsplit("-", 1)[0]
            target = releases_root / version
            if VERSION_RE.fullmatch(version) and not target.exists() and (path / MANIFEST).is_file():
                os.rename(path, target)
                done.append(f"restored release {version} from {path.name}")
            else:
                shutil.rmtree(path)
                done.append(f"removed {path.name}")
    return done


class ReleaseExistsError(ReleaseLayoutError):
    """The version is already published."""
