"""What a Slurm spec carries (settings, placement) and how a backend is rebuilt (connection)."""

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from nr_config import Partial, Script
from nr_exec import BackendContext, LocalExecutor, backend_for_handle, create_backend
from nr_exec.errors import BackendError
from nr_exec.slurm import SlurmBackend, SlurmContainer, SlurmExecutor, SlurmSettings
from nr_exec.slurm.find import parse_find
from nr_exec.wrapper import WRAPPER_SCRIPT
from nr_package import GitArchivePackager, Packager
from nr_tunnel import LocalTunnel, SSHTunnel


def _ssh(root: str = "/lustre/me") -> SSHTunnel:
    return SSHTunnel(host="login.example", user="me", port=2222, job_dir=root, identity="~/k")


def test_settings_round_trip_through_json(make_executor: Callable[..., SlurmExecutor]) -> None:
    executor = make_executor(
        packager=GitArchivePackager(),
        qos="high",
        exclusive=True,
        additional_parameters={"mail_type": "END", "--requeue": False},
        container_image="img:1",
        container_mounts=["/data:/data:ro"],
        container_env=["TOKEN"],
        srun_args=["--mpi=pmix"],
        heterogeneous=True,
        het_group_indices=[0, 0, 1],
        dependencies=["slurm://local/12"],
        dependency_type="afterany",
    )
    settings = executor.settings("/home/me/.run/jobs/j")
    again = SlurmSettings.from_options(json.loads(json.dumps(settings.to_options())))
    assert again == settings
    assert again.container == SlurmContainer(
        image="img:1", mounts=("/data:/data:ro",), env=("TOKEN",)
    )
    assert again.het_group_indices == (0, 0, 1)
    assert again.options()["mail-type"] == "END"
    assert again.options()["exclusive"] is True
    assert again.options()["requeue"] is False
    assert again.ships_code


def test_spec_carries_settings_and_no_wrapper(make_executor: Callable[..., SlurmExecutor]) -> None:
    executor = make_executor(time="00:05:00")
    spec = executor.to_job_spec(Script(inline="echo hi"), name="s", job_id="s-1")
    assert WRAPPER_SCRIPT not in spec.argv
    assert SlurmSettings.from_options(spec.backend_options).options()["partition"] == "gpu"
    assert spec.resources.time == "00:05:00"
    local = LocalExecutor().to_job_spec(Script(inline="echo hi"), job_dir="/tmp/x")
    assert local.argv[2] == WRAPPER_SCRIPT


def test_placement_on_the_cluster(make_executor: Callable[..., SlurmExecutor]) -> None:
    local_dir = "/home/u/.run/experiments/t/t_1/train"
    executor = make_executor()
    root = executor.remote_root()
    plain = executor.placement("train", local_dir)
    assert (plain.job_dir, plain.workdir) == (f"{root}/jobs/train", f"{root}/jobs/train")
    shipped = make_executor(packager=GitArchivePackager(), experiment_id="t_1")
    placed = shipped.placement("train", local_dir)
    assert placed.job_dir == f"{root}/t_1/train"
    assert placed.workdir == f"{root}/t_1/train/code"
    assert placed.launch_context.head_node == "${head_node_ip}"
    assert placed.launch_context.node_rank == "${SLURM_NODEID}"
    fixed = make_executor(job_dir=f"{root}/mine").placement("train", f"{root}/mine")
    assert fixed.job_dir == f"{root}/mine"  # an explicit directory on the cluster
    stored = make_executor(job_dir=local_dir).placement("train", local_dir)
    assert stored.job_dir == f"{root}/jobs/train"  # a directory of the launching side
    spec = shipped.to_job_spec(
        Partial(shutil.copyfile, src="a", dst="b"), name="train", job_dir=local_dir
    )
    assert spec.job_dir == f"{root}/t_1/train"
    assert spec.argv[-1] == f"{root}/t_1/train/configs/train.task.json"


