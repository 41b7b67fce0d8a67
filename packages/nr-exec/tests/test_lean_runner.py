"""The in-job runner stays lean: what it imports, what it builds, what its marker says."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import nr_config
import pytest
from nr_exec import EXIT_MARKER_ENV, EnvVar, ExitMarker, read_exit_marker
from nr_exec.marker_writer import host_name, marker_text, utc_now, write_marker_text

#: What a job must not pay for: validation, rich output, argument parsing, sockets.
UNWANTED = ("pydantic", "nr_config.validation", "rich", "argparse", "socket")

TASK_MODULE = """
import dataclasses, enum, json, pathlib, sys

UNWANTED = {unwanted!r}


class Mode(enum.Enum):
    FAST = 1


@dataclasses.dataclass
class Settings:
    size: int
    mode: Mode = Mode.FAST


def report(out, **values):
    # Taken first, before this task imports anything of its own.
    loaded = sorted(name for name in UNWANTED if name in sys.modules)
    with open(out, "w") as file:
        json.dump({{"loaded": loaded, "values": repr(sorted(values.items()))}}, file)
"""


def _write_task_module(directory: Path) -> None:
    (directory / "nrx_lean_tasks.py").write_text(TASK_MODULE.format(unwanted=UNWANTED))


def _runner(
    args: list[str], cwd: Path, marker: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != EXIT_MARKER_ENV}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(cwd), env.get("PYTHONPATH")]))
    if marker is not None:
        env[EXIT_MARKER_ENV] = str(marker)
    return subprocess.run(
        [sys.executable, "-m", "nr_exec.runner", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_runner_imports_nothing_heavy_and_builds_every_kind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_task_module(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    import nrx_lean_tasks as tasks

    shared = nr_config.Config(tasks.Settings, size=3)
    out = tmp_path / "out.json"
    task = nr_config.Partial(
        tasks.report,
        out=str(out),
        settings=shared,
        again=shared,
        values={1: (2, 3), "set": {4}, "frozen": frozenset({5}), "bytes": b"\x01"},
        floats=[float("inf"), -1.5],
        path=Path("a/b"),
        mode=tasks.Mode.FAST,
        cls=tasks.Settings,
        nothing=None,
    )
    (tmp_path / "task.json").write_text(nr_config.dumps_json(task))
    result = _runner(["task.json"], tmp_path, marker=tmp_path / "exit.json")
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text())
    assert report["loaded"] == []
    expected = nr_config.build(task).keywords
    expected.pop("out")
    assert report["values"] == repr(sorted(expected.items()))


def test_runner_marker_is_what_exit_marker_writes(tmp_path: Path) -> None:
    marker = tmp_path / "exit.json"
    text = marker_text(3, started="s", ended="e", host="h", writer="runner", error='bad "quote" é')
    reference = ExitMarker(
        3, started="s", ended="e", host="h", writer="runner", error='bad "quote" é'
    )
    assert text == reference.to_json()
    write_marker_text(str(marker), text)
    assert read_exit_marker(marker) == reference
    assert [p.name for p in tmp_path.iterdir()] == ["exit.json"]  # no temporary file left


def test_marker_writer_agrees_with_the_rest_of_nr_exec() -> None:
    assert EnvVar.EXIT_MARKER.value == EXIT_MARKER_ENV
    import socket

    assert host_name() == socket.gethostname()
    stamp = utc_now()
    assert len(stamp) == len("2025-01-01T00:00:00.000Z")
    assert stamp.endswith("Z")
    assert stamp[10] == "T"


def test_a_bad_task_file_is_reported_in_the_log_and_the_marker(tmp_path: Path) -> None:
    (tmp_path / "task.json").write_text('{"_target_": "no_such_module_xyz:run", "_partial_": true')
    result = _runner(["task.json"], tmp_path, marker=tmp_path / "exit.json")
    assert result.returncode == 1
    assert "cannot load the task in task.json" in result.stderr
    assert "invalid JSON" in result.stderr
    marker = read_exit_marker(tmp_path / "exit.json")
    assert marker is not None
    assert str(marker.error).startswith("cannot load the task in task.json: DeserializationError")


def test_a_missing_task_file_is_reported(tmp_path: Path) -> None:
    result = _runner(["absent.json"], tmp_path, marker=tmp_path / "exit.json")
    assert result.returncode == 1
    marker = read_exit_marker(tmp_path / "exit.json")
    assert marker is not None
    assert "cannot load the task in absent.json: FileNotFoundError" in str(marker.error)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "the following arguments are required: task"),
        (["a.json", "b.json"], "unrecognized argument: b.json"),
        (["a.json", "--main"], "argument --main: expected one argument"),
        (["--verbose", "a.json"], "unrecognized argument: --verbose"),
    ],
)
def test_command_line_errors_show_the_usage(tmp_path: Path, args: list[str], message: str) -> None:
    result = _runner(args, tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("usage: python -m nr_exec.runner")
    assert message in result.stderr


def test_help_and_main_option_forms(tmp_path: Path) -> None:
    assert "--main MAIN_SCRIPT" in _runner(["--help"], tmp_path).stdout
    main = tmp_path / "main.py"
    main.write_text(
        textwrap.dedent(
            """
            import nr_config
            GUARDED = nr_config.loading_main_module()

            def greet():
                print("guarded" if GUARDED else "unguarded", flush=True)
            """
        )
    )
    (tmp_path / "task.json").write_text(
        json.dumps({"_target_": "__main__:greet", "_partial_": True})
    )
    for args in (["task.json", "--main", str(main)], [f"--main={main}", "task.json"]):
        result = _runner(args, tmp_path)
        assert (result.returncode, result.stdout) == (0, "guarded\n"), result.stderr
