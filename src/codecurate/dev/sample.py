"""`codecurate sample`: build a small, deterministic SWH export that exercises every stage.

Two kinds of repositories go in `<out>/repos/`, then import-git turns them into `<out>/export`:

- generated ones (owner `acme` and a few others) planting the cases the pipeline must handle:
  license files of several kinds, a vendored GPL folder under an MIT root, node_modules and
  third_party, exact and near duplicates, FAKE secrets and PII, a binary file, a NUL byte, a
  latin-1 file, a >10 MiB file, a symlink, a submodule, opted-out repositories, a fork with the
  same root tree, and an origin whose newer visit is only partial;
- real open-source code: packages installed in this Python environment, one repository each
  (owner `pypi`), with the license files from their .dist-info at the root; their declared
  licenses go to `<out>/declared_licenses.json` to check the license stage against.

Nothing third-party is committed to codecurate: it is copied at build time. Dates, author and
random bytes are fixed, so the same environment always gives the same export. `sample.json`
lists what was planted where.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import importlib.util
import json
import os
import random
import shutil
import string
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from codecurate.dev.gitimport import RepoSpec, import_git
from codecurate.errors import UsageError

SEED = 20240101
BASE_DATE = dt.datetime(2024, 1, 1, 9, 0, tzinfo=dt.UTC)
MIB = 1024 * 1024
COMMON_LICENSES = Path("/usr/share/common-licenses")  # Debian's texts (base-files)
MARKER = "sample.json"

# (import package dir, distribution name): ~2,600 files of Python, C headers (numpy, lxml),
# Cython (.pxd/.pyx), shell and cmd (pyspark), under MIT, BSD-2/3, Apache-2.0 and MPL-2.0.
PACKAGES = (
    ("yaml", "pyyaml"), ("datasketch", "datasketch"), ("chispa", "chispa"),
    ("detect_secrets", "detect-secrets"), ("jsonschema", "jsonschema"), ("pluggy", "pluggy"),
    ("attr", "attrs"), ("click", "click"), ("jinja2", "jinja2"), ("markupsafe", "markupsafe"),
    ("idna", "idna"), ("certifi", "certifi"), ("pygments", "pygments"), ("rich", "rich"),
    ("lxml", "lxml"), ("pyspark", "pyspark"), ("numpy", "numpy"),
)
# Compiled or archived files are not source code; files this big would only slow the build.
SKIP_SUFFIXES = {".pyc", ".so", ".jar", ".zip", ".whl", ".dll", ".a", ".lib", ".exe", ".dylib"}
MAX_COPIED_FILE = 2 * MIB
LICENSE_PREFIXES = ("license", "licence", "copying", "notice", "authors")


class SampleError(UsageError):
    """The sample cannot be built; the message says why."""


@dataclass(frozen=True)
class Symlink:
    target: str


@dataclass(frozen=True)
class Gitlink:
    commit: str  # a submodule: the tree records only this commit id


FileValue = bytes | str | Symlink | Gitlink


class _Git:
    """git with a fixed identity, dates and no user/system config, so commits are reproducible."""

    def __init__(self, path: Path):
        self.path = path

    def __call__(self, *args: str, date: dt.datetime = BASE_DATE) -> str:
        stamp = date.isoformat()
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": "Sample Author", "GIT_AUTHOR_EMAIL": "sample@codecurate.invalid",
            "GIT_COMMITTER_NAME": "Sample Author", "GIT_COMMITTER_EMAIL": "sample@codecurate.invalid",
            "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp,
            "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
        }
        try:
            done = subprocess.run(
                ["git", "-c", "core.autocrlf=false", "-c", "gc.auto=0", "-C", str(self.path), *args],
                env=env, capture_output=True, check=True,
            )
        except subprocess.CalledProcessError as err:
            message = err.stderr.decode("utf-8", "replace").strip()
            raise SampleError(f"{self.path}: git {args[0]} failed: {message}") from err
        return done.stdout.decode().strip()


def commit_files(
    path: Path, files: dict[str, FileValue], *, date: dt.datetime, message: str = "import",
    branch: str = "main",
) -> str:
    """Write `files` into the repository at `path` (created if needed) and commit; returns the id.

    Keys are POSIX paths; a key may be `bytes`-named through `os.fsdecode` surrogates.
    """
    git = _Git(path)
    if not path.exists():
        path.mkdir(parents=True)
        git("init", "-q", "-b", branch)
    gitlinks = []
    for name, value in sorted(files.items()):
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(value, Gitlink):
            gitlinks.append((name, value.commit))
        elif isinstance(value, Symlink):
            os.symlink(value.target, target)
        else:
            target.write_bytes(value.encode("utf-8") if isinstance(value, str) else value)
    git("add", "-A", "-f")
    for name, commit in gitlinks:
        git("update-index", "--add", "--cacheinfo", f"160000,{commit},{name}")
    git("commit", "-q", "--allow-empty", "-m", message, date=date)
    return git("rev-parse", "HEAD")


def build_sample(out: Path, packages: tuple[tuple[str, str], ...] = PACKAGES) -> dict:
    """Build the sample in `out`; `packages` narrows the real-code part (tests use one)."""
    out = Path(out).absolute()  # git runs in other directories: a relative path would break
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).exists():
            raise SampleError(f"{out} is not empty and is not a sample directory; refusing to clear it")
        shutil.rmtree(out)
    started = time.monotonic()
    repos_dir = out / "repos"
    repos_dir.mkdir(parents=True)
    rng = random.Random(SEED)
    specs, cases, metadata = _generated_repos(repos_dir, rng)
    pypi_specs, declared = _package_repos(repos_dir, packages, start=len(specs))
    specs += pypi_specs
    (out / "optout.txt").write_text(
        "# codecurate sample opt-out list: a whole owner, and one owner/repo\n"
        "optout-org\nacme/please-remove\n",
        encoding="utf-8",
    )
    (out / "declared_licenses.json").write_text(
        json.dumps(declared, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    (out / "metadata.json").write_text(json.dumps(metadata, indent=2, sort_keys=True) + "\n")
    imported = import_git(specs, out / "export", metadata=metadata)
    summary = {
        "export": "export",
        "optout": "optout.txt",
        "declared_licenses": "declared_licenses.json",
        "repos": sorted({spec.name for spec in specs}),
        "visits": imported.visits,
        "rows": imported.rows,
        "blobs": imported.blobs_written,
        "blob_bytes": imported.blob_bytes,
        "cases": cases,
    }
    (out / MARKER).write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    summary["seconds"] = round(time.monotonic() - started, 1)
    return summary


def _license(name: str) -> str:
    """A license text: MIT inline (Debian ships none), the others from common-licenses."""
    if name == "MIT":
        return MIT_TEXT
    try:
        return (COMMON_LICENSES / name).read_text(encoding="utf-8")
    except OSError as err:
        raise SampleError(f"license text {COMMON_LICENSES / name} is missing (Debian base-files)") from err


def _token(rng: random.Random, alphabet: str, length: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def _fake_secrets(rng: random.Random) -> dict[str, str]:
    """Random values in real key formats: FAKE, but detectors must treat them as real.

    Built at run time so that no key-shaped literal sits in this source file.
    """
    upper, alnum = string.ascii_uppercase + string.digits, string.ascii_letters + string.digits
    key_lines = [_token(rng, alnum + "+/", 64) for _ in range(8)]
    dashes = "-----"
    return {
        "aws_key_id": "AKIA" + _token(rng, upper, 16),
        "aws_secret": _token(rng, alnum + "+/", 40),
        "ghp": "ghp_" + _token(rng, alnum, 36),
        "github_pat": "github_pat_" + _token(rng, alnum, 22) + "_" + _token(rng, alnum, 59),
        "slack": "xoxb-" + _token(rng, string.digits, 12) + "-" + _token(rng, string.digits, 13)
        + "-" + _token(rng, alnum, 24),
        "password": "Pw" + _token(rng, alnum, 14),
        "private_key": f"{dashes}BEGIN RSA PRIVATE KEY{dashes}\n" + "\n".join(key_lines)
        + f"\n{dashes}END RSA PRIVATE KEY{dashes}\n",
    }


def _near_duplicate_source() -> tuple[str, str]:
    """A real source file (six.py, MIT; stdlib textwrap.py if six is absent)."""
    spec = importlib.util.find_spec("six") or importlib.util.find_spec("textwrap")
    path = Path(spec.origin)
    return path.name, path.read_text(encoding="utf-8")


def _edit_lines(text: str, every: int, tag: str) -> str:
    """Light edit: append a comment to a few lines spread over the file (3-6 lines changed)."""
    lines = text.split("\n")
    step = max(len(lines) // every, 1)
    for i in range(step, len(lines), step):
        lines[i] = lines[i] + f"  # {tag} {i}"
    return "\n".join(lines)


def _generated_repos(repos_dir: Path, rng: random.Random) -> tuple[list[RepoSpec], dict, dict]:
    secrets = _fake_secrets(rng)
    near_name, near_text = _near_duplicate_source()
    specs: list[RepoSpec] = []
    cases: dict[str, list[str]] = {}

    def repo(name: str, files: dict[str, FileValue], *, branch: str = "main",
             case: tuple[str, ...] = ()) -> Path:
        index = len(specs)
        date = BASE_DATE + dt.timedelta(days=index)
        path = repos_dir / name.replace("/", "__")
        commit_files(path, files, date=date, branch=branch)
        specs.append(RepoSpec(path, name, date + dt.timedelta(days=30)))
        for c in case:
            cases.setdefault(c, []).append(name)
        return path

    mit_lib = repo("acme/mit-lib", {
        "LICENSE": _license("MIT"),
        "README.md": "# mit-lib\n\nString helpers.\n",
        "src/strutil.py": STRUTIL,
        "src/mathutil.py": MATHUTIL,
        "assets/logo.png": b"\x89PNG\r\n\x1a\n" + rng.randbytes(2048),
        "data/weird.txt": b"header\nabc\x00def\n",
        "strutil_link.py": Symlink("src/strutil.py"),
    }, case=("license:MIT", "binary", "nul_byte", "symlink", "exact_dup:strutil.py"))
    _Git(mit_lib)("tag", "-a", "v1.0", "-m", "first release", date=BASE_DATE)  # a release row
    fork = repos_dir / "forker__mit-lib"
    _clone(mit_lib, fork)
    specs.append(RepoSpec(fork, "forker/mit-lib", BASE_DATE + dt.timedelta(days=60)))
    cases["fork_same_root_tree"] = ["acme/mit-lib", "forker/mit-lib"]

    apache = repo("acme/apache-tool", {
        "LICENSE": _license("Apache-2.0"),
        "cmd/tool/main.go": GO_MAIN,
        "strutil.py": STRUTIL,
    }, case=("license:Apache-2.0", "exact_dup:strutil.py"))
    # A second branch: only the default branch may be extracted.
    _Git(apache)("checkout", "-q", "-b", "feature")
    commit_files(apache, {"feature_only.go": "package tool\n\n// FeatureOnly is not on main.\n"},
                 date=BASE_DATE + dt.timedelta(days=2))
    _Git(apache)("checkout", "-q", "main")
    cases["non_default_branch"] = ["acme/apache-tool:feature_only.go"]

    repo("acme/bsd-kit", {
        "LICENSE": _license("BSD"),
        "kit.c": C_SOURCE,
        "include/kit.h": C_HEADER,
        "docs/notes_latin1.txt": "Größe: naïve café, Ærøskøbing; ½ ¼\n".encode("latin-1"),
    }, branch="master", case=("license:BSD-3-Clause", "latin1", "branch:master"))
    repo("acme/gpl-app", {
        "COPYING": _license("GPL-3"),
        "src/app.c": C_SOURCE.replace("kit_", "app_"),
    }, case=("license:GPL-3.0", "gha_mit_but_gpl_files"))
    repo("acme/lgpl-lib", {
        "COPYING.LESSER": _license("LGPL-2.1"),
        "lib.cpp": CPP_SOURCE,
    }, case=("license:LGPL-2.1",))
    repo("acme/mpl-thing", {
        "LICENSE": _license("MPL-2.0"),
        "thing.js": JS_SOURCE,
        "strutil.py": STRUTIL,
    }, case=("license:MPL-2.0", "exact_dup:strutil.py"))
    huge_lines, size, i = [], 0, 0
    while size <= 10 * MIB + MIB // 2:  # 10.5 MiB: over the 10 MiB cap
        line = f"{i},{i * 7919 % 100003},row-{i}\n"
        huge_lines.append(line)
        size += len(line)
        i += 1
    repo("acme/no-license", {
        "main.rs": RUST_SOURCE,
        "build.sh": SHELL_SOURCE,
        "data/huge.csv": "".join(huge_lines),
        os.fsdecode(b"r\xe9sum\xe9.txt"): "a file name that is not UTF-8\n",
    }, case=("no_license", "over_10_mib", "non_utf8_name", "gha_noassertion"))
    repo("acme/vendored", {
        "LICENSE": _license("MIT"),
        "app.py": "from vendor.somelib import lib\n\nprint(lib.answer())\n",
        "vendor/somelib/COPYING": _license("GPL-3"),
        "vendor/somelib/lib.py": "def answer():\n    return 42\n",
        "node_modules/leftpad/index.js": LEFTPAD_JS,
        "node_modules/leftpad/package.json": '{"name": "leftpad", "version": "1.0.0"}\n',
        "third_party/tinylib/tiny.h": "#pragma once\nstatic inline int tiny(void) { return 1; }\n",
        ".gitmodules": '[submodule "external/mit-lib"]\n\tpath = external/mit-lib\n'
        "\turl = https://github.com/acme/mit-lib\n",
        "external/mit-lib": Gitlink(_Git(mit_lib)("rev-parse", "HEAD")),
    }, case=("vendored_gpl_under_mit", "node_modules", "third_party", "submodule"))
    repo("acme/secrets-demo", {
        "LICENSE": _license("MIT"),
        "config.py": SECRETS_PY.format(**secrets),
        "deploy/key.pem": secrets["private_key"],
        "net.py": PII_PY,
    }, case=("secrets", "emails", "public_ips"))
    repo("acme/near-a", {"LICENSE": _license("MIT"), near_name: near_text},
         case=("near_dup",))
    repo("acme/near-b", {"LICENSE": _license("MIT"), near_name: _edit_lines(near_text, 4, "b")},
         case=("near_dup",))
    repo("acme/near-c", {"LICENSE": _license("MIT"), "lib/" + near_name: _edit_lines(near_text, 6, "c")},
         case=("near_dup",))
    repo("OptOut-Org/tools", {"LICENSE": _license("MIT"), "tool.py": "print('opted out')\n"},
         case=("optout_owner",))
    repo("acme/please-remove", {"LICENSE": _license("MIT"), "remove_me.py": "X = 1\n"},
         case=("optout_repo",))

    # One origin, two visits: an older full one and a newer partial one that must be ignored.
    old = repo("acme/visited", {"LICENSE": _license("MIT"), "visited.py": "VERSION = 1\n"},
               case=("older_full_visit",))
    new = repos_dir / "acme__visited@partial"
    _clone(old, new)
    commit_files(new, {"only_in_partial_visit.py": "VERSION = 2\n"},
                 date=BASE_DATE + dt.timedelta(days=90), message="newer")
    specs.append(RepoSpec(new, "acme/visited", BASE_DATE + dt.timedelta(days=120), "partial"))
    cases["newer_partial_visit"] = ["acme/visited:only_in_partial_visit.py"]

    metadata = {
        "acme/mit-lib": {"github_id": 1001, "star_events_count": 120, "fork_events_count": 12,
                         "gha_license_id": "mit", "gha_language": "Python",
                         "gha_created_at": "2020-05-01T00:00:00+00:00",
                         "gha_event_created_at": "2024-02-01T00:00:00+00:00"},
        "forker/mit-lib": {"github_id": 1002, "star_events_count": 1, "fork_events_count": 0,
                           "gha_license_id": "mit", "gha_language": "Python"},
        "acme/gpl-app": {"github_id": 1003, "star_events_count": 30, "fork_events_count": 3,
                         "gha_license_id": "mit", "gha_language": "C"},
        "acme/no-license": {"github_id": 1004, "star_events_count": 5, "fork_events_count": 1,
                            "gha_license_id": "NOASSERTION", "gha_language": "Rust"},
        "acme/apache-tool": {"github_id": 1005, "star_events_count": 50, "fork_events_count": 7,
                             "gha_license_id": "apache-2.0", "gha_language": "Go"},
        "acme/near-b": {"github_id": 1006, "star_events_count": 9, "fork_events_count": 2},
    }
    return specs, cases, metadata


def _clone(source: Path, target: Path) -> None:
    """A GitHub-like copy: the same branches, without the clone's refs/remotes/origin/*."""
    _Git(target.parent)("clone", "-q", str(source), str(target))
    _Git(target)("remote", "remove", "origin")


