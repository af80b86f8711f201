"""Find and redact secrets, emails and IP addresses in one file's text (no pyspark here).

Three sources of spans, merged before anything is replaced:
1. detect-secrets 1.5.0's plugins and filters, run line by line exactly as its own file scan
   runs them (`_process_line_based_plugins`), but only on lines that pass `PREFILTER`, a regex
   built from what each plugin looks for. A full scan costs ~0.2 MB/s per core here because
   every line goes through 26 plugins and a dozen filters through an introspecting call layer;
   most lines of code cannot hold anything any plugin reports, and the prefilter finds them in
   one C-level regex pass. `test_pii_prefilter.py` checks it loses nothing against a full scan.
2. Our own span detectors for formats detect-secrets misses or only half reports (its GitHub
   and GitLab rules return just the `ghp`/`glpat` prefix group as the "secret").
3. Emails and public IPv4/IPv6 addresses.

Detected values are never logged or put in an error message: callers get spans, counts by kind
and the redacted text, nothing else.
"""

from __future__ import annotations

import fnmatch
import hashlib
import ipaddress
import logging
import math
import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from codecurate.config import PiiConfig

EMAIL, PASSWORD, KEY = "<EMAIL>", "<PASSWORD>", "<KEY>"

# Kinds that count as a "secret" for pii_dense (emails and IPs are personal data, not secrets).
NON_SECRET_KINDS = frozenset({"email", "ipv4", "ipv6"})

# Long lines (minified code, data blobs) are scanned in windows of max_line_chars that overlap
# by this much, so a secret up to this long that straddles a window edge is still seen whole
# in one window; the work stays linear in the line length.
WINDOW_OVERLAP = 512

# A private key block whose END marker is further than this from its BEGIN marker is redacted
# up to the end of its base64 body instead (a 4096-bit RSA key in PEM is ~3.3 kB).
MAX_KEY_BLOCK_CHARS = 16384

# detect-secrets' own public-IP plugin is left out: IPs are ours (it knows no resolvers,
# versions or replacement ranges), and its findings would otherwise become <KEY>.
EXCLUDED_PLUGINS = frozenset({"IPPublicDetector"})

# secret_type (detect-secrets) -> (our kind, placeholder)
_DS_KINDS = {
    "Secret Keyword": ("password", PASSWORD),
    "Basic Auth Credentials": ("password", PASSWORD),
    "AWS Access Key": ("aws_key", KEY),
    "GitHub Token": ("github_token", KEY),
    "GitLab Token": ("gitlab_token", KEY),
    "Private Key": ("private_key", KEY),
    "JSON Web Token": ("jwt", KEY),
    "Slack Token": ("slack_token", KEY),
    "Stripe Access Key": ("stripe_key", KEY),
    "Base64 High Entropy String": ("high_entropy", KEY),
    "Hex High Entropy String": ("high_entropy", KEY),
}
_DS_DEFAULT_KIND = ("api_key", KEY)


class Span(NamedTuple):
    start: int
    end: int
    kind: str
    replacement: str


@dataclass
class Redaction:
    text: str
    counts: dict[str, int] = field(default_factory=dict)  # kind -> spans replaced
    secret_lines: int = 0  # non-blank lines touched by a secret span
    nonblank_lines: int = 0
    dense: bool = False


# ---------------------------------------------------------------------------------------------
# text layout: lines and scan chunks


class _Layout:
    """A text cut into lines, scan lines and chunks.

    Scan lines are the lines, except that a line longer than max_line_chars becomes
    overlapping windows of that size. Chunks are runs of consecutive short lines (kept together
    so one regex pass covers many lines) or single windows. Every detector runs on chunks or
    scan lines, never on an uncapped line.
    """

    def __init__(self, text: str, max_line_chars: int):
        self.text = text
        self.lines = text.split("\n")
        self.starts = []
        pos = 0
        for line in self.lines:
            self.starts.append(pos)
            pos += len(line) + 1
        self.chunks: list[tuple[int, str]] = []
        self.scan_lines: list[str] = []
        self.scan_starts: list[int] = []
        self.has_long_lines = False
        run_start = None
        for number, line in enumerate(self.lines):
            begin = self.starts[number]
            if len(line) <= max_line_chars:
                if run_start is None:
                    run_start = begin
                self.scan_lines.append(line)
                self.scan_starts.append(begin)
                continue
            self.has_long_lines = True
            if run_start is not None:
                self.chunks.append((run_start, text[run_start:begin - 1]))
                run_start = None
            step = max_line_chars - WINDOW_OVERLAP
            for offset in range(0, len(line), step):
                window = line[offset:offset + max_line_chars]
                self.chunks.append((begin + offset, window))
                self.scan_lines.append(window)
                self.scan_starts.append(begin + offset)
                if offset + max_line_chars >= len(line):
                    break
        if run_start is not None:
            self.chunks.append((run_start, text[run_start:]))
        self._folded: list[str] | None = None

    def folded(self) -> list[str]:
        """_fold() of every chunk, computed once: three detectors search the folded text."""
        if self._folded is None:
            self._folded = [_fold(chunk) for _, chunk in self.chunks]
        return self._folded

    def line_of(self, offset: int) -> int:
        return bisect_right(self.starts, offset) - 1

    def scan_line_of(self, offset: int) -> int:
        """The last scan line starting at or before offset (for windows: the later one)."""
        return bisect_right(self.scan_starts, offset) - 1


# ---------------------------------------------------------------------------------------------
# detect-secrets, driven on in-memory lines


class PrefilterError(RuntimeError):
    """A detect-secrets plugin has no prefilter rule: findings could be lost."""


@dataclass(frozen=True)
class _Prefilter:
    """Which lines can hold a detect-secrets finding, in two levels.

    `direct` patterns are cheap enough to run over whole chunks (most have a literal prefix,
    e.g. `ghp_`, `AKIA`, `BEGIN RSA`); each line they touch is a candidate. The keyword-driven
    patterns (KeywordDetector and the `<name>_key = <value>` assignment rules of Cloudant,
    IBM, SoftLayer, AWS) cost 40-140 ms per MB each over whole text, so they run only on lines
    where `guard` finds one of their mandatory words (key, pass, pw, secret, token, ...) in the
    case-folded chunk, and then per line.
    """
    direct: tuple[re.Pattern, ...]
    guard: re.Pattern
    guarded: tuple[re.Pattern, ...]
    # per direct pattern: a literal every match contains, and whether it is case-folded (None:
    # no usable literal). A chunk without it skips the pattern: an `in` test runs at memory
    # speed, while a pattern starting with a character class costs ~30 ms/MB (Mailchimp's
    # `[0-9a-z]{32}-us`, Artifactory's `(?:\s|=|:|"|^)AKC`): this halves the prefilter's time.
    literals: tuple[tuple[str, bool] | None, ...] = ()


