"""The licenses stage on tiny Spark frames: the path rule, license_type, the filter, ScanCode in workers."""

import hashlib
import sys
from pathlib import Path

import pytest
from pyspark.sql import types as T

from codecurate import columns as C
from codecurate.config import Config, LicensesConfig, SparkConfig
from codecurate.stages import licenses as stage
from codecurate.stages.base import REUSED, StageContext

COMMON = Path("/usr/share/common-licenses")
SITE = Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"

FILES_SCHEMA = T.StructType([
    T.StructField(C.REPO_NAME, T.StringType()),
    T.StructField(C.SNAPSHOT_ID, T.StringType()),
    T.StructField(C.PATH, T.StringType()),
    T.StructField(C.BLOB_ID, T.StringType()),
    T.StructField(C.GHA_LICENSE_ID, T.StringType()),
    T.StructField(C.CONTENT, T.StringType()),
])
SCANS_SCHEMA = T.StructType([
    T.StructField(C.REPO_NAME, T.StringType()),
    T.StructField(C.SNAPSHOT_ID, T.StringType()),
    T.StructField(stage.DIR, T.StringType()),
    T.StructField(stage.PATTERN, T.StringType()),
    T.StructField(stage.LICENSES, T.ArrayType(T.StringType())),
    T.StructField(stage.EVIDENCE, T.ArrayType(T.StringType())),
])


def _files(spark, rows):
    # blob_id is the sha1 of the content, as in a real export: identical license texts in
    # several places (the GPL below, three times in two repositories) share one scan.
    return spark.createDataFrame(
        [(repo, snap, path, hashlib.sha1(content.encode()).hexdigest(), gha, content)
         for repo, snap, path, gha, content in rows],
        FILES_SCHEMA,
    )


def _by_path(frame):
    return {row[C.PATH]: (row[C.DETECTED_LICENSES], row[C.LICENSE_TYPE], row[C.DROP_REASON]) for row in frame.collect()}


def test_ancestor_dirs(spark):
    frame = spark.createDataFrame([("a.py",), ("a/b.py",), ("a/b/c.py",)], [C.PATH])
    got = {r[C.PATH]: r["dirs"] for r in frame.select(C.PATH, stage.ancestor_dirs(frame[C.PATH]).alias("dirs")).collect()}
    # the path itself too: a license file named for a part (LICENSE.python) covers itself
    assert got == {"a.py": ["", "a.py"], "a/b.py": ["", "a", "a/b.py"], "a/b/c.py": ["", "a", "a/b", "a/b/c.py"]}


def test_license_dir(spark):
    frame = spark.createDataFrame([("LICENSE",), ("a/LICENSE",), ("a/b/COPYING",)], [C.PATH])
    got = {r[C.PATH]: r["dir"] for r in frame.select(C.PATH, stage.license_dir(frame[C.PATH]).alias("dir")).collect()}
    assert got == {"LICENSE": "", "a/LICENSE": "a", "a/b/COPYING": "a/b"}


