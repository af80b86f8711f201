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
    # quality (StarCoder2's filters; one reason per rule)
    LONG_LINES = "long_lines"  # average line > 100 or longest > 1,000 chars (100,000 for markup/data)
    TOO_MANY_LINES = "too_many_lines"  # more than 100,000 lines
    AUTO_GENERATED = "auto_generated"  # go-enry's is_generated, or a "generated, do not edit" marker
    LOW_ALPHA = "low_alpha"  # under 25% letters (letters and digits for assembly)
    ENCODED_DATA = "encoded_data"  # mostly base64, hex byte lists or \uXXXX escapes
    LANGUAGE_SIZE = "language_size"  # outside its language's size range (JSON/YAML: 50-5,000 chars)
    LOW_VISIBLE_TEXT = "low_visible_text"  # HTML with too little text a reader would see
    # dedup
    EXACT_DUPLICATE = "exact_duplicate"
    NEAR_DUPLICATE = "near_duplicate"
    # pii
    PII_DENSE = "pii_dense"
    # decontaminate
    BENCHMARK_CONTAMINATION = "benchmark_contamination"  # holds a benchmark's prompt, solution or test
