"""License rules without ScanCode or Spark: license_type, license-file names, SPDX headers, tables."""

import pytest

from codecurate.text import licenses as L
from codecurate.text.licenses import NO_LICENSE, NON_PERMISSIVE, PERMISSIVE

NOTICE = "LicenseRef-scancode-generic-cla"
EXPORT = "LicenseRef-scancode-generic-export-compliance"
UNKNOWN_REF = "LicenseRef-scancode-unknown-license-reference"
PROPRIETARY = "LicenseRef-scancode-proprietary-license"


@pytest.fixture(scope="module")
def tables():
    return L.load_tables()


# (case, gha_license_id, detected, expected) -- issue 3 part 3, in rule order
THE_STACK_V2_RULES = [
    ("permissive gha wins over a non-permissive detection", "mit", [PROPRIETARY], PERMISSIVE),
    ("permissive gha, nothing detected", "apache-2.0", [], PERMISSIVE),
    ("gha key in another case", "BSD-3-Clause", [], PERMISSIVE),
    ("non-permissive gha beats a permissive detection", "gpl-3.0", ["MIT"], NON_PERMISSIVE),
    ("gha 'other' is not permissive", "other", ["MIT"], NON_PERMISSIVE),
    ("no gha, nothing detected", None, [], NO_LICENSE),
    ("empty gha string counts as none", "", [], NO_LICENSE),
    ("NOASSERTION, nothing detected", "NOASSERTION", [], NON_PERMISSIVE),
    ("NOASSERTION, permissive detected", "NOASSERTION", ["MIT"], PERMISSIVE),
    ("permissive only", None, ["Apache-2.0", "MIT"], PERMISSIVE),
    ("public domain counts as permissive", None, ["Unlicense", "CC0-1.0"], PERMISSIVE),
    ("Blue Oak Bronze (ScanCode: copyleft limited)", None, ["Artistic-2.0"], PERMISSIVE),
    ("notices ignored next to a permissive license", None, ["MIT", NOTICE, EXPORT], PERMISSIVE),
    ("notices only", None, [NOTICE, EXPORT], NO_LICENSE),
    ("unknown reference ignored when a permissive license is present", None, ["MIT", UNKNOWN_REF], PERMISSIVE),
    ("unknown reference alone is not permissive", None, [UNKNOWN_REF], NON_PERMISSIVE),
    ("unknown reference with notices only", None, [UNKNOWN_REF, NOTICE], NON_PERMISSIVE),
    ("mixed permissive and copyleft", None, ["GPL-2.0-only", "MIT"], NON_PERMISSIVE),
    ("proprietary", None, [PROPRIETARY], NON_PERMISSIVE),
    ("unknown id from a header", None, ["Made-Up-License-1.0"], NON_PERMISSIVE),
    ("MPL", None, ["MPL-2.0"], NON_PERMISSIVE),
    ("EPL", None, ["EPL-2.0"], NON_PERMISSIVE),
    ("CC-BY-SA", None, ["CC-BY-SA-4.0"], NON_PERMISSIVE),
    ("Blue Oak Lead is off by default", None, ["Artistic-1.0"], NON_PERMISSIVE),
]


@pytest.mark.parametrize("case,gha,detected,expected", THE_STACK_V2_RULES, ids=[r[0] for r in THE_STACK_V2_RULES])
def test_license_type_the_stack_v2(tables, case, gha, detected, expected):
    assert L.license_type(gha, detected, tables, copyleft_overrides_gha=False) == expected


