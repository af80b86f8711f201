"""License evidence by kind and by scope (issue 13 part 4), and the exact-first scan (issue 12).

Texts are written here, after the real cases (Django's LICENSE.python, Celery's documentation
license, Ramda's logo license, KaTeX's font license, charset_normalizer's comparison table) but
not copied from them; full license texts come from this machine (/usr/share/common-licenses,
ScanCode's own license data, installed packages).
"""

import hashlib
import sys
from pathlib import Path

import pytest
from pyspark.sql import types as T

from codecurate import columns as C
from codecurate.config import Config
from codecurate.stages import licenses as stage
from codecurate.stages.base import StageContext
from codecurate.text import licenses as L

COMMON = Path("/usr/share/common-licenses")
SITE = Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
SCANCODE_DATA = SITE / "licensedcode" / "data" / "licenses"


def _scancode_text(key: str) -> str:
    """A license text from ScanCode's data (the YAML front matter dropped)."""
    return (SCANCODE_DATA / f"{key}.LICENSE").read_text().split("---\n", 2)[2]


def _mit() -> str:
    return sorted(SITE.glob("attrs-*.dist-info/licenses/LICENSE"))[-1].read_text()


BSD = (COMMON / "BSD").read_text()
GPL3 = (COMMON / "GPL-3").read_text()
GPL2 = (COMMON / "GPL-2").read_text()
# a BSD-3-Clause text reworded here and there: ScanCode's exact matchers miss it
REWORDED_BSD = (BSD.replace("Regents of the University of California", "members of the Foo Project")
                .replace("University", "Project")
                .replace("without specific prior written permission", "without their prior written consent"))

PYTHON_HISTORY = """\
Parts of acme/utils/inspection.py come from the Python standard library and are
distributed under the Python Software Foundation License. Its notice follows.

A. HISTORY OF THE SOFTWARE
==========================

Python was created in the early 1990s at Stichting Mathematisch Centrum in the
Netherlands as a successor of a language called ABC. In 2001 the Python Software
Foundation was formed to own Python-related intellectual property. All Python
releases are Open Source. Historically, most, but not all, Python releases have
also been GPL-compatible; the table below summarizes the various releases.

    Release         Derived     Year        Owner       GPL-
                    from                                compatible? (1)
    1.6             1.5.2       2000        CNRI        no
    2.0             1.6         2000        BeOpen.com  no
    2.1.1           2.1+2.0.1   2001        PSF         yes

Footnote (1): GPL-compatible doesn't mean that we're distributing Python under
the GPL. All Python licenses, unlike the GPL, let you distribute a modified
version without making your changes open source.

B. TERMS AND CONDITIONS FOR ACCESSING OR OTHERWISE USING PYTHON
===============================================================

"""

CELERY_LIKE = BSD + """

Documentation License
=====================

The documentation portion of Stalk (the rendered contents of the "docs"
directory of a software distribution or checkout) is supplied under the
"Creative Commons Attribution-ShareAlike 4.0 International" (CC BY-SA 4.0)
License as described by https://creativecommons.org/licenses/by-sa/4.0/

Footnotes
=========
(1) A GPL-compatible license makes it possible to combine Stalk with other
    software that is released under the GPL, it does not mean that we are
    distributing Stalk under the GPL license.
"""

RAMDA_LIKE_README = """\
# lambda-kit

A practical functional library for JavaScript programmers.

    npm install lambda-kit

## Why

Immutable data and side-effect free functions.

## License

Code: MIT, see LICENSE.txt. The lambda logo artwork is licensed under a Creative
Commons Attribution-NonCommercial 4.0 International License.
"""

KATEX_LIKE_README = """\
# mathfast

Fast math typesetting for the web.

The fonts shipped in fonts/ are licensed under the Open Software License 3.0
(OSL-3.0); see LICENSE.fonts.
"""

CHARSET_LIKE_README = """\
# encoding-sniffer

Detects the encoding of unknown text, a faster alternative to older detectors.

| Feature          | chardet   | cchardet  | encoding-sniffer |
|------------------|-----------|-----------|------------------|
| Fast             | no        | yes       | yes              |
| Pure Python      | yes       | no        | yes              |
| License          | LGPL-2.1  | MPL-1.1   | MIT              |
| Native Python    | yes       | no        | yes              |

Unlike chardet, distributed under the GNU Lesser General Public License, this
project is released under the MIT license.
"""


