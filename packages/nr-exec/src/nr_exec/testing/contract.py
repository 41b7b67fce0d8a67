"""``BackendContract``: the conformance suite every backend's tests subclass.

A subclass provides two fixtures and inherits the tests::

    class TestLocalContract(BackendContract):
        backend_type = LocalBackend

        @pytest.fixture
        def backend(self, tmp_path):
            return LocalBackend(context=BackendContext.default(tmp_path))

        @pytest.fixture
        def executor(self):
            return LocalExecutor()

The tests submit small inline ``bash`` scripts (made with ``executor.to_job_spec``; ``{job_dir}``
in a script is the job directory as the job sees it), so the executor's target must have
``bash``. The subclass names the backend class (``backend_type``): every declared capability
is exercised (detach, groups, arrays, retries, dependencies, follow logs), tests of undeclared
ones are not collected, and the refusal test is parametrized over exactly those (each must be
refused at ``dryrun``); and the promises every backend keeps are checked: a failure is
``FAILED`` with its exit code, an unknown job is ``None`` to ``describe`` and ``UNKNOWN`` to
``status``, cancel is idempotent, handles round-trip through text and the registry, and ``find``
returns jobs by the names we gave them. Override :attr:`timeout` for slow services.
"""

import dataclasses
import functools
import secrets
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from nr_config import Script

from nr_exec.backend import Backend, Capabilities
from nr_exec.context import BackendContext
from nr_exec.errors import UnsupportedFeatureError
from nr_exec.executor import Executor
from nr_exec.handle import Handle
from nr_exec.registry import backend_class, create_backend
from nr_exec.spec import JobSpec, Resources
from nr_exec.states import JobState, JobStatus

__all__ = ["BackendContract"]

_OPTIONAL = ("detach", "dependencies", "job_groups", "arrays", "retries", "gpus")
_CAPABILITY_TESTS = {
    "detach": "test_detach",
    "job_groups": "test_job_group",
    "retries": "test_retries",
    "dependencies": "test_dependencies",
    "arrays": "test_arrays",
    "follow_logs": "test_follow_logs",
}


