"""`python -m codecurate.dev.dist --out dist` (`make dist`): what a Spark cluster needs to run codecurate.

    dist/codecurate-<version>-py3-none-any.whl   pip-install it on the nodes, or
    dist/codecurate.zip                          spark-submit --py-files dist/codecurate.zip
    dist/requirements-executor.txt               pinned third-party deps every executor needs
    dist/jobs/*.py                               spark-submit entry points (the main file)

The zip holds the `codecurate` package with real files where the checkout has symlinks
(src/codecurate/data -> configs/data): a symlink inside a zip is not followed by Python's zipimport,
and the license/language tables would be missing on the executors. Entries carry a fixed
timestamp and are sorted, so the same sources give a byte-identical zip. Developer tooling
(`codecurate.dev`: sample, benchmarks, local cluster, this module) stays out of it: executors
never need it, and the CLI registers its commands only where it is installed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent  # src/codecurate
ROOT = PACKAGE.parent.parent  # the checkout
ZIP_NAME = "codecurate.zip"
REQUIREMENTS = "requirements-executor.txt"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest a zip entry can carry
SKIP_DIRS = {"__pycache__"}
DEV_DIR = "dev"  # developer tooling: not shipped to executors
SKIP_SUFFIXES = {".pyc", ".pyo"}


class DistError(RuntimeError):
    """The distribution cannot be built; the message says which step failed."""


def package_files(package_dir: Path) -> list[tuple[Path, str]]:
    """(file on disk, name in the archive) for every package file, symlinks followed, sorted."""
    files = []
    for dirpath, dirnames, filenames in os.walk(package_dir, followlinks=True):
        top = Path(dirpath) == package_dir
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not (top and d == DEV_DIR))
        for name in filenames:
            path = Path(dirpath) / name
            if path.suffix in SKIP_SUFFIXES or not path.is_file():
                continue
            arcname = (Path(package_dir.name) / path.relative_to(package_dir)).as_posix()
            files.append((path, arcname))
    return sorted(files, key=lambda item: item[1])


def build_zip(package_dir: Path, target: Path) -> int:
    """Write the package as a zip for --py-files; return the number of files."""
    files = package_files(package_dir)
    partial = target.with_name(target.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, arcname in files:
            info = zipfile.ZipInfo(arcname, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())
    os.replace(partial, target)
    return len(files)


def executor_requirements(pyproject: Path, extras: tuple[str, ...] = ()) -> list[str]:
    """The project's pinned runtime dependencies (and those of the given extras)."""
    try:
        project = tomllib.loads(pyproject.read_text())["project"]
    except (OSError, tomllib.TOMLDecodeError, KeyError) as err:
        raise DistError(f"cannot read [project] from {pyproject}: {err}") from err
    requirements = list(project.get("dependencies", []))
    optional = project.get("optional-dependencies", {})
    for extra in extras:
        if extra not in optional:
            raise DistError(f"unknown extra {extra!r}; pyproject.toml has {', '.join(sorted(optional))}")
        requirements += optional[extra]
    unpinned = [r for r in requirements if "==" not in r]
    if unpinned:
        raise DistError(f"executor requirements must be pinned with ==, got {unpinned}")
    return requirements


def build_wheel(source: Path, out: Path) -> Path:
    before = set(out.glob("codecurate-*.whl"))
    for old in before:
        old.unlink()  # one wheel per dist/, the one built now
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(source)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise DistError(f"`{' '.join(command)}` failed:\n{result.stderr.strip()[-2000:]}")
    wheels = sorted(out.glob("codecurate-*.whl"))
    if len(wheels) != 1:
        raise DistError(f"expected one codecurate wheel in {out}, found {[w.name for w in wheels]}")
    return wheels[0]


def build_dist(out: Path, *, extras: tuple[str, ...] = (), wheel: bool = True) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    built = {}
    count = build_zip(PACKAGE, out / ZIP_NAME)
    built["zip"] = out / ZIP_NAME
    print(f"dist: {out / ZIP_NAME} ({count} files)")
    lines = executor_requirements(ROOT / "pyproject.toml", extras)
    header = "# Pinned third-party dependencies of codecurate's executors (from pyproject.toml)\n"
    (out / REQUIREMENTS).write_text(header + "".join(f"{line}\n" for line in lines))
    built["requirements"] = out / REQUIREMENTS
    print(f"dist: {out / REQUIREMENTS} ({len(lines)} packages)")
    jobs = out / "jobs"
    if jobs.exists():
        shutil.rmtree(jobs)
    shutil.copytree(ROOT / "jobs", jobs, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    built["jobs"] = jobs
    if wheel:
        built["wheel"] = build_wheel(ROOT, out)
        print(f"dist: {built['wheel']}")
    return built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codecurate.dev.dist", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("dist"), help="output directory (default: %(default)s)")
    parser.add_argument("--extra", action="append", default=[], metavar="NAME",
                        help="also list an extra's deps in the executor requirements, e.g. guesslang")
    parser.add_argument("--no-wheel", action="store_true", help="skip the wheel (zip and requirements only)")
    args = parser.parse_args(argv)
    try:
        build_dist(args.out, extras=tuple(args.extra), wheel=not args.no_wheel)
    except DistError as err:
        print(f"dist: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
