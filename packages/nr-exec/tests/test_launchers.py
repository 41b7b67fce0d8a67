"""Launcher command lines (the reference shapes) and the task -> job spec step."""

import shlex
from pathlib import Path

import nr_config
import pytest
from nr_exec import (
    ExecError,
    FaultTolerance,
    LauncherError,
    LocalExecutor,
    SlurmTemplate,
    Torchrun,
    make_job_spec,
)
from nr_exec.launchers import LaunchContext, Launcher
from nr_exec.testing import FakeExecutor
from nr_exec.wrapper import WRAPPER_SCRIPT


def _command(argv: tuple[str, ...]) -> list[str]:
    """The command inside the exit-marker wrapper."""
    assert argv[:4] == ("/bin/sh", "-c", WRAPPER_SCRIPT, "nr-exec")
    return list(argv[4:])


def test_torchrun_single_node_partial(home: Path) -> None:
    import nrx_tasks

    executor = LocalExecutor(ntasks_per_node=2, launcher=Torchrun(rdzv_id=42))
    spec = make_job_spec(nr_config.Partial(nrx_tasks.hello), executor, name="t")
    cfg = f"{spec.job_dir}/configs/t.task.json"
    assert _command(spec.argv) == shlex.split(
        "torchrun --rdzv-backend c10d --rdzv-endpoint localhost:0 --rdzv-id 42 --nnodes 1 "
        f"--nproc-per-node 2 --node-rank 0 --tee 3 -m nr_exec.runner {cfg}"
    )
    assert spec.launcher == "torchrun"
    assert spec.resources.ntasks_per_node == 1  # torchrun starts the workers
    assert spec.env["LOGLEVEL"] == "INFO"


def test_torchrun_bash_script_uses_no_python(home: Path) -> None:
    spec = make_job_spec(
        nr_config.Script(path="train.sh", args=["--x", "1"]),
        LocalExecutor(launcher=Torchrun(rdzv_id=1)),
    )
    command = _command(spec.argv)
    assert command[-4:] == ["--no-python", "train.sh", "--x", "1"]


def test_torchrun_python_module_script(home: Path) -> None:
    script = nr_config.Script(path="pkg.train", m=True, entrypoint="python", args=["a"])
    command = _command(make_job_spec(script, LocalExecutor(launcher="torchrun")).argv)
    assert "--no-python" not in command
    assert command[-3:] == ["-m", "pkg.train", "a"]
    rdzv_id = int(command[command.index("--rdzv-id") + 1])
    assert 1 <= rdzv_id <= 10000


