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


def test_score():
    rows = [
        ("pypi/a", "LICENSE", True, "permissive"), ("pypi/a", "a.py", True, "permissive"),
        ("pypi/a", "docs/x.rst", False, "non_permissive"),  # one permissive file lost
        ("pypi/b", "COPYING", False, "non_permissive"), ("pypi/b", "b.py", False, "non_permissive"),
        ("pypi/c", "c.py", True, "permissive"),  # a copyleft package published as permissive
        ("pypi/d", "d.py", True, "no_license"),  # kept, but not as permissive: disagrees, no leak
    ]
    got = B.score(rows, {"pypi/a": B.KEEP, "pypi/b": B.DROP, "pypi/c": B.DROP, "pypi/d": B.DROP})
    assert got.packages == 4 and got.files == 7
    assert got.file_agreement == pytest.approx(4 / 7)
    assert got.permissive_files_dropped == pytest.approx(1 / 3)
    assert got.leaked_packages == ("pypi/c",)
    assert got.disagreeing_packages == (("pypi/a", 1, 3), ("pypi/c", 1, 1), ("pypi/d", 1, 1))


def test_exceptions_table_is_well_formed():
    for repo, (expected, reason) in B.load_exceptions().items():
        assert repo.startswith(("pypi/", "pypi-sdist/", "npm/"))
        assert expected in (B.KEEP, B.DROP) and reason.strip()
