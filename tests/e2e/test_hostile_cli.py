"""Hostile and broken inputs through the command line: one line, the documented exit code,
and nothing run or published. The README's exit-code table is checked row by row."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pyarrow.orc as orc
import pytest
from swh_fixture import T0, content_row, write_export

from codecurate import errors
from codecurate.cli import main
from codecurate.swh.tables import SCHEMAS

README = Path(__file__).resolve().parents[2] / "README.md"
DATA = b"print('hello')\n"


def cli(capsys, *args):
    code = main(list(args))
    return code, capsys.readouterr().err


def small_export(root: Path, **overrides) -> Path:
    """One origin, one file: the smallest export that publishes a release."""
    row = content_row(DATA)
    snap, rev, root_dir = "b" * 40, "a" * 40, "d" * 40
    url = "https://github.com/acme/app"
    tables = {
        "origin": [{"id": "1" * 40, "url": url}],
        "origin_visit_status": [{"origin": url, "visit": 1, "date": T0, "status": "full",
                                 "snapshot": snap, "type": "git"}],
        "snapshot_branch": [{"snapshot_id": snap, "name": b"refs/heads/main", "target": rev,
                             "target_type": "revision"}],
        "revision": [{"id": rev, "directory": root_dir, "date": T0, "committer_date": T0, "type": "git"}],
        "directory_entry": [{"directory_id": root_dir, "name": b"app.py", "type": "file",
                             "target": row["sha1_git"], "perms": 0o100644}],
        "content": [row],
    }
    tables.update(overrides)
    return write_export(root, tables, {row["sha1"]: DATA})


def args(export: Path, out: Path, *extra: str) -> list[str]:
    return ["--config", "configs/local.yaml", "--set", f"input.export={export}",
            "--set", f"input.blobs={export / 'blobs'}", "--set", f"output.root={out}",
            "--set", "optout.list=null", "--set", "stages=[extract]", *extra]


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("codecurate:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.fixture
def export(tmp_path):
    return small_export(tmp_path / "export")


# --- input errors: exit 2 before any stage runs --------------------------------------------

@pytest.mark.parametrize("version", ["../../x", "1.0/../../evil", "1.2"])
def test_bad_version_is_one_line_before_anything_runs(capsys, tmp_path, export, version):
    code, err = cli(capsys, "run", *args(export, tmp_path / "out"), "--version", version)
    assert code == errors.EXIT_USAGE
    assert "must be MAJOR.MINOR.PATCH" in one_line(err)
    assert not (tmp_path / "out").exists()  # checked before the lock, the run or any stage


def test_output_root_that_is_a_file(capsys, tmp_path, export):
    (tmp_path / "out").write_text("not a directory")
    code, err = cli(capsys, "run", *args(export, tmp_path / "out"))
    assert code == errors.EXIT_USAGE and "is not a directory" in one_line(err)


def test_config_file_not_utf8(capsys, tmp_path, export):
    config = tmp_path / "bad.yaml"
    config.write_bytes(b"release:\n  version: \xff\n")
    code, err = cli(capsys, "run", "--config", str(config))
    assert code == errors.EXIT_USAGE and "bad.yaml is not UTF-8 text" in one_line(err)


def _replace_table(export: Path, table: str, data: pa.Table) -> None:
    orc.write_table(data, str(export / "orc" / table / f"{table}-0.orc"))


def test_column_of_the_wrong_type_names_table_and_column(capsys, spark, tmp_path, export):
    content = orc.read_table(export / "orc" / "content" / "content-0.orc")
    index = content.schema.get_field_index("length")
    _replace_table(export, "content", content.set_column(index, "length", content.column("length").cast(pa.string())))
    code, err = cli(capsys, "run", *args(export, tmp_path / "out"), "--no-release")
    assert code == errors.EXIT_USAGE
    assert "table 'content'" in one_line(err) and "column 'length' is string, expected bigint" in err


def test_hash_column_holding_raw_bytes_as_text_names_it(capsys, spark, tmp_path, export):
    entries = orc.read_table(export / "orc" / "directory_entry" / "directory_entry-0.orc")
    raw = [bytes.fromhex(v).decode("latin-1") for v in entries.column("target").to_pylist()]
    index = entries.schema.get_field_index("target")
    _replace_table(export, "directory_entry", entries.set_column(index, "target", pa.array(raw, pa.string())))
    code, err = cli(capsys, "run", *args(export, tmp_path / "out"), "--no-release")
    assert code == errors.EXIT_USAGE
    assert "table 'directory_entry'" in one_line(err) and "column 'target'" in err and "40 lowercase hex" in err


@pytest.mark.parametrize("case", ["missing", "empty", "unset"])
def test_blob_store_problems_are_input_errors(capsys, spark, tmp_path, export, case):
    extra = {"missing": [f"input.blobs={tmp_path / 'nowhere'}"],
             "empty": [f"input.blobs={tmp_path / 'empty'}"],
             "unset": ["input.blobs=null"]}[case]
    (tmp_path / "empty" / "content").mkdir(parents=True)
    code, err = cli(capsys, "run", *args(export, tmp_path / "out"), "--no-release",
                    *[x for item in extra for x in ("--set", item)])
    assert code == errors.EXIT_USAGE
    line = one_line(err)
    assert {"missing": "no blob store there", "empty": "holds none of the 1 blobs sampled",
            "unset": "content' carries no data"}[case] in line
    assert not list((tmp_path / "out").glob("runs/*/extract/manifest.json"))


def test_corrupt_orc_stripe_found_later_names_the_table(capsys, spark, tmp_path):
    # Many stripes: the start-up sample reads the first, extract meets the corrupt last one.
    export = small_export(tmp_path / "export")
    entries = orc.read_table(export / "orc" / "directory_entry" / "directory_entry-0.orc")
    filler = pa.table({
        "directory_id": [f"{i:040x}" for i in range(60000)],
        "name": [b"n%d" % i for i in range(60000)], "type": ["file"] * 60000,
        "target": [f"{i * 7919:040x}" for i in range(60000)], "perms": [0o100644] * 60000,
    }, schema=SCHEMAS["directory_entry"])
    path = export / "orc" / "directory_entry" / "directory_entry-0.orc"
    orc.write_table(pa.concat_tables([entries, filler]), str(path), stripe_size=64 * 1024,
                    compression="zstd")
    data = bytearray(path.read_bytes())
    meta = orc.ORCFile(str(path))
    assert meta.nstripes > 3
    # Overwrite 50%..80% of the file: the later stripes' chunk headers and footers, not the
    # first stripe nor the file footer. (A few KB of garbage inside a stream can go unnoticed:
    # ORC keeps no checksum of its data; a broken chunk or stripe footer is always noticed.)
    start, end = int(len(data) * 0.5), int(len(data) * 0.8)
    data[start:end] = b"\xff" * (end - start)
    path.write_bytes(bytes(data))
    code, err = cli(capsys, "run", *args(export, tmp_path / "out"), "--no-release")
    line = one_line(err)
    assert code in (errors.EXIT_FAILED, errors.EXIT_USAGE), line
    assert "'directory_entry'" in line


# --- the release gate: exit 1 with the figures ------------------------------------------------

def test_empty_release_is_held_back_then_allowed(capsys, spark, tmp_path):
    # the only file is binary: extract rejects it, the release would be empty
    row = content_row(b"\x00\x01")
    export = small_export(tmp_path / "export", content=[row], directory_entry=[
        {"directory_id": "d" * 40, "name": b"x.bin", "type": "file", "target": row["sha1_git"], "perms": 0o100644}])
    (export / "blobs" / "content").mkdir(parents=True, exist_ok=True)
    import gzip
    (export / "blobs" / "content" / row["sha1"]).write_bytes(gzip.compress(b"\x00\x01", mtime=0))
    code, err = cli(capsys, "run", *args(export, tmp_path / "out"), "--version", "1.0.0")
    assert code == errors.EXIT_FAILED
    assert "release 1.0.0 not published: it has 0 rows" in one_line(err)
    assert not (tmp_path / "out" / "releases" / "1.0.0").exists()
    code, err = cli(capsys, "run", *args(export, tmp_path / "out"), "--version", "1.0.0", "--allow-shrink")
    assert code == errors.EXIT_OK, err
    assert (tmp_path / "out" / "releases" / "1.0.0" / "manifest.json").is_file()


# --- the README's exit-code table, row by row -------------------------------------------------

def readme_exit_codes() -> dict[int, str]:
    text = README.read_text(encoding="utf-8")
    table = text.split("### Exit codes", 1)[1].split("\n## ", 1)[0]
    return {int(m.group(1)): m.group(2) for m in re.finditer(r"^\| (\d) \| ([^|]+) \|", table, re.M)}


def test_readme_exit_code_table_matches_the_code():
    rows = readme_exit_codes()
    assert rows.keys() == {errors.EXIT_OK, errors.EXIT_FAILED, errors.EXIT_USAGE, errors.EXIT_LOCKED,
                           errors.EXIT_NOTHING_TO_RELEASE} == {0, 1, 2, 3, 4}
    assert errors.UsageError.exit_code == 2 and errors.PipelineError.exit_code == 1
    assert errors.LockHeld.exit_code == 3 and errors.NothingToRelease.exit_code == 4


def test_readme_exit_codes_row_by_row(capsys, spark, tmp_path, export):
    from codecurate.ops.lock import output_lock

    rows = readme_exit_codes()
    out = tmp_path / "out"
    seen = {}
    # 2: usage, config or input error (a bad key)
    seen[2] = cli(capsys, "run", *args(export, out), "--set", "extract.max_dpeth=3")
    assert "extract.max_dpeth" in seen[2][1]
    # 0: ran and published
    seen[0] = cli(capsys, "run", *args(export, out), "--version", "auto")
    assert (out / "releases" / "0.1.0" / "manifest.json").is_file()
    # 4: nothing to release: config, inputs, opt-out list and code are those of the last release
    seen[4] = cli(capsys, "run", *args(export, out), "--version", "auto")
    # 3: another release holds the output root's lock
    with output_lock(out):
        seen[3] = cli(capsys, "run", *args(export, out), "--version", "0.2.0")
    # 1: failed: verification failed
    shard = next((out / "releases" / "0.1.0" / "data").rglob("*.parquet"))
    shard.write_bytes(shard.read_bytes()[:-10])
    seen[1] = cli(capsys, "verify", str(out / "releases" / "0.1.0"))
    assert {code: result[0] for code, result in seen.items()} == {code: code for code in rows}, seen
    for code in (2, 3, 4):
        one_line(seen[code][1])
    assert "verification failed" in rows[1] and "nothing to release" in rows[4]


def test_corrupt_first_stripe_is_found_by_the_start_up_sample_and_names_the_table(capsys, spark, tmp_path):
    # The tables are sampled together in one Spark job; when that fails, each is sampled alone
    # so that the error names the one at fault, before any work.
    export = small_export(tmp_path / "export")
    path = export / "orc" / "revision" / "revision-0.orc"
    table = orc.read_table(path)
    orc.write_table(pa.concat_tables([table] * 2000), str(path), compression="zstd")
    data = bytearray(path.read_bytes())
    # the first stripe's streams (after the 3-byte "ORC" magic), not the file footer at the end
    end = len(data) // 3
    data[3:end] = b"\xff" * (end - 3)
    path.write_bytes(bytes(data))
    code, err = cli(capsys, "run", *args(export, tmp_path / "out"), "--no-release")
    line = one_line(err)
    assert code == errors.EXIT_USAGE, line
    assert "table 'revision'" in line and "corrupt or not ORC" in line
    assert not (tmp_path / "out" / "runs").exists() or not list((tmp_path / "out").glob("runs/*/extract/status.json"))
