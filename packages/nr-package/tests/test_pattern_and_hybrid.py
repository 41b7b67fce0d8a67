"""PatternPackager and HybridPackager."""

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest
from nr_package import (
    GitArchivePackager,
    HybridPackager,
    InvalidPackagerError,
    Packager,
    PackagerConflictError,
    PackagingError,
    PatternPackager,
)

TREE: dict[str, str | bytes] = {
    "configs/a.yaml": "a: 1\n",
    "configs/b.yaml": "b: 2\n",
    "configs/nested/c.yaml": "c: 3\n",
    "configs/notes.txt": "n\n",
    "src/pkg/mod.py": "m\n",
    "src/pkg/__pycache__/mod.cpython.pyc": b"\0",
    "src/pkg/mod.pyc": b"\0",
    "top.py": "t\n",
}


@pytest.fixture
def tree(tmp_path: Path, write) -> Path:
    root = tmp_path / "tree"
    write(root, TREE)
    return root


def names(result, contents) -> set[str]:  # type: ignore[no-untyped-def]
    return set(contents(result.archive))


def test_glob_is_anchored_and_not_recursive(tree: Path, tmp_path: Path, contents) -> None:
    result = PatternPackager(include_pattern="configs/*.yaml", relative_path=str(tree)).package(
        tmp_path, tmp_path / "out", "cfg"
    )
    assert names(result, contents) == {"configs/a.yaml", "configs/b.yaml"}
    assert result.manifest.files == ("configs/a.yaml", "configs/b.yaml")
    assert result.manifest.commit is None


def test_globstar_directory_and_exclude(tree: Path, tmp_path: Path, contents) -> None:
    packager = PatternPackager(
        include_pattern=["src/**", "configs"],
        relative_path=str(tree),
        exclude_pattern=["__pycache__/", "*.pyc", "*.txt"],
    )
    assert names(packager.package(tree, tmp_path / "o", "x"), contents) == {
        "src/pkg/mod.py",
        "configs/a.yaml",
        "configs/b.yaml",
        "configs/nested/c.yaml",
    }


def test_relative_path_defaults_to_source_and_absolute_patterns(
    tree: Path, tmp_path: Path, contents
) -> None:
    result = PatternPackager(include_pattern=str(tree / "top.py")).package(
        tree, tmp_path / "o", "x"
    )
    assert names(result, contents) == {"top.py"}
    with pytest.raises(PackagingError, match="outside"):
        PatternPackager(include_pattern="/etc/*").package(tree, tmp_path / "o", "x")


def test_one_relative_path_per_pattern(tree: Path, tmp_path: Path, contents) -> None:
    packager = PatternPackager(
        include_pattern=["*.yaml", "pkg/*.py"],
        relative_path=[str(tree / "configs"), str(tree / "src")],
    )
    assert names(packager.package(tree, tmp_path / "o", "x"), contents) == {
        "a.yaml",
        "b.yaml",
        "pkg/mod.py",
    }
    with pytest.raises(InvalidPackagerError, match="2 item"):
        PatternPackager(include_pattern=["a", "b"], relative_path=["x", "y", "z"])


def test_same_archive_path_from_two_directories(tree: Path, tmp_path: Path, write) -> None:
    write(tmp_path / "other", {"a.yaml": "other\n"})
    packager = PatternPackager(
        include_pattern=["*.yaml", "*.yaml"],
        relative_path=[str(tree / "configs"), str(tmp_path / "other")],
    )
    with pytest.raises(PackagingError, match=r"a\.yaml"):
        packager.package(tree, tmp_path / "o", "x")


def test_respect_gitignore_in_and_out_of_git(tree: Path, tmp_path: Path, git, contents) -> None:
    (tree / ".gitignore").write_text("*.pyc\nnested/\n", encoding="utf-8")
    packager = PatternPackager(
        include_pattern="**", relative_path=str(tree), respect_gitignore=True
    )
    expected = {
        ".gitignore",
        "configs/a.yaml",
        "configs/b.yaml",
        "configs/notes.txt",
        "src/pkg/mod.py",
        "top.py",
    }
    outside = names(packager.package(tree, tmp_path / "o", "x", use_cache=False), contents)
    assert outside == expected
    git(tree, "init", "-q")
    (tree / ".git" / "info").mkdir(exist_ok=True)
    (tree / ".git" / "info" / "exclude").write_text("top.py\n", encoding="utf-8")
    inside = names(packager.package(tree, tmp_path / "o", "x", use_cache=False), contents)
    assert inside == expected - {"top.py"}  # git decides, so .git/info/exclude counts
    everything = PatternPackager(include_pattern="**", relative_path=str(tree))
    assert not any(
        n.startswith(".git/")
        for n in names(everything.package(tree, tmp_path / "o", "y"), contents)
    )


