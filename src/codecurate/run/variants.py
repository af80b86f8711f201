"""Release variants: the raw (the-stack-v2-like) files next to the training-ready ones.

The training-ready files are the run's last stage. The raw ones come from the same run without
the training stages (config.TRAINING_STAGES: quality, decontaminate). With release.variants
"both", the raw stages run as a branch of the run, <run>/variants/raw/, whose stages before the
first training stage are links to the run's own: extract, licenses and languages run once, and
only the stages after the branch point (the dedups, pii) run twice. The branch's stage
fingerprints are the run's (same config fingerprint, same stages up to them), so the linked
stages count as complete and a crashed branch resumes like any run.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from codecurate.config import TRAINING_STAGES, Config
from codecurate.run.layout import RunDir
from codecurate.run.runner import Run

RAW = "raw"  # the variant's name: its release directory and dataset config name
BRANCHES = "variants"  # <run>/variants/<name>/


def raw_config(cfg: Config) -> Config:
    """The config of the raw variant: the same, without the training stages."""
    return dataclasses.replace(cfg, stages=tuple(s for s in cfg.stages if s not in TRAINING_STAGES))


def raw_branch(run: Run) -> Run:
    """The raw variant of `run` as a branch run sharing its stages before the first training stage."""
    cfg = raw_config(run.cfg)
    branch = RunDir(run.dir.path / BRANCHES / RAW)
    branch.path.mkdir(parents=True, exist_ok=True)
    for name in run.cfg.stages:
        if name in TRAINING_STAGES:
            break
        link = branch.stage(name)
        if not link.is_symlink():
            # relative: the output root may be moved or mounted elsewhere
            link.symlink_to(os.path.relpath(run.dir.stage(name), link.parent), target_is_directory=True)
    if not branch.contents.is_symlink():  # the texts the linked stages' files are looked up in
        branch.contents.symlink_to(os.path.relpath(run.dir.contents, branch.path), target_is_directory=True)
    info = dict(run.info, stages=list(cfg.stages), variant=RAW)
    earlier = run.info.get("incremental_from")
    if earlier:
        # An incremental run's raw branch reuses the earlier run's raw branch where it has one:
        # its stores hold the raw-only files too, and its last stage is what the earlier
        # release published as raw (near_dedup keeps those in place).
        earlier_raw = RunDir(Path(earlier["path"]) / BRANCHES / RAW)
        if earlier_raw.run_file.exists():
            info["incremental_from"] = {"path": str(earlier_raw.path), "run_id": earlier["run_id"]}
    branch.write_info(info)
    return Run(cfg, branch, info)