# --- normalisation: one scan per license text, whatever its copyright line ---------------------

def test_copyright_variants_share_a_key():
    a = "Copyright (c) 2019 Jane Roe\n\nPermission is hereby granted, free of charge...\n"
    b = "Copyright 2021-2024 ACME Corp.\nAll rights reserved.\n\nPermission  is hereby\tgranted, free of charge...\n"
    c = "(C) 2003 by John Doe <john@example.org>\nAuthor: someone\nPermission is hereby granted, free of charge...\n"
    assert L.normalised_key(a, 10_000) == L.normalised_key(b, 10_000) == L.normalised_key(c, 10_000)
    # a different license word is a different text
    assert L.normalised_key(a.replace("free", "free-ish"), 10_000) != L.normalised_key(a, 10_000)
    # a copyright line that also speaks of a license is kept
    d = "Copyright (c) 2019 Jane Roe, licensed under the GPL\nPermission is hereby granted, free of charge...\n"
    assert L.normalised_key(d, 10_000) != L.normalised_key(a, 10_000)
    # "COPYRIGHT HOLDERS AND CONTRIBUTORS" wrapped to a line start is license text, not a copyright
    assert "copyright holders and contributors" in L.normalise_license_text("COPYRIGHT HOLDERS AND CONTRIBUTORS \"AS IS\"")


# --- ScanCode's kinds ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def scancode():
    return L.scancode()


def _kinds(result):
    return {spdx_id: kind for spdx_id, kind in result.evidence}


def test_kinds_of_real_texts(scancode):
    gpl = L.scan_license_text(GPL3)
    assert gpl.evidence == (("GPL-3.0-only", L.TEXT),)
    assert not gpl.approximate  # the exact matchers explain a verbatim text
    notice = ("This program is free software: you can redistribute it and/or modify it under the terms of "
              "the GNU General Public License as published by the Free Software Foundation, either version 3 "
              "of the License, or (at your option) any later version.")
    assert _kinds(L.scan_license_text(notice)) == {"GPL-3.0-or-later": L.NOTICE}
    assert _kinds(L.scan_license_text("// SPDX-License-Identifier: GPL-2.0-only\n")) == {"GPL-2.0-only": L.TAG}
    assert _kinds(L.scan_license_text("Licensed under the MIT license.")) == {"MIT": L.REFERENCE}


def test_history_and_comparison_name_gpl_without_granting_it(scancode):
    history = L.scan_license_text(PYTHON_HISTORY + _scancode_text("psf-2.0"))
    grants = {i for i, k in history.evidence if k in L.GRANTS}
    assert grants and not any(L.NEVER_PERMISSIVE.match(i) for i in grants), history
    assert any(i.startswith("GPL") for i in history.licenses)  # ScanCode does see the mentions
    table = L.scan_license_text(CHARSET_LIKE_README)
    assert not any(L.NEVER_PERMISSIVE.match(i) for i, k in table.evidence if k in L.GRANTS), table


def test_approximate_pass_only_where_exact_leaves_text_unexplained(scancode):
    result = L.scan_license_text(REWORDED_BSD)
    assert result.approximate
    assert "BSD-3-Clause" in result.licenses
    no_approx = L.scan_license_text(REWORDED_BSD, options=L.ScanOptions(approximate_min_unexplained=10**6))
    assert not no_approx.approximate and "BSD-3-Clause" not in no_approx.licenses


def test_huge_file_gets_the_approximate_pass_on_its_head_only(scancode):
    filler = "".join(f"row {i} alpha beta gamma delta\n" for i in range(20_000))  # ~600 KB, no legalese
    text = REWORDED_BSD + filler + GPL2
    options = L.ScanOptions(max_bytes=10**7, approximate_max_bytes=8 * 1024)
    result = L.scan_license_text(text, options=options)
    assert result.approximate
    # the GPL past the approximate cap is still found, by the exact pass over the rest
    assert ("GPL-2.0-only", L.TEXT) in result.evidence


# --- scope: what a license file covers (no ScanCode) --------------------------------------------

@pytest.fixture(scope="module")
def tables():
    return L.load_tables()


