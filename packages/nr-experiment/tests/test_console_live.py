"""An attached ``exp.run()`` in a real pseudo-terminal: a live table, then a summary that fits.

Each test runs a launching script with real local jobs in a fresh interpreter whose stdout and
stderr are a pseudo-terminal of 80 or 200 columns, and reads what the user's terminal got.
"""

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

SCRIPT = """
import sys
from nr_config import Script
from nr_exec import LocalExecutor
from nr_experiment import Experiment

count = int(sys.argv[1])
with Experiment("live", executor=LocalExecutor()) as exp:
    for i in range(count):
        inline = "sleep 0.3; exit 3" if i == 1 else "sleep 0.2"
        exp.add(Script(inline=inline), name=f"a_rather_long_job_name_for_point_{i}")
    exp.run()
print(f"rich imported: {'rich' in sys.modules}")
"""

HIDE_CURSOR, SHOW_CURSOR = "\x1b[?25l", "\x1b[?25h"
_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


DETACHED = """
import sys, time
from nr_config import Script
from nr_exec import LocalExecutor
from nr_experiment import Experiment

with Experiment("detached", executor=LocalExecutor()) as exp:
    for i in range(2):
        exp.add(Script(inline="sleep 1"), name=f"job_{i}")
    exp.run(detach=True)
    print("run() returned", flush=True)
    time.sleep(1.5)  # the live table would be redrawn meanwhile
    print("the script goes on", flush=True)
"""


def in_terminal(
    tmp_path: Path, columns: int, count: int, rows: int = 40, script: str = SCRIPT
) -> str:
    """Run ``script`` with ``count`` jobs on a terminal ``columns`` x ``rows``; what it printed."""
    (tmp_path / "launch.py").write_text(script)
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    env = {**os.environ, "NEMORUN_HOME": str(tmp_path / "home"), "COLUMNS": str(columns)}
    env["LINES"] = str(rows)
    env.pop("TERM", None)
    child = subprocess.Popen(
        [sys.executable, "launch.py", str(count)], cwd=tmp_path, stdin=subprocess.DEVNULL,
        stdout=follower, stderr=follower, env=env,
    )  # fmt: skip
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 120)
        if not ready:
            child.kill()
            raise AssertionError("the run printed nothing for 120 s")
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    assert child.wait(timeout=60) == 0
    os.close(leader)
    return b"".join(chunks).decode()


def visible_lines(raw: str) -> list[str]:
    """The lines as text (escape sequences removed; each redraw's lines are lines too)."""
    return [line for line in re.split(r"\r\n|\r|\n", _ESCAPE.sub("", raw)) if line]