def _required_literal(pattern: re.Pattern) -> tuple[str, bool] | None:
    """The longest run of literal characters that every match of `pattern` contains, read from
    the parsed pattern (top level and plain groups; alternations and repeats end a run), and
    whether it matches case-insensitively. None if there is no run of 2 or more characters."""
    from re import _constants as c
    from re import _parser

    best: list[tuple[str, bool]] = []

    def walk(items, ignorecase: bool) -> None:
        run: list[str] = []
        for op, av in items:
            if op is c.LITERAL:
                run.append(chr(av))
                continue
            best.append(("".join(run), ignorecase))
            run = []
            if op is c.SUBPATTERN:
                _, add, remove, sub = av
                walk(sub, (ignorecase or bool(add & re.IGNORECASE)) and not remove & re.IGNORECASE)
        best.append(("".join(run), ignorecase))

    walk(_parser.parse(pattern.pattern, pattern.flags), bool(pattern.flags & re.IGNORECASE))
    usable = []
    for literal, ignorecase in best:
        if ignorecase:
            # re's case-insensitive matching has twins str.lower() does not produce (dotless
            # i matches i, U+017F matches s, which _fold maps): cut runs at "i" to stay exact.
            usable.extend((part.lower(), True) for part in literal.lower().split("i"))
        else:
            usable.append((literal, False))
    literal, ignorecase = max(usable, key=lambda item: len(item[0]), default=("", False))
    return (literal, ignorecase) if len(literal) >= 2 else None


# The words every guarded pattern requires (case-insensitive): KeywordDetector's DENYLIST
# entries all contain key, pass, pwd, secret or contrase(ñ|n)a; the assignment rules contain
# key|pwd|pw|password|pass|token, and AWSKeyDetector's second rule starts with "aws".
_GUARD_WORDS = ("key", "pass", "pw", "secret", "contrase", "token", "aws")
_GUARDED_WORD_IN_SOURCE = re.compile("|".join(_GUARD_WORDS))


@lru_cache(maxsize=1)
def _detect_secrets():
    """Configure detect-secrets once per Python process: default plugins and filters, no
    filter that needs the file on disk. Returns (plugins, scan module, prefilter)."""
    from detect_secrets.core import scan
    from detect_secrets.core.log import log as ds_log
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.settings import cache_bust, get_plugins, get_settings

    # detect-secrets' info/debug messages may quote a candidate value ("Skipping ... due to").
    ds_log.setLevel(logging.WARNING)
    ds_log.propagate = False
    cache_bust()  # drops the settings singleton too: configure the fresh one below
    settings = get_settings()
    settings.configure_plugins([
        {"name": cls.__name__}
        for cls in get_mapping_from_secret_type_to_class().values()
        if cls.__name__ not in EXCLUDED_PLUGINS
    ])
    # is_invalid_file checks that the path exists on disk: ours are paths inside a repository.
    settings.disable_filters("detect_secrets.filters.common.is_invalid_file")
    get_plugins.cache_clear()
    plugins = get_plugins()
    return plugins, scan, _build_prefilter(plugins)


def _build_prefilter(plugins) -> _Prefilter:
    """Each plugin contributes a necessary condition for it to find anything on a line:
    - regex plugins: their own denylist patterns, verbatim (same flags, scoped);
    - KeywordDetector: one of its denylisted keywords;
    - high-entropy plugins: a quoted run of their charset long enough to pass the entropy limit
      (a string of n characters has entropy <= log2(n), so it needs n > 2**limit).
    An unknown plugin type is an error, so a detect-secrets upgrade cannot silently add a plugin
    the prefilter would starve.
    """
    from detect_secrets.plugins import keyword
    from detect_secrets.plugins.base import RegexBasedDetector
    from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin

    direct, guarded = [], []
    for plugin in plugins:
        if isinstance(plugin, RegexBasedDetector):
            for pattern in plugin.denylist:
                scoped = re.compile(f"(?{_flag_letters(pattern.flags)}:{pattern.pattern})", re.M)
                if pattern.flags & re.IGNORECASE and _GUARDED_WORD_IN_SOURCE.search(
                    pattern.pattern.lower()
                ):
                    guarded.append(scoped)
                else:
                    direct.append(scoped)
        elif isinstance(plugin, keyword.KeywordDetector):
            guarded.append(re.compile("(?i:" + "|".join(keyword.DENYLIST) + ")"))
        elif isinstance(plugin, HighEntropyStringsPlugin):
            min_len = math.floor(2 ** plugin.entropy_limit) + 1
            chars = re.escape(plugin.charset)
            direct.append(re.compile(f"[\"'][{chars}]{{{min_len},}}[\"']"))
        else:
            raise PrefilterError(
                f"no prefilter rule for detect-secrets plugin {type(plugin).__name__}"
            )
    guard = re.compile("|".join(_GUARD_WORDS))
    literals = tuple(_required_literal(pattern) for pattern in direct)
    return _Prefilter(tuple(direct), guard, tuple(guarded), literals)


def _flag_letters(flags: int) -> str:
    letters = ""
    for flag, letter in ((re.IGNORECASE, "i"), (re.VERBOSE, "x"), (re.DOTALL, "s")):
        if flags & flag:
            letters += letter
    return letters or "-i"  # "(?-i:...)": a scoped group needs at least one flag letter


# Case folding for the guard, length-preserving. re.IGNORECASE lets the Kelvin sign match "k"
# (str.lower() maps it) and the long s (U+017F) match "s" (str.lower() keeps it): the guard
# words have no other letter with such a Unicode twin ("i" has two, but no guard word has i).
def _fold(chunk: str) -> str:
    folded = chunk.lower()
    if len(folded) != len(chunk):  # e.g. U+0130 lower-cases to two characters
        folded = "".join(c.lower() if len(c.lower()) == 1 else c for c in chunk)
    if "\u017f" in folded:
        folded = folded.replace("\u017f", "s")
    return folded


