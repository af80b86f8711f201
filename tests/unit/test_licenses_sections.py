"""Sections of a license file (issue 13 part 5): the file's own license first, appendices about
bundled components, and Files: stanzas that name what their license covers. No ScanCode here:
matches are placed by hand as (first line, last line, kind, SPDX ids)."""

import re

import pytest

from codecurate.text import licenses as L

# A wheel's LICENSE after numpy/scipy/matplotlib's manner, written here: the project's own
# license, then the libraries the binary bundles, one stanza each.
WHEEL_LICENSE = """\
Copyright (c) 2021, The Frobnicate Developers
All rights reserved.

Permission is hereby granted ... (the project's BSD text, lines 4-6)
...
----

This binary distribution of Frobnicate also bundles the following software:

Name: OpenMath
Files: frobnicate.libs/libopenmath*.so
License: BSD-3-Clause

Name: GCC runtime library
Files: frobnicate.libs/libgfortran*.so
  frobnicate.libs/libquadmath*.so
License: GPL-3.0-or-later WITH GCC-exception-3.1
  GNU GENERAL PUBLIC LICENSE (lines 19-21) ...
  ...
"""

# gRPC-like: the project's Apache text, then sections introduced by the paths they cover.
APPLIES_TO = """\
Apache License text (line 1)

-----------------------------------------------------------

Following applies to:
./third_party/upb/lexer.c
./third_party/upb/parser.c

BSD text (line 9)

-----------------------------------------------------------

Following applies to:
./etc/roots.pem

Mozilla Public License Version 2.0 (line 16)
==================================
"""


def test_layout_finds_separators_and_stanzas():
    layout = L.section_layout(WHEEL_LICENSE)
    assert layout.separators == (6,)
    assert layout.stanzas == (
        (11, ("frobnicate.libs/libopenmath*.so",)),
        (15, ("frobnicate.libs/libgfortran*.so", "frobnicate.libs/libquadmath*.so")),
    )
    layout = L.section_layout(APPLIES_TO)
    assert layout.separators == (3, 11, 17)
    assert layout.stanzas == ((5, ("third_party/upb/lexer.c", "third_party/upb/parser.c")), (13, ("etc/roots.pem",)))


@pytest.mark.parametrize("line", ["----", "=====", "// ------------", "# ======", " * -----", "=== NOTICE FOR x ===",
                                  "*****", "~~~~", "___"])
def test_separator_lines(line):
    assert L.section_layout(f"MIT\n{line}\nmore\n").separators == (2,)


@pytest.mark.parametrize("line", ["--", "- item", "Files: see below", "The following applies to everything",
                                  "a---b"])
def test_not_separators_nor_stanzas(line):
    assert L.section_layout(f"MIT\n{line}\nmore\n") == L.SectionLayout()


def test_stanza_evidence_covers_the_stanza_files():
    placed = [(4, 6, L.TEXT, ["BSD-3-Clause"]), (13, 13, L.REFERENCE, ["BSD-3-Clause"]),
              (19, 21, L.TEXT, ["GPL-3.0-or-later", "GCC-exception-3.1"])]
    evidence, scoped = L.place_evidence(placed, L.section_layout(WHEEL_LICENSE))
    assert evidence == (("BSD-3-Clause", L.TEXT),)
    assert scoped == (
        ("BSD-3-Clause", L.REFERENCE, "frobnicate.libs/libopenmath*.so"),
        ("GCC-exception-3.1", L.TEXT, "frobnicate.libs/libgfortran*.so"),
        ("GCC-exception-3.1", L.TEXT, "frobnicate.libs/libquadmath*.so"),
        ("GPL-3.0-or-later", L.TEXT, "frobnicate.libs/libgfortran*.so"),
        ("GPL-3.0-or-later", L.TEXT, "frobnicate.libs/libquadmath*.so"),
    )


