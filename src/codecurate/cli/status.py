"""Sub-command: status."""

from __future__ import annotations

import argparse
import json

from codecurate.errors import EXIT_OK


def register(subparsers) -> None:
    p = subparsers.add_parser("status", help="runs and releases under an output root, or one run's stages")
    p.add_argument("path", nargs="?", default="out",
                   help="output root (runs/, releases/) or a run directory runs/<run_id> (default: %(default)s)")
    p.add_argument("--json", action="store_true", help="machine-readable, for scripts")
    p.set_defaults(func=_status)


def _status(args: argparse.Namespace) -> int:
    from codecurate.ops.status import format_status, status

    report = status(args.path)
    print(json.dumps(report, indent=2, sort_keys=True) if args.json else format_status(report))
    return EXIT_OK