def candidate_lines(layout: _Layout) -> list[int]:
    """Scan-line numbers that may hold a detect-secrets finding.

    A direct match may start on an earlier line (patterns with `\\s` can take a newline) or
    overlap a window edge, so every scan line a match touches is a candidate. Regex search
    tries every start position, and a line's own match is never hidden by an earlier match
    that ends before it; one that reaches into it makes the line a candidate anyway.
    """
    _, _, prefilter = _detect_secrets()
    found: set[int] = set()
    guarded: set[int] = set()
    for (base, chunk), folded in zip(layout.chunks, layout.folded(), strict=True):
        for pattern, literal in zip(prefilter.direct, prefilter.literals, strict=True):
            if literal is not None and literal[0] not in (folded if literal[1] else chunk):
                continue
            for match in pattern.finditer(chunk):
                first = layout.scan_line_of(base + match.start())
                last = layout.scan_line_of(base + max(match.end() - 1, match.start()))
                found.update(range(first, last + 1))
        for match in prefilter.guard.finditer(folded):
            guarded.add(layout.scan_line_of(base + match.start()))
            if layout.has_long_lines:  # the word may also sit in the earlier, overlapping window
                guarded.add(layout.scan_line_of(base + match.start() - WINDOW_OVERLAP))
    for number in guarded - found:
        if number < 0:
            continue
        line = layout.scan_lines[number].rstrip()
        if any(pattern.search(line) for pattern in prefilter.guarded):
            found.add(number)
    return sorted(n for n in found if n >= 0)


def detect_secrets_findings(
    lines: list[str], path: str, numbers: list[int] | None = None
) -> Iterator[tuple[int, str, str]]:
    """(0-based line number, secret_type, value) for each finding, as detect-secrets' file scan
    would report them; `numbers` limits the scan to those lines (None: every line)."""
    plugins, scan, _ = _detect_secrets()
    if scan._is_filtered_out(required_filter_parameters=["filename"], filename=path):
        return  # lock files, swagger files, non-text extensions: detect-secrets skips them
    stripped = [line.rstrip() for line in lines]
    for number in range(len(lines)) if numbers is None else numbers:
        line = stripped[number]
        context = scan.get_code_snippet(lines=stripped, line_number=number + 1)
        if scan._is_filtered_out(
            required_filter_parameters=["line"], filename=path, line=line, context=context
        ):
            continue
        for plugin in plugins:
            for secret in scan._scan_line(
                plugin=plugin, filename=path, line=line, line_number=number + 1, context=context
            ):
                if not scan._is_filtered_out(
                    required_filter_parameters=["context"], filename=path,
                    secret=secret.secret_value, plugin=plugin, line=line, context=context,
                ):
                    yield number, secret.type, secret.secret_value


def _detect_secrets_spans(layout: _Layout, path: str, options: PiiConfig) -> Iterator[Span]:
    numbers = candidate_lines(layout)
    if not numbers:
        return
    lines = layout.scan_lines
    words = _context_regex(options.credential_words)
    for number, secret_type, value in detect_secrets_findings(lines, path, numbers):
        if not value:
            continue
        if secret_type == "Private Key":
            continue  # its value is the marker text; the key body is ours (_private_key_spans)
        kind, placeholder = _DS_KINDS.get(secret_type, _DS_DEFAULT_KIND)
        if not_a_secret(value):
            continue
        if kind == "password" and not plausible_password(value, options):
            continue
        if secret_type == "Hex High Entropy String" and (
            not words.search(lines[number].lower()) or _HASH_CONTEXT.search(lines[number])
        ):
            continue  # a hex digest (git SHA, checksum) unless the line names a credential
        if secret_type == "Azure Storage Account access key":
            value = value.removeprefix("AccountKey=")
        if kind == "password":
            value = value.rstrip(";")  # `password=value;` in config files: the ; ends it
        base = layout.scan_starts[number]
        for start, end in _occurrences(lines[number], value):
            if not not_a_secret(_enclosing(lines[number], start, end)):
                yield Span(base + start, base + end, kind, placeholder)


def _occurrences(line: str, value: str) -> Iterator[tuple[int, int]]:
    """Every occurrence of `value` in `line` that is not part of a longer word: a keyword
    finding's value "a" (from `pwd = "a"`) must not redact every letter a of the line."""
    pos = line.find(value)
    while pos >= 0:
        end = pos + len(value)
        before_ok = pos == 0 or not (_is_word(value[0]) and _is_word(line[pos - 1]))
        after_ok = end == len(line) or not (_is_word(value[-1]) and _is_word(line[end]))
        if before_ok and after_ok:
            yield pos, end
        pos = line.find(value, pos + 1)


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _gated_finditer(chunk: str, gate: re.Pattern, regex: re.Pattern, reach: int) -> Iterator[re.Match]:
    """`regex.finditer(chunk)`, run only near hits of the cheap `gate` (a whole-text pass of the
    IPv4 regex costs ~140 ms/MB, its gate ~15 ms/MB).

    Needs: `gate` matches inside every match of `regex`; no match is longer than `reach`; and
    `regex` cannot start inside a longer token (a lookbehind), so starting a search at a
    window edge finds no fragments. Every match overlapping a gate hit lies in
    [hit - reach, hit + reach).
    """
    done = 0  # every match starting before `done` has been yielded or ruled out
    for hit in gate.finditer(chunk):
        if hit.end() <= done:
            continue
        lo = max(done, hit.start() - reach)
        hi = min(len(chunk), hit.end() + reach)
        limit = hi if hi == len(chunk) else hit.end()  # later starts may be cut off at hi
        for match in regex.finditer(chunk, lo, hi):
            if match.start() >= limit:
                break
            yield match
            done = max(done, match.end())
        done = max(done, limit)


# ---------------------------------------------------------------------------------------------
# own detectors: (regex, kind, placeholder, group whose span is replaced)

class _Detector(NamedTuple):
    gate: str  # the regex runs only on chunks where this pattern is found
    regex: re.Pattern
    kind: str
    placeholder: str
    group: int  # the group whose span is replaced
    folded: bool = False  # the gate is lower-case and searched in the _fold()ed chunk


# Gates keep whole-chunk passes cheap: a regex that starts with a lookbehind gets no literal
# prefix scan in Python's re (~10 ms/MB each), while a gate with a literal prefix is found at
# ~1-3 ms/MB (measured on the sample: faster than several `in` tests, ~4 ms/MB each).
_WORD_BEFORE = r"(?<![A-Za-z0-9_])"
_WORD_AFTER = r"(?![A-Za-z0-9_])"
_GITLAB_PREFIXES = ("glpat", "gldt", "glft", "glsoat", "glrt", "glcbt", "glimt", "glptt", "glagent", "gloas")

