"""Script tasks (issue point 6)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import nr_config as nc
import pytest


def test_naming_rules() -> None:
    assert nc.Script(inline="\n  env; echo hi  ").get_name() == "env_echo_"
    assert nc.Script(inline="env | echo hi").get_name() == "env_echo"
    assert nc.Script(inline="echo 'x'").get_name() == "echo_x_"
    assert nc.Script(path="/a/b/train.sh").get_name() == "train.sh"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one"),
        ({"path": "a.sh", "inline": "echo"}, "exactly one"),
        ({"path": "a.sh", "entrypoint": " "}, "entrypoint"),
        ({"path": "pkg.mod", "m": True}, "Python entrypoint"),
        ({"inline": "x", "m": True, "entrypoint": "python"}, "not 'inline'"),
        ({"path": "a.sh", "args": "--x"}, "args"),
        ({"path": "a.sh", "env": {"A": 1}}, "env"),
    ],
)
def test_validation_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(nc.ScriptError, match=message):
        nc.Script(**kwargs)  # type: ignore[arg-type]


def test_argv_for_path_and_module() -> None:
    assert nc.Script(path="run.sh", args=["-v"]).argv() == ["run.sh", "-v"]
    script = nc.Script(path="pkg.train", m=True, entrypoint="python", args=["--lr", "1"])
    assert script.argv(with_entrypoint=True) == ["python", "-m", "pkg.train", "--lr", "1"]


def test_to_command_is_nemo_runs_shell_words(tmp_path: Path) -> None:
    script = nc.Script(inline='echo "a b" && echo $HOME_X', env={"HOME_X": "h"})
    words = script.to_command(with_entrypoint=True)
    assert words == ["bash", "-c", '"echo \\"a b\\" && echo $HOME_X"']
    shell = subprocess.run(  # noqa: S602 - the words are meant for a shell, as NeMo-Run joins them
        " ".join(words),
        shell=True,
        capture_output=True,
        text=True,
        check=True,
        env={"HOME_X": "h", "PATH": os.environ["PATH"]},
    )
    assert shell.stdout == "a b\nh\n"
    local = script.to_command(filename=tmp_path / "scripts" / "s.sh", is_local=True)
    assert local == [str(tmp_path / "scripts" / "s.sh")]
    assert os.access(local[0], os.X_OK)
    remote = script.to_command(filename=tmp_path / "scripts" / "s.sh")
    assert remote == ["/nemo_run/scripts/s.sh"]
    module = nc.Script(path="pkg.train", m=True, entrypoint="python", args=["--lr", "1"])
    assert module.to_command() == ["-m", "pkg.train", "--lr", "1"]


def test_inline_command_runs(tmp_path: Path) -> None:
    script = nc.Script(inline='echo "got $1"', args=["x y"])
    argv = script.argv(with_entrypoint=True)
    assert subprocess.run(argv, capture_output=True, text=True, check=True).stdout == "got x y\n"
    written = script.write(tmp_path / "scripts" / "s.sh", substitute_rundir_path="/tmp/run")
    assert os.access(written, os.X_OK)
    argv = script.argv(filename=written)
    assert argv == [str(written), "x y"]
    assert subprocess.run(argv, capture_output=True, text=True, check=True).stdout == "got x y\n"


def test_content_substitutes_rundir() -> None:
    script = nc.Script(inline="cd /nemo_run/code && ls")
    assert script.content(substitute_rundir_path="/scratch/r") == (
        "#!/usr/bin/env bash\ncd /scratch/r/code && ls"
    )
    with pytest.raises(nc.ScriptError):
        nc.Script(path="a.sh").content()


def test_script_round_trips_as_config() -> None:
    script = nc.Script(path="a.sh", env={"A": "1"}, metadata={"use_with_ray_cluster": True})
    cfg = nc.to_config(script)
    assert cfg.__fn_or_cls__ is nc.Script
    assert nc.loads_json(nc.dumps_json(cfg)).build() == script
    task = nc.Config(dict, script=script)
    assert isinstance(task.script, nc.Config)
