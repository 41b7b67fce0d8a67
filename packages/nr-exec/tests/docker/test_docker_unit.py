"""DockerExecutor and the docker backend without an engine: validation, dry-run, status rules."""

import dataclasses
import json
import sys
from pathlib import Path

import pytest
from nr_config import Partial, Script
from nr_exec import (
    BackendContext,
    BackendError,
    ExecutorConfigError,
    JobSpec,
    JobState,
    JobStatus,
    UnsupportedFeatureError,
    backend_for,
    create_backend,
)
from nr_exec._logs import read_lines
from nr_exec.docker import DockerBackend, DockerExecutor, DockerSettings
from nr_exec.docker.naming import container_name, engine_name
from nr_exec.docker.status import OOM_ERROR, combine, engine_state, task_status
from nr_exec.marker import ExitMarker
from nr_exec.states import FailureReason
from nr_package import GitArchivePackager, Packager


def work(n: int = 0) -> int:
    return n


def seed_executor(**changes: object) -> DockerExecutor:
    values: dict[str, object] = {
        "container_image": "python:3.12",
        "num_gpus": -1,
        "runtime": "nvidia",
        "ipc_mode": "host",
        "shm_size": "30g",
        "volumes": ["/local/path:/path/in/container"],
        "env_vars": {"PYTHONUNBUFFERED": "1"},
        "packager": Packager(),
    }
    values.update(changes)
    return DockerExecutor(**values)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEMORUN_HOME", str(tmp_path / "home"))


def backend(**connection: object) -> DockerBackend:
    return DockerBackend(context=BackendContext.default(connection=connection))


def plan(spec: JobSpec | list[JobSpec]) -> dict[str, object]:
    document: dict[str, object] = json.loads(backend().dryrun(spec).materialize())
    return document


def arguments(spec: JobSpec | list[JobSpec], index: int = 0) -> dict[str, object]:
    containers = plan(spec)["containers"]
    assert isinstance(containers, list)
    args: dict[str, object] = containers[index]["arguments"]
    return args


def test_seed_executor_dryrun_shows_every_setting(tmp_path: Path) -> None:
    executor = seed_executor(ulimits=["nofile=1024:2048"], privileged=True)
    spec = executor.to_job_spec(Script(inline="echo hi"), name="seed", job_dir=str(tmp_path))
    args = arguments(spec)
    assert args["image"] == "python:3.12"
    assert args["runtime"] == "nvidia"
    assert args["ipc_mode"] == "host"
    assert args["shm_size"] == "30g"
    assert args["privileged"] is True
    assert args["network_mode"] == "host"
    assert args["auto_remove"] is False
    assert args["device_requests"] == [{"count": -1, "capabilities": [["gpu"]]}]
    assert args["ulimits"] == [{"name": "nofile", "soft": 1024, "hard": 2048}]
    assert args["volumes"] == [f"{tmp_path}:/nemo_run:rw", "/local/path:/path/in/container"]
    env = args["environment"]
    assert isinstance(env, dict)
    assert env["PYTHONUNBUFFERED"] == "1"
    assert env["NR_EXEC_EXIT_MARKER"] == "/nemo_run/.exit-0.json"
    labels = args["labels"]
    assert isinstance(labels, dict)
    assert labels["nemo-run/managed"] == "1"
    assert labels["nemo-run/job-id"] == spec.job_id
    assert labels["nemo-run/job-dir"] == str(tmp_path)


def test_spec_uses_container_paths_and_keeps_host_dir(tmp_path: Path) -> None:
    executor = DockerExecutor(container_image="img", packager=GitArchivePackager())
    spec = executor.to_job_spec(Partial(work, n=1), name="job", job_dir=str(tmp_path))
    assert spec.job_dir == "/nemo_run"
    assert spec.workdir == "/nemo_run/code"
    assert spec.argv[:3] == ("python3", "-m", "nr_exec.runner")
    assert spec.argv[3] == "/nemo_run/configs/job.task.json"
    assert spec.image == "img"
    assert spec.backend_options["host_job_dir"] == str(tmp_path)
    args = arguments(spec)
    env = args["environment"]
    assert isinstance(env, dict)
    assert env["PYTHONPATH"] == "/opt/nr-exec/site"
    volumes = args["volumes"]
    assert isinstance(volumes, list)
    assert any(v.endswith(":/opt/nr-exec/site/nr_exec:ro") for v in volumes)
    assert any(v.endswith(":/opt/nr-exec/site/pydantic_core:ro") for v in volumes)
    document = plan(spec)
    assert document["code"] == [
        {"packager": json.loads(spec.backend_options["packager"]), "target": f"{tmp_path}/code"}
    ]
    assert document["files"] == [f"{tmp_path}/configs/job.task.json"]