def test_path_rule_on_a_hand_built_tree(spark):
    """Root MIT, vendored sub-folder GPL, sibling folder with its own Apache; a second snapshot."""
    files = _files(spark, [
        ("o/r", "s1", "LICENSE", None, "MIT text"),
        ("o/r", "s1", "main.py", None, "print(1)"),
        ("o/r", "s1", "src/deep/x.py", None, "x = 1"),
        ("o/r", "s1", "vendor/gpl/COPYING", None, "GPL text"),
        ("o/r", "s1", "vendor/gpl/lib.c", None, "int f;"),
        ("o/r", "s1", "vendor/gpl/sub/more.c", None, "int g;"),
        ("o/r", "s1", "vendor/gpl2/lib.c", None, "int h;"),  # "vendor/gpl" is a prefix, not an ancestor
        ("o/r", "s1", "apache/LICENSE", None, "Apache text"),
        ("o/r", "s1", "apache/a.py", None, "a = 1"),
        ("o/r", "s1", "own/spdx.c", None, "// SPDX-License-Identifier: EPL-2.0\nint e;"),
        ("o/r", "s1", "own/isc.c", None, "/* SPDX-License-Identifier: ISC */"),
        ("o/r", "s1", "libs/libgfortran-3a.txt", None, "runtime"),  # a stanza's Files: glob names it
        ("o/r", "s1", "libs/libm.txt", None, "math"),  # ... not this sibling
        ("o/r", "s2", "main.py", None, "print(2)"),  # another snapshot of the same repo: no licenses
        ("gh/mit", "s3", "vendor/COPYING", "mit", "GPL text"),
        ("gh/mit", "s3", "vendor/v.c", "mit", "int v;"),
        ("gh/mit", "s3", "app.py", "mit", "app = 1"),
        ("gh/gpl", "s4", "app.py", "gpl-3.0", "app = 2"),
        ("gh/noassert", "s5", "app.py", "NOASSERTION", "app = 3"),
        # a scope that is its file's own path, in a snapshot with no other: covers that file only
        ("o/py", "s6", "py/LICENSE.python", None, "PSF text"),
        ("o/py", "s6", "py/x.py", None, "x = 2"),
    ])
    scans = spark.createDataFrame([
        ("o/r", "s1", "", None, ["MIT"], ["text:MIT:LICENSE"]),
        ("o/r", "s1", "vendor/gpl", None, ["GPL-3.0-only"], ["text:GPL-3.0-only:vendor/gpl/COPYING"]),
        ("o/r", "s1", "apache", None, ["Apache-2.0"], ["text:Apache-2.0:apache/LICENSE"]),
        ("o/r", "s1", "own/isc.c", None, ["Apache-2.0"], ["text:Apache-2.0:own/isc.c"]),  # a file's own scope
        ("o/r", "s1", "libs", r"^libs/libgfortran.*\.txt$", ["GPL-3.0-or-later"], ["text:GPL-3.0-or-later:LICENSE"]),
        ("gh/mit", "s3", "vendor", None, ["GPL-2.0-only"], ["text:GPL-2.0-only:vendor/COPYING"]),
        ("o/py", "s6", "py/LICENSE.python", None, ["PSF-2.0"], ["text:PSF-2.0:py/LICENSE.python"]),
    ], SCANS_SCHEMA)
    out = stage.classify(files, scans, LicensesConfig())
    got = {r[C.PATH] + "@" + r[C.SNAPSHOT_ID]: (r[C.DETECTED_LICENSES], r[C.LICENSE_TYPE]) for r in out.collect()}
    assert got == {
        "LICENSE@s1": (["MIT"], "permissive"),
        "main.py@s1": (["MIT"], "permissive"),
        "src/deep/x.py@s1": (["MIT"], "permissive"),
        "vendor/gpl/COPYING@s1": (["GPL-3.0-only", "MIT"], "non_permissive"),
        "vendor/gpl/lib.c@s1": (["GPL-3.0-only", "MIT"], "non_permissive"),
        "vendor/gpl/sub/more.c@s1": (["GPL-3.0-only", "MIT"], "non_permissive"),
        "vendor/gpl2/lib.c@s1": (["MIT"], "permissive"),
        "apache/LICENSE@s1": (["Apache-2.0", "MIT"], "permissive"),
        "apache/a.py@s1": (["Apache-2.0", "MIT"], "permissive"),
        "own/spdx.c@s1": (["EPL-2.0", "MIT"], "non_permissive"),
        "own/isc.c@s1": (["Apache-2.0", "ISC", "MIT"], "permissive"),
        "libs/libgfortran-3a.txt@s1": (["GPL-3.0-or-later", "MIT"], "non_permissive"),
        "libs/libm.txt@s1": (["MIT"], "permissive"),
        "main.py@s2": ([], "no_license"),
        # a permissive GitHub license does not rescue a vendored GPL folder (copyleft guard) ...
        "vendor/COPYING@s3": (["GPL-2.0-only"], "non_permissive"),
        "vendor/v.c@s3": (["GPL-2.0-only"], "non_permissive"),
        "app.py@s3": ([], "permissive"),
        "app.py@s4": ([], "non_permissive"),
        "app.py@s5": ([], "non_permissive"),
        "py/LICENSE.python@s6": (["PSF-2.0"], "permissive"),
        "py/x.py@s6": ([], "no_license"),
    }
    # ... unless asked to behave exactly like the-stack-v2
    stack = stage.classify(files, scans, LicensesConfig(copyleft_overrides_gha=False))
    v2 = {r[C.PATH]: r[C.LICENSE_TYPE] for r in stack.filter(stack[C.SNAPSHOT_ID] == "s3").collect()}
    assert v2 == {"vendor/COPYING": "permissive", "vendor/v.c": "permissive", "app.py": "permissive"}
    assert out.columns == files.columns + [C.DETECTED_LICENSES, C.LICENSE_TYPE, C.LICENSE_EVIDENCE]
    evidence = {r[C.PATH] + "@" + r[C.SNAPSHOT_ID]: r[C.LICENSE_EVIDENCE] for r in out.collect()}
    assert evidence["vendor/gpl/lib.c@s1"] == ["text:GPL-3.0-only:vendor/gpl/COPYING", "text:MIT:LICENSE"]
    assert evidence["own/spdx.c@s1"] == ["header:EPL-2.0:", "text:MIT:LICENSE"]
    assert evidence["app.py@s4"] == ["github:gpl-3.0:"]


