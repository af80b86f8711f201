"""Sub-commands: run, stage."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from codecurate.config import ALL_STAGES, load_config
from codecurate.errors import EXIT_OK
from codecurate.run.console import NORMAL, QUIET, VERBOSE, console


def _add_config_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default="configs/local.yaml", help="YAML config (default: %(default)s)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config key, e.g. --set spark.shuffle_partitions=16 (repeatable)")
    parser.add_argument("--run-id", help="run directory name (default: derived from config and inputs)")
    noise = parser.add_mutually_exclusive_group()
    noise.add_argument("-q", "--quiet", dest="console", action="store_const", const=QUIET, default=NORMAL,
                       help="no stage lines or progress: errors and the final table only")
    noise.add_argument("-v", "--verbose", dest="console", action="store_const", const=VERBOSE,
                       help="also Spark's own warnings on the console (always in <run_dir>/spark.log)")


def _cmd_run(args: argparse.Namespace) -> int:
    overrides = list(args.overrides)
    if args.incremental_from:
        # JSON is YAML: the path stays a string whatever it looks like ("yes", "1.0").
        overrides.append(f"incremental.previous={json.dumps(args.incremental_from)}")
    cfg = load_config(args.config, overrides)
    console.configure(args.console)
    if args.no_release:
        from codecurate.ops.schedule import check_output_root
        from codecurate.run.runner import run_pipeline

        check_output_root(Path(cfg.output.root))
        run_pipeline(cfg, run_id=args.run_id)
    else:
        from codecurate.ops.schedule import scheduled_release

        scheduled_release(cfg, version=args.version, run_id=args.run_id, allow_shrink=args.allow_shrink)
    return EXIT_OK


def _cmd_stage(args: argparse.Namespace) -> int:
    from codecurate.ops.schedule import check_output_root
    from codecurate.run.runner import run_pipeline

    cfg = load_config(args.config, args.overrides)
    console.configure(args.console)
    check_output_root(Path(cfg.output.root))
    run_pipeline(cfg, run_id=args.run_id, only=args.name)
    return EXIT_OK


def register(sub) -> None:
    run = sub.add_parser("run", help="run the configured stages in order and publish a release")
    _add_config_arguments(run)
    run.add_argument("--no-release", action="store_true", help="stop after the last stage")
    run.add_argument("--version", help="release version: MAJOR.MINOR.PATCH, or 'auto' to derive it from "
                     "the last release (default: release.version)")
    run.add_argument("--incremental-from", metavar="PATH",
                     help="a previous run directory or release: reuse its per-content results (license "
                     "scans, languages, quality verdicts, MinHash signatures, PII redactions, benchmark "
                     "matches) where inputs are unchanged (config: incremental.previous)")
    run.add_argument("--allow-shrink", action="store_true",
                     help="publish even if the release is empty or lost more than release.max_shrink "
                     "of the previous release's rows or bytes")
    run.set_defaults(func=_cmd_run)
    stage = sub.add_parser("stage", help="run one stage on the previous stage's output")
    stage.add_argument("name", choices=ALL_STAGES)
    _add_config_arguments(stage)
    stage.set_defaults(func=_cmd_stage)
