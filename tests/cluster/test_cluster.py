"""The whole pipeline under spark-submit on a real standalone cluster gives the same release.

Starts a master and a worker on 127.0.0.1 (pyspark's sbin/spark-daemon.sh), submits
jobs/run_all.py on a small sample (the generated repositories of `codecurate sample`, no
third-party packages: ~40 blobs planting every case the stages handle), runs the same config in
local mode, and compares the releases' data files byte for byte (sha256). The daemons are stopped
through their pid files whatever happens; the test checks they are gone.

~3 minutes on an idle 2-core machine (two full runs); select or skip with `-m cluster`.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from codecurate.dev.dist import build_zip
from codecurate.dev.spark_cluster import local_cluster, submit_args

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
# guesslang (TensorFlow) would load in every Python worker of both runs: enry alone here.
STAGES = os.environ.get("CODECURATE_CLUSTER_STAGES",
                        "extract,optout,licenses,languages,exact_dedup,near_dedup,pii").split(",")
RUN_TIMEOUT = 900  # seconds per run; a hang fails the test instead of blocking CI forever


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def release_files(output_root: Path) -> dict[str, tuple[int, str]]:
    """path -> (rows, sha256 recomputed from the bytes on disk) for the one release published."""
    (release,) = (output_root / "releases").iterdir()
    manifest = json.loads((release / "manifest.json").read_text())
    files = {}
    for item in manifest["data"]["files"]:
        on_disk = sha256(release / item["path"])
        assert on_disk == item["sha256"], f"{item['path']}: manifest sha256 differs from the file"
        files[item["path"]] = (item["rows"], on_disk)
    return files


@pytest.fixture(scope="module")
def small_sample(tmp_path_factory):
    from codecurate.dev.sample import build_sample

    base = tmp_path_factory.mktemp("cluster")
    build_sample(base / "sample", packages=())
    config = base / "small.yaml"
    config.write_text(json.dumps({  # JSON is YAML
        "input": {"export": str(base / "sample" / "export"), "blobs": str(base / "sample" / "export" / "blobs")},
        "optout": {"list": str(base / "sample" / "optout.txt")},
        "release": {"version": "0.1.0", "shard_size_mb": 1},  # 1 MiB: several shards even here
        "spark": {"master": "local[2]", "shuffle_partitions": 4, "show_progress": False},
        "stages": STAGES,
        "languages": {"fallback": "none"},
    }))
    return base, config


def run(command: list[str], cwd: Path) -> None:
    env = dict(os.environ, SPARK_LOCAL_IP="127.0.0.1", PYSPARK_PYTHON=sys.executable, CODECURATE_DEBUG="1")
    # One stream: spark-submit hands the Python driver's stderr (our log, errors) to its stdout.
    result = subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, timeout=RUN_TIMEOUT)
    if result.returncode != 0:
        lines = [line for line in result.stdout.splitlines() if " INFO " not in line]
        pytest.fail(f"{' '.join(command[:6])} ... exited {result.returncode}:\n" + "\n".join(lines[-80:]))


def test_cluster_release_equals_local_release(small_sample):
    base, config = small_sample
    local_root, cluster_root = base / "out-local", base / "out-cluster"

    run([sys.executable, "-m", "codecurate", "run", "--config", str(config),
         "--set", f"output.root={local_root}"], cwd=base)

    # What a real cluster gets: the package as a --py-files zip (it shadows the editable install
    # on the executors, so package data must be readable from inside the zip).
    archive = base / "codecurate.zip"
    build_zip(ROOT / "src" / "codecurate", archive)

    pids = []
    with local_cluster(cores=2, memory="4g", python=sys.executable, base=base / "daemons") as cluster:
        pids = cluster.daemon_pids()
        assert len(pids) == 2
        command = submit_args(
            cluster.master_url, ROOT / "jobs" / "run_all.py",
            ["--config", str(config), "--set", f"output.root={cluster_root}"],
            python=sys.executable,
            py_files=archive,
            # ScanCode's index takes ~1.4 GB per Python worker, outside the executor's JVM heap
            conf={"spark.executor.memory": "1g", "spark.cores.max": "2"},
        )
        run(command, cwd=base)
        apps = cluster.state().get("completedapps", [])
        assert [app["name"] for app in apps] == ["codecurate"], "the job did not run on this cluster"

    for pid in pids:  # stopped by their pid files when the block was left
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)

    local, cluster_files = release_files(local_root), release_files(cluster_root)
    assert local, "the local run published no data files"
    assert cluster_files == local