def _text(spec):
    if isinstance(spec, Path):
        return spec.read_text()
    return sorted(SITE.glob(spec))[-1].read_text()


def test_stage_end_to_end_with_scancode(spark):
    """Real ScanCode in the Python workers; no file under a copyleft license file survives."""
    mit, gpl3, apache = _text("attrs-*.dist-info/licenses/LICENSE"), _text(COMMON / "GPL-3"), _text(COMMON / "Apache-2.0")
    mpl, lgpl = _text(COMMON / "MPL-2.0"), _text(COMMON / "LGPL-2.1")
    cc_by_sa = "This work is licensed under the Creative Commons Attribution-ShareAlike 4.0 International License."
    epl = ("This program and the accompanying materials are made available under the terms of the "
           "Eclipse Public License 2.0 which is available at https://www.eclipse.org/legal/epl-2.0/")
    files = _files(spark, [
        ("o/r", "s1", "LICENSE", None, mit),
        ("o/r", "s1", "main.py", None, "print(1)"),
        ("o/r", "s1", "vendor/gpl/COPYING", None, gpl3),
        ("o/r", "s1", "vendor/gpl/lib.c", None, "int f;"),
        ("o/r", "s1", "apache/LICENSE.txt", None, apache),
        ("o/r", "s1", "apache/a.py", None, "a = 1"),
        ("o/r", "s1", "mpl/LICENSE", None, mpl),
        ("o/r", "s1", "mpl/m.js", None, "var m;"),
        ("o/r", "s1", "lgpl/COPYING.LESSER", None, lgpl),
        ("o/r", "s1", "lgpl/l.c", None, "int l;"),
        ("o/r", "s1", "docs/LICENSE.md", None, cc_by_sa),
        ("o/r", "s1", "docs/guide.md", None, "# Guide"),
        ("o/r", "s1", "eclipse/NOTICE", None, epl),
        ("o/r", "s1", "eclipse/E.java", None, "class E {}"),
        ("o/r", "s1", "legacy/GPL-3.0.txt", None, gpl3),  # named after its license, not LICENSE
        ("o/r", "s1", "legacy/old.c", None, "int o;"),
        ("o/r", "s1", "empty/README", None, "Nothing to see."),
        ("o/r", "s1", "empty/e.py", None, "e = 1"),
        ("gh/mit", "s2", "third_party/COPYING", "mit", gpl3),
        ("gh/mit", "s2", "third_party/t.c", "mit", "int t;"),
        ("gh/mit", "s2", "app.py", "mit", "app = 1"),
        ("none/none", "s3", "x.py", None, "x = 1"),
    ]).coalesce(1)
    ctx = StageContext(spark=spark, checkpoint=lambda df: df.checkpoint(eager=True), log=lambda _: None)
    out = stage.run(files, Config(), ctx)
    got = _by_path(out)
    kept = {path for path, (_, _, reason) in got.items() if reason is None}
    assert kept == {"LICENSE", "main.py", "apache/LICENSE.txt", "apache/a.py", "empty/README", "empty/e.py",
                    "app.py", "x.py"}
    assert got["vendor/gpl/lib.c"] == (["GPL-3.0-only", "MIT"], "non_permissive", "license_non_permissive")
    assert got["apache/a.py"][:2] == (["Apache-2.0", "MIT"], "permissive")
    assert got["mpl/m.js"][0] == ["MIT", "MPL-2.0"]
    assert got["lgpl/l.c"][0] == ["LGPL-2.1-only", "MIT"]
    assert "CC-BY-SA-4.0" in got["docs/guide.md"][0]
    assert "EPL-2.0" in got["eclipse/E.java"][0]
    assert got["x.py"] == ([], "no_license", None)
    assert got["legacy/old.c"] == (["GPL-3.0-only", "MIT"], "non_permissive", "license_non_permissive")
    assert out.count() == files.count()  # every input row comes back, kept or tagged
    assert ctx.metrics["license_files"] == 10
    assert ctx.metrics["license_files_by_scan_status"] == {"ok": 9, "none": 1, "timeout": 0, "error": 0}


