"""Issue 14 item 2: the packager spellings of NeMo-Run's documents (include/exclude, a list)."""

import tarfile
from pathlib import Path

import nr_config
import pytest
from nr_package import HybridPackager, InvalidPackagerError, PatternPackager


def members(archive: Path | None) -> list[str]:
    assert archive is not None
    with tarfile.open(archive) as tar:
        return sorted(m.name for m in tar.getmembers() if m.isfile())


def project(root: Path) -> Path:
    for name in ("a.py", "b.yaml", "m.pyc", "tests/t.py", "__pycache__/x.py", "src/s.py"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x\n", encoding="utf-8")
    return root


def test_include_and_exclude_are_the_pattern_fields(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    packager = PatternPackager(
        include=["*.py", "*.yaml", "tests/**"], exclude=["__pycache__", "*.pyc", "tests/"]
    )
    assert packager.include_pattern == ["*.py", "*.yaml", "tests/**"]
    assert packager.exclude_pattern == ["__pycache__", "*.pyc", "tests/"]
    assert (packager.include, packager.exclude) == ([], [])
    result = packager.package(root, tmp_path / "out", "job", use_cache=False)
    assert members(result.archive) == ["a.py", "b.yaml"]
    # the same packager spelled with NeMo-Run's other names is equal, and round-trips
    assert packager == PatternPackager(
        include_pattern=["*.py", "*.yaml", "tests/**"],
        exclude_pattern=["__pycache__", "*.pyc", "tests/"],
    )
    assert nr_config.build(nr_config.dataclass_to_config(packager)) == packager


def test_both_names_or_no_pattern_are_refused() -> None:
    with pytest.raises(InvalidPackagerError, match="both include_pattern and include"):
        PatternPackager(include_pattern="a", include=["b"])
    with pytest.raises(InvalidPackagerError, match="both exclude_pattern and exclude"):
        PatternPackager(include="a", exclude_pattern="x", exclude="y")
    with pytest.raises(InvalidPackagerError, match="needs include_pattern"):
        PatternPackager()


def test_a_list_of_packagers_goes_to_the_archive_root(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    hybrid = HybridPackager([PatternPackager(include="*.py"), PatternPackager(include="src/**")])
    assert hybrid.extract_at_root
    assert sorted(hybrid.sub_packagers) == ["part0", "part1"]
    result = hybrid.package(root, tmp_path / "out", "job", use_cache=False)
    assert members(result.archive) == ["a.py", "src/s.py"]
    built = nr_config.build(nr_config.Config(HybridPackager, [PatternPackager(include="*.py")]))
    assert built.sub_packagers == {"part0": PatternPackager(include="*.py")}
