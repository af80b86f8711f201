"""The last steps every release shares, full or patch: card, changelog, manifest, sums, rename."""

from __future__ import annotations

import contextlib
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from codecurate.release import card, changelog, layout, manifest


def check_publishable(releases_root: Path, version: str, *, overwrite: bool) -> None:
    """The version is well formed and free (or overwrite is set): checked before any work."""
    layout.parse_version(version)
    target = releases_root / version
    if target.exists() and not overwrite:
        raise layout.ReleaseExistsError(
            f"release {target} already exists (set release.overwrite: true or pick another version)"
        )


@contextlib.contextmanager
def staged(releases_root: Path, version: str, *, overwrite: bool) -> Iterator[Path]:
    """A fresh staging directory, renamed to releases/<version> when the block succeeds.

    On any error the staging directory is removed; a process killed mid-way leaves only a
    `.tmp-*` directory, which no reader takes for a release (no version name, no manifest
    until the very end).
    """
    # Leftovers of a killed publish first: an overwrite interrupted by the fallback path may
    # have left the old release aside, and that decides whether the version exists.
    layout.clean_staging(releases_root)
    check_publishable(releases_root, version, overwrite=overwrite)
    target = releases_root / version
    releases_root.mkdir(parents=True, exist_ok=True)
    staging = releases_root / f"{layout.STAGING_PREFIX}{version}-{secrets.token_hex(4)}"
    staging.mkdir()
    try:
        yield staging
        layout.publish_dir(staging, target, overwrite=overwrite)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def finish_release(staging: Path, built: dict[str, Any], previous_dir: Path | None) -> None:
    """Card, changelog, manifest, then SHA256SUMS over everything else: the release's last files."""
    card.write_card(staging, built)
    text = changelog.changelog(previous_dir, staging, built)
    (staging / layout.CHANGELOG).write_text(text, encoding="utf-8")
    manifest.write(built, staging)
    # The shards' sha256s were taken from the files just written; only the rest is read again.
    data = built["data"]
    shards = [*data["files"], *(f for variant in data.get("variants", ()) for f in variant["files"])]
    write_sums(staging, {f["path"]: f["sha256"] for f in shards})


def write_sums(release_dir: Path, known: dict[str, str] | None = None) -> None:
    """SHA256SUMS over every other file of the release; `known`: sha256 by relative path."""
    known = known or {}
    lines = []
    for path in sorted(p for p in release_dir.rglob("*") if p.is_file() and p.name != layout.SUMS):
        name = path.relative_to(release_dir).as_posix()
        lines.append(f"{known.get(name) or layout.sha256_file(path)}  {name}\n")
    (release_dir / layout.SUMS).write_text("".join(lines), encoding="utf-8")


def rename_shards(language_root: Path, written: list[tuple[int, str]]) -> list[tuple[str, str]]:
    """Rename (order key, file name) shards to train-i-of-n by key; return (old, new) names."""
    renamed = []
    ordered = sorted(written)
    for index, (_, name) in enumerate(ordered):
        new = layout.shard_name(index, len(ordered))
        (language_root / name).rename(language_root / new)
        renamed.append((name, new))
    return renamed
