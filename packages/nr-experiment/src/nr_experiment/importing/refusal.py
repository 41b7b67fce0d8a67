"""What an imported job that cannot run again here keeps as its task or executor.

The saved record is a configuration of :func:`refuse_rerun`: rebuilding the job (``rerun``,
``Experiment.reset()``) raises :class:`~nr_experiment.errors.RerunRefusedError` saying why,
while listing, status, logs and diff read the job as usual.
"""

from typing import Any, NoReturn

from nr_experiment.errors import RerunRefusedError

__all__ = ["refusal_record", "refuse_rerun"]


def refuse_rerun(job: str, reason: str) -> NoReturn:
    """Refuse to rebuild an imported job (the saved stand-in for what could not be read).

    Args:
        job: The job's id.
        reason: Why its task or executor could not be imported.

    Raises:
        RerunRefusedError: Always.
    """
    raise RerunRefusedError(job, reason)


def refusal_record(job: str, reason: str) -> dict[str, Any]:
    """The canonical record standing for a task or executor that could not be imported."""
    return {"_target_": f"{__name__}:refuse_rerun", "job": job, "reason": reason}