def _package_repos(
    repos_dir: Path, packages: tuple[tuple[str, str], ...], start: int
) -> tuple[list[RepoSpec], dict]:
    specs, declared = [], {}
    for offset, (package, dist_name) in enumerate(packages):
        try:
            dist = importlib.metadata.distribution(dist_name)
        except importlib.metadata.PackageNotFoundError:
            continue  # not installed here: the sample is smaller, not wrong
        files: dict[str, FileValue] = {}
        for record in dist.files or ():
            parts = record.parts
            source = Path(dist.locate_file(record))
            if parts[0] == package and _is_source(record.name, source):
                files["/".join(parts)] = source.read_bytes()
            elif parts[0].endswith(".dist-info") and _is_license_file(parts):
                # licenses/<relative path> keeps nested notices where they belong
                rel = parts[2:] if len(parts) > 2 and parts[1] == "licenses" else parts[-1:]
                files["/".join(rel)] = source.read_bytes()
        if not files:
            continue
        name = f"pypi/{dist_name.lower()}"
        date = BASE_DATE + dt.timedelta(days=start + offset)
        path = repos_dir / name.replace("/", "__")
        commit_files(path, files, date=date, message=f"{dist_name} {dist.version}")
        specs.append(RepoSpec(path, name, date + dt.timedelta(days=30)))
        declared[name] = _declared_license(dist)
    return specs, declared


