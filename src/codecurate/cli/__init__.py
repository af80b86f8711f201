"""`codecurate`: the command line. Each command lives in a module of this package (or, for
developer commands, of `codecurate.dev`) that contributes it through `register(subparsers)`.

Errors: every error a user can meet derives from `codecurate.errors.CodecurateError` and carries
its exit code; `main` catches that one base, prints one line and returns the code.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys

from codecurate.errors import CodecurateError

COMMAND_MODULES = (
    "codecurate.cli.run",  # run, stage
    "codecurate.cli.release",  # release, verify, diff, patch-optout
    "codecurate.cli.status",  # status
)
# Developer commands live with the developer tooling, which is left out of the executor bundle
# (`make dist`): registered where it is installed, absent on executors, which never parse a
# command line of their own.
DEV_COMMAND_MODULES = (
    "codecurate.dev.gitimport",  # import-git
    "codecurate.dev.sample",  # sample
    "codecurate.dev.nextexport",  # next-export
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="codecurate",
        description="Curate a code dataset from Software Heritage graph exports on Spark.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    modules = list(COMMAND_MODULES)
    if importlib.util.find_spec("codecurate.dev") is not None:
        modules += DEV_COMMAND_MODULES
    for name in modules:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CodecurateError as err:
        # The cause chain is in the traceback for whoever needs it; the one line says what.
        if err.debug_hint and os.environ.get("CODECURATE_DEBUG"):
            raise
        print(err.one_line(), file=sys.stderr)
        return err.exit_code


if __name__ == "__main__":
    sys.exit(main())
