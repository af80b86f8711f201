import json
import socket
import subprocess
import sys

import pytest

from codecurate.ops.lock import LOCK_NAME, LockError, LockHeld, output_lock

HOLDER = """
import sys
from codecurate.ops.lock import output_lock
with output_lock(sys.argv[1], command="release --config nightly.yaml"):
    print("locked", flush=True)
    sys.stdin.readline()
"""


def start_holder(root):
    child = subprocess.Popen([sys.executable, "-c", HOLDER, str(root)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "locked"
    return child


def test_second_release_fails_at_once_naming_the_holder(tmp_path):
    child = start_holder(tmp_path)
    try:
        with pytest.raises(LockHeld) as caught:
            with output_lock(tmp_path):
                pytest.fail("entered a lock another process holds")
        message = str(caught.value)
        assert f"pid {child.pid} on {socket.gethostname()}" in message
        assert "release --config nightly.yaml" in message
        assert str(tmp_path / LOCK_NAME) in message
    finally:
        child.communicate("\n", timeout=30)
    assert child.returncode == 0
    with output_lock(tmp_path):  # released when the holder finished
        pass


def test_killed_holder_leaves_no_stale_lock(tmp_path):
    child = start_holder(tmp_path)
    child.kill()
    child.wait(timeout=30)
    with output_lock(tmp_path) as path:
        holder = json.loads(path.read_text())
        assert holder["pid"] != child.pid


def test_lock_file_names_the_holder_while_held_and_is_cleared_after(tmp_path):
    import os

    with output_lock(tmp_path / "new-root", command="release") as path:
        holder = json.loads(path.read_text())
        assert holder["pid"] == os.getpid()
        assert holder["command"] == "release"
        assert holder["started_at"].endswith("+00:00")
    assert path.read_text() == ""
    with output_lock(tmp_path / "new-root"):  # and can be taken again
        pass


def test_released_when_the_block_raises(tmp_path):
    with pytest.raises(ZeroDivisionError):
        with output_lock(tmp_path):
            raise ZeroDivisionError("inside the lock")
    with output_lock(tmp_path):
        pass


def test_unwritable_root_is_a_lock_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(LockError, match="cannot open lock file"):
        with output_lock(blocker / "root"):
            pass