@pytest.mark.parametrize("path,part", [
    ("LICENSE", None), ("LICENSE.txt", None), ("LICENSE-MIT", None), ("COPYING.LESSER", None),
    ("LICENSE.APACHE2", None), ("LICENSE_1_0.txt", None), ("THIRD-PARTY-NOTICES", None),
    ("docs/LICENSE", None), ("README.md", None), ("LICENSE.python", "python"), ("LICENSE.fonts", "fonts"),
    ("lib/LICENSE-docs.md", "docs"), ("fonts-LICENSE.txt", "fonts"),
])
def test_license_file_part(tables, path, part):
    assert L.license_file_part(path, tables) == part


def test_scopes(tables):
    # named for a part: covers that folder and itself, not the repository
    assert L.license_scopes("LICENSE.python", [("Python-2.0", L.TEXT)], tables) == [
        ("python", "Python-2.0", L.TEXT), ("LICENSE.python", "Python-2.0", L.TEXT)]
    # a documentation license next to a code license covers the documentation folders
    assert L.license_scopes("pkg/LICENSE", [("BSD-3-Clause", L.TEXT), ("CC-BY-SA-4.0", L.NOTICE)], tables) == [
        ("pkg", "BSD-3-Clause", L.TEXT), ("pkg/doc", "CC-BY-SA-4.0", L.NOTICE),
        ("pkg/docs", "CC-BY-SA-4.0", L.NOTICE), ("pkg/documentation", "CC-BY-SA-4.0", L.NOTICE)]
    # ... and alone, the folder of its file (a CC-BY-SA content repository)
    assert L.license_scopes("LICENSE", [("CC-BY-SA-4.0", L.TEXT)], tables) == [("", "CC-BY-SA-4.0", L.TEXT)]
    # references decide only alone in a dedicated license file
    assert L.license_scopes("LICENSE", [("GPL-3.0-or-later", L.REFERENCE)], tables) == [
        ("", "GPL-3.0-or-later", L.REFERENCE)]
    assert L.license_scopes("README.md", [("GPL-3.0-or-later", L.REFERENCE)], tables) == []
    assert L.license_scopes("LICENSE", [("MIT", L.TEXT), ("GPL-1.0-or-later", L.REFERENCE)], tables) == [
        ("", "MIT", L.TEXT)]
    # a documentation license named in a license file next to the code's license: docs only
    assert L.license_scopes("LICENSE", [("BSD-3-Clause", L.TEXT), ("CC-BY-SA-4.0", L.REFERENCE)], tables) == [
        ("", "BSD-3-Clause", L.TEXT), ("doc", "CC-BY-SA-4.0", L.REFERENCE), ("docs", "CC-BY-SA-4.0", L.REFERENCE),
        ("documentation", "CC-BY-SA-4.0", L.REFERENCE)]
    assert L.license_scopes("README.md", [("MIT", L.TEXT), ("CC-BY-NC-4.0", L.REFERENCE)], tables) == [
        ("", "MIT", L.TEXT)]
    # a GPL text in a third-party bundle covers the bundle's folder
    assert L.license_scopes("THIRD-PARTY-NOTICES", [("GPL-2.0-only", L.TEXT), ("MIT", L.TEXT)], tables) == [
        ("", "GPL-2.0-only", L.TEXT), ("", "MIT", L.TEXT)]


# --- the stage on the cases -------------------------------------------------------------

FILES_SCHEMA = T.StructType([T.StructField(c, T.StringType()) for c in (
    C.REPO_NAME, C.SNAPSHOT_ID, C.PATH, C.BLOB_ID, C.GHA_LICENSE_ID, C.CONTENT)])


