"""GitArchivePackager against real git repositories."""

import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from nr_package import (
    GitArchivePackager,
    GitError,
    InvalidPackagerError,
    PackageResult,
    PackagingError,
    UncommittedChangesError,
    UncommittedChangesWarning,
    UntrackedFilesError,
)

BINARY = bytes(range(256)) * 64

FILES: dict[str, str | bytes] = {
    "README.md": "readme\n",
    "src/pkg/__init__.py": "VALUE = 1\n",
    "src/pkg/data.bin": BINARY,
    "src/tool.sh": "#!/bin/sh\necho hi\n",
    "src/with space/ünïcødé.txt": "unicode\n",
    "docs/index.md": "docs\n",
    ".gitignore": "*.log\nbuild/\n",
}


@pytest.fixture
def repo(tmp_path: Path, make_repo: Callable[..., Path], git: Callable[..., str]) -> Path:
    path = make_repo(tmp_path / "repo", FILES)
    (path / "src/tool.sh").chmod(0o755)
    (path / "src/link.py").symlink_to("pkg/__init__.py")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "exec and link")
    return path


def package(packager: GitArchivePackager, source: Path, out: Path, **kw: Any) -> PackageResult:
    return packager.package(source, out, "code", **kw)


def test_packages_committed_tree(repo: Path, tmp_path: Path, contents, members) -> None:
    result = package(GitArchivePackager(), repo, tmp_path / "out")
    assert result.archive == tmp_path / "out" / "code.tar.gz"
    found = contents(result.archive)
    assert found["src/pkg/data.bin"] == BINARY
    assert found["src/with space/ünïcødé.txt"] == b"unicode\n"
    assert found["src/link.py"] == "-> pkg/__init__.py"
    info = members(result.archive)
    assert stat.S_IMODE(info["src/tool.sh"].mode) == 0o755
    assert stat.S_IMODE(info["README.md"].mode) == 0o644
    assert info["src"].isdir()
    assert {m.uid for m in info.values()} == {0}
    assert {m.mtime for m in info.values()} == {315532800}
    assert result.manifest.files == tuple(sorted(set(FILES) | {"src/link.py"}))
    assert result.manifest.extra_files == ()
    assert len(result.sha256) == 64


def test_manifest_commit_is_head(repo: Path, tmp_path: Path, git) -> None:
    result = package(GitArchivePackager(), repo, tmp_path / "out")
    assert result.manifest.commit == git(repo, "rev-parse", "HEAD").strip()
    assert result.manifest.ref == "HEAD"


def test_source_may_be_a_subdirectory(repo: Path, tmp_path: Path, contents) -> None:
    result = package(GitArchivePackager(), repo / "src" / "pkg", tmp_path / "out")
    assert "README.md" in contents(result.archive)


def test_subpath_becomes_root(repo: Path, tmp_path: Path, contents) -> None:
    result = package(GitArchivePackager(subpath="src"), repo, tmp_path / "out")
    assert set(contents(result.archive)) == {
        "pkg/__init__.py",
        "pkg/data.bin",
        "tool.sh",
        "with space/ünïcødé.txt",
        "link.py",
    }


def test_missing_subpath_is_an_error(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(GitError, match="nope"):
        package(GitArchivePackager(subpath="nope"), repo, tmp_path / "out")
    with pytest.raises(GitError, match="not a directory"):
        package(GitArchivePackager(subpath="README.md"), repo, tmp_path / "out")


def test_refs_branches_tags_and_shas(repo: Path, tmp_path: Path, git, contents, write) -> None:
    first = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "tag", "v1")
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo, {"feature.txt": "f\n"})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "feature")
    git(repo, "checkout", "-q", "main")
    assert "feature.txt" in contents(
        package(GitArchivePackager(ref="feature"), repo, tmp_path / "a").archive
    )
    for ref in ("v1", first, first[:10], "main", "feature~1"):
        result = package(GitArchivePackager(ref=ref), repo, tmp_path / "b")
        assert "feature.txt" not in contents(result.archive)
        assert result.manifest.commit == first