_OWN_DETECTORS = (
    # GitHub: classic tokens are prefix + 36 base62; fine-grained ones github_pat_ + 82 chars.
    _Detector(
        r"g(?:h[pousr]_|ithub_pat_)",
        re.compile(_WORD_BEFORE + r"(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,244})"
                   + _WORD_AFTER),
        "github_token", KEY, 0),
    # detect-secrets reports GitLab tokens by their prefix only ("glpat"): redact the whole.
    _Detector(
        "gl(?:" + "|".join(prefix[2:] for prefix in _GITLAB_PREFIXES) + ")-",
        re.compile(_WORD_BEFORE + "(?:" + "|".join(_GITLAB_PREFIXES) + r")-[A-Za-z0-9_\-]{20,1024}"
                   + _WORD_AFTER),
        "gitlab_token", KEY, 0),
    # AWS access key ids: 4-character prefix + 16 upper-case base32-ish characters.
    _Detector(
        "A(?:KIA|SIA|BIA|CCA|3T)",
        re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?![A-Z0-9])"),
        "aws_key", KEY, 0),
    # AWS secret keys are 40 base64 characters, too generic to match without the assignment.
    _Detector(
        "ecret",
        re.compile(r"(?i:aws_?secret(?:_access)?_?key|secret_?access_?key)[\"'\]]{0,2}[ \t]{0,8}"
                   r"(?:=>|:=|=|:)[ \t]{0,8}[\"']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])"),
        "aws_key", KEY, 1, folded=True),
    _Detector(
        "xox",
        re.compile(_WORD_BEFORE + r"xox[abposr]-[A-Za-z0-9-]{10,250}"),
        "slack_token", KEY, 0),
    _Detector(
        "k_live_",
        re.compile(_WORD_BEFORE + r"[rs]k_live_[0-9a-zA-Z]{24,247}" + _WORD_AFTER),
        "stripe_key", KEY, 0),
    # JWT: base64url(header).base64url(payload).signature; header and payload are JSON objects,
    # so both start with eyJ ('{"').
    _Detector(
        "eyJ",
        re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,2000}\.eyJ[A-Za-z0-9_-]{5,8000}"
                   r"\.[A-Za-z0-9_-]{0,2000}"),
        "jwt", KEY, 0),
    # Google API keys (Maps, Firebase, ...): "AIza" + 35 base64url characters.
    _Detector(
        "AIza",
        re.compile(r"(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_\-]{35}(?![A-Za-z0-9_-])"),
        "google_api_key", KEY, 0),
    # npm access tokens: "npm_" + 36 base62.
    _Detector(
        "npm_",
        re.compile(_WORD_BEFORE + r"npm_[A-Za-z0-9]{36}" + _WORD_AFTER),
        "npm_token", KEY, 0),
    # PyPI API tokens are macaroons: "pypi-AgE" + base64url of the serialized macaroon.
    _Detector(
        "pypi-AgE",
        re.compile(_WORD_BEFORE + r"pypi-AgE[A-Za-z0-9_\-]{50,1000}"),
        "pypi_token", KEY, 0),
    # Mailgun private API keys: "key-" + 32 hex.
    _Detector(
        "key-",
        re.compile(r"(?<![A-Za-z0-9_-])key-[0-9a-f]{32}(?![A-Za-z0-9_-])"),
        "mailgun_key", KEY, 0),
    # Heroku API keys are UUIDs: only one on a line that names Heroku is taken as a key.
    _Detector(
        "heroku",
        re.compile(r"(?i:heroku)[^\n]{0,60}?(?<![0-9A-Fa-f-])([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                   r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(?![0-9A-Fa-f-])"),
        "heroku_key", KEY, 1, folded=True),
    # SendGrid: "SG." + 22 + "." + 43 base64url. detect-secrets has the rule, but its
    # is_indirect_reference filter drops every finding on a line like `x = f("...")`.
    _Detector(
        r"SG\.",
        re.compile(r"(?<![A-Za-z0-9_-])SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}(?![A-Za-z0-9_-])"),
        "sendgrid_key", KEY, 0),
    # Telegram bot tokens: bot id, ":", 35 characters starting "AA" (also in /bot<token>/ URLs).
    _Detector(
        ":AA",
        re.compile(r"(?<![0-9])[0-9]{8,10}:AA[0-9A-Za-z_\-]{33}(?![A-Za-z0-9_-])"),
        "telegram_token", KEY, 0),
    # Discord webhooks: the last path segment is the webhook's secret.
    _Detector(
        "/api/webhooks/",
        re.compile(r"discord(?:app)?\.com/api/webhooks/[0-9]{5,30}/([A-Za-z0-9_\-]{60,80})"),
        "discord_webhook", KEY, 1),
    # Azure connection strings: storage AccountKey and Service Bus / Event Hubs SharedAccessKey
    # (detect-secrets knows only the 88-character AccountKey and redacts its name with it).
    _Detector(
        "Key=",
        re.compile(r"(?:AccountKey|SharedAccessKey)=([A-Za-z0-9+/]{30,200}={0,2})"),
        "azure_key", KEY, 1),
    # `...;Password=value;` in ADO.NET / JDBC connection strings (a `;` before the name).
    _Detector(
        "p(?:asswor|w)d",
        re.compile(r"(?i:;[ \t]*(?:password|pwd)[ \t]*=[ \t]*)([^;\"'\s]{1,128})(?=;|[\"']|$)", re.M),
        "password", PASSWORD, 1, folded=True),
    # scheme://user:password@host: only the password is replaced.
    _Detector(
        "://",
        re.compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,20}://[^\s:/?#@'\"<>]{0,128}"
                   r":([^\s/?#@'\"<>]{1,128})@(?=[A-Za-z0-9\[])"),
        "password", PASSWORD, 1),
)

_KEY_BEGIN = re.compile(r"-----BEGIN ((?:[A-Z0-9]+ ){0,3})PRIVATE KEY(?: BLOCK)?-----")
# Between the markers: base64, header lines ("DEK-Info: AES-128-CBC,..."), whitespace, quotes,
# "\\n" escapes and string concatenation; at least one 32-character base64 run. One character
# class, so matching stays linear.
_KEY_BODY = re.compile(r"(?=[\s\S]*?[A-Za-z0-9+/]{32})[A-Za-z0-9+/=\s\"',;:\-\\]*")
# A PEM body line (base64, maybe quoted in code) or a header line such as "Proc-Type: 4,ENCRYPTED".
_BASE64_LINE = re.compile(
    r"[ \t\"']*(?:[A-Za-z0-9+/=]{16,}|[A-Za-z][A-Za-z\-]{2,30}: [^\n]{0,200})[ \t\"',+\\n]*"
)


_GATES = tuple(re.compile(detector.gate) for detector in _OWN_DETECTORS)


def _own_spans(layout: _Layout, options: PiiConfig) -> Iterator[Span]:
    for (base, chunk), folded in zip(layout.chunks, layout.folded(), strict=True):
        for detector, gate in zip(_OWN_DETECTORS, _GATES, strict=True):
            if not gate.search(folded if detector.folded else chunk):
                continue
            group = detector.group
            for match in detector.regex.finditer(chunk):
                value = match.group(group)
                if detector.kind == "password" and not plausible_password(value, options):
                    continue
                if not_a_secret(value):
                    continue
                yield Span(base + match.start(group), base + match.end(group), detector.kind,
                           detector.placeholder)
        if "PRIVATE KEY" in chunk:
            yield from _private_key_spans(chunk, base)


