"""Options of an entrypoint command (``--dryrun``, ``--factory NAME``, ...), split from overrides.

Hand-rolled rather than a CLI framework: options and ``key=value`` overrides interleave freely,
``-5`` is a value, ``--`` ends the options, and every mistake is a `CLIError` naming the option.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping, Sequence
from typing import Any

from nr_cli.errors import CLIError, UnknownOptionError

__all__ = ["OPTIONS", "Options", "option_defaults", "parse_options"]


@dataclasses.dataclass
class Options:
    """The options of one invocation plus the remaining override tokens."""

    name: str = ""
    direct: bool = False
    dryrun: bool = False
    detach: bool = False
    yes: bool = False
    tail_logs: bool = False
    verbose: bool = False
    repl: bool = False
    help: bool = False
    factories: list[str] = dataclasses.field(default_factory=list)
    yaml: list[str] = dataclasses.field(default_factory=list)
    to_yaml: str | None = None
    to_toml: str | None = None
    to_json: str | None = None
    dotted_targets: bool = False
    load: str | None = None
    lazy: bool = False
    multirun: bool = False
    overrides: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class Option:
    """One option: its spellings, the `Options` field it sets and its help line."""

    names: tuple[str, ...]
    field: str
    help: str
    metavar: str = ""
    negation: str = ""


OPTIONS: tuple[Option, ...] = (
    Option(("--name", "-n"), "name", "name of the experiment/job", "NAME"),
    Option(
        ("--factory", "-f"),
        "factories",
        "start from a factory or @file; KEY=VALUE sets one argument first",
        "NAME|@FILE|KEY=VALUE",
    ),
    Option(("--yaml",), "yaml", "merge a YAML/JSON/TOML file of arguments", "FILE[:SECTION]"),
    Option(("--dryrun",), "dryrun", "show what would run, run nothing"),
    Option(("--yes", "-y", "--no-confirm"), "yes", "do not ask for confirmation"),
    Option(("--detach",), "detach", "return once submitted"),
    Option(("--tail-logs",), "tail_logs", "follow the job logs", negation="--no-tail-logs"),
    Option(("--direct",), "direct", "run in this process", negation="--no-direct"),
    Option(("--to-yaml",), "to_yaml", "export the task as YAML, do not run", "PATH[:SECTION]"),
    Option(("--to-toml",), "to_toml", "export the task as TOML, do not run", "PATH[:SECTION]"),
    Option(("--to-json",), "to_json", "export the task as JSON, do not run", "PATH[:SECTION]"),
    Option(
        ("--dotted-targets",), "dotted_targets", "exports write module.Name targets (NeMo-Run's)"
    ),
    Option(("--load", "-l"), "load", "NeMo-Run's --load: not supported", "PATH"),
    Option(("--lazy",), "lazy", "record the command; resolve the task only when it launches"),
    Option(
        ("--multirun", "-m"), "multirun", "sweep: key=a,b runs one job per combination (Hydra's)"
    ),
    Option(("--repl", "-r"), "repl", "open an IPython shell with the task (needs IPython)"),
    Option(("--verbose", "-v"), "verbose", "show tracebacks of errors"),
    Option(("--help", "-h"), "help", "show this help and exit"),
)
_BY_NAME: dict[str, tuple[Option, bool]] = {}
for _option in OPTIONS:
    for _name in _option.names:
        _BY_NAME[_name] = (_option, True)
    if _option.negation:
        _BY_NAME[_option.negation] = (_option, False)


_NEMO_RUN_DEFAULTS = {"skip_confirmation": "yes", "factory": "factories"}
"""NeMo-Run's names of ``cmd_defaults`` keys that are spelled differently here."""
_IGNORED_DEFAULTS = frozenset({"rich_exceptions", "rich_traceback", "rich_locals", "rich_theme"})
"""NeMo-Run's ``cmd_defaults`` keys for its rich output; accepted and ignored."""


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(item) for item in value]


def option_defaults(defaults: Mapping[str, Any] | None) -> dict[str, Any]:
    """Turn ``cmd_defaults`` (ours or NeMo-Run's names) into `Options` field values.

    Args:
        defaults: E.g. ``{"yes": True}`` or NeMo-Run's ``{"skip_confirmation": True,
            "factory": "base", "yaml": "cfg.yaml"}``.

    Returns:
        Field values; ``factory``/``yaml`` strings become one-item lists.

    Raises:
        CLIError: An unknown key (with the closest known ones).
    """
    fields = {f.name for f in dataclasses.fields(Options)} - {"overrides"}
    values: dict[str, Any] = {}
    for key, value in (defaults or {}).items():
        if key in _IGNORED_DEFAULTS:
            continue
        field = _NEMO_RUN_DEFAULTS.get(key, key)
        if field not in fields:
            known = sorted(fields | set(_NEMO_RUN_DEFAULTS) | _IGNORED_DEFAULTS)
            close = difflib.get_close_matches(key, known, n=2, cutoff=0.6)
            hint = "did you mean " + " or ".join(close) + "?" if close else ", ".join(known)
            raise CLIError(f"unknown cmd_defaults key {key!r}", argument=key, hint=hint)
        if field in ("factories", "yaml"):
            values[field] = _as_list(value)
        else:
            values[field] = value
    return values


def _is_option(token: str) -> bool:
    return token.startswith("-") and len(token) > 1 and not token[1].isdigit() and token[1] != "."


def parse_options(argv: Sequence[str], defaults: Mapping[str, Any] | None = None) -> Options:
    """Split `argv` into options and override tokens.

    Args:
        argv: Command-line arguments, without the program name.
        defaults: Defaults of option fields (``{"yes": True}``, or NeMo-Run's names such as
            ``{"skip_confirmation": True}``, see `option_defaults`), applied before `argv`.

    Returns:
        The options; `Options.overrides` holds every other token, in order.

    Raises:
        CLIError: An unknown option (with the closest known one), or a missing value.
    """
    options = Options(**option_defaults(defaults))
    tokens = list(argv)
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if token == "--":  # noqa: S105 - the end-of-options marker
            options.overrides.extend(tokens[index:])
            break
        if not _is_option(token):
            options.overrides.append(token)
            continue
        spelling, has_inline, inline = token.partition("=")
        found = _BY_NAME.get(spelling)
        if found is None:
            close = difflib.get_close_matches(spelling, list(_BY_NAME), n=2, cutoff=0.6)
            hint = "did you mean " + " or ".join(close) + "?" if close else "see --help"
            raise UnknownOptionError(f"unknown option {spelling}", argument=token, hint=hint)
        option, positive = found
        if not option.metavar:
            if has_inline:
                raise CLIError(f"option {spelling} takes no value", argument=token)
            setattr(options, option.field, positive)
            continue
        if has_inline:
            value = inline
        elif index < len(tokens):
            value = tokens[index]
            index += 1
        else:
            raise CLIError(f"option {spelling} needs a value ({option.metavar})", argument=token)
        current = getattr(options, option.field)
        if isinstance(current, list):
            current.append(value)
        else:
            setattr(options, option.field, value)
    return options
