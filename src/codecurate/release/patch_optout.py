"""patch-optout: the next patch version of a release, minus newly opted-out repositories.

No Spark and no pipeline re-run: shards are read with pyarrow one at a time, shards without an
opted-out repository are copied byte for byte, the others are filtered (their rows stay in
release order) and rewritten with the release's parquet settings. A shard left empty is dropped
and the language's shards are renumbered train-i-of-n.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq

from codecurate import columns as C
from codecurate.release import layout, manifest, publish
from codecurate.release.verify import verify_release
from codecurate.text.optout import OptOutList, excluded, read_optout_list
from codecurate.version import code_version


class PatchError(layout.ReleaseLayoutError):
    """The release cannot be patched as asked."""


def patch_optout(release_dir: Path, optout_path: Path, *, version: str | None = None,
                 overwrite: bool = False) -> Path:
    release_dir = Path(release_dir)
    problems = verify_release(release_dir)
    if problems:
        raise PatchError(f"{release_dir} does not verify, refusing to patch it: {problems[0]}")
    old = manifest.read(release_dir)
    if old["data"].get("variants"):
        # a patch rewrites data/ only; the raw/ config would keep the opted-out files
        raise PatchError(f"{release_dir} has more than one dataset config (release.variants both): "
                         "publish a new release from a run with the updated opt-out list instead")
    optout = read_optout_list(optout_path)
    version = version or layout.next_patch(old["release"]["version"])
    if layout.parse_version(version) <= layout.parse_version(old["release"]["version"]):
        raise PatchError(f"patch version {version} must be newer than {old['release']['version']}")
    releases_root = release_dir.parent

    with publish.staged(releases_root, version, overwrite=overwrite) as staging:
        data = copy.deepcopy(old["data"])
        files, removed_rows, removed_bytes, removed_repos, rewritten = _filter_files(
            release_dir, staging, old["data"]["files"], optout)
        languages = []
        for lang in data["languages"]:
            rows = sum(f["rows"] for f in files if f["language_dir"] == lang["dir"])
            if rows == 0:
                continue  # every file of the language was opted out
            shards = sum(1 for f in files if f["language_dir"] == lang["dir"])
            languages.append({**lang, "rows": rows, "bytes": lang["bytes"] - removed_bytes.get(lang["dir"], 0),
                              "shards": shards})
        data["files"] = files
        data["languages"] = languages
        data["totals"] = {
            "rows": sum(f["rows"] for f in files),
            "bytes": sum(lang["bytes"] for lang in languages),
            "repos": data["totals"]["repos"] - len(removed_repos),
            "data_files": len(files),
            "parquet_bytes": sum(f["bytes"] for f in files),
        }
        data["patches"].append({
            "from_version": old["release"]["version"], "optout_sha256": optout.sha256,
            "rows_removed": removed_rows, "repos_removed": len(removed_repos), "files_rewritten": rewritten,
            "code_version": code_version(),
        })
        # release.code_version stays the code that produced the rows; the patch records its own
        built = manifest.build(version=version, code_version=old["release"]["code_version"],
                               run_id=old["release"]["run_id"], previous=old["release"]["version"], data=data)
        publish.finish_release(staging, built, release_dir)
    return releases_root / version


def _filter_files(release_dir: Path, staging: Path, entries: list[dict[str, Any]], optout: OptOutList):
    removed_rows = 0
    removed_bytes: dict[str, int] = {}
    removed_repos: set[str] = set()
    rewritten = 0
    kept: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for order, entry in enumerate(entries):
        source = release_dir / entry["path"]
        directory = entry["language_dir"]
        out_dir = staging / layout.DATA_DIR / directory
        out_dir.mkdir(parents=True, exist_ok=True)
        staged_name = f"patched-{order:05d}.parquet"
        names = pq.read_table(source, columns=[C.REPO_NAME]).column(C.REPO_NAME)
        mask = excluded(names, optout)
        dropped = pc.sum(mask).as_py() or 0
        if dropped == 0:
            shutil.copyfile(source, out_dir / staged_name)
            kept.setdefault(directory, []).append((order, {**entry}))
            continue
        table = pq.read_table(source)
        removed = table.filter(mask)
        removed_rows += removed.num_rows
        removed_repos.update(removed.column(C.REPO_NAME).to_pylist())
        removed_bytes[directory] = removed_bytes.get(directory, 0) + (pc.sum(removed.column(C.LENGTH_BYTES)).as_py() or 0)
        remaining = table.filter(pc.invert(mask)).combine_chunks()
        rewritten += 1
        if remaining.num_rows == 0:
            continue
        size, digest = layout.write_shard(remaining, out_dir / staged_name)
        kept.setdefault(directory, []).append((order, {**entry, "rows": remaining.num_rows, "bytes": size,
                                                       "sha256": digest}))
    files = []
    for directory in sorted(kept):
        by_name = {f"patched-{order:05d}.parquet": entry for order, entry in kept[directory]}
        renamed = publish.rename_shards(staging / layout.DATA_DIR / directory,
                                        [(order, f"patched-{order:05d}.parquet") for order, _ in kept[directory]])
        for old_name, new_name in renamed:
            files.append({**by_name[old_name], "path": f"{layout.DATA_DIR}/{directory}/{new_name}"})
    for empty in (staging / layout.DATA_DIR).glob("*"):
        if empty.is_dir() and not any(empty.iterdir()):
            empty.rmdir()
    return files, removed_rows, removed_bytes, removed_repos, rewritten
