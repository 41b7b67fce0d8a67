"""The argument parser of the ``nemorun`` application: commands, aliases, did-you-mean.

Usage errors name the command they happened in (its own usage line) and suggest the closest
command or option. With ``--json`` on the command line an error is a JSON object on stdout,
``{"error": {"type": "UsageError", "message": ...}}``; the exit code is 2 either way.
"""

from __future__ import annotations

import argparse
import itertools
import re
import sys

from nr_cli.__about__ import __version__
from nr_cli.entry_point_names import ENTRY_POINT_GROUP, entry_point_names

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import NoReturn

__all__ = [
    "BUILT_INS",
    "EXPERIMENT_ALIASES",
    "SuggestingParser",
    "build_parser",
    "json_requested",
    "suggestion",
]

EXPERIMENT_ALIASES = ("exp",)
"""Other names of the ``experiment`` command."""
BUILT_INS = frozenset({"experiment", *EXPERIMENT_ALIASES, "version", "completion"})
"""Top-level commands of the application itself (never an entry-point group)."""
SHELLS = ("bash", "zsh", "fish")
"""Shells ``nemorun completion`` writes a script for."""

_DESCRIPTION = "Configure a Python function or script once, run it anywhere, manage what ran."
_EPILOG = (
    "Installed command groups (nemo_run.cli entry points) run registered entrypoints: "
    "nemorun GROUP [SUB ...] ENTRYPOINT [overrides]; `nemorun GROUP --help` lists them."
)
_INVALID_CHOICE = re.compile(r"invalid choice: '([^']*)'")
_UNRECOGNIZED = "unrecognized arguments: "


def json_requested(words: Sequence[str]) -> bool:
    """Whether ``--json`` (or ``-o json``) is among the options (before any ``--``)."""
    head = list(words)[: list(words).index("--")] if "--" in words else list(words)
    return "--json" in head or any(
        (a in ("-o", "--output") and b == "json") or a in ("-ojson", "--output=json")
        for a, b in itertools.pairwise([*head, ""])
    )


