"""Extraction never writes or chmods through a symlink already in the target, caps what an
archive may expand to, and reports unreadable archives in one line."""

import gzip
import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from nr_package import BadArchiveError, UnsafeArchiveError, extract_archive


def _archive(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _dir(name: str, mode: int = 0o777) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.mode = tarfile.DIRTYPE, mode
    return info


def _file(name: str, data: bytes, mode: int = 0o666) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), mode
    return info, data


def test_directory_member_over_an_existing_symlink_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir(mode=0o755)
    outside.chmod(0o755)
    target = tmp_path / "target"
    target.mkdir()
    (target / "d").symlink_to(outside)
    archive = _archive(tmp_path / "a.tar.gz", [(_dir("d"), None)])
    with pytest.raises(UnsafeArchiveError, match="symlink of that name"):
        extract_archive(archive, target)
    assert outside.stat().st_mode & 0o777 == 0o755


def test_file_member_over_an_existing_symlink_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("keep")
    secret.chmod(0o600)
    target = tmp_path / "target"
    target.mkdir()
    (target / "f").symlink_to(secret)
    archive = _archive(tmp_path / "a.tar.gz", [_file("f", b"overwritten")])
    with pytest.raises(UnsafeArchiveError, match="symlink of that name"):
        extract_archive(archive, target)
    assert secret.read_text() == "keep"
    assert secret.stat().st_mode & 0o777 == 0o600


def test_modes_are_kept_without_following_anything(tmp_path: Path) -> None:
    archive = _archive(
        tmp_path / "a.tar.gz",
        [(_dir("pkg", 0o755), None), _file("pkg/run.sh", b"#!/bin/sh\n", 0o755)],
    )
    extract_archive(archive, tmp_path / "out")
    assert (tmp_path / "out/pkg/run.sh").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "out/pkg").stat().st_mode & 0o777 == 0o755


def test_decompression_bomb_is_refused_by_ratio(tmp_path: Path) -> None:
    size = 70 << 20  # 70 MiB of zeros compress to about 70 KiB
    info = tarfile.TarInfo("zeros.bin")
    info.size = size
    path = tmp_path / "bomb.tar.gz"
    with gzip.open(path, "wb", compresslevel=1) as raw, tarfile.open(fileobj=raw, mode="w") as tar:
        tar.addfile(info, io.BytesIO(bytes(size)))
    assert path.stat().st_size < (1 << 20)
    with pytest.raises(BadArchiveError, match="max_ratio"):
        extract_archive(path, tmp_path / "out")
    assert not (tmp_path / "out" / "zeros.bin").exists()


def test_expanded_size_is_capped(tmp_path: Path) -> None:
    archive = _archive(tmp_path / "a.tar.gz", [_file("a", b"x" * 600), _file("b", b"y" * 600)])
    with pytest.raises(BadArchiveError, match=r"more than 1000 bytes \(max_size\).*'b'"):
        extract_archive(archive, tmp_path / "out", max_size=1000)
    extract_archive(archive, tmp_path / "ok", max_size=1200)
    assert (tmp_path / "ok" / "b").read_bytes() == b"y" * 600


@pytest.mark.parametrize("kind", ["missing", "truncated", "not-an-archive"])
def test_cli_reports_unreadable_archives_in_one_line(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "code.tar.gz"
    if kind == "truncated":
        whole = _archive(tmp_path / "whole.tar.gz", [_file("f", os.urandom(50_000))])
        path.write_bytes(whole.read_bytes()[:20_000])
    elif kind == "not-an-archive":
        path.write_text("just some text\n")
    result = subprocess.run(
        [sys.executable, "-m", "nr_package", "extract", str(path), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert str(path) in lines[0]
    assert "Traceback" not in result.stderr
