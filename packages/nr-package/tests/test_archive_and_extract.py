"""The deterministic writer and the safe extraction helper."""

import gzip
import io
import os
import random
import tarfile
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nr_package import PackagingError, UnsafeArchiveError, extract_archive
from nr_package.archive import Entry, open_file, write_archive


def data_entry(path: str, data: bytes, executable: bool = False) -> Entry:
    source = Path(os.environ["ENTRY_SOURCE_DIR"]) / f"{abs(hash(path))}.bin"
    source.write_bytes(data)
    return Entry(path, "file", lambda: open_file(source), executable)


@pytest.fixture(autouse=True)
def entry_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sources").mkdir()
    monkeypatch.setenv("ENTRY_SOURCE_DIR", str(tmp_path / "sources"))


def test_order_does_not_matter_and_header_is_fixed(tmp_path: Path) -> None:
    entries = [data_entry(f"d{i % 3}/f{i}.txt", f"{i}".encode()) for i in range(20)]
    entries.append(Entry("d0/link", "symlink", link_target="f0.txt"))
    first = write_archive(entries, tmp_path / "a.tar.gz")
    random.Random(4).shuffle(entries)  # noqa: S311 - a fixed shuffle, not security
    second = write_archive(entries, tmp_path / "b.tar.gz")
    assert first == second
    raw = (tmp_path / "a.tar.gz").read_bytes()
    assert raw == (tmp_path / "b.tar.gz").read_bytes()
    assert raw[4:8] == b"\0\0\0\0"  # gzip header mtime
    assert raw[3] & 0x08 == 0  # no FNAME
    with tarfile.open(tmp_path / "a.tar.gz") as tar:
        names = tar.getnames()
        assert names == sorted(names)
        for member in tar.getmembers():
            assert (member.uid, member.gid, member.uname, member.gname) == (0, 0, "", "")
            assert not member.name.startswith("/")
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([Entry("/abs", "symlink", link_target="x")], "clean relative"),
        ([Entry("a/../b", "symlink", link_target="x")], "clean relative"),
        ([Entry("a", "symlink", link_target="b"), Entry("a", "symlink", link_target="c")], "twice"),
        (
            [Entry("a", "symlink", link_target="b"), Entry("a/c", "symlink", link_target="d")],
            "both",
        ),
        ([Entry("a/l", "symlink", link_target="../../x")], "outside"),
        ([Entry("l", "symlink", link_target="/etc/passwd")], "outside"),
    ],
)
def test_writer_refuses_bad_entries(tmp_path: Path, entries: list[Entry], message: str) -> None:
    with pytest.raises(PackagingError, match=message):
        write_archive(entries, tmp_path / "x.tar.gz")
    assert list(tmp_path.glob("*")) == [tmp_path / "sources"]


names = st.text(alphabet="abcé _-.0", min_size=1, max_size=6).filter(lambda n: n not in (".", ".."))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    files=st.dictionaries(
        st.lists(names, min_size=1, max_size=3).map("/".join), st.binary(max_size=300), max_size=8
    )
)
def test_roundtrip_and_determinism(tmp_path: Path, files: dict[str, bytes]) -> None:
    leaves = {p: d for p, d in files.items() if not any(o.startswith(p + "/") for o in files)}
    work = Path(tempfile.mkdtemp(dir=tmp_path))
    entries = [data_entry(p, d, executable=len(d) % 2 == 1) for p, d in leaves.items()]
    sha = write_archive(entries, work / "one.tar.gz")
    assert sha == write_archive(list(reversed(entries)), work / "two.tar.gz")
    extract_archive(work / "one.tar.gz", work / "out")
    for path, data in leaves.items():
        target = work / "out" / path
        assert target.read_bytes() == data
        assert bool(target.stat().st_mode & 0o100) == (len(data) % 2 == 1)


def make_tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def info(
    name: str, kind: bytes = tarfile.REGTYPE, link: str = "", mode: int = 0o644
) -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.type = kind
    member.linkname = link
    member.mode = mode
    return member


@pytest.mark.parametrize(
    ("members", "bad", "reason"),
    [
        ([(info("/etc/evil"), b"x")], "/etc/evil", "absolute"),
        ([(info("a/../../evil"), b"x")], "a/../../evil", "'..'"),
        ([(info("l", tarfile.SYMTYPE, "/etc"), None)], "l", "absolute"),
        ([(info("l", tarfile.SYMTYPE, "../outside"), None)], "l", "leaves"),
        ([(info("d/l", tarfile.SYMTYPE, "../../x"), None)], "d/l", "leaves"),
        ([(info("l", tarfile.SYMTYPE, "sub"), None), (info("l/f"), b"x")], "l/f", "beneath"),
        ([(info("h", tarfile.LNKTYPE, "/etc/passwd"), None)], "/etc/passwd", "absolute"),
        ([(info("h", tarfile.LNKTYPE, "missing"), None)], "h", "hard link"),
        ([(info("dev", tarfile.CHRTYPE), None)], "dev", "device"),
        ([(info("blk", tarfile.BLKTYPE), None)], "blk", "device"),
        ([(info("fifo", tarfile.FIFOTYPE), None)], "fifo", "fifo"),
        (
            [(info("d", tarfile.SYMTYPE, "."), None), (info("e", tarfile.SYMTYPE, "d/../x"), None)],
            "e",
            "resolves outside",
        ),
    ],
)
def test_unsafe_members_are_refused(tmp_path: Path, members, bad: str, reason: str) -> None:
    archive = make_tar(tmp_path / "evil.tar.gz", members)
    with pytest.raises(UnsafeArchiveError, match=reason) as caught:
        extract_archive(archive, tmp_path / "target")
    assert caught.value.member == bad
    assert bad in str(caught.value)
    assert not (tmp_path / "evil").exists()
    assert not (tmp_path / "x").exists()
    assert not any(p.is_symlink() for p in (tmp_path / "target").rglob("*"))


def test_existing_symlink_in_target_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    target = tmp_path / "target"
    target.mkdir()
    (target / "evil").symlink_to(outside)
    archive = make_tar(tmp_path / "a.tar.gz", [(info("evil/x"), b"x")])
    with pytest.raises(UnsafeArchiveError, match="outside"):
        extract_archive(archive, target)
    (target / "f").symlink_to(outside / "f")
    archive = make_tar(tmp_path / "b.tar.gz", [(info("f"), b"x")])
    with pytest.raises(UnsafeArchiveError, match="f"):
        extract_archive(archive, target)
    assert list(outside.iterdir()) == []


def test_safe_links_and_modes(tmp_path: Path) -> None:
    archive = make_tar(
        tmp_path / "ok.tar",
        [
            (info("./d", tarfile.DIRTYPE, mode=0o755), None),
            (info("d/f", mode=0o4755), b"data"),
            (info("d/hard", tarfile.LNKTYPE, "d/f"), None),
            (info("d/rel", tarfile.SYMTYPE, "../top"), None),
            (info("top"), b"top"),
        ],
    )
    created = extract_archive(archive, tmp_path / "t")
    t = tmp_path / "t"
    assert created[-1] == t / "d/rel"
    assert (t / "d/rel").read_bytes() == b"top"
    assert (t / "d/hard").read_bytes() == b"data"
    assert (t / "d/f").stat().st_mode & 0o7777 == 0o755  # set-uid dropped
    assert gzip.decompress(gzip.compress(b"")) == b""