class BackendContract:
    """Tests every backend must pass (see the module documentation).

    Attributes:
        timeout: Seconds to wait for a short job to end.
    """

    timeout: float = 60.0
    backend_type: "type[Backend[Any, Any]] | None" = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.backend_type is None:
            return
        caps = cls.backend_type.capabilities
        for capability, test in _CAPABILITY_TESTS.items():
            if not getattr(caps, capability):
                setattr(cls, test, None)
        missing = [c for c in _OPTIONAL if not getattr(caps, c)]
        refusal = BackendContract.test_undeclared_capability_is_refused
        if missing:
            # A fresh function per subclass: marking the base's would add its parameters to
            # every other subclass too (duplicate parametrization).
            @functools.wraps(refusal)
            def refused(self: Any, *args: Any, **kwargs: Any) -> None:
                refusal(self, *args, **kwargs)

            cls.test_undeclared_capability_is_refused = pytest.mark.parametrize(  # type: ignore[method-assign]
                "capability", missing
            )(refused)
        else:
            cls.test_undeclared_capability_is_refused = None  # type: ignore[assignment]

    # -- fixtures the subclass provides ---------------------------------------------------------

    @pytest.fixture
    def backend(self) -> Backend[Any, Any]:
        """The backend under test (the subclass overrides this fixture)."""
        raise NotImplementedError("a BackendContract subclass provides the 'backend' fixture")

    @pytest.fixture
    def executor(self) -> Executor:
        """An executor of the backend under test (the subclass overrides this fixture)."""
        raise NotImplementedError("a BackendContract subclass provides the 'executor' fixture")

    # -- helpers --------------------------------------------------------------------------------

    @pytest.fixture
    def make_spec(self, executor: Executor, tmp_path: Path) -> Any:
        """A factory of specs running an inline bash script on the backend under test."""

        def make(
            script: str = "",
            *,
            name: str = "contract",
            exit_code: int = 0,
            output: str = "",
            **changes: Any,
        ) -> JobSpec:
            """A spec printing ``output`` (one echo per line), running ``script``, exiting."""
            echo = "".join(f"echo {line}\n" for line in output.splitlines())
            script = f"{echo}{script}\nexit {exit_code}\n"
            env = {"NR_FAKE_EXIT_CODE": str(exit_code), "NR_FAKE_OUTPUT": output}
            changes["env"] = {**env, **changes.get("env", {})}
            job_id = f"{name}-{secrets.token_hex(4)}"
            local_dir = str(tmp_path / job_id)
            target = executor.placement(job_id, local_dir).job_dir
            spec = executor.to_job_spec(
                Script(inline=script.replace("{job_dir}", target)),
                name=name,
                job_id=job_id,
                job_dir=local_dir,
            )
            changes["env"] = {**spec.env, **changes["env"]}
            return dataclasses.replace(spec, **changes)

        return make

    def run(
        self, backend: Backend[Any, Any], specs: JobSpec | Sequence[JobSpec], **kw: Any
    ) -> Handle:
        """Dry-run and submit."""
        return backend.submit(backend.dryrun(specs, **kw))

    def wait(self, backend: Backend[Any, Any], handle: Handle) -> JobStatus:
        """Wait for one job to end (fails the test after :attr:`timeout`)."""
        status = backend.wait([handle], timeout=self.timeout, interval=0.1)[handle]
        assert status.is_terminal, f"{handle} did not end within {self.timeout}s: {status}"
        return status

    def cancel_soon(self, backend: Backend[Any, Any], handle: Handle) -> None:
        """Wait until the job is visible as pending or running (so cancel has work to do)."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            status = backend.describe([handle])[handle]
            if status is not None and status.state in {JobState.RUNNING, JobState.PENDING}:
                return
            time.sleep(0.05)

    @staticmethod
    def saved_context(backend: Backend[Any, Any]) -> BackendContext:
        """The context another process rebuilds ``backend`` with: its home and connection."""
        return backend.context.with_connection(backend.connection())

    @staticmethod
    def require(backend: Backend[Any, Any], capability: str) -> None:
        """Check the backend declares ``capability`` (the test is collected only then)."""
        assert getattr(backend.capabilities, capability), f"{backend.name} lacks {capability}"

    # -- every backend --------------------------------------------------------------------------

    def test_registered_under_its_scheme(self, backend: Backend[Any, Any]) -> None:
        """The registry resolves the backend's name to its class."""
        assert issubclass(type(backend), backend_class(backend.name))

    def test_success_and_exit_code(self, backend: Backend[Any, Any], make_spec: Any) -> None:
        """A job that exits 0 is SUCCEEDED; one that exits 3 is FAILED with code 3."""
        good = self.run(backend, make_spec(name="good"))
        bad = self.run(backend, make_spec(name="bad", exit_code=3))
        assert self.wait(backend, good).state is JobState.SUCCEEDED
        failed = self.wait(backend, bad)
        assert failed.state is JobState.FAILED
        assert failed.exit_code == 3

    def test_handle_round_trip(self, backend: Backend[Any, Any], make_spec: Any) -> None:
        """A handle's text parses back, and the registry rebuilds a backend that knows it."""
        handle = self.run(backend, make_spec("exit 0"))
        assert Handle.parse(str(handle)) == handle
        assert handle.backend == backend.name
        assert handle.cluster == backend.cluster
        ended = self.wait(backend, handle)
        other = create_backend(handle.backend, handle.cluster, context=self.saved_context(backend))
        try:
            status = other.describe([handle])[handle]
        finally:
            other.close()
        assert ended.state is JobState.SUCCEEDED, f"the job itself did not succeed: {ended}"
        assert status is not None, f"the rebuilt backend does not know {handle}"
        assert status.state is JobState.SUCCEEDED, f"the rebuilt backend says {status}"

    def test_unknown_job(self, backend: Backend[Any, Any]) -> None:
        """A job the backend never ran is None to describe and UNKNOWN to status."""
        handle = Handle(backend.name, backend.cluster, f"9{secrets.randbelow(10**8)}")
        assert backend.describe([handle]) == {handle: None}
        assert backend.status([handle])[handle].state is JobState.UNKNOWN
        assert backend.cancel([handle]) == []

    def test_cancel_is_idempotent(self, backend: Backend[Any, Any], make_spec: Any) -> None:
        """Cancel stops a running job; cancelling it again, or an ended job, does nothing."""
        long = self.run(
            backend, make_spec("sleep 300", name="long", env={"NR_FAKE_STEPS": "100000"})
        )
        self.cancel_soon(backend, long)
        assert backend.cancel([long]) == [long]
        status = self.wait(backend, long)
        assert status.state is JobState.CANCELLED
        assert backend.cancel([long]) == []
        assert backend.status([long])[long].state is JobState.CANCELLED

    def test_find_by_name(self, backend: Backend[Any, Any], make_spec: Any) -> None:
        """find() returns submitted jobs by their names and omits names never submitted."""
        spec = make_spec(name="findme")
        handle = self.run(backend, spec)
        absent = f"never-submitted-{secrets.token_hex(4)}"
        found = backend.find([spec.job_id, absent])
        assert found == {spec.job_id: handle}
        self.wait(backend, handle)

    def test_status_of_many_in_one_call(self, backend: Backend[Any, Any], make_spec: Any) -> None:
        """status() answers for every handle it is given, known or not."""
        handles = [self.run(backend, make_spec(name=f"many{i}", exit_code=i)) for i in range(3)]
        for handle in handles:
            self.wait(backend, handle)
        unknown = Handle(backend.name, backend.cluster, f"9{secrets.randbelow(10**8)}")
        statuses = backend.status([*handles, unknown])
        assert [statuses[h].exit_code for h in handles] == [0, 1, 2]
        assert statuses[unknown].state is JobState.UNKNOWN

    def test_request_materializes(self, backend: Backend[Any, Any], make_spec: Any) -> None:
        """A dry-run has no side effect and its artifact is text naming the command."""
        spec = make_spec(output="materialized-marker")
        request = backend.dryrun(spec)
        artifact = request.materialize()
        assert isinstance(artifact, str)
        assert artifact
        assert backend.find([spec.job_id]) == {}

    def test_undeclared_capability_is_refused(
        self, backend: Backend[Any, Any], make_spec: Any, capability: str
    ) -> None:
        """Dryrun refuses a feature the backend does not declare, naming it."""
        assert not getattr(backend.capabilities, capability)
        spec = make_spec()
        by_capability: dict[str, dict[str, Any]] = {
            "dependencies": {"dependencies": (f"{backend.name}://{backend.cluster}/1",)},
            "arrays": {"array": 2},
            "retries": {"retries": 1},
            "gpus": {"resources": Resources(gpus_per_node=1)},
        }
        changes = by_capability.get(capability, {})
        specs = [spec, make_spec()] if capability == "job_groups" else [spec]
        specs[0] = dataclasses.replace(specs[0], **changes)
        with pytest.raises(UnsupportedFeatureError, match=capability):
            backend.dryrun(specs, detach=capability == "detach")

    # -- declared capabilities ------------------------------------------------------------------

    def test_detach(self, backend: Backend[Any, Any], make_spec: Any) -> None:
        """A detached job ends and records how, seen from a freshly built backend."""
        self.require(backend, "detach")
        handle = self.run(backend, make_spec(exit_code=4), detach=True)
        other = create_backend(handle.backend, handle.cluster, context=self.saved_context(backend))
        try:
            status = self.wait(other, handle)
        finally:
            other.close()
        assert (status.state, status.exit_code) == (JobState.FAILED, 4)

    def test_job_group(self, backend: Backend[Any, Any], make_spec: Any, tmp_path: Path) -> None:
        """Two specs run as one job with one handle; both run."""
        self.require(backend, "job_groups")
        first = make_spec(output="group-first")
        second = make_spec(output="group-second")
        handle = self.run(backend, [first, second])
        assert self.wait(backend, handle).state is JobState.SUCCEEDED
        text = "".join(backend.logs(handle))
        assert "group-first" in text
        assert "group-second" in text

    def test_retries(self, backend: Backend[Any, Any], make_spec: Any) -> None:
        """A job failing its first attempt is restarted and its retry is counted."""
        self.require(backend, "retries")
        script = 'f="{job_dir}/attempts"; if [ ! -e "$f" ]; then touch "$f"; exit 1; fi'
        spec = make_spec(script, retries=1, env={"NR_FAKE_FAIL_ATTEMPTS": "1"})
        status = self.wait(backend, self.run(backend, spec))
        assert status.state is JobState.SUCCEEDED
        assert status.retries == 1

    def test_dependencies(self, backend: Backend[Any, Any], make_spec: Any) -> None:
        """A job waiting for another starts after it succeeded."""
        self.require(backend, "dependencies")
        parent = self.run(backend, make_spec("sleep 1", name="parent"))
        child = self.run(backend, make_spec(name="child", dependencies=(str(parent),)))
        assert self.wait(backend, child).state is JobState.SUCCEEDED
        assert self.wait(backend, parent).state is JobState.SUCCEEDED

    def test_arrays(self, backend: Backend[Any, Any], make_spec: Any) -> None:
        """Specs of one shape go as array elements, one handle each, in order."""
        self.require(backend, "arrays")
        specs = [make_spec(name=f"elem{i}", exit_code=i) for i in range(3)]
        from nr_exec.backend import BatchEntry  # noqa: PLC0415 - only this test needs it

        requests = backend.dryrun_array(specs)
        handles = [h for hs in backend.submit_batch([BatchEntry(r) for r in requests]) for h in hs]
        assert len(handles) == 3
        codes = [self.wait(backend, h).exit_code for h in handles]
        assert codes == [0, 1, 2]

    def test_follow_logs(self, backend: Backend[Any, Any], make_spec: Any) -> None:
        """Following a job's logs yields every line and stops once the job has ended."""
        self.require(backend, "follow_logs")
        spec = make_spec("sleep 0.5", output="line-1\nline-2\nline-3")
        handle = self.run(backend, spec)
        lines = [line.strip() for line in backend.logs(handle, follow=True)]
        assert [x for x in lines if x.startswith("line-")] == ["line-1", "line-2", "line-3"]
        assert backend.status([handle])[handle].is_terminal

    def test_logs_resume_from_offset(self, backend: Backend[Any, Any], make_spec: Any) -> None:
        """logs(since=n) starts n bytes in, never re-reading what was read."""
        spec = make_spec(output="first\nsecond")
        handle = self.run(backend, spec)
        self.wait(backend, handle)
        lines = list(backend.logs(handle))
        head = next(line for line in lines if line.startswith("first"))
        offset = sum(len(x.encode()) for x in lines[: lines.index(head) + 1])
        rest = "".join(backend.logs(handle, since=offset))
        assert "second" in rest
        assert "first" not in rest

    def test_capabilities_are_declared_data(self, backend: Backend[Any, Any]) -> None:
        """Capabilities are a frozen record naming what is declared."""
        assert isinstance(backend.capabilities, Capabilities)
        assert all(getattr(backend.capabilities, n) for n in backend.capabilities.names())