def test_a_spec_without_slurm_settings_is_refused(tmp_path: Path) -> None:
    backend = SlurmBackend(LocalTunnel(job_dir="/r"), context=BackendContext.default(tmp_path))
    local = LocalExecutor().to_job_spec(Script(inline="true"), job_dir=str(tmp_path / "j"))
    with pytest.raises(BackendError, match="carries no Slurm settings"):
        backend.dryrun(local)


def test_an_array_needs_equal_settings(
    backend_of: Callable[[SlurmExecutor], SlurmBackend],
    make_executor: Callable[..., SlurmExecutor],
) -> None:
    first, second = make_executor(partition="a"), make_executor(partition="b")
    specs = [e.to_job_spec(Script(inline="true"), name="t") for e in (first, second)]
    with pytest.raises(BackendError, match="one shape"):
        backend_of(first).dryrun_array(specs, max_array_size=10)


def test_capabilities_declare_markers_and_templates() -> None:
    caps = SlurmBackend.capabilities
    assert caps.exit_markers
    assert caps.launcher_transform
    assert SlurmExecutor(packager=Packager()).capabilities() == caps


@pytest.mark.parametrize("tunnel", [LocalTunnel(job_dir="/r/slurm"), _ssh()], ids=["local", "ssh"])
def test_connection_rebuilds_the_backend(tunnel: LocalTunnel | SSHTunnel, tmp_path: Path) -> None:
    executor = SlurmExecutor(packager=Packager(), tunnel=tunnel)
    data = json.loads(json.dumps(executor.connection()))
    context = BackendContext.default(tmp_path, connection=data)
    backend = create_backend("slurm", executor.info().rsplit(" ", 1)[-1], context=context)
    assert isinstance(backend, SlurmBackend)
    assert backend.tunnel == tunnel
    assert backend.root == tunnel.job_dir
    assert backend.connection() == data
    other = backend_for_handle(f"slurm://{backend.cluster}/12", context=context)
    assert isinstance(other, SlurmBackend)
    assert other.cluster == backend.cluster


def test_local_cluster_without_connection_uses_the_home(tmp_path: Path) -> None:
    backend = create_backend("slurm", "local", context=BackendContext.default(tmp_path))
    assert isinstance(backend, SlurmBackend)
    assert backend.root == str(tmp_path / "slurm")
    assert backend.connection() == {"tunnel": "local", "root": str(tmp_path / "slurm")}


def test_bad_connections_are_refused_clearly(tmp_path: Path) -> None:
    home = BackendContext.default(tmp_path)
    with pytest.raises(BackendError, match="no connection data for slurm://me@login"):
        create_backend("slurm", "me@login", context=home)
    ssh = home.with_connection(SlurmExecutor(packager=Packager(), tunnel=_ssh()).connection())
    with pytest.raises(BackendError, match="not slurm://other@host"):
        create_backend("slurm", "other@host", context=ssh)
    with pytest.raises(BackendError, match="not Slurm connection data"):
        create_backend("slurm", "", context=home.with_connection({"engine": "tcp://x"}))
    broken = {"tunnel": "ssh", "root": "/r", "ssh": {"host": "h", "user": "u", "colour": 1}}
    with pytest.raises(BackendError, match="no setting 'colour'"):
        create_backend("slurm", "", context=home.with_connection(broken))
    with pytest.raises(BackendError, match="needs job_dir"):
        SlurmBackend(_ssh(root=""), context=home)


def test_find_matches_names_arrays_and_latest() -> None:
    output = "\n".join(
        [
            "@@elements",
            "exp_1/arrays/sweep-0/jobs.txt:2:el-b",
            "@@squeue",
            "40|exp_1.train-1",
            "41_[0-2]|sweep-0",
            "42+0|pre.het-1",
            "42+1|pre.het-1",
            "@@sacct 0",
            "30|exp_1.train-1",
            "31|train-1",
            "41_0|sweep-0",
        ]
    )
    names = ["train-1", "el-b", "het-1", "never"]
    assert parse_find(output, names) == {"train-1": "31", "el-b": "41_1", "het-1": "42"}
    disabled = output.replace("@@sacct 0", "@@sacct 1")
    assert parse_find(disabled, names)["train-1"] == "40"
