"""A toy backend: each job is a detached process of this machine, known by a file.

Written against the public backend contract only (``nr_exec.Backend`` and friends), and
registered by its distribution's one entry point (``nr_exec.backends: toy``), it shows that
a new backend needs nothing outside its own folder. Jobs get handles
``toy://toybox/<job-id>``; what any process needs to find one again is the file
``<job root>/toy/<job-id>.json`` (its pid and job directory) and the job's own exit marker.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from nr_exec import (
    EXIT_MARKER_ENV,
    Backend,
    Capabilities,
    Executor,
    ExitMarker,
    Handle,
    JobSpec,
    JobState,
    JobStatus,
    LaunchContext,
    NoSettings,
    Placement,
    Request,
    read_exit_marker,
    write_exit_marker,
)

__all__ = ["ToyBackend", "ToyExecutor", "ToyRequest"]

CLUSTER = "toybox"
_CHILDREN: dict[str, "subprocess.Popen[bytes]"] = {}


@dataclass(frozen=True)
class ToyRequest(Request):
    """One process to start.

    Attributes:
        argv: Its command.
        env: What is added to its environment.
        cwd: Its working directory.
    """

    argv: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    cwd: str = ""

    def materialize(self) -> str:
        """The process to start, as JSON."""
        return json.dumps({"argv": self.argv, "env": dict(self.env), "cwd": self.cwd}, indent=2)


class ToyBackend(Backend[NoSettings, ToyRequest]):
    """Runs each job as a detached process group of this machine."""

    name: ClassVar[str] = "toy"
    capabilities: ClassVar[Capabilities] = Capabilities(detach=True)
    settings_type = NoSettings

    @property
    def cluster(self) -> str:
        """Always ``toybox``."""
        return CLUSTER

    def _record(self, job_id: str) -> Path:
        return self.context.job_root / "toy" / f"{job_id}.json"

    def _dryrun(
        self, group: tuple[JobSpec, ...], settings: tuple[NoSettings, ...], *, detach: bool
    ) -> ToyRequest:
        spec = group[0]
        env = {**spec.env, EXIT_MARKER_ENV: spec.exit_marker}
        return ToyRequest(
            self.name, group, detach, spec.argv, tuple(sorted(env.items())), spec.workdir
        )

    def submit(self, request: ToyRequest) -> Handle:
        """Write the job's files, start its process, then record it."""
        spec = request.specs[0]
        job_dir = Path(spec.job_dir)
        (job_dir / "logs").mkdir(parents=True, exist_ok=True)
        for item in spec.files:
            path = job_dir / item.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(item.content)
            path.chmod(0o755 if item.executable else 0o644)
        with (job_dir / "logs" / "output.log").open("ab") as log:
            proc = subprocess.Popen(
                request.argv,
                cwd=request.cwd or job_dir,
                env={**os.environ, **dict(request.env)},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _CHILDREN[spec.job_id] = proc
        record = self._record(spec.job_id)
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(json.dumps({"pid": proc.pid, "job_dir": str(job_dir)}))
        return Handle(self.name, CLUSTER, spec.job_id)

    def _job(self, handle: Handle) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = json.loads(self._record(handle.job_id).read_text())
        except FileNotFoundError:
            return None
        return data

    def describe(self, handles: Sequence[Handle]) -> dict[Handle, JobStatus | None]:
        """The exit marker's state, else RUNNING while the process lives."""
        result: dict[Handle, JobStatus | None] = {}
        for handle in handles:
            job = self._job(handle) if handle.cluster == CLUSTER else None
            if job is None:
                result[handle] = None
                continue
            marker = read_exit_marker(Path(job["job_dir"]) / "exit.json")
            if marker is not None:
                result[handle] = marker.to_status()
            elif _alive(handle.job_id, job["pid"]):
                result[handle] = JobStatus(JobState.RUNNING)
            else:
                result[handle] = JobStatus(JobState.UNKNOWN, message="ended without an exit marker")
        return result

    def find(self, names: Sequence[str]) -> dict[str, Handle]:
        """The jobs that have a record."""
        return {n: Handle(self.name, CLUSTER, n) for n in names if self._record(n).is_file()}

    def logs(self, handle: Handle, *, follow: bool = False, since: int = 0) -> Iterator[str]:
        """The job's output from byte offset ``since`` (no following)."""
        job = self._job(handle)
        if job is None:
            return iter(())
        data = (Path(job["job_dir"]) / "logs" / "output.log").read_bytes()[since:]
        return iter(data.decode(errors="replace").splitlines(keepends=True))

    def _cancel_existing(self, handles: Sequence[Handle]) -> None:
        for handle in handles:
            job = self._job(handle)
            assert job is not None  # the base only passes jobs that describe() knows
            with contextlib.suppress(ProcessLookupError):
                os.killpg(job["pid"], signal.SIGKILL)
            marker = ExitMarker.now(137, started=None, writer="toy", cancelled=True)
            write_exit_marker(Path(job["job_dir"]) / "exit.json", marker)


def _alive(job_id: str, pid: int) -> bool:
    child = _CHILDREN.get(job_id)
    if child is not None:
        return child.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@dataclass(kw_only=True)
class ToyExecutor(Executor):
    """Run jobs on the toy backend, in their job directory, with this interpreter."""

    backend_scheme: ClassVar[str] = "toy"

    def placement(self, job_id: str, job_dir: str) -> Placement:
        """The job directory as is, which is also the working directory."""
        del job_id
        return Placement(
            job_dir=job_dir,
            workdir=job_dir,
            python=sys.executable,
            launch_context=LaunchContext(nnodes=1, nproc_per_node=1, job_dir=job_dir),
        )
