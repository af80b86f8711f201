"""Blobs from an object store: a local S3-compatible server (moto) on 127.0.0.1 holds the gzip
blobs under content/<sha1>; `codecurate run` with `input.blobs: s3://<bucket>` publishes the
same release as with the local blob directory. The endpoint and credentials come from the
environment and appear in no file the run writes, nor on its console.

The S3 run is a real `codecurate run` in a child process: the endpoint and keys are in its
environment from the start, as an operator would set them (the test session's JVM and Python
workers were started without them). It also shows what the console looks like: our lines,
none of Spark's.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from swh_fixture import T0, content_row, write_export

from codecurate.config import load_config
from codecurate.ops.schedule import scheduled_release

pytestmark = pytest.mark.slow

FILES = {
    b"main.py": b"import util\n\nprint(util.answer())\n",
    b"util.py": b"def answer():\n    return 42\n",
    b"README.md": b"# demo\n\nA tiny repository.\n",
    b"gone.txt": b"this blob is in the archive but not in the store\n",
}
NOT_STORED = {b"gone.txt"}
BUCKET = "swh-blobs"
ACCESS_KEY = "AKIAOPSTEST7EXAMPLE"
SECRET_KEY = "opsTestSecret/K7MDENG/bPxRfiCYzz9"


def build_export(root: Path) -> Path:
    contents = {name: content_row(data) for name, data in FILES.items()}
    directory, revision, snapshot = "1" * 40, "a1" * 20, "b1" * 20
    url = "https://github.com/acme/demo"
    tables = {
        "origin": [{"id": "0", "url": url}],
        "origin_visit_status": [{"origin": url, "visit": 1, "date": T0, "status": "full",
                                 "snapshot": snapshot, "type": "git"}],
        "snapshot_branch": [{"snapshot_id": snapshot, "name": b"refs/heads/main", "target": revision,
                             "target_type": "revision"}],
        "revision": [{"id": revision, "directory": directory, "date": T0, "committer_date": T0, "type": "git"}],
        "directory_entry": [{"directory_id": directory, "name": name, "type": "file",
                             "target": contents[name]["sha1_git"], "perms": 0o100644} for name in FILES],
        "content": list(contents.values()),
    }
    blobs = {contents[name]["sha1"]: data for name, data in FILES.items() if name not in NOT_STORED}
    return write_export(root / "export", tables, blobs)


@pytest.fixture(scope="module")
def s3_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def upload_blobs(endpoint: str, blob_dir: Path) -> int:
    import boto3

    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
    s3.create_bucket(Bucket=BUCKET)
    files = sorted((blob_dir / "content").iterdir())
    for path in files:
        s3.put_object(Bucket=BUCKET, Key=f"content/{path.name}", Body=path.read_bytes())
    return len(files)


def data_sums(release: Path) -> list[str]:
    return [line for line in (release / "SHA256SUMS").read_text().splitlines() if "  data/" in line]


def test_s3_blobs_make_the_same_release(spark, s3_server, tmp_path):
    export = build_export(tmp_path)
    assert upload_blobs(s3_server, export / "blobs") == len(FILES) - len(NOT_STORED)
    common = [f"input.export={export}", "optout.list=null", "stages=[extract, exact_dedup]",
              "languages.fallback=none"]

    local_root = tmp_path / "local"
    local = scheduled_release(load_config("configs/local.yaml", [
        *common, f"input.blobs={export / 'blobs'}", f"output.root={local_root}"]), spark=spark)

    s3_root = tmp_path / "s3"
    env = {**os.environ, "AWS_ENDPOINT_URL": s3_server, "AWS_ACCESS_KEY_ID": ACCESS_KEY,
           "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_EC2_METADATA_DISABLED": "true", "PYSPARK_PYTHON": sys.executable}
    args = ["--config", "configs/local.yaml", "--set", f"input.blobs=s3://{BUCKET}",
            "--set", f"output.root={s3_root}"]
    for item in common:
        args += ["--set", item]
    proc = subprocess.run([sys.executable, "-m", "codecurate", "run", *args], env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    release = s3_root / "releases" / "0.1.0"

    assert data_sums(release) == data_sums(local) and data_sums(local)
    (run_dir,) = (s3_root / "runs").iterdir()
    extract = (run_dir / "extract" / "manifest.json").read_text()
    assert '"missing_blob": 1' in extract  # the blob not in the bucket, as in the directory

    # The console: codecurate's lines and the final table; no Spark progress bars or log lines.
    assert "[extract] started" in proc.stderr and "exact_dedup" in proc.stdout
    assert "[Stage " not in proc.stderr and " WARN " not in proc.stderr and " INFO " not in proc.stderr
    assert (run_dir / "spark.log").is_file() and (run_dir / "report.png").is_file()

    # Nothing secret anywhere: no key, no endpoint, in any file written or on the console.
    secrets = [SECRET_KEY, ACCESS_KEY, s3_server.split("//")[1]]
    leaks = [(str(p), s[:6]) for p in s3_root.rglob("*") if p.is_file()
             for s in secrets if s.encode() in p.read_bytes()]
    leaks += [("console", s[:6]) for s in secrets if s in proc.stdout + proc.stderr]
    assert leaks == []
