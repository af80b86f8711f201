"""Opt-out: drop every file of a repository whose owner, or owner/repo, asked to be left out.

Runs right after extract, so an opted-out repository can never win a dedup survivor slot; the
release re-checks the list before publishing.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from pipeline import columns as C
from pipeline.config import Config
from pipeline.optout import OptOutList, read_optout_list
from pipeline.reasons import DropReason
from pipeline.stages.base import StageContext, mark_dropped, require_columns

NAME = "optout"
REQUIRES = (C.REPO_NAME,)


def load_list(cfg: Config) -> OptOutList:
    return read_optout_list(cfg.optout.list) if cfg.optout.list else OptOutList.empty()


def opted_out(repo_name: F.Column, optouts: OptOutList) -> F.Column:
    name = F.lower(repo_name)
    owner = F.split(name, "/").getItem(0)
    # Lists are small (thousands of entries): literal IN sets keep this a narrow filter.
    return name.isin(sorted(optouts.repos) or [""]) | owner.isin(sorted(optouts.owners) or [""])


def run(files: DataFrame, cfg: Config, ctx: StageContext) -> DataFrame:
    require_columns(files, REQUIRES, NAME)
    optouts = load_list(cfg)
    ctx.metric("optout_list_sha256", optouts.sha256)
    ctx.metric("optout_entries", len(optouts.owners) + len(optouts.repos))
    return mark_dropped(files, opted_out(F.col(C.REPO_NAME), optouts), DropReason.OPTED_OUT)
