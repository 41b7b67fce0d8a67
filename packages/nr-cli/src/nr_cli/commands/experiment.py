"""``nemorun experiment ...``: list, status, logs, wait, cancel, rerun, rm, gc, diff, show, ...

Read commands work from the store's files and catalog (``list``, ``show``, ``diff`` never import
the user's code); ``status``, ``logs``, ``wait`` and ``cancel`` load the experiment to talk to its
backends. Errors are one ``error:`` line on stderr, or with ``--json`` a JSON object on stdout
(``{"error": {"type": ..., "message": ...}}``); the exit code says which (see `nr_cli.output`).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from nr_exec.describe import describe_record
from nr_exec.states import JobState
from nr_experiment.console import format_status
from nr_experiment.store import ExperimentRecord, JobRecord, Store, StoreWarning
from nr_experiment.table import Layout, Shorten, render, shorten, terminal_width

from nr_cli.commands.cleanup import cmd_gc, cmd_rm
from nr_cli.commands.common import (
    FAILED_STATES,
    all_ended,
    described_executors,
    experiment_exit_code,
    format_time,
    job_ref,
    job_rows,
    load_experiment,
)
from nr_cli.commands.failures import describe_failure, home_is_read_only
from nr_cli.commands.logs import cmd_logs
from nr_cli.commands.tables import LIST_COLUMNS
from nr_cli.errors import CLIError
from nr_cli.output import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_NOT_FOUND,
    EXIT_OK,
    print_error,
    print_json,
    print_json_line,
    print_lines,
)
from nr_cli.when import parse_since

__all__ = ["FAILED_STATES", "dispatch"]

_PER_RUN_FIELDS = frozenset(
    {"experiment_id", "job_dir", "source", "task_dir", "nemo_run_handles", "done"}
)
"""Fields set for one run (on each executor; where an import came from): not ``diff``'ed."""
_CLEAR_SCREEN = "\x1b[H\x1b[2J"