def suggestion(word: str, candidates: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest candidate, or "" when none is close."""
    import difflib  # noqa: PLC0415 - only on a usage error

    close = difflib.get_close_matches(word, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


class SuggestingParser(argparse.ArgumentParser):
    """An `argparse.ArgumentParser` whose errors suggest the closest command or option.

    Unknown arguments are reported by the innermost command that received them, with that
    command's usage line (argparse reports them at the top level).
    """

    json_errors = False
    """Print errors as a JSON object on stdout (set for a command line with ``--json``)."""

    def _subcommands(self) -> list[str]:
        return [
            name
            for action in self._actions
            if isinstance(action, argparse._SubParsersAction)
            for name in action.choices
        ]

    def parse_known_args(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        namespace: argparse.Namespace | None = None,
    ) -> tuple[argparse.Namespace, list[str]]:
        """Parse like argparse; a command without subcommands refuses unknown arguments."""
        parsed, extras = super().parse_known_args(args, namespace)
        if extras and not self._subcommands():
            options = [o for action in self._actions for o in action.option_strings]
            hint = suggestion(extras[0], options) if extras[0].startswith("-") else ""
            self.error(f"{_UNRECOGNIZED}{' '.join(extras)}{hint}")
        return parsed, extras

    def error(self, message: str) -> NoReturn:
        """Report a usage error (suggesting a close command) and exit with code 2."""
        choice = _INVALID_CHOICE.search(message)
        if choice is not None:
            message = message.split(" (choose from", 1)[0]
            message += suggestion(choice.group(1), self._subcommands())
            names = ", ".join(n for n in self._subcommands())
            message += f" (commands: {names})"
        if self.json_errors:
            import json  # noqa: PLC0415 - only for a JSON error

            error = {"type": "UsageError", "message": message, "usage": self.format_usage().strip()}
            sys.stdout.write(json.dumps({"error": error}, separators=(",", ":")) + "\n")
            sys.exit(2)
        self.print_usage(sys.stderr)
        sys.stderr.write(f"error: {message}\n")
        sys.exit(2)


def _id_argument(parser: argparse.ArgumentParser, name: str = "experiment") -> None:
    parser.add_argument(name, help="experiment id, or a title (its newest experiment)")


def _read_commands(add: _Adder) -> None:
    listing = add("list", "list experiments, oldest first", aliases=("ls",))
    listing.add_argument("title", nargs="?", help="only titles starting with this")
    listing.add_argument(
        "--state", action="append", metavar="STATE", help="only with a job in STATE (repeatable)"
    )
    listing.add_argument("--since", metavar="WHEN", help="created since: 30m, 2h, 7d or a date")
    listing.add_argument("--limit", type=int, metavar="N", help="only the N newest")
    listing.add_argument("--quiet", "-q", action="store_true", help="print only the ids")
    listing.add_argument(
        "--all", "-a", action="store_true", help="also experiments that were only dry-run"
    )
    _output_option(listing)
    status = add("status", "show job states (exit 1 if a job failed, was cancelled or is unknown)")
    _id_argument(status)
    status.add_argument("--watch", "-w", action="store_true", help="refresh until every job ended")
    status.add_argument("--interval", type=float, default=2.0, metavar="S", help="watch period")
    _output_option(status)
    logs = add("logs", "print the output of a job, or of every job with name prefixes")
    _id_argument(logs)
    logs.add_argument("job", nargs="?", help="job id, name or index (default: every job)")
    logs.add_argument("--follow", "-f", action="store_true", help="keep printing until it ends")
    logs.add_argument("--tail", type=int, metavar="N", help="only the last N lines of each job")
    logs.add_argument("--no-prefix", action="store_true", help="no 'job | ' prefixes")
    logs.add_argument(
        "--since",
        metavar="WHEN",
        help="only output newer than 30m, 2h or a date: lines that start with a timestamp "
        "by it, other lines by the log file's last change",
    )
    wait = add("wait", "wait until every job ended; exit with the experiment's result")
    _id_argument(wait)
    wait.add_argument("--timeout", type=float, metavar="S", help="give up after S seconds")
    wait.add_argument("--interval", type=float, default=2.0, metavar="S", help="polling period")
    diff = add("diff", "compare the configs and executors of two experiments (exit 1 if differ)")
    diff.add_argument("old")
    diff.add_argument("new")
    show = add("show", "show configs, commands and paths of an experiment")
    _id_argument(show)
    _output_option(show)


def _write_commands(add: _Adder) -> None:
    cancel = add("cancel", "cancel a job or all jobs")
    _id_argument(cancel)
    cancel.add_argument("job", nargs="?", help="job id, name or index")
    cancel.add_argument("--all", action="store_true", help="cancel every job")
    cancel.add_argument("--dependents", action="store_true", help="also cancel dependent jobs")
    rerun = add("rerun", "launch an experiment's jobs again, with their recorded code")
    _id_argument(rerun)
    rerun.add_argument("--detach", action="store_true", help="do not wait for the jobs")
    remove = add("rm", "delete experiments (their directories and catalog entries)")
    remove.add_argument("ids", nargs="+", metavar="ID", help="experiment ids")
    remove.add_argument("--force", action="store_true", help="also with jobs still running")
    collect = add("gc", "delete old or never-launched experiments whose jobs all ended")
    collect.add_argument("--older-than", metavar="AGE", help="created before this: 30d, 12h, ...")
    collect.add_argument(
        "--unlaunched", action="store_true", help="no job was ever submitted (dry-runs included)"
    )
    collect.add_argument(
        "--dryrun-only", action="store_true", help="only dry-run (kept by Experiment.dryrun)"
    )
    collect.add_argument("--dry-run", action="store_true", help="only print what would go")
    add("rebuild-catalog", "rebuild the catalog index from the experiment files")
    add("import", "import experiments NeMo-Run wrote into the store").add_argument(
        "--from-nemo-run",
        metavar="DIR",
        nargs="?",
        const=None,
        required=True,
        help="NeMo-Run's home, holding experiments/ (default ~/.nemo_run)",
    )


def _output_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output",
        "-o",
        choices=("wide", "json"),
        help="wide: every column whole, whatever the terminal width; json: as --json",
    )


class _Adder:
    """Adds one ``experiment`` subcommand (each has ``--json`` and ``--verbose``)."""

    def __init__(self, sub: argparse._SubParsersAction[SuggestingParser]) -> None:
        self.sub = sub

    def __call__(
        self, name: str, help_text: str, *, aliases: Sequence[str] = ()
    ) -> argparse.ArgumentParser:
        parser = self.sub.add_parser(
            name, help=help_text, description=help_text, aliases=list(aliases)
        )
        parser.set_defaults(command=name)
        parser.add_argument(
            "--verbose", "-v", action="store_true", help="print the traceback of an error"
        )
        parser.add_argument("--json", action="store_true", help="print JSON (errors too)")
        return parser


def _experiment_parser(commands: argparse._SubParsersAction[SuggestingParser]) -> None:
    experiment = commands.add_parser(
        "experiment",
        aliases=list(EXPERIMENT_ALIASES),
        help="inspect and manage experiments (alias: exp)",
        description="Inspect and manage experiments.",
    )
    experiment.set_defaults(group="experiment")
    sub = experiment.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add = _Adder(sub)
    _read_commands(add)
    _write_commands(add)


def build_parser(*, nested_entrypoints: bool = True) -> argparse.ArgumentParser:
    """Return the argument parser of the ``nemorun`` application.

    Args:
        nested_entrypoints: List the ``nemo_run.cli`` entry-point groups as commands.
    """
    parser = SuggestingParser(
        prog="nemorun",
        description=_DESCRIPTION,
        epilog=_EPILOG if nested_entrypoints else None,
    )
    parser.add_argument("--version", action="version", version=f"nemorun {__version__}")
    commands = parser.add_subparsers(dest="group", metavar="COMMAND", required=True)
    commands.add_parser("version", help="print the version", description="Print the version.")
    _experiment_parser(commands)
    completion = commands.add_parser(
        "completion",
        help="print a shell completion script (bash, zsh, fish)",
        description="Print a completion script: source <(nemorun completion bash)",
    )
    completion.add_argument("shell", choices=SHELLS)
    for name, value in sorted(entry_point_names(ENTRY_POINT_GROUP)) if nested_entrypoints else []:
        if name not in BUILT_INS:
            commands.add_parser(name, help=f"commands of {value}", add_help=False)
    return parser
