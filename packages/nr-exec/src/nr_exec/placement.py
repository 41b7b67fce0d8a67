"""Where a job lives on its target: job directory, working directory, interpreter, image."""

from dataclasses import dataclass

from nr_exec.launchers import LaunchContext

__all__ = ["Placement"]


@dataclass(frozen=True, kw_only=True)
class Placement:
    """The one question an executor answers about placement (``Executor.placement``).

    Attributes:
        job_dir: The job directory, as the job sees it (a container path, a cluster path).
        workdir: The job's working directory ("" lets the backend choose).
        python: The interpreter that runs a ``Partial``.
        launch_context: What launchers need (sizes, rendezvous host and node rank).
        image: The container image, for backends that run containers.
    """

    job_dir: str
    workdir: str = ""
    python: str = "python"
    launch_context: LaunchContext
    image: str | None = None
