"""Children of this process: collected without blocking, waited for all at once."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from nr_exec import BackendError
from nr_exec.local.children import CHILDREN, reap, wait_any
from nr_exec.local.limits import DEFAULT_MAX_RUNNING, MAX_RUNNING_ENV, max_running
from nr_exec.local.record import STATE_FILE, ProcessRecord, read_record, write_record


def _child(seconds: float) -> "subprocess.Popen[bytes]":
    return subprocess.Popen([sys.executable, "-c", f"import time; time.sleep({seconds})"])


def test_reap_leaves_a_child_still_exiting_for_a_later_call() -> None:
    slow, quick = _child(0.5), _child(0)
    CHILDREN.update({"slow": slow, "quick": quick})
    try:
        reap("slow")  # its marker exists, but it has not exited yet: no waiting
        assert slow.returncode is None
        assert "slow" in CHILDREN
        slow.wait()
        quick.wait()
        reap("quick")  # collects both
        assert "slow" not in CHILDREN
        assert "quick" not in CHILDREN
    finally:
        for name in ("slow", "quick"):
            CHILDREN.pop(name, None)


def test_wait_any_wakes_when_one_child_exits() -> None:
    long, short = _child(30), _child(0.2)
    CHILDREN.update({"long": long, "short": short})
    try:
        wait_any(20)
        assert short.poll() == 0
        assert long.poll() is None  # woken by the short one's exit, not by the timeout
    finally:
        long.kill()
        long.wait()
        for name in ("long", "short"):
            CHILDREN.pop(name, None)


def test_wait_any_without_children_sleeps_the_timeout() -> None:
    started = time.monotonic()
    wait_any(0.05)
    assert time.monotonic() - started >= 0.05


def test_the_record_is_written_whole_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    record = ProcessRecord(pid=7, start_time=11, host="h", job_id="j", job_dir=str(tmp_path))
    write_record(tmp_path, record)
    write_record(tmp_path, record)
    assert read_record(tmp_path) == record
    assert [p.name for p in tmp_path.iterdir()] == [STATE_FILE]
    assert json.loads((tmp_path / STATE_FILE).read_text())["pid"] == 7


def test_a_second_record_replaces_the_first(tmp_path: Path) -> None:
    write_record(tmp_path, ProcessRecord(pid=7, start_time=11))
    write_record(tmp_path, ProcessRecord(pid=8, start_time=12, recovered=True))
    assert read_record(tmp_path) == ProcessRecord(pid=8, start_time=12, recovered=True)
    assert [p.name for p in tmp_path.iterdir()] == [STATE_FILE]


@pytest.mark.parametrize("text", ["", '{"pid": 7, "start', "  \n"])
def test_a_record_caught_while_being_written_reads_as_not_written(
    tmp_path: Path, text: str
) -> None:
    (tmp_path / STATE_FILE).write_text(text)
    assert read_record(tmp_path) is None
    write_record(tmp_path, ProcessRecord(pid=7, start_time=11))  # its writer's retry replaces it
    assert read_record(tmp_path) == ProcessRecord(pid=7, start_time=11)


def test_a_whole_file_that_is_no_record_is_an_error(tmp_path: Path) -> None:
    (tmp_path / STATE_FILE).write_text('{"start_time": 11}')
    with pytest.raises(BackendError, match=r"invalid local\.json"):
        read_record(tmp_path)


@pytest.mark.parametrize(("value", "expected"), [("3", 3), ("0", None), (" 12 ", 12)])
def test_the_bound_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: int | None
) -> None:
    monkeypatch.setenv(MAX_RUNNING_ENV, value)
    assert max_running() == expected


def test_without_the_variable_the_bound_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MAX_RUNNING_ENV, raising=False)
    assert max_running() == DEFAULT_MAX_RUNNING
