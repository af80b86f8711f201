"""The run report picture: time and throughput per stage, <run_dir>/report.png.

Drawn from the stage manifests (and status files, for the cores) alone, after every run, also
one that failed part-way: the stages that finished are drawn. `codecurate status` links it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codecurate.run.layout import RunDir


def pyplot():
    import matplotlib

    matplotlib.use("Agg")  # no display on a cluster driver
    import matplotlib.pyplot as plt

    return plt


def save_png(fig, path: Path) -> None:
    # no "Software" key: the image bytes then depend only on what is drawn
    fig.savefig(path, format="png", dpi=100, metadata={"Software": None})


def stage_rates(run_dir: RunDir, stages: list[str] | tuple[str, ...]) -> list[dict[str, Any]]:
    """For each finished stage: seconds, MB in, MB/s and MB/s per core (None when unknown)."""
    rows = []
    for name in stages:
        if not run_dir.has_manifest(name):
            continue
        manifest = run_dir.read_manifest(name)
        seconds, mb = float(manifest.get("seconds") or 0), (manifest.get("bytes_in") or 0) / 1e6
        cores = (run_dir.read_status(name) or {}).get("cores")
        rate = mb / seconds if seconds > 0 else None
        rows.append({"stage": name, "seconds": seconds, "mb_in": mb, "mb_per_s": rate,
                     "cores": cores,
                     "mb_per_s_per_core": rate / cores if rate is not None and cores else None})
    return rows


def write_report(run_dir: RunDir, stages: list[str] | tuple[str, ...]) -> Path | None:
    """Draw report.png for the finished stages; None (and no file) when none has finished."""
    rows = stage_rates(run_dir, stages)
    if not rows:
        return None
    plt = pyplot()
    names = [r["stage"] for r in rows]
    fig, (ax_time, ax_rate) = plt.subplots(1, 2, figsize=(11, max(2.5, 0.4 * len(rows) + 1.5)))
    ax_time.barh(names, [r["seconds"] for r in rows], color="tab:blue")
    ax_time.set_title("seconds per stage")
    per_core = all(r["mb_per_s_per_core"] is not None for r in rows)
    key = "mb_per_s_per_core" if per_core else "mb_per_s"
    ax_rate.barh(names, [r[key] or 0 for r in rows], color="tab:green")
    ax_rate.set_title("MB/s per core (input bytes)" if per_core else "MB/s (input bytes)")
    for ax, values in ((ax_time, [r["seconds"] for r in rows]), (ax_rate, [r[key] or 0 for r in rows])):
        ax.invert_yaxis()
        for y, value in enumerate(values):
            ax.annotate(f"{value:,.2f}", (value, y), xytext=(3, 0), textcoords="offset points",
                        va="center", fontsize="small")
        ax.margins(x=0.15)
    fig.suptitle(f"run {run_dir.run_id}")
    fig.tight_layout()
    save_png(fig, run_dir.report)
    plt.close(fig)
    return run_dir.report
