"""What exact and near dedup share: which copy of a file survives.

The survivor of a group of duplicates is the first row in one total order:
permissive GitHub license first, stars desc, forks desc, revision date desc, visit date desc,
then repo_name, path, and snapshot_id, blob_id to break any tie left (one repository can be
archived in several snapshots).
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from codecurate import columns as C
from codecurate.config import LicensesConfig
from codecurate.text.licenses import LicenseTables, load_tables

SURVIVOR_COLUMNS = (
    C.GHA_LICENSE_ID, C.STAR_EVENTS_COUNT, C.FORK_EVENTS_COUNT, C.REVISION_DATE, C.VISIT_DATE,
    C.REPO_NAME, C.PATH, C.SNAPSHOT_ID, C.BLOB_ID,
)


def gha_permissive(license_id: Column, tables: LicenseTables) -> Column:
    """True when the GitHub license key names a permissive license; false for others and null.

    GitHub keys are lower-cased SPDX ids ('mit', 'apache-2.0'); the permissive list is the one
    the licenses stage uses (configs/data/licenses/), so both stages agree on what counts.
    """
    keys = {spdx.lower() for spdx in tables.permissive if tables.is_permissive(spdx)}
    keys |= {alias for alias, spdx in tables.aliases.items() if tables.is_permissive(spdx)}
    return F.coalesce(F.lower(F.trim(license_id)).isin(sorted(keys)), F.lit(False))


def survivor_order(cfg: LicensesConfig) -> list[Column]:
    """Sort columns, best copy first; ends in (snapshot_id, blob_id) so no two rows tie."""
    tables = load_tables(cfg.permissive_list, cfg.blueoak_lead_is_permissive)
    return [
        gha_permissive(F.col(C.GHA_LICENSE_ID), tables).desc(),
        F.col(C.STAR_EVENTS_COUNT).desc_nulls_last(),
        F.col(C.FORK_EVENTS_COUNT).desc_nulls_last(),
        F.col(C.REVISION_DATE).desc_nulls_last(),
        F.col(C.VISIT_DATE).desc_nulls_last(),
        F.col(C.REPO_NAME).asc_nulls_last(),
        F.col(C.PATH).asc_nulls_last(),
        F.col(C.SNAPSHOT_ID).asc_nulls_last(),
        F.col(C.BLOB_ID).asc_nulls_last(),
    ]
