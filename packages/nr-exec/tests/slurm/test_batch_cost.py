"""What a batch of many Slurm specs costs in work: decoded settings, shape keys, one stream."""

import io
import stat
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
from nr_config import Script
from nr_exec.errors import BackendError
from nr_exec.slurm import SlurmBackend, SlurmExecutor
from nr_exec.slurm.arrays import shape_key
from nr_exec.slurm.backend import scancel_ids
from nr_exec.slurm.request import relative_to_root
from nr_exec.slurm.transfer import pack
from nr_exec.spec import JobSpec

ROOT = "/remote/root"  # the conftest's tunnel root


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


def _members(stream: io.BytesIO) -> dict[str, tarfile.TarInfo]:
    stream.seek(0)
    with tarfile.open(fileobj=stream, mode="r|") as tar:
        return {info.name: info for info in tar}


def test_a_batch_is_one_tar_stream_relative_to_the_root(
    make_executor: Callable[..., SlurmExecutor],
    backend_of: Callable[[SlurmExecutor], SlurmBackend],
    tmp_path: Path,
) -> None:
    executor = make_executor()
    requests = backend_of(executor).dryrun_array(_specs(executor, 2), max_array_size=10)
    stream = io.BytesIO()
    pack(stream, ROOT, requests, {}, {})
    members = _members(stream)
    expected = {relative_to_root(item.path, ROOT) for r in requests for item in r.files}
    expected |= {relative_to_root(r.bundle_path, ROOT) for r in requests}
    assert set(members) == expected  # an element's job directory is not among them
    stream.seek(0)
    with tarfile.open(fileobj=stream, mode="r|") as tar:
        tar.extractall(tmp_path, filter="data")
    manifest = next(tmp_path.glob("*/arrays/*/manifest.sh")).read_text(encoding="utf-8")
    assert "nr_unpack=" in manifest
    with tarfile.open(next(tmp_path.glob("*/arrays/*/elements.tar"))) as bundle:
        bundle.extractall(tmp_path, filter="data")
    script = next(tmp_path.glob("*/exp.t0/scripts/*.sh"))
    assert script.read_text(encoding="utf-8").endswith("echo 0\n")
    assert script.stat().st_mode & stat.S_IXUSR


def test_new_archives_and_code_links_travel_in_the_stream(tmp_path: Path) -> None:
    archive = tmp_path / "code.tar.gz"
    archive.write_bytes(b"archive bytes")
    sha = "a" * 64
    stream = io.BytesIO()
    pack(stream, ROOT, [], {f"{ROOT}/exp/job": "/shared/checkout"}, {sha: archive})
    members = _members(stream)
    assert members["exp/job/code"].issym()
    assert members["exp/job/code"].linkname == "/shared/checkout"
    stream.seek(0)
    with tarfile.open(fileobj=stream, mode="r|") as tar:
        for info in tar:
            if info.isfile():
                extracted = tar.extractfile(info)
                assert extracted is not None
                assert (info.name, extracted.read()) == (f"code/{sha}.tar.gz", b"archive bytes")


def test_a_path_outside_the_root_is_refused() -> None:
    with pytest.raises(ValueError, match="not under the remote root"):
        pack(io.BytesIO(), ROOT, [], {"/elsewhere/job": "/x"}, {})


def test_array_elements_are_cancelled_as_index_ranges() -> None:
    ids = ["7_3", "7_0", "7_1", "8", "7_2", "7_9", "9_5", "7_3", "8"]
    assert scancel_ids(ids) == ["7_[0-3,9]", "8", "9_[5]"]
    assert scancel_ids([f"5_{i}" for i in range(1000)]) == ["5_[0-999]"]
    assert scancel_ids(["12", "12_4"]) == ["12", "12_[4]"]  # the whole array, and an element