def test_scripts_and_ship_runner_false_get_no_runtime_mounts(tmp_path: Path) -> None:
    executor = DockerExecutor(container_image="img", packager=Packager(), ship_runner=False)
    spec = executor.to_job_spec(Partial(work, n=1), job_dir=str(tmp_path))
    assert arguments(spec)["volumes"] == [f"{tmp_path}:/nemo_run:rw"]
    assert spec.workdir == "/nemo_run"


def test_group_gets_one_container_per_task(tmp_path: Path) -> None:
    executor = DockerExecutor(container_image="img", packager=Packager(), ntasks_per_node=2)
    first = executor.to_job_spec(Script(inline="true"), name="a", job_dir=str(tmp_path))
    second = executor.to_job_spec(Script(inline="true"), name="b", job_dir=str(tmp_path))
    containers = plan([first, second])["containers"]
    assert isinstance(containers, list)
    tasks = [c["task"] for c in containers]
    assert tasks == [0, 1, 2, 3]
    envs = [c["arguments"]["environment"] for c in containers]
    assert [e["NR_EXEC_EXIT_MARKER"] for e in envs] == [
        f"/nemo_run/.exit-{i}.json" for i in range(4)
    ]
    assert [e["RANK"] for e in envs] == ["0", "1", "0", "1"]
    assert {c["arguments"]["labels"]["nemo-run/job-id"] for c in containers} == {first.job_id}


def test_group_member_in_another_dir_writes_the_head_log(tmp_path: Path) -> None:
    executor = DockerExecutor(container_image="img", packager=Packager())
    head = executor.to_job_spec(Script(inline="true"), name="a", job_dir=str(tmp_path / "a"))
    member = executor.to_job_spec(Script(inline="true"), name="b", job_dir=str(tmp_path / "b"))
    assert arguments([head, member], 0)["volumes"] == [f"{tmp_path}/a:/nemo_run:rw"]
    assert arguments([head, member], 1)["volumes"] == [
        f"{tmp_path}/b:/nemo_run:rw",
        f"{tmp_path}/a/logs:/nemo_run/logs:rw",
    ]


def test_retries_become_a_restart_policy(tmp_path: Path) -> None:
    executor = DockerExecutor(container_image="img", packager=Packager(), retries=2)
    spec = executor.to_job_spec(Script(inline="true"), job_dir=str(tmp_path))
    assert arguments(spec)["restart_policy"] == {"Name": "on-failure", "MaximumRetryCount": 2}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("container_image", " "),
        ("num_gpus", 0),
        ("ulimits", ["nofile=10:5"]),
        ("ulimits", ["bogus=1"]),
        ("ulimits", ["nofile"]),
        ("volumes", ["./relative:/x"]),
        ("volumes", ["/a:relative"]),
        ("volumes", ["/a:/b:bad"]),
        ("volumes", ["/a:/nemo_run/x"]),
        ("network", ""),
        ("additional_kwargs", {"name": "x"}),
        ("additional_kwargs", {"network_mode": "bridge"}),
        ("additional_kwargs", {"Bad-Key": 1}),
        ("ntasks_per_node", 0),
        ("docker_host", "/var/run/docker.sock"),
        ("privileged", "yes"),
    ],
)
def test_invalid_fields_are_named(field: str, value: object) -> None:
    with pytest.raises(ExecutorConfigError) as info:
        DockerExecutor(**{"container_image": "img", field: value})  # type: ignore[arg-type]
    assert info.value.field == f"DockerExecutor.{field}"


def test_gpus_and_device_requests_conflict() -> None:
    with pytest.raises(ExecutorConfigError, match="device_requests"):
        DockerExecutor(container_image="img", num_gpus=1, additional_kwargs={"device_requests": []})


def test_unknown_sdk_keyword_is_refused_at_dryrun(tmp_path: Path) -> None:
    executor = DockerExecutor(
        container_image="img", packager=Packager(), additional_kwargs={"mem_limitt": "1g"}
    )
    spec = executor.to_job_spec(Script(inline="true"), job_dir=str(tmp_path))
    with pytest.raises(ExecutorConfigError, match="mem_limitt") as info:
        backend().dryrun(spec)
    assert info.value.field == "DockerExecutor.additional_kwargs"


