"""Errors raised by nr_experiment."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nr_experiment.api import RunResult

__all__ = [
    "DependencyError",
    "ExperimentError",
    "ExperimentStateError",
    "JobFailedError",
    "UnknownJobError",
]


class ExperimentError(Exception):
    """Base class of every experiment error raised by nr_experiment."""


class DependencyError(ExperimentError, ValueError):
    """A job depends on an unknown job, or the dependencies form a cycle.

    Attributes:
        job: The job whose dependencies are wrong.
        detail: What is wrong (the unknown id, or the cycle).
    """

    def __init__(self, job: str, detail: str) -> None:
        self.job = job
        self.detail = detail
        super().__init__(f"job {job!r}: {detail}")


class UnknownJobError(ExperimentError, LookupError):
    """A job reference (id, name or index) matches no job, or several.

    Attributes:
        reference: The id, name or index looked up.
        known: The ids of the experiment's jobs.
    """

    def __init__(self, reference: object, known: list[str], reason: str = "no such job") -> None:
        self.reference = reference
        self.known = known
        super().__init__(f"{reason}: {reference!r}; the jobs are {known}")


class ExperimentStateError(ExperimentError, RuntimeError):
    """An operation does not fit the experiment's state (e.g. ``add`` after ``run``)."""


class JobFailedError(ExperimentError):
    """A job of ``run()`` did not succeed.

    Attributes:
        result: The run's result (experiment id, job states, exit code).
    """

    def __init__(self, result: "RunResult") -> None:
        self.result = result
        failed = ", ".join(
            f"{job.name} {job.state}" + (f" (exit code {job.exit_code})" if job.exit_code else "")
            for job in result.jobs
            if job.state != "SUCCEEDED"
        )
        super().__init__(
            f"experiment {result.experiment_id}: {failed}; "
            f"inspect with `nemorun experiment status {result.experiment_id}`"
        )
