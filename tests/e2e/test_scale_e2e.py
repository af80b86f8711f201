"""End to end at scale: `codecurate run` on a generated export 5x the sample in files, in its own
process with Spark's default 1 GB driver memory, publishes a release and conserves every file.

Scale: ~14k files (the sample has ~2.6k): a 13,000-file repository with a 6,500-entry directory,
a 200 KB license file, binary and minified files, forks and vendored copies of 8 small packages.
Bytes stay at ~40 MB (the sample has 47 MB): ScanCode and detect-secrets set the pace per byte and
license text, and this test must run in a few minutes on 2 cores. languages.fallback is `none`:
guesslang would load TensorFlow into every Python worker (tested on its own elsewhere).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pyarrow.dataset as ds
import pytest

from codecurate.dev.scale import build_scale

PACKAGES = ("yaml", "idna", "click", "jinja2", "markupsafe", "pluggy", "attr", "chispa")
SAMPLE_FILES = 2628  # files the sample's extract sees (make sample)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("scale-e2e") / "corpus"
    summary = build_scale(out, 40, seed=3, packages=PACKAGES, monorepo_files=13_000)
    assert summary["head_files"] >= 5 * SAMPLE_FILES
    return out, summary


def test_default_config_run_publishes_and_conserves(corpus, tmp_path):
    out, summary = corpus
    root = tmp_path / "out"
    env = dict(os.environ, SPARK_LOCAL_IP="127.0.0.1", PYSPARK_PYTHON=sys.executable)
    env.pop("PYSPARK_GATEWAY_PORT", None)
    done = subprocess.run(
        [sys.executable, "-m", "codecurate", "run", "--config", "configs/local.yaml",
         "--set", f"input.export={out / 'export'}", "--set", f"input.blobs={out / 'export' / 'blobs'}",
         "--set", f"optout.list={out / 'optout.txt'}", "--set", f"output.root={root}",
         "--set", "spark.show_progress=false", "--set", "languages.fallback=none"],
        env=env, capture_output=True, text=True, timeout=1800,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    (run_dir,) = (root / "runs").iterdir()
    run_info = json.loads((run_dir / "run.json").read_text())
    assert run_info["config"]["spark"]["driver_memory"] == "1g"
    manifests = [json.loads((run_dir / s / "manifest.json").read_text()) for s in run_info["stages"]]
    # Every file at every repository's head enters extract, as the generator counted them.
    assert manifests[0]["rows_in"] == summary["head_files"]
    previous_kept = None
    for m in manifests:
        assert m["rows_in"] == m["rows_kept"] + sum(m["rejected_by_reason"].values()), m["stage"]
        if previous_kept is not None:
            assert m["rows_in"] == previous_kept, m["stage"]
        previous_kept = m["rows_kept"]
        assert "task_time" in m["metrics"]
    extract = manifests[0]
    assert extract["rejected_by_reason"].get("duplicate_repository", 0) > 0  # forks of the same tree
    assert extract["rejected_by_reason"].get("binary", 0) >= 40  # scale/assets' images
    (release,) = (root / "releases").iterdir()
    published = ds.dataset(str(release / "data"), format="parquet").to_table(columns=["repo_name", "path"])
    assert published.num_rows == json.loads((release / "manifest.json").read_text())["data"]["totals"]["rows"]
    assert 0 < published.num_rows <= manifests[-1]["rows_kept"]
    repos = set(published.column("repo_name").to_pylist())
    assert "scale/monorepo" in repos
