import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from codecurate.dev.dist import DistError, build_zip, executor_requirements

ROOT = Path(__file__).resolve().parents[2]


def test_zip_holds_real_data_files_and_is_reproducible(tmp_path):
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    build_zip(ROOT / "src" / "codecurate", first)
    build_zip(ROOT / "src" / "codecurate", second)
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        names = archive.namelist()
        # src/codecurate/data is a symlink to configs/data in the checkout: the zip must hold the files
        table = archive.read("codecurate/data/licenses/permissive.tsv")
        assert table == (ROOT / "configs" / "data" / "licenses" / "permissive.tsv").read_bytes()
        assert "codecurate/__init__.py" in names and "codecurate/stages/base.py" in names
        # developer tooling stays out of the executor bundle
        assert not [n for n in names if n.startswith("codecurate/dev/")]
        assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
        assert all(info.external_attr >> 28 != 0o12 for info in archive.infolist())  # no symlinks


def test_executor_requirements_are_the_pinned_runtime_deps(tmp_path):
    requirements = executor_requirements(ROOT / "pyproject.toml")
    assert "pyspark==4.3.0" in requirements
    assert "datasketch==2.0.0" in requirements
    assert not [r for r in requirements if r.startswith(("pytest", "mlflow"))]  # dev/tracking: driver side
    assert "tensorflow-cpu==2.21.0" in executor_requirements(ROOT / "pyproject.toml", ("guesslang",))
    with pytest.raises(DistError, match="unknown extra 'nope'"):
        executor_requirements(ROOT / "pyproject.toml", ("nope",))
    loose = tmp_path / "pyproject.toml"
    loose.write_text('[project]\nname = "x"\ndependencies = ["pyspark>=4"]\n')
    with pytest.raises(DistError, match="pinned"):
        executor_requirements(loose)


# With `--py-files codecurate.zip`, executors import `codecurate` from the zip; modules that read
# their tables with Path(codecurate.__file__).parent / "data" / ... then fail ("Not a directory"),
# seen on the standalone cluster in the licenses stage. Fix: read package data through
# importlib.resources.files("codecurate"), which reads from zips too.
def test_package_data_readable_when_imported_from_the_zip(tmp_path):
    archive = tmp_path / "codecurate.zip"
    build_zip(ROOT / "src" / "codecurate", archive)
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "import codecurate; assert '.zip' in codecurate.__file__, codecurate.__file__\n"
        "from codecurate.text.licenses import load_tables; load_tables()\n"
        "from codecurate.release.manifest import _schema; _schema()\n"
        "from codecurate.text.languages import aliases, guesslang_names; aliases(); guesslang_names()\n"
    )
    result = subprocess.run([sys.executable, "-c", probe, str(archive)], capture_output=True, text=True,
                            cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
