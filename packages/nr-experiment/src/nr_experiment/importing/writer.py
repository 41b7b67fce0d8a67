"""Write experiments read from NeMo-Run's layout into the store, each all at once.

An experiment is assembled in a hidden directory next to its final place and renamed there
in one step, so a failure leaves the store as it was; the catalog is then rebuilt from the
files. An experiment already imported from the same directory is left alone (importing again
changes nothing); an id taken by another experiment is reported, not overwritten. Importing
never runs, builds or imports a task: a job is saved with what was read.
"""

from __future__ import annotations

import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nr_exec.states import JobState

from nr_experiment.__about__ import __version__
from nr_experiment.errors import HistoryImportError
from nr_experiment.importing.handles import slurm_handle
from nr_experiment.importing.layout import NemoRunExperiment, NemoRunJob, read_experiment
from nr_experiment.importing.layout import find_experiments as find_nemo_run_experiments
from nr_experiment.importing.refusal import refusal_record
from nr_experiment.store import (
    ExperimentRecord,
    InvalidNameError,
    JobRecord,
    Store,
    is_experiment_id,
    read_json,
    title_of,
    validate_job_name,
    write_json_atomic,
    write_text_atomic,
)

__all__ = ["DEFAULT_SOURCE", "ImportReport", "import_nemo_run"]

#: Where NeMo-Run keeps its experiments when ``NEMORUN_HOME`` was not set for it.
DEFAULT_SOURCE = Path("~/.nemo_run")
#: The key of ``experiment.json`` saying where an imported experiment came from.
IMPORTED_KEY = "imported_from"
_JOB_SUBDIRS = ("scripts", "code", "logs")
_LOG_FILE = "logs/output.log"
#: States an unfinished job keeps when its backend is asked again (others become UNKNOWN).
_FOLLOWABLE = frozenset({JobState.SUBMITTED, JobState.PENDING, JobState.RUNNING})


@dataclass
class ImportReport:
    """What an import did.

    Attributes:
        imported: Ids of the experiments imported now.
        unchanged: Ids of experiments imported from the same directories before.
        failed: ``(directory, reason)`` of each experiment that could not be imported.
        notes: ``(experiment id, note)``: jobs that cannot be run again, fields left out.
    """

    imported: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)


def import_nemo_run(source: Path | None = None, *, store: Store | None = None) -> ImportReport:
    """Import every experiment NeMo-Run wrote under ``source`` into the store.

    Args:
        source: NeMo-Run's home (the directory holding ``experiments/``); default
            ``~/.nemo_run``.
        store: The store to import into (default: ``$NEMORUN_HOME``).

    Returns:
        What was imported, what was there already, and what could not be imported and why.

    Raises:
        HistoryImportError: ``source`` is not a NeMo-Run home.
    """
    home = (source or DEFAULT_SOURCE).expanduser().absolute()
    target = store or Store()
    report = ImportReport()
    for path in find_nemo_run_experiments(home):
        try:
            experiment = read_experiment(path, home)
            done = _import_one(target, experiment, report)
        except (HistoryImportError, InvalidNameError, OSError) as error:
            report.failed.append((path, str(error)))
            continue
        (report.imported if done else report.unchanged).append(experiment.id)
    if report.imported:
        target.rebuild_catalog()
    return report


def _import_one(store: Store, experiment: NemoRunExperiment, report: ImportReport) -> bool:
    """Import one experiment; False when it was imported from the same directory before."""
    if not is_experiment_id(experiment.id) or title_of(experiment.id) != experiment.title:
        raise HistoryImportError(
            f"its id {experiment.id!r} is not '<title>_<19 digits>' with title "
            f"{experiment.title!r}, so it cannot keep its id here"
        )
    final = store.experiment_dir(experiment.id)
    existing = final / "experiment.json"
    if existing.is_file():
        origin = read_json(existing).get(IMPORTED_KEY)
        source = origin.get("source") if isinstance(origin, dict) else None
        if isinstance(source, str) and Path(source).resolve() == experiment.path.resolve():
            return False
        raise HistoryImportError(
            f"{final} already holds an experiment with id {experiment.id!r} that was not "
            f"imported from {experiment.path}; it is left as it is"
        )
    for job in experiment.jobs:
        validate_job_name(job.id)
    if final.resolve() == experiment.path.resolve():
        _write_in_place(experiment, store.home)
    else:
        _write_staged(final, experiment, store.home)
    report.notes.extend((experiment.id, note) for job in experiment.jobs for note in _notes(job))
    return True


