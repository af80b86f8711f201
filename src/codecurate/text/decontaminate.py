"""Find benchmark text (prompts, solutions, tests) in a file (no pyspark here).

A benchmark is a JSONL file, one task a line; the config names the task-id field and the fields
to match. Every field value of useful length becomes a benchmark string, matched two ways:

- exact: the string, normalised, is a substring of the file, normalised. Normalising removes
  all whitespace and makes every quote a double quote, so re-indented, re-wrapped or
  re-quoted copies still match;
- near: the file holds at least `threshold` of the string's distinct word n-grams (words are
  runs of letters, digits and `_`, lower-cased), leaving out n-grams that only count (numbers
  and number names). A copy with its variables renamed loses the
  n-grams around each renamed name but keeps the rest (docstrings, calls, literals).

Strings are indexed by n-gram once (on the driver: they are small), so a file costs one regex
pass, one set intersection against the index and substring checks only for the strings it
shares an n-gram with.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from codecurate.config import PACKAGE_PREFIX

_WORD = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")


class BenchmarkError(ValueError):
    """A benchmark file is unreadable or lacks a configured field; the message names both."""


def normalise(text: str) -> str:
    return _SPACE.sub("", text).replace("'", '"')


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def ngrams(tokens: list[str], n: int) -> set[tuple[str, ...]]:
    return set(zip(*(tokens[i:] for i in range(n)), strict=False))


# Counting is in countless real files: "1: 'one', 2: 'two', ..." (sympy's pretty printer), float
# lists "[1.0, 2.0, 3.0]" (keras' tests). On the 1.1 GB scale corpus, n-grams made only of
# numbers and number names were the whole overlap of the only two real files taken for
# HumanEval copies (HumanEval/105's digit-name table, HumanEval/4's test lists).
NUMBER_WORDS = frozenset(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty "
    "ninety hundred thousand million billion".split())


def is_counting(gram: tuple[str, ...]) -> bool:
    """An n-gram of numbers and number names only: evidence of nothing."""
    return all(token.isdigit() or token in NUMBER_WORDS for token in gram)


@dataclass(frozen=True)
class BenchmarkString:
    benchmark: str
    task: str
    field: str
    exact: str  # normalised text
    ngram_count: int  # distinct n-grams (0: matched exactly only)


@dataclass(frozen=True)
class Match:
    benchmark: str
    task: str
    field: str
    match: str  # "exact" or "ngram"


@dataclass
class Index:
    n: int
    threshold: float
    min_ngrams: int
    strings: list[BenchmarkString] = field(default_factory=list)
    postings: dict[tuple[str, ...], list[int]] = field(default_factory=dict)  # n-gram -> string ids
    unindexed: list[int] = field(default_factory=list)  # no n-gram: checked in every file

    def add(self, benchmark: str, task: str, field_name: str, text: str, min_chars: int) -> None:
        exact = normalise(text)
        if len(exact) < min_chars:
            return  # `return a + b` is in countless real files
        # Only benchmark n-grams are filtered: a file's n-grams meet the index by intersection.
        grams = {gram for gram in ngrams(words(text), self.n) if not is_counting(gram)}
        sid = len(self.strings)
        self.strings.append(BenchmarkString(benchmark, task, field_name, exact, len(grams)))
        if not grams:
            self.unindexed.append(sid)
        for gram in grams:
            self.postings.setdefault(gram, []).append(sid)

    def match(self, text: str | None) -> Match | None:
        """The benchmark string the text holds: the first exact copy (in benchmark, file and
        field order), else the nearest copy over the threshold, else None."""
        if not text:
            return None
        found = ngrams(words(text), self.n) & self.postings.keys()
        hits: Counter[int] = Counter()
        for gram in found:
            hits.update(self.postings[gram])
        candidates = sorted(set(hits) | set(self.unindexed))
        if not candidates:
            return None
        flat = normalise(text)
        for sid in candidates:
            s = self.strings[sid]
            if s.exact in flat:
                return Match(s.benchmark, s.task, s.field, "exact")
        # no exact copy: the string with the largest share of its n-grams in the file
        # (similar tasks share some; the one copied shares the most)
        best, best_share = None, 0.0
        for sid in candidates:
            s = self.strings[sid]
            share = hits[sid] / s.ngram_count if s.ngram_count >= self.min_ngrams else 0.0
            if share >= self.threshold and share > best_share:
                best, best_share = s, share
        return None if best is None else Match(best.benchmark, best.task, best.field, "ngram")


def open_benchmark(path: str) -> bytes:
    """The bytes of a benchmark file: a path, or package:<module>/<file> inside an installed package."""
    try:
        if path.startswith(PACKAGE_PREFIX):
            module, _, inner = path[len(PACKAGE_PREFIX):].partition("/")
            data = resources.files(module).joinpath(inner).read_bytes()
        else:
            data = Path(path).read_bytes()
    except (OSError, ModuleNotFoundError) as err:
        raise BenchmarkError(f"benchmark file {path}: cannot read it: {err}") from err
    if path.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as err:
            raise BenchmarkError(f"benchmark file {path}: not gzip: {err}") from err
    return data


def read_benchmark(path: str, id_field: str, fields: Iterable[str]) -> list[tuple[str, str, str]]:
    """(task, field, text) for every configured field of every task; list fields give one text per item."""
    data = open_benchmark(path)
    out = []
    for number, line in enumerate(data.decode("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise BenchmarkError(f"benchmark file {path} line {number}: not JSON: {err}") from err
        task = _field(record, id_field)  # "a.b": field b of the object in field a
        if task is None:
            raise BenchmarkError(f"benchmark file {path} line {number}: no {id_field!r} field")
        task = str(task)
        for name in fields:
            if name not in record:
                raise BenchmarkError(f"benchmark file {path} line {number}: no {name!r} field")
            value = record[name]
            for text in value if isinstance(value, list) else [value]:
                if isinstance(text, str):
                    out.append((task, name, text))
    return out


def _field(record, dotted: str):
    for part in dotted.split("."):
        if not isinstance(record, dict) or part not in record:
            return None
        record = record[part]
    return record


def sha256_of(path: str) -> str:
    return hashlib.sha256(open_benchmark(path)).hexdigest()


def build_index(benchmarks: Iterable[tuple[str, list[tuple[str, str, str]]]], *, n: int,
                threshold: float, min_ngrams: int, min_chars: int) -> Index:
    """An index of (benchmark name, its (task, field, text) rows), in the order given."""
    index = Index(n=n, threshold=threshold, min_ngrams=min_ngrams)
    for name, rows in benchmarks:
        for task, field_name, text in rows:
            index.add(name, task, field_name, text, min_chars)
    return index
