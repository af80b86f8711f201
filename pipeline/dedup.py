"""What exact and near dedup share: which copy of a file survives.

The survivor of a group of duplicates is the first row in one total order (DESIGN.md stage 4):
permissive GitHub license first, stars desc, forks desc, revision date desc, visit date desc,
then repo_name, path, and snapshot_id, blob_id to break any tie left (one repository can be
archived in several snapshots).
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from pipeline import columns as C

# GitHub license keys (GH Archive `license.key`) that are permissive: a first, conservative
# list (ScanCode category Permissive or Public Domain for each). The licenses stage owns the
# reviewed list in configs/data/licenses/; `gha_permissive` is to read it from there.
GHA_PERMISSIVE_KEYS = frozenset({
    "0bsd", "apache-2.0", "bsd-2-clause", "bsd-3-clause", "bsd-3-clause-clear", "bsl-1.0",
    "cc0-1.0", "isc", "mit", "mit-0", "ncsa", "postgresql", "unlicense", "upl-1.0", "zlib",
})

SURVIVOR_COLUMNS = (
    C.GHA_LICENSE_ID, C.STAR_EVENTS_COUNT, C.FORK_EVENTS_COUNT, C.REVISION_DATE, C.VISIT_DATE,
    C.REPO_NAME, C.PATH, C.SNAPSHOT_ID, C.BLOB_ID,
)


def gha_permissive(license_id: Column) -> Column:
    """True when the GitHub license key is permissive; false for other keys and for null."""
    return F.coalesce(F.lower(license_id).isin(sorted(GHA_PERMISSIVE_KEYS)), F.lit(False))


def survivor_order() -> list[Column]:
    """Sort columns, best copy first; ends in (snapshot_id, blob_id) so no two rows tie."""
    return [
        gha_permissive(F.col(C.GHA_LICENSE_ID)).desc(),
        F.col(C.STAR_EVENTS_COUNT).desc_nulls_last(),
        F.col(C.FORK_EVENTS_COUNT).desc_nulls_last(),
        F.col(C.REVISION_DATE).desc_nulls_last(),
        F.col(C.VISIT_DATE).desc_nulls_last(),
        F.col(C.REPO_NAME).asc_nulls_last(),
        F.col(C.PATH).asc_nulls_last(),
        F.col(C.SNAPSHOT_ID).asc_nulls_last(),
        F.col(C.BLOB_ID).asc_nulls_last(),
    ]