def test_notices_in_an_appendix_are_references_texts_still_decide():
    text = "Own MIT text\n\n----\n\nBUNDLED LIB\nscripts: GPL-2.0+ notice\nfull GPL text\n\n----\nCC-BY-SA docs\n"
    placed = [(1, 1, L.TEXT, ["MIT"]), (6, 6, L.NOTICE, ["GPL-2.0-or-later"]), (7, 7, L.TEXT, ["GPL-2.0-only"]),
              (10, 10, L.NOTICE, ["CC-BY-SA-4.0"]), (10, 10, L.TAG, ["EPL-2.0"])]
    evidence, scoped = L.place_evidence(placed, L.section_layout(text))
    assert evidence == (("CC-BY-SA-4.0", L.NOTICE), ("EPL-2.0", L.REFERENCE), ("GPL-2.0-only", L.TEXT),
                        ("GPL-2.0-or-later", L.REFERENCE), ("MIT", L.TEXT))
    assert scoped == ()


def test_the_first_grant_is_the_head_whatever_comes_before_it():
    # a banner, a separator, then the file's own GPL notice: the notice is the head, it decides;
    # the export notice before it is not a license and does not open the head
    text = "Frob\n=====\nExport notice\n\nThis program is free software (GPL-3.0+)\n-----\nMIT for x.js\n"
    placed = [(3, 3, L.NOTICE, ["LicenseRef-scancode-generic-export-compliance"]),
              (5, 5, L.NOTICE, ["GPL-3.0-or-later"]), (7, 7, L.NOTICE, ["MIT"])]
    notices = frozenset({"LicenseRef-scancode-generic-export-compliance"})
    evidence, _ = L.place_evidence(placed, L.section_layout(text), notices)
    assert ("GPL-3.0-or-later", L.NOTICE) in evidence
    assert ("MIT", L.REFERENCE) in evidence
    # nothing but a notice after a separator, no grant before: it is the head
    evidence, _ = L.place_evidence([(3, 3, L.NOTICE, ["GPL-2.0-only"])], L.section_layout("Title\n-----\nGPL\n"))
    assert evidence == (("GPL-2.0-only", L.NOTICE),)


@pytest.mark.parametrize("scope,folder,matches,misses", [
    ("numpy.libs/libgfortran*.so", "numpy.libs", ["numpy.libs/libgfortran-040039e1.so"],
     ["numpy.libs/libm.so", "numpyxlibs/libgfortran.so"]),
    ("pkg/ft2font.*.so", "pkg", ["pkg/ft2font.cpython-311-x86_64-linux-gnu.so"], ["pkg/ft2font.py"]),
    ("src/*/gen?.c", "src", ["src/a/gen1.c", "src/a/b/gen2.c"], ["src/gen1.c", "src/a/gen10.c"]),
    ("*.pem", "", ["roots.pem", "certs/ca.pem"], ["roots.pem.txt"]),
])
def test_scope_pattern(scope, folder, matches, misses):
    got_folder, regex = L.scope_pattern(scope)
    assert got_folder == folder
    assert all(re.match(regex, p) for p in matches), regex
    assert not any(re.match(regex, p) for p in misses), regex


def test_plain_scopes_are_not_patterns():
    # brackets are literal (Next.js routes); plain folders and files join as they are
    assert L.scope_pattern("pages/[id]") == ("pages/[id]", None)
    assert L.scope_pattern("") == ("", None)


def test_license_scopes_with_stanzas(tables):
    scopes = L.license_scopes("pkg/LICENSE", [("BSD-3-Clause", L.TEXT)], tables, [
        ("GPL-3.0-or-later", L.TEXT, "pkg.libs/libgfortran*.so"),
        ("MIT", L.REFERENCE, "vendor/x/*"),  # a stanza's License: field decides for its files
        ("Apache-2.0", L.TEXT, "*"),  # DEP-5's "Files: *": the whole folder
        ("ISC", L.TEXT, "etc/roots.pem"),
    ])
    assert scopes == [
        ("pkg", "BSD-3-Clause", L.TEXT),
        ("pkg", "Apache-2.0", L.TEXT),
        ("pkg/pkg.libs/libgfortran*.so", "GPL-3.0-or-later", L.TEXT),
        ("pkg/etc/roots.pem", "ISC", L.TEXT),
        ("pkg/vendor/x", "MIT", L.REFERENCE),
    ]


@pytest.fixture(scope="module")
def tables():
    return L.load_tables()