def test_scan_timeouts_are_counted_not_fatal(spark):
    files = _files(spark, [
        ("o/r", "s1", "LICENSE", None, _text(COMMON / "GPL-3")),
        ("o/r", "s1", "docs/COPYING", None, _text(COMMON / "Apache-2.0")),
        ("o/r", "s1", "main.py", None, "print(1)"),
    ]).coalesce(1)
    ctx = StageContext(spark=spark, checkpoint=lambda df: df.checkpoint(eager=True), log=lambda _: None)
    out = stage.run(files, Config(licenses=LicensesConfig(scan_timeout_seconds=1e-9)), ctx)
    assert sorted(r[C.PATH] for r in out.collect()) == ["LICENSE", "docs/COPYING", "main.py"]
    assert ctx.metrics["license_files_by_scan_status"] == {"ok": 0, "none": 0, "timeout": 2, "error": 0}


# The stored keys reach the rows to scan by broadcast (few), or by a shuffle (cap 0).
@pytest.mark.parametrize("broadcast_max_mb", [32, 0])
def test_a_later_run_reuses_scans_by_normalised_text(spark, broadcast_max_mb):
    """Run N scans an MIT license. Run N+1 has a fork whose LICENSE differs in its copyright line
    only (another blob, the same normalised text) and a GPL file: only the GPL text is scanned."""
    mit, gpl3 = _text("attrs-*.dist-info/licenses/LICENSE"), _text(COMMON / "GPL-3")
    fork = mit.replace("Copyright (c) 2015 Hynek Schlawack and the attrs contributors",
                       "Copyright (c) 2024 Somebody Else")
    assert fork != mit
    first = _files(spark, [("o/r", "s1", "LICENSE", None, mit), ("o/r", "s1", "a.py", None, "a = 1")])
    earlier = StageContext(spark=spark, checkpoint=lambda df: df.checkpoint(eager=True), log=lambda _: None)
    stage.run(first, Config(), earlier).collect()
    _, stored, _ = earlier.stored_results
    store = stored.select(*stage.RESULTS.key, *[f.name for f in stage.RESULTS.results])  # as the runner writes it

    second = _files(spark, [
        ("f/fork", "s2", "LICENSE", None, fork), ("f/fork", "s2", "b.py", None, "b = 1"),
        ("g/gpl", "s3", "COPYING", None, gpl3), ("g/gpl", "s3", "c.c", None, "int c;"),
    ])
    ctx = StageContext(spark=spark, checkpoint=lambda df: df.checkpoint(eager=True), log=lambda _: None,
                       previous_results=lambda spec: store)
    out = stage.run(second, Config(spark=SparkConfig(broadcast_max_mb=broadcast_max_mb)), ctx)
    # the decisions reach the files by broadcast (no shuffle of their content), or by a shuffle
    plan = out._jdf.queryExecution().executedPlan().toString()
    assert ("BroadcastHashJoin" in plan) == (broadcast_max_mb > 0), plan
    got = _by_path(out)
    assert got["b.py"] == (["MIT"], "permissive", None)
    assert got["c.c"] == (["GPL-3.0-only"], "non_permissive", "license_non_permissive")
    _, now, _ = ctx.stored_results
    assert sorted(r[REUSED] for r in now.collect()) == [False, True]
    assert ctx.metrics["license_files"] == 2
    assert ctx.metrics["license_texts_scanned"] == 1  # the GPL; the fork's MIT scan was reused
