"""Language, vendor and generated-file detection for one batch of files: go-enry, then guesslang.

go-enry ports GitHub Linguist: its strategy chain (modeline, filename, shebang, extension,
XML, man page, content heuristics, Bayesian classifier) is what `enry.get_languages` runs, so
ambiguous extensions (.h, .m, .pl, .ts ...) are settled by Linguist's content heuristics, not
by the first extension candidate. The chain returns:
- one language: Linguist is sure;
- several: every rule left candidates and the classifier ranked them, best first;
- none: no rule applied (e.g. an extensionless file without shebang).
With `fallback="guesslang"`, files with no answer get guesslang's content-only guess, and
files the classifier had to rank get guesslang's answer when it is one of the candidates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata

import enry

from codecurate.errors import UsageError
from codecurate.resources import data_file

ENRY = "enry"
GUESSLANG = "guesslang"
FALLBACKS = (GUESSLANG, "none")

# Linguist only tokenises the first 100 KB for its classifier, and its heuristics look at the
# file start; a 10 MiB blob through cffi and every heuristic regex costs ~100x a typical file.
MAX_DETECT_BYTES = 512 * 1024

_DATA = data_file("languages")

# Same rule as extract's `extension` column: the last suffix of a basename with a non-empty
# stem, without the dot (".bashrc" has none).
_EXTENSION = re.compile(r"^.+\.([^./]+)$")


# Dependency lock files are written by package managers, never by hand, but go-enry's
# Linguist rules (which flag package-lock.json, Cargo.lock, poetry.lock ...) miss these.
LOCK_FILES = frozenset({
    "yarn.lock", "Gemfile.lock", "go.sum", "go.work.sum", "mix.lock", "Podfile.lock",
    "packages.lock.json", "bun.lock", "Package.resolved", "gradle.lockfile", "conan.lock",
})


class LanguageNameError(UsageError):
    """A configured language name is neither a Linguist name nor a known alias."""


@dataclass(frozen=True)
class Detection:
    language: str | None
    detector: str | None  # ENRY, GUESSLANG, or None when nothing answered
    is_vendor: bool
    is_generated: bool


def _read_table(name: str) -> dict[str, str]:
    path = _DATA / name
    table = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        key, sep, value = line.partition("\t")
        if not sep or not value.strip():
            raise LanguageNameError(f"{path}:{number}: expected 'name<TAB>linguist name'")
        table[key.strip()] = value.strip()
    return table


@lru_cache(maxsize=1)
def aliases() -> dict[str, str]:
    return _read_table("aliases.tsv")


@lru_cache(maxsize=1)
def guesslang_names() -> dict[str, str]:
    return _read_table("guesslang.tsv")


def is_linguist_name(name: str) -> bool:
    # go-enry answers "unknown" for a name it has no language entry for
    return enry.get_language_type(name) != "unknown"


def _alias_key(name: str) -> str:
    # go-enry's convertToAliasKey
    return name.split(",", 1)[0].replace(" ", "_").lower()


def canonical_language(name: str) -> str:
    """The Linguist name a user means: exact names pass, aliases ('cpp', 'golang') map."""
    if is_linguist_name(name):
        return name
    found = aliases().get(_alias_key(name.strip()))
    if found is None:
        raise LanguageNameError(
            f"unknown language {name!r}: write its GitHub Linguist name (e.g. 'C++', 'Shell') "
            f"or an alias listed in {_DATA / 'aliases.tsv'}"
        )
    return found


def extension_of(path: str) -> str | None:
    match = _EXTENSION.match(path.rsplit("/", 1)[-1])
    return match.group(1) if match else None


def enry_language(path: str, data: bytes) -> tuple[str | None, tuple[str, ...]]:
    """(language or None, candidates when the classifier had to rank several)."""
    candidates = enry.get_languages(path, data)
    if not candidates:
        return None, ()
    if len(candidates) == 1:
        return candidates[0], ()
    return candidates[0], tuple(candidates)


def detect_batch(
    paths: Sequence[str],
    contents: Sequence[str | None],
    fallback: str = "none",
    min_fallback_chars: int = 0,
) -> list[Detection]:
    """One Detection per file; `guesslang` runs once on the whole batch's leftovers."""
    if fallback not in FALLBACKS:
        raise ValueError(f"fallback must be one of {FALLBACKS}, got {fallback!r}")
    results: list[Detection] = []
    pending: list[tuple[int, tuple[str, ...]]] = []  # (index, enry candidates) for guesslang
    for i, (path, text) in enumerate(zip(paths, contents, strict=True)):
        data = (text or "").encode("utf-8", "replace")[:MAX_DETECT_BYTES]
        language, candidates = enry_language(path, data)
        vendor = enry.is_vendor(path)
        generated = enry.is_generated(path, data) or path.rsplit("/", 1)[-1] in LOCK_FILES
        detector = ENRY if language else None
        results.append(Detection(language, detector, vendor, generated))
        if fallback == GUESSLANG and (language is None or candidates):
            if len((text or "").strip()) >= min_fallback_chars:
                pending.append((i, candidates))
    if pending:
        results = _apply_guesslang(results, contents, pending)
    return results


def _apply_guesslang(
    results: list[Detection],
    contents: Sequence[str | None],
    pending: list[tuple[int, tuple[str, ...]]],
) -> list[Detection]:
    from codecurate.text import guesslang_compat

    guesses = guesslang_compat.classifier().classify([contents[i] or "" for i, _ in pending])
    mapping = guesslang_names()
    out = list(results)
    for (i, candidates), guess in zip(pending, guesses, strict=True):
        language = mapping.get(guess) if guess else None
        if language is None:
            continue
        # where Linguist narrowed the choice, guesslang only breaks the tie inside it
        if candidates and language not in candidates:
            continue
        out[i] = Detection(language, GUESSLANG, results[i].is_vendor, results[i].is_generated)
    return out


def check_available(fallback: str) -> None:
    """Start-up check: the configured detectors can be imported here."""
    if fallback == GUESSLANG:
        from codecurate.text import guesslang_compat

        guesslang_compat.check_importable()


def detector_versions(fallback: str) -> dict[str, str | None]:
    """What the release manifest records about the language detectors."""
    versions: dict[str, str | None] = {
        "enry-python": metadata.version("enry-python"),
        # enry-python 0.2.0 bundles go-enry v2 built from source: its shared library
        # reports "(devel)" and no release number
        "go-enry": "v2 (bundled with enry-python)",
        "fallback": fallback,
    }
    if fallback == GUESSLANG:
        from codecurate.text import guesslang_compat

        versions.update(guesslang_compat.versions())
    return versions


def unknown_names(names: Iterable[str]) -> list[str]:
    bad = []
    for name in names:
        try:
            canonical_language(name)
        except LanguageNameError:
            bad.append(name)
    return bad
