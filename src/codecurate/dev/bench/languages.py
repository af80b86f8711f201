"""Languages stage: files/s and MB/s per core inside Spark, and accuracy on a labelled set.

Input: the sample export's files (run through extract) if `ctx.sample/"export"` exists, else
synthetic files. Labels come from extensions Linguist maps to exactly one language; accuracy
is scored once with the real path (go-enry) and once content-only (the path reduced to an
extensionless name, so only the guesslang fallback can answer).
"""

from __future__ import annotations

import dataclasses
import random
import time

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from codecurate import columns as C
from codecurate.config import Config, LanguagesConfig
from codecurate.dev.bench.common import sample_files
from codecurate.stages import languages as stage
from codecurate.stages.base import StageContext
from codecurate.text import languages as langs

# Extensions GitHub Linguist assigns to a single language (no heuristics needed).
UNAMBIGUOUS = {
    "py": "Python", "js": "JavaScript", "go": "Go", "java": "Java", "c": "C", "rb": "Ruby",
    "sh": "Shell", "kt": "Kotlin", "swift": "Swift", "scala": "Scala", "lua": "Lua",
    "hs": "Haskell",
}

SYNTHETIC_FILES = 20_000
ACCURACY_FILES = 2_000  # labelled files scored on the driver (guesslang at ~300 files/s)

# One function-sized block per language; repeated with fresh names to make files of 1-4 KB.
_BLOCKS = {
    "py": "def {a}({b}, {c}=None):\n    \"\"\"Return {a} of {b}.\"\"\"\n    if {c} is None:\n"
          "        {c} = []\n    for item in {b}:\n        {c}.append(item * 2)\n    return {c}\n\n\n",
    "js": "function {a}({b}, {c}) {{\n  const out = [];\n  for (const x of {b}) {{\n"
          "    out.push(x + {c});\n  }}\n  return out;\n}}\nmodule.exports.{a} = {a};\n\n",
    "go": "func {A}({b} []int, {c} int) []int {{\n\tout := make([]int, 0, len({b}))\n"
          "\tfor _, v := range {b} {{\n\t\tout = append(out, v+{c})\n\t}}\n\treturn out\n}}\n\n",
    "java": "    public static int {a}(int[] {b}, int {c}) {{\n        int sum = 0;\n"
            "        for (int v : {b}) {{\n            sum += v * {c};\n        }}\n        return sum;\n    }}\n\n",
    "c": "static int {a}(const int *{b}, size_t {c})\n{{\n    int sum = 0;\n"
         "    for (size_t i = 0; i < {c}; i++) {{\n        sum += {b}[i];\n    }}\n    return sum;\n}}\n\n",
    "rb": "  def {a}({b}, {c} = 1)\n    {b}.map {{ |x| x * {c} }}.select(&:positive?)\n  end\n\n",
    "sh": "{a}() {{\n  local {b}=\"$1\"\n  if [ -z \"${b}\" ]; then\n    echo \"usage: {a} <{b}>\" >&2\n"
          "    return 1\n  fi\n  for {c} in \"$@\"; do\n    echo \"${c}\"\n  done\n}}\n\n",
    "kt": "fun {a}({b}: List<Int>, {c}: Int): List<Int> {{\n    return {b}.map {{ it * {c} }}.filter {{ it > 0 }}\n}}\n\n",
    "swift": "func {a}(_ {b}: [Int], {c}: Int) -> [Int] {{\n    var out: [Int] = []\n"
             "    for v in {b} {{\n        out.append(v * {c})\n    }}\n    return out\n}}\n\n",
    "scala": "  def {a}({b}: Seq[Int], {c}: Int): Seq[Int] =\n    {b}.map(_ * {c}).filter(_ > 0)\n\n",
    "lua": "local function {a}({b}, {c})\n  local out = {{}}\n  for i, v in ipairs({b}) do\n"
           "    out[i] = v * {c}\n  end\n  return out\nend\n\n",
    "hs": "{a} :: [Int] -> Int -> [Int]\n{a} {b} {c} = filter (> 0) (map (* {c}) {b})\n\n",
}
_HEADERS = {
    "py": "import os\nimport sys\n\n\n", "js": "'use strict';\n\n", "go": "package util\n\n",
    "java": "package com.example;\n\npublic class Util {{\n", "c": "#include <stddef.h>\n\n",
    "rb": "module Util\n", "sh": "set -eu\n\n", "kt": "package util\n\n", "swift": "import Foundation\n\n",
    "scala": "object Util {{\n", "lua": "local M = {{}}\n\n", "hs": "module Util where\n\n",
}
_FOOTERS = {"java": "}\n", "rb": "end\n", "scala": "}\n", "lua": "return M\n"}


def _word(rng: random.Random) -> str:
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(4, 9)))