def test_mentions_and_part_licenses_keep_permissive_repositories(spark):
    mit = _mit()
    rows = [
        # Django-like: BSD repository, LICENSE.python tells Python's license history
        ("django-like", "LICENSE", None, BSD),
        ("django-like", "LICENSE.python", None, PYTHON_HISTORY + _scancode_text("psf-2.0")),
        ("django-like", "acme/utils/inspection.py", None, "def f():\n    pass\n"),
        ("django-like", "acme/views.py", None, "x = 1\n"),
        # Celery-like: BSD code, CC-BY-SA documentation
        ("celery-like", "LICENSE", None, CELERY_LIKE),
        ("celery-like", "stalk/app.py", None, "app = 1\n"),
        ("celery-like", "docs/index.rst", None, "Stalk\n=====\n"),
        # Ramda-like: MIT code, README mentions a CC-BY-NC logo
        ("ramda-like", "LICENSE.txt", None, mit),
        ("ramda-like", "README.md", None, RAMDA_LIKE_README),
        ("ramda-like", "src/map.js", None, "module.exports = f => xs => xs.map(f);\n"),
        # KaTeX-like: MIT code, OSL-3.0 fonts
        ("katex-like", "LICENSE", None, mit),
        ("katex-like", "README.md", None, KATEX_LIKE_README),
        ("katex-like", "LICENSE.fonts", None, _scancode_text("osl-3.0")),
        ("katex-like", "src/render.js", None, "export const render = () => 1;\n"),
        ("katex-like", "fonts/Main-Regular.woff2", None, "wOF2 binary"),
        # charset_normalizer-like: MIT, README compares LGPL and MPL libraries
        ("charset-like", "LICENSE", None, mit),
        ("charset-like", "README.md", None, CHARSET_LIKE_README),
        ("charset-like", "sniffer/api.py", None, "def detect(b):\n    return 'utf-8'\n"),
        # a real GPL repository
        ("gpl-app", "COPYING", None, GPL3),
        ("gpl-app", "main.c", None, "int main(void) { return 0; }\n"),
        # a real GPL text in a bundle of third-party notices: copyleft for what it covers,
        # GitHub's "mit" notwithstanding (copyleft_overrides_gha)
        ("bundle", "THIRD-PARTY-NOTICES.txt", "mit", "Third-party software notices\n\n" + mit + "\n\n" + GPL2),
        ("bundle", "lib.c", "mit", "int f;\n"),
    ]
    files = spark.createDataFrame(
        [(repo, "s", path, hashlib.sha1(text.encode()).hexdigest(), gha, text) for repo, path, gha, text in rows],
        FILES_SCHEMA).coalesce(1)
    ctx = StageContext(spark=spark, checkpoint=lambda df: df.checkpoint(eager=True), log=lambda _: None)
    out = {(r[C.REPO_NAME], r[C.PATH]): r for r in stage.run(files, Config(), ctx).collect()}
    kept = {key for key, r in out.items() if r[C.DROP_REASON] is None}
    assert kept == {
        ("django-like", "LICENSE"), ("django-like", "LICENSE.python"), ("django-like", "acme/utils/inspection.py"),
        ("django-like", "acme/views.py"),
        ("celery-like", "LICENSE"), ("celery-like", "stalk/app.py"),
        ("ramda-like", "LICENSE.txt"), ("ramda-like", "README.md"), ("ramda-like", "src/map.js"),
        ("katex-like", "LICENSE"), ("katex-like", "README.md"), ("katex-like", "src/render.js"),
        ("charset-like", "LICENSE"), ("charset-like", "README.md"), ("charset-like", "sniffer/api.py"),
    }
    # detected_licenses holds what decided, nothing mentioned
    assert out[("django-like", "acme/views.py")][C.DETECTED_LICENSES] == ["BSD-3-Clause"]
    assert out[("celery-like", "stalk/app.py")][C.DETECTED_LICENSES] == ["BSD-3-Clause"]
    assert out[("charset-like", "sniffer/api.py")][C.DETECTED_LICENSES] == ["MIT"]
    assert out[("ramda-like", "src/map.js")][C.DETECTED_LICENSES] == ["MIT"]
    # the parts keep their own licenses; the rejects say which kind of evidence decided
    docs = out[("celery-like", "docs/index.rst")]
    assert docs[C.DETECTED_LICENSES] == ["BSD-3-Clause", "CC-BY-SA-4.0"]
    assert "notice:CC-BY-SA-4.0:LICENSE" in docs[C.LICENSE_EVIDENCE]  # the approximate pass: 98% of a rule
    font = out[("katex-like", "fonts/Main-Regular.woff2")]
    assert font[C.LICENSE_TYPE] == "non_permissive"
    assert "text:OSL-3.0:LICENSE.fonts" in font[C.LICENSE_EVIDENCE]
    gpl = out[("gpl-app", "main.c")]
    assert (gpl[C.DETECTED_LICENSES], gpl[C.DROP_REASON]) == (["GPL-3.0-only"], "license_non_permissive")
    assert gpl[C.LICENSE_EVIDENCE] == ["text:GPL-3.0-only:COPYING"]
    bundled = out[("bundle", "lib.c")]
    assert bundled[C.LICENSE_TYPE] == "non_permissive"
    assert "text:GPL-2.0-only:THIRD-PARTY-NOTICES.txt" in bundled[C.LICENSE_EVIDENCE]
    assert len(out) == len(rows)  # conservation
    assert ctx.metrics["license_files"] == 12


