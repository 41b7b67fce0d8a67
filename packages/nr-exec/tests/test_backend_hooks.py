"""The backend template: what the base does for every backend, and what a subclass must provide.

A toy backend defined here implements only the hooks; the public ``dryrun``, ``status``,
``cancel`` and ``exists`` are the base's. The default batch submission runs on the real local
backend.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest
from nr_config import Script
from nr_exec import (
    Backend,
    BackendContext,
    BackendError,
    BackendSettings,
    BatchEntry,
    BatchSubmitError,
    Capabilities,
    Handle,
    JobSpec,
    JobState,
    JobStatus,
    LocalBackend,
    LocalExecutor,
    Request,
    Resources,
    UnsupportedFeatureError,
    make_job_spec,
)
from nr_exec.backend import check_batch_order
from nr_exec.testing import FakeExecutor
from nr_exec.wrapper import WRAPPER_SCRIPT


@dataclass(frozen=True)
class QueueSettings(BackendSettings):
    queue: str = "default"
    priority: int = 0


@dataclass(frozen=True)
class ToyRequest(Request):
    settings: tuple[QueueSettings, ...] = ()

    def materialize(self) -> str:
        return "\n".join(f"{s.queue}:{s.priority}" for s in self.settings)


class ToyBackend(Backend[QueueSettings, ToyRequest]):
    """Knows three jobs: ``running``, ``ended`` and ``lost`` (known, fate unknown)."""

    name: ClassVar[str] = "toy"
    capabilities: ClassVar[Capabilities] = Capabilities(job_groups=True, retries=True)
    settings_type = QueueSettings

    def __init__(self) -> None:
        super().__init__(context=BackendContext.default("/nonexistent"))
        self.jobs = {
            "running": JobStatus(JobState.RUNNING),
            "ended": JobStatus(JobState.SUCCEEDED, exit_code=0),
            "lost": JobStatus(JobState.UNKNOWN, message="gone"),
        }
        self.describe_calls: list[list[str]] = []
        self.cancelled: list[list[str]] = []

    @property
    def cluster(self) -> str:
        return "box"

    def _dryrun(
        self, group: tuple[JobSpec, ...], settings: tuple[QueueSettings, ...], *, detach: bool
    ) -> ToyRequest:
        return ToyRequest(backend=self.name, specs=group, detach=detach, settings=settings)

    def submit(self, request: ToyRequest) -> Handle:
        self.jobs[request.specs[0].job_id] = JobStatus(JobState.PENDING)
        return Handle(self.name, self.cluster, request.specs[0].job_id)

    def describe(self, handles: Sequence[Handle]) -> dict[Handle, JobStatus | None]:
        self.describe_calls.append([h.job_id for h in handles])
        return {h: self.jobs.get(h.job_id) for h in handles}

    def find(self, names: Sequence[str]) -> dict[str, Handle]:
        return {n: Handle(self.name, self.cluster, n) for n in names if n in self.jobs}

    def logs(self, handle: Handle, *, follow: bool = False, since: int = 0) -> Iterator[str]:
        return iter(())

    def _cancel_existing(self, handles: Sequence[Handle]) -> None:
        self.cancelled.append([h.job_id for h in handles])
        for handle in handles:
            self.jobs[handle.job_id] = JobStatus(JobState.CANCELLED)


def _toy(job_id: str) -> Handle:
    return Handle("toy", "box", job_id)


def _spec(**changes: Any) -> JobSpec:
    fields: dict[str, Any] = {"name": "j", "job_id": "j-1", "argv": ("true",), "job_dir": "/j"}
    return JobSpec(**{**fields, **changes})


def test_request_without_materialize_cannot_be_made() -> None:
    @dataclass(frozen=True)
    class Incomplete(Request):
        pass

    with pytest.raises(TypeError, match=r"abstract method.*materialize"):
        Incomplete(backend="x", specs=())  # type: ignore[abstract]


HOOKS = {"_dryrun", "submit", "describe", "find", "logs", "_cancel_existing", "cluster"}


def test_the_hooks_are_abstract() -> None:
    assert Backend.__abstractmethods__ == HOOKS
    assert ToyBackend.__abstractmethods__ == frozenset()


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_a_backend_missing_a_hook_cannot_be_made(hook: str) -> None:
    namespace = {
        key: value
        for key, value in vars(ToyBackend).items()
        if key not in {hook, "_abc_impl"} and (key == "__init__" or not key.startswith("__"))
    }
    forgetful = type("Forgetful", (Backend,), namespace)
    with pytest.raises(TypeError, match=rf"abstract method.*{hook}"):
        forgetful()


def test_dryrun_decodes_each_specs_settings() -> None:
    backend = ToyBackend()
    fast = _spec(backend_options=QueueSettings(queue="fast", priority=2).to_options())
    request = backend.dryrun([fast, _spec(job_id="j-2")])
    assert request.settings == (QueueSettings("fast", 2), QueueSettings())
    assert request.materialize() == "fast:2\ndefault:0"


def test_dryrun_refuses_another_backends_settings() -> None:
    slurm_like = _spec(backend_options={"partition": "batch", "queue": "q"})
    with pytest.raises(
        BackendError,
        match=r"QueueSettings has no setting 'partition' \(the spec was made for another "
        r"backend\?\); known settings: priority, queue",
    ):
        ToyBackend().dryrun(slurm_like)


def test_dryrun_refuses_undeclared_features_before_decoding() -> None:
    with pytest.raises(
        UnsupportedFeatureError,
        match=r"the toy backend does not support detach, gpus \(it supports: job_groups, retries\)",
    ):
        ToyBackend().dryrun(
            _spec(resources=Resources(gpus_per_node=1), backend_options={"bad": 1}), detach=True
        )
    with pytest.raises(ValueError, match="at least one job spec"):
        ToyBackend().dryrun([])


def test_status_maps_unknown_jobs_to_unknown() -> None:
    backend = ToyBackend()
    statuses = backend.status([_toy("running"), _toy("never")])
    assert statuses[_toy("running")].state is JobState.RUNNING
    assert statuses[_toy("never")] == JobStatus(
        JobState.UNKNOWN, message="the toy backend does not know toy://box/never"
    )
    assert backend.describe_calls == [["running", "never"]]  # one query for many
    assert backend.exists(_toy("lost"))
    assert not backend.exists(_toy("never"))


def test_cancel_is_idempotent_in_the_base() -> None:
    backend = ToyBackend()
    handles = [_toy("running"), _toy("ended"), _toy("never"), _toy("lost")]
    assert backend.cancel(handles) == [_toy("running"), _toy("lost")]
    assert backend.cancelled == [["running", "lost"]]  # only jobs known and not ended, at once
    assert backend.cancel(handles) == []
    assert backend.cancel(_toy("running")) == []
    assert backend.cancelled == [["running", "lost"]]
    backend.describe_calls.clear()
    assert backend.cancel([]) == []
    assert backend.describe_calls == []


def _entry(backend: LocalBackend, tmp_path: Path, name: str, body: str = "true") -> BatchEntry:
    spec = make_job_spec(Script(inline=body), LocalExecutor(), job_dir=str(tmp_path / name))
    return BatchEntry(backend.dryrun(spec))


@pytest.fixture
def local(tmp_path: Path) -> LocalBackend:
    return LocalBackend(context=BackendContext.default(tmp_path / "home"))


def test_default_submit_batch_submits_in_order(local: LocalBackend, tmp_path: Path) -> None:
    entries = [_entry(local, tmp_path, f"j{i}", f"exit {i}") for i in range(2)]
    handles = local.submit_batch(entries)
    assert [len(h) for h in handles] == [1, 1]
    statuses = local.wait([h[0] for h in handles], timeout=20)
    assert [statuses[h[0]].exit_code for h in handles] == [0, 1]


def test_default_submit_batch_reports_what_was_submitted(
    local: LocalBackend, tmp_path: Path
) -> None:
    first, second = (_entry(local, tmp_path, name) for name in ("a", "b"))
    # The local backend has no native dependencies: the waiting entry cannot be made.
    with pytest.raises(BatchSubmitError, match="entry 1") as raised:
        local.submit_batch([first, BatchEntry(second.request, after=(0,))])
    assert len(raised.value.submitted) == 1
    (handle,) = raised.value.submitted[0]
    assert local.wait([handle], timeout=20)[handle].state is JobState.SUCCEEDED


def test_batch_order_and_unsupported_arrays(local: LocalBackend, tmp_path: Path) -> None:
    entry = _entry(local, tmp_path, "a")
    with pytest.raises(BackendError, match="entry 0 may only wait for earlier"):
        check_batch_order([BatchEntry(entry.request, after=(0,))])
    with pytest.raises(UnsupportedFeatureError, match="job arrays"):
        local.dryrun_array(entry.request.specs)
    assert local.batch_key() is None


def test_wrapper_only_where_the_backend_writes_no_marker(tmp_path: Path) -> None:
    script = Script(inline="echo hi")
    marking = FakeExecutor(features=("exit_markers",))
    assert WRAPPER_SCRIPT not in marking.to_job_spec(script, job_dir=str(tmp_path)).argv
    local = make_job_spec(script, LocalExecutor(), job_dir=str(tmp_path))
    assert local.argv[2] == WRAPPER_SCRIPT
    assert local.backend_options == {}
