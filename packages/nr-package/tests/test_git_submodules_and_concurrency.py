"""GitArchivePackager with nested submodules, and several processes packaging one repository."""

import json
import logging
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from nr_package import GitArchivePackager, UncommittedChangesWarning


@pytest.fixture
def superproject(tmp_path: Path, make_repo: Callable[..., Path], git: Callable[..., str]) -> Path:
    inner = make_repo(tmp_path / "inner", {"inner.txt": "inner\n"})
    lib = make_repo(tmp_path / "lib", {"lib.py": "LIB = 1\n"})
    git(lib, "submodule", "add", "-q", str(inner), "vendor/inner")
    git(lib, "commit", "-q", "-m", "add inner")
    top = make_repo(tmp_path / "top", {"main.py": "import lib\n", "src/app.py": "app\n"})
    git(top, "submodule", "add", "-q", str(lib), "src/lib")
    git(top, "submodule", "update", "--init", "--recursive", "-q")
    git(top, "commit", "-q", "-m", "add lib")
    return top


def test_nested_submodules_are_packaged(superproject: Path, tmp_path: Path, contents, git) -> None:
    result = GitArchivePackager().package(superproject, tmp_path / "out", "code")
    found = contents(result.archive)
    assert found["src/lib/lib.py"] == b"LIB = 1\n"
    assert found["src/lib/vendor/inner/inner.txt"] == b"inner\n"
    assert set(result.manifest.submodules) == {"src/lib", "src/lib/vendor/inner"}
    assert (
        result.manifest.submodules["src/lib"]
        == git(superproject / "src/lib", "rev-parse", "HEAD").strip()
    )


def test_submodules_under_subpath_and_excluded(
    superproject: Path, tmp_path: Path, contents
) -> None:
    result = GitArchivePackager(subpath="src").package(superproject, tmp_path / "a", "code")
    assert "lib/vendor/inner/inner.txt" in contents(result.archive)
    assert set(result.manifest.submodules) == {"lib", "lib/vendor/inner"}
    bare = GitArchivePackager(include_submodules=False).package(superproject, tmp_path / "b", "c")
    assert not any(p.startswith("src/lib") for p in contents(bare.archive))


def test_submodule_with_new_commit(
    superproject: Path, tmp_path: Path, git, contents, write
) -> None:
    lib = superproject / "src/lib"
    recorded = git(lib, "rev-parse", "HEAD").strip()
    write(lib, {"lib.py": "LIB = 2\n"})
    git(lib, "commit", "-q", "-am", "lib 2")
    with pytest.warns(UncommittedChangesWarning, match="src/lib"):
        committed = GitArchivePackager().package(superproject, tmp_path / "a", "code")
    assert contents(committed.archive)["src/lib/lib.py"] == b"LIB = 1\n"
    assert committed.manifest.submodules["src/lib"] == recorded
    working = GitArchivePackager(include_uncommitted=True).package(
        superproject, tmp_path / "b", "c"
    )
    assert contents(working.archive)["src/lib/lib.py"] == b"LIB = 2\n"
    assert working.manifest.submodules["src/lib"] == git(lib, "rev-parse", "HEAD").strip()


def test_dirty_file_inside_submodule(superproject: Path, tmp_path: Path, write, contents) -> None:
    write(superproject / "src/lib", {"vendor/inner/inner.txt": "dirty\n"})
    with pytest.warns(UncommittedChangesWarning, match="src/lib/vendor/inner/inner.txt"):
        GitArchivePackager().package(superproject, tmp_path / "a", "code")
    result = GitArchivePackager(include_uncommitted=True).package(superproject, tmp_path / "b", "c")
    assert contents(result.archive)["src/lib/vendor/inner/inner.txt"] == b"dirty\n"
    assert [e.path for e in result.manifest.extra_files] == ["src/lib/vendor/inner/inner.txt"]


def test_uninitialised_submodule_is_skipped_with_a_log(
    superproject: Path, tmp_path: Path, git, contents, caplog: pytest.LogCaptureFixture
) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(superproject), str(clone))
    with caplog.at_level(logging.WARNING, logger="nr_package"):
        result = GitArchivePackager().package(clone, tmp_path / "out", "code")
    assert "src/lib" in caplog.text
    assert "main.py" in contents(result.archive)
    assert result.manifest.submodules == {}


def test_concurrent_processes_give_identical_archives(
    superproject: Path, tmp_path: Path, git, repo_snapshot, write
) -> None:
    write(superproject, {"extra.txt": "untracked\n", "skip.log": "x"})
    (superproject / ".gitignore").write_text("*.log\n", encoding="utf-8")
    status = git(superproject, "status", "--porcelain", "--ignored")
    before = repo_snapshot(superproject)
    cache = tmp_path / "shared-cache"

    def run(index: int) -> dict[str, object]:
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "nr_package",
                "git",
                "--source",
                str(superproject),
                "-o",
                str(tmp_path / f"out{index}"),
                "--cache-dir",
                str(cache),
                "--include-uncommitted",
                "--include-untracked",
                "--json",
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        return json.loads(completed.stdout)

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(run, range(6)))
    assert len({r["sha256"] for r in results}) == 1
    archives = {Path(str(r["archive"])).read_bytes() for r in results}
    assert len(archives) == 1
    assert repo_snapshot(superproject) == before
    assert git(superproject, "status", "--porcelain", "--ignored") == status
    assert not list(cache.glob(".*.tmp"))
