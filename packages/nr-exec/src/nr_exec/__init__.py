"""Job model, executors, launchers, backends and the in-job runner.

Names are loaded on first access, so ``import nr_exec`` stays cheap: nothing below is imported
until used, and no backend SDK is imported until its backend is.
"""

from nr_exec.__about__ import __version__
from nr_exec._lazy import lazy_exports
from nr_exec.errors import (
    BackendError,
    BatchSubmitError,
    ExecError,
    ExecutorConfigError,
    ExecutorFileError,
    ExitMarkerError,
    HandleError,
    LauncherError,
    MissingExtraError,
    UnknownAttributeError,
    UnknownBackendError,
    UnknownFieldError,
    UnsupportedFeatureError,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from nr_exec.backend import Backend, BatchEntry, Capabilities, Request
    from nr_exec.constants import EnvVar
    from nr_exec.context import BackendContext
    from nr_exec.devspace import DevSpace
    from nr_exec.docker import DockerBackend, DockerExecutor, DockerRequest
    from nr_exec.executor import Executor
    from nr_exec.executor_files import import_executor
    from nr_exec.extras import require_extra
    from nr_exec.handle import Handle
    from nr_exec.jobs import make_job_spec
    from nr_exec.launchers import (
        FaultTolerance,
        LaunchContext,
        Launcher,
        SlurmRay,
        SlurmTemplate,
        Torchrun,
        launcher_names,
        register_launcher,
        resolve_launcher,
    )
    from nr_exec.local import LocalBackend, LocalExecutor, LocalRequest
    from nr_exec.macros import ExecutorMacros
    from nr_exec.marker import EXIT_MARKER_ENV, ExitMarker, read_exit_marker, write_exit_marker
    from nr_exec.paths import nemorun_home
    from nr_exec.placement import Placement
    from nr_exec.registry import (
        backend_class,
        backend_for,
        backend_for_handle,
        backend_schemes,
        create_backend,
    )
    from nr_exec.settings import BackendSettings, NoSettings
    from nr_exec.slurm import (
        ResourceRequest,
        SlurmBackend,
        SlurmExecutor,
        SlurmJobDetails,
        SlurmRequest,
    )
    from nr_exec.spec import JobFile, JobSpec, Mount, Resources
    from nr_exec.states import FailureReason, JobState, JobStatus
    from nr_exec.wrapper import wrap_command

_LAZY = {
    "Backend": "nr_exec.backend",
    "BatchEntry": "nr_exec.backend",
    "Capabilities": "nr_exec.backend",
    "Request": "nr_exec.backend",
    "EnvVar": "nr_exec.constants",
    "BackendContext": "nr_exec.context",
    "DevSpace": "nr_exec.devspace",
    "import_executor": "nr_exec.executor_files",
    "ExecutorMacros": "nr_exec.macros",
    "SlurmRay": "nr_exec.launchers",
    "ResourceRequest": "nr_exec.slurm",
    "nemorun_home": "nr_exec.paths",
    "Placement": "nr_exec.placement",
    "backend_class": "nr_exec.registry",
    "backend_for": "nr_exec.registry",
    "backend_for_handle": "nr_exec.registry",
    "backend_schemes": "nr_exec.registry",
    "create_backend": "nr_exec.registry",
    "BackendSettings": "nr_exec.settings",
    "NoSettings": "nr_exec.settings",
    "SlurmRequest": "nr_exec.slurm",
    "Executor": "nr_exec.executor",
    "DockerBackend": "nr_exec.docker",
    "DockerExecutor": "nr_exec.docker",
    "DockerRequest": "nr_exec.docker",
    "require_extra": "nr_exec.extras",
    "Handle": "nr_exec.handle",
    "make_job_spec": "nr_exec.jobs",
    "FaultTolerance": "nr_exec.launchers",
    "LaunchContext": "nr_exec.launchers",
    "Launcher": "nr_exec.launchers",
    "SlurmTemplate": "nr_exec.launchers",
    "Torchrun": "nr_exec.launchers",
    "launcher_names": "nr_exec.launchers",
    "register_launcher": "nr_exec.launchers",
    "resolve_launcher": "nr_exec.launchers",
    "LocalBackend": "nr_exec.local",
    "LocalExecutor": "nr_exec.local",
    "LocalRequest": "nr_exec.local",
    "EXIT_MARKER_ENV": "nr_exec.marker",
    "ExitMarker": "nr_exec.marker",
    "read_exit_marker": "nr_exec.marker",
    "write_exit_marker": "nr_exec.marker",
    "SlurmBackend": "nr_exec.slurm",
    "SlurmExecutor": "nr_exec.slurm",
    "SlurmJobDetails": "nr_exec.slurm",
    "JobFile": "nr_exec.spec",
    "JobSpec": "nr_exec.spec",
    "Mount": "nr_exec.spec",
    "Resources": "nr_exec.spec",
    "FailureReason": "nr_exec.states",
    "JobState": "nr_exec.states",
    "JobStatus": "nr_exec.states",
    "wrap_command": "nr_exec.wrapper",
}

__all__ = [
    "EXIT_MARKER_ENV",
    "Backend",
    "BackendContext",
    "BackendError",
    "BackendSettings",
    "BatchEntry",
    "BatchSubmitError",
    "Capabilities",
    "DevSpace",
    "DockerBackend",
    "DockerExecutor",
    "DockerRequest",
    "EnvVar",
    "ExecError",
    "Executor",
    "ExecutorConfigError",
    "ExecutorFileError",
    "ExecutorMacros",
    "ExitMarker",
    "ExitMarkerError",
    "FailureReason",
    "FaultTolerance",
    "Handle",
    "HandleError",
    "JobFile",
    "JobSpec",
    "JobState",
    "JobStatus",
    "LaunchContext",
    "Launcher",
    "LauncherError",
    "LocalBackend",
    "LocalExecutor",
    "LocalRequest",
    "MissingExtraError",
    "Mount",
    "NoSettings",
    "Placement",
    "Request",
    "ResourceRequest",
    "Resources",
    "SlurmBackend",
    "SlurmExecutor",
    "SlurmJobDetails",
    "SlurmRay",
    "SlurmRequest",
    "SlurmTemplate",
    "Torchrun",
    "UnknownAttributeError",
    "UnknownBackendError",
    "UnknownFieldError",
    "UnsupportedFeatureError",
    "__version__",
    "backend_class",
    "backend_for",
    "backend_for_handle",
    "backend_schemes",
    "create_backend",
    "import_executor",
    "launcher_names",
    "make_job_spec",
    "nemorun_home",
    "read_exit_marker",
    "register_launcher",
    "require_extra",
    "resolve_launcher",
    "wrap_command",
    "write_exit_marker",
]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
