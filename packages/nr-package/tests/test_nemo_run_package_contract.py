"""Issue 15 item 6: NeMo-Run's ``Packager.package(path, job_dir, name)`` contract.

It returns the archive path (a ``str``; ``None`` for the base ``Packager``), a space-separated
``include_pattern`` is several patterns, and a submodule left out leaves an empty directory.
"""

import copy
import hashlib
import os
import pickle
import subprocess
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
from nr_package import (
    GitArchivePackager,
    HybridPackager,
    Packager,
    PackageResult,
    PatternPackager,
)


def names(archive: str) -> dict[str, str]:
    """Archive member name -> ``"dir"`` or ``"file"``."""
    with tarfile.open(archive) as tar:
        return {m.name: "dir" if m.isdir() else "file" for m in tar.getmembers()}


def test_package_returns_the_archive_path_as_a_str(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    repo = make_repo(tmp_path / "repo", {"train.py": "print('train')\n"})
    job_dir = str(tmp_path / "experiments" / "exp_1" / "train")  # NeMo-Run passes a str
    archive = GitArchivePackager().package(repo, job_dir, "code")
    assert isinstance(archive, str)
    assert archive == os.path.join(job_dir, "code.tar.gz")  # noqa: PTH118 - str API on purpose
    assert os.path.isfile(archive)  # noqa: PTH113 - as a NeMo-Run user's code checks it
    # what NeMo-Run's executors do with the value: a shell command and an extraction
    code = Path(job_dir) / "code"
    code.mkdir()
    subprocess.run(f"tar -xzf {archive} -C {code}", shell=True, check=True)  # noqa: S602
    assert (code / "train.py").read_text(encoding="utf-8") == "print('train')\n"
    # ... and the details stay reachable on it
    assert isinstance(archive, PackageResult)
    assert archive.manifest.files == ("train.py",)
    assert archive.sha256 == hashlib.sha256(Path(archive).read_bytes()).hexdigest()
    assert archive.archive == Path(archive)
    again = GitArchivePackager().package(repo, job_dir, "code")
    assert again is not None
    assert (again, again.cached, again.manifest) == (archive, True, archive.manifest)
    pickled = pickle.loads(pickle.dumps(archive))  # noqa: S301 - our own bytes
    for copied in (pickled, copy.deepcopy(archive)):
        assert copied == archive
        assert (copied.sha256, copied.manifest) == (archive.sha256, archive.manifest)
    with pytest.raises(AttributeError, match="immutable"):
        archive.sha256 = "0" * 64  # type: ignore[misc]


def test_the_base_packager_returns_none(tmp_path: Path) -> None:
    assert Packager().package(tmp_path, str(tmp_path / "job"), "code") is None
    assert not (tmp_path / "job").exists()


def test_a_space_separated_include_pattern_is_several_patterns(
    tmp_path: Path, make_repo: Callable[..., Path], write: Callable[..., None]
) -> None:
    repo = make_repo(tmp_path / "repo", {"main.py": "x\n", ".gitignore": "data/\nextra/\n"})
    write(repo, {"data/a.csv": "1\n", "extra/b.txt": "2\n", "extra/c.bin": "3\n"})
    shipped = GitArchivePackager(include_pattern="data/*.csv extra/*.txt").package(
        repo, tmp_path / "g", "code"
    )
    assert shipped is not None
    assert shipped.manifest.files == (".gitignore", "data/a.csv", "extra/b.txt", "main.py")
    pattern = PatternPackager(
        include_pattern=["*.csv", "*.txt *.bin"], relative_path=["data", "extra"]
    )
    archive = pattern.package(repo, tmp_path / "p", "code")
    assert archive is not None
    assert archive.manifest.files == ("a.csv", "b.txt", "c.bin")


def test_a_submodule_left_out_leaves_an_empty_directory(
    tmp_path: Path, make_repo: Callable[..., Path], git: Callable[..., str]
) -> None:
    lib = make_repo(tmp_path / "lib", {"lib.py": "LIB = 1\n"})
    top = make_repo(tmp_path / "top", {"main.py": "import lib\n"})
    git(top, "submodule", "add", "-q", str(lib), "third_party/lib")
    git(top, "commit", "-q", "-m", "add lib")
    archive = GitArchivePackager(include_submodules=False).package(top, tmp_path / "a", "code")
    assert archive is not None
    found = names(archive)
    assert found["third_party/lib"] == "dir"
    assert not [n for n in found if n.startswith("third_party/lib/")]
    assert "third_party/lib" not in archive.manifest.files  # the manifest lists files
    code = tmp_path / "code"
    code.mkdir()
    subprocess.run(["tar", "-xzf", archive, "-C", code], check=True)
    assert (code / "third_party/lib").is_dir()
    assert not list((code / "third_party/lib").iterdir())
    # with submodules, the same directory holds the submodule's files
    full = GitArchivePackager().package(top, tmp_path / "b", "code")
    assert full is not None
    assert names(full)["third_party/lib/lib.py"] == "file"
    # and inside a HybridPackager, the empty directory goes under the sub-packager's folder
    hybrid = HybridPackager(sub_packagers={"src": GitArchivePackager(include_submodules=False)})
    combined = hybrid.package(top, tmp_path / "h", "job")
    assert combined is not None
    assert names(combined)["src/third_party/lib"] == "dir"


def test_packager_to_config_rebuilds_an_equal_packager() -> None:
    code = (
        "import nemo_run as run\n"
        "packager = run.GitArchivePackager(subpath='src', include_pattern='data/*.csv')\n"
        "cfg = packager.to_config()\n"
        "cfg.subpath = 'lib'\n"
        "built = run.build(cfg)\n"
        "print(type(cfg).__name__, type(built).__name__, built.subpath, built.include_pattern)\n"
        "print(run.build(packager.to_config()) == packager)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["Config GitArchivePackager lib data/*.csv", "True"]


def test_asking_for_packager_loads_no_git_tar_or_cache() -> None:
    code = (
        "import sys\n"
        "from nr_package import Packager\n"
        "assert Packager().package('.', '/nonexistent', 'code') is None\n"
        "print(sorted(m for m in ('git', 'tarfile', 'nr_package.cache') if m in sys.modules))\n"
        "from nr_package import GitArchivePackager\n"
        "print('nr_package.packagers.git' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["[]", "True"]
