"""The ``Executor`` base: declarative, validated description of where and how a task runs."""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import nr_config
from nr_package import Packager

from nr_exec.errors import ExecutorConfigError
from nr_exec.launchers import LaunchContext, Launcher, resolve_launcher
from nr_exec.spec import JobSpec, Resources
from nr_exec.validation import check_fields

if TYPE_CHECKING:
    from nr_exec.backend import Backend

__all__ = ["Executor"]


@dataclass(kw_only=True)
class Executor:
    """Base of every executor.

    Executors are dataclasses checked at construction: a field of the wrong type or value
    raises :class:`~nr_exec.errors.ExecutorConfigError` naming the field, what it accepts and
    what was given. Subclasses add their backend's fields and extend :meth:`validate`.

    Attributes:
        packager: How the code is shipped to the job.
        launcher: A launcher object, a registered launcher name (``"torchrun"``, ``"ft"``,
            ``"slurm_template"``), or None to run the task directly.
        env_vars: Environment variables of the job.
        retries: How many times to restart a failed job.
        experiment_id: Id of the experiment the job belongs to, if any.
        job_dir: Directory of the job's files; empty for the default
            (``$NEMORUN_HOME/jobs/<job-id>``).
    """

    packager: Packager = field(default_factory=Packager)
    launcher: Launcher | str | None = None
    env_vars: dict[str, str] = field(default_factory=dict)
    retries: int = 0
    experiment_id: str | None = None
    job_dir: str = ""

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every field; subclasses call ``super().validate()`` and add their checks.

        Raises:
            ExecutorConfigError: A field has a wrong type or value.
        """
        check_fields(self)
        self._require(self.retries >= 0, "retries", "an int >= 0", self.retries)
        if isinstance(self.launcher, str):
            resolve_launcher(self.launcher, field=f"{type(self).__name__}.launcher")

    def _require(self, ok: bool, name: str, expected: str, given: object) -> None:
        if not ok:
            raise ExecutorConfigError(f"{type(self).__name__}.{name}", expected, given)

    def info(self) -> str:
        """One-line description of the executor (its class name by default)."""
        return type(self).__qualname__

    def nnodes(self) -> int:
        """Number of nodes the job spans."""
        return 1

    def nproc_per_node(self) -> int:
        """Processes per node (torchrun's ``--nproc-per-node``)."""
        return 1

    def resources(self) -> Resources:
        """Resources the job asks for."""
        return Resources(nodes=self.nnodes(), ntasks_per_node=self.nproc_per_node())

    def get_launcher(self) -> Launcher:
        """Return the launcher object (resolving a name; the direct launcher when None)."""
        return resolve_launcher(self.launcher)

    def launch_context(self, job_dir: str) -> LaunchContext:
        """What launchers need: sizes and, for multi-node jobs, rendezvous host and node rank.

        The base class uses ``localhost`` and node rank 0; backends whose jobs span nodes
        return shell variable references their job script defines.
        """
        return LaunchContext(
            nnodes=self.nnodes(), nproc_per_node=self.nproc_per_node(), job_dir=job_dir
        )

    def python_executable(self) -> str:
        """The Python interpreter the job runs a ``Partial`` with."""
        return "python"

    def working_dir(self, job_dir: str) -> str:
        """The job's working directory ("" lets the backend choose)."""
        del job_dir
        return ""

    def backend_job_dir(self, local_job_dir: str) -> str:
        """The job directory to make specs with, for a job whose files are in ``local_job_dir``.

        An experiment keeps each job's files in its store on this machine; a backend whose
        jobs run elsewhere (a cluster reached through a tunnel) puts the job directory there.

        Returns:
            ``local_job_dir`` (the default).
        """
        return local_job_dir

    def backend_options(self, job_dir: str) -> dict[str, Any]:
        """Backend-specific settings carried by the job spec (``JobSpec.backend_options``).

        Args:
            job_dir: The job's directory, as the job sees it.

        Returns:
            JSON-compatible data only this executor's backend reads (none by default).
        """
        del job_dir
        return {}

    def backend_writes_exit_marker(self) -> bool:
        """Whether the backend records each job's exit itself (no exit-marker wrapper needed).

        When true, :func:`~nr_exec.make_job_spec` leaves ``Script`` and launcher commands
        unwrapped; the backend's job script writes ``exit.json``.
        """
        return False

    def supports_launcher_transform(self) -> bool:
        """Whether launchers that rewrite the job into a script (``SlurmTemplate``) may be used."""
        return False

    def backend(self) -> "Backend":
        """Return the backend that runs this executor's jobs (imported on first use)."""
        raise NotImplementedError(f"{type(self).__name__} has no backend")

    def to_config(self) -> Any:
        """Return the executor as an nr-config ``Config`` (a declarative, serializable copy)."""
        return nr_config.dataclass_to_config(self)

    def clone(self) -> "Executor":
        """Return a deep, independent copy (built from :meth:`to_config`)."""
        copy: Executor = nr_config.build(self.to_config())
        return copy

    def to_job_spec(
        self,
        task: Any,
        *,
        name: str | None = None,
        job_dir: str | None = None,
        job_id: str | None = None,
    ) -> JobSpec:
        """Make the job spec running ``task`` (a ``Partial`` or a ``Script``) on this executor.

        See :func:`nr_exec.make_job_spec`.
        """
        from nr_exec.jobs import make_job_spec  # noqa: PLC0415 - jobs imports this module

        return make_job_spec(task, self, name=name, job_dir=job_dir, job_id=job_id)