def test_symlinks_and_cache(tree: Path, tmp_path: Path, contents) -> None:
    (tree / "configs" / "link.yaml").symlink_to("a.yaml")
    packager = PatternPackager(include_pattern="configs/*.yaml", relative_path=str(tree))
    first = packager.package(tree, tmp_path / "o", "x")
    assert contents(first.archive)["configs/link.yaml"] == "-> a.yaml"
    assert packager.package(tree, tmp_path / "o", "x").cached
    (tree / "configs" / "a.yaml").write_text("a: changed\n", encoding="utf-8")
    changed = packager.package(tree, tmp_path / "o", "x")
    assert not changed.cached
    assert changed.sha256 != first.sha256


def test_pattern_validation() -> None:
    with pytest.raises(InvalidPackagerError, match="include_pattern"):
        PatternPackager(include_pattern=3)  # type: ignore[arg-type]
    with pytest.raises(InvalidPackagerError, match="respect_gitignore"):
        PatternPackager(include_pattern="x", respect_gitignore=1)  # type: ignore[arg-type]


@pytest.fixture
def project(tmp_path: Path, make_repo: Callable[..., Path], write) -> Path:
    repo = make_repo(tmp_path / "proj", {"src/app.py": "app\n", "src/util.py": "u\n"})
    write(repo, {"configs/run.yaml": "lr: 1\n"})
    (repo / ".gitignore").write_text("configs/\n", encoding="utf-8")
    return repo


def test_hybrid_places_each_part_in_its_folder(project: Path, tmp_path: Path, contents) -> None:
    hybrid = HybridPackager(
        sub_packagers={
            "code": GitArchivePackager(subpath="src"),
            "configs": PatternPackager(
                include_pattern="configs/*.yaml", relative_path=str(project)
            ),
        }
    )
    result = hybrid.package(project, tmp_path / "out", "job")  # changes outside src: no warning
    assert names(result, contents) == {"code/app.py", "code/util.py", "configs/configs/run.yaml"}
    assert set(result.manifest.parts) == {"code", "configs"}
    assert result.manifest.parts["code"].commit is not None
    assert result.manifest.packager == "HybridPackager"


def test_hybrid_at_root_and_conflicts(project: Path, tmp_path: Path, contents, write) -> None:
    hybrid = HybridPackager(
        sub_packagers={
            "code": GitArchivePackager(subpath="src"),
            "cfg": PatternPackager(
                include_pattern="*.yaml", relative_path=str(project / "configs")
            ),
        },
        extract_at_root=True,
    )
    result = hybrid.package(project, tmp_path / "out", "job")
    assert names(result, contents) == {"app.py", "util.py", "run.yaml"}
    write(project, {"configs/app.py": "clash\n"})
    clash = dataclasses.replace(
        hybrid,
        sub_packagers={
            "code": GitArchivePackager(subpath="src"),
            "cfg": PatternPackager(include_pattern="*.py", relative_path=str(project / "configs")),
        },
    )
    with pytest.raises(PackagerConflictError) as caught:
        clash.package(project, tmp_path / "out", "job")
    assert (caught.value.path, caught.value.first, caught.value.second) == ("app.py", "cfg", "code")
    assert result.archive is not None
    assert contents(result.archive)["run.yaml"] == b"lr: 1\n"  # the failed call kept it intact


def test_hybrid_file_versus_directory_conflict(tmp_path: Path, write) -> None:
    write(tmp_path / "one", {"x": "file\n"})
    write(tmp_path / "two", {"x/y": "nested\n"})
    hybrid = HybridPackager(
        sub_packagers={
            "a": PatternPackager(include_pattern="x", relative_path=str(tmp_path / "one")),
            "b": PatternPackager(include_pattern="x", relative_path=str(tmp_path / "two")),
        },
        extract_at_root=True,
    )
    with pytest.raises(PackagerConflictError, match="'x'"):
        hybrid.package(tmp_path, tmp_path / "out", "job")


def test_hybrid_validation(tmp_path: Path) -> None:
    with pytest.raises(InvalidPackagerError, match="ships files"):
        HybridPackager(sub_packagers={"code": Packager()})
    with pytest.raises(InvalidPackagerError, match="folder"):
        HybridPackager(sub_packagers={"../up": PatternPackager(include_pattern="x")})
    with pytest.raises(PackagingError, match="no sub_packagers"):
        HybridPackager().package(tmp_path, tmp_path / "out", "job")


def test_passthrough_packager(tmp_path: Path) -> None:
    packager = Packager()
    assert (packager.debug, packager.symlink_from_remote_dir) == (False, None)
    assert packager.package(tmp_path, tmp_path / "out", "code") is None
    assert not (tmp_path / "out").exists()
    with pytest.raises(InvalidPackagerError, match="debug"):
        Packager(debug="yes")  # type: ignore[arg-type]
    with pytest.raises(InvalidPackagerError, match="name"):
        Packager().package(tmp_path, tmp_path, "a/b")


def test_packagers_are_plain_dataclasses() -> None:
    hybrid = HybridPackager(sub_packagers={"c": GitArchivePackager(subpath="src")})
    for packager in (
        Packager(),
        GitArchivePackager(),
        PatternPackager(include_pattern="x"),
        hybrid,
    ):
        assert dataclasses.is_dataclass(packager)
        rebuilt = type(packager)(
            **{f.name: getattr(packager, f.name) for f in dataclasses.fields(packager)}
        )
        assert rebuilt == packager
