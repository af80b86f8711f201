"""A throwaway Spark standalone cluster on 127.0.0.1, from the pip-installed pyspark.

    with local_cluster(cores=2, memory="3g") as cluster:
        subprocess.run([cluster.spark_submit, "--master", cluster.master_url, "jobs/run_all.py", ...])

One master and one worker are started with pyspark's own `sbin/spark-daemon.sh`, with their pid,
log and work directories in a temporary directory (never inside the venv's pyspark), and
ports picked free at start, so two engineers (or CI jobs) on one machine do not collide. The
block starts once the worker has registered with the master (polled on the master's web UI
JSON). On leaving the block, however it is left, both daemons are stopped through their pid
files, and any survivor is killed: a failing test must not leave JVMs holding cores.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
HOST = "127.0.0.1"
IDENT = "codecurate"  # SPARK_IDENT_STRING: names the pid files


class ClusterError(RuntimeError):
    """The cluster did not come up (the message carries the daemons' log tails)."""


@dataclass
class Cluster:
    master_url: str
    web_ui: str
    spark_home: Path
    base: Path  # pid, log and work directories live here

    @property
    def spark_submit(self) -> str:
        return str(self.spark_home / "bin" / "spark-submit")

    @property
    def log_dir(self) -> Path:
        return self.base / "logs"

    def daemon_pids(self) -> list[int]:
        """The master's and the worker's pids, from their pid files."""
        pids = [_read_pid(_pid_file(self.base, c)) for c in (MASTER_CLASS, WORKER_CLASS)]
        return [pid for pid in pids if pid is not None]

    def state(self) -> dict:
        with urllib.request.urlopen(f"{self.web_ui}/json/", timeout=5) as response:
            return json.load(response)

    def logs(self, lines: int = 30) -> str:
        """The tail of every daemon log and executor stderr, for error messages."""
        parts = []
        files = sorted(self.log_dir.glob("*.out")) + sorted((self.base / "work").glob("*/*/stderr"))
        for path in files:
            text = path.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {path.relative_to(self.base)}\n" + "\n".join(text))
        return "\n".join(parts)


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _pid_file(base: Path, daemon_class: str) -> Path:
    return base / "pids" / f"spark-{IDENT}-{daemon_class}-1.pid"


def _daemon(cluster: Cluster, env: dict[str, str], action: str, daemon_class: str, *args: str) -> None:
    script = cluster.spark_home / "sbin" / "spark-daemon.sh"
    result = subprocess.run(["bash", str(script), action, daemon_class, "1", *args], env=env,
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise ClusterError(f"spark-daemon.sh {action} {daemon_class} failed ({result.returncode}): "
                           f"{result.stdout.strip()} {result.stderr.strip()}\n{cluster.logs()}")


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _ensure_gone(pid: int | None, grace_seconds: float = 15.0) -> None:
    """SIGTERM, wait, then SIGKILL the process; return once it is gone."""
    if pid is None:
        return
    for sig, wait in ((signal.SIGTERM, grace_seconds), (signal.SIGKILL, 5.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)


def _wait_for_worker(cluster: Cluster, cores: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while time.monotonic() < deadline:
        try:
            state = cluster.state()
            alive = [w for w in state.get("workers", []) if w.get("state") == "ALIVE"]
            if alive and sum(w.get("cores", 0) for w in alive) >= cores:
                return
            last = f"{len(alive)} alive worker(s)"
        except (OSError, urllib.error.URLError, ValueError) as err:
            last = str(err)
        time.sleep(0.5)
    raise ClusterError(f"no worker registered with {cluster.master_url} within {timeout:.0f} s "
                       f"({last})\n{cluster.logs()}")


@contextlib.contextmanager
def local_cluster(cores: int = 2, memory: str = "2g", *, python: str | None = None,
                  start_timeout: float = 90.0, base: Path | None = None) -> Iterator[Cluster]:
    """A standalone master + one worker with `cores` and `memory`; stopped on exit."""
    owned = base is None
    base = Path(tempfile.mkdtemp(prefix="codecurate-cluster-")) if owned else Path(base)
    for sub in ("pids", "logs", "work"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    master_port, master_ui, worker_ui = free_port(), free_port(), free_port()
    cluster = Cluster(master_url=f"spark://{HOST}:{master_port}", web_ui=f"http://{HOST}:{master_ui}",
                      spark_home=spark_home(), base=base)
    env = dict(os.environ)
    env.update({
        "SPARK_HOME": str(cluster.spark_home),
        "SPARK_PID_DIR": str(base / "pids"),
        "SPARK_LOG_DIR": str(base / "logs"),
        "SPARK_WORKER_DIR": str(base / "work"),  # executors' working dirs and stdout/stderr
        "SPARK_IDENT_STRING": IDENT,
        "SPARK_LOCAL_IP": HOST,
    })
    env.pop("SPARK_NO_DAEMONIZE", None)  # spark-daemon.sh must background the daemons
    if python:
        # Executors launched by this worker run this interpreter unless the job says otherwise.
        env["PYSPARK_PYTHON"] = python
    try:
        _daemon(cluster, env, "start", MASTER_CLASS, "--host", HOST, "--port", str(master_port),
                "--webui-port", str(master_ui))
        _daemon(cluster, env, "start", WORKER_CLASS, "--host", HOST, "--cores", str(cores),
                "--memory", memory, "--webui-port", str(worker_ui), cluster.master_url)
        _wait_for_worker(cluster, cores, start_timeout)
        yield cluster
    finally:
        # The worker first: it stops its executors (and their Python workers) as it goes.
        for daemon_class in (WORKER_CLASS, MASTER_CLASS):
            pid = _read_pid(_pid_file(base, daemon_class))  # before `stop` removes the file
            with contextlib.suppress(ClusterError, subprocess.SubprocessError, OSError):
                _daemon(cluster, env, "stop", daemon_class)
            _ensure_gone(pid)
        if owned and not os.environ.get("CODECURATE_KEEP_CLUSTER_LOGS"):
            import shutil

            shutil.rmtree(base, ignore_errors=True)


def submit_args(master: str, job: Path, job_args: list[str], *, python: str,
                py_files: Path | None = None, conf: dict[str, str] | None = None) -> list[str]:
    """spark-submit's command line for a codecurate job, executors on `python`.

    spark.pyspark.python: executors must run the interpreter that has codecurate's
    dependencies (pyarrow, datasketch, scancode...), not whatever `python3` the node has.
    """
    command = [str(spark_home() / "bin" / "spark-submit"), "--master", master,
               "--conf", f"spark.pyspark.python={python}",
               "--conf", f"spark.pyspark.driver.python={python}"]
    for key, value in sorted((conf or {}).items()):
        command += ["--conf", f"{key}={value}"]
    if py_files is not None:
        command += ["--py-files", str(py_files)]
    return command + [str(job), *job_args]
