"""The one error hierarchy: every error a user can meet carries its exit code.

Lower layers raise these (or subclasses declared next to the code that raises them); the
command line catches `CodecurateError` once and prints one line. No module imports the CLI to
raise an error. The exit codes are documented in README.md ("Exit codes") and tested row by row.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1  # the pipeline ran and failed (conservation, verification, a stage error)
EXIT_USAGE = 2  # bad command line, config or input: the message names the key, file or table
EXIT_LOCKED = 3  # another release holds the output root's lock: try again later
EXIT_NOTHING_TO_RELEASE = 4  # nothing changed since the last release: not an error for cron


class CodecurateError(Exception):
    """Base of every error the CLI reports as one line."""

    exit_code = EXIT_FAILED
    label = "error: "  # printed after "codecurate: "
    # Failures of the pipeline itself point at the traceback; usage errors say all there is.
    debug_hint = False

    def one_line(self) -> str:
        hint = " (set CODECURATE_DEBUG=1 for the traceback)" if self.debug_hint else ""
        return f"codecurate: {self.label}{self}{hint}"


class UsageError(CodecurateError):
    """Something the user can fix: the command line, the config, an input file or directory."""

    exit_code = EXIT_USAGE


class PipelineError(CodecurateError):
    """The pipeline ran and failed: a stage raised, conservation broke, a check did not pass."""

    exit_code = EXIT_FAILED
    debug_hint = True


class LockHeld(CodecurateError):
    """Another process holds the output root's lock; the message names it."""

    exit_code = EXIT_LOCKED
    label = ""


class NothingToRelease(CodecurateError):
    """`--version auto` found nothing changed since the last release."""

    exit_code = EXIT_NOTHING_TO_RELEASE
    label = "nothing to release: "
