"""Derive a release's version from what changed since the previous release.

A scheduled release (cron, an orchestrator) publishes without a human picking a version:

  - new input export (a table fingerprint differs), a changed curation config or new code
    -> minor bump (x.Y+1.0): the data itself may differ everywhere;
  - only the opt-out list changed -> patch bump (x.y.Z+1): rows were removed, nothing else;
  - nothing changed -> NothingToRelease: publishing the same data again under a new number
    would only make consumers download it twice.

Major bumps (a schema change, a deliberate break) are a human decision: pass --version.

The comparison ignores settings that do not change the published rows: where things run
(spark.*, output.*), paths (input.*, optout.list: their *contents* are compared through the
table fingerprints and the opt-out list's sha256), release.version/overwrite and tracking.*.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codecurate.config import curation_config
from codecurate.errors import NothingToRelease, UsageError  # noqa: F401  (NothingToRelease: raised here)
from codecurate.release import layout, manifest


class VersionError(UsageError):
    """A manifest or run description lacks what version derivation needs."""


def previous_release(releases_root: Path) -> dict[str, Any] | None:
    """The manifest of the highest published version under releases_root, or None."""
    versions = layout.published_versions(Path(releases_root))
    return manifest.read(Path(releases_root) / versions[-1]) if versions else None


def changes(previous_manifest: dict[str, Any], run_info: dict[str, Any]) -> list[str]:
    """What differs between the previous release's source and this run: a subset of
    'inputs', 'config', 'code', 'optout' (empty: nothing)."""
    try:
        source = previous_manifest["data"]["source"]
        before = {
            "tables": source["inputs"]["tables"],
            "config": curation_config(source["config"]),
            "code": previous_manifest["release"]["code_version"],
            "optout": _effective_optout(previous_manifest["data"]),
        }
    except (KeyError, TypeError) as err:
        raise VersionError(f"previous release manifest lacks {err} (not a codecurate-release/1 manifest?)") from err
    try:
        after = {
            "tables": run_info["inputs"]["tables"],
            "config": curation_config(run_info["config"]),
            "code": run_info["code_version"],
            "optout": run_info.get("optout_sha256"),
        }
    except (KeyError, TypeError) as err:
        raise VersionError(f"run description (run.json) lacks {err}") from err
    names = {"tables": "inputs", "config": "config", "code": "code", "optout": "optout"}
    return [names[k] for k in before if before[k] != after[k]]


def _effective_optout(data: dict[str, Any]) -> str | None:
    # `codecurate patch-optout` republishes a release without re-running: its manifest keeps
    # the original run's source and records the list it applied under "patches".
    patches = data.get("patches") or []
    return patches[-1]["optout_sha256"] if patches else data["source"].get("optout_sha256")


def derive_version(previous_manifest: dict[str, Any] | None, run_info: dict[str, Any],
                   *, initial: str = "0.1.0") -> str:
    """The version to publish this run as; `initial` when there is no previous release."""
    if previous_manifest is None:
        layout.parse_version(initial)
        return initial
    try:
        previous = previous_manifest["release"]["version"]
    except (KeyError, TypeError) as err:
        raise VersionError("previous release manifest has no release.version") from err
    major, minor, patch = layout.parse_version(previous)
    changed = changes(previous_manifest, run_info)
    if not changed:
        raise NothingToRelease(
            f"nothing to release: config, input tables, opt-out list and code are those of release "
            f"{previous}; pass --version to publish anyway")
    if changed == ["optout"]:
        return f"{major}.{minor}.{patch + 1}"
    return f"{major}.{minor + 1}.0"
