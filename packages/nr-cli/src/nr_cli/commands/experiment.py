"""``nemorun experiment ...``: list, status, logs, cancel, diff, show, rebuild-catalog, import.

Read commands work from the store's files and catalog (``list``, ``show``, ``diff`` never import
the user's code); ``status``, ``logs`` and ``cancel`` load the experiment to talk to its backends.
"""

from __future__ import annotations

import argparse
import datetime
import shlex
import sys
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from nr_exec.states import FailureReason, JobState
from nr_experiment.store import (
    ExperimentNotFoundError,
    ExperimentRecord,
    InvalidNameError,
    JobNotFoundError,
    JobRecord,
    Store,
    StoreError,
    StoreWarning,
)

from nr_cli.output import (
    EXIT_FAILED,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_USAGE,
    print_json,
    print_table,
)

__all__ = ["FAILED_STATES", "dispatch"]

FAILED_STATES = frozenset({JobState.FAILED, JobState.CANCELLED, JobState.UNKNOWN})
"""Job states that make ``status`` exit with code 1 (UNKNOWN: nobody can say it runs)."""
_PER_RUN_FIELDS = frozenset(
    {"experiment_id", "job_dir", "source", "task_dir", "nemo_run_handles", "done"}
)
"""Fields set for one run (on each executor; where an import came from): not ``diff``'ed."""


def _time(seconds: float) -> str:
    return datetime.datetime.fromtimestamp(seconds).isoformat(sep=" ", timespec="seconds")


