"""Column names: the one place they are spelled.

File-level columns follow the-stack-v2's published schema so that a release reads like
BigCode's; the rest are ours.
"""

# the-stack-v2 columns, in its order
BLOB_ID = "blob_id"  # content.sha1: blob store key and exact-dedup key
DIRECTORY_ID = "directory_id"  # root directory of the revision the file was found in
PATH = "path"  # "/"-joined path inside the repository, no leading slash
CONTENT_ID = "content_id"  # content.sha1_git = git blob id
REPO_NAME = "repo_name"  # "owner/repo" for forges, else host/path
SNAPSHOT_ID = "snapshot_id"
REVISION_ID = "revision_id"
BRANCH_NAME = "branch_name"
VISIT_DATE = "visit_date"
REVISION_DATE = "revision_date"
COMMITTER_DATE = "committer_date"
GITHUB_ID = "github_id"
STAR_EVENTS_COUNT = "star_events_count"
FORK_EVENTS_COUNT = "fork_events_count"
GHA_LICENSE_ID = "gha_license_id"
GHA_EVENT_CREATED_AT = "gha_event_created_at"
GHA_CREATED_AT = "gha_created_at"
GHA_LANGUAGE = "gha_language"
SRC_ENCODING = "src_encoding"
LENGTH_BYTES = "length_bytes"
EXTENSION = "extension"
CONTENT = "content"  # decoded text

STACK_V2_COLUMNS = (
    BLOB_ID, DIRECTORY_ID, PATH, CONTENT_ID, REPO_NAME, SNAPSHOT_ID, REVISION_ID,
    BRANCH_NAME, VISIT_DATE, REVISION_DATE, COMMITTER_DATE, GITHUB_ID, STAR_EVENTS_COUNT,
    FORK_EVENTS_COUNT, GHA_LICENSE_ID, GHA_EVENT_CREATED_AT, GHA_CREATED_AT, GHA_LANGUAGE,
    SRC_ENCODING, LENGTH_BYTES, EXTENSION,
)

# added by stages
DETECTED_LICENSES = "detected_licenses"  # array<string> of SPDX ids (licenses stage)
LICENSE_TYPE = "license_type"  # permissive | no_license | non_permissive
LICENSE_EVIDENCE = "license_evidence"  # array<string> "kind:spdx_id:license file" (licenses rejects only)
LANGUAGE = "language"  # Linguist name (languages stage)
LANGUAGE_DETECTOR = "language_detector"  # which detector answered: enry | guesslang
IS_VENDOR = "is_vendor"
IS_GENERATED = "is_generated"
PII_COUNTS = "pii_counts"  # list<struct<kind, count>>: redactions by kind, sorted by kind (pii stage)
# pii: the file's text after redaction, where a redaction changed it (null: its content as
# stored). Stage frames carry no content (codecurate.stages.base.with_content); this column
# carries the one change a stage makes to a text, and replaces `content` where it is published.
REDACTED_CONTENT = "redacted_content"

# bookkeeping: present on a stage's tagged output and on rejects, never on kept rows
DROP_REASON = "drop_reason"  # null = kept
DUP_OF = "dup_of"  # blob_id of the survivor a duplicate was removed in favour of
DUP_OF_REPO_NAME = "dup_of_repo_name"  # the survivor's repo_name and path (exact dups share
DUP_OF_PATH = "dup_of_path"  # the blob_id, so dup_of alone does not say which copy won)

# decontaminate: struct<benchmark, task, field, match> naming what a removed file contained
DECONTAMINATED_BY = "decontaminated_by"

AUDIT_COLUMNS = (DUP_OF, DUP_OF_REPO_NAME, DUP_OF_PATH, DECONTAMINATED_BY, LICENSE_EVIDENCE)  # kept only on rejects

# Rejects carry these keys (whichever the frame has) plus the reason: never content.
REJECT_KEYS = (REPO_NAME, PATH, BLOB_ID, CONTENT_ID, SNAPSHOT_ID, LENGTH_BYTES)
