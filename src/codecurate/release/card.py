"""The dataset card (README.md) and its charts, written from the manifest alone.

Everything here is derived from manifest.json, so a patch release regenerates its card the
same way a full release writes it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codecurate.release import layout, snippets
from codecurate.run.report import pyplot as _pyplot
from codecurate.run.report import save_png as _save


def write_card(release_dir: Path, built: dict[str, Any]) -> None:
    charts = release_dir / layout.CHARTS_DIR
    charts.mkdir(exist_ok=True)
    _chart_languages(built["data"]["languages"], charts / "languages.png")
    _chart_stages(built["data"]["stages"], charts / "stages.png")
    (release_dir / layout.CARD).write_text(card_text(built), encoding="utf-8")


def _human(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def card_text(built: dict[str, Any]) -> str:
    release, data = built["release"], built["data"]
    version = release["version"]
    config = data["source"]["config"] or {}
    licenses = config.get("licenses", {})
    keep = ", ".join(licenses.get("keep_types", ["permissive", "no_license"]))
    totals = data["totals"]
    ids_only = data["options"]["ids_only"]
    ran = {stage["stage"] for stage in data["stages"]}
    variants = data.get("variants", [])
    # data/<dir>/train-...parquet: the snippets load the first language's folder
    language_dir = data["files"][0]["path"].split("/")[1] if data["files"] else "<language>"
    lines = [
        "---",
        "configs:",
        "- config_name: default",
        "  data_files:",
        "  - split: train",
        "    path: data/*/*.parquet",
        *[x for v in variants for x in (f"- config_name: {v['name']}", "  data_files:", "  - split: train",
                                        f"    path: {v['dir']}/*/*.parquet")],
        "---",
        "",
        f"# codecurate code dataset, version {version}",
        "",
        "Source code files from a Software Heritage graph export, curated by codecurate: "
        "license-filtered, language-tagged, exactly and near-deduplicated, PII-redacted, with "
        "opted-out repositories removed"
        + (", quality-filtered and decontaminated of benchmarks as for StarCoder2's training set"
           if ran & {"quality", "decontaminate"} else "")
        + ". Columns follow BigCode's the-stack-v2."
        + (" This is the ids-only variant: no `content`; fetch blobs from Software Heritage by "
           "`blob_id`." if ids_only else ""),
        "",
        f"- files: {totals['rows']:,} from {totals['repos']:,} repositories, {_human(totals['bytes'])} of source",
        f"- data files: {totals['data_files']} Parquet (zstd) shards, {_human(totals['parquet_bytes'])}",
        f"- code version: `{release['code_version']}`; config fingerprint `{data['source']['config_fingerprint']}`",
        f"- data fingerprint (sha256 of the manifest's data section): `{release['data_sha256']}`",
        "- integrity: `SHA256SUMS` (`sha256sum -c SHA256SUMS`), or `codecurate verify <this directory>`",
        "",
        "## Languages",
        "",
        "| language | directory | files | bytes | shards |",
        "|---|---|---:|---:|---:|",
    ]
    for lang in sorted(data["languages"], key=lambda x: -x["bytes"]):
        name = lang["language"] if lang["language"] is not None else "(not detected)"
        lines.append(f"| {name} | `data/{lang['dir']}/` | {lang['rows']:,} | {_human(lang['bytes'])} | {lang['shards']} |")
    lines += ["", "![files and bytes per language](charts/languages.png)", "",
              "## What each stage removed", "",
              "| stage | files in | kept | removed | by reason |", "|---|---:|---:|---:|---|"]
    for stage in data["stages"]:
        reasons = ", ".join(f"{r}: {n:,}" for r, n in stage["rejected_by_reason"].items()) or "-"
        lines.append(f"| {stage['stage']} | {stage['rows_in']:,} | {stage['rows_kept']:,} | "
                     f"{stage['rows_rejected']:,} | {reasons} |")
    recheck = data["optout_recheck"]["rows_removed"]
    patched = sum(p["rows_removed"] for p in data["patches"])
    lines += [
        f"| release (opt-out re-check) | | | {recheck:,} | opted_out: {recheck:,} |",
        *([f"| opt-out patches | | | {patched:,} | opted_out: {patched:,} |"] if data["patches"] else []),
        "", "![files removed per stage](charts/stages.png)", "",
        *_training_lines(data["stages"], config),
        *[x for v in variants for x in _variant_lines(v)],
        "## License policy", "",
        f"Files are kept when their license type is one of: {keep}. A file gets the licenses of the "
        "license files (LICENSE, COPYING, NOTICE, README..., SPDX headers) in its directory and every "
        "ancestor directory, detected with ScanCode; the repository's GitHub license, when known, "
        "takes precedence, as in the-stack-v2. Permissive means ScanCode's Permissive and Public "
        "Domain categories plus the Blue Oak Council list"
        + (" including its \"Lead\" tier." if licenses.get("blueoak_lead_is_permissive") else
           " without its \"Lead\" tier.")
        + " `detected_licenses` and `license_type` are published with every file: check them "
        "against your use. `no_license` files carry no license grant; whether to use them is your call.",
        "",
        *_incremental_section(release, config),
        "## How to load", "",
        "From this directory (`one_language`: the files of one `data/<language>/` folder):", "",
        *snippets.card_section(language_dir),
        "Rows in every shard are sorted by " + ", ".join(f"`{k}`" for k in data["sort_order"]) + ".",
        "",
        "## Opting out", "",
        "Repository owners can have their code removed: send the account (`owner`, removes every "
        "repository of the account) or the repository (`owner/repo`) to the maintainers of this "
        "release. The list is applied at the start of the pipeline, re-checked before every "
        "release, and between pipeline runs a patch release (`codecurate patch-optout`) removes "
        "newly listed repositories. Please delete earlier versions you hold, and use the latest.",
        "",
        "See CHANGELOG.md for what changed since the previous release and manifest.json for full provenance.",
        "",
    ]
    return "\n".join(lines)


def _incremental_section(release: dict[str, Any], config: dict[str, Any]) -> list[str]:
    """How an incremental release was made, and its near-dedup policy, in the card."""
    reuse = release.get("reuse") or {}
    if not reuse.get("from_run"):
        return []
    keep = (config.get("incremental") or {}).get("keep_published", True)
    lines = ["## Incremental release", "",
             f"Made from run `{reuse['from_run']}`: per-content results whose inputs, settings and "
             "detector versions were unchanged (license scans, language detections, quality "
             "verdicts, MinHash signatures, PII redactions, benchmark matches) were reused, the "
             "rest computed; the results are those a full run would give.", "",
             "| stage | reused rows | computed rows | reused bytes | computed bytes |",
             "|---|---:|---:|---:|---:|"]
    for stage, c in sorted(reuse.get("stages", {}).items()):
        lines.append(f"| {stage} | {c['rows_reused']:,} | {c['rows_computed']:,} | "
                     f"{_human(c['bytes_reused'])} | {_human(c['bytes_computed'])} |")
    lines.append("")
    if keep:
        lines += ["Near-dedup policy: a file the previous release published keeps its place unless "
                  "it is removed (opt-out, license change, gone from the export); a new file that "
                  "near-duplicates it is dropped and names it in `dup_of`. No two published files "
                  "are near-duplicates (estimated Jaccard at or above the threshold). Where a full "
                  "run would have preferred the new copy (more stars, newer), this release keeps "
                  "the published one.", ""]
    return lines


def _quality_rules(q: dict[str, Any]) -> dict[str, str]:
    """Each quality drop reason and its rule, with the thresholds the run used."""
    long_ok = ", ".join(q.get("long_line_languages", []))
    return {
        "too_many_lines": f"more than {q.get('max_lines', 100_000):,} lines",
        "long_lines": f"average line over {q.get('max_avg_line_chars', 100):g} characters or a line over "
                      f"{q.get('max_line_chars', 1000):,} ({q.get('long_line_limit', 100_000):,} for {long_ok})",
        "auto_generated": "generated files: go-enry's flag, or a marker such as \"auto-generated\" or "
                          f"\"do not edit\" in the first {q.get('generated_marker_lines', 5)} lines",
        "language_size": "outside its language's size range (configs/data/quality/language_rules.tsv; "
                         "JSON and YAML: 50 to 5,000 characters)",
        "encoded_data": "base64, hex byte lists or \\uXXXX escapes: over "
                        f"{q.get('encoded_max_chars', 1024):,} characters or "
                        f"{q.get('encoded_max_fraction', 0.5):.0%} of the file",
        "low_alpha": f"under {q.get('min_alpha_fraction', 0.25):.0%} alphabetic characters "
                     "(alphanumeric for assembly)",
        "low_visible_text": "HTML with too little visible text (under 100 characters or 20% of the file)",
    }


def _training_lines(stages: list[dict[str, Any]], config: dict[str, Any]) -> list[str]:
    """What the quality filters and the benchmark decontamination removed, if they ran."""
    lines = []
    quality = next((s for s in stages if s["stage"] == "quality"), None)
    if quality is not None:
        lines += ["## Quality filters", "",
                  "StarCoder2's file filters (arXiv:2402.19173, section 3), one reason each:", "",
                  "| reason | files removed | rule |", "|---|---:|---|"]
        for reason, rule in _quality_rules(config.get("quality") or {}).items():
            lines.append(f"| {reason} | {quality['rejected_by_reason'].get(reason, 0):,} | {rule} |")
        lines.append("")
    decontaminate = next((s for s in stages if s["stage"] == "decontaminate"), None)
    if decontaminate is not None:
        counts = decontaminate.get("rejected_by_benchmark", {})
        lines += ["## Benchmark decontamination", ""]
        if counts:
            lines += ["Files holding a benchmark task's prompt, solution or test (exactly, whitespace and "
                      "quotes aside, or as a near copy by word n-grams) were removed, so that models trained "
                      "on this release can be evaluated on these benchmarks:", "",
                      "| benchmark | files removed |", "|---|---:|"]
            lines += [f"| {name} | {n:,} |" for name, n in counts.items()] + [""]
        else:
            lines += ["Decontamination was switched off for this release.", ""]
    return lines


def _variant_lines(variant: dict[str, Any]) -> list[str]:
    totals = variant["totals"]
    lines = [f"## The `{variant['name']}` config", "",
             f"`{variant['dir']}/` holds the raw files, as the-stack-v2 was published: the same pipeline "
             "without the quality filters and the benchmark decontamination. Load it with "
             f"`load_dataset(\"parquet\", data_files=\"{variant['dir']}/*/*.parquet\")`.", "",
             f"- files: {totals['rows']:,} from {totals['repos']:,} repositories, {_human(totals['bytes'])} of source",
             f"- data files: {totals['data_files']} Parquet (zstd) shards, {_human(totals['parquet_bytes'])}", "",
             "| stage | files in | kept | removed | by reason |", "|---|---:|---:|---:|---|"]
    for stage in variant["stages"]:
        reasons = ", ".join(f"{r}: {n:,}" for r, n in stage["rejected_by_reason"].items()) or "-"
        lines.append(f"| {stage['stage']} | {stage['rows_in']:,} | {stage['rows_kept']:,} | "
                     f"{stage['rows_rejected']:,} | {reasons} |")
    recheck = variant["optout_recheck"]["rows_removed"]
    lines += [f"| release (opt-out re-check) | | | {recheck:,} | opted_out: {recheck:,} |", ""]
    return lines


def _chart_languages(languages: list[dict[str, Any]], path: Path) -> None:
    plt = _pyplot()
    top = sorted(languages, key=lambda x: -x["bytes"])[:30]  # 30 bars stay legible at 100 dpi
    names = [x["language"] or "(none)" for x in top]
    fig, (ax_files, ax_bytes) = plt.subplots(1, 2, figsize=(12, max(3, 0.3 * len(top) + 1.5)))
    ax_files.barh(names, [x["rows"] for x in top])
    ax_files.set_title("files per language")
    ax_bytes.barh(names, [x["bytes"] / (1024 * 1024) for x in top])
    ax_bytes.set_title("MiB per language")
    for ax in (ax_files, ax_bytes):
        ax.invert_yaxis()
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)


def _chart_stages(stages: list[dict[str, Any]], path: Path) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 4))
    names = [s["stage"] for s in stages]
    reasons = sorted({r for s in stages for r in s["rejected_by_reason"]})
    left = [0] * len(stages)
    for reason in reasons:
        values = [s["rejected_by_reason"].get(reason, 0) for s in stages]
        ax.barh(names, values, left=left, label=reason)
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_title("files removed per stage, by reason")
    ax.invert_yaxis()
    if reasons:
        ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside the bars
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
