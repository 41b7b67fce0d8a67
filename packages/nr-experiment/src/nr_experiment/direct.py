"""Running a job in the launching process (``run(direct=True)``).

A ``Partial`` is built and called here, its output copied to the job's ``logs/output.log``;
a ``Script`` runs as a child process whose output is copied the same way. Either way the
job's ``exit.json`` is written, as a backend's job would.
"""

import contextlib
import io
import os
import subprocess
import sys
import traceback
from pathlib import Path
from typing import Any, TextIO

import nr_config
from nr_config import Partial
from nr_exec import EXIT_MARKER_ENV, ExitMarker, JobState, write_exit_marker
from nr_exec.marker import utc_now

from nr_experiment.job import BaseJob

__all__ = ["run_direct"]

LOG_FILE = "logs/output.log"


class _Tee(io.TextIOBase):
    """A text stream writing to two streams."""

    def __init__(self, first: TextIO, second: TextIO) -> None:
        self.first, self.second = first, second

    def write(self, text: str) -> int:
        self.first.write(text)
        self.second.write(text)
        return len(text)

    def flush(self) -> None:
        self.first.flush()
        self.second.flush()


def _call(task: Partial[Any], log: TextIO) -> tuple[int, str | None]:
    tee = _Tee(sys.stdout, log)
    with contextlib.redirect_stdout(tee), contextlib.redirect_stderr(_Tee(sys.stderr, log)):
        try:
            nr_config.build(task)()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            return code, None if code == 0 else f"SystemExit: {exc.code}"
        except Exception as exc:  # noqa: BLE001 - the job's failure is recorded, not raised
            traceback.print_exc()
            return 1, f"{type(exc).__name__}: {exc}"
    return 0, None


def _spawn(argv: list[str], env: dict[str, str], cwd: str, log: TextIO) -> int:
    with subprocess.Popen(
        argv,
        env={**os.environ, **env},
        cwd=cwd or None,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as proc:
        assert proc.stdout is not None  # noqa: S101 - guaranteed by stdout=PIPE
        for line in proc.stdout:
            sys.stdout.write(line)
            log.write(line)
        return proc.wait()


def run_direct(job: BaseJob) -> None:
    """Run every task of ``job`` here, one after the other, and record how it ended.

    Args:
        job: The job; its state, exit code and message are updated.
    """
    job_dir = Path(job.job_dir)
    (job_dir / "logs").mkdir(parents=True, exist_ok=True)
    started = utc_now()
    code, error = 0, None
    with (job_dir / LOG_FILE).open("a", encoding="utf-8") as log:
        for index, task in enumerate(job.read_tasks()):
            if isinstance(task, Partial):
                code, error = _call(task, log)
            else:
                spec: Any = job.executor_for(index).to_job_spec(
                    task, name=job.name, job_dir=str(job_dir), job_id=job.id
                )
                for item in spec.files:
                    path = job_dir / item.path
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(item.content, encoding="utf-8")
                    if item.executable:
                        path.chmod(0o755)
                env = {**spec.env, EXIT_MARKER_ENV: str(job_dir / f".exit-{index}.json")}
                code = _spawn(list(spec.argv), env, spec.workdir, log)
                error = None
            if code != 0:
                break
    marker = ExitMarker.now(code, started=started, writer="direct", error=error)
    write_exit_marker(job_dir / "exit.json", marker)
    job.direct = True
    job.set_state(JobState.SUCCEEDED if code == 0 else JobState.FAILED, code, error or "")
