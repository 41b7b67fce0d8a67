"""``DevSpace``: NeMo-Run's interactive workspace in a job, which nr-exec does not provide."""

from typing import Any, NoReturn

from nr_exec.errors import UnsupportedFeatureError

__all__ = ["DevSpace"]


class DevSpace:
    """NeMo-Run's devspace (an SSH server inside a job to develop in); not supported here.

    Constructing one raises, so that code written for NeMo-Run fails at once with what to do
    instead rather than later in the job.

    Raises:
        UnsupportedFeatureError: Always.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        del args, kwargs
        _refuse()


def _refuse() -> NoReturn:
    raise UnsupportedFeatureError(
        "run.DevSpace is not supported: it needs an SSH server started inside the job. "
        "For an interactive session on Slurm, allocate nodes from the login node "
        "(`salloc ...` then `srun --pty bash`, or `run.SSHTunnel(...).run(...)`); to run "
        "work there, submit it as a task (`run.Script(...)` or a `run.Partial`) with "
        "`run.SlurmExecutor`"
    )
