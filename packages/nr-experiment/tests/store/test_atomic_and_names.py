"""Atomic writes, strict reads, crash safety under SIGKILL, and naming rules."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nr_exec.durable
import nr_exec.paths
import pytest
from nr_experiment.errors import ExperimentError
from nr_experiment.store import (
    CorruptMetadataError,
    InvalidNameError,
    Store,
    StoreError,
    backend_job_name,
    nemorun_home,
    parse_backend_job_name,
    read_json,
    title_of,
    validate_job_name,
    validate_title,
    write_json_atomic,
    write_text_atomic,
)


def test_errors_derive_from_package_base() -> None:
    assert issubclass(StoreError, ExperimentError)
    assert issubclass(CorruptMetadataError, StoreError)


def test_home_is_resolved_at_call_time(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NEMORUN_HOME", str(tmp_path / "a"))
    assert nemorun_home() == tmp_path / "a"
    monkeypatch.setenv("NEMORUN_HOME", str(tmp_path / "b"))
    assert nemorun_home() == tmp_path / "b"
    monkeypatch.delenv("NEMORUN_HOME")
    assert nemorun_home() == Path("~/.run").expanduser()


def test_home_and_writes_have_one_owner_in_nr_exec(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert nemorun_home is nr_exec.paths.nemorun_home
    assert write_text_atomic is nr_exec.durable.write_text_atomic
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NEMORUN_HOME", "~/x")
    assert Store().home == tmp_path / "x"


def test_write_and_read_round_trip(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    write_json_atomic(target, {"b": [1, 2], "a": "é"})
    write_json_atomic(target, {"c": None})
    assert read_json(target) == {"c": None}
    write_text_atomic(tmp_path / "main.py", "print('hi')\n")
    assert (tmp_path / "main.py").read_text() == "print('hi')\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["main.py", "x.json"]  # no temp left


def test_unserialisable_data_leaves_old_file(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    write_json_atomic(target, {"ok": 1})
    with pytest.raises(TypeError):
        write_json_atomic(target, {"bad": object()})
    with pytest.raises(ValueError, match="JSON compliant"):
        write_json_atomic(target, {"bad": float("nan")})
    assert read_json(target) == {"ok": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"", "empty"), (b'{"a": 1', "invalid JSON"), (b"\xff\xfe{}", "not UTF-8")],
)
def test_corrupt_file_is_reported_by_name(tmp_path: Path, content: bytes, reason: str) -> None:
    target = tmp_path / "job.json"
    target.write_bytes(content)
    with pytest.raises(CorruptMetadataError, match=reason) as caught:
        read_json(target)
    assert caught.value.path == target
    assert str(target) in str(caught.value)
    assert target.read_bytes() == content  # never repaired or reset


WRITER = """
import sys
from pathlib import Path
from nr_experiment.store import write_json_atomic
root = Path(sys.argv[1])
payload = "x" * 200_000
i = 0
while True:
    for n in range(4):
        write_json_atomic(root / f"f{n}.json", {"i": i, "payload": payload})
    i += 1
    if i == 3:
        (root / "ready").touch()
"""


def test_sigkill_mid_write_leaves_old_or_new_file(tmp_path: Path) -> None:
    for n in range(4):
        write_json_atomic(tmp_path / f"f{n}.json", {"i": -1, "payload": ""})
    for _ in range(3):
        child = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)])
        deadline = time.monotonic() + 20
        while not (tmp_path / "ready").exists():
            assert child.poll() is None, "writer died on its own"
            assert time.monotonic() < deadline
            time.sleep(0.01)
        time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        (tmp_path / "ready").unlink()
        for n in range(4):
            data = json.loads((tmp_path / f"f{n}.json").read_text())
            assert data["i"] >= -1
            assert data["payload"] in ("", "x" * 200_000)


@pytest.mark.parametrize(
    "title",
    ["", "a/b", "a\0b", ".", "..", ".hidden", "tab\there", "x" * 201, "run_1724150000000000000"],
)
def test_bad_titles_are_rejected_with_the_rule(title: str) -> None:
    with pytest.raises(InvalidNameError) as caught:
        validate_title(title)
    assert caught.value.name == title
    assert "a title must" in str(caught.value)


@pytest.mark.parametrize("title", ["run", "my_run_2", "with space", "ünï", "a_123"])
def test_good_titles(title: str) -> None:
    assert validate_title(title) == title
    assert title_of(f"{title}_1724150000000000000") == title


def test_job_names() -> None:
    assert validate_job_name("train_1724150000000000000") == "train_1724150000000000000"
    with pytest.raises(InvalidNameError):
        validate_job_name("../escape")


def test_title_of_rejects_non_ids() -> None:
    with pytest.raises(InvalidNameError, match="19 digits"):
        title_of("run_123")


def test_backend_job_name_is_short_safe_and_parseable() -> None:
    eid = "a very long title with spaces & symbols/no_1724150000000000001".replace("/", "-")
    name = backend_job_name(eid, "trainer: step 1")
    assert len(name) <= 63
    assert all(c.isascii() and (c.isalnum() or c in "_.-") for c in name)
    parsed = parse_backend_job_name(name)
    assert parsed is not None
    assert parsed.ns == 1724150000000000001
    assert parsed.matches(eid, "trainer: step 1")
    assert not parsed.matches(eid, "trainer: step 2")
    assert parse_backend_job_name("someone-elses-job") is None