@pytest.mark.parametrize("columns", [80, 200])
def test_a_live_table_then_a_summary_that_fits(tmp_path: Path, columns: int) -> None:
    raw = in_terminal(tmp_path, columns, 3)
    assert HIDE_CURSOR in raw, raw  # the live table was drawn...
    assert raw.rindex(SHOW_CURSOR) > raw.rindex(HIDE_CURSOR)  # ...and stopped
    live, after = (
        raw[raw.index(HIDE_CURSOR) : raw.rindex(SHOW_CURSOR)],
        raw[raw.rindex(SHOW_CURSOR) :],
    )
    frames = visible_lines(live)
    headers = [line.split() for line in frames if line.startswith("JOB ")]
    assert headers
    assert all(header == ["JOB", "HANDLE", "STATE", "REASON"] for header in headers)
    assert any(line.startswith("Experiment live_") and "UNSUBMITTED" in line for line in frames)
    last_title = [line for line in frames if line.startswith("Experiment live_")][-1]
    assert last_title.endswith(": 1 FAILED, 2 SUCCEEDED")
    failed = [line for line in frames if re.search(r"\sFAILED\s+USER_ERROR", line)]
    assert failed, frames
    assert "rich imported: True" in visible_lines(after)

    shown = visible_lines(after)
    start = next(i for i, line in enumerate(shown) if re.fullmatch(r"Experiment live_\d+", line))
    end = next(i for i, line in enumerate(shown) if "metadata in" in line)
    summary = shown[start + 1 : end]
    closing = shown[end:]
    assert summary[0].split()[:2] == ["JOB", "STATUS"]
    assert len(summary) == 4
    assert {re.split(r"\s{2,}", row)[1] for row in summary[1:]} == {"SUCCEEDED", "FAILED"}
    for line in frames + summary:
        assert len(line) <= columns, line  # nothing longer than the terminal: nothing wraps
    experiment_id = shown[start].split()[1]
    path = str(tmp_path / "home" / "experiments" / "live" / experiment_id)
    if columns == 80:  # the first line is longer than the terminal: the path goes below
        assert closing[:2] == [f"Experiment {experiment_id}, metadata in:", f"    {path}"]
    else:
        assert closing[0] == f"Experiment {experiment_id} (metadata in {path})"
    for line in closing:
        assert len(line) <= columns or line.strip() == path, line  # a path is never cut
    commands = [line.strip() for line in closing if line.strip().startswith("nemorun ")]
    assert commands == [
        f"nemorun experiment status {experiment_id}",
        f"nemorun experiment logs {experiment_id} 0",
        f"nemorun experiment cancel {experiment_id} --all",
    ]
    if columns == 200:  # room for every job id and handle whole
        assert "a_rather_long_job_name_for_point_1" in summary[2]
        assert re.search(r"local://\S+/nr\.\d+\.\w+\.live\.", summary[2])
    else:
        assert "…" in summary[2]


def test_a_run_taller_than_the_terminal_shows_what_fits(tmp_path: Path) -> None:
    raw = in_terminal(tmp_path, 100, 30, rows=12)
    lines = visible_lines(raw[raw.index(HIDE_CURSOR) : raw.rindex(SHOW_CURSOR)])
    titles = [i for i, line in enumerate(lines) if line.startswith("Experiment live_")]
    assert len(titles) > 1
    for start, end in zip(titles, [*titles[1:], len(lines)], strict=True):
        assert end - start <= 12, lines[start:end]  # each drawing fits the terminal's height
    assert any(re.fullmatch(r"\.\.\. and \d+ more jobs", line) for line in lines)
    assert "Experiment live_" in visible_lines(raw[raw.rindex(SHOW_CURSOR) :])[0]


def test_piped_output_imports_no_rich(tmp_path: Path) -> None:
    (tmp_path / "launch.py").write_text(SCRIPT)
    done = subprocess.run(
        [sys.executable, "launch.py", "2"], cwd=tmp_path, capture_output=True, text=True,
        env={**os.environ, "NEMORUN_HOME": str(tmp_path / "home")}, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "rich imported: False"
    assert HIDE_CURSOR not in done.stderr
    assert "  a_rather_long_job_name_for_point_1  FAILED (USER_ERROR)  exit 3" in done.stderr


def test_a_detached_run_ends_its_live_table_when_run_returns(tmp_path: Path) -> None:
    raw = in_terminal(tmp_path, 80, 2, script=DETACHED)
    returned = raw.index("run() returned")
    assert HIDE_CURSOR in raw[:returned]  # a live table was drawn while launching...
    assert raw.rindex(SHOW_CURSOR) < returned  # ...and stopped before run() returned
    after = visible_lines(raw[returned:])
    assert not [line for line in after if line.split()[:2] == ["JOB", "HANDLE"]], after
    kept = visible_lines(raw[raw.rindex(HIDE_CURSOR) : returned])  # its last drawing stays
    assert any(re.match(r"job_1\s+local://", line) for line in kept), kept
    assert after.index("the script goes on") < after.index(
        next(line for line in after if re.fullmatch(r"Experiment detached_\d+", line))
    )  # the summary comes when the `with` block ends
