"""Real ScanCode detection on real license texts found on this machine (index load: ~7-11 s, once)."""

import sys
from pathlib import Path

import pytest

from codecurate.text import licenses as L

COMMON = Path("/usr/share/common-licenses")
SITE = Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"

# (file, SPDX ids ScanCode must report); dist-info paths are globbed so a patch upgrade still works
TEXTS = [
    (COMMON / "GPL-3", ("GPL-3.0-only",)),
    (COMMON / "GPL-2", ("GPL-2.0-only",)),
    (COMMON / "Apache-2.0", ("Apache-2.0",)),
    (COMMON / "BSD", ("BSD-3-Clause",)),
    (COMMON / "LGPL-2.1", ("LGPL-2.1-only",)),
    (COMMON / "MPL-2.0", ("MPL-2.0",)),
    ("attrs-*.dist-info/licenses/LICENSE", ("MIT",)),
    ("click-*.dist-info/licenses/LICENSE.txt", ("BSD-3-Clause",)),
    ("fasteners-*.dist-info/licenses/LICENSE", ("Apache-2.0",)),
    ("chardet-*.dist-info/licenses/LICENSE", ("0BSD",)),
]


def _locate(spec):
    if isinstance(spec, Path):
        return spec
    matches = sorted(SITE.glob(spec))
    if not matches:
        pytest.skip(f"{spec} is not installed in this venv")
    return matches[-1]


@pytest.fixture(scope="module")
def scancode():
    return L.scancode()  # the index: loaded once for the module


@pytest.mark.parametrize("spec,expected", TEXTS, ids=[str(t[0]).rsplit("/", 3)[-1] if isinstance(t[0], Path)
                                                      else t[0].split("-")[0] for t in TEXTS])
def test_detects_real_license_texts(scancode, spec, expected):
    path = _locate(spec)
    result = L.scan_license_text(path.read_text(errors="replace"), timeout_seconds=60, max_bytes=512 * 1024)
    assert result.status == L.SCAN_OK
    assert result.licenses == expected


def test_non_spdx_keys_become_licenseref(scancode):
    assert scancode.spdx_id("no-such-key-at-all") == "LicenseRef-scancode-no-such-key-at-all"
    assert scancode.spdx_id("mit") == "MIT"
    assert scancode.spdx_id("gpl-2.0-plus") == "GPL-2.0-or-later"


def test_short_statement_and_empty_text(scancode):
    assert L.scan_license_text("Licensed under the MIT license.", 30, 10_000).licenses == ("MIT",)
    assert L.scan_license_text("   \n", 30, 10_000) == L.ScanResult((), L.SCAN_NONE)
    assert L.scan_license_text("Just some words about cooking pasta.", 30, 10_000).status == L.SCAN_NONE


def test_cap_hides_a_license_past_the_cap(scancode):
    text = "x\n" * 5000 + (COMMON / "GPL-3").read_text()
    assert "GPL-3.0-only" in L.scan_license_text(text, 60, 10**7).licenses
    assert L.scan_license_text(text, 60, 9000).status == L.SCAN_NONE


def test_timeout_becomes_a_status_not_a_crash(scancode):
    text = (COMMON / "GPL-3").read_text() * 30
    result = L.scan_license_text(text, timeout_seconds=0.001, max_bytes=10**7)
    assert result.status == L.SCAN_TIMEOUT


def test_scancode_exception_becomes_error_status(scancode, monkeypatch):
    def explode(*args, **kwargs):
        raise MemoryError("simulated")

    monkeypatch.setattr(type(scancode.index), "match_query", explode)
    result = L.scan_license_text("MIT License", 30, 10_000)
    assert result == L.ScanResult((), L.SCAN_ERROR, "MemoryError")
