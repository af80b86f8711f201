"""Hostile and broken inputs around releases, without Spark: publish killed at every step, the
leftovers of killed publishes, the shrink gate, Arrow's full validation in verify, the config
file's encoding, and the pure opt-out definition."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from optout_cases import ENTRY_CASES, MATCH_CASES  # shared with the Spark join's test
from test_release_offline import _hand_release

from codecurate.config import ConfigError, load_config
from codecurate.release import layout, publish
from codecurate.release.verify import verify_release
from codecurate.release.writer import ReleaseGateError, check_shrink
from codecurate.text.optout import (
    MalformedEntry,
    OptOutListError,
    check_optout_list,
    excluded,
    parse_entry,
    read_optout_list,
)

# --- publish, killed between its steps -------------------------------------------------------

# Runs publish_dir in a child process that announces a step and then hangs there, so the test
# can kill -9 it exactly between two steps of the publish.
CHILD = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from codecurate.release import layout

    staging, target, step = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]

    def hang(message):
        print(message, flush=True)
        time.sleep(120)

    if step == "before-swap":
        layout.fsync_tree = lambda root: hang("staged")
    elif step == "after-swap":
        layout.shutil.rmtree = lambda path, *a, **k: hang("swapped")
    elif step == "fallback-between-renames":
        layout.exchange_dirs = lambda a, b: False  # a filesystem that cannot swap
        real_rename, calls = os.rename, []
        def rename(a, b):
            real_rename(a, b)
            calls.append(b)
            if len(calls) == 1:
                hang("aside")
        layout.os.rename = rename
    layout.publish_dir(staging, target, overwrite=True)
    print("done", flush=True)
""")


def _release_dir(path: Path, marker: str) -> Path:
    path.mkdir(parents=True)
    (path / layout.MANIFEST).write_text(json.dumps({"marker": marker}))
    (path / "data.txt").write_text(marker * 1000)
    return path


def _marker(path: Path) -> str | None:
    manifest = path / layout.MANIFEST
    return json.loads(manifest.read_text())["marker"] if manifest.is_file() else None


def _kill_at(step: str, staging: Path, target: Path, expect: str) -> None:
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(staging), str(target), step],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == expect
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()


@pytest.mark.parametrize("step, seen", [("before-swap", "old"), ("after-swap", "new")])
def test_overwrite_killed_at_any_step_leaves_the_version_visible(tmp_path, step, seen):
    if not layout.exchange_dirs(_release_dir(tmp_path / "a", "a"), _release_dir(tmp_path / "b", "b")):
        pytest.skip("this filesystem cannot swap directories; the fallback is tested below")
    root = tmp_path / "releases"
    target = _release_dir(root / "1.0.0", "old")
    staging = _release_dir(root / ".tmp-1.0.0-abcd", "new")
    _kill_at(step, staging, target, {"before-swap": "staged", "after-swap": "swapped"}[step])
    assert _marker(target) == seen  # a whole release of that version, old or new, never none
    assert (target / "data.txt").read_text() == seen * 1000
    # the next publish tidies the leftover (the unfinished new one, or the swapped-out old one)
    assert layout.clean_staging(root) == ["removed unfinished .tmp-1.0.0-abcd"]
    assert sorted(p.name for p in root.iterdir()) == ["1.0.0"]
    assert _marker(target) == seen


def test_fallback_overwrite_killed_between_renames_is_restored(tmp_path):
    root = tmp_path / "releases"
    target = _release_dir(root / "1.0.0", "old")
    staging = _release_dir(root / ".tmp-1.0.0-abcd", "new")
    _kill_at("fallback-between-renames", staging, target, "aside")
    aside = [p.name for p in root.iterdir() if p.name.startswith(".old-1.0.0-")]
    assert len(aside) == 1 and not target.exists()
    done = layout.clean_staging(root)
    assert f"restored release 1.0.0 from {aside[0]}" in done
    assert "removed unfinished .tmp-1.0.0-abcd" in done
    assert sorted(p.name for p in root.iterdir()) == ["1.0.0"] and _marker(target) == "old"


def test_publish_cleans_leftovers_of_killed_publishes(tmp_path):
    root = tmp_path / "releases"
    _release_dir(root / ".tmp-2.0.0-dead", "half")
    _release_dir(root / "2.0.0", "current")
    _release_dir(root / ".old-2.0.0-123", "older")  # the new one got in place: aside is stale
    with publish.staged(root, "2.1.0", overwrite=False) as staging:
        (staging / layout.MANIFEST).write_text(json.dumps({"marker": "2.1.0"}))
    assert sorted(p.name for p in root.iterdir()) == ["2.0.0", "2.1.0"]
    assert _marker(root / "2.0.0") == "current"


def test_overwrite_in_process_replaces_the_release(tmp_path):
    root = tmp_path / "releases"
    _release_dir(root / "1.0.0", "old")
    with publish.staged(root, "1.0.0", overwrite=True) as staging:
        (staging / layout.MANIFEST).write_text(json.dumps({"marker": "new"}))
    assert sorted(p.name for p in root.iterdir()) == ["1.0.0"] and _marker(root / "1.0.0") == "new"
    with pytest.raises(layout.ReleaseExistsError):
        with publish.staged(root, "1.0.0", overwrite=False):
            pass


