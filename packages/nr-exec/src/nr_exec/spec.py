"""The backend-agnostic job model: what to run, where, with which resources.

A :class:`JobSpec` is plain, frozen data. Executors make it from a task (see
:func:`nr_exec.make_job_spec`); backends turn one spec, or a group of specs sharing one
allocation, into a request (``Backend.dryrun``).
"""

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["JobFile", "JobSpec", "Mount", "Resources", "StagedFile"]


@dataclass(frozen=True, kw_only=True)
class Resources:
    """What one job asks for.

    Attributes:
        nodes: Number of nodes.
        ntasks_per_node: Processes the backend starts per node (1 when a launcher such as
            torchrun starts the workers itself).
        gpus_per_node: GPUs per node, or None when the job asks for none.
        cpus_per_task: CPUs per task, or None for the backend default.
        mem: Memory per node, in the backend's notation (``"16G"``), or None.
        time: Wall-time limit (``"HH:MM:SS"``), or None for no limit.
    """

    nodes: int = 1
    ntasks_per_node: int = 1
    gpus_per_node: int | None = None
    cpus_per_task: int | None = None
    mem: str | None = None
    time: str | None = None


@dataclass(frozen=True)
class Mount:
    """A path of the launching side made visible to the job.

    Attributes:
        source: Path on the host (or volume name).
        target: Path inside the job.
        readonly: Whether the job may only read it.
    """

    source: str
    target: str
    readonly: bool = False


@dataclass(frozen=True)
class JobFile:
    """A file the backend writes into the job directory before the job starts.

    Attributes:
        path: Path relative to the job directory, e.g. ``"configs/train.task.json"``.
        content: The file's text.
        executable: Whether to make it executable.
    """

    path: str
    content: str
    executable: bool = False

    def staged(self, job_dir: str) -> "StagedFile":
        """Return this file placed in ``job_dir`` (a directory of the host that writes it)."""
        return StagedFile(f"{job_dir}/{self.path}", self.content, self.executable)


@dataclass(frozen=True)
class StagedFile:
    """A file a backend writes, at an absolute path, before it starts a job.

    Unlike a :class:`JobFile`, whose path is relative to the job directory, a staged file's
    path is final: on this host (Docker, local) or on the cluster (Slurm).

    Attributes:
        path: Absolute path of the file where it is written.
        content: The file's text.
        executable: Whether to make it executable.
    """

    path: str
    content: str
    executable: bool = False


@dataclass(frozen=True, kw_only=True)
class JobSpec:
    """One job, as plain data.

    Attributes:
        name: Human-readable job name.
        job_id: Unique id of the job (path-safe).
        experiment_id: Id of the experiment the job belongs to, if any.
        argv: The command the job runs (already wrapped by the launcher and exit-marker wrapper).
        env: Environment variables added to the job's environment.
        workdir: Working directory of the job ("" lets the backend choose).
        job_dir: Directory holding the job's files, logs and exit marker, as the job sees it.
        resources: Nodes, tasks and devices.
        mounts: Paths to mount into the job.
        retries: How many times to restart the job after a failure.
        launcher: Name of the launcher that built ``argv`` (``None`` for a direct launch).
        files: Files to write into ``job_dir`` before the job starts.
        image: Container image, for backends that run containers.
        dependencies: Handles (as strings) of jobs that must succeed before this one starts.
        array: Number of array elements, for backends that support job arrays.
        metadata: Free-form data carried along (e.g. ``Script.metadata``).
        backend_options: Backend-specific settings (JSON-compatible) from
            :meth:`Executor.backend_options`, read only by that executor's backend.
    """

    name: str
    job_id: str
    argv: tuple[str, ...]
    job_dir: str
    experiment_id: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    workdir: str = ""
    resources: Resources = field(default_factory=Resources)
    mounts: tuple[Mount, ...] = ()
    retries: int = 0
    launcher: str | None = None
    files: tuple[JobFile, ...] = ()
    image: str | None = None
    dependencies: tuple[str, ...] = ()
    array: int | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    backend_options: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the spec as JSON-compatible data (see :meth:`from_dict`)."""
        data = asdict(self)
        data["env"] = dict(self.env)
        data["metadata"] = dict(self.metadata)
        data["backend_options"] = dict(self.backend_options)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "JobSpec":
        """Rebuild a spec from :meth:`to_dict` output."""
        values = dict(data)
        values["argv"] = tuple(values["argv"])
        values["resources"] = Resources(**values.get("resources", {}))
        values["mounts"] = tuple(Mount(**m) for m in values.get("mounts", ()))
        values["files"] = tuple(JobFile(**f) for f in values.get("files", ()))
        values["dependencies"] = tuple(values.get("dependencies", ()))
        return cls(**values)

    def to_json(self) -> str:
        """Return the spec as canonical JSON text."""
        return json.dumps(self.to_dict(), sort_keys=True, indent=2)

    @classmethod
    def from_json(cls, text: str) -> "JobSpec":
        """Parse :meth:`to_json` output."""
        return cls.from_dict(json.loads(text))

    @property
    def exit_marker(self) -> str:
        """Path of the job's exit marker (``<job_dir>/exit.json``)."""
        return f"{self.job_dir}/exit.json"
