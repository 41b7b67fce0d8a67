"""Read one experiment NeMo-Run wrote under its home (``experiments/<title>/<id>/``).

What is read (NeMo-Run's layout; nothing of NeMo-Run or Fiddle is imported):

* ``_CONFIG``: the experiment's configuration (its title and id);
* ``_TASKS``: per job or job group, ``[job config, task config]``, each ``zlib_json``; the job
  config holds its id, executor(s), handle(s), state(s), dependencies;
* ``_DONE``: present once the launching process left the experiment's ``with`` block;
* ``__main__.py``: the launching script, for tasks defined in it;
* each job's directory (named after its task): its logs;
* ``<home>/.local_jobs.json``: the last state NeMo-Run's local scheduler recorded per app.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nr_exec.states import JobState

from nr_experiment.errors import HistoryImportError
from nr_experiment.importing.fiddle_json import Node, PyRef, decode_zlib_json
from nr_experiment.importing.translate import Unmappable, arguments_of, plain
from nr_experiment.importing.translate import translate as translate_value

__all__ = ["NemoRunExperiment", "NemoRunJob", "find_experiments", "read_experiment"]

#: The log files of a job directory, most complete first (LocalExecutor, Docker, direct,
#: Slurm); the first pattern that matches anything is used.
LOG_PATTERNS = (
    "nemo_run/*/*/*/combined.log",
    "nemo_run/*/*/*/stdout.log",
    "log_*.out",
    "sbatch_*.out",
    "log-*.out",
)
_STATES = {state.value: state for state in JobState}
# TorchX's AppState numbering, used where a state was stored as a number.
_NUMBERED = dict(enumerate(
    ("UNSUBMITTED", "SUBMITTED", "PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED",
     "UNKNOWN"),
))  # fmt: skip


@dataclass
class NemoRunJob:
    """One job (or job group) of a NeMo-Run experiment.

    Attributes:
        id: Its job id.
        kind: ``"job"`` or ``"group"``.
        task_dir: Its directory in the NeMo-Run experiment (None if missing).
        tasks: Its tasks as canonical data (None when they could not be read).
        executors: Its executors as canonical data (None when they could not be read).
        refusal: Why it cannot be run again here (None when it can).
        handles: NeMo-Run's handles (``<scheduler>://nemo_run/<app id>``).
        state: Its last state NeMo-Run recorded.
        dependencies: Ids of the jobs it waited for.
        tail_logs: Whether NeMo-Run printed its output while waiting.
        logs: Its log files, in order.
        dropped: Arguments our classes do not take, left out.
    """

    id: str
    kind: str
    task_dir: Path | None
    tasks: list[Any] | None
    executors: list[Any] | None
    refusal: str | None
    handles: list[str]
    state: JobState
    dependencies: list[str] = field(default_factory=list)
    tail_logs: bool = False
    logs: list[Path] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


@dataclass
class NemoRunExperiment:
    """An experiment NeMo-Run wrote.

    Attributes:
        path: Its directory.
        id: Its id (``<title>_<ns>``).
        title: Its title.
        done: Whether ``_DONE`` exists (the launching process finished with it).
        version: The NeMo-Run version that wrote it ("" if not recorded).
        main_source: The saved launching script (None if not saved).
        jobs: Its jobs, in order.
    """

    path: Path
    id: str
    title: str
    done: bool
    version: str
    main_source: Path | None
    jobs: list[NemoRunJob]


def find_experiments(home: Path) -> list[Path]:
    """The experiment directories under a NeMo-Run home (those holding ``_TASKS``), sorted.

    Raises:
        HistoryImportError: ``home`` has no ``experiments`` directory.
    """
    root = home / "experiments"
    if not root.is_dir():
        raise HistoryImportError(
            f"{home} is not a NeMo-Run home: it has no experiments/ directory (give the "
            "directory NeMo-Run used as NEMORUN_HOME, by default ~/.nemo_run)"
        )
    return sorted(p.parent for p in root.glob("*/*/_TASKS") if not p.parent.name.startswith("."))


def _state(value: Any) -> JobState | None:
    if isinstance(value, PyRef):
        value = value.name.rpartition(".")[2]
    if isinstance(value, int) and not isinstance(value, bool):
        value = _NUMBERED.get(value)
    return _STATES.get(value) if isinstance(value, str) else None


def _local_states(home: Path) -> dict[str, Any]:
    """``.local_jobs.json``: ``{app id: [state, app id, log dir, roles]}`` (empty if absent)."""
    try:
        data = json.loads((home / ".local_jobs.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _decode(text: Any, what: str) -> Any:
    if not isinstance(text, str):
        raise HistoryImportError(f"{what}: expected a zlib_json string, found {text!r}")
    return decode_zlib_json(text, what)


def read_experiment(path: Path, home: Path) -> NemoRunExperiment:
    """Read one NeMo-Run experiment directory.

    A job whose task or executor cannot be read is still read (its state, handles and logs),
    with the reason in :attr:`NemoRunJob.refusal`.

    Args:
        path: The experiment directory (``<home>/experiments/<title>/<id>``).
        home: The NeMo-Run home it is in (for ``.local_jobs.json``).

    Raises:
        HistoryImportError: ``_TASKS`` is missing or is not NeMo-Run's.
    """
    title, exp_id = path.parent.name, path.name
    config = path / "_CONFIG"
    if config.is_file():
        try:
            _, arguments = arguments_of(_decode(config.read_text(encoding="ascii"), str(config)))
            title = str(arguments.get("title") or title)
            exp_id = str(arguments.get("id") or exp_id)
        except (Unmappable, UnicodeError):
            pass  # the directory names say the same
    tasks_file = path / "_TASKS"
    try:
        pairs = json.loads(tasks_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise HistoryImportError(f"{tasks_file}: cannot read it as JSON: {error}") from None
    if not isinstance(pairs, list):
        raise HistoryImportError(f"{tasks_file}: expected a JSON list of [job, task] pairs")
    local = _local_states(home)
    jobs = [_read_job(path, index, pair, local) for index, pair in enumerate(pairs)]
    version = path / "_VERSION"
    main = path / "__main__.py"
    return NemoRunExperiment(
        path=path,
        id=exp_id,
        title=title,
        done=(path / "_DONE").exists(),
        version=version.read_text(encoding="utf-8").strip() if version.is_file() else "",
        main_source=main if main.is_file() else None,
        jobs=jobs,
    )


def _read_job(exp_dir: Path, index: int, pair: Any, local: dict[str, Any]) -> NemoRunJob:
    where = f"{exp_dir / '_TASKS'}[{index}]"
    if not isinstance(pair, list) or len(pair) != 2:
        raise HistoryImportError(f"{where}: expected a [job config, task config] pair")
    job_node = _decode(pair[0], f"{where} (job)")
    try:
        kind_ref, arguments = arguments_of(job_node)
    except Unmappable as error:
        raise HistoryImportError(f"{where}: {error}") from None
    group = kind_ref.name == "JobGroup"
    job_id = str(arguments.get("id") or f"job_{index}")
    handles = _texts(arguments.get("handles") if group else [arguments.get("handle")])
    states = _as_list(arguments.get("states")) if group else [arguments.get("state")]
    state = _combined([_state(s) for s in states]) or JobState.UNKNOWN
    raw_executors = arguments.get("executors") if group else arguments.get("executor")
    executor_values = _as_list(raw_executors)
    task_dir = _task_dir(exp_dir, executor_values, job_id)
    job = NemoRunJob(
        id=job_id,
        kind="group" if group else "job",
        task_dir=task_dir,
        tasks=None,
        executors=None,
        refusal=None,
        handles=handles,
        state=state,
        dependencies=_texts(_safe_plain(arguments.get("dependencies"))),
        tail_logs=bool(arguments.get("tail_logs")),
    )
    local_logs = _local_status(job, local)
    job.logs = _logs(task_dir, local_logs)
    try:
        executors = [translate_value(e, "executor") for e in executor_values]
        task_value = _decode(pair[1], f"{where} (task)")
        tasks = [
            translate_value(t, "task") for t in (_as_list(task_value) if group else [task_value])
        ]
    except (Unmappable, HistoryImportError) as error:
        job.refusal = str(error)
        return job
    job.executors = [t.data for t in executors]
    job.tasks = [t.data for t in tasks]
    job.dropped = [d for t in (*executors, *tasks) for d in t.dropped]
    return job


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, Node) and value.kind.dotted in ("builtins.list", "builtins.tuple"):
        return list(value.values)
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def _safe_plain(value: Any) -> Any:
    try:
        return plain(value)
    except Unmappable:
        return []


def _texts(values: Any) -> list[str]:
    return [v for v in _as_list(values) if isinstance(v, str) and v]


def _combined(states: list[JobState | None]) -> JobState | None:
    """One state for a group: a failure or cancel decides, then anything unfinished."""
    known = [s for s in states if s is not None]
    for state in (JobState.FAILED, JobState.CANCELLED, JobState.RUNNING, JobState.PENDING,
                  JobState.SUBMITTED, JobState.UNKNOWN, JobState.UNSUBMITTED):  # fmt: skip
        if state in known:
            return state
    return known[0] if known else None


def _task_dir(exp_dir: Path, executors: list[Any], job_id: str) -> Path | None:
    """The job's directory: its executor's ``job_dir`` (moved with the experiment), or its id."""
    for executor in executors:
        if isinstance(executor, Node):
            try:
                job_dir = arguments_of(executor)[1].get("job_dir")
            except Unmappable:
                continue
            if isinstance(job_dir, str) and job_dir and (exp_dir / Path(job_dir).name).is_dir():
                return exp_dir / Path(job_dir).name
    candidate = exp_dir / job_id
    return candidate if candidate.is_dir() else None


def _local_status(job: NemoRunJob, local: dict[str, Any]) -> list[Path]:
    """Take the newer state NeMo-Run's local scheduler recorded; return its log directories."""
    dirs: list[Path] = []
    states: list[JobState | None] = []
    for handle in job.handles:
        scheme, _, rest = handle.partition("://")
        if scheme != "local_persistent":
            continue
        entry = local.get(rest.rpartition("/")[2])
        if not isinstance(entry, list) or not entry:
            continue
        states.append(_state(entry[0]))
        if len(entry) > 2 and isinstance(entry[2], str):
            dirs.append(Path(entry[2]))
    if states and not job.state.is_terminal:
        job.state = _combined(states) or job.state
    return dirs


def _logs(task_dir: Path | None, extra: list[Path]) -> list[Path]:
    for base in [*([] if task_dir is None else [task_dir]), *extra]:
        for pattern in LOG_PATTERNS:
            found = sorted(p for p in base.glob(pattern) if p.is_file())
            if found:
                return found
        found = sorted(p for p in base.glob("*/*/combined.log") if p.is_file())
        if found:
            return found
    return []
