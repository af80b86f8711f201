"""import-git -> extract gives back exactly what `git archive` of each branch head holds."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile

from codecurate import columns as C
from codecurate.config import load_config
from codecurate.dev.gitimport import RepoSpec, import_git
from codecurate.run.runner import read_kept, run_pipeline

GIT_ENV = {
    "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "T",
    "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_AUTHOR_DATE": "2024-03-01T10:00:00+02:00",
    "GIT_COMMITTER_DATE": "2024-03-01T10:00:00+02:00", "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent",
}

REPOS = {
    "one": {
        "README.md": "# one\n", "src/app.py": "import os\nprint(os.name)\n", "src/empty.py": "",
        "docs/guide/intro.rst": "Intro\n=====\n", "naïve/ünïcode.txt": "héllo wörld\n",
        "bin/run.sh": "#!/bin/sh\necho hi\n",
    },
    "two": {
        "main.go": "package main\n\nfunc main() {}\n", "a/b/c/d/e/f/deep.txt": "deep\n",
        "with space.txt": "spaces in names\n", "CRLF.txt": "line one\r\nline two\r\n",
    },
    "three": {"lib/x.js": "export const x = 1;\n", "lib/y.js": "export const y = 2;\n"},
}


def git(repo, *args):
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          env={**os.environ, **GIT_ENV}).stdout


def make_repo(path, files, branch):
    path.mkdir()
    git(path, "init", "-q", "-b", branch)
    for name, text in files.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode())
        if name.endswith(".sh"):
            target.chmod(0o755)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path


def archive(repo) -> dict[str, bytes]:
    data = git(repo, "archive", "--format=tar", "HEAD")
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def test_extract_equals_git_archive(spark, tmp_path):
    branches = {"one": "main", "two": "master", "three": "trunk"}  # trunk: only HEAD finds it
    repos = {name: make_repo(tmp_path / name, files, branches[name]) for name, files in REPOS.items()}
    export = tmp_path / "export"
    import_git([RepoSpec(path, f"owner/{name}") for name, path in repos.items()], export)
    cfg = load_config(None, [
        f"input.export={export}", f"input.blobs={export / 'blobs'}", f"output.root={tmp_path / 'out'}",
        "stages=[extract]",
    ])
    run = run_pipeline(cfg, spark=spark)
    kept = read_kept(spark, run.dir, "extract", cfg).collect()
    for name, repo in repos.items():
        expected = archive(repo)
        got = {r[C.PATH]: r[C.CONTENT].encode("utf-8") for r in kept if r[C.REPO_NAME] == f"owner/{name}"}
        assert got == expected, name
        assert {r[C.BRANCH_NAME] for r in kept if r[C.REPO_NAME] == f"owner/{name}"} == {
            f"refs/heads/{branches[name]}"}
    assert len(kept) == sum(len(files) for files in REPOS.values())
