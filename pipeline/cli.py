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
    from pipeline.optout import OptOutListError
    from pipeline.runner import ConservationError, StageFailed
    from pipeline.swh.reader import ExportError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ConfigError, OptOutListError, UserError) as err:
        print(f"codecurate: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except (ExportError, StageFailed, ConservationError) as err:
        # The cause chain is in the traceback for whoever needs it; the first line says what.
        if os.environ.get("CODECURATE_DEBUG"):
            raise
        print(f"codecurate: error: {err} (set CODECURATE_DEBUG=1 for the traceback)", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