def test_known_sdk_keyword_is_passed(tmp_path: Path) -> None:
    executor = DockerExecutor(
        container_image="img", packager=Packager(), additional_kwargs={"mem_limit": "1g"}
    )
    spec = executor.to_job_spec(Script(inline="true"), job_dir=str(tmp_path))
    assert arguments(spec)["mem_limit"] == "1g"


def test_unsupported_features_are_refused(tmp_path: Path) -> None:
    executor = DockerExecutor(container_image="img", packager=Packager())
    spec = executor.to_job_spec(Script(inline="true"), job_dir=str(tmp_path))
    with pytest.raises(UnsupportedFeatureError, match="arrays"):
        backend().dryrun(dataclasses.replace(spec, array=3))
    with pytest.raises(UnsupportedFeatureError, match="dependencies"):
        backend().dryrun(dataclasses.replace(spec, dependencies=("docker://h/x",)))


def test_missing_sdk_fails_at_dryrun_with_the_install_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nr_exec import MissingExtraError

    executor = DockerExecutor(container_image="img", packager=Packager())
    spec = executor.to_job_spec(Script(inline="true"), job_dir=str(tmp_path))
    monkeypatch.setitem(sys.modules, "docker", None)  # as if the extra were not installed
    with pytest.raises(MissingExtraError, match=r"pip install 'nr-exec\[docker\]'"):
        backend().dryrun(spec)


def test_foreign_spec_is_refused() -> None:
    spec = JobSpec(name="x", job_id="x", argv=("true",), job_dir="/tmp/x", image="img")
    with pytest.raises(BackendError, match="DockerExecutor"):
        backend().dryrun(spec)
    slurm_like = dataclasses.replace(spec, backend_options={"host_job_dir": "/x", "partition": "p"})
    with pytest.raises(BackendError, match="'partition'"):
        backend().dryrun(slurm_like)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"job_id": "../escape"}, "not path-safe"),
        ({"backend_options": {"host_job_dir": "relative/dir"}}, "absolute path"),
        ({"backend_options": {"host_job_dir": "/abs", "ulimits": ["nofile=9:1"]}}, "ulimit"),
        ({"image": None}, "no container image"),
    ],
)
def test_unsafe_specs_are_refused_at_dryrun(
    tmp_path: Path, changes: dict[str, object], message: str
) -> None:
    executor = DockerExecutor(container_image="img", packager=Packager())
    spec = executor.to_job_spec(Script(inline="true"), job_dir=str(tmp_path))
    with pytest.raises(BackendError, match=message):
        backend().dryrun(dataclasses.replace(spec, **changes))  # type: ignore[arg-type]


def test_settings_round_trip_through_json(tmp_path: Path) -> None:
    executor = seed_executor(
        ulimits=["nofile=1024:2048"],
        healthcheck={"test": ["CMD", "true"], "retries": 3},
        additional_kwargs={"mem_limit": "1g"},
    )
    settings = executor.settings(str(tmp_path))
    assert isinstance(settings, DockerSettings)
    assert settings.host_job_dir == str(tmp_path)
    assert DockerSettings.from_json(settings.to_json()) == settings
    spec = executor.to_job_spec(Script(inline="true"), job_dir=str(tmp_path))
    assert DockerSettings.from_options(json.loads(json.dumps(spec.backend_options))) == settings


def test_placement_maps_the_job_dir_into_the_container(tmp_path: Path) -> None:
    shipped = DockerExecutor(container_image="img", ntasks_per_node=2)
    placement = shipped.placement("job-1", str(tmp_path))
    assert (placement.job_dir, placement.workdir) == ("/nemo_run", "/nemo_run/code")
    assert (placement.python, placement.image) == ("python3", "img")
    assert placement.launch_context.job_dir == "/nemo_run"
    assert placement.launch_context.nproc_per_node == 2
    bare = DockerExecutor(container_image="img", packager=Packager())
    assert bare.placement("job-1", str(tmp_path)).workdir == "/nemo_run"


def test_backend_comes_from_the_registry_with_the_executor_connection(tmp_path: Path) -> None:
    executor = DockerExecutor(container_image="img", docker_host="tcp://127.0.0.1:2375")
    assert executor.capabilities() == DockerBackend.capabilities
    assert executor.connection() == {"docker_host": "tcp://127.0.0.1:2375"}
    built = backend_for(executor, context=BackendContext.default(tmp_path))
    assert isinstance(built, DockerBackend)
    assert built.docker_host == "tcp://127.0.0.1:2375"
    assert built.cluster == "127.0.0.1:2375"
    assert built.connection() == {"docker_host": "tcp://127.0.0.1:2375"}
    assert built.context.job_root == tmp_path / "jobs"
    again = create_backend("docker", built.cluster, context=built.context)
    assert isinstance(again, DockerBackend)
    assert (again.docker_host, again.cluster) == (built.docker_host, built.cluster)
    assert DockerExecutor(container_image="img").connection() == {}


