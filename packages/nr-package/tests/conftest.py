"""Fixtures: real git repositories in temporary directories, an isolated git config and cache."""

import os
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

Git = Callable[..., str]


@pytest.fixture(autouse=True)
def isolated_git(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """A private global git config (identity, local submodule clones) and a private cache."""
    home = tmp_path_factory.mktemp("home")
    config = home / ".gitconfig"
    config.write_text(
        "[user]\n\tname = Test\n\temail = test@example.com\n"
        "[init]\n\tdefaultBranch = main\n"
        '[protocol "file"]\n\tallow = always\n'
        "[advice]\n\tdetachedHead = false\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("NR_PACKAGE_CACHE", str(home / "cache"))


@pytest.fixture
def git() -> Git:
    """Run git in a directory: ``git(cwd, "commit", "-m", "x")`` returns stdout."""

    def run(cwd: Path, *args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
        ).stdout

    return run


@pytest.fixture
def make_repo(git: Git) -> Callable[..., Path]:
    """Create a repository with the given files (bytes or str contents) and commit them."""

    def make(path: Path, files: dict[str, str | bytes], message: str = "initial") -> Path:
        path.mkdir(parents=True, exist_ok=True)
        git(path, "init", "-q")
        write_files(path, files)
        git(path, "add", "-A")
        git(path, "commit", "-q", "-m", message)
        return path

    return make


def write_files(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")


@pytest.fixture
def write() -> Callable[[Path, dict[str, str | bytes]], None]:
    return write_files


@pytest.fixture
def members() -> Callable[[Path], dict[str, tarfile.TarInfo]]:
    def read(archive: Path) -> dict[str, tarfile.TarInfo]:
        with tarfile.open(archive) as tar:
            return {m.name: m for m in tar.getmembers()}

    return read


@pytest.fixture
def contents() -> Callable[[Path], dict[str, bytes | str]]:
    """Map each archive member to its bytes (files) or ``-> target`` text (symlinks)."""

    def read(archive: Path) -> dict[str, bytes | str]:
        found: dict[str, bytes | str] = {}
        with tarfile.open(archive) as tar:
            for member in tar.getmembers():
                if member.issym():
                    found[member.name] = "-> " + member.linkname
                elif member.isfile():
                    stream = tar.extractfile(member)
                    assert stream is not None
                    found[member.name] = stream.read()
        return found

    return read


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every path below ``root`` (``.git`` included) with its size and mtime."""
    state = {}
    for directory, _, files in os.walk(root):
        for name in files:
            info = Path(directory, name).lstat()
            state[str(Path(directory, name).relative_to(root))] = (info.st_size, info.st_mtime_ns)
    return state


@pytest.fixture
def repo_snapshot() -> Callable[[Path], dict[str, tuple[int, int]]]:
    return snapshot
