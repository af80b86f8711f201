"""Bad input and bad config through the command line: one clear line, the right exit code."""

from __future__ import annotations

import pytest
from swh_fixture import write_export

from codecurate.cli import main
from codecurate.errors import EXIT_USAGE


def cli(capsys, *args):
    code = main(list(args))
    return code, capsys.readouterr().err


@pytest.fixture
def export(tmp_path):
    return write_export(tmp_path / "export", {})


def common(export, tmp_path):
    return ["--config", "configs/local.yaml", "--set", f"input.export={export}",
            "--set", f"output.root={tmp_path / 'out'}", "--set", "optout.list=null"]


def test_config_typo_names_the_key(capsys, tmp_path, export):
    code, err = cli(capsys, "run", *common(export, tmp_path), "--set", "near_dedup.treshold=0.8")
    assert code == EXIT_USAGE
    assert "near_dedup.treshold" in err and "Traceback" not in err


def test_missing_optout_list_names_the_file(capsys, tmp_path, export):
    code, err = cli(capsys, "run", *common(export, tmp_path), "--set", f"optout.list={tmp_path / 'nope.txt'}")
    assert code == EXIT_USAGE
    assert "nope.txt" in err


def test_missing_table_names_it(capsys, spark, tmp_path, export):
    import shutil

    shutil.rmtree(export / "orc" / "revision")
    code, err = cli(capsys, "run", *common(export, tmp_path), "--no-release")
    assert code == EXIT_USAGE  # an input error: README's exit-code table says 2
    assert "'revision' is missing" in err and "Traceback" not in err


def test_corrupt_table_names_it(capsys, spark, tmp_path, export):
    (export / "orc" / "content" / "content-0.orc").write_bytes(b"this is not an ORC file at all")
    code, err = cli(capsys, "run", *common(export, tmp_path), "--no-release")
    assert code == EXIT_USAGE  # an input error: README's exit-code table says 2
    assert "'content'" in err and "corrupt or not ORC" in err


def test_table_without_a_column_names_it(capsys, spark, tmp_path):
    import pyarrow as pa
    import pyarrow.orc as orc

    export = write_export(tmp_path / "export", {})
    thin = pa.table({"origin": pa.array([], pa.string()), "visit": pa.array([], pa.int64())})
    orc.write_table(thin, str(export / "orc" / "origin_visit_status" / "origin_visit_status-0.orc"))
    code, err = cli(capsys, "run", *common(export, tmp_path), "--no-release")
    assert code == EXIT_USAGE  # an input error: README's exit-code table says 2
    assert "origin_visit_status" in err and "lacks columns" in err and "'snapshot'" in err
