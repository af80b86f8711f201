"""The opt-out list: `owner` (a whole account) or `owner/repo` a line, `#` comments, any case.

This module is the definition of "opted out", in pure Python/Arrow:
  - `parse_entry`: what one line of the list means (the normalised entry, or nothing);
  - `repo_keys`: the two keys a repository is matched by (lowercased owner/repo, and owner);
  - `excluded`: opted out = the lowercased name is a listed `owner/repo`, or its owner a listed
    `owner`.
`patch-optout` applies `excluded` directly (pyarrow, no Spark). The optout stage and the
release's re-check (codecurate.stages.optout.with_opted_out) run the same rule as a Spark join
against the list read by Spark, built from `parse_entry` and `repo_keys`, so a 10M-entry list
never sits in the driver; tests check both give the same answers on the same cases.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from codecurate.errors import UsageError


class OptOutListError(UsageError):
    """The opt-out list is missing or malformed; the message names the file and line."""


@dataclass(frozen=True)
class OptOutList:
    owners: frozenset[str]  # lowercase
    repos: frozenset[str]  # lowercase owner/repo
    sha256: str  # of the file's bytes, recorded in manifests

    def excludes(self, repo_name: str) -> bool:
        return bool(excluded(pa.array([repo_name], pa.string()), self)[0].as_py())

    @classmethod
    def empty(cls) -> OptOutList:
        return cls(frozenset(), frozenset(), hashlib.sha256(b"").hexdigest())


class MalformedEntry(ValueError):
    """A line that is neither `owner` nor `owner/repo`."""


def parse_entry(line: str) -> str | None:
    """One line of the list -> its entry (lowercase `owner` or `owner/repo`), None for a blank
    or comment line; MalformedEntry for anything else."""
    entry = line.lstrip("\ufeff").split("#", 1)[0].strip().lower()
    if not entry:
        return None
    parts = entry.split("/")
    if len(parts) > 2 or any(not p or p in (".", "..") or any(c.isspace() for c in p) for p in parts):
        raise MalformedEntry(line.strip())
    return entry


def _lines(path: str | Path):
    """The list's lines, split as Spark's text reader splits them (\\n, \\r\\n or \\r)."""
    try:
        handle = open(path, "rb")
    except OSError as err:
        raise OptOutListError(f"cannot read opt-out list {path}: {err.strerror}") from err
    with io.TextIOWrapper(handle, encoding="utf-8", newline=None) as text:
        try:
            for number, line in enumerate(text, start=1):
                yield number, line.rstrip("\n")
        except UnicodeDecodeError as err:
            raise OptOutListError(f"opt-out list {path} is not UTF-8 text") from err


def _entries(path: str | Path):
    for number, line in _lines(path):
        try:
            entry = parse_entry(line)
        except MalformedEntry:
            raise OptOutListError(
                f"{path}:{number}: expected `owner` or `owner/repo`, got {line.strip()!r}") from None
        if entry is not None:
            yield entry


@dataclass(frozen=True)
class OptOutSummary:
    """What a run records of the list without holding it: its sha256 and size."""

    sha256: str
    entries: int  # non-blank lines (duplicates counted)


def check_optout_list(path: str | Path | None) -> OptOutSummary:
    """Validate the whole list line by line (constant memory) and fingerprint it."""
    if path is None:
        return OptOutSummary(hashlib.sha256(b"").hexdigest(), 0)
    count = sum(1 for _ in _entries(path))
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return OptOutSummary(digest.hexdigest(), count)


def read_optout_list(path: str | Path) -> OptOutList:
    """The whole list in memory, for pure-Arrow use (patch-optout)."""
    owners, repos = set(), set()
    for entry in _entries(path):
        (repos if "/" in entry else owners).add(entry)
    return OptOutList(frozenset(owners), frozenset(repos), check_optout_list(path).sha256)


def repo_keys(repo_names: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, pa.Array]:
    """(lowercased name, lowercased owner): the keys a repository is matched by."""
    lower = pc.utf8_lower(repo_names)
    owner = pc.list_element(pc.split_pattern(lower, "/", max_splits=1), 0)
    return lower, owner


def excluded(repo_names: pa.Array | pa.ChunkedArray, optouts: OptOutList) -> pa.Array:
    """True where the repository is opted out: its owner, or owner/repo, is listed (any case)."""
    lower, owner = repo_keys(repo_names)
    by_repo = pc.is_in(lower, value_set=pa.array(sorted(optouts.repos), pa.string()))
    by_owner = pc.is_in(owner, value_set=pa.array(sorted(optouts.owners), pa.string()))
    return pc.fill_null(pc.or_(by_repo, by_owner), False)
