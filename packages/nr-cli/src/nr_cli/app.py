"""The ``nemorun`` console application (alias ``nemo``).

A small argparse dispatcher: ``nemorun --help`` and ``nemorun experiment list`` import nothing
heavy; each command imports what it needs when it runs. Exit codes: 0 ok, 1 what was asked about
failed, 2 usage error, 3 not found (see `nr_cli.output`).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from nr_cli.__about__ import __version__

__all__ = ["build_parser", "main", "run_app"]

_DESCRIPTION = "Configure a Python function or script once, run it anywhere, manage what ran."


def _experiment_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    experiment = commands.add_parser(
        "experiment", help="inspect and manage experiments", description="Manage experiments."
    )
    sub = experiment.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, help_text: str, *, json_flag: bool = True) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=help_text, description=help_text)
        if json_flag:
            parser.add_argument("--json", action="store_true", help="print JSON")
        return parser

    add("list", "list experiments, oldest first").add_argument("title", nargs="?")
    add("status", "show job states (exit 1 if a job failed or is unknown)").add_argument(
        "experiment"
    )
    logs = add("logs", "print a job's output", json_flag=False)
    logs.add_argument("experiment")
    logs.add_argument("job", nargs="?", default="0", help="job id, name or index (default 0)")
    logs.add_argument("--follow", "-f", action="store_true", help="keep printing until it ends")
    cancel = add("cancel", "cancel a job or all jobs")
    cancel.add_argument("experiment")
    cancel.add_argument("job", nargs="?", help="job id, name or index")
    cancel.add_argument("--all", action="store_true", help="cancel every job")
    cancel.add_argument("--dependents", action="store_true", help="also cancel dependent jobs")
    rerun = add(
        "rerun", "launch an experiment's jobs again, with their recorded code", json_flag=False
    )
    rerun.add_argument("experiment")
    rerun.add_argument("--detach", action="store_true", help="do not wait for the jobs")
    diff = add("diff", "compare the configs and executors of two experiments (exit 1 if differ)")
    diff.add_argument("old")
    diff.add_argument("new")
    add("show", "show configs, commands and paths of an experiment").add_argument("experiment")
    add("rebuild-catalog", "rebuild the catalog index from the experiment files")


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``nemorun`` application."""
    parser = argparse.ArgumentParser(prog="nemorun", description=_DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"nemorun {__version__}")
    commands = parser.add_subparsers(dest="group", metavar="COMMAND", required=True)
    commands.add_parser("version", help="print the version", description="Print the version.")
    _experiment_parser(commands)
    return parser


def run_app(argv: Sequence[str] | None = None) -> int:
    """Run the application and return its exit code.

    Args:
        argv: Arguments without the program name; None reads ``sys.argv``.

    Returns:
        The exit code (argparse usage errors raise ``SystemExit(2)``).
    """
    args = build_parser().parse_args(argv)
    if args.group == "version":
        print(f"nemorun {__version__}")
        return 0
    from nr_cli.commands.experiment import dispatch  # noqa: PLC0415 - imported per command

    return dispatch(args)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point: run the application and exit with its code.

    Args:
        argv: Arguments without the program name; None reads ``sys.argv``.
    """
    try:
        code = run_app(argv)
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away (``nemorun ... | head``): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    sys.exit(code)
