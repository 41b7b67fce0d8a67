"""What a batch of many Slurm specs costs in work: decoded settings, shape keys, staging."""

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from nr_config import Script
from nr_exec.errors import BackendError
from nr_exec.slurm import SlurmBackend, SlurmExecutor, transfer
from nr_exec.slurm.arrays import shape_key
from nr_exec.slurm.transfer import stage, staging_dir
from nr_exec.spec import JobSpec

ROOT = "/remote/root"  # the conftest's tunnel root


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _specs(executor: SlurmExecutor, count: int) -> list[JobSpec]:
    return [
        executor.to_job_spec(Script(inline=f"echo {i}"), name=f"t{i}", job_id=f"exp.t{i}")
        for i in range(count)
    ]


def test_specs_with_equal_settings_share_one_decoded_record(
    make_executor: Callable[..., SlurmExecutor],
    backend_of: Callable[[SlurmExecutor], SlurmBackend],
) -> None:
    executor = make_executor()
    backend = backend_of(executor)
    first, second = _specs(executor, 2)
    other = _specs(make_executor(partition="cpu"), 1)[0]
    assert backend.decode_settings(first) is backend.decode_settings(second)
    assert backend.decode_settings(other).sbatch_options["partition"] == "cpu"
    assert backend.decode_settings(first).sbatch_options["partition"] == "gpu"


def test_settings_of_another_backend_are_refused_every_time(
    make_executor: Callable[..., SlurmExecutor],
    backend_of: Callable[[SlurmExecutor], SlurmBackend],
) -> None:
    executor = make_executor()
    backend = backend_of(executor)
    spec = _specs(executor, 1)[0]
    foreign = JobSpec(**{**vars(spec), "backend_options": {"shm_size": "1g"}})
    for _ in range(2):  # a refusal is never cached as an answer
        with pytest.raises(BackendError, match="no setting 'shm_size'"):
            backend.decode_settings(foreign)


def test_an_array_dryrun_never_copies_whole_specs(
    make_executor: Callable[..., SlurmExecutor],
    backend_of: Callable[[SlurmExecutor], SlurmBackend],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    executor = make_executor()
    backend = backend_of(executor)
    specs = _specs(executor, 3)

    def refuse(self: JobSpec) -> None:
        raise AssertionError(f"{self.job_id} was copied whole to read its shape")

    monkeypatch.setattr(JobSpec, "to_dict", refuse)
    requests = backend.dryrun_array(specs, max_array_size=10)
    assert [r.array_size for r in requests] == [3]


def test_the_shape_key_tells_resources_apart(
    make_executor: Callable[..., SlurmExecutor],
) -> None:
    one = _specs(make_executor(), 1)[0]
    two = _specs(make_executor(nodes=2), 1)[0]
    assert shape_key(one, "{}") != shape_key(two, "{}")
    assert shape_key(one, "{}") == shape_key(_specs(make_executor(), 1)[0], "{}")


def test_a_batch_without_new_archives_is_staged_in_memory(
    make_executor: Callable[..., SlurmExecutor],
    backend_of: Callable[[SlurmExecutor], SlurmBackend],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    memory = tmp_path / "memory"
    memory.mkdir()
    disk = tmp_path / "disk"
    disk.mkdir()
    monkeypatch.setattr(transfer, "MEMORY_STAGE_ROOT", str(memory))
    executor = make_executor()
    requests = backend_of(executor).dryrun_array(_specs(executor, 2), max_array_size=10)
    with staging_dir(disk, in_memory=True) as staged:
        assert staged.parent.parent == memory
        assert staged.stat().st_mode & 0o777 == 0o777 & ~_umask()
        stage(staged, ROOT, requests, {}, {})
        script = next(staged.glob("*/exp.t0/scripts/*.sh"))
        assert script.read_text(encoding="utf-8").endswith("echo 0\n")
        assert script.stat().st_mode & stat.S_IXUSR
        array_dir = next(staged.glob("*/arrays/*"))
        assert (array_dir / "elements" / "1").readlink() == Path(requests[0].specs[1].job_dir)
    assert list(memory.iterdir()) == []  # removed afterwards
    assert list(disk.iterdir()) == []


def test_a_batch_with_new_archives_is_staged_beside_them_on_disk(tmp_path: Path) -> None:
    with staging_dir(tmp_path, in_memory=False) as staged:
        assert staged == tmp_path / "stage"
        archive = tmp_path / "code.tar.gz"
        archive.write_bytes(b"archive")
        sha = "a" * 64
        stage(staged, ROOT, [], {}, {sha: archive})
        assert (staged / "code" / f"{sha}.tar.gz").read_bytes() == b"archive"


def test_a_missing_memory_directory_falls_back_to_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transfer, "MEMORY_STAGE_ROOT", str(tmp_path / "absent"))
    with staging_dir(tmp_path, in_memory=True) as staged:
        assert staged == tmp_path / "stage"