def _private_key_spans(chunk: str, base: int) -> Iterator[Span]:
    """The whole BEGIN ... END block, also when written inside a string with \\n escapes.

    Only blocks with a key body count: PEM parsers hold both markers as string constants, and
    the code between them must not become <KEY>.
    """
    for match in _KEY_BEGIN.finditer(chunk):
        end_marker = f"-----END {match.group(1)}PRIVATE KEY"
        stop = chunk.find(end_marker, match.end(), match.end() + MAX_KEY_BLOCK_CHARS)
        if stop >= 0 and _KEY_BODY.fullmatch(chunk, match.end(), stop):
            close = chunk.find("-----", stop + len(end_marker))
            end = close + 5 if 0 <= close - (stop + len(end_marker)) <= 6 else stop + len(end_marker)
        else:
            # No END marker near: take the body lines that look like base64 (or headers).
            end = match.end()
            while end < len(chunk) and chunk[end] == "\n":
                line_end = chunk.find("\n", end + 1)
                line_end = len(chunk) if line_end < 0 else line_end
                body = chunk[end + 1:line_end]
                if not body.strip() or not _BASE64_LINE.fullmatch(body):
                    break
                end = line_end
            if end == match.end():
                continue  # a marker with no body is not a key
        yield Span(base + match.start(), base + end, "private_key", KEY)


# ---------------------------------------------------------------------------------------------
# precision: which values may be secrets at all (docs/pii.md states the rules)

# A hex run on a line that names a digest is a checksum, never a secret (a line can name both:
# `cache_key = "<sha256>"  # sha256 of the inputs`).
_HASH_CONTEXT = re.compile(
    r"(?i:sha\d*|md5|hash|digest|checksum|integrity|commit|\brev\b|revision|fingerprint|etag|crc)"
)
# Digests written with their algorithm (subresource integrity, go.sum, pip/poetry hashes).
_DIGEST_PREFIX = re.compile(r"(?i:sha(?:1|224|256|384|512)|md5|h1)[-:=]")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX_RUN = re.compile(r"[0-9a-fA-F]+")
# Documentation examples and placeholders standing in for a key (AWS's AKIAIOSFODNN7EXAMPLE,
# Slack's xoxb-not-a-real-token-..., sk_live_xxxx...).
_DOC_EXAMPLE = re.compile(r"(?i:example|not-?a-?real|dummy|fake|sample|placeholder)|x{6}|X{6}|\*{4}")
# Keys that are public by design or only reach a provider's test mode.
_PUBLIC_PREFIXES = ("pk_live_", "pk_test_", "sk_test_", "rk_test_")
# Values that are published as examples so often they are not anybody's secret: jwt.io's token.
_KNOWN_EXAMPLES = frozenset({
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0"
    "IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
})


def not_a_secret(value: str) -> bool:
    """A value no detector may redact: a documented example, a public or test-mode key, a
    digest written with its algorithm."""
    return (
        value in _KNOWN_EXAMPLES
        or value.startswith(_PUBLIC_PREFIXES)
        or bool(_DIGEST_PREFIX.match(value))
        or bool(_DOC_EXAMPLE.search(value))
    )


# A reference or template, not a value: ${VAR}, $VAR, {{ var }}, {var}, %(name)s, %s, <...>,
# os.environ[...], getenv(...), process.env.X, ENV["X"], secrets.X, a call or an index.
_REFERENCE = re.compile(
    r"\$\{|\{\{|\}\}|^\{\w*\}$|%\(\w*\)[sdr]|%[sd]|^\$\w|^<.*>$|^\[.*\]$|os\.environ|getenv|"
    r"process\.env|ENV\[|secrets\.|^[A-Za-z_][\w.]*[(\[]"
)
# An identifier, not a password: an UPPER_SNAKE environment variable name, a dotted name, a
# path, a URL, an HTTP header name.
_IDENTIFIER = re.compile(
    r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Za-z_]\w*(?:\.[A-Za-z_]\w*){2,}|.*://.*|[~.]?/\S*/\S*|X-[A-Za-z-]+"
)
_LEET = str.maketrans("013457@$", "oieastas")


@lru_cache(maxsize=8)
def _dummy_regex(words: tuple[str, ...]) -> re.Pattern:
    # longest first, so "password" is tried before "pass"; x+ for xxx, "" for digits only
    alternatives = sorted({w.lower() for w in words if w}, key=len, reverse=True)
    return re.compile("(?:" + "|".join(map(re.escape, alternatives)) + "|x+)*")


def is_dummy(value: str, words: tuple[str, ...]) -> bool:
    """`dev`, `Test123!`, `changeme`, `P@ssw0rd`, `admin-admin`, `your_api_key_here`: the
    letters of the value (after undoing leetspeak) are nothing but dummy words."""
    lowered = value.lower()
    regex = _dummy_regex(words)
    for text in (lowered, lowered.translate(_LEET)):
        letters = re.sub(r"[^a-z]", "", text)
        if letters and regex.fullmatch(letters):
            return True
    return False  # digits and symbols only are judged by length and entropy


def shannon_entropy(value: str) -> float:
    counts: dict[str, int] = {}
    for char in value:
        counts[char] = counts.get(char, 0) + 1
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values()) if n else 0.0


def plausible_password(value: str, options: PiiConfig) -> bool:
    """May `value`, assigned to a password-like name, be a real password?

    Not when it is a reference or template, an identifier, a dummy, shorter than
    password_min_chars, below password_min_entropy bits per character, or a run like
    "12345678" (detect-secrets' own sequential-string heuristic).
    """
    from detect_secrets.filters.heuristic import is_sequential_string

    value = value.strip().strip("\"'`")
    if len(value) < options.password_min_chars:
        return False
    if _REFERENCE.search(value) or _IDENTIFIER.fullmatch(value):
        return False
    if len(_SEPARATORS.findall(value)) >= 2 and _reads_as_words(value):
        return False  # "prod/payments/stripe-signing", "db-password-v2": names, not passwords
    if is_dummy(value, options.dummy_words) or is_sequential_string(value):
        return False
    return shannon_entropy(value) >= options.password_min_entropy and not not_a_secret(value)


# Identifiers read as words: camelCase/PascalCase/UPPER/lower pieces averaging 3.5+ letters, with
# at most 2 runs of digits per segment ("PBKDF2PasswordHasher", "x509"). Random base62 text
# splits into 1-2 letter pieces: of random 16-character tokens ~2% read as words, of 24-character
# ones <1%, of 40-character ones none (measured on 3,000 draws each).
_WORD_PIECES = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_MIN_WORD_PIECE = 3.5
_MAX_DIGIT_RUNS = 2
_SEPARATORS = re.compile(r"[_\-/+.:]+")