def test_torchrun_multi_node_uses_launching_environment(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MASTER_ADDR", "10.0.0.1")
    monkeypatch.setenv("MASTER_PORT", "1234")
    monkeypatch.setenv("NODE_RANK", "1")
    executor = LocalExecutor(nodes=2, ntasks_per_node=4, launcher=Torchrun(rdzv_id=5))
    command = _command(make_job_spec(nr_config.Script(path="x.sh"), executor).argv)
    assert " ".join(command).startswith(
        "torchrun --rdzv-backend c10d --rdzv-endpoint 10.0.0.1:1234 --rdzv-id 5 --nnodes 2 "
        "--nproc-per-node 4 --node-rank 1 --tee 3 --no-python x.sh"
    )


def test_torchrun_multi_node_macros() -> None:
    context = LaunchContext(
        nnodes=4, nproc_per_node=8, head_node="$head_node_ip", node_rank="$SLURM_NODEID"
    )
    command = Torchrun(rdzv_id=3).launch_command("python", ["-m", "m"], context)
    assert command[command.index("--rdzv-endpoint") + 1] == "$head_node_ip:29500"
    assert command[command.index("--node-rank") + 1] == "$SLURM_NODEID"


def test_fault_tolerance_options_lead() -> None:
    launcher = FaultTolerance(
        rdzv_id=1, workload_check_interval=5.0, rank_termination_signal="SIGKILL", max_restarts=3
    )
    command = launcher.launch_command("python", ["t.py"], LaunchContext(nproc_per_node=2))
    assert command[:7] == [
        "ft_launcher",
        "--ft-workload_check_interval",
        "5.0",
        "--ft-rank_termination_signal",
        "SIGKILL",
        "--max-restarts",
        "3",
    ]
    assert command[7:9] == ["--rdzv-backend", "c10d"]


def test_fault_tolerance_without_options() -> None:
    command = FaultTolerance(rdzv_id=1).launch_command("bash", ["t.sh"], LaunchContext())
    assert command[:3] == ["ft_launcher", "--ignore-missing-fault-tol-cfg", "--rdzv-backend"]
    assert command[-2:] == ["--no-python", "t.sh"]


def test_nsys_prefix() -> None:
    launcher = Launcher(nsys_profile=True, nsys_extra_args=["--x"])
    prefix = launcher.get_nsys_prefix("/j")
    assert prefix is not None
    assert Launcher().get_nsys_prefix("/j") is None
    command = launcher.launch_command(
        "python", ["t.py"], LaunchContext(job_dir="/j", prefix=("nsys", *prefix))
    )
    assert command == [
        "nsys",
        "profile",
        "-s",
        "none",
        "-t",
        "nvtx,cuda",
        "-o",
        "/j/nsys_profile/profile_%p",
        "--x",
        "python",
        "t.py",
    ]


def test_slurm_template_renders_and_needs_a_template(tmp_path: Path) -> None:
    with pytest.raises(LauncherError.__mro__[1], match="exactly one"):
        SlurmTemplate()
    with pytest.raises(LauncherError.__mro__[1], match="exactly one"):
        SlurmTemplate(template_path="a", template_inline="b")
    template = SlurmTemplate(
        template_inline="#!/bin/bash\n{{ pre }}\n{{ command }}\n", template_vars={"pre": "set -e"}
    )
    script = template.transform(["echo", "a b"])
    assert script.inline == "#!/bin/bash\nset -e\necho 'a b'\n"
    path = tmp_path / "t.j2"
    path.write_text("run: {{ command }} {{ missing }}")
    with pytest.raises(Exception, match="missing"):
        SlurmTemplate(template_path=str(path)).transform(["x"])


def test_slurm_template_refused_by_local_executor(home: Path) -> None:
    executor = LocalExecutor(launcher=SlurmTemplate(template_inline="{{ command }}"))
    with pytest.raises(LauncherError, match="only backends that render script templates"):
        make_job_spec(nr_config.Script(inline="echo hi"), executor)


def test_slurm_template_on_an_executor_that_supports_it(home: Path) -> None:
    executor = FakeExecutor(
        features=("launcher_transform",),
        launcher=SlurmTemplate(template_inline="# pre\n{{ command }}\n"),
        job_dir="/j",
    )
    spec = make_job_spec(nr_config.Script(path="run.sh", args=["a"]), executor, name="n")
    assert spec.launcher == "slurm_template"
    assert _command(spec.argv) == ["bash", "/j/scripts/n_template.sh"]
    (script,) = spec.files
    assert script.content == "#!/usr/bin/env bash\n# pre\nbash run.sh a\n"


def test_task_must_be_partial_or_script(home: Path) -> None:
    with pytest.raises(ExecError, match="Partial or a Script"):
        make_job_spec(print, LocalExecutor())


def test_partial_spec_layout(home: Path) -> None:
    import nrx_tasks

    executor = LocalExecutor(env_vars={"A": "1"}, retries=2, experiment_id="exp-1")
    spec = executor.to_job_spec(nr_config.Partial(nrx_tasks.hello, name="x"))
    assert spec.name == "hello"
    assert spec.job_id.startswith("hello-")
    assert spec.job_dir == str(home / "jobs" / spec.job_id)
    assert spec.argv[1:3] == ("-m", "nr_exec.runner")
    assert spec.env == {"A": "1"}
    assert (spec.retries, spec.experiment_id, spec.launcher) == (2, "exp-1", None)
    (config,) = spec.files
    assert nr_config.loads_json(config.content) == nr_config.Partial(nrx_tasks.hello, name="x")


def test_inline_script_spec(home: Path) -> None:
    script = nr_config.Script(inline="echo $GREETING", env={"GREETING": "hi"}, metadata={"k": 1})
    spec = make_job_spec(script, LocalExecutor(), job_dir="/j", job_id="j-1")
    assert _command(spec.argv) == ["bash", "/j/scripts/echo_GREE.sh"]
    (file,) = spec.files
    assert file.executable
    assert file.content == "#!/usr/bin/env bash\necho $GREETING\n"
    assert spec.env["GREETING"] == "hi"
    assert spec.metadata == {"k": 1}


def test_debug_packager_env(home: Path) -> None:
    from nr_package import Packager

    spec = make_job_spec(
        nr_config.Script(path="x.sh"),
        LocalExecutor(launcher="torchrun", packager=Packager(debug=True)),
    )
    assert spec.env["TORCH_DISTRIBUTED_DEBUG"] == "DETAIL"
