"""The license agreement benchmark's scoring and truth, offline (the heavy run is `make bench`)."""

import pytest

from codecurate.dev.bench import license_packages as B
from codecurate.text import licenses as L


@pytest.fixture(scope="module")
def tables():
    return L.load_tables()


def test_declared_ids(tables):
    assert B.declared_ids({"license_expression": "MIT OR Apache-2.0"}, tables) == {"MIT", "Apache-2.0"}
    assert B.declared_ids({"license": "GPLv2+", "classifiers": [
        "License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)"]}, tables) == {"GPL-2.0-or-later"}
    assert B.declared_ids({"license": "UNKNOWN", "classifiers": []}, tables) == set()
    assert B.declared_ids({"license": "BSD", "classifiers": ["License :: OSI Approved :: BSD License"]},
                          tables) == {"BSD-3-Clause"}


def test_expected_outcome(tables):
    assert B.expected_outcome({"MIT"}, tables) == B.KEEP
    assert B.expected_outcome({"MIT", "GPL-3.0-or-later"}, tables) == B.DROP  # dual: the copyleft side counts
    assert B.expected_outcome({"MPL-2.0"}, tables) == B.DROP
    assert B.expected_outcome(set(), tables) == B.DROP


def test_expectations_longest_path_wins():
    exceptions = [
        B.KnownException("pypi/a", "", B.KEEP, "code MIT, data MPL"),
        B.KnownException("pypi/a", "a/data/", B.DROP, "MPL data"),
        B.KnownException("pypi/a", "a/data/README", B.KEEP, "MIT"),
        B.KnownException("pypi/b", "LICENSE.eigen", B.DROP, "an MPL text"),
    ]
    expect = B.expectations({"pypi/a": B.DROP, "pypi/b": B.KEEP, "pypi/c": B.KEEP}, exceptions)
    assert expect("pypi/a", "a/core.py") == B.KEEP
    assert expect("pypi/a", "a/data/list.dat") == B.DROP
    assert expect("pypi/a", "a/data/README") == B.KEEP
    assert expect("pypi/a", "a/database.py") == B.KEEP  # "a/data/" is a folder, not a prefix of names
    assert expect("pypi/b", "LICENSE.eigen") == B.DROP
    assert expect("pypi/b", "LICENSE.eigen.txt") == B.KEEP  # a file path matches itself only
    assert expect("pypi/c", "x.py") == B.KEEP


def test_score():
    rows = [
        ("pypi/a", "LICENSE", True, "permissive"), ("pypi/a", "a.py", True, "permissive"),
        ("pypi/a", "docs/x.rst", False, "non_permissive"),  # one permissive file lost
        ("pypi/b", "COPYING", False, "non_permissive"), ("pypi/b", "b.py", False, "non_permissive"),
        ("pypi/c", "c.py", True, "permissive"),  # a copyleft package published as permissive
        ("pypi/d", "d.py", True, "no_license"),  # kept, but not as permissive: disagrees, no leak
        ("pypi/e", "e.py", True, "permissive"),  # a permissive package ...
        ("pypi/e", "vendor/gpl/g.c", True, "permissive"),  # ... whose vendored GPL folder leaked
    ]
    expected = {"pypi/a": B.KEEP, "pypi/b": B.DROP, "pypi/c": B.DROP, "pypi/d": B.DROP, "pypi/e": B.KEEP}
    got = B.score(rows, B.expectations(expected, [B.KnownException("pypi/e", "vendor/gpl/", B.DROP, "GPL")]))
    assert got.packages == 5 and got.files == 9
    assert got.file_agreement == pytest.approx(5 / 9)
    assert got.permissive_files_dropped == pytest.approx(1 / 4)
    assert got.leaked_packages == ("pypi/c", "pypi/e")
    assert got.disagreeing_packages == (("pypi/a", 1, 3), ("pypi/c", 1, 1), ("pypi/d", 1, 1), ("pypi/e", 1, 2))


def test_archive_names_match_however_the_registry_spells_them(tmp_path):
    for name in ("python_can-4.6.1.tar.gz", "Unidecode-1.4.0.tar.gz", "fortawesome-fontawesome-free-7.3.1.tgz",
                 "highlight.js-11.12.0.tgz", "python-can-4.6.10.tar.gz"):
        (tmp_path / name).write_bytes(b"")
    assert B._cached(tmp_path, "python-can", "4.6.1", B.SDIST_SUFFIXES).name == "python_can-4.6.1.tar.gz"
    assert B._cached(tmp_path, "unidecode", "1.4.0", B.SDIST_SUFFIXES).name == "Unidecode-1.4.0.tar.gz"
    assert B._cached(tmp_path, "@fortawesome/fontawesome-free", "7.3.1", (".tgz",)) is not None
    assert B._cached(tmp_path, "highlight.js", "11.12.0", (".tgz",)) is not None
    assert B._cached(tmp_path, "python-can", "4.6", B.SDIST_SUFFIXES) is None


def test_npm_tree_reads_package_json(tmp_path, tables):
    import io
    import json
    import tarfile

    def tarball(name, manifest, files):
        path = tmp_path / name
        with tarfile.open(path, "w:gz") as tar:
            for rel, text in {"package.json": json.dumps(manifest), **files}.items():
                data = text.encode()
                info = tarfile.TarInfo(f"package/{rel}")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        return path

    tree = B.npm_tree(tarball("x.tgz", {"name": "@s/x", "license": "(MIT OR GPL-3.0-or-later)"},
                              {"index.js": "module.exports = 1;\n"}), tables)
    assert tree.repo == "npm/@s/x" and tree.declared == {"MIT", "GPL-3.0-or-later"}
    assert sorted(p for p, _ in tree.files) == ["index.js", "package.json"]
    assert B.npm_tree(tarball("y.tgz", {"name": "y", "license": {"type": "ISC"}}, {}), tables).declared == {"ISC"}
    assert B.npm_tree(tarball("z.tgz", {"name": "z", "license": "SEE LICENSE IN LICENSE.md"}, {}), tables) is None


def test_exceptions_table_is_well_formed():
    exceptions = B.load_exceptions()
    assert exceptions
    for e in exceptions:
        assert e.repo.startswith(("pypi/", "pypi-sdist/", "npm/"))
        assert e.expected in (B.KEEP, B.DROP) and e.reason.strip()
        assert not e.path.startswith("/")
    assert len({(e.repo, e.path) for e in exceptions}) == len(exceptions)  # one answer per path
