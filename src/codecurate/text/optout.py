"""The opt-out list: `owner` (a whole account) or `owner/repo` a line, `#` comments, any case.

`excluded` is the one opt-out predicate: the optout stage, the release's re-check and
`patch-optout` all call it (on Arrow arrays), so what "opted out" means cannot differ between them.
"""

from __future__ import annotations

import hashlib
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


def read_optout_list(path: str | Path) -> OptOutList:
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise OptOutListError(f"cannot read opt-out list {path}: {err.strerror}") from err
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise OptOutListError(f"opt-out list {path} is not UTF-8 text") from err
    owners, repos = set(), set()
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.split("#", 1)[0].strip().lower()
        if not entry:
            continue
        parts = entry.split("/")
        if len(parts) > 2 or any(not p or p in (".", "..") or any(c.isspace() for c in p) for p in parts):
            raise OptOutListError(
                f"{path}:{number}: expected `owner` or `owner/repo`, got {line.strip()!r}"
            )
        (owners if len(parts) == 1 else repos).add(entry)
    return OptOutList(frozenset(owners), frozenset(repos), hashlib.sha256(data).hexdigest())


def excluded(repo_names: pa.Array | pa.ChunkedArray, optouts: OptOutList) -> pa.Array:
    """True where the repository is opted out: its owner, or owner/repo, is listed (any case)."""
    lower = pc.utf8_lower(repo_names)
    owner = pc.list_element(pc.split_pattern(lower, "/", max_splits=1), 0)
    by_repo = pc.is_in(lower, value_set=pa.array(sorted(optouts.repos), pa.string()))
    by_owner = pc.is_in(owner, value_set=pa.array(sorted(optouts.owners), pa.string()))
    return pc.fill_null(pc.or_(by_repo, by_owner), False)