def _is_source(name: str, path: Path) -> bool:
    if "__pycache__" in path.parts or Path(name).suffix in SKIP_SUFFIXES:
        return False
    try:
        return path.is_file() and not path.is_symlink() and path.stat().st_size <= MAX_COPIED_FILE
    except OSError:
        return False


def _is_license_file(parts: tuple[str, ...]) -> bool:
    return (len(parts) > 2 and parts[1] == "licenses") or parts[-1].lower().startswith(LICENSE_PREFIXES)


def _declared_license(dist: importlib.metadata.Distribution) -> dict:
    meta = dist.metadata
    license_field = (meta.get("License") or "").strip()
    return {
        "version": dist.version,
        "license_expression": meta.get("License-Expression"),
        # some packages put the whole text in License: the first line says which it is
        "license": license_field.splitlines()[0][:200] if license_field else None,
        "classifiers": sorted(c for c in meta.get_all("Classifier") or () if c.startswith("License ::")),
    }


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sample", help="generate the sample git repositories and SWH export used by make sample",
    )
    parser.add_argument("--out", required=True, type=Path, help="sample directory (recreated)")
    parser.add_argument("--scale", type=int, metavar="MB",
                        help="instead: a scale corpus of about MB megabytes of source at the repositories' "
                        "heads, written without git (see src/codecurate/dev/scale.py)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the scale corpus (default: %(default)s)")
    parser.add_argument("--next", action="store_true",
                        help="with --scale: also export N+1 of the corpus in OUT/next (about 10%% of contents "
                        "new, repositories gone and new, one relicensed MIT -> GPL, one more opt-out)")
    parser.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    if args.scale is not None:
        from codecurate.dev.scale import build_scale

        if args.scale < 1:
            raise SampleError("--scale takes a size in MB, at least 1")
        summary = build_scale(args.out, args.scale, args.seed, next_export=args.next)
        print(f"scale corpus: {args.out} ({summary['repos']} repos, {summary['head_files']} files, "
              f"{summary['head_bytes'] / 1e6:.0f} MB at heads; {summary['blobs']} blobs, "
              f"{summary['blob_bytes'] / 1e6:.0f} MB distinct; {summary['seconds']} s)")
        print(f"export: {args.out / 'export'}  opt-out list: {args.out / 'optout.txt'}")
        if summary["next"]:
            print(f"export N+1: {args.out / 'next' / 'export'}  opt-out list: {args.out / 'next' / 'optout.txt'}  "
                  f"what moved: {args.out / summary['next']}")
        return 0
    if args.next:
        raise SampleError("--next goes with --scale (for the git sample: codecurate next-export)")
    summary = build_sample(args.out)
    print(f"sample: {args.out} ({len(summary['repos'])} repos, {summary['visits']} visits, "
          f"{summary['blobs']} blobs, {summary['blob_bytes']} bytes, {summary['seconds']} s)")
    print(f"export: {args.out / 'export'}  opt-out list: {args.out / 'optout.txt'}")
    return 0


