"""CHANGELOG.md: what changed between two releases, computed from their data files.

Files are matched by (repo_name, path): present only in the new release = added, only in the
old = removed, in both with another blob_id = changed. Names of removed repositories are never
listed, only counted: many are removals on request (opt-out), and a changelog that names who
opted out would defeat the point. Added repositories are listed (up to MAX_LISTED).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from codecurate import columns as C
from codecurate.release import manifest

MAX_LISTED = 50
_KEYS = [C.REPO_NAME, C.PATH, C.BLOB_ID]


def read_keys(release_dir: Path, release_manifest: dict[str, Any]) -> pa.Table:
    tables = [pq.read_table(release_dir / f["path"], columns=_KEYS) for f in release_manifest["data"]["files"]]
    if not tables:
        return pa.table({k: pa.array([], pa.string()) for k in _KEYS})
    return pa.concat_tables(tables)


def changelog(old_dir: Path | None, new_dir: Path, new: dict[str, Any]) -> str:
    version = new["release"]["version"]
    lines = [f"# Changelog: {version}", ""]
    if old_dir is None:
        data = new["data"]
        lines += [
            "First release in this output root: nothing to compare with.", "",
            f"- repositories: {data['totals']['repos']}",
            f"- files: {data['totals']['rows']}",
            "",
        ]
        lines += _reasons(None, new)
        lines += _optout(None, new)
        return "\n".join(lines)

    old = manifest.read(old_dir)
    lines[0] = f"# Changelog: {old['release']['version']} -> {version}"
    old_keys = read_keys(old_dir, old)
    new_keys = read_keys(new_dir, new)
    old_repos = set(old_keys.column(C.REPO_NAME).unique().to_pylist())
    new_repos = set(new_keys.column(C.REPO_NAME).unique().to_pylist())
    added_repos = sorted(new_repos - old_repos)
    removed_repos = old_repos - new_repos

    on = [C.REPO_NAME, C.PATH]
    added = new_keys.join(old_keys, keys=on, join_type="left anti").num_rows
    removed = old_keys.join(new_keys, keys=on, join_type="left anti").num_rows
    both = new_keys.join(old_keys.rename_columns([C.REPO_NAME, C.PATH, "old_blob_id"]), keys=on, join_type="inner")
    changed = pc.sum(pc.not_equal(both.column(C.BLOB_ID), both.column("old_blob_id"))).as_py() or 0

    lines += [
        "## Repositories", "",
        f"- added: {len(added_repos)}",
        f"- removed: {len(removed_repos)} (not named: removals include opt-out requests)",
        f"- total: {len(old_repos)} -> {len(new_repos)}",
        "",
    ]
    if added_repos:
        shown = added_repos[:MAX_LISTED]
        lines += ["Added repositories" + (f" (first {MAX_LISTED})" if len(added_repos) > MAX_LISTED else "") + ":", ""]
        lines += [f"- `{name}`" for name in shown] + [""]
    lines += [
        "## Files", "",
        f"- added: {added}",
        f"- removed: {removed}",
        f"- changed content: {changed}",
        f"- total: {old_keys.num_rows} -> {new_keys.num_rows}",
        "",
    ]
    lines += _reasons(old, new)
    lines += _optout(old, new)
    return "\n".join(lines)


def _reasons(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    def counts(m: dict[str, Any] | None) -> dict[tuple[str, str], int]:
        if m is None:
            return {}
        return {(s["stage"], r): n for s in m["data"]["stages"] for r, n in s["rejected_by_reason"].items()}

    before, after = counts(old), counts(new)
    keys = sorted(set(before) | set(after))
    lines = ["## Removals by reason (pipeline stages)", ""]
    if not keys:
        return lines + ["No stage removed anything.", ""]
    lines += ["| stage | reason | previous | this release | change |", "|---|---|---:|---:|---:|"]
    for stage, reason in keys:
        b, a = before.get((stage, reason), 0), after.get((stage, reason), 0)
        lines.append(f"| {stage} | {reason} | {b if old else '-'} | {a} | {a - b:+d} |")
    return lines + [""]


def _optout(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    data = new["data"]
    in_run = sum(s["rejected_by_reason"].get("opted_out", 0) for s in data["stages"])
    lines = ["## Opt-out removals", "",
             f"- by the pipeline's optout stage: {in_run} files",
             f"- by the re-check at publishing: {data['optout_recheck']['rows_removed']} files"]
    old_patches = len(old["data"]["patches"]) if old else 0
    same_run = old is not None and old["data"]["source"] == data["source"]
    for patch in data["patches"][old_patches if same_run else 0:]:
        lines.append(
            f"- by the opt-out patch of {patch['from_version']} (list sha256 {patch['optout_sha256'][:12]}...): "
            f"{patch['rows_removed']} files of {patch['repos_removed']} repositories"
        )
    return lines + [""]


def file_changes(old_dir: Path, new_dir: Path) -> list[str]:
    """Every file in only one of two releases, one line each: "+ repo_name/path blob_id" (only in
    the new) or "- ..." (only in the old), sorted. For the operator comparing two releases (e.g.
    an incremental and a full run): it names files, so it never goes into a release's changelog."""
    old_keys = read_keys(old_dir, manifest.read(old_dir))
    new_keys = read_keys(new_dir, manifest.read(new_dir))
    on = [C.REPO_NAME, C.PATH, C.BLOB_ID]
    lines = []
    for sign, table in (("+", new_keys.join(old_keys, keys=on, join_type="left anti")),
                        ("-", old_keys.join(new_keys, keys=on, join_type="left anti"))):
        for row in table.to_pylist():
            lines.append(f"{sign} {row[C.REPO_NAME]}/{row[C.PATH]} {row[C.BLOB_ID]}")
    return sorted(lines, key=lambda line: (line[2:], line[0]))