# --- sections: a wheel's bundle list, an appendix's quoted notices (issue 13 part 5) -------------

GPL2_NOTICE = """\
    This program is free software; you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation; either version 2 of the License, or
    (at your option) any later version.
"""

# numpy/scipy/matplotlib-like: the project's own license, then what the binary wheel bundles
WHEEL_LIKE = BSD + """
----

The binary wheels of Quux also ship the following libraries:

Name: libgomp
Files: quux.libs/libgomp*.so
Description: the OpenMP runtime, linked dynamically
License: GPL-3.0-or-later WITH GCC-exception-3.1

""" + GPL3

# Pillow-like: the project's own license, then the licenses of the libraries its wheels bundle,
# one of which says which of *its* parts are GPL
APPENDIX_LIKE = """\
The Quux library is distributed under the MIT license:

""" + "{mit}" + """

----

LIBBAR

The libbar command-line tools are not part of the wheels; they are distributed
under the following terms:

""" + GPL2_NOTICE

# the file's own license is a GPL notice; an MIT text for one helper follows: the GPL decides
GPL_FIRST = GPL2_NOTICE + """
-------------------------------------------------------------------------------

The helper script in tools/ was contributed under the MIT license:

""" + "{mit}"


def test_wheel_bundle_list_scopes_the_gpl_to_its_files(scancode):
    result = L.scan_license_text(WHEEL_LIKE)
    assert ("BSD-3-Clause", L.TEXT) in result.evidence
    assert not any(L.NEVER_PERMISSIVE.match(i) for i, _ in result.evidence), result.evidence
    assert ("GPL-3.0-only", L.TEXT, "quux.libs/libgomp*.so") in result.scoped


def test_notice_in_an_appendix_is_a_reference(scancode):
    result = L.scan_license_text(APPENDIX_LIKE.format(mit=_mit()))
    assert ("MIT", L.TEXT) in result.evidence
    assert ("GPL-2.0-or-later", L.REFERENCE) in result.evidence
    first = L.scan_license_text(GPL_FIRST.format(mit=_mit()))
    assert ("GPL-2.0-or-later", L.NOTICE) in first.evidence


def test_sections_in_the_stage(spark):
    mit = _mit()
    rows = [
        ("wheel-like", "LICENSE.txt", WHEEL_LIKE),
        ("wheel-like", "quux/core.py", "def f():\n    return 1\n"),
        ("wheel-like", "quux.libs/libgomp-a34b3233.so", "ELF stand-in\n"),
        ("wheel-like", "quux.libs/libz-9f2e.so", "ELF stand-in\n"),
        ("appendix-like", "LICENSE", APPENDIX_LIKE.format(mit=mit)),
        ("appendix-like", "quux/image.py", "x = 1\n"),
        ("gpl-first", "COPYRIGHT", GPL_FIRST.format(mit=mit)),
        ("gpl-first", "tools/helper.py", "y = 2\n"),
    ]
    files = spark.createDataFrame(
        [(repo, "s", path, hashlib.sha1(text.encode()).hexdigest(), None, text) for repo, path, text in rows],
        FILES_SCHEMA).coalesce(1)
    ctx = StageContext(spark=spark, checkpoint=lambda df: df.checkpoint(eager=True), log=lambda _: None)
    out = {(r[C.REPO_NAME], r[C.PATH]): r for r in stage.run(files, Config(), ctx).collect()}
    kept = {key for key, r in out.items() if r[C.DROP_REASON] is None}
    assert kept == {
        ("wheel-like", "LICENSE.txt"), ("wheel-like", "quux/core.py"), ("wheel-like", "quux.libs/libz-9f2e.so"),
        ("appendix-like", "LICENSE"), ("appendix-like", "quux/image.py"),
    }
    assert out[("wheel-like", "quux/core.py")][C.DETECTED_LICENSES] == ["BSD-3-Clause"]
    gomp = out[("wheel-like", "quux.libs/libgomp-a34b3233.so")]
    assert "text:GPL-3.0-only:LICENSE.txt" in gomp[C.LICENSE_EVIDENCE]
    assert out[("appendix-like", "quux/image.py")][C.DETECTED_LICENSES] == ["MIT"]
    helper = out[("gpl-first", "tools/helper.py")]
    assert "notice:GPL-2.0-or-later:COPYRIGHT" in helper[C.LICENSE_EVIDENCE]
    assert len(out) == len(rows)