# The copyleft guard (our default): only changes "permissive gha wins" for copyleft detections.
COPYLEFT_GUARD = [
    ("vendored GPL under an MIT repository", "mit", ["GPL-3.0-only", "MIT"], NON_PERMISSIVE),
    ("MPL under an Apache repository", "apache-2.0", ["MPL-2.0"], NON_PERMISSIVE),
    ("EPL header under a BSD repository", "bsd-3-clause", ["EPL-1.0"], NON_PERMISSIVE),
    ("CC-BY-SA under MIT", "mit", ["CC-BY-SA-3.0"], NON_PERMISSIVE),
    ("LGPL or-later", "mit", ["LGPL-2.1-or-later"], NON_PERMISSIVE),
    ("AGPL", None, ["AGPL-3.0-only"], NON_PERMISSIVE),
    ("non-copyleft detection still loses to permissive gha", "mit", [PROPRIETARY], PERMISSIVE),
    ("plain permissive", "mit", ["MIT"], PERMISSIVE),
]


@pytest.mark.parametrize("case,gha,detected,expected", COPYLEFT_GUARD, ids=[r[0] for r in COPYLEFT_GUARD])
def test_license_type_copyleft_guard(tables, case, gha, detected, expected):
    assert L.license_type(gha, detected, tables, copyleft_overrides_gha=True) == expected


def test_blueoak_lead_tier_is_a_config_choice():
    assert L.load_tables(None, True).is_permissive("Artistic-1.0")
    assert not L.load_tables(None, False).is_permissive("Artistic-1.0")
    # Lead entries that ScanCode already calls permissive are in either way.
    assert L.load_tables(None, False).is_permissive("AAL")


NEVER = ["GPL-2.0-only", "GPL-3.0-or-later", "LGPL-2.1-only", "AGPL-3.0-only", "MPL-1.1", "MPL-2.0",
         "EPL-1.0", "EPL-2.0", "CC-BY-SA-4.0", "SSPL-1.0", "EUPL-1.2", "CDDL-1.0", "OSL-3.0"]


@pytest.mark.parametrize("lead", [False, True])
def test_permissive_list_never_holds_copyleft(lead):
    tables = L.load_tables(None, lead)
    for spdx_id in NEVER:
        assert spdx_id not in tables.permissive, spdx_id
    for spdx_id in ["MIT", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "ISC", "0BSD", "Zlib", "Unlicense"]:
        assert spdx_id in tables.permissive, spdx_id


def test_notices_table_holds_the_issue_list(tables):
    for key in ["generic-cla", "generic-export-compliance", "generic-trademark", "warranty-disclaimer",
                "generic-exception"]:
        assert f"LicenseRef-scancode-{key}" in tables.notices
    assert "MIT" not in tables.notices


@pytest.mark.parametrize("path,expected", [
    ("LICENSE", True), ("LICENSE.txt", True), ("license.md", True), ("LICENCE", True),
    ("COPYING", True), ("COPYING.LESSER", True), ("COPYRIGHT", True), ("NOTICE", True),
    ("UNLICENSE", True), ("README", True), ("docs/README.rst", True), ("MIT-LICENSE", True),
    ("LICENSE-APACHE", True), ("THIRD-PARTY-NOTICES.txt", True), ("vendor/x/COPYING.GPLv2", True),
    ("PATENTS", True), ("LICENSE.BSD", True),
    ("gpl.txt", True), ("GPL-3.0.txt", True), ("lib/LGPL-2.1", True), ("mit.txt", True), ("MIT", True),
    ("bsd-3-clause.txt", True), ("LICENSES/Apache-2.0.txt", True), ("mpl2.txt", True), ("CC-BY-SA-4.0.md", True),
    ("agpl-3.0-or-later.txt", True), ("gplv3", True),
    ("mit.py", False), ("bsdtar.c", False), ("gplot.txt", False), ("apache_config.txt", False), ("mitre.md", False),
    ("src/license.go", False), ("notice.py", False), ("main.c", False), ("licensee/lib.rb", False),
    ("readme_test.js", False), ("docs/guide.md", False), ("Makefile", False),
])
def test_is_license_file(path, expected):
    assert L.is_license_file(path) is expected


