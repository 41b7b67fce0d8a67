"""Exit markers and the two things that write them inside a job: the runner and the sh wrapper."""

import json
import os
import subprocess
import sys
from pathlib import Path

import nr_config
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nr_exec import (
    EXIT_MARKER_ENV,
    ExitMarker,
    ExitMarkerError,
    read_exit_marker,
    wrap_command,
    write_exit_marker,
)
from nr_exec.states import FailureReason, JobState


def test_marker_round_trip_and_exclusive(tmp_path: Path) -> None:
    path = tmp_path / "exit.json"
    assert read_exit_marker(path) is None
    first = ExitMarker.now(0, started="2025-01-01T00:00:00Z", writer="test")
    assert write_exit_marker(path, first, exclusive=True)
    assert not write_exit_marker(path, ExitMarker(exit_code=1), exclusive=True)
    assert read_exit_marker(path) == first
    assert write_exit_marker(path, ExitMarker(exit_code=2))
    marker = read_exit_marker(path)
    assert marker is not None
    assert marker.exit_code == 2
    assert [p.name for p in tmp_path.iterdir()] == ["exit.json"]  # no temporary files left


@pytest.mark.parametrize("text", ["{", "[]", '{"exit_code": "0"}', '{"started": "x"}'])
def test_corrupt_marker_is_an_error(tmp_path: Path, text: str) -> None:
    (tmp_path / "exit.json").write_text(text)
    with pytest.raises(ExitMarkerError, match="invalid exit marker"):
        read_exit_marker(tmp_path / "exit.json")


def test_marker_ignores_unknown_keys(tmp_path: Path) -> None:
    (tmp_path / "exit.json").write_text('{"exit_code": 0, "future": 1}')
    assert read_exit_marker(tmp_path / "exit.json") == ExitMarker(exit_code=0)


@pytest.mark.parametrize(
    ("marker", "state", "reason", "message"),
    [
        (ExitMarker(exit_code=0), JobState.SUCCEEDED, None, ""),
        (
            ExitMarker(exit_code=1, error="ValueError: x"),
            JobState.FAILED,
            FailureReason.USER_ERROR,
            "ValueError: x",
        ),
        (ExitMarker(exit_code=137), JobState.FAILED, None, "killed by signal SIGKILL"),
        (
            ExitMarker(exit_code=143, cancelled=True, error="cancelled"),
            JobState.CANCELLED,
            None,
            "cancelled",
        ),
    ],
)
def test_marker_to_status(
    marker: ExitMarker, state: JobState, reason: FailureReason | None, message: str
) -> None:
    status = marker.to_status()
    assert (status.state, status.reason, status.exit_code, status.message) == (
        state,
        reason,
        marker.exit_code,
        message,
    )


def _run_runner(
    task: object, tmp_path: Path, *, marker: bool = True
) -> tuple[subprocess.CompletedProcess[str], Path]:
    config = tmp_path / "task.json"
    config.write_text(nr_config.dumps_json(task))
    env = {**os.environ, "PYTHONPATH": str(Path.cwd())}
    path = tmp_path / "exit.json"
    if marker:
        env[EXIT_MARKER_ENV] = str(path)
    proc = subprocess.run(
        [sys.executable, "-m", "nr_exec.runner", str(config)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return proc, path


def test_runner_success(home: Path, tmp_path: Path) -> None:
    import nrx_tasks

    proc, path = _run_runner(nr_config.Partial(nrx_tasks.hello, name="runner"), tmp_path)
    assert (proc.returncode, proc.stdout) == (0, "hello runner\n")
    marker = read_exit_marker(path)
    assert marker is not None
    assert (marker.exit_code, marker.writer, marker.error) == (0, "runner", None)
    assert marker.started is not None
    assert marker.ended is not None
    assert marker.started <= marker.ended
    assert marker.host == os.uname().nodename


def test_runner_exception_writes_marker(home: Path, tmp_path: Path) -> None:
    import nrx_tasks

    proc, path = _run_runner(nr_config.Partial(nrx_tasks.boom, message="bad input"), tmp_path)
    assert proc.returncode == 1
    assert "ValueError: bad input" in proc.stderr  # the traceback is printed
    marker = read_exit_marker(path)
    assert marker is not None
    assert (marker.exit_code, marker.error) == (1, "ValueError: bad input")


def test_runner_system_exit(home: Path, tmp_path: Path) -> None:
    import nrx_tasks

    proc, path = _run_runner(nr_config.Partial(nrx_tasks.leave, code=7), tmp_path)
    assert proc.returncode == 7
    marker = read_exit_marker(path)
    assert marker is not None
    assert (marker.exit_code, marker.error) == (7, "SystemExit: 7")


def test_runner_without_marker_variable(home: Path, tmp_path: Path) -> None:
    import nrx_tasks

    proc, path = _run_runner(nr_config.Partial(nrx_tasks.hello), tmp_path, marker=False)
    assert proc.returncode == 0
    assert not path.exists()


def test_runner_refuses_non_callable(home: Path, tmp_path: Path) -> None:
    proc, path = _run_runner(nr_config.Config(dict, a=1), tmp_path)
    assert proc.returncode == 1
    marker = read_exit_marker(path)
    assert marker is not None
    assert "not a callable" in str(marker.error)


def test_runner_resolves_main_targets(tmp_path: Path) -> None:
    main = tmp_path / "main.py"
    main.write_text("def greet():\n    print('from main', flush=True)\n")
    config = tmp_path / "task.json"
    config.write_text(json.dumps({"_target_": "__main__:greet", "_partial_": True}))
    result = subprocess.run(
        [sys.executable, "-m", "nr_exec.runner", str(config), "--main", str(main)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout) == (0, "from main\n"), result.stderr


def _wrapped(command: list[str], marker: Path | None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop(EXIT_MARKER_ENV, None)
    if marker is not None:
        env[EXIT_MARKER_ENV] = str(marker)
    return subprocess.run(
        wrap_command(command), env=env, capture_output=True, text=True, check=False
    )


odd = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(args=st.lists(odd, max_size=4), code=st.integers(0, 125))
def test_wrapper_passes_args_untouched_and_propagates_exit(
    tmp_path: Path, args: list[str], code: int
) -> None:
    marker = tmp_path / "weird 'dir\" $x" / "exit.json"
    marker.parent.mkdir(exist_ok=True)
    marker.unlink(missing_ok=True)
    program = "import sys, json; print(json.dumps(sys.argv[1:])); sys.exit(int(sys.argv[1]))"
    result = _wrapped([sys.executable, "-c", program, str(code), *args], marker)
    assert result.returncode == code
    assert json.loads(result.stdout) == [str(code), *args]
    written = read_exit_marker(marker)
    assert written is not None
    assert (written.exit_code, written.writer) == (code, "wrapper")
    assert written.host == os.uname().nodename


def test_wrapper_hides_marker_from_the_command(tmp_path: Path) -> None:
    result = _wrapped(
        ["sh", "-c", f'echo "[${{{EXIT_MARKER_ENV}:-unset}}]"'], tmp_path / "exit.json"
    )
    assert result.stdout == "[unset]\n"


def test_wrapper_without_marker_variable(tmp_path: Path) -> None:
    result = _wrapped(["sh", "-c", "exit 4"], None)
    assert result.returncode == 4
    assert list(tmp_path.iterdir()) == []


def test_wrapper_missing_command(tmp_path: Path) -> None:
    result = _wrapped(["/nonexistent/program"], tmp_path / "exit.json")
    assert result.returncode == 127
    marker = read_exit_marker(tmp_path / "exit.json")
    assert marker is not None
    assert marker.exit_code == 127