def _reads_as_words(value: str) -> bool:
    """"AWS_SECRET_ACCESS_KEY", "PBKDF2PasswordHasher", "bert-base-uncased", "Error_OutOfMemory"."""
    letters = pieces = 0
    for segment in _SEPARATORS.split(value):
        found = _WORD_PIECES.findall(segment)
        if "".join(found) != segment:
            return False
        words = [piece for piece in found if not piece[0].isdigit()]
        if len(found) - len(words) > _MAX_DIGIT_RUNS:
            return False
        letters += sum(map(len, words))
        pieces += len(words)
    return letters >= _MIN_WORD_PIECE * pieces


def credential_like(value: str, options: PiiConfig) -> bool:
    """Does a token on a line naming a credential look like a generated credential?

    At least credential_min_chars long (base64 padding aside), not a UUID, not words and
    numbers, and random enough: a hex run needs letters and digits and detect-secrets' hex
    limit (3.0 bits/char); other runs need a digit or mixed case and an entropy near the best
    their length allows (log2(n) - 1, at most detect-secrets' base64 limit of 4.5).
    """
    core = value.rstrip("=")
    if len(core) < options.credential_min_chars or _UUID.fullmatch(core) or not_a_secret(core):
        return False
    if _reads_as_words(core):
        return False
    entropy = shannon_entropy(core)
    dashless = core.replace("-", "")
    if _HEX_RUN.fullmatch(dashless):
        has_digit = any(c.isdigit() for c in dashless)
        return has_digit and not dashless.isdigit() and entropy >= HEX_ENTROPY_LIMIT
    if not any(c.isdigit() for c in core) and (core.islower() or core.isupper()):
        return False
    return entropy >= min(BASE64_ENTROPY_LIMIT, math.log2(len(core)) - 1.0)


# detect-secrets' default limits (HexHighEntropyString, Base64HighEntropyString)
HEX_ENTROPY_LIMIT = 3.0
BASE64_ENTROPY_LIMIT = 4.5

# Runs of token characters: base64 (standard and URL-safe) and hex, with padding.
_TOKEN_RUN = re.compile(r"(?<![A-Za-z0-9+/_\-])[A-Za-z0-9+/_\-]{16,1024}={0,3}(?![A-Za-z0-9+/_\-=])")
_PASSWORD_WORD = re.compile(r"(?i:pass|pwd)")
_PASSWORD_WORD_FOLDED = re.compile(r"p(?:ass|wd)")  # on _fold()ed text


@lru_cache(maxsize=8)
def _context_regex(words: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(re.escape(w.lower()) for w in sorted(words, key=len, reverse=True)))


def _context_spans(layout: _Layout, path: str, options: PiiConfig) -> Iterator[Span]:
    """Credential-like tokens on lines that name a credential, wherever they sit on the line:
    call and keyword arguments, dict, JSON, YAML, TOML, INI and .env values, URLs, connection
    strings, Dockerfile ENV/ARG, shell exports, HTTP headers.

    The words are searched once per chunk in its case-folded text (one C-level pass); only the
    lines they touch are tokenized. A line that also names a password gets <PASSWORD>.
    """
    words = _context_regex(options.credential_words)
    literals_only = _is_code(path)
    for (base, _), folded in zip(layout.chunks, layout.folded(), strict=True):
        named = {layout.scan_line_of(base + match.start()) for match in words.finditer(folded)}
        password_lines = set()
        lines = set(named)
        for number in sorted(named):
            children = _block_lines(layout.scan_lines, number, literals_only)
            lines.update(children)
            if _PASSWORD_WORD.search(layout.scan_lines[number]):
                password_lines.update(children)
        for number in sorted(lines):
            line = layout.scan_lines[number]
            start = layout.scan_starts[number]
            hashes = None
            for token in _TOKEN_RUN.finditer(line):
                value = token.group(0)
                if literals_only and not _in_string(line, token.start()):
                    continue  # in code, an unquoted token is an identifier or a number
                if not credential_like(value, options) or not_a_secret(_enclosing(line, token.start(), token.end())):
                    continue
                if _HEX_RUN.fullmatch(value.replace("-", "")):
                    if hashes is None:
                        hashes = bool(_HASH_CONTEXT.search(line))
                    if hashes:
                        continue
                if number in password_lines or _PASSWORD_WORD.search(line):
                    yield Span(start + token.start(), start + token.end(), "password", PASSWORD)
                else:
                    yield Span(start + token.start(), start + token.end(), "credential", KEY)


# Source files, where a value is a string literal; elsewhere (configuration, shell, docs, data)
# a value may also stand unquoted.
_CODE_EXTENSIONS = frozenset({
    "py", "pyi", "js", "mjs", "cjs", "jsx", "ts", "tsx", "java", "kt", "kts", "scala", "groovy",
    "go", "c", "h", "cc", "cpp", "cxx", "hpp", "hh", "cs", "m", "mm", "swift", "rs", "rb", "php",
    "pl", "pm", "lua", "r", "dart", "ex", "exs", "erl", "clj", "hs", "ml", "fs", "vb", "jl", "zig",
})


