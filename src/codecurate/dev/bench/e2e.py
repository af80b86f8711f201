"""End to end: the whole pipeline on the sample, local mode and a standalone cluster side by side.

Each mode runs as its own process tree (codecurate run / spark-submit jobs/run_all.py), so
wall time includes JVM start-up, as a user sees it. MB/s per core = the bytes of the files
extract kept (the content every later stage processes) / wall seconds / cores; on the small
sample this is dominated by fixed costs (JVM and worker start-up, ScanCode's index load). Peak memory is the largest total RSS of every process involved,
sampled every 0.5 s from /proc: the driver, its JVM, the executors and their Python workers
(for the cluster, the master and worker daemons too). languages.fallback is `none`: guesslang
would load TensorFlow in every Python worker of both modes and dominate both figures.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from codecurate.dev.spark_cluster import local_cluster, submit_args

ROOT = Path(__file__).resolve().parents[4]  # the checkout (src/codecurate/dev/bench/..)
STAGES = ["extract", "optout", "licenses", "languages", "exact_dedup", "near_dedup", "pii"]
PAGE = os.sysconf("SC_PAGE_SIZE")


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue  # exited while we looked
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def tree_rss(roots: list[int]) -> int:
    """Total resident bytes of `roots` and all their descendants."""
    tree, total, todo, seen = _children(), 0, list(roots), set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except OSError:
            pass
        todo += tree.get(pid, [])
    return total


class PeakMemory:
    """Samples the RSS of process trees in a thread until stopped."""

    def __init__(self, roots: list[int]):
        self.roots, self.peak = roots, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            self.peak = max(self.peak, tree_rss(self.roots))

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _config(ctx, sample: Path) -> Path:
    optout = sample / "optout.txt"
    config = Path(ctx.work) / "e2e.yaml"
    config.write_text(json.dumps({
        "input": {"export": str(sample / "export"), "blobs": str(sample / "export" / "blobs")},
        "optout": {"list": str(optout) if optout.exists() else None},
        "release": {"version": "0.1.0", "shard_size_mb": 64},
        "spark": {"master": f"local[{ctx.cores}]", "shuffle_partitions": 8, "show_progress": False},
        "stages": STAGES,
        "languages": {"fallback": "none"},
    }))
    return config


def _timed(command: list[str], extra_roots: list[int]) -> tuple[float, int]:
    env = dict(os.environ, SPARK_LOCAL_IP="127.0.0.1", PYSPARK_PYTHON=sys.executable)
    started = time.monotonic()
    # One stream: spark-submit hands the Python driver's stderr to its own stdout.
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with PeakMemory([process.pid, *extra_roots]) as memory:
        output, _ = process.communicate()
    seconds = time.monotonic() - started
    if process.returncode != 0:
        lines = [line for line in output.splitlines() if "WARN" not in line and "INFO" not in line]
        raise RuntimeError(f"{command[0]} exited {process.returncode}: " + "\n".join(lines[-40:]))
    return seconds, memory.peak


def _input_bytes(output_root: Path) -> int:
    (run_dir,) = (output_root / "runs").iterdir()
    # kept, not in: bytes_in counts files over the size cap, which are never read past the cap
    return int(json.loads((run_dir / "extract" / "manifest.json").read_text())["bytes_kept"])


def _report(mode: str, output_root: Path, seconds: float, peak: int, cores: int) -> None:
    size = _input_bytes(output_root)
    print(f"bench e2e {mode} wall: {seconds:.1f} s")
    print(f"bench e2e {mode} throughput: {size / 1e6 / seconds / cores:.3f} MB/s per core "
          f"({size / 1e6:.2f} MB of extracted files, {cores} cores)")
    print(f"bench e2e {mode} peak memory: {peak / 2**20:.0f} MiB")


def run(ctx) -> None:
    import shutil

    sample = Path(ctx.sample)
    if not (sample / "export").exists():
        from codecurate.dev.sample import build_sample

        sample = Path(ctx.work) / "e2e-sample"
        build_sample(sample, packages=())  # the generated repositories only: ~40 blobs
    config = _config(ctx, sample)
    local_root, cluster_root = Path(ctx.work) / "e2e-local", Path(ctx.work) / "e2e-cluster"
    for root in (local_root, cluster_root):
        shutil.rmtree(root, ignore_errors=True)  # a fresh run each time, not a resumed one

    seconds, peak = _timed([sys.executable, "-m", "codecurate", "run", "--config", str(config),
                            "--set", f"output.root={local_root}"], [])
    _report("local", local_root, seconds, peak, ctx.cores)

    with local_cluster(cores=ctx.cores, memory="4g", python=sys.executable) as cluster:
        daemons = cluster.daemon_pids()
        command = submit_args(cluster.master_url, ROOT / "jobs" / "run_all.py",
                              ["--config", str(config), "--set", f"output.root={cluster_root}"],
                              python=sys.executable,
                              conf={"spark.executor.memory": "1g", "spark.cores.max": str(ctx.cores)})
        seconds, peak = _timed(command, daemons)
    _report("cluster", cluster_root, seconds, peak, ctx.cores)
