"""The ``nemorun`` console application (alias ``nemo``), and `create_cli` that builds it.

A small argparse dispatcher (the parser is in `nr_cli.app_parser`): ``nemorun --help`` and
``nemorun experiment list`` import nothing heavy; each command imports what it needs when it
runs. Every entry point of the ``nemo_run.cli`` group is a command group too: ``nemorun GROUP
[SUB ...] COMMAND args`` runs the entrypoint registered under the group module's namespace
(``mypkg.sub.COMMAND``), and ``nemorun GROUP --help`` lists them; the group's module is imported
only when the command line names the group. Exit codes: 0 ok, 1 what was asked about failed,
2 usage error, 3 not found, 130 interrupted (see `nr_cli.output`).
"""

from __future__ import annotations

import dataclasses
import os
import sys
import types

from nr_cli.__about__ import __version__
from nr_cli.app_parser import BUILT_INS, SuggestingParser, build_parser, json_requested, suggestion
from nr_cli.entry_point_names import ENTRY_POINT_GROUP
from nr_cli.errors import CLIError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.metadata import EntryPoint
    from typing import Any

__all__ = [
    "App",
    "build_parser",
    "create_cli",
    "find_group_command",
    "group_listing",
    "main",
    "run_app",
]
_HELP_FLAGS = ("-h", "--help")


def _group_points() -> list[EntryPoint]:
    from importlib.metadata import entry_points  # noqa: PLC0415 - costs ~20 ms; not for --help

    return sorted(
        (p for p in entry_points(group=ENTRY_POINT_GROUP) if p.name not in BUILT_INS),
        key=lambda p: p.name,
    )


def _group_namespace(point: EntryPoint) -> str:
    try:
        loaded = point.load()
    except Exception as error:
        raise CLIError(
            f"entry point {point.name!r} ({point.value}) failed to load: {error}",
            argument=point.name,
        ) from error
    if isinstance(loaded, types.ModuleType):
        return loaded.__name__
    return str(getattr(loaded, "__module__", "") or point.module)


def _group_commands(group: str) -> dict[tuple[str, ...], Any]:
    from nr_cli.entrypoints import list_entrypoints  # noqa: PLC0415 - only for a group

    found = [p for p in _group_points() if p.name == group]
    if not found:
        return {}
    namespace = _group_namespace(found[0])
    commands: dict[tuple[str, ...], Any] = {}
    for key, point in list_entrypoints(namespace).items():
        relative = key[len(namespace) :].lstrip(".")
        commands[tuple(relative.split("."))] = point
    return commands


def find_group_command(words: Sequence[str]) -> tuple[Any, list[str]]:
    """Find the entrypoint ``GROUP [SUB ...] COMMAND`` names, importing the group's module.

    Args:
        words: The command line without the program name (``["llm", "pretrain", "a=1"]``).

    Returns:
        The `Entrypoint` and the words after the command.

    Raises:
        CLIError: No such group or command (the message lists the commands of the group).
    """
    if not words:
        raise CLIError("a command group is needed", hint="see nemorun --help")
    commands = _group_commands(words[0])
    if not commands:
        groups = [p.name for p in _group_points()]
        close = suggestion(words[0], [*BUILT_INS, *groups])
        raise CLIError(
            f"unknown command {words[0]!r}{close}",
            argument=words[0],
            hint="commands: " + ", ".join(sorted({"experiment", "version", "completion", *groups})),
        )
    rest = list(words[1:])
    for path in sorted(commands, key=len, reverse=True):
        if tuple(rest[: len(path)]) == path:
            return commands[path], rest[len(path) :]
    names = ", ".join(" ".join(path) for path in sorted(commands)) or "none registered"
    close = suggestion(" ".join(rest[:1]), [" ".join(path) for path in commands])
    raise CLIError(
        f"unknown command {' '.join(rest[:1]) or '(none)'!r} in group {words[0]!r}{close}",
        argument=words[0],
        hint=f"commands: {names}",
    )


