"""Incremental releases: release N+1 made from run N equals a full run of export N+1.

Export N is the generated part of the sample; export N+1 is the same repositories after new
commits (codecurate.dev.nextexport): edited and new files, a repository relicensed from MIT to
GPL-3.0, two gone, two new, one more opt-out. What the incremental run should have reused is
read by the test from the two runs' stores with pyarrow, not taken from the runner's counts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from codecurate import columns as C
from codecurate.config import load_config
from codecurate.dev.nextexport import build_next_export
from codecurate.dev.sample import build_sample
from codecurate.ops.schedule import scheduled_release
from codecurate.run.layout import OutputRoot, RunDir
from codecurate.run.runner import Run, execute_stage, start_run
from codecurate.stages import languages as languages_stage
from codecurate.stages import pii as pii_stage

STORED = ("licenses", "languages", "quality", "near_dedup", "pii", "decontaminate")


def config(export: Path, optout: Path, root: Path, *extra: str):
    return load_config("configs/local.yaml", [
        f"input.export={export}", f"input.blobs={export / 'blobs'}", f"optout.list={optout}",
        f"output.root={root}", "spark.shuffle_partitions=2", "languages.fallback=none", *extra,
    ])


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    base = tmp_path_factory.mktemp("incremental")
    build_sample(base / "sample", packages=())
    summary = build_next_export(base / "sample", base / "next")
    return base, summary


@pytest.fixture(scope="module")
def releases(spark, exports):
    base, _ = exports
    sample, nxt = base / "sample", base / "next"
    root = base / "out"
    release_n = scheduled_release(config(sample / "export", sample / "optout.txt", root), spark=spark)
    incremental = scheduled_release(
        # compact_share=1: the earlier texts are linked, whatever share of them is gone (see
        # test_gone_blobs_texts_are_left_behind_past_the_compact_share for the other way)
        config(nxt / "export", nxt / "optout.txt", root, f"incremental.previous={release_n}",
               "incremental.compact_share=1"),
        version="0.2.0", spark=spark)
    full = scheduled_release(config(nxt / "export", nxt / "optout.txt", base / "full"), spark=spark)
    return release_n, incremental, full


def manifest(release: Path) -> dict:
    return json.loads((release / "manifest.json").read_text())


def run_of(release: Path) -> RunDir:
    return OutputRoot(release.parent.parent).run(manifest(release)["release"]["run_id"])


def rows(release: Path) -> list[dict]:
    return ds.dataset(str(release / "data"), format="parquet").to_table().to_pylist()


def store_keys(run: RunDir, stage: str, key: tuple[str, ...]) -> set[tuple]:
    table = ds.dataset(str(run.content_results(stage)), format="parquet").to_table(columns=list(key))
    return set(zip(*(table.column(k).to_pylist() for k in key), strict=True))


def by_location(release: Path) -> dict[tuple[str, str], dict]:
    return {(r[C.REPO_NAME], r[C.PATH]): r for r in rows(release)}


def near_duplicates(run: RunDir) -> dict[tuple[str, str], dict]:
    table = ds.dataset(str(run.rejects("near_dedup")), format="parquet").to_table()
    return {(r[C.REPO_NAME], r[C.PATH]): r for r in table.to_pylist() if r[C.DROP_REASON] == "near_duplicate"}


def test_incremental_release_equals_full_run_but_for_kept_places(releases):
    release_n, incremental, full = releases
    inc, ful = by_location(incremental), by_location(full)
    for key in inc.keys() & ful.keys():
        assert inc[key] == ful[key], key  # same content (redacted), licenses, language, counts
    inc_run, full_run = run_of(incremental), run_of(full)
    published_before = {r[C.BLOB_ID] for r in rows(release_n)}
    # Only near-dedup survivors may differ: the incremental run keeps what release N published.
    for key in ful.keys() - inc.keys():
        dropped = near_duplicates(inc_run)[key]
        assert dropped[C.DUP_OF] in published_before, key
    for key in inc.keys() - ful.keys():
        assert key in near_duplicates(full_run), key
        assert inc[key][C.BLOB_ID] in published_before, key
    # Every stage before near_dedup decided exactly as the full run did.
    inc_stages = {s["stage"]: s for s in manifest(incremental)["data"]["stages"]}
    full_stages = {s["stage"]: s for s in manifest(full)["data"]["stages"]}
    for stage in ("extract", "optout", "licenses", "languages", "quality", "exact_dedup"):
        assert inc_stages[stage] == full_stages[stage], stage


def test_diff_lists_every_difference(releases, capsys):
    from codecurate.cli import main

    _, incremental, full = releases
    assert main(["diff", str(full), str(incremental), "--files"]) == 0
    out = capsys.readouterr().out
    listing = out.split("## Files only in one release", 1)[1].splitlines()
    listed = {line[2:].rsplit(" ", 1)[0] for line in listing if line[:2] in ("+ ", "- ")}
    inc, ful = by_location(incremental), by_location(full)
    assert listed == {f"{repo}/{path}" for repo, path in inc.keys() ^ ful.keys()}


def test_new_near_copy_of_a_published_file_is_dropped_for_it(releases):
    release_n, incremental, _ = releases
    published_before = {r[C.BLOB_ID]: (r[C.REPO_NAME], r[C.PATH]) for r in rows(release_n)}
    copy = near_duplicates(run_of(incremental))[("newco/copycat", "copied.py")]
    assert copy[C.DUP_OF] in published_before
    assert (copy[C.DUP_OF_REPO_NAME], copy[C.DUP_OF_PATH]) == published_before[copy[C.DUP_OF]]


def test_no_near_duplicate_pair_is_published(releases):
    from codecurate.text import minhash

    _, incremental, _ = releases
    run = run_of(incremental)
    threshold = json.loads(run.content_results_file("near_dedup").read_text())["config"]["threshold"]
    published = {r[C.BLOB_ID] for r in rows(incremental)}
    table = ds.dataset(str(run.content_results("near_dedup")), format="parquet").to_table()
    signed = [(b, sig) for b, sig in zip(table.column(C.BLOB_ID).to_pylist(),
                                         table.column("signature").to_pylist(), strict=True)
              if b in published and sig is not None]
    pairs = [(a, b) for i, a in enumerate(signed) for b in signed[i + 1:]]
    assert len(pairs) > 50
    jaccards = minhash.estimated_jaccards([left[1] for left, _ in pairs], [right[1] for _, right in pairs])
    residual = [(a[0], b[0], j) for (a, b), j in zip(pairs, jaccards, strict=True) if j >= threshold]
    assert residual == []


def test_reuse_is_everything_unchanged(releases):
    release_n, incremental, full = releases
    earlier, run = run_of(release_n), run_of(incremental)
    reuse = manifest(incremental)["release"]["reuse"]
    assert reuse["from_run"] == earlier.run_id
    assert sorted(reuse["stages"]) == sorted(STORED)
    for stage in STORED:
        key = tuple(json.loads(run.content_results_file(stage).read_text())["key"])
        before, now = store_keys(earlier, stage, key), store_keys(run, stage, key)
        counts = reuse["stages"][stage]
        assert counts["rows_reused"] == len(now & before), stage
        assert counts["rows_computed"] == len(now - before), stage
        assert counts["rows_reused"] > 0, stage
    # export N+1 has new files in every stage that stores per-file answers
    for stage in ("languages", "quality", "near_dedup", "pii", "decontaminate"):
        assert reuse["stages"][stage]["rows_computed"] > 0, stage
        assert reuse["stages"][stage]["bytes_computed"] > 0, stage
    full_reuse = manifest(full)["release"]["reuse"]
    assert full_reuse["from_run"] is None
    assert all(c["rows_reused"] == 0 for c in full_reuse["stages"].values())


def test_extract_decodes_only_blobs_the_earlier_run_did_not(releases):
    release_n, incremental, full = releases
    earlier, run, full_run = run_of(release_n), run_of(incremental), run_of(full)

    before, now, needed = texts_of(earlier), texts_of(run), texts_of(full_run)
    info = json.loads(run.contents_file.read_text())
    assert info["from_run"] == earlier.run_id and info["texts_carried_over"] == len(before)
    assert info["rewritten"] is False and info["texts_gone"] == len(before - needed) > 0
    # the earlier texts (linked, not copied) and exactly the new ones a full run decodes
    assert now == before | needed
    assert info["texts_decoded"] == len(needed - before) > 0
    assert json.loads(full_run.contents_file.read_text())["texts_carried_over"] == 0


def texts_of(run: RunDir) -> set[str]:
    return set(ds.dataset(str(run.texts), format="parquet").to_table(columns=[C.BLOB_ID]).column(0).to_pylist())


def test_gone_blobs_texts_are_left_behind_past_the_compact_share(spark, releases, exports, tmp_path):
    base, summary = exports
    release_n, _, full = releases
    nxt = base / "next"
    cfg = config(nxt / "export", nxt / "optout.txt", tmp_path, f"incremental.previous={release_n}",
                 "incremental.compact_share=0")
    run, export = start_run(spark, cfg)
    execute_stage(spark, run, "extract", export)
    before, now, needed = texts_of(run_of(release_n)), texts_of(run.dir), texts_of(run_of(full))
    assert before - needed  # export N+1 lost repositories and edited files: some texts are gone
    # the texts of the blobs this run has, exactly those a full run decodes, none of the gone
    assert now == needed
    info = json.loads(run.dir.contents_file.read_text())
    assert info["rewritten"] is True
    assert info["texts_gone"] == len(before - needed)
    assert info["texts_carried_over"] == len(before & needed)
    assert info["texts_decoded"] == len(needed - before)


def test_changes_of_export_n1_are_applied(releases, exports):
    release_n, incremental, _ = releases
    _, summary = exports
    before = {r[C.REPO_NAME] for r in rows(release_n)}
    after = {r[C.REPO_NAME] for r in rows(incremental)}
    moved = summary["relicensed_mit_to_gpl"]
    assert moved in before and moved not in after  # its MIT license scan must not be reused
    assert summary["optout_added"] in before and summary["optout_added"] not in after
    assert not set(summary["gone"]) & after
    assert "newco/fresh-lib" in after


def test_changed_key_or_version_recomputes_exactly_its_stage(spark, releases, exports, tmp_path, monkeypatch):
    base, _ = exports
    _, incremental, _ = releases
    nxt = base / "next"
    # A languages config key and the pii logic version change; the other stores must not care.
    monkeypatch.setattr(pii_stage, "RESULTS_VERSION", pii_stage.RESULTS_VERSION + 1)
    cfg = config(nxt / "export", nxt / "optout.txt", base / "out",
                 f"incremental.previous={incremental}", "languages.min_fallback_chars=10")
    # extract and optout store nothing: this run starts on the incremental run's optout output
    # (linked, as a release variant links its shared stages), which saves two minutes.
    earlier = run_of(incremental)
    run = Run(cfg, RunDir(tmp_path / "changed"), dict(earlier.read_info(), run_id="changed",
              incremental_from={"path": str(earlier.path), "run_id": earlier.run_id}))
    run.dir.path.mkdir()
    for name in ("extract", "optout"):
        run.dir.stage(name).symlink_to(earlier.stage(name), target_is_directory=True)
    run.dir.contents.symlink_to(earlier.contents, target_is_directory=True)  # extract's texts
    counts = {}
    for name in cfg.stages[cfg.stages.index("optout") + 1:]:
        counts[name] = execute_stage(spark, run, name).get("content_results")
    assert counts["languages"]["rows_reused"] == 0 and counts["languages"]["rows_computed"] > 0
    assert counts["pii"]["rows_reused"] == 0 and counts["pii"]["rows_computed"] > 0
    # quality is keyed by the languages stage's answers, which did not change (no fallback);
    # decontaminate by the text it reads, which pii redacted as before
    for stage in ("licenses", "quality", "near_dedup", "decontaminate"):
        assert counts[stage]["rows_computed"] == 0 and counts[stage]["rows_reused"] > 0, stage
    assert languages_stage.RESULTS.describe(cfg)["config"]["min_fallback_chars"] == 10
