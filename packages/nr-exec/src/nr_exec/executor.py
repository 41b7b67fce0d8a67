"""The ``Executor`` base: declarative, validated description of where and how a task runs."""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import nr_config
from nr_package import Packager

from nr_exec.errors import ExecutorConfigError
from nr_exec.launchers import LaunchContext, Launcher, resolve_launcher
from nr_exec.placement import Placement
from nr_exec.settings import BackendSettings, NoSettings
from nr_exec.spec import JobSpec, Resources
from nr_exec.validation import check_assignment, check_fields, check_keywords

if TYPE_CHECKING:
    from nr_exec.backend import Capabilities

__all__ = ["Executor"]


@dataclass(kw_only=True)
class Executor:
    """Base of every executor.

    Executors are dataclasses checked at construction: a field of the wrong type or value
    raises :class:`~nr_exec.errors.ExecutorConfigError` naming the field, what it accepts and
    what was given; a keyword that is no field raises
    :class:`~nr_exec.errors.UnknownFieldError` with a did-you-mean. Assigning an attribute that
    is no field (``executor.ntasks_per_nod = 2``) raises
    :class:`~nr_exec.errors.UnknownAttributeError`; names starting with ``_`` stay free for
    subclasses' private state. Subclasses add their backend's fields and extend
    :meth:`validate`.

    An executor only describes: it names its backend (:attr:`backend_scheme`, the handle
    scheme in the ``nr_exec.backends`` registry), answers where the job lives on the target
    (:meth:`placement`), and hands its backend one settings record (:meth:`settings`) plus
    how to reach the service (:meth:`connection`). It builds no backend; see
    :func:`nr_exec.backend_for`.

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

    #: The scheme of this executor's backend in the registry (``"local"``, ``"slurm"``).
    backend_scheme: ClassVar[str] = ""

    packager: Packager = field(default_factory=Packager)
    launcher: Launcher | str | None = None
    env_vars: dict[str, str] = field(default_factory=dict)
    retries: int = 0
    experiment_id: str | None = None
    job_dir: str = ""

    def __new__(cls, *args: Any, **kwargs: Any) -> "Executor":
        """Refuse unknown keywords before the dataclass ``__init__`` gives a bare TypeError."""
        del args
        check_keywords(cls, kwargs)
        return super().__new__(cls)

    def __setattr__(self, name: str, value: Any) -> None:
        check_assignment(self, name)
        super().__setattr__(name, value)

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

    def capabilities(self) -> "Capabilities":
        """What this executor's backend declares (read from its class; nothing is built)."""
        from nr_exec.registry import backend_class  # noqa: PLC0415 - the registry loads backends

        return backend_class(self.backend_scheme).capabilities

    def connection(self) -> dict[str, Any]:
        """JSON data saying how to reach the backend's service (none for local services).

        Saved with each job, so that any process rebuilds the backend of a handle from it
        (``BackendContext.connection``) without this executor or the user's code.
        """
        return {}

    def placement(self, job_id: str, job_dir: str) -> Placement:
        """Where the job lives on its target: job directory, working directory, interpreter.

        Args:
            job_id: The job's id.
            job_dir: The job's directory on the launching side (in the experiment store).

        Returns:
            By default the same directory, the backend's choice of working directory,
            ``python``, and a single-host launch context.
        """
        del job_id
        return Placement(
            job_dir=job_dir,
            launch_context=LaunchContext(
                nnodes=self.nnodes(), nproc_per_node=self.nproc_per_node(), job_dir=job_dir
            ),
        )

    def settings(self, job_dir: str) -> BackendSettings:
        """The settings record this executor's backend needs (``JobSpec.backend_options``).

        Args:
            job_dir: The job's directory on the launching side.

        Returns:
            :class:`~nr_exec.settings.NoSettings` by default.
        """
        del job_dir
        return NoSettings()

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
