"""`codecurate`: the command line. Each command lives in its own module's `register`."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

# Modules that contribute sub-commands through `register(subparsers)`; each registered parser
# sets `func(args) -> int` (the exit code).
COMMAND_MODULES = (
    "pipeline.runner",  # run, stage
    "pipeline.swh.gitimport",  # import-git
    "pipeline.sample",  # sample
    "pipeline.release.commands",  # release, verify, diff, patch-optout
)

# Exit codes (documented in README.md)
EXIT_OK = 0
EXIT_FAILED = 1  # the pipeline ran and failed (conservation, verification, stage error)
EXIT_USAGE = 2  # bad command line, bad config, bad input file named in the message
# 3 (another release holds the lock) and 4 (nothing to release): see pipeline.schedule


class UserError(Exception):
    """An error the user can fix; printed as one line, without a traceback."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="codecurate",
        description="Curate a code dataset from Software Heritage graph exports on Spark.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from pipeline.config import ConfigError
    from pipeline.lock import LockError, LockHeld
    from pipeline.optout import OptOutListError
    from pipeline.runner import ConservationError, StageFailed
    from pipeline.schedule import EXIT_LOCKED, EXIT_NOTHING_TO_RELEASE
    from pipeline.swh.reader import ExportError
    from pipeline.tracking import TrackingError, TrackingUnavailable
    from pipeline.versioning import NothingToRelease, VersionError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ConfigError, OptOutListError, UserError, LockError, VersionError, TrackingUnavailable) as err:
        print(f"codecurate: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except LockHeld as err:
        print(f"codecurate: {err}", file=sys.stderr)
        return EXIT_LOCKED
    except NothingToRelease as err:
        print(f"codecurate: nothing to release: {err}", file=sys.stderr)
        return EXIT_NOTHING_TO_RELEASE
    except (ExportError, StageFailed, ConservationError, TrackingError) as err:
        # The cause chain is in the traceback for whoever needs it; the first line says what.
        if os.environ.get("CODECURATE_DEBUG"):
            raise
        print(f"codecurate: error: {err} (set CODECURATE_DEBUG=1 for the traceback)", file=sys.stderr)
        return EXIT_FAILED

if __name__ == "__main__":
    sys.exit(main())
