"""One release at a time per output root: an exclusive, non-blocking flock.

cron starts a release every night; if yesterday's is still running, or an operator started
one by hand, the second one must stop at once with a message naming who holds the lock, not
interleave its stages and renames with the first one's.

flock is released by the kernel when the holder exits, however it exits (kill -9, OOM), so a
crash never leaves a stale lock behind; the holder's details written into the file are only
for the message. flock is reliable on local filesystems and on NFSv4 (Linux emulates it with
POSIX locks there); on filesystems without lock support, opening the lock fails loudly.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from codecurate.errors import LockHeld, UsageError  # noqa: F401  (LockHeld: raised here)

LOCK_NAME = ".codecurate.lock"


class LockError(UsageError):
    """The lock file cannot be created or locked for a reason other than another holder."""


def describe_holder(text: str) -> str:
    try:
        holder = json.loads(text)
        return (f"pid {holder['pid']} on {holder['host']}, started {holder['started_at']}"
                f" ({holder.get('command', '?')})")
    except (ValueError, KeyError, TypeError):
        return "an unknown process (the lock file holds no readable owner)"


def read_holder(output_root: str | os.PathLike) -> dict | None:
    """The details the lock's holder wrote, without taking the lock; None when nobody wrote any
    (never locked, or released: a holder clears them when it exits normally). A holder killed
    with -9 leaves them behind: holder_alive() tells."""
    try:
        text = (Path(output_root) / LOCK_NAME).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    if not text.strip():
        return None
    try:
        holder = json.loads(text)
    except ValueError:
        return {"text": describe_holder(text)}
    return holder if isinstance(holder, dict) else {"text": describe_holder(text)}


def holder_alive(holder: dict) -> bool | None:
    """Whether the process a holder names still runs: None when it is on another host (or names
    no pid), where this process cannot look."""
    pid, host = holder.get("pid"), holder.get("host")
    if not isinstance(pid, int) or host != socket.gethostname():
        return None
    try:
        os.kill(pid, 0)  # signal 0: checks only that the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


@contextlib.contextmanager
def output_lock(output_root: str | os.PathLike, command: str = "release") -> Iterator[Path]:
    """Hold `<output_root>/.codecurate.lock` for the block, or raise LockHeld immediately."""
    root = Path(output_root)
    path = root / LOCK_NAME
    try:
        root.mkdir(parents=True, exist_ok=True)
        # O_RDWR without O_TRUNC: truncating before holding the lock would erase the holder's details
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as err:
        raise LockError(f"cannot open lock file {path}: {err.strerror}") from err
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as err:
            holder = os.pread(fd, 4096, 0).decode("utf-8", "replace")
            raise LockHeld(
                f"another codecurate process holds {path}: {describe_holder(holder)}; "
                "it releases the lock when it exits") from err
        except OSError as err:
            raise LockError(f"cannot lock {path}: {err.strerror}") from err
        me = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": command,
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(me) + "\n").encode(), 0)
        try:
            yield path
        finally:
            # Clear our details first, so nobody is told a finished process holds the lock;
            # the file itself stays (deleting it would race with a process about to lock it).
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
