"""Regenerate configs/data/licenses/ from ScanCode's license database and the Blue Oak list.

    .venv/bin/python scripts/gen_permissive_list.py

Writes, next to a copy of the Blue Oak list:
  permissive.tsv   candidate permissive licenses: ScanCode category Permissive or Public Domain,
                   or any Blue Oak tier (the loader counts the "Lead" tier only when
                   licenses.blueoak_lead_is_permissive is set)
  copyleft.tsv     for review only: the ScanCode licenses NEVER_PERMISSIVE (the runtime guard) covers
  notices.tsv      ScanCode keys that are notices, not licenses: ignored by license_type
  spdx_aliases.tsv every SPDX id ScanCode knows (and its older spellings) -> the canonical id
The output is deterministic (sorted), so a regenerated list diffs cleanly in review.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from codecurate.text.licenses import NEVER_PERMISSIVE  # GPL family, MPL, EPL, CC-BY-SA, SSPL, ...

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "configs" / "data" / "licenses"
BLUEOAK_NAME = "blueoak-list-15.0.0.json"
# npm @blueoak/list 15.0.0, index.json (CC0-1.0), kept in OUT: to move to a newer list, replace
# that file with the `index.json` of `npm pack @blueoak/list@<version>` and re-run this script

SCANCODE_PERMISSIVE_CATEGORIES = ("Permissive", "Public Domain")
BLUEOAK_TIERS = ("Model", "Gold", "Silver", "Bronze", "Lead")

# Notices that are not licenses (issue 3, part 3). Every ScanCode key in the "CLA" category,
# plus these "Unstated License" keys whose texts are a notice rather than a grant: read from
# licensedcode/data/licenses/<key>.LICENSE of scancode-toolkit 32.5.0.
NOTICE_CATEGORIES = ("CLA",)
NOTICE_KEYS = {
    "generic-export-compliance": "export-control notice",
    "generic-trademark": "trademark notice",
    "generic-tos": "terms-of-service notice",
    "warranty-disclaimer": "bare warranty disclaimer",
    "here-disclaimer": "warranty disclaimer",
    "generic-exception": "generic license exception notice, no license of its own",
}


class GenerateError(RuntimeError):
    pass


def main() -> int:
    try:
        import scancode_config
        from licensedcode.models import load_licenses
    except ImportError as err:
        raise GenerateError("scancode-toolkit is not installed in this interpreter") from err

    licenses = load_licenses()  # key -> License, read from the installed YAML files
    spdx_of = {key: lic.spdx_license_key or f"LicenseRef-scancode-{key}" for key, lic in licenses.items()}
    blueoak = json.loads((OUT / BLUEOAK_NAME).read_text())
    tier_of = {}
    for tier in blueoak:
        if tier["name"] not in BLUEOAK_TIERS:
            raise GenerateError(f"unexpected Blue Oak tier {tier['name']!r}")
        for entry in tier["licenses"]:
            tier_of[entry["id"]] = tier["name"]

    aliases: dict[str, str] = {}
    for key in sorted(licenses):
        lic = licenses[key]
        for alias in [spdx_of[key], *(lic.other_spdx_license_keys or [])]:
            aliases.setdefault(alias, spdx_of[key])
    for spdx_id in tier_of:
        aliases.setdefault(spdx_id, spdx_id)

    def never_permissive(spdx_id: str, key: str) -> bool:
        return bool(NEVER_PERMISSIVE.match(spdx_id) or NEVER_PERMISSIVE.match(key))

    key_of_spdx = {}
    for key in sorted(licenses):
        key_of_spdx.setdefault(spdx_of[key], key)

    permissive_rows, refused = [], []
    candidates = {spdx_of[k] for k, lic in licenses.items() if lic.category in SCANCODE_PERMISSIVE_CATEGORIES}
    candidates |= set(tier_of)
    for spdx_id in sorted(candidates):
        key = key_of_spdx.get(spdx_id, "")
        category = licenses[key].category if key else ""
        if never_permissive(spdx_id, key):
            refused.append(spdx_id)
            continue
        sources = []
        if category in SCANCODE_PERMISSIVE_CATEGORIES:
            sources.append(f"scancode:{category}")
        if spdx_id in tier_of:
            sources.append(f"blueoak:{tier_of[spdx_id]}")
        permissive_rows.append((spdx_id, key, category, tier_of.get(spdx_id, ""), ";".join(sources)))

    copyleft_rows = sorted(
        {(spdx_of[k], k, licenses[k].category) for k in licenses if never_permissive(spdx_of[k], k)}
    )
    notice_rows = sorted(
        (spdx_of[k], k, licenses[k].category, NOTICE_KEYS.get(k, "contributor agreement (CLA category)"))
        for k in licenses
        if licenses[k].category in NOTICE_CATEGORIES or k in NOTICE_KEYS
    )
    missing = sorted(set(NOTICE_KEYS) - set(licenses))
    if missing:
        raise GenerateError(f"notice keys unknown to this ScanCode version: {missing}")

    OUT.mkdir(parents=True, exist_ok=True)
    version = f"scancode-toolkit {scancode_config.__version__}"
    _write(OUT / "permissive.tsv", ("spdx_id", "scancode_key", "scancode_category", "blueoak_tier", "sources"),
           permissive_rows, version)
    _write(OUT / "copyleft.tsv", ("spdx_id", "scancode_key", "scancode_category"), copyleft_rows, version)
    _write(OUT / "notices.tsv", ("spdx_id", "scancode_key", "scancode_category", "why"), notice_rows, version)
    _write(OUT / "spdx_aliases.tsv", ("alias", "spdx_id"), sorted(aliases.items()), version)
    print(f"permissive: {len(permissive_rows)} rows; copyleft guard: {len(copyleft_rows)}; "
          f"notices: {len(notice_rows)}; aliases: {len(aliases)}")
    print(f"refused as never permissive though a source lists them: {refused or 'none'}")
    return 0


def _write(path: Path, header: tuple[str, ...], rows, version: str) -> None:
    lines = [f"# generated by scripts/gen_permissive_list.py from {version} and {BLUEOAK_NAME}; do not edit",
             "\t".join(header)]
    lines += ["\t".join(row) for row in rows]
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