def _is_code(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return "." in name and name.rsplit(".", 1)[-1].lower() in _CODE_EXTENSIONS


def _in_string(line: str, pos: int) -> bool:
    """Inside a quoted string, judged by an odd count of a quote character before pos (an
    apostrophe in a comment can fool it; the other rules still apply)."""
    head = line[:pos]
    return head.count('"') % 2 == 1 or head.count("'") % 2 == 1 or head.count("`") % 2 == 1


# A line opening a block: an INI/TOML section header, or a key with no value on its line
# (`credentials:` in YAML, `"auth": {` in JSON, `secrets = {` in Python, `variable "x" {` in HCL).
# Both are matched on the stripped line, and only on short lines ending the right way.
_SECTION_HEADER = re.compile(r"\[[^\]\n]{1,100}\]")
_BLOCK_OPENER = re.compile(r"(?:- )?[\w.\-\"' ]{1,80}(?::|=|:=|=>)?[ \t]*[{\[(]?")
MAX_OPENER_CHARS = 100
MAX_BLOCK_LINES = 200  # a credential section longer than this is a data file, not a config block


def _is_section_header(line: str) -> bool:
    stripped = line.strip()
    return stripped.startswith("[") and _SECTION_HEADER.fullmatch(stripped) is not None


def _block_lines(lines: list[str], number: int, code: bool) -> range:
    """Lines under a line that opens a block (the key path of their values): until the next
    section header for INI/TOML, while indented deeper than the opener otherwise."""
    opener = lines[number]
    stripped = opener.strip()
    if len(stripped) > MAX_OPENER_CHARS:
        return range(0)
    if not code and _is_section_header(stripped):
        end = number + 1
        while end < len(lines) and end - number <= MAX_BLOCK_LINES and not _is_section_header(lines[end]):
            end += 1
        return range(number + 1, end)
    # in source files only a literal opens a block: `if token:` opens a branch, not a key path
    if not stripped.endswith(("{", "[", "(") if code else (":", "{", "[", "(", "=")):
        return range(0)
    if not _BLOCK_OPENER.fullmatch(stripped):
        return range(0)
    indent = len(opener) - len(opener.lstrip())
    end = number + 1
    while end < len(lines) and end - number <= MAX_BLOCK_LINES:
        line = lines[end]
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        end += 1
    return range(number + 1, end)


_WORD_EDGE = re.compile(r"[\s\"'`<>()\[\]{},;]")


def _enclosing(line: str, start: int, end: int) -> str:
    """The whitespace/quote-delimited word around line[start:end]: a JWT around one part."""
    while start > 0 and not _WORD_EDGE.match(line, start - 1):
        start -= 1
    while end < len(line) and not _WORD_EDGE.match(line, end):
        end += 1
    return line[start:end]


# Unquoted values assigned to a password name in configuration files (.env, Dockerfile, shell,
# .netrc, properties): `DB_PASSWORD=value`, `ENV DB_PASSWORD value`, `--password value`,
# `password value` (.netrc). detect-secrets' keyword rules want quotes outside YAML/INI/TOML.
_PASSWORD_NAME = (r"(?:[A-Za-z0-9_.\-]*(?:password|passwd|passphrase)|(?:[A-Za-z0-9.\-]*_)?(?:pass|pwd))"
                  r"(?:_[A-Za-z0-9_.\-]*)?")
_UNQUOTED_PASSWORD = re.compile(
    r"(?i:(?<![A-Za-z0-9])" + _PASSWORD_NAME + r"[\"']?[ \t]*(?:=|:(?!//))[ \t]*"
    r"|^[ \t]*(?:ENV|ARG)[ \t]+" + _PASSWORD_NAME + r"[ \t]+"
    r"|--" + _PASSWORD_NAME + r"[ \t]+"
    r"|^[ \t]*password[ \t]+)"
    r"[\"']?([^\s\"'`;,]{1,128})",
    re.M,
)
# Quoted values assigned to a password name, in any file: `password="..."` as a keyword
# argument, `"db_password": "..."`, `$pass = '...'`. detect-secrets has keyword rules for
# these, but its is_indirect_reference filter drops every finding on a line such as
# `conn = connect(user="app", password="...")`.
_QUOTED_PASSWORD = re.compile(
    r"(?i:(?<![A-Za-z0-9])" + _PASSWORD_NAME + r")[\"'\]]{0,2}[ \t]*(?:=>|:=|=|:)[ \t]*"
    r"(?P<q>[\"'`])(?P<value>[^\"'`\n]{1,128})(?P=q)"
)
_CONFIG_FILE = re.compile(
    r"(?i:\.env(?:\..*)?|.*\.env|dockerfile.*|.*\.dockerfile|containerfile|.*\.(?:sh|bash|zsh|ksh)|"
    r"\.netrc|_netrc|\.pypirc|.*\.properties)"
)


def _password_spans(layout: _Layout, path: str, options: PiiConfig) -> Iterator[Span]:
    regexes = [(_QUOTED_PASSWORD, "value")]
    if _CONFIG_FILE.fullmatch(path.rsplit("/", 1)[-1]):
        regexes.append((_UNQUOTED_PASSWORD, 1))
    for (base, _), folded in zip(layout.chunks, layout.folded(), strict=True):
        lines = {layout.scan_line_of(base + m.start()) for m in _PASSWORD_WORD_FOLDED.finditer(folded)}
        for number in sorted(lines):
            line, start = layout.scan_lines[number], layout.scan_starts[number]
            for regex, group in regexes:
                for match in regex.finditer(line):
                    if plausible_password(match.group(group), options):
                        yield Span(start + match.start(group), start + match.end(group), "password",
                                   PASSWORD)


@lru_cache(maxsize=8)
def _skip_regex(patterns: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(fnmatch.translate(p.lower()) for p in patterns) or "(?!)")


def is_checksum_file(path: str, options: PiiConfig) -> bool:
    """Lock and checksum files (by name): only digests, versions and URLs."""
    return _skip_regex(options.skip_secret_files).match(path.rsplit("/", 1)[-1].lower()) is not None


# ---------------------------------------------------------------------------------------------
# emails

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}"
    r"@((?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,24})(?![A-Za-z0-9\-])"
)
_EMAIL_GATE = re.compile(r"@[A-Za-z0-9]")
_EMAIL_REACH = 64 + 1 + 8 * 64 + 24  # local part, "@", labels, top-level domain
# Kept when keep_example_emails: RFC 2606/6761 reserved names can never reach a person.
_EXAMPLE_DOMAINS = ("example.com", "example.org", "example.net")
_RESERVED_TLDS = ("test", "example", "invalid", "localhost")


def _is_example_email(domain: str) -> bool:
    domain = domain.lower()
    if domain.rsplit(".", 1)[-1] in _RESERVED_TLDS:
        return True
    return any(domain == d or domain.endswith("." + d) for d in _EXAMPLE_DOMAINS)


def _email_spans(layout: _Layout, keep_examples: bool) -> Iterator[Span]:
    # noreply addresses are redacted too: GitHub's <id>+<login>@users.noreply.github.com
    # names an account. `git@host:owner/repo` SSH remotes and `scheme://user@host` URL logins
    # are not mailboxes and stay.
    for base, chunk in layout.chunks:
        for match in _gated_finditer(chunk, _EMAIL_GATE, _EMAIL, _EMAIL_REACH):
            if keep_examples and _is_example_email(match.group(1)):
                continue
            if match.group(0).startswith("git@") and chunk.startswith(":", match.end()):
                continue
            if chunk.endswith("://", 0, match.start()):
                continue  # scheme://user@host: a login name in a URL, not a mailbox
            yield Span(base + match.start(), base + match.end(), "email", EMAIL)


# ---------------------------------------------------------------------------------------------
# IP addresses

_IPV4 = re.compile(
    r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?!\w|\.\d)"
)
# Candidate IPv6 text; ipaddress decides whether it really is one.
_IPV6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f:]{2,39}(?:(?<=:)(?:\d{1,3}\.){3}\d{1,3})?(?![\w:]|\.\d)")
_IP_SEARCHES = (
    (re.compile(r"[0-9]\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]"), _IPV4, 16, "ipv4"),
    (re.compile(r":[0-9A-Fa-f]{0,4}:"), _IPV6, 39 + 16, "ipv6"),  # text, then an embedded IPv4
)
# Version-like dotted numbers: "version", "__version__", "Version:", "ver" shortly before.
# Dotted numbers that are not addresses, told by what shortly precedes them on the line:
# versions ("version", "__version__", "Version:", "ver", "rev", `pkg==1.0.0.0` pins) and ASN.1
# object identifiers (`ObjectIdentifier('2.5.4.36')`, "OID 1.3.6.1").
_VERSION_CONTEXT = re.compile(
    r"(?i:version|\bver\b|\brev\b|\brelease\b|\boid\b|objectidentifier)|[=<>~!]=[ \t]*[\"'`]?$"
)
_VERSION_LOOKBACK = 40

