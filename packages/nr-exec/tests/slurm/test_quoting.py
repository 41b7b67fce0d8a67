"""Quoting: hostile names, arguments and values survive the generated script unchanged."""

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nr_config import Script
from nr_exec.errors import BackendError, ExecutorConfigError
from nr_exec.slurm import SlurmBackend, SlurmExecutor
from nr_exec.slurm.quoting import command_line, needs_shell, quote, sbatch_value
from nr_tunnel import LocalTunnel

HOSTILE = [
    "it's",
    'say "hi"',
    "$(touch /tmp/pwned)",
    "`id`",
    "a;b && c | d",
    "new\nline",
    "${HOME}",
    "${SLURM_NODEID",
    "* ? [x]",
    "-",
    "",
    "tab\there",
    "ünïcödé",
]
_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"))
# Arguments without the per-task references that the script expands on purpose.
_literal = _text.filter(lambda arg: not needs_shell([arg]))


def _bash_argv(line: str) -> list[str]:
    out = subprocess.run(
        ["bash", "-c", f"printf '%s\\0' {line}"], capture_output=True, check=True
    ).stdout
    return out.decode().split("\0")[:-1]


@settings(max_examples=200, deadline=None)
@given(st.lists(_literal, min_size=1, max_size=4))
def test_command_line_round_trips(argv: list[str]) -> None:
    assert _bash_argv(command_line(argv)) == argv


@settings(max_examples=200, deadline=None)
@given(_text)
def test_quote_round_trips(value: str) -> None:
    assert _bash_argv(quote(value)) == [value]


def test_only_known_variables_expand() -> None:
    line = command_line(["--node-rank", "${SLURM_NODEID}", "${HOME}", "x${head_node_ip}:1"])
    env = {
        "SLURM_NODEID": "3",
        "head_node_ip": "10.0.0.1",
        "HOME": "/root",
        "PATH": os.environ["PATH"],
    }
    out = subprocess.run(
        ["bash", "-c", f"printf '%s\\0' {line}"], env=env, capture_output=True, check=True
    ).stdout
    assert out.decode().split("\0")[:-1] == ["--node-rank", "3", "${HOME}", "x10.0.0.1:1"]


@pytest.mark.parametrize("value", ["plain", "two words", "it's", 'say "x"'])
def test_sbatch_values(value: str) -> None:
    rendered = sbatch_value("comment", value)
    if rendered != value:
        assert rendered[0] == rendered[-1] in "'\""
        assert rendered[1:-1] == value


@pytest.mark.parametrize("value", ["a\nb", "both ' and \"", "back\\slash"])
def test_sbatch_refuses_unwritable_values(value: str) -> None:
    with pytest.raises(ValueError, match="--comment"):
        sbatch_value("comment", value)


def test_hostile_comment_is_refused_at_dryrun(
    backend_of: Callable[[SlurmExecutor], SlurmBackend], make_executor: Callable[..., SlurmExecutor]
) -> None:
    executor = make_executor(comment="x\n#SBATCH --uid=0")
    spec = executor.to_job_spec(Script(inline="true"), name="x")
    with pytest.raises(BackendError, match="--comment"):
        backend_of(executor).dryrun(spec)


def test_bad_env_name_is_refused(
    backend_of: Callable[[SlurmExecutor], SlurmBackend], make_executor: Callable[..., SlurmExecutor]
) -> None:
    executor = make_executor(env_vars={"A B": "1"})
    spec = executor.to_job_spec(Script(inline="true"), name="x")
    with pytest.raises(BackendError, match="A B"):
        backend_of(executor).dryrun(spec)


_FAKE_SRUN = """#!/bin/sh
while [ $# -gt 0 ]; do case "$1" in --*) shift ;; *) break ;; esac; done
exec "$@"
"""


@pytest.mark.parametrize("monitor", [None, True, False])
def test_generated_script_runs_hostile_values(
    backend_of: Callable[[SlurmExecutor], SlurmBackend], tmp_path: Path, monitor: bool | None
) -> None:
    """Run the generated script with a fake ``srun``: arguments and env arrive intact."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "srun").write_text(_FAKE_SRUN)
    (bindir / "srun").chmod(0o755)
    root = tmp_path / "root"
    env_vars = {f"V{i}": v for i, v in enumerate(HOSTILE)}
    executor = SlurmExecutor(
        packager=__import__("nr_package").Packager(),
        tunnel=LocalTunnel(job_dir=str(root)),
        env_vars=env_vars,
        monitor_group_job=bool(monitor),
        wait_time_for_group_job=0,
        monitor_group_job_wait_time=0,
    )
    out = tmp_path / "out"
    out.mkdir()
    # One file per step: the steps of a group run concurrently.
    body = f'for a in "$@"; do printf "%s\\0" "$a"; done > {out}/$$; env -0 > {out}/$$.env'
    task = Script(inline=body, args=HOSTILE)
    count = 1 if monitor is None else 2
    specs = [executor.to_job_spec(task, name="it's $(x)", job_id=f"j{i}") for i in range(count)]
    request = backend_of(executor).dryrun(specs)
    for item in request.files:
        Path(item.path).parent.mkdir(parents=True, exist_ok=True)
        Path(item.path).write_text(item.content)
    done = subprocess.run(
        ["bash", request.script_path],
        env={"PATH": f"{bindir}:{os.environ['PATH']}", "SLURM_JOB_ID": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    arguments = sorted(p for p in out.iterdir() if p.suffix != ".env")
    assert len(arguments) == count
    for path in arguments:
        assert path.read_bytes().decode().split("\0")[:-1] == HOSTILE
        environment = path.with_suffix(".env").read_bytes().decode().split("\0")
        for name, value in env_vars.items():
            assert f"{name}={value}" in environment
    marker = json.loads((root / "jobs" / "j0" / "exit.json").read_text())
    assert marker["exit_code"] == 0
    assert marker["writer"] == "sbatch"
    assert not Path("/tmp/pwned").exists()


def test_unknown_sbatch_option_names_field(
    backend_of: Callable[[SlurmExecutor], SlurmBackend], make_executor: Callable[..., SlurmExecutor]
) -> None:
    executor = make_executor(additional_parameters={"mail_tpye": "END"})
    spec = executor.to_job_spec(Script(inline="true"), name="x")
    with pytest.raises(ExecutorConfigError, match=r"additional_parameters.*--mail-type"):
        backend_of(executor).dryrun(spec)


def test_option_syntax_checked_at_construction(make_executor: Callable[..., SlurmExecutor]) -> None:
    with pytest.raises(ExecutorConfigError, match="additional_parameters"):
        make_executor(additional_parameters={"bad name!": 1})