def test_bad_ref_and_not_a_repo(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(GitError, match="no-such-ref"):
        package(GitArchivePackager(ref="no-such-ref"), repo, tmp_path / "out")
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(GitError):
        package(GitArchivePackager(), plain, tmp_path / "out")
    with pytest.raises(GitError, match="does not exist"):
        package(GitArchivePackager(), tmp_path / "missing", tmp_path / "out")


def test_basepath_overrides_source(repo: Path, tmp_path: Path, contents) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = package(GitArchivePackager(basepath=str(repo)), elsewhere, tmp_path / "out")
    assert "README.md" in contents(result.archive)


def test_uncommitted_changes_warn_by_default(repo: Path, tmp_path: Path, write, contents) -> None:
    write(repo, {"src/pkg/__init__.py": "VALUE = 2\n", "new.py": "x\n", "debug.log": "ignored"})
    with pytest.warns(UncommittedChangesWarning) as caught:
        result = package(GitArchivePackager(), repo, tmp_path / "out")
    warning = caught[0].message
    assert isinstance(warning, UncommittedChangesWarning)
    assert warning.modified == ["src/pkg/__init__.py"]
    assert warning.untracked == ["new.py"]
    assert "src/pkg/__init__.py" in str(warning)
    assert contents(result.archive)["src/pkg/__init__.py"] == b"VALUE = 1\n"


def test_check_uncommitted_changes_lists_files(repo: Path, tmp_path: Path, write) -> None:
    write(repo, {"README.md": "changed\n", "docs/index.md": "changed\n"})
    (repo / "src/tool.sh").unlink()
    with pytest.raises(UncommittedChangesError) as caught:
        package(GitArchivePackager(check_uncommitted_changes=True), repo, tmp_path / "out")
    assert caught.value.files == ["README.md", "docs/index.md", "src/tool.sh"]
    assert "README.md" in str(caught.value)


def test_check_is_scoped_to_subpath(repo: Path, tmp_path: Path, write) -> None:
    write(repo, {"README.md": "changed outside src\n"})
    result = package(
        GitArchivePackager(subpath="src", check_uncommitted_changes=True), repo, tmp_path / "o"
    )
    assert result.archive is not None


def test_check_untracked_files_lists_files(repo: Path, tmp_path: Path, write) -> None:
    write(repo, {"notes.txt": "n\n", "build/out.o": "ignored\n"})
    with pytest.raises(UntrackedFilesError) as caught:
        package(GitArchivePackager(check_untracked_files=True), repo, tmp_path / "out")
    assert caught.value.files == ["notes.txt"]


def test_include_uncommitted_ships_working_tree(
    repo: Path, tmp_path: Path, write, contents, git
) -> None:
    write(repo, {"src/pkg/__init__.py": "VALUE = 2\n", "staged.py": "s\n"})
    git(repo, "add", "staged.py")
    (repo / "docs/index.md").unlink()
    write(repo, {"loose.txt": "l\n"})
    with pytest.warns(UncommittedChangesWarning, match="untracked") as caught:
        result = package(GitArchivePackager(include_uncommitted=True), repo, tmp_path / "out")
    assert caught[0].message.modified == []  # type: ignore[union-attr]
    found = contents(result.archive)
    assert found["src/pkg/__init__.py"] == b"VALUE = 2\n"
    assert found["staged.py"] == b"s\n"
    assert "docs/index.md" not in found
    assert "loose.txt" not in found
    manifest = result.manifest
    assert [(e.path, e.reason) for e in manifest.extra_files] == [
        ("src/pkg/__init__.py", "uncommitted"),
        ("staged.py", "uncommitted"),
    ]
    assert manifest.removed_files == ("docs/index.md",)
    import hashlib

    assert manifest.extra_files[0].sha256 == hashlib.sha256(b"VALUE = 2\n").hexdigest()


def test_include_untracked_ships_non_ignored_files(
    repo: Path, tmp_path: Path, write, contents
) -> None:
    write(repo, {"notes.txt": "n\n", "debug.log": "x", "build/out.o": "x", "src/new.py": "n"})
    result = package(
        GitArchivePackager(include_untracked=True, include_uncommitted=True), repo, tmp_path / "o"
    )
    found = contents(result.archive)
    assert found["notes.txt"] == b"n\n"
    assert "src/new.py" in found
    assert "debug.log" not in found
    assert "build/out.o" not in found
    assert {e.reason for e in result.manifest.extra_files} == {"untracked"}


def test_include_uncommitted_needs_head(repo: Path, tmp_path: Path, git) -> None:
    git(repo, "tag", "old")
    git(repo, "commit", "-q", "--allow-empty", "-m", "later")
    with pytest.raises(PackagingError, match="working tree"):
        package(GitArchivePackager(ref="old", include_uncommitted=True), repo, tmp_path / "out")


def test_other_ref_does_not_warn_about_working_tree(repo: Path, tmp_path: Path, git, write) -> None:
    git(repo, "tag", "old")
    git(repo, "commit", "-q", "--allow-empty", "-m", "later")
    write(repo, {"README.md": "dirty\n"})
    result = package(GitArchivePackager(ref="old"), repo, tmp_path / "out")  # no warning
    assert result.archive is not None


def test_include_pattern_adds_untracked_and_ignored(
    repo: Path, tmp_path: Path, write, contents
) -> None:
    write(repo, {"build/model.ckpt": "weights", "build/other.txt": "no", "cfg/a.yaml": "a: 1"})
    with pytest.warns(UncommittedChangesWarning):
        result = package(
            GitArchivePackager(
                include_pattern=["build/*.ckpt", "*.yaml"],
                include_pattern_relative_path=["", str(repo / "cfg")],
            ),
            repo,
            tmp_path / "out",
        )
    found = contents(result.archive)
    assert found["build/model.ckpt"] == b"weights"
    assert found["a.yaml"] == b"a: 1"
    assert "build/other.txt" not in found
    assert {(e.path, e.reason) for e in result.manifest.extra_files} == {
        ("build/model.ckpt", "include_pattern"),
        ("a.yaml", "include_pattern"),
    }


def test_field_defaults_and_validation() -> None:
    packager = GitArchivePackager()
    assert (packager.basepath, packager.subpath, packager.ref) == ("", "", "HEAD")
    assert packager.include_submodules is True
    assert packager.include_pattern == ""
    assert packager.include_pattern_relative_path == ""
    assert not any(
        [
            packager.check_uncommitted_changes,
            packager.check_untracked_files,
            packager.include_uncommitted,
            packager.include_untracked,
            packager.debug,
        ]
    )
    assert packager.symlink_from_remote_dir is None
    with pytest.raises(InvalidPackagerError, match="2 item"):
        GitArchivePackager(include_pattern=["a", "b"], include_pattern_relative_path=["x"])
    with pytest.raises(InvalidPackagerError, match="contradict"):
        GitArchivePackager(check_uncommitted_changes=True, include_uncommitted=True)
    with pytest.raises(InvalidPackagerError, match="contradict"):
        GitArchivePackager(check_untracked_files=True, include_untracked=True)
    with pytest.raises(InvalidPackagerError, match="subpath"):
        GitArchivePackager(subpath="../x")
    with pytest.raises(InvalidPackagerError, match="bool"):
        GitArchivePackager(include_submodules="yes")  # type: ignore[arg-type]
    with pytest.raises(InvalidPackagerError, match="ref"):
        GitArchivePackager(ref=" ")


def test_deterministic_and_cached(repo: Path, tmp_path: Path) -> None:
    packager = GitArchivePackager(subpath="src")
    first = package(packager, repo, tmp_path / "a", use_cache=False)
    second = package(packager, repo, tmp_path / "b", use_cache=False)
    assert first.archive.read_bytes() == second.archive.read_bytes()  # type: ignore[union-attr]
    assert first.sha256 == second.sha256
    assert not second.cached
    third = package(packager, repo, tmp_path / "c")
    assert third.cached
    assert third.sha256 == first.sha256
    assert third.manifest == first.manifest
    assert third.archive.read_bytes() == first.archive.read_bytes()  # type: ignore[union-attr]


def test_cache_invalidated_by_changes(repo: Path, tmp_path: Path, write, git) -> None:
    packager = GitArchivePackager(include_uncommitted=True)
    base = package(packager, repo, tmp_path / "o", cache_dir=tmp_path / "c")
    write(repo, {"README.md": "edited\n"})
    edited = package(packager, repo, tmp_path / "o", cache_dir=tmp_path / "c")
    assert not edited.cached
    assert edited.sha256 != base.sha256
    again = package(packager, repo, tmp_path / "o", cache_dir=tmp_path / "c")
    assert again.cached
    assert again.sha256 == edited.sha256
    git(repo, "commit", "-q", "-am", "edit")
    committed = package(packager, repo, tmp_path / "o", cache_dir=tmp_path / "c")
    assert not committed.cached
    assert committed.manifest.extra_files == ()
    assert list((tmp_path / "c").glob("*.tmp")) == []


def test_nothing_written_in_repository(
    repo: Path, tmp_path: Path, write, git, repo_snapshot
) -> None:
    write(repo, {"README.md": "dirty\n", "untracked.txt": "u", "x.log": "ignored"})
    status = git(repo, "status", "--porcelain", "--ignored")
    before = repo_snapshot(repo)
    with pytest.warns(UncommittedChangesWarning):
        package(GitArchivePackager(include_pattern="*.log"), repo, tmp_path / "out")
    package(
        GitArchivePackager(include_uncommitted=True, include_untracked=True), repo, tmp_path / "o2"
    )
    assert repo_snapshot(repo) == before
    assert git(repo, "status", "--porcelain", "--ignored") == status


def test_escaping_symlink_is_refused_at_packaging(repo: Path, tmp_path: Path, git) -> None:
    (repo / "abs").symlink_to("/etc/hostname")
    git(repo, "add", "abs")
    git(repo, "commit", "-q", "-m", "abs link")
    with pytest.raises(PackagingError, match="abs"):
        package(GitArchivePackager(), repo, tmp_path / "out")


def test_repository_without_commits(tmp_path: Path, git) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    with pytest.raises(GitError, match="'HEAD' does not name a commit"):
        package(GitArchivePackager(), empty, tmp_path / "out")