def test_cluster_names_the_configured_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///tmp/x/podman.sock")
    assert backend().cluster.endswith(":podman")
    assert backend(docker_host="tcp://10.0.0.1:2375").cluster == "10.0.0.1:2375"
    monkeypatch.delenv("DOCKER_HOST")
    assert ":" not in backend().cluster


@pytest.mark.parametrize(
    ("connection", "message"),
    [
        ({"docker_host": "/var/run/docker.sock"}, "engine URL"),
        ({"docker_host": 5}, "engine URL"),
        ({"tunnel": "x"}, "'tunnel'"),
    ],
)
def test_bad_connection_is_refused(connection: dict[str, object], message: str) -> None:
    with pytest.raises(BackendError, match=message):
        backend(**connection)


def test_foreign_handles_are_unknown_without_an_engine() -> None:
    from nr_exec import Handle

    docker = backend(docker_host="tcp://127.0.0.1:1")
    foreign = [Handle("local", docker.cluster, "x"), Handle("docker", "elsewhere", "x")]
    assert docker.describe(foreign) == dict.fromkeys(foreign)
    assert {s.state for s in docker.status(foreign).values()} == {JobState.UNKNOWN}


def test_executor_clones_through_config() -> None:
    executor = seed_executor(healthcheck={"test": ["CMD", "true"], "interval": 1_000_000_000})
    assert executor.clone() == executor


def test_container_names_never_repeat() -> None:
    names = {container_name("job/with:odd chars", 0) for _ in range(2000)}
    assert len(names) == 2000
    assert all(n.startswith("nr-job-with-odd-chars-0-") for n in names)


def test_engine_names() -> None:
    assert "/" not in engine_name("unix:///tmp/x/podman.sock")
    assert engine_name("unix:///tmp/x/podman.sock").endswith(":podman")
    assert engine_name("tcp://10.0.0.1:2375") == "10.0.0.1:2375"
    assert ":" not in engine_name("unix:///var/run/docker.sock")


def test_engine_states() -> None:
    assert engine_state("created") is JobState.PENDING
    assert engine_state("running") is JobState.RUNNING
    assert engine_state("restarting") is JobState.RUNNING
    assert engine_state("exited") is None
    assert engine_state("dead") is None


def ok() -> JobStatus:
    return JobStatus(JobState.SUCCEEDED, exit_code=0)


def failed(code: int) -> JobStatus:
    return JobStatus(JobState.FAILED, reason=FailureReason.USER_ERROR, exit_code=code)


def test_group_with_one_failure_is_failed() -> None:
    # Regression (NeMo-Run #218): one failed member must fail the group, whatever the others did.
    status = combine([ok(), failed(3), ok()])
    assert status.state is JobState.FAILED
    assert status.exit_code == 3
    assert status.message.startswith("task 1")
    assert combine([failed(2), JobStatus(JobState.RUNNING)]).state is JobState.FAILED


def test_combine_rules() -> None:
    assert combine([ok(), ok()]).state is JobState.SUCCEEDED
    assert combine([ok(), JobStatus(JobState.RUNNING)]).state is JobState.RUNNING
    assert combine([JobStatus(JobState.PENDING)]).state is JobState.PENDING
    unknown = task_status(None)
    assert unknown.state is JobState.UNKNOWN
    assert combine([ok(), unknown]).state is JobState.UNKNOWN
    assert combine([ok(), JobStatus(JobState.CANCELLED)]).state is JobState.CANCELLED


def test_failed_marker_is_failed_and_oom_is_named() -> None:
    assert task_status(ExitMarker(exit_code=3)).state is JobState.FAILED
    oom = task_status(ExitMarker(exit_code=137, error=OOM_ERROR))
    assert oom.state is JobState.FAILED
    assert oom.reason is FailureReason.OOM


def test_read_lines_by_offset(tmp_path: Path) -> None:
    log = tmp_path / "out.log"
    log.write_bytes(b"one\ntwo\nthr")
    assert list(read_lines(log, since=0, follow=False, live=lambda: False)) == [
        "one\n",
        "two\n",
        "thr",
    ]
    assert list(read_lines(log, since=4, follow=True, live=lambda: False)) == ["two\n", "thr"]
    assert list(read_lines(tmp_path / "missing", since=0, follow=True, live=lambda: False)) == []
