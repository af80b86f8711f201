"""`codecurate next-export`: export N+1 of a sample, for incremental releases (tests, benchmarks).

A sample (`codecurate sample`) is export N. Export N+1 is `import-git` of the same repositories
after new commits, made deterministically (seeded) in clones under `<out>/repos/`:

- about `changed_share` (10%) of each repository's text files get one edited line, and every
  repository one new file (so roughly 10% of contents are new, the rest the same blobs);
- one repository whose LICENSE is MIT switches to GPL-3.0 (its files must leave the release);
- `gone` repositories (2) are absent from export N+1, two new ones appear: one of fresh code,
  one carrying a near-duplicate of a file already published (incremental near-dedup's case);
- the opt-out list gains one repository.

Each repository becomes one visit of its newest commit. `<out>/next_export.json` says what
moved where; `<out>/export` and `<out>/optout.txt` are the new export and list.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import shutil
from pathlib import Path

from codecurate.dev.gitimport import RepoSpec, import_git
from codecurate.dev.sample import BASE_DATE, MARKER, _clone, _license, commit_files
from codecurate.errors import UsageError

SEED = 20240401
NEXT_COMMIT = BASE_DATE + dt.timedelta(days=300)
NEXT_VISIT = BASE_DATE + dt.timedelta(days=330)
SUMMARY = "next_export.json"
LICENSE_NAMES = ("license", "licence", "copying", "notice")
TEXT_SUFFIXES = (".py", ".md", ".txt", ".go", ".js", ".c", ".h", ".rs", ".java", ".toml", ".cfg", ".sh")


class NextExportError(UsageError):
    """The sample cannot be moved on to a next export; the message says why."""


def _repo_name(directory: Path) -> str:
    owner, _, name = directory.name.partition("__")
    return f"{owner}/{name}"


def _is_license(path: Path) -> bool:
    return path.name.lower().startswith(LICENSE_NAMES)


def _tracked_texts(repo: Path) -> list[Path]:
    """Text files of a checkout we may edit: UTF-8, not license files, not symlinks."""
    found = []
    for path in sorted(repo.rglob("*")):
        if ".git" in path.relative_to(repo).parts or path.is_symlink() or not path.is_file():
            continue
        if _is_license(path) or path.suffix not in TEXT_SUFFIXES:
            continue
        try:
            path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            continue
        found.append(path)
    return found


def _edit(text: str, rng: random.Random, tag: str) -> str:
    """One line changed: a near edit, so near-dedup still sees the file as its old self."""
    lines = text.splitlines(keepends=True) or ["\n"]
    at = rng.randrange(len(lines))
    lines.insert(at, f"# {tag}\n" if not lines[at].startswith(("{", "[")) else lines[at])
    return "".join(lines)


def build_next_export(sample: Path, out: Path, *, changed_share: float = 0.1, gone: int = 2,
                      seed: int = SEED) -> dict:
    """Write export N+1 of the sample at `sample` into `out`; return what changed."""
    sample, out = Path(sample).absolute(), Path(out).absolute()
    if not (sample / MARKER).exists():
        raise NextExportError(f"{sample} is not a sample directory (no {MARKER}); run `codecurate sample`")
    if out.exists():
        shutil.rmtree(out)
    (out / "repos").mkdir(parents=True)
    rng = random.Random(seed)
    metadata = json.loads((sample / "metadata.json").read_text(encoding="utf-8"))
    optouts = (sample / "optout.txt").read_text(encoding="utf-8")
    opted = {line.strip().lower() for line in optouts.splitlines() if line.strip() and not line.startswith("#")}
    # One directory per origin's latest state; "<dir>@partial" clones are extra visits of one.
    names = {_repo_name(d): d for d in sorted((sample / "repos").iterdir())
             if (d / ".git").exists() and "@" not in d.name}
    eligible = [n for n in sorted(names) if n.lower() not in opted and n.split("/")[0].lower() not in opted]

    mit = [n for n in eligible if (names[n] / "LICENSE").is_file()
           and (names[n] / "LICENSE").read_text(encoding="utf-8", errors="replace").startswith("MIT License")]
    if not mit:
        raise NextExportError(f"{sample}: no repository with an MIT LICENSE at its root to relicense")
    relicensed = mit[0]
    rest = [n for n in eligible if n != relicensed]
    gone_names = sorted(rng.sample(rest, min(gone, len(rest) - 1)))
    new_optout = rng.choice([n for n in rest if n not in gone_names])

    specs, changed, added = [], 0, 0
    for name in sorted(names):
        if name in gone_names:
            continue
        clone = out / "repos" / names[name].name
        _clone(names[name], clone)
        files: dict[str, str] = {}
        for path in _tracked_texts(clone):
            if rng.random() < changed_share:
                files[str(path.relative_to(clone))] = _edit(path.read_text(encoding="utf-8"), rng, f"{name} N+1")
        changed += len(files)
        files[f"CHANGES-{rng.randrange(10**6):06d}.md"] = f"# {name}\n\nWhat changed in export N+1.\n"
        added += 1
        if name == relicensed:
            files["LICENSE"] = _license("GPL-3")
        commit_files(clone, files, date=NEXT_COMMIT, message="export N+1")
        specs.append(RepoSpec(clone, name, NEXT_VISIT))

    # The near-copy is of a file that stays publishable: not gone, opted out or relicensed.
    staying = {n: names[n] for n in rest if n not in gone_names and n != new_optout}
    new_repos = _new_repos(out / "repos", staying, rng)
    specs += [RepoSpec(path, name, NEXT_VISIT) for name, path in new_repos.items()]
    (out / "optout.txt").write_text(optouts.rstrip("\n") + f"\n{new_optout}\n", encoding="utf-8")
    kept_metadata = {k: v for k, v in metadata.items() if k not in gone_names}
    imported = import_git(specs, out / "export", metadata=kept_metadata)
    summary = {
        "from_sample": str(sample),
        "relicensed_mit_to_gpl": relicensed,
        "gone": gone_names,
        "new": sorted(new_repos),
        "optout_added": new_optout,
        "files_changed": changed,
        "files_added": added,
        "blobs": imported.blobs_written,
        "blob_bytes": imported.blob_bytes,
    }
    (out / SUMMARY).write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return summary


def _new_repos(repos: Path, names: dict[str, Path], rng: random.Random) -> dict[str, Path]:
    """Two repositories export N did not have: fresh code, and a near-copy of a published file."""
    fresh = repos / "newco__fresh-lib"
    commit_files(fresh, {
        "LICENSE": _license("MIT"),
        "fresh/__init__.py": '"""fresh-lib: new in export N+1."""\n\n__version__ = "0.1.0"\n',
        "fresh/ring.py": (
            '"""A fixed-size ring buffer."""\n\n\nclass Ring:\n    def __init__(self, size: int):\n'
            '        self.items = [None] * size\n        self.next = 0\n\n'
            '    def push(self, item):\n        self.items[self.next] = item\n'
            '        self.next = (self.next + 1) % len(self.items)\n'),
    }, date=NEXT_COMMIT, message="first")
    # The largest Python file of `names`, with one line changed.
    sources = sorted((p for d in names.values() for p in d.rglob("*.py")
                      if ".git" not in p.parts and p.is_file() and not p.is_symlink()),
                     key=lambda p: (-p.stat().st_size, str(p)))
    copycat = repos / "newco__copycat"
    files = {"LICENSE": _license("MIT")}
    if sources:
        files["copied.py"] = _edit(sources[0].read_text(encoding="utf-8", errors="replace"), rng, "copycat")
    commit_files(copycat, files, date=NEXT_COMMIT, message="first")
    return {"newco/fresh-lib": fresh, "newco/copycat": copycat}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "next-export", help="export N+1 of a sample: new commits, a relicensed, gone and new repositories")
    parser.add_argument("--sample", required=True, type=Path, help="the sample directory (export N)")
    parser.add_argument("--out", required=True, type=Path, help="directory for export N+1 (recreated)")
    parser.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    summary = build_next_export(args.sample, args.out)
    print(json.dumps(summary, indent=2, sort_keys=True))
    print(f"export: {args.out / 'export'}  opt-out list: {args.out / 'optout.txt'}")
    return 0