def _error(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def _states(text: Sequence[str]) -> set[str]:
    names = {t.strip().upper() for item in text for t in item.split(",") if t.strip()}
    known = {s.value for s in JobState}
    unknown = sorted(names - known)
    if unknown:
        raise CLIError(
            f"unknown job state {unknown[0]!r}",
            argument="--state",
            hint="one of " + ", ".join(s.value for s in JobState),
        )
    return names


_DRYRUN_MARK = "DRY-RUN"
"""What the ``STATES`` cell of ``list --all`` shows for an experiment that was only dry-run."""


def cmd_list(args: argparse.Namespace) -> int:
    """``experiment list [title-prefix] [--state S] [--since WHEN] [--limit N] [-q] [-a]``.

    Experiments that were only dry-run are left out unless ``--all``.
    """
    if args.limit is not None and args.limit < 1:
        raise CLIError("--limit takes a number of experiments, 1 or more", argument="--limit")
    states = _states(args.state or ())
    since = None if args.since is None else parse_since(args.since, option="--since")
    summaries = [
        s
        for s in Store().list_experiments()
        if (args.all or not s.dryrun)
        and (not args.title or s.title.startswith(args.title))
        and (not states or states & set(s.states))
        and (since is None or s.created >= since)
    ]
    if args.limit is not None:
        summaries = summaries[-args.limit :]
    if args.title and not summaries:
        message = f"no experiment title starts with {args.title!r}"
        print_error("ExperimentNotFoundError", message, as_json=args.json)
        return EXIT_NOT_FOUND
    if args.json:
        print_json(
            [
                {
                    "id": s.id,
                    "title": s.title,
                    "created": s.created,
                    "jobs": s.jobs,
                    "states": s.states,
                    "dryrun": s.dryrun,
                    "path": str(s.path),
                }
                for s in summaries
            ]
        )
    elif args.quiet:
        for summary in summaries:
            print(summary.id)
    elif summaries:
        rows = [
            (s.id, format_time(s.created, sep="T"), s.jobs,
             _DRYRUN_MARK if s.dryrun else ",".join(f"{k}:{v}" for k, v in s.states.items()))
            for s in summaries
        ]  # fmt: skip
        print_lines(render(LIST_COLUMNS, rows, layout=_layout(args), width=_width()))
    return EXIT_OK


def _layout(args: argparse.Namespace) -> Layout:
    """WIDE with ``-o wide``; else FIT on a terminal, PLAIN when stdout is piped."""
    return Layout.WIDE if getattr(args, "output", None) == "wide" else Layout.detect(sys.stdout)


def _width() -> int:
    return terminal_width(sys.stdout)


def _print_status(experiment_id: str, jobs: list[dict[str, Any]], layout: Layout) -> None:
    """The job table, laid out as the run summary (failure messages the table cut under it)."""
    rows = {job["id"]: job for job in jobs}
    print_lines(format_status(experiment_id, rows, layout=layout, width=_width()))


def _status_code(jobs: list[dict[str, Any]]) -> int:
    failed = any(JobState(j["status"]) in FAILED_STATES for j in jobs)
    return EXIT_FAILED if failed else EXIT_OK


def _watch(experiment: Any, args: argparse.Namespace) -> int:
    """Print the states each time they change, until every job ended."""
    shown: list[tuple[Any, ...]] | None = None
    terminal = sys.stdout.isatty()
    executors: dict[str, str] | None = None  # described once: a job's executor stays the same
    while True:
        jobs = job_rows(experiment, executors)
        if executors is None:
            jobs = described_executors(experiment, jobs)
            executors = {job["id"]: job["executor"] for job in jobs}
        key = [(j["id"], j["status"], j["reason"], j["exit_code"]) for j in jobs]
        if key != shown:
            if args.json:
                print_json_line({"id": experiment.id, "time": time.time(), "jobs": jobs})
            else:
                if terminal:
                    sys.stdout.write(_CLEAR_SCREEN)
                elif shown is not None:
                    print()
                _print_status(experiment.id, jobs, _layout(args))
            sys.stdout.flush()
            shown = key
        if all_ended(jobs):
            return _status_code(jobs)
        time.sleep(max(args.interval, 0.1))


def cmd_status(args: argparse.Namespace) -> int:
    """``experiment status <id|title> [--watch]``: exit 1 when a job FAILED or is UNKNOWN.

    CANCELLED counts as not fine too (exit 1).
    """
    experiment = load_experiment(Store(), args.experiment, reading=True)
    if args.watch:
        return _watch(experiment, args)
    jobs = described_executors(experiment, job_rows(experiment))
    if args.json:
        print_json({"id": experiment.id, "jobs": jobs})
    else:
        _print_status(experiment.id, jobs, _layout(args))
    return _status_code(jobs)


def cmd_wait(args: argparse.Namespace) -> int:
    """``experiment wait <id|title> [--timeout S]``: exit with the experiment's result.

    0 when every job succeeded; the job's own exit code for a one-job experiment that failed;
    else 1 (also on a timeout, with the jobs still running named).
    """
    experiment = load_experiment(Store(), args.experiment, reading=True)
    deadline = None if args.timeout is None else time.monotonic() + args.timeout
    jobs = job_rows(experiment)
    while not all_ended(jobs):
        if deadline is not None and time.monotonic() >= deadline:
            running = ", ".join(f"{j['id']} {j['status']}" for j in jobs if not
                                JobState(j["status"]).is_terminal)  # fmt: skip
            message = f"timed out after {args.timeout:g} s; still going: {running}"
            if args.json:
                described = described_executors(experiment, jobs)
                print_json({"id": experiment.id, "timed_out": True, "jobs": described})
            print_error("TimeoutError", message, as_json=False)
            return EXIT_FAILED
        time.sleep(max(args.interval, 0.1))
        jobs = job_rows(experiment)
    code = experiment_exit_code(jobs)
    if args.json:
        described = described_executors(experiment, jobs)
        print_json({"id": experiment.id, "timed_out": False, "exit_code": code, "jobs": described})
    else:
        for job in jobs:
            exit_code = "" if job["exit_code"] is None else f" (exit code {job['exit_code']})"
            print(f"{job['id']}: {job['status']}{exit_code}")
    return code


def cmd_cancel(args: argparse.Namespace) -> int:
    """``experiment cancel <id> [job | --all] [--dependents]``: ended jobs are said so."""
    if (args.job is None) == (not args.all):
        raise CLIError("give a job or --all (not both)", argument="cancel")
    experiment = load_experiment(Store(), args.experiment)
    before = {j["id"]: j["status"] for j in job_rows(experiment)}
    job = None if args.all else job_ref(args.job)
    touched = experiment.cancel(job, dependents=args.dependents, strict=True)
    ended = [i for i in touched if JobState(before.get(i, "UNKNOWN")).is_terminal]
    cancelled = [i for i in touched if i not in ended]
    if args.json:
        print_json(
            {
                "id": experiment.id,
                "cancelled": cancelled,
                "already_ended": [{"id": i, "status": before[i]} for i in ended],
            }
        )
    else:
        if cancelled or not ended:
            print(f"Cancelled {', '.join(cancelled) or 'nothing'} in {experiment.id}")
        for job_id in ended:
            print(f"{job_id}: already ended ({before[job_id]})")
    return EXIT_OK


def cmd_rerun(args: argparse.Namespace) -> int:
    """``experiment rerun <id|title> [--detach] [--json]``: launch the same jobs again.

    Like ``Experiment.from_id(id).reset()`` then ``run()``: a new experiment, the same tasks
    and executors, and each job's code archive as recorded at the first launch. With
    ``--json`` what the run prints goes to stderr and stdout holds one JSON object.
    """
    import contextlib  # noqa: PLC0415

    from nr_config import ConfigError  # noqa: PLC0415
    from nr_experiment.errors import RerunRefusedError  # noqa: PLC0415

    experiment = load_experiment(Store(), args.experiment)
    old = experiment.id
    try:
        experiment.reset()
    except (RerunRefusedError, ConfigError) as error:  # a job cannot be rebuilt here
        print_error(type(error).__name__, f"cannot rerun {old}: {error}", as_json=args.json)
        return EXIT_FAILED
    streams = contextlib.redirect_stdout(sys.stderr) if args.json else contextlib.nullcontext()
    with streams, experiment:
        experiment.run(detach=args.detach)
    states = [job.state for job in experiment.jobs]
    code = EXIT_FAILED if any(state in FAILED_STATES for state in states) else EXIT_OK
    if args.json:
        jobs = [
            {"id": job.id, "name": job.name, "status": job.state.value,
             "exit_code": job.exit_code, "handle": job.handle}
            for job in experiment.jobs
        ]  # fmt: skip
        print_json({"old": old, "id": experiment.id, "detached": args.detach, "jobs": jobs})
    else:
        print(f"Reran {old} as {experiment.id}")
    return code


def _load(store: Store, id_or_title: str) -> tuple[ExperimentRecord, list[JobRecord]]:
    ref = store.find(id_or_title)
    return store.load_experiment(ref.id), store.jobs(ref.id)


def _comparable(metadata: ExperimentRecord, jobs: list[JobRecord]) -> dict[str, Any]:
    """What ``diff`` compares: everything but the keys that differ between runs anyway."""
    data = {
        k: v
        for k, v in metadata.items()
        if k not in ExperimentRecord.VOLATILE_KEYS and k != "dryrun"  # a dry run kept it
    }
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
    from nr_experiment.preview import flatten_record  # noqa: PLC0415 - only inspect needs it

    fit = _line_fitter(_layout(args))
    fit(f"Experiment {ref.id}  (", f"{ref.path})")
    print(f"  created {format_time(metadata.created)}")
    for job in jobs:
        state = job.state.value + (f" ({job.reason.value})" if job.reason is not None else "")
        retries = f"  retries={job.retries}" if job.retries else ""
        fit(f"Job {job.id}  state={state}{retries}  dir=", str(dirs[job.id]))
        for executor in job.get("executors") or ():
            fit("  executor: ", describe_record(executor))
        described = {"tasks": job.get("tasks"), "executors": job.get("executors")}
        for path, value in flatten_record(described):
            fit(f"  {path} = ", repr(value))
        for command in job.commands:
            fit("  command: ", shlex.join(command))
        for script in scripts[job.id]:
            fit("  script: ", script)
    return EXIT_OK


def _line_fitter(layout: Layout) -> Callable[[str, str], None]:
    """A printer of ``label value`` lines; in the fit layout values are shortened in the middle."""
    width = _width() if layout is Layout.FIT else None

    def fit(label: str, value: str) -> None:
        if width is not None:
            value = shorten(value, max(width - len(label), 12), Shorten.MIDDLE)
        print(f"{label}{value}")

    return fit


def cmd_rebuild(args: argparse.Namespace) -> int:
    """``experiment rebuild-catalog``: exit 1 when something could not be indexed or written."""
    store = Store()
    if home_is_read_only():
        message = f"cannot rebuild the catalog: NEMORUN_HOME {store.home} is read-only"
        print_error("PermissionError", message, as_json=args.json)
        return EXIT_FAILED
    report = store.rebuild_catalog()
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
        print_error(type(error).__name__, str(error), as_json=args.json)
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
    "wait": cmd_wait,
    "cancel": cmd_cancel,
    "rm": cmd_rm,
    "gc": cmd_gc,
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
    stderr. With ``--json`` an error is a JSON object on stdout (see `print_error`).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("always", StoreWarning)
        warnings.showwarning = _print_warning
        return _dispatch(args)


def _doing(args: argparse.Namespace) -> str:
    """What the command was doing, for error messages: ``experiment status demo_1``."""
    target = getattr(args, "experiment", None)
    return f"experiment {args.command}" + (f" {target}" if target else "")


def _dispatch(args: argparse.Namespace) -> int:
    if getattr(args, "output", None) == "json":
        args.json = True
    as_json = bool(getattr(args, "json", False))
    try:
        return _COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print_error("KeyboardInterrupt", "interrupted", as_json=as_json)
        return EXIT_INTERRUPTED
    except Exception as error:  # noqa: BLE001 - every failure ends in one error line
        if getattr(args, "verbose", False):
            traceback.print_exception(type(error), error, error.__traceback__, file=sys.stderr)
        failure = describe_failure(error, _doing(args))
        print_error(failure.kind, failure.message, as_json=as_json)
        return failure.code
