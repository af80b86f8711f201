"""The opt-out list: `owner` (a whole account) or `owner/repo` a line, `#` comments, any case."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path


class OptOutListError(ValueError):
    """The opt-out list is missing or malformed; the message names the file and line."""


@dataclass(frozen=True)
class OptOutList:
    owners: frozenset[str]  # lowercase
    repos: frozenset[str]  # lowercase owner/repo
    sha256: str  # of the file's bytes, recorded in manifests

    def excludes(self, repo_name: str) -> bool:
        name = repo_name.lower()
        return name in self.repos or name.split("/", 1)[0] in self.owners

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