# Public resolvers are infrastructure, not personal data: Google, Cloudflare, Quad9, OpenDNS.
_PUBLIC_RESOLVERS = frozenset(ipaddress.ip_address(a) for a in (
    "8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9", "149.112.112.112",
    "208.67.222.222", "208.67.220.220",
    "2001:4860:4860::8888", "2001:4860:4860::8844", "2606:4700:4700::1111",
    "2606:4700:4700::1001", "2620:fe::fe", "2620:fe::9",
))
_GLOBAL_UNICAST_V6 = ipaddress.ip_network("2000::/3")

# Replacements are a keyed hash of the address: the same address gets the same replacement in
# every file and run; the ranges are not global, so a second pass leaves them alone. The key is
# public, so an IPv4 replacement can be reversed by hashing all 2**32 addresses: this hides
# addresses from reading, not from a determined search.
_IP_HASH_KEY = b"codecurate-pii-ip-v1"


def replacement_ip(value: str) -> str:
    address = ipaddress.ip_address(value)
    digest = hashlib.blake2b(address.packed, key=_IP_HASH_KEY, digest_size=16).digest()
    if address.version == 4:
        return str(ipaddress.IPv4Address(b"\x0a" + digest[:3]))  # 10.0.0.0/8
    return str(ipaddress.IPv6Address(b"\xfd" + digest[:15]))  # fd00::/8, unique local


def _is_public(address) -> bool:
    if not address.is_global or address in _PUBLIC_RESOLVERS:
        return False
    # Only global unicast IPv6 counts: `a::b`, `dead::beef` in C++ or hex dumps are not hosts.
    return address.version == 4 or address in _GLOBAL_UNICAST_V6


def _ip_spans(layout: _Layout) -> Iterator[Span]:
    for base, chunk in layout.chunks:
        for gate, regex, reach, kind in _IP_SEARCHES:
            for match in _gated_finditer(chunk, gate, regex, reach):
                if kind == "ipv6" and match.group(0).count(":") < 2:
                    continue
                try:
                    address = ipaddress.ip_address(match.group(0))
                except ValueError:
                    continue
                if not _is_public(address):
                    continue
                line_start = chunk.rfind("\n", 0, match.start()) + 1
                before = chunk[max(line_start, match.start() - _VERSION_LOOKBACK):match.start()]
                if kind == "ipv4" and _VERSION_CONTEXT.search(before):
                    continue
                yield Span(base + match.start(), base + match.end(), kind,
                           replacement_ip(match.group(0)))


# ---------------------------------------------------------------------------------------------
# putting it together


def find_spans(text: str, path: str, options: PiiConfig) -> list[Span]:
    """Non-overlapping spans to replace, in text order."""
    return _find_spans(_Layout(text, options.max_line_chars), path, options)


def _find_spans(layout: _Layout, path: str, options: PiiConfig) -> list[Span]:
    spans: list[Span] = []
    if options.secrets:
        # On equal spans the first label wins: provider formats first (most specific), then
        # context candidates (<KEY> for a token even under an api_key= keyword), then
        # detect-secrets. Lock and checksum files get only the provider formats, which no
        # digest can look like.
        spans.extend(_own_spans(layout, options))
        if not is_checksum_file(path, options):
            spans.extend(_context_spans(layout, path, options))
            spans.extend(_password_spans(layout, path, options))
            # a provider rule's <KEY> wins over the keyword rule's <PASSWORD> on the same value
            found = list(_detect_secrets_spans(layout, path, options))
            spans.extend(sorted(found, key=lambda span: span.kind == "password"))
    if options.emails:
        spans.extend(_email_spans(layout, options.keep_example_emails))
    if options.ip_addresses:
        spans.extend(_ip_spans(layout))
    return merge_spans(spans)


def merge_spans(spans: list[Span]) -> list[Span]:
    """Non-overlapping spans in text order.

    Overlapping secret spans become their union, so no fragment of either survives (e.g. a
    high-entropy string inside a private key block). Emails and IPs are personal data of lower
    rank: one overlapping a secret is dropped (the secret covers the sensitive part; in
    `scheme://user:pw@host` the "email" pw@host must not eat the host), and overlapping
    emails/IPs merge among themselves.
    """
    kept: list[Span] = []
    for rank in (0, 1):
        layer = sorted(
            (s for s in spans if s.start < s.end and (s.kind in NON_SECRET_KINDS) == bool(rank)),
            key=lambda s: (s.start, -s.end),
        )
        merged: list[Span] = []
        for span in layer:
            if merged and span.start < merged[-1].end:
                last = merged[-1]
                merged[-1] = Span(last.start, max(last.end, span.end), last.kind, last.replacement)
            else:
                merged.append(span)
        if rank:
            merged = [s for s in merged if not _overlaps_any(s, kept)]
        kept.extend(merged)
    return sorted(kept)


def _overlaps_any(span: Span, ordered: list[Span]) -> bool:
    i = bisect_right(ordered, (span.start,)) - 1
    return any(
        other.start < span.end and span.start < other.end
        for other in ordered[max(i, 0):i + 2]
    )


def apply_spans(text: str, spans: list[Span]) -> str:
    out, pos = [], 0
    for span in spans:
        out.append(text[pos:span.start])
        out.append(span.replacement)
        pos = span.end
    out.append(text[pos:])
    return "".join(out)


def redact(text: str, path: str, options: PiiConfig) -> Redaction:
    layout = _Layout(text, options.max_line_chars)
    spans = _find_spans(layout, path, options)
    counts: dict[str, int] = {}
    touched: set[int] = set()
    for span in spans:
        counts[span.kind] = counts.get(span.kind, 0) + 1
        if span.kind not in NON_SECRET_KINDS:
            touched.update(range(layout.line_of(span.start), layout.line_of(span.end - 1) + 1))
    nonblank = sum(1 for line in layout.lines if line.strip())
    secret_lines = sum(1 for n in touched if layout.lines[n].strip())
    dense = (
        secret_lines >= options.dense_min_lines
        and secret_lines / max(nonblank, 1) >= options.dense_fraction
    )
    return Redaction(apply_spans(text, spans), counts, secret_lines, nonblank, dense)
