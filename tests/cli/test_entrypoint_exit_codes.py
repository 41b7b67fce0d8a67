"""Entrypoints run from the app (``nemorun GROUP ENTRYPOINT``): listing, confirmation, exit codes.

Real subprocesses with a fake installed distribution declaring a ``nemo_run.cli`` group; the
Ctrl+C and "answered no" cases run in a real pseudo-terminal.
"""

import os
import pty
import select
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

COMMANDS = '''
import time
import nemo_run as run
from nr_exec import LocalExecutor


@run.cli.entrypoint(default_executor=LocalExecutor())
def train(epochs: int = 1, code: int = 0) -> None:
    """Train for a few epochs."""
    print("training", epochs, flush=True)
    if code:
        raise SystemExit(code)


@run.cli.entrypoint(default_executor=LocalExecutor())
def sleepy(seconds: float = 30) -> None:
    """Sleep, printing first."""
    print("sleeping now", flush=True)
    time.sleep(seconds)
'''
APP = "from nr_cli.app import main; main()"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    package = tmp_path / "llm_cmds"
    package.mkdir()
    (package / "__init__.py").write_text(textwrap.dedent(COMMANDS))
    metadata = tmp_path / "llm_cmds-0.1.dist-info"
    metadata.mkdir()
    (metadata / "METADATA").write_text("Metadata-Version: 2.1\nName: llm-cmds\nVersion: 0.1\n")
    (metadata / "entry_points.txt").write_text("[nemo_run.cli]\nllm = llm_cmds\n")
    return tmp_path


def environment(project: Path) -> dict[str, str]:
    return {**os.environ, "NEMORUN_HOME": str(project / "home"), "PYTHONPATH": str(project)}


def nemorun(project: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", APP, *args], capture_output=True, text=True, cwd=project,
        env=environment(project), input=stdin, check=False, timeout=120,
    )  # fmt: skip


def test_help_lists_the_group_and_the_group_lists_its_entrypoints(project: Path) -> None:
    top = nemorun(project, "--help")
    assert top.returncode == 0
    assert "llm" in top.stdout
    listing = nemorun(project, "llm", "--help")
    assert listing.returncode == 0, listing.stderr
    assert "train   Train for a few epochs." in listing.stdout
    assert "sleepy  Sleep, printing first." in listing.stdout
    bare = nemorun(project, "llm")
    assert bare.returncode == 2
    assert "train" in bare.stderr
    typo = nemorun(project, "llm", "trian")
    assert typo.returncode == 2
    assert "did you mean 'train'?" in typo.stderr


def test_no_answer_without_a_terminal_and_no_yes_exits_non_zero(project: Path) -> None:
    done = nemorun(project, "llm", "train", "epochs=2")
    assert done.returncode == 1
    assert "pass --yes" in done.stderr
    assert "training" not in done.stdout
    assert not (project / "home" / "experiments").exists() or not any(
        (project / "home" / "experiments").rglob("*.json")
    )
    answered = nemorun(project, "llm", "train", stdin="n\n")
    assert answered.returncode == 1
    assert "not launched (answered no)" in answered.stderr
    piped_yes = nemorun(project, "llm", "train", "epochs=3", "--tail-logs", stdin="y\n")
    assert piped_yes.returncode == 0, piped_yes.stderr
    assert "training 3" in piped_yes.stdout


def test_a_failed_job_exits_with_its_own_code_and_one_error_line(project: Path) -> None:
    done = nemorun(project, "llm", "train", "code=5", "--yes")
    assert done.returncode == 5, done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1
    assert "exit code 5" in errors[0]
    assert nemorun(project, "llm", "train", "--yes").returncode == 0


def _read_until(fd: int, needle: bytes, deadline: float) -> bytes:
    seen = b""
    while needle not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return seen


def _in_terminal(project: Path, *args: str) -> tuple[subprocess.Popen[bytes], int]:
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-c", APP, *args], cwd=project, env=environment(project),
        stdin=secondary, stdout=secondary, stderr=secondary, start_new_session=True,
    )  # fmt: skip
    os.close(secondary)
    return process, primary


def test_answering_no_in_a_terminal_exits_one(project: Path) -> None:
    process, terminal = _in_terminal(project, "llm", "train")
    deadline = time.monotonic() + 60
    try:
        assert b"Launch? [y/N]" in _read_until(terminal, b"Launch? [y/N]", deadline)
        os.write(terminal, b"n\n")
        rest = _read_until(terminal, b"answered no", deadline)
        assert process.wait(timeout=60) == 1
    finally:
        os.close(terminal)
    assert b"Traceback" not in rest


def test_ctrl_c_then_no_leaves_cleanly(project: Path) -> None:
    process, terminal = _in_terminal(project, "llm", "sleepy", "seconds=8", "--yes", "--tail-logs")
    deadline = time.monotonic() + 90
    try:
        assert b"sleeping now" in _read_until(terminal, b"sleeping now", deadline)
        os.killpg(process.pid, signal.SIGINT)
        asked = _read_until(terminal, b"[y/N]", deadline)
        assert b"cancel running jobs?" in asked
        os.write(terminal, b"n\n")
        rest = _read_until(terminal, b"error: interrupted", deadline)
        assert process.wait(timeout=60) == 130
    finally:
        os.close(terminal)
        if process.poll() is None:
            process.kill()
    assert b"Traceback" not in asked + rest
    assert b"keep running" in rest
