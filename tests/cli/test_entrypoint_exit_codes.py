"""Entrypoints run from the app (``nemorun GROUP ENTRYPOINT``): listing, confirmation, exit codes.

Real subprocesses with a fake installed distribution declaring a ``nemo_run.cli`` group; the
Ctrl+C and "answered no" cases run in a real pseudo-terminal.
"""

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


@run.cli.entrypoint
def here(code: int = 0, crash: bool = False) -> None:
    """Run in this process (no executor)."""
    print("here", flush=True)
    if crash:
        raise ValueError("bad value inside")
    if code:
        raise SystemExit(code)


def step(code: int) -> None:
    print("step", code, flush=True)
    raise SystemExit(code)


@run.cli.entrypoint(type="experiment")
def pipeline(ctx, code: int = 0, jobs: int = 1) -> None:
    """Launch an experiment of `jobs` steps."""
    with run.Experiment("pipeline", executor=LocalExecutor()) as exp:
        for index in range(jobs):
            exp.add(run.Partial(step, code=code), name=f"step{index}")
        exp.run()
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
    rows = {line.split()[0]: " ".join(line.split()[1:]) for line in listing.stdout.splitlines()
            if line.startswith("  ")}  # fmt: skip
    assert rows["train"] == "Train for a few epochs."
    assert rows["sleepy"] == "Sleep, printing first."
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


def test_answering_no_in_a_terminal_exits_one(
    project: Path, terminal: Callable[..., Any], nemorun_command: list[str]
) -> None:
    shown = terminal([*nemorun_command, "llm", "train"], env=environment(project), cwd=project)
    shown.read_until("Launch? [y/N]")
    shown.write("n\n")
    rest = shown.read_until("answered no")
    assert shown.wait() == 1
    assert "Traceback" not in rest


def test_ctrl_c_then_no_leaves_cleanly(
    project: Path, terminal: Callable[..., Any], nemorun_command: list[str]
) -> None:
    command = [*nemorun_command, "llm", "sleepy", "seconds=8", "--yes", "--tail-logs"]
    shown = terminal(command, env=environment(project), cwd=project)
    shown.read_until("sleeping now", timeout=90)
    os.killpg(shown.pid, signal.SIGINT)
    asked = shown.read_until("[y/N]")
    assert "cancel running jobs?" in asked
    shown.write("n\n")
    rest = shown.read_until("error: interrupted")
    assert shown.wait() == 130
    assert "Traceback" not in asked + rest
    assert "keep running" in rest


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, done.stderr
    return errors[0]


def test_an_in_process_entrypoint_that_fails_is_one_error_line(project: Path) -> None:
    exited = nemorun(project, "llm", "here", "code=4")
    assert exited.returncode == 4
    assert "here" in exited.stdout
    assert one_error_line(exited) == "error: here exited with code 4"
    crashed = nemorun(project, "llm", "here", "crash=true")
    assert crashed.returncode == 1
    line = one_error_line(crashed)
    assert "here failed: ValueError: bad value inside" in line
    verbose = nemorun(project, "llm", "here", "crash=true", "--verbose")
    assert verbose.returncode == 1
    assert "Traceback" in verbose.stderr
    assert 'raise ValueError("bad value inside")' in verbose.stderr
    assert nemorun(project, "llm", "here").returncode == 0


def test_an_entrypoint_script_run_directly_that_fails_is_one_error_line(project: Path) -> None:
    script = project / "train.py"
    script.write_text(
        "import nemo_run as run\n"
        "@run.cli.entrypoint\n"
        "def train(code: int = 0, crash: bool = False):\n"
        "    if crash:\n        raise RuntimeError('exploded')\n"
        "    raise SystemExit(code)\n"
        "if __name__ == '__main__':\n    run.cli.main(train)\n"
    )

    def call(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(script), *args], capture_output=True, text=True, cwd=project,
            env=environment(project), check=False, timeout=120,
        )  # fmt: skip

    exited = call("code=9")
    assert exited.returncode == 9
    assert one_error_line(exited) == "error: train exited with code 9"
    crashed = call("crash=true")
    assert crashed.returncode == 1
    assert "train failed: RuntimeError: exploded" in one_error_line(crashed)
    assert call("code=0").returncode == 0


def test_an_experiment_entrypoint_whose_job_fails_exits_non_zero(project: Path) -> None:
    one = nemorun(project, "llm", "pipeline", "code=6", "--yes")
    assert one.returncode == 6, one.stderr
    line = one_error_line(one)
    assert "job step0 of pipeline_" in line
    assert "FAILED (exit code 6)" in line
    two = nemorun(project, "llm", "pipeline", "code=6", "jobs=2", "--yes")
    assert two.returncode == 1, two.stderr
    assert "and 1 more" in one_error_line(two)
    fine = nemorun(project, "llm", "pipeline", "--yes")
    assert fine.returncode == 0, fine.stderr
    assert not [line for line in fine.stderr.splitlines() if line.startswith("error: ")]