def test_license_name_hint_admits_every_license_file():
    # The JVM pre-filter may let through more than is_license_file, never less: every name
    # is_license_file accepts, among ~25k built from its words, stems and qualifiers, matches.
    import itertools
    import re

    hint = re.compile(L.LICENSE_NAME_HINT, re.IGNORECASE)
    stems = [*L.LICENSE_NAME_WORDS, "gpl", "agpl-3.0", "lgplv2", "mpl2", "epl-1", "eupl", "cddl", "sspl", "osl",
             "mit", "apache-2", "bsd-3-clause", "isc", "zlib", "unlicense", "cc0", "wtfpl", "artistic",
             "cc-by-nc-sa", "gplv3+", "x", "main", "third_party"]
    affixes = ["", "-", "_", "THIRD-PARTY-", "-MIT", "_apache", "3rdparty-", "-code"]
    suffixes = ["", ".txt", ".md", ".GPLv2", ".python", ".c", ".rst", ".LESSER"]
    admitted = 0
    for stem, (before, after), suffix in itertools.product(stems, itertools.product(affixes, affixes), suffixes):
        for name in {f"{before}{stem}{after}{suffix}", f"{before}{stem}{after}{suffix}".upper()}:
            if L.is_license_file(f"pkg/{name}"):
                admitted += 1
                assert hint.search(name), name
    assert admitted > 10_000  # the loop did test license file names


@pytest.mark.parametrize("text,expected", [
    ("// SPDX-License-Identifier: MIT\nint x;\n", ["MIT"]),
    ("/* SPDX-License-Identifier: GPL-2.0 */\n", ["GPL-2.0-only"]),  # deprecated id -> canonical
    ("# SPDX-License-Identifier: GPL-2.0+ WITH Linux-syscall-note\n", ["GPL-2.0-or-later", "Linux-syscall-note"]),
    ("-- SPDX-License-Identifier: (mit OR Apache-2.0)\n", ["MIT", "Apache-2.0"]),
    ("<!-- SPDX-License-Identifier: BSD-3-Clause -->", ["BSD-3-Clause"]),
    ("SPDX-License-Identifier: MIT\nSPDX-License-Identifier: MIT AND ISC\n", ["MIT", "ISC"]),
    ("SPDX-License-Identifier: LicenseRef-My-Own\n", ["LicenseRef-My-Own"]),
    ("no header here, just MIT mentioned\n", []),
    ("SPDX-License-Identifier:\n", []),
])
def test_spdx_header_ids(tables, text, expected):
    assert L.spdx_header_ids(text, tables) == expected


def test_spdx_header_on_a_huge_line_is_bounded(tables):
    text = "SPDX-License-Identifier: MIT " + "x" * 1_000_000
    assert L.spdx_header_ids(text, tables) == ["MIT"]


@pytest.mark.parametrize("gha,expected", [
    ("mit", "MIT"), ("apache-2.0", "Apache-2.0"), ("gpl-3.0", "GPL-3.0-only"), ("bsd-3-clause", "BSD-3-Clause"),
    ("unlicense", "Unlicense"), ("lgpl-2.1", "LGPL-2.1-only"), ("other", "other"), (None, None),
])
def test_gha_to_spdx(tables, gha, expected):
    assert L.gha_to_spdx(gha, tables) == expected


def test_cap_text_cuts_on_a_character_boundary():
    assert L.cap_text("é" * 10, 5) == "éé"  # 2 bytes each: 4 of 5 bytes used
    assert L.cap_text("abc", 10) == "abc"


@pytest.mark.parametrize("override,key", [
    ("licenses.keep_types=[permissive, gpl]", "licenses.keep_types"),
    ("licenses.max_license_file_bytes=0", "licenses.max_license_file_bytes"),
    ("licenses.spdx_header_chars=-1", "licenses.spdx_header_chars"),
    ("licenses.copyleft_overrides_gha=maybe", "licenses.copyleft_overrides_gha"),
    ("licenses.permisive_list=x", "licenses.permisive_list"),
])
def test_bad_licenses_config_names_the_key(override, key):
    from codecurate.config import ConfigError, load_config

    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_config(None, ["input.export=/tmp/x", override])
