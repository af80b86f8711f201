"""Sub-commands: release, verify, diff, patch-optout."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pipeline.cli import EXIT_FAILED, EXIT_OK, UserError
from pipeline.lock import output_lock
from pipeline.release import layout


def register(subparsers) -> None:
    p = subparsers.add_parser("release", help="publish a release from a finished run")
    p.add_argument("--config", required=True, help="YAML config (output.root and release.* are used)")
    p.add_argument("--run", default="latest", help="run directory, or 'latest' under output.root/runs (default)")
    p.add_argument("--version", help="release version MAJOR.MINOR.PATCH (default: release.version)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="config override")
    p.set_defaults(func=_release)

    p = subparsers.add_parser("verify", help="re-check a release's files against its manifest")
    p.add_argument("release", type=Path, help="releases/<version> directory")
    p.set_defaults(func=_verify)

    p = subparsers.add_parser("diff", help="print the changelog between two releases")
    p.add_argument("old", type=Path)
    p.add_argument("new", type=Path)
    p.set_defaults(func=_diff)

    p = subparsers.add_parser("patch-optout", help="next patch release without newly opted-out repositories")
    p.add_argument("release", type=Path, help="releases/<version> directory to patch")
    p.add_argument("--optout", required=True, type=Path, help="opt-out list: `owner` or `owner/repo` a line")
    p.add_argument("--version", help="version to publish (default: the next patch version)")
    p.add_argument("--overwrite", action="store_true", help="replace that version if it exists")
    p.set_defaults(func=_patch)


def latest_run(output_root: Path) -> Path:
    """The run started last (run.json started_at, then name) that has a run.json."""
    runs = output_root / "runs"
    candidates = []
    for run_dir in runs.iterdir() if runs.is_dir() else ():
        try:
            started = json.loads((run_dir / "run.json").read_text(encoding="utf-8")).get("started_at") or ""
        except (OSError, json.JSONDecodeError):
            continue
        candidates.append((str(started), run_dir.name, run_dir))
    if not candidates:
        raise UserError(f"no runs under {runs}; run `codecurate run` first or pass --run RUN_DIR")
    return max(candidates)[2]


def _release(args: argparse.Namespace) -> int:
    from pipeline.config import load_config
    from pipeline.release.writer import publish_release
    from pipeline.session import build_session

    cfg = load_config(args.config, args.set)
    run_dir = latest_run(Path(cfg.output.root)) if args.run == "latest" else Path(args.run)
    with output_lock(cfg.output.root, command="codecurate release"):
        spark = build_session(cfg.spark)
        try:
            target = publish_release(spark, run_dir, cfg, version=args.version)
        except layout.ReleaseLayoutError as err:
            raise UserError(str(err)) from err
        finally:
            spark.stop()
    print(f"published {target}")
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    from pipeline.release.verify import verify_release

    problems = verify_release(args.release)
    for problem in problems:
        print(f"verify: {problem}", file=sys.stderr)
    if problems:
        print(f"verify: {args.release}: {len(problems)} problem(s)", file=sys.stderr)
        return EXIT_FAILED
    print(f"verify: {args.release}: ok")
    return EXIT_OK


def _diff(args: argparse.Namespace) -> int:
    from pipeline.release import changelog, manifest

    try:
        print(changelog.changelog(args.old, args.new, manifest.read(args.new)))
        return EXIT_OK
    except layout.ReleaseLayoutError as err:
        raise UserError(str(err)) from err


def _patch(args: argparse.Namespace) -> int:
    from pipeline.release.patch_optout import patch_optout

    # releases/<version> lives in <output.root>/releases: lock that root, as `run` does
    with output_lock(args.release.resolve().parent.parent, command="codecurate patch-optout"):
        try:
            target = patch_optout(args.release, args.optout, version=args.version, overwrite=args.overwrite)
        except layout.ReleaseLayoutError as err:
            raise UserError(str(err)) from err
    print(f"published {target}")
    return EXIT_OK
