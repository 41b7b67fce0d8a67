"""Errors raised by nr_experiment."""

from typing import TYPE_CHECKING

from nr_exec import BackendError, JobState

if TYPE_CHECKING:
    from nr_experiment.api import RunResult

__all__ = [
    "DependencyError",
    "ExperimentError",
    "ExperimentStateError",
    "HistoryImportError",
    "JobFailedError",
    "RerunRefusedError",
    "SubmitError",
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


class SubmitError(ExperimentError, BackendError):
    """A submit failed part-way; says where each job of the failed step stands.

    The backend's error is :attr:`error` (not chained: the message says it in one line).
    Jobs the backend received have their handles; jobs it refused are ``FAILED`` with reason
    ``SUBMIT_ERROR``; jobs it never received are ``UNSUBMITTED``; ``Experiment.resume()``
    launches both. Jobs it cannot yet be told about are in doubt (``status()`` resolves them).

    Attributes:
        experiment_id: The experiment.
        error: The backend's error.
        submitted: Ids of the step's jobs that were submitted.
        failed: Ids of the jobs the backend refused (``FAILED``, ``SUBMIT_ERROR``).
        not_submitted: Ids of the jobs the backend never received.
        in_doubt: Ids of the jobs still in doubt.
    """

    def __init__(
        self,
        experiment_id: str,
        error: Exception,
        *,
        submitted: list[str],
        failed: list[str] | None = None,
        not_submitted: list[str],
        in_doubt: list[str],
    ) -> None:
        self.experiment_id = experiment_id
        self.error = error
        self.submitted = submitted
        self.failed = list(failed or [])
        self.not_submitted = not_submitted
        self.in_doubt = in_doubt
        parts = [
            f"{len(ids)} {what}"
            for ids, what in (
                (submitted, "submitted"),
                (self.failed, "failed (Experiment.resume() launches them once fixed)"),
                (not_submitted, "not submitted (Experiment.resume() launches them)"),
                (in_doubt, "in doubt (status() resolves them)"),
            )
            if ids
        ]
        super().__init__(
            f"experiment {experiment_id}: a submit failed: {error}; {', '.join(parts)}"
        )


class JobFailedError(ExperimentError):
    """A job of ``run()`` did not succeed.

    Attributes:
        result: The run's result (experiment id, job states, exit code).
    """

    def __init__(self, result: "RunResult") -> None:
        self.result = result
        failed = ", ".join(
            f"{job.name} {job.state.value}"
            + (f" ({job.reason.value})" if job.reason is not None else "")
            + (f" (exit code {job.exit_code})" if job.exit_code else "")
            for job in result.jobs
            if job.state is not JobState.SUCCEEDED
        )
        if not result.experiment_id:  # an in-process call that was not recorded
            super().__init__(f"{failed} (in this process; its error is the cause)")
            return
        super().__init__(
            f"experiment {result.experiment_id}: {failed}; "
            f"inspect with `nemorun experiment status {result.experiment_id}`"
        )


class HistoryImportError(ExperimentError, ValueError):
    """Experiments written by NeMo-Run cannot be read (the message names the file and why)."""


class RerunRefusedError(ExperimentError, RuntimeError):
    """An imported job cannot run again here: its task or executor could not be imported.

    Attributes:
        job: The job's id.
        reason: What could not be imported.
    """

    def __init__(self, job: str, reason: str) -> None:
        self.job = job
        self.reason = reason
        super().__init__(
            f"job {job!r} was imported from NeMo-Run without a runnable task or executor "
            f"({reason}); it can be listed, inspected and its logs read, but not run again: "
            "add the task again in a new experiment"
        )