def group_listing(group: str) -> str:
    """The entrypoints of an installed command group, one per line with its help.

    Raises:
        CLIError: No such group.
    """
    commands = _group_commands(group)
    if not commands:
        find_group_command([group])  # raises, naming the installed groups
    width = max(len(" ".join(path)) for path in commands)
    lines = [
        f"usage: nemorun {group} COMMAND [overrides] [options]",
        "",
        f"Entrypoints of {group} (nemorun {group} COMMAND --help shows one):",
    ]
    for path in sorted(commands):
        lines.append(f"  {' '.join(path).ljust(width)}  {commands[path].help}".rstrip())
    return "\n".join(lines)


def _run_group(argv: Sequence[str]) -> int:
    from nr_cli.command import EXIT_USAGE, report, run_main  # noqa: PLC0415 - only for a group

    try:
        if len(argv) == 1 or argv[1] in _HELP_FLAGS:
            listing = group_listing(argv[0])
            print(listing, file=sys.stdout if len(argv) > 1 else sys.stderr)
            return 0 if len(argv) > 1 else EXIT_USAGE
        point, rest = find_group_command(argv)
    except CLIError as error:
        report(error, verbose=False)
        return EXIT_USAGE
    run_main(point, rest)
    return 0


def run_app(argv: Sequence[str] | None = None, *, nested_entrypoints: bool = True) -> int:
    """Run the application and return its exit code.

    Args:
        argv: Arguments without the program name; None reads ``sys.argv``.
        nested_entrypoints: Offer ``GROUP COMMAND`` entrypoint commands (see `create_cli`).

    Returns:
        The exit code (argparse usage errors raise ``SystemExit(2)``).
    """
    words = sys.argv[1:] if argv is None else list(argv)
    if nested_entrypoints and words and words[0] not in BUILT_INS and words[0][:1] != "-":
        return _run_group(words)
    SuggestingParser.json_errors = json_requested(words)
    parser = build_parser(nested_entrypoints=nested_entrypoints)
    args = parser.parse_args(words)
    if args.group == "version":
        print(f"nemorun {__version__}")
        return 0
    if args.group == "completion":
        from nr_cli.completion import completion_script  # noqa: PLC0415 - only for completion

        sys.stdout.write(completion_script(args.shell, parser))
        return 0
    from nr_cli.commands.experiment import dispatch  # noqa: PLC0415 - imported per command

    return dispatch(args)


@dataclasses.dataclass(frozen=True)
class App:
    """The ``nemorun`` application as an object: ``create_cli()()`` runs it like the script.

    Attributes:
        nested_entrypoints: Offer the entrypoints of ``nemo_run.cli`` entry-point groups as
            ``GROUP COMMAND`` commands.
    """

    nested_entrypoints: bool = True

    def __call__(self, args: Sequence[str] | None = None) -> None:
        """Run with `args` (default ``sys.argv[1:]``) and exit with the exit code."""
        main(args, nested_entrypoints=self.nested_entrypoints)

    def run(self, args: Sequence[str] | None = None) -> int:
        """Run with `args` and return the exit code instead of exiting."""
        return run_app(args, nested_entrypoints=self.nested_entrypoints)


def create_cli(add_verbose_callback: bool = False, nested_entrypoints_creation: bool = True) -> App:
    """Build the ``nemorun``/``nemo`` application (NeMo-Run's ``run.cli.create_cli``).

    Args:
        add_verbose_callback: Accepted for NeMo-Run code; every command here has ``--verbose``.
        nested_entrypoints_creation: Offer the entrypoints of installed ``nemo_run.cli`` entry
            points as ``GROUP COMMAND`` commands.

    Returns:
        The application; call it (``app()``) to run it on ``sys.argv``.
    """
    del add_verbose_callback  # every entrypoint command has --verbose already
    return App(nested_entrypoints=nested_entrypoints_creation)


def main(argv: Sequence[str] | None = None, *, nested_entrypoints: bool = True) -> None:
    """Console-script entry point: run the application and exit with its code.

    Args:
        argv: Arguments without the program name; None reads ``sys.argv``.
        nested_entrypoints: Offer ``GROUP COMMAND`` entrypoint commands (see `create_cli`).
    """
    try:
        code = run_app(argv, nested_entrypoints=nested_entrypoints)
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away (``nemorun ... | head``): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    sys.exit(code)
