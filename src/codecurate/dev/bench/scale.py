"""`make bench-scale`: the whole pipeline on the scale corpus, as a user runs it.

Builds `codecurate sample --scale N` if it is not there yet, then runs `codecurate run` with
configs/local.yaml (only input, output, opt-out and version overridden; local[2] on this
2-core machine) and prints, per stage: rows in and kept, MB in, seconds, MB/s per core, the
peak RSS of the driver JVM and of the largest Python worker while the stage ran (sampled from
/proc every 0.5 s), and the task-time spread the stage manifest records; then the whole run.

MB/s per core = the stage's input bytes (the files it was given) / its seconds / cores. For
the release it is the bytes published. The whole run's figure is the bytes of every file at
the repositories' heads (extract's input) / wall time of `codecurate run` / cores.

`--incremental` (`make bench-incremental-scale`): the corpus with its export N+1
(`codecurate sample --scale N --next`), and three runs, one at a time, each its own
`codecurate run` process with the same config: release N (full), N+1 full, N+1 incremental
from release N. Prints per stage the full and incremental seconds and the per-content results
reused, then the incremental run's wall time over the full run's (target: <= 25%).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from codecurate.dev.bench.e2e import PAGE, _children

ROOT = Path(__file__).resolve().parents[4]  # the checkout (src/codecurate/dev/bench/..)
STAGE_LINE = "] started"
RELEASE_LINE = "release published at"


def _rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except OSError:
        return 0


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


class StageMemory:
    """Peak RSS per stage of the driver JVM and of the largest Python worker, from /proc."""

    def __init__(self, root: int):
        self.root = root
        self.stage = "start"
        self.peaks: dict[str, dict[str, int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            tree, todo, jvm, worker = _children(), [self.root], 0, 0
            while todo:
                pid = todo.pop()
                todo += tree.get(pid, [])
                command = _cmdline(pid)
                if "java" in command.split(" ", 1)[0]:
                    jvm = max(jvm, _rss(pid))
                elif "pyspark.daemon" in command or "pyspark.worker" in command:
                    worker = max(worker, _rss(pid))
            peak = self.peaks.setdefault(self.stage, {"jvm": 0, "worker": 0})
            peak["jvm"], peak["worker"] = max(peak["jvm"], jvm), max(peak["worker"], worker)

    def __enter__(self) -> StageMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def ensure_corpus(path: Path, mb: int, seed: int, next_export: bool = False) -> Path:
    from codecurate.dev.scale import GENERATOR_VERSION, build_scale

    marker = path / "sample.json"
    if marker.exists():
        info = json.loads(marker.read_text())
        if (info.get("scale_mb") == mb and info.get("seed") == seed and info.get("generator") == GENERATOR_VERSION
                and (info.get("next") or not next_export)):
            return path

    print(f"bench-scale: building the {mb} MB scale corpus in {path}", flush=True)
    summary = build_scale(path, mb, seed, next_export=next_export)
    print(f"bench-scale: {summary['head_files']:,} files, {summary['head_bytes'] / 1e6:.0f} MB at heads, "
          f"{summary['blob_bytes'] / 1e6:.0f} MB distinct, built in {summary['seconds']} s", flush=True)
    return path


def run_pipeline(corpus: Path, out: Path, cores: int, extra: list[str],
                 version: str = "1.0.0") -> tuple[float, float | None, dict, str]:
    """(wall seconds of `codecurate run`, seconds of its release step, peak RSS per stage, log tail)."""
    shutil.rmtree(out, ignore_errors=True)  # a fresh run, not a resumed one
    command = [
        sys.executable, "-m", "codecurate", "run", "--config", str(ROOT / "configs" / "local.yaml"),
        "--set", f"input.export={corpus / 'export'}", "--set", f"input.blobs={corpus / 'export' / 'blobs'}",
        "--set", f"optout.list={corpus / 'optout.txt'}", "--set", f"output.root={out}",
        "--set", f"release.version={version}", "--set", f"spark.master=local[{cores}]",
        "--set", "spark.show_progress=false", *extra,
    ]
    env = dict(os.environ, SPARK_LOCAL_IP="127.0.0.1", PYSPARK_PYTHON=sys.executable)
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    tail: list[str] = []
    release_seconds = None
    with StageMemory(process.pid) as memory:
        for line in process.stdout:
            if "[codecurate" in line:
                print(line, end="", flush=True)
                if line.rstrip().endswith(STAGE_LINE):
                    memory.stage = line.split("] [", 1)[1].split("]", 1)[0]
                elif " in -> " in line:
                    memory.stage = "between"  # a stage ended; the next or the release starts soon
                if RELEASE_LINE in line:
                    release_seconds = float(line.rsplit(" in ", 1)[1].split()[0])
            tail = (tail + [line])[-60:]
            if " run " in line and "->" in line and memory.stage == "start":
                memory.stage = "extract"
        process.wait()
    seconds = time.monotonic() - started
    if process.returncode != 0:
        sys.stdout.write("".join(line for line in tail if "WARN" not in line))
        raise SystemExit(f"bench-scale: codecurate run exited {process.returncode}")
    return seconds, release_seconds, memory.peaks, "".join(tail)


def report(out: Path, seconds: float, peaks: dict, cores: int, release_seconds: float | None = None) -> list[str]:
    (run_dir,) = (out / "runs").iterdir()
    run_info = json.loads((run_dir / "run.json").read_text())
    stages = run_info["stages"]
    lines = [f"{'stage':<12} {'rows in':>9} {'kept':>9} {'MB in':>8} {'s':>7} {'MB/s/core':>9} "
             f"{'JVM MiB':>8} {'worker MiB':>10} {'spread':>7}"]
    total_in = None
    stage_seconds = 0.0
    for stage in stages:
        if not (run_dir / stage / "manifest.json").exists():
            lines.append(f"{stage:<12} (not finished)")
            continue
        m = json.loads((run_dir / stage / "manifest.json").read_text())
        mb_in = m["bytes_in"] / 1e6
        total_in = total_in if total_in is not None else mb_in
        stage_seconds += m["seconds"]
        peak = peaks.get(stage, {"jvm": 0, "worker": 0})
        spread = (m.get("metrics", {}).get("task_time") or {}).get("spread")
        lines.append(f"{stage:<12} {m['rows_in']:>9,} {m['rows_kept']:>9,} {mb_in:>8.1f} {m['seconds']:>7.1f} "
                     f"{mb_in / max(m['seconds'], 1e-9) / cores:>9.2f} {peak['jvm'] / 2**20:>8.0f} "
                     f"{peak['worker'] / 2**20:>10.0f} {spread if spread is not None else '-':>7}")
    releases = list((out / "releases").glob("*/manifest.json")) if (out / "releases").exists() else []
    if not releases or not seconds:
        return lines + ([] if releases else ["release      (not published)"])
    release = json.loads(releases[0].read_text())
    published, rows = release["data"]["totals"]["bytes"], release["data"]["totals"]["rows"]
    other = seconds - stage_seconds - (release_seconds or 0.0)  # Spark start-up, planning the run
    release_seconds = max(release_seconds or seconds - stage_seconds, 1e-9)
    peak = peaks.get("release", {"jvm": 0, "worker": 0})
    lines.append(f"{'release':<12} {rows:>9,} {rows:>9,} {published / 1e6:>8.1f} {release_seconds:>7.1f} "
                 f"{published / 1e6 / release_seconds / cores:>9.2f} {peak['jvm'] / 2**20:>8.0f} "
                 f"{peak['worker'] / 2**20:>10.0f} {'-':>7}")
    all_jvm = max((p["jvm"] for p in peaks.values()), default=0)
    all_worker = max((p["worker"] for p in peaks.values()), default=0)
    lines.append(f"whole run: {total_in:.1f} MB in {seconds:.1f} s on {cores} cores = "
                 f"{total_in / seconds / cores:.3f} MB/s per core; peak RSS driver JVM "
                 f"{all_jvm / 2**20:.0f} MiB, largest Python worker {all_worker / 2**20:.0f} MiB")
    lines.append(f"(release: publishing, MB = bytes published; the other {other:.1f} s of the run are "
                 "Spark's start-up and planning the run)")
    return lines


def incremental(corpus: Path, out: Path, cores: int, extra: list[str]) -> list[str]:
    """Release N, N+1 full, N+1 incremental from N (in out/n, out/full, out/incremental)."""
    from codecurate.dev.bench.incremental import reuse_table, verdict
    from codecurate.run.layout import OutputRoot

    moved = json.loads((corpus / "next" / "next_export.json").read_text())
    print(f"export N+1: {moved['new_contents']:,} of {moved['blobs']:,} contents new "
          f"({moved['new_contents_share']:.1%}), {moved['files_changed']:,} files edited, "
          f"{moved['files_added']:,} added, {moved['repos_unchanged']} of {moved['repos']} repositories unchanged, "
          f"relicensed {moved['relicensed_mit_to_gpl']}, gone {len(moved['gone'])}, new {len(moved['new'])}, "
          f"opt-out +{moved['optout_added']}", flush=True)
    seconds_n, *_ = run_pipeline(corpus, out / "n", cores, extra)
    seconds_full, release_full, *_ = run_pipeline(corpus / "next", out / "full", cores, extra, version="1.1.0")
    seconds_inc, release_inc, *_ = run_pipeline(
        corpus / "next", out / "incremental", cores,
        [*extra, "--incremental-from", str(out / "n" / "releases" / "1.0.0")], version="1.1.0")
    full_run, inc_run = OutputRoot(out / "full").latest_run(), OutputRoot(out / "incremental").latest_run()
    stages = inc_run.read_info()["stages"]
    other = [seconds - sum(run.read_manifest(s)["seconds"] for s in stages) - (release or 0.0)
             for run, seconds, release in ((full_run, seconds_full, release_full),
                                           (inc_run, seconds_inc, release_inc))]
    return [*reuse_table(full_run, inc_run, stages),
            f"{'release':<13} {release_full or 0.0:>8.1f} {release_inc or 0.0:>8.1f}",
            f"{'other':<13} {other[0]:>8.1f} {other[1]:>8.1f}   (Spark's start-up, planning the run)",
            f"release N (full): {seconds_n:.1f} s; " + verdict(seconds_full, seconds_inc)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codecurate.dev.bench.scale")
    parser.add_argument("--scale", type=int, default=1100, help="corpus size in MB (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--corpus", type=Path, help="corpus directory (default: out/scale-<MB>)")
    parser.add_argument("--out", type=Path, default=Path("out/bench-scale"), help="run output root (recreated)")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="extra config override (the figures are for the default config)")
    parser.add_argument("--report-only", action="store_true",
                        help="print the table from an earlier run's manifests (no memory figures)")
    parser.add_argument("--incremental", action="store_true",
                        help="release N, N+1 full and N+1 incremental from N on the corpus and its export N+1")
    args = parser.parse_args(argv)
    if args.incremental:
        corpus = (args.corpus or Path(f"out/scale-{args.scale}")).absolute()
        extra = [x for item in args.overrides for x in ("--set", item)]
        print("\n".join(incremental(ensure_corpus(corpus, args.scale, args.seed, next_export=True),
                                     args.out.absolute(), args.cores, extra)))
        return 0
    if args.report_only:
        print("\n".join(report(args.out.absolute(), 0.0, {}, args.cores)))
        return 0
    corpus = ensure_corpus((args.corpus or Path(f"out/scale-{args.scale}")).absolute(), args.scale, args.seed)
    extra = [x for item in args.overrides for x in ("--set", item)]
    seconds, release_seconds, peaks, _ = run_pipeline(corpus, args.out.absolute(), args.cores, extra)
    print("\n".join(report(args.out.absolute(), seconds, peaks, args.cores, release_seconds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