def _error(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def _job_ref(text: str) -> str | int:
    return int(text) if text.isdigit() else text


def cmd_list(args: argparse.Namespace) -> int:
    """``experiment list [title]``."""
    summaries = Store().list_experiments(args.title)
    if args.json:
        print_json(
            [
                {
                    "id": s.id,
                    "title": s.title,
                    "created": s.created,
                    "jobs": s.jobs,
                    "states": s.states,
                    "path": str(s.path),
                }
                for s in summaries
            ]
        )
    elif summaries:
        rows = [
            (s.id, _time(s.created), s.jobs, ", ".join(f"{k}:{v}" for k, v in s.states.items()))
            for s in summaries
        ]
        print_table(("ID", "CREATED", "JOBS", "STATES"), rows)
    if args.title and not summaries:
        _error(f"no experiment titled {args.title!r}")
        return EXIT_NOT_FOUND
    return EXIT_OK


def _experiment(store: Store, id_or_title: str) -> Any:
    from nr_experiment.experiment import Experiment  # noqa: PLC0415 - heavy; only when needed

    ref = store.find(id_or_title)
    return Experiment.from_id(ref.id)


def _status_row(job_id: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """One job of ``status``, with its state and failure reason as plain strings."""
    reason = row.get("reason")
    return {
        "id": job_id,
        "name": row.get("name"),
        "status": JobState(row["status"]).value,
        "reason": None if reason is None else FailureReason(reason).value,
        "retries": int(row.get("retries") or 0),
        "exit_code": row.get("exit_code"),
        "message": row.get("message"),
        "executor": row.get("executor"),
        "handle": row.get("handle"),
        "local_dir": row.get("local_dir"),
    }


def cmd_status(args: argparse.Namespace) -> int:
    """``experiment status <id|title>``: exit 1 when a job FAILED, was CANCELLED or is UNKNOWN."""
    experiment = _experiment(Store(), args.experiment)
    rows: dict[str, dict[str, Any]] = experiment.status(return_dict=True) or {}
    jobs = [_status_row(job_id, row) for job_id, row in rows.items()]
    if args.json:
        print_json({"id": experiment.id, "jobs": jobs})
    else:
        print(f"Experiment {experiment.id}")
        print_table(
            ("JOB", "STATUS", "REASON", "RETRIES", "EXIT", "EXECUTOR", "HANDLE"),
            [
                (j["id"], j["status"], j["reason"] or "", j["retries"] or "",
                 "" if j["exit_code"] is None else j["exit_code"], j["executor"] or "",
                 j["handle"] or "")
                for j in jobs
            ],
        )  # fmt: skip
    failed = any(JobState(j["status"]) in FAILED_STATES for j in jobs)
    return EXIT_FAILED if failed else EXIT_OK


def cmd_logs(args: argparse.Namespace) -> int:
    """``experiment logs <id> [job] [--follow]``."""
    experiment = _experiment(Store(), args.experiment)
    experiment.logs(_job_ref(args.job), follow=args.follow, strict=True)
    return EXIT_OK


def cmd_cancel(args: argparse.Namespace) -> int:
    """``experiment cancel <id> [job | --all] [--dependents]``."""
    if (args.job is None) == (not args.all):
        _error("give a job or --all (not both)")
        return EXIT_USAGE
    experiment = _experiment(Store(), args.experiment)
    job = None if args.all else _job_ref(args.job)
    cancelled = experiment.cancel(job, dependents=args.dependents, strict=True)
    if args.json:
        print_json({"id": experiment.id, "cancelled": cancelled})
    else:
        print(f"Cancelled {', '.join(cancelled) or 'nothing'} in {experiment.id}")
    return EXIT_OK


def cmd_rerun(args: argparse.Namespace) -> int:
    """``experiment rerun <id|title> [--detach]``: launch the same jobs with the recorded code.

    Like ``Experiment.from_id(id).reset()`` then ``run()``: a new experiment, the same tasks
    and executors, and each job's code archive as recorded at the first launch.
    """
    from nr_config import ConfigError  # noqa: PLC0415
    from nr_experiment.errors import RerunRefusedError  # noqa: PLC0415

    experiment = _experiment(Store(), args.experiment)
    old = experiment.id
    try:
        experiment.reset()
    except (RerunRefusedError, ConfigError) as error:  # a job cannot be rebuilt here
        _error(f"cannot rerun {old}: {error}")
        return EXIT_FAILED
    with experiment:
        experiment.run(detach=args.detach)
    print(f"Reran {old} as {experiment.id}")
    states = [job.state for job in experiment.jobs]
    return EXIT_FAILED if any(state in FAILED_STATES for state in states) else EXIT_OK


def _load(store: Store, id_or_title: str) -> tuple[ExperimentRecord, list[JobRecord]]:
    ref = store.find(id_or_title)
    return store.load_experiment(ref.id), store.jobs(ref.id)


def _comparable(metadata: ExperimentRecord, jobs: list[JobRecord]) -> dict[str, Any]:
    """What ``diff`` compares: everything but the keys that differ between runs anyway."""
    data = {k: v for k, v in metadata.items() if k not in ExperimentRecord.VOLATILE_KEYS}
    for job in jobs:
        data[f"jobs[{job.name!r}]"] = {
            k: v for k, v in job.items() if k not in JobRecord.VOLATILE_KEYS
        }
    return data


def _leaves(data: dict[str, Any]) -> dict[str, Any]:
    from nr_experiment.preview import flatten_record  # noqa: PLC0415 - only diff needs it

    return {
        path: value
        for path, value in flatten_record(data)
        if path.rsplit(".", 1)[-1] not in _PER_RUN_FIELDS
    }


def cmd_diff(args: argparse.Namespace) -> int:
    """``experiment diff <old> <new>``: exit 1 when the configurations differ."""
    store = Store()
    old = _leaves(_comparable(*_load(store, args.old)))
    new = _leaves(_comparable(*_load(store, args.new)))
    changes = []
    for path in sorted(old.keys() | new.keys()):
        if path not in new:
            changes.append({"path": path, "kind": "removed", "old": old[path], "new": None})
        elif path not in old:
            changes.append({"path": path, "kind": "added", "old": None, "new": new[path]})
        elif old[path] != new[path]:
            changes.append({"path": path, "kind": "changed", "old": old[path], "new": new[path]})
    if args.json:
        print_json({"old": args.old, "new": args.new, "changes": changes})
    else:
        signs = {"removed": "-", "added": "+", "changed": "~"}
        for change in changes:
            shown = change["new"] if change["kind"] == "added" else change["old"]
            line = f"{signs[change['kind']]} {change['path']}: {shown!r}"
            if change["kind"] == "changed":
                line += f" -> {change['new']!r}"
            print(line)
        if not changes:
            print("no differences")
    return EXIT_FAILED if changes else EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    """``experiment show <id|title>``: metadata, each job's configs, commands and paths."""
    store = Store()
    ref = store.find(args.experiment)
    metadata = store.load_experiment(ref.id)
    jobs = store.jobs(ref.id)
    dirs = {job.id: store.job_dir(ref.id, job.id) for job in jobs}
    scripts = {
        job_id: sorted(str(p) for p in (path / "scripts").glob("*") if p.is_file())
        for job_id, path in dirs.items()
    }
    if args.json:
        shown = [
            {**job.to_json(), "state": job.state.value, "dir": str(dirs[job.id]),
             "scripts": scripts[job.id], "commands": job.commands}
            for job in jobs
        ]  # fmt: skip
        print_json({"id": ref.id, "title": ref.title, "path": str(ref.path),
                    "metadata": metadata.to_json(), "jobs": shown})  # fmt: skip
        return EXIT_OK
    print(f"Experiment {ref.id}  ({ref.path})")
    print(f"  created {_time(metadata.created)}")
    from nr_experiment.preview import flatten_record  # noqa: PLC0415 - only inspect needs it

    for job in jobs:
        state = job.state.value + (f" ({job.reason.value})" if job.reason is not None else "")
        retries = f"  retries={job.retries}" if job.retries else ""
        print(f"Job {job.id}  state={state}{retries}  dir={dirs[job.id]}")
        described = {"tasks": job.get("tasks"), "executors": job.get("executors")}
        for path, value in flatten_record(described):
            print(f"  {path} = {value!r}")
        for command in job.commands:
            print(f"  command: {shlex.join(command)}")
        for script in scripts[job.id]:
            print(f"  script: {script}")
    return EXIT_OK


def cmd_rebuild(args: argparse.Namespace) -> int:
    """``experiment rebuild-catalog``: exit 1 when something could not be indexed."""
    report = Store().rebuild_catalog()
    skipped = [{"path": str(s.path), "reason": s.reason} for s in report.skipped]
    if args.json:
        print_json({"experiments": report.experiments, "jobs": report.jobs, "skipped": skipped})
    else:
        print(f"Indexed {report.experiments} experiments and {report.jobs} jobs")
        for item in skipped:
            print(f"  skipped {item['path']}: {item['reason']}")
    return EXIT_FAILED if skipped else EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    """``experiment import --from-nemo-run [DIR]``: exit 1 when an experiment was not imported.

    Reads the experiments NeMo-Run wrote under DIR (default ``~/.nemo_run``) into the store;
    importing again changes nothing.
    """
    from pathlib import Path  # noqa: PLC0415

    from nr_experiment.errors import HistoryImportError  # noqa: PLC0415
    from nr_experiment.importing import import_nemo_run  # noqa: PLC0415

    source = None if args.from_nemo_run is None else Path(args.from_nemo_run)
    try:
        report = import_nemo_run(source)
    except HistoryImportError as error:
        _error(str(error))
        return EXIT_NOT_FOUND
    failed = [{"path": str(path), "reason": reason} for path, reason in report.failed]
    notes = [{"id": eid, "note": note} for eid, note in report.notes]
    if args.json:
        print_json({"imported": report.imported, "unchanged": report.unchanged,
                    "failed": failed, "notes": notes})  # fmt: skip
    else:
        for eid in report.imported:
            print(f"imported {eid}")
        for eid in report.unchanged:
            print(f"already imported {eid}")
        for note in notes:
            print(f"  note: {note['id']}: {note['note']}")
        for item in failed:
            _error(f"not imported {item['path']}: {item['reason']}")
        if not (report.imported or report.unchanged or failed):
            print("no NeMo-Run experiments found")
    return EXIT_FAILED if failed else EXIT_OK


_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "list": cmd_list,
    "status": cmd_status,
    "logs": cmd_logs,
    "cancel": cmd_cancel,
    "rerun": cmd_rerun,
    "diff": cmd_diff,
    "show": cmd_show,
    "rebuild-catalog": cmd_rebuild,
    "import": cmd_import,
}


def _print_warning(  # noqa: PLR0917 - the signature of warnings.showwarning
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    print(f"warning: {message}", file=sys.stderr)


def dispatch(args: argparse.Namespace) -> int:
    """Run the ``experiment`` subcommand in `args` and return its exit code.

    Store warnings (an incomplete job skipped, ...) are printed as ``warning: ...`` lines on
    stderr.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("always", StoreWarning)
        warnings.showwarning = _print_warning
        return _dispatch(args)


def _dispatch(args: argparse.Namespace) -> int:
    try:
        return _COMMANDS[args.command](args)
    except (ExperimentNotFoundError, JobNotFoundError, LookupError) as error:
        _error(str(error))
        return EXIT_NOT_FOUND
    except InvalidNameError as error:
        _error(str(error))
        return EXIT_USAGE
    except StoreError as error:
        _error(str(error))
        return EXIT_FAILED
