"""The ``Executor`` base: declarative, validated description of where and how a task runs."""

import copy
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import nr_config
from nr_package import Packager

from nr_exec.errors import ExecutorConfigError
from nr_exec.launchers import LaunchContext, Launcher, resolve_launcher
from nr_exec.placement import Placement
from nr_exec.settings import BackendSettings, NoSettings
from nr_exec.snapshot import Fingerprint, plain_copy
from nr_exec.spec import JobSpec, Resources
from nr_exec.validation import check_assignment, check_fields, check_keywords

if TYPE_CHECKING:
    from nr_exec.backend import Capabilities
    from nr_exec.macros import ExecutorMacros

__all__ = ["Executor"]


@dataclass(kw_only=True)
class Executor(nr_config.ConfigurableMixin):
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
    :func:`nr_exec.backend_for`. As a ``ConfigurableMixin`` it has ``to_config()`` (a
    declarative, serializable copy; non-init fields are left out) and ``diff(old)``.

    Attributes:
        packager: How the code is shipped to the job.
        launcher: A launcher object, a registered launcher name (``"torchrun"``, ``"ft"``,
            ``"slurm_template"``), or None to run the task directly.
        env_vars: Environment variables of the job.
        retries: How many times to restart a failed job.
        experiment_id: Id of the experiment the job belongs to, if any.
        job_dir: Directory of the job's files; empty for the default
            (``$NEMORUN_HOME/jobs/<job-id>``).
        experiment_dir: Directory of the experiment the job belongs to (set by
            :meth:`assign`; not a constructor argument).
    """

    #: The scheme of this executor's backend in the registry (``"local"``, ``"slurm"``).
    backend_scheme: ClassVar[str] = ""

    packager: Packager = field(default_factory=Packager)
    launcher: Launcher | str | None = None
    env_vars: dict[str, str] = field(default_factory=dict)
    retries: int = 0
    experiment_id: str | None = None
    job_dir: str = ""
    experiment_dir: str = field(default="", init=False)

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

    def assign(self, exp_id: str, exp_dir: str, task_id: str, task_dir: str) -> None:
        """Attach the executor to a job of an experiment (NeMo-Run's extension hook).

        Sets :attr:`experiment_id`, :attr:`experiment_dir` and :attr:`job_dir`
        (``<exp_dir>/<task_dir>``), from which :meth:`placement` derives where the job lives
        on its target. Subclasses that keep more per-job state extend it.

        Args:
            exp_id: The experiment's id.
            exp_dir: The experiment's directory.
            task_id: The job's id in the experiment.
            task_dir: The job directory's name inside ``exp_dir``.
        """
        del task_id
        self.experiment_id = exp_id
        self.experiment_dir = exp_dir
        self.job_dir = str(Path(exp_dir) / task_dir)

    def macro_values(self) -> "ExecutorMacros | None":
        """The variables the target defines for distributed launchers, or None (the default).

        When not None, every argument and environment value of the job's command goes
        through :meth:`ExecutorMacros.substitute`.
        """
        return None

    def get_launcher_prefix(self) -> list[str] | None:
        """The profiler arguments placed before the command, or None when not profiling.

        By default ``profile -s none -t <trace> -o <job dir>/<nsys_folder>/<file> ...`` when
        the launcher has ``nsys_profile=True`` (the job directory as the target sees it); the
        program running them is :meth:`get_nsys_entrypoint`. Override both to use another
        profiler.
        """
        target_dir = self.placement("", self.job_dir).job_dir
        return self.get_launcher().get_nsys_prefix(target_dir)

    def get_nsys_entrypoint(self) -> tuple[str, str]:
        """The profiler's program and a second word (empty by default): ``("nsys", "")``."""
        return ("nsys", "")

    def supports_launcher_transform(self) -> bool:
        """Whether the launcher rewrites the job into a script and the backend can run that."""
        launcher = self.get_launcher()
        rewrites = type(launcher).transform is not Launcher.transform
        return rewrites and self.capabilities().launcher_transform

    def cleanup(self, handle: str) -> None:
        """Release what the job left on its target once it ended (a no-op by default).

        Args:
            handle: The job's handle (``<scheme>://<cluster>/<job-id>``).
        """
        del handle

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

    def clone(self) -> "Executor":
        """Return a deep, independent copy, validated like a new executor.

        A data-only executor (see :mod:`nr_exec.snapshot`: the usual case) is copied field
        by field, and validated unless an executor of the very same types and values
        validated before (the built-in checks depend on the fields alone). Otherwise a deep
        copy that validates is returned; an executor that does not copy or validate is rebuilt
        from :meth:`to_config`, which also builds fields that were assigned configurations
        (``executor.packager = run.Config(...)``) and raises the validation error of a field
        that is wrong.
        """
        snapshot = plain_copy(self)
        try:
            if snapshot is None:
                duplicate = copy.deepcopy(self)
                _reset_computed(duplicate)
                duplicate.validate()
                return duplicate
            duplicate, key = snapshot
            _reset_computed(duplicate)
            if not _VALIDATED.seen(type(self), key):
                duplicate.validate()
                _VALIDATED.add(type(self), key)
        except (TypeError, copy.Error, ExecutorConfigError):
            rebuilt: Executor = nr_config.build(self.to_config())
            return rebuilt
        return duplicate

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


class _ValidatedStates:
    """Fingerprints of executor states that passed :meth:`Executor.validate` (a bounded set).

    Only for classes whose ``validate`` is one of this package's, which check the fields
    alone: a user's override may look at anything, so it runs on every copy.
    """

    _LIMIT = 256

    def __init__(self) -> None:
        self._keys: set[Fingerprint] = set()

    def seen(self, cls: type, key: Fingerprint) -> bool:
        return key in self._keys and _checks_fields_only(cls)

    def add(self, cls: type, key: Fingerprint) -> None:
        if not _checks_fields_only(cls):
            return
        if len(self._keys) >= self._LIMIT:
            self._keys.clear()
        self._keys.add(key)


def _checks_fields_only(cls: type) -> bool:
    validate = getattr(cls, "validate", None)
    return getattr(validate, "__module__", "").startswith("nr_exec.")


_VALIDATED = _ValidatedStates()


def _reset_computed(executor: Executor) -> None:
    """Give the fields that are no constructor arguments their defaults, as a rebuild does."""
    cls = type(executor)
    computed = _COMPUTED_FIELDS.get(cls)
    if computed is None:
        fields = dataclasses.fields(cls)
        computed = tuple(spec for spec in fields if not spec.init and _has_default(spec))
        _COMPUTED_FIELDS[cls] = computed
    for spec in computed:
        setattr(executor, spec.name, _default_of(spec))


_COMPUTED_FIELDS: dict[type, tuple["dataclasses.Field[Any]", ...]] = {}


def _has_default(spec: "dataclasses.Field[Any]") -> bool:
    return (
        spec.default is not dataclasses.MISSING or spec.default_factory is not dataclasses.MISSING
    )


def _default_of(spec: "dataclasses.Field[Any]") -> Any:
    """The value a new instance gives the field ``spec``."""
    if spec.default_factory is not dataclasses.MISSING:
        return spec.default_factory()
    return spec.default