MIT_TEXT = """MIT License

Copyright (c) 2024 Acme Sample Authors

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""

STRUTIL = '''"""Small string helpers."""


def slugify(text: str) -> str:
    """Lowercase, keep letters and digits, join words with dashes."""
    words = "".join(c if c.isalnum() else " " for c in text.lower()).split()
    return "-".join(words)


def truncate(text: str, width: int, suffix: str = "...") -> str:
    if len(text) <= width:
        return text
    return text[: max(width - len(suffix), 0)] + suffix


def count_words(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for word in text.split():
        counts[word] = counts.get(word, 0) + 1
    return counts
'''

MATHUTIL = '''def mean(values):
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def clamp(value, low, high):
    return max(low, min(high, value))
'''

GO_MAIN = '''package main

import (
\t"fmt"
\t"os"
\t"strings"
)

func main() {
\tname := "world"
\tif len(os.Args) > 1 {
\t\tname = strings.Join(os.Args[1:], " ")
\t}
\tfmt.Printf("hello, %s\\n", name)
}
'''

C_HEADER = '''#ifndef KIT_H
#define KIT_H

#include <stddef.h>

size_t kit_count(const char *text, char c);
int kit_sum(const int *values, size_t n);

#endif
'''

C_SOURCE = '''#include <stddef.h>

size_t kit_count(const char *text, char c)
{
    size_t n = 0;
    for (; *text; text++)
        if (*text == c)
            n++;
    return n;
}

int kit_sum(const int *values, size_t n)
{
    int total = 0;
    for (size_t i = 0; i < n; i++)
        total += values[i];
    return total;
}
'''

CPP_SOURCE = '''#include <string>
#include <vector>

namespace lib {

std::vector<std::string> split(const std::string &s, char sep) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
        if (c == sep) { out.push_back(cur); cur.clear(); }
        else cur += c;
    }
    out.push_back(cur);
    return out;
}

}  // namespace lib
'''

JS_SOURCE = '''"use strict";

function debounce(fn, wait) {
  let timer = null;
  return function (...args) {
    clearTimeout(timer);
    timer = setTimeout(() => fn.apply(this, args), wait);
  };
}

module.exports = { debounce };
'''

LEFTPAD_JS = '''module.exports = function leftpad(str, len, ch) {
  str = String(str);
  ch = ch || " ";
  while (str.length < len) str = ch + str;
  return str;
};
'''

RUST_SOURCE = '''use std::collections::HashMap;

fn main() {
    let mut counts: HashMap<char, usize> = HashMap::new();
    for c in "hello world".chars() {
        *counts.entry(c).or_insert(0) += 1;
    }
    println!("{:?}", counts);
}
'''

SHELL_SOURCE = '''#!/bin/sh
set -eu
cargo build --release
echo "built"
'''

# FAKE credentials in the shapes real ones have; {placeholders} are filled with random values.
SECRETS_PY = '''"""Deployment settings (sample data: every credential here is FAKE)."""

AWS_ACCESS_KEY_ID = "{aws_key_id}"
AWS_SECRET_ACCESS_KEY = "{aws_secret}"
GITHUB_TOKEN = "{ghp}"
GITHUB_FINE_GRAINED_TOKEN = "{github_pat}"
SLACK_BOT_TOKEN = "{slack}"
DATABASE_URL = "postgres://admin:{password}@db.acme-sample.com:5432/app"
ADMIN_EMAIL = "jane.doe@acme-sample.com"
'''

PII_PY = '''"""Network settings: public addresses must be masked, private ones and versions kept."""

UPSTREAM_DNS = "93.184.216.34"
BACKUP_HOST_V6 = "2a00:1450:4001:82a::200e"
LOCAL_GATEWAY = "192.168.1.1"
LOOPBACK = "127.0.0.1"
SUPPORT = "Contact support@acme-sample.com or john.smith@mailbox.acme-sample.org"
VERSION = "1.2.3.4"
'''