def _write_staged(final: Path, experiment: NemoRunExperiment, home: Path) -> None:
    """Assemble the experiment in a hidden directory, then rename it into place."""
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = final.parent / f".import-{experiment.id}-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        _write(staging, experiment, home)
        staging.rename(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _write_in_place(experiment: NemoRunExperiment, home: Path) -> None:
    """Import into NeMo-Run's own directory (the same home): add our files, touch nothing else."""
    written: list[Path] = []
    try:
        _write(experiment.path, experiment, home, written)
    except BaseException:
        for path in reversed(written):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        raise


def _write(
    exp_dir: Path,
    experiment: NemoRunExperiment,
    home: Path,
    written: list[Path] | None = None,
) -> None:
    created = experiment.path.stat().st_mtime
    made = written if written is not None else []
    for order, job in enumerate(experiment.jobs):
        job_dir = exp_dir / job.id
        if not job_dir.exists():
            job_dir.mkdir()
            made.append(job_dir)
        for sub in _JOB_SUBDIRS:
            if not (job_dir / sub).exists():
                (job_dir / sub).mkdir()
                made.append(job_dir / sub)
        if job.logs:
            made.append(job_dir / _LOG_FILE)
            write_text_atomic(job_dir / _LOG_FILE, _joined_logs(job.logs))
        when = created + order * 1e-6  # keeps NeMo-Run's order of the jobs
        record = {
            **JobRecord.new(experiment.id, job.id, job.id),
            **_job_content(job, experiment, when, _followed(job, home)),
            "created": when,
            "written": time.time(),
        }
        JobRecord.from_json(job_dir / "job.json", record)  # refuse what could not be read back
        made.append(job_dir / "job.json")
        write_json_atomic(job_dir / "job.json", record)
    if experiment.main_source is not None:
        made.append(exp_dir / "main.py")
        shutil.copyfile(experiment.main_source, exp_dir / "main.py")
    meta = _experiment_content(experiment, created)
    ExperimentRecord.from_json(exp_dir / "experiment.json", meta)
    made.append(exp_dir / "experiment.json")
    write_json_atomic(exp_dir / "experiment.json", meta)  # last: it makes the experiment visible


def _joined_logs(files: list[Path]) -> str:
    parts = []
    for file in files:
        text = file.read_text(encoding="utf-8", errors="replace")
        parts.append(text if len(files) == 1 else f"==> {file.name} <==\n{text}")
    return "".join(parts)


def _notes(job: NemoRunJob) -> list[str]:
    notes = [f"job {job.id!r} cannot be run again: {job.refusal}"] if job.refusal else []
    if job.dropped:
        notes.append(f"job {job.id!r}: left out fields nemo-run does not take: {job.dropped}")
    return notes


def _executor_info(job: NemoRunJob) -> str:
    if not job.executors:
        return "imported from NeMo-Run"
    first = job.executors[0]
    name = str(first.get("_target_", "?")).rpartition(":")[2] if isinstance(first, dict) else "?"
    return f"{name} (imported from NeMo-Run)"


def _message(job: NemoRunJob, done: bool, *, followed: bool) -> str:
    if job.state.is_terminal or followed:
        return f"imported from NeMo-Run ({', '.join(job.handles) or 'no handle'})"
    if not done:
        return (
            f"imported from NeMo-Run while its launcher had not finished; NeMo-Run's last "
            f"state was {job.state.value} ({', '.join(job.handles) or 'never submitted'})"
        )
    return f"imported from NeMo-Run; its last recorded state was {job.state.value}"


def _followed(job: NemoRunJob, home: Path) -> list[tuple[str, dict[str, Any]]]:
    """Our handles of an unfinished job that our backends can still ask about (or none)."""
    if job.state.is_terminal or not job.executors or not job.handles:
        return []
    found = [slurm_handle(h, job.executors[0], home) for h in job.handles]
    return [item for item in found if item is not None] if all(found) else []


def _job_content(
    job: NemoRunJob,
    experiment: NemoRunExperiment,
    updated: float,
    followed: list[tuple[str, dict[str, Any]]],
) -> dict[str, Any]:
    if job.state.is_terminal or (followed and job.state in _FOLLOWABLE):
        state = job.state
    else:
        state = JobState.UNKNOWN
    refusal = job.refusal or ""
    tasks = job.tasks if job.tasks is not None else [refusal_record(job.id, refusal)]
    executors = job.executors if job.executors is not None else [refusal_record(job.id, refusal)]
    return {
        "kind": job.kind,
        "tasks": tasks,
        "executors": executors,
        "executor_info": _executor_info(job),
        "plugins": [],
        "dependencies": job.dependencies,
        "tail_logs": job.tail_logs,
        "handles": [handle for handle, _ in followed],
        "backends": [ref for _, ref in followed],
        "state": state.value,
        "reason": None,
        "exit_code": None,
        "message": _message(job, experiment.done, followed=bool(followed)),
        "retries": 0,
        "updated": updated,
        "cancel_requested": False,
        # Ran by NeMo-Run: never submitted again by resume(); logs are read from the job dir.
        "direct": True,
        "code": None,
        IMPORTED_KEY: {
            "nemo_run_handles": job.handles,
            "task_dir": None if job.task_dir is None else str(job.task_dir),
            "rerun_refused": job.refusal,
            "left_out": job.dropped,
        },
    }


def _experiment_content(experiment: NemoRunExperiment, created: float) -> dict[str, Any]:
    launched = any(job.handles for job in experiment.jobs)
    return {
        "format": ExperimentRecord.FORMAT,
        "id": experiment.id,
        "title": experiment.title,
        "created": created,
        "version": __version__,
        "state": "launched" if launched else "created",
        "log_level": "INFO",
        "jobs": [job.id for job in experiment.jobs],
        IMPORTED_KEY: {
            "tool": "nemo_run",
            "nemo_run_version": experiment.version,
            "source": str(experiment.path.resolve()),
            "done": experiment.done,
        },
    }