def synthetic_files(n: int, seed: int = 7) -> list[tuple[str, str, str]]:
    """(path, content, extension) rows of the UNAMBIGUOUS languages, deterministic for a seed."""
    rng = random.Random(seed)
    exts = sorted(UNAMBIGUOUS)
    rows = []
    for i in range(n):
        ext = exts[i % len(exts)]
        body = _HEADERS[ext].format()
        for _ in range(rng.randint(3, 12)):
            a, b, c = _word(rng), _word(rng), _word(rng)
            body += _BLOCKS[ext].format(a=a, A=a.capitalize(), b=b, c=c)
        body += _FOOTERS.get(ext, "")
        rows.append((f"repo{i % 97}/src/{_word(rng)}.{ext}", body, ext))
    return rows


def _timed_stage(files: DataFrame, cfg: Config, spark) -> float:
    out = stage.run(files, cfg, StageContext(spark=spark, checkpoint=lambda df: df.localCheckpoint()))
    start = time.perf_counter()
    out.write.format("noop").mode("overwrite").save()
    return time.perf_counter() - start


def _timed_identity(files: DataFrame) -> float:
    """The same Arrow round trip with no detection: what the wrapper costs by itself."""

    def identity(batches):
        yield from batches

    start = time.perf_counter()
    files.mapInArrow(identity, files.schema).write.format("noop").mode("overwrite").save()
    return time.perf_counter() - start


def _accuracy(rows: list[tuple[str, str]], fallback: str, content_only: bool) -> tuple[float, int]:
    paths = [f"file{i}" if content_only else path for i, (path, _) in enumerate(rows)]
    contents = [content for _, content in rows]
    found = langs.detect_batch(paths, contents, fallback=fallback, min_fallback_chars=64)
    labels = [UNAMBIGUOUS[langs.extension_of(path)] for path, _ in rows]
    right = sum(d.language == label for d, label in zip(found, labels, strict=True))
    answered = sum(d.language is not None for d in found)
    return right / max(len(rows), 1), answered


def run(ctx) -> None:
    spark = ctx.spark
    cores = max(int(ctx.cores), 1)
    files = None
    try:
        files = sample_files(ctx)
    except Exception as err:  # a broken sample must not hide the synthetic figures
        print(f"bench languages: sample export unusable ({type(err).__name__}: {err}); using synthetic files")
    source = "sample"
    if files is None:
        source = "synthetic"
        files = spark.createDataFrame(
            synthetic_files(SYNTHETIC_FILES), f"{C.PATH} string, {C.CONTENT} string, {C.EXTENSION} string"
        )
    files = files.repartition(cores * 2).cache()
    n, size = files.select(F.count("*"), F.sum(F.length(C.CONTENT))).first()
    size = size or 0
    print(f"bench languages input: {n} files, {size / 1e6:.1f} MB ({source})")

    cfg = Config(languages=LanguagesConfig(fallback="none"))
    _timed_stage(files.limit(200), cfg, spark)  # start the Python workers once
    seconds = _timed_stage(files, cfg, spark)
    identity = _timed_identity(files)
    print(f"bench languages enry files/s per core: {n / seconds / cores:.0f} files/s")
    print(f"bench languages enry MB/s per core: {size / 1e6 / seconds / cores:.2f} MB/s")
    print(f"bench languages arrow round trip share of stage time: {identity / seconds:.2f} ratio")

    labelled = (
        files.filter(F.col(C.EXTENSION).isin(sorted(UNAMBIGUOUS)))
        .select(C.PATH, C.CONTENT).orderBy(C.PATH).limit(ACCURACY_FILES).collect()
    )
    rows = [(r[C.PATH], r[C.CONTENT] or "") for r in labelled]
    accuracy, _ = _accuracy(rows, "none", content_only=False)
    print(f"bench languages accuracy with path ({len(rows)} labelled files): {accuracy:.4f} ratio")

    try:
        stage.check_available(dataclasses.replace(cfg, languages=LanguagesConfig(fallback="guesslang")))
    except Exception as err:
        print(f"bench languages guesslang: skipped ({err})")
        return
    start = time.perf_counter()
    accuracy, answered = _accuracy(rows, "guesslang", content_only=True)
    elapsed = time.perf_counter() - start  # includes the one-off ~4 s model load
    print(f"bench languages accuracy content-only (guesslang, {len(rows)} files): {accuracy:.4f} ratio")
    print(f"bench languages content-only answered: {answered / max(len(rows), 1):.4f} ratio")
    print(f"bench languages guesslang driver files/s (incl. model load): {len(rows) / elapsed:.0f} files/s")

    content_only = files.limit(4000).withColumn(C.PATH, F.concat(F.lit("f"), F.xxhash64(C.PATH).cast("string")))
    content_only = content_only.withColumn(C.EXTENSION, F.lit(None).cast("string")).cache()
    m = content_only.count()
    gcfg = Config(languages=LanguagesConfig(fallback="guesslang"))
    seconds = _timed_stage(content_only, gcfg, spark)  # includes a model load per Python worker
    print(f"bench languages guesslang files/s per core in Spark: {m / seconds / cores:.0f} files/s")
    content_only.unpersist()
    files.unpersist()
