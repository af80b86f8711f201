"""Drop reasons: every rejected row carries exactly one of these."""

from enum import StrEnum


class DropReason(StrEnum):
    # extract
    SKIPPED_CONTENT = "skipped_content"  # listed in skipped_content: SWH never archived the bytes
    MISSING_CONTENT = "missing_content"  # directory entry points at no content row
    CONTENT_NOT_VISIBLE = "content_not_visible"  # content.status is hidden/absent
    MISSING_BLOB = "missing_blob"  # content row exists but the blob store has no object
    CORRUPT_BLOB = "corrupt_blob"  # blob unreadable (bad gzip, truncated, wrong size)
    TOO_LARGE = "too_large"
    BINARY = "binary"  # NUL byte in the data
    UNDECODABLE = "undecodable"  # no text encoding fits
    INVALID_PATH = "invalid_path"  # null, non-UTF-8, control characters, "..", "/" inside a name
    SUBMODULE = "submodule"  # a `rev` entry: a pointer to another repository's commit, no file
    UNKNOWN_ENTRY_TYPE = "unknown_entry_type"  # a directory entry neither file, dir nor rev (or null)
    SYMLINK = "symlink"  # git mode 120000: the blob is a link target, not a file
    TREE_TOO_DEEP = "tree_too_deep"  # a directory below extract.max_depth (one row per subtree)
    DUPLICATE_REPOSITORY = "duplicate_repository"  # same root directory as a surviving repo
    # extract, whole origins (repo_rejects: the origin yields no file at all)
    INVALID_BRANCH = "invalid_branch"  # the chosen branch name is not UTF-8 or holds control characters
    EMPTY_TREE = "empty_tree"  # the root directory has no file: empty, or missing from the export
    TREE_CYCLE = "tree_cycle"  # a directory contains itself: a fabricated export, never unrolled
    TREE_TOO_LARGE = "tree_too_large"  # more entries or path bytes than extract.max_*_per_origin
    # optout
    OPTED_OUT = "opted_out"
    # licenses
    LICENSE_NON_PERMISSIVE = "license_non_permissive"
    # languages
    LANGUAGE_UNKNOWN = "language_unknown"
    LANGUAGE_EXCLUDED = "language_excluded"
    VENDOR = "vendor"
    GENERATED = "generated"
    # dedup
    EXACT_DUPLICATE = "exact_duplicate"
    NEAR_DUPLICATE = "near_duplicate"
    # pii
    PII_DENSE = "pii_dense"
