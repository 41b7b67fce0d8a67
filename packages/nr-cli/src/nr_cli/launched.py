"""The experiments a ``type="experiment"`` entrypoint launched, and whether their jobs failed.

The entrypoint's function runs its own ``with Experiment(...)`` blocks; each launch appends its
id to ``$NEMORUN_IDS_FILE`` (see `nr_experiment.ids`). The command points that variable at a
file of its own while the function runs (lines are copied on to the user's file, if one was
set), then reads the jobs' last recorded states: a job that ended ``FAILED`` or ``CANCELLED``
makes the command fail with the job's own exit code when it was the only job.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["LaunchedJobs", "launched_jobs"]


class LaunchedJobs:
    """The experiment ids written to the ids file while an entrypoint ran."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def ids(self) -> list[str]:
        """The ids of the experiments launched, in launch order."""
        if not self.path.is_file():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line)["experiment_id"] for line in lines if line.strip()]

    def failure(self) -> tuple[str, int] | None:
        """``(message, exit code)`` when a launched job ended FAILED or CANCELLED, else None.

        The exit code is the job's own (1-255) when the entrypoint launched one job, else 1.
        """
        from nr_exec.states import JobState  # noqa: PLC0415 - loaded by the launch already
        from nr_experiment.store import Store  # noqa: PLC0415

        store = Store()
        jobs = [(eid, job) for eid in self.ids() for job in store.jobs(eid)]
        failed = [
            (eid, job) for eid, job in jobs if job.state in (JobState.FAILED, JobState.CANCELLED)
        ]
        if not failed:
            return None
        eid, job = failed[0]
        code = job.exit_code if len(jobs) == 1 else None
        exit_code = code if isinstance(code, int) and 0 < code < 256 else 1
        detail = f" (exit code {job.exit_code})" if job.exit_code is not None else ""
        more = f" and {len(failed) - 1} more" if len(failed) > 1 else ""
        message = f"job {job.id} of {eid} {job.state.value}{detail}{more}"
        return message, exit_code


@contextlib.contextmanager
def launched_jobs() -> Iterator[LaunchedJobs]:
    """Record the experiments launched in this process while the block runs."""
    from nr_experiment.ids import IDS_FILE_ENV  # noqa: PLC0415 - only for experiment entrypoints

    previous = os.environ.get(IDS_FILE_ENV)
    with tempfile.TemporaryDirectory(prefix="nemorun-ids-") as folder:
        path = Path(folder) / "ids.jsonl"
        os.environ[IDS_FILE_ENV] = str(path)
        try:
            yield LaunchedJobs(path)
        finally:
            if previous is None:
                os.environ.pop(IDS_FILE_ENV, None)
            else:
                os.environ[IDS_FILE_ENV] = previous
                if previous and path.is_file():
                    with Path(previous).open("a", encoding="utf-8") as theirs:
                        theirs.write(path.read_text(encoding="utf-8"))
