"""Sub-commands: release, verify, diff, patch-optout."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from codecurate.errors import EXIT_FAILED, EXIT_OK
from codecurate.ops.lock import output_lock
from codecurate.run.layout import OutputRoot


def register(subparsers) -> None:
    p = subparsers.add_parser("release", help="publish a release from a finished run")
    p.add_argument("--config", required=True, help="YAML config (output.root and release.* are used)")
    p.add_argument("--run", default="latest", help="run directory, or 'latest' under output.root/runs (default)")
    p.add_argument("--version", help="release version MAJOR.MINOR.PATCH (default: release.version)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="config override")
    p.add_argument("--allow-shrink", action="store_true",
                   help="publish even if the release is empty or lost more than release.max_shrink "
                   "of the previous release's rows or bytes")
    p.set_defaults(func=_release)

    p = subparsers.add_parser("verify", help="re-check a release's files against its manifest")
    p.add_argument("release", type=Path, help="releases/<version> directory")
    p.set_defaults(func=_verify)

    p = subparsers.add_parser("diff", help="print the changelog between two releases")
    p.add_argument("old", type=Path)
    p.add_argument("new", type=Path)
    p.add_argument("--files", action="store_true",
                   help="list every file only one release has (names files, opted-out ones included: "
                   "for the operator, e.g. to compare an incremental run with a full one)")
    p.set_defaults(func=_diff)

    p = subparsers.add_parser("patch-optout", help="next patch release without newly opted-out repositories")
    p.add_argument("release", type=Path, help="releases/<version> directory to patch")
    p.add_argument("--optout", required=True, type=Path, help="opt-out list: `owner` or `owner/repo` a line")
    p.add_argument("--version", help="version to publish (default: the next patch version)")
    p.add_argument("--overwrite", action="store_true", help="replace that version if it exists")
    p.set_defaults(func=_patch)


def _release(args: argparse.Namespace) -> int:
    from codecurate.config import load_config
    from codecurate.ops.schedule import check_output_root
    from codecurate.release.publish import check_publishable
    from codecurate.release.writer import publish_release
    from codecurate.spark.session import build_session

    cfg = load_config(args.config, args.set)
    run_dir = OutputRoot(Path(cfg.output.root)).latest_run().path if args.run == "latest" else Path(args.run)
    # before Spark starts: a bad or taken version, an unusable output root
    check_output_root(Path(cfg.output.root))
    check_publishable(OutputRoot(Path(cfg.output.root)).releases, args.version or cfg.release.version,
                      overwrite=cfg.release.overwrite)
    with output_lock(cfg.output.root, command="codecurate release"):
        spark = build_session(cfg.spark)
        try:
            target = publish_release(spark, run_dir, cfg, version=args.version, allow_shrink=args.allow_shrink)
        finally:
            spark.stop()
    print(f"published {target}")
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    from codecurate.release.verify import verify_release

    problems = verify_release(args.release)
    for problem in problems:
        print(f"verify: {problem}", file=sys.stderr)
    if problems:
        print(f"verify: {args.release}: {len(problems)} problem(s)", file=sys.stderr)
        return EXIT_FAILED
    print(f"verify: {args.release}: ok")
    return EXIT_OK


def _diff(args: argparse.Namespace) -> int:
    from codecurate.release import changelog, manifest

    print(changelog.changelog(args.old, args.new, manifest.read(args.new)))
    if args.files:
        print("\n".join(["## Files only in one release", "", *changelog.file_changes(args.old, args.new)]))
    return EXIT_OK


def _patch(args: argparse.Namespace) -> int:
    from codecurate.release.patch_optout import patch_optout

    # releases/<version> lives in <output.root>/releases: lock that root, as `run` does
    with output_lock(args.release.resolve().parent.parent, command="codecurate patch-optout"):
        target = patch_optout(args.release, args.optout, version=args.version, overwrite=args.overwrite)
    print(f"published {target}")
    return EXIT_OK