@pytest.mark.parametrize("version", ["../../x", "1.0/../../evil", "1.2", "1.0.0\n", "01.0.0", ""])
def test_release_version_forms(tmp_path, version):
    with pytest.raises(layout.ReleaseLayoutError, match="MAJOR.MINOR.PATCH"):
        publish.check_publishable(tmp_path / "releases", version, overwrite=False)
    assert not (tmp_path / "releases").exists()


# --- the shrink gate -------------------------------------------------------------------------

def _previous(rows: int, size: int) -> dict:
    return {"release": {"version": "1.0.0"}, "data": {"totals": {"rows": rows, "bytes": size}}}


def test_gate_refuses_an_empty_release():
    with pytest.raises(ReleaseGateError, match="release 1.1.0 not published: it has 0 rows"):
        check_shrink({"rows": 0, "bytes": 0}, None, "1.1.0", 0.5)


def test_gate_refuses_a_release_that_lost_more_than_the_share():
    with pytest.raises(ReleaseGateError) as caught:
        check_shrink({"rows": 30, "bytes": 9000}, _previous(100, 10000), "1.1.0", 0.5)
    assert str(caught.value) == (
        "release 1.1.0 not published: against release 1.0.0, rows 100 -> 30 (-70.0%), more than "
        "release.max_shrink 50% lost; pass --allow-shrink to publish it anyway")
    assert caught.value.exit_code == 1
    with pytest.raises(ReleaseGateError, match=r"bytes 10,000 -> 4,000 \(-60.0%\)"):
        check_shrink({"rows": 90, "bytes": 4000}, _previous(100, 10000), "1.1.0", 0.5)


def test_gate_lets_normal_changes_through():
    check_shrink({"rows": 51, "bytes": 5001}, _previous(100, 10000), "1.1.0", 0.5)  # -49%
    check_shrink({"rows": 500, "bytes": 1}, _previous(0, 0), "1.1.0", 0.5)  # nothing to compare
    check_shrink({"rows": 1, "bytes": 1}, None, "0.1.0", 0.5)  # the first release
    check_shrink({"rows": 10, "bytes": 10}, _previous(100, 100), "1.1.0", 0.95)  # configured


# --- verify runs Arrow's full validation ----------------------------------------------------

def test_verify_finds_invalid_utf8_in_a_string_column(tmp_path):
    release = _hand_release(tmp_path, "0.1.0", [("python", "a/x", "p1.py", "blob1")], {})
    assert verify_release(release) == []
    shard = release / "data/python/train-00000-of-00001.parquet"
    table = pq.read_table(shard)
    # A string column holding bytes that are not UTF-8 (what a non-UTF-8 branch name used to
    # become): the Parquet footer is fine, the values are not.
    offsets = pa.py_buffer(pa.array([0, 3], pa.int32()).buffers()[1].to_pybytes())
    bad = pa.Array.from_buffers(pa.string(), 1, [None, offsets, pa.py_buffer(b"p\xff1")])
    pq.write_table(table.set_column(table.schema.get_field_index("path"), "path", bad), shard,
                   **layout.PARQUET_OPTIONS)
    problems = verify_release(release)
    assert any("row group 0 is not valid Arrow data" in p and "UTF8" in p.upper() for p in problems), problems


# --- the config file --------------------------------------------------------------------------

def test_config_file_that_is_not_utf8_is_one_named_error(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("input:\n  export: /donn\xe9es\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"latin1.yaml is not UTF-8 text \(bad byte at offset 22\)"):
        load_config(path)
    path.write_bytes(b"\xef\xbb\xbfinput:\n  export: /data\n")  # a BOM is fine
    assert load_config(path).input.export == "/data"


# --- the pure opt-out definition ---------------------------------------------------------------

def test_parse_entry_cases():
    for line, entry in ENTRY_CASES:
        assert parse_entry(line) == entry, line
    for line in ("a/b/c", "a b", "./x", "a/", "/a", "a/.."):
        with pytest.raises(MalformedEntry):
            parse_entry(line)


def test_excluded_cases(tmp_path):
    path = tmp_path / "optout.txt"
    path.write_text("\n".join(line for line, _ in ENTRY_CASES) + "\n", encoding="utf-8")
    optouts = read_optout_list(path)
    got = excluded(pa.array([name for name, _ in MATCH_CASES], pa.string()), optouts).to_pylist()
    assert got == [out for _, out in MATCH_CASES]
    summary = check_optout_list(path)
    assert summary.entries == 4 and summary.sha256 == optouts.sha256


def test_optout_list_errors_name_file_and_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"ok/fine\r\nx\ry/z/w\n")  # \r alone ends a line too, as for Spark
    with pytest.raises(OptOutListError, match=r"bad.txt:3: expected `owner` or `owner/repo`"):
        check_optout_list(path)
    path.write_bytes(b"caf\xe9\n")
    with pytest.raises(OptOutListError, match="not UTF-8"):
        check_optout_list(path)
    assert os.path.exists(path)
