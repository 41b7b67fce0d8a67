"""Help text: ``--help`` of an entrypoint, and `help` (``run.help``) for any configurable thing.

Both list arguments with types and defaults, the registered factories and the executors.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from nr_config.signatures import NO_DEFAULT, signature_info
from nr_config.validation import type_name
from nr_exec.executor import Executor

from nr_cli.entrypoints import ENTRYPOINT_ATTRIBUTE, Entrypoint
from nr_cli.factories import factory_names, list_factories
from nr_cli.options import OPTIONS
from nr_cli.registry import namespace_of

__all__ = ["help", "render_help"]


def _table(rows: Sequence[tuple[str, ...]], indent: str = "  ") -> list[str]:
    if not rows:
        return [f"{indent}(none)"]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append((indent + "  ".join([*cells, row[-1]])).rstrip())
    return lines


def _default_text(value: object) -> str:
    if value is NO_DEFAULT:
        return "required"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def render_help(point: Entrypoint) -> str:
    """Return the help text of an entrypoint command.

    Args:
        point: The entrypoint.

    Returns:
        Plain text: usage, description, arguments (name, type, default), the factories registered
        for the entrypoint and for each argument's type, registered executors, and options.
    """
    prog = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else point.name
    lines = [f"Usage: {prog} [OPTIONS] [ARGUMENT=VALUE ...]", ""]
    if point.help:
        lines += [point.help, ""]
    info = signature_info(point.fn)
    rows: list[tuple[str, ...]] = []
    factory_rows: list[tuple[str, ...]] = []
    for name in info.names:
        if name == point.context_parameter:
            continue
        annotation = info.annotation(name)
        rows.append((name, type_name(annotation), _default_text(info.defaults.get(name))))
        names = factory_names(annotation, (f"{namespace_of(point.fn)}.{name}",))
        if names:
            factory_rows.append((name, ", ".join(names)))
    lines += ["Arguments:", *_table(rows), ""]
    own = [e.name for e in list_factories(namespace_of(point.fn))]
    if own:
        lines += [f"Factories for --factory: {', '.join(own)}", ""]
    if factory_rows:
        lines += ["Factories by argument:", *_table(factory_rows), ""]
    if point.enable_executor:
        executors = sorted({e.name for e in list_factories(Executor)})
        lines += [f"Executors (run.executor=NAME): {', '.join(executors) or '(none registered)'}"]
        defaults = [
            f"{label}={value!r}"
            for label, value in (
                ("factory", point.default_factory),
                ("executor", point.default_executor),
                ("plugins", point.default_plugins),
            )
            if value is not None
        ]
        if defaults:
            lines.append("Defaults: " + ", ".join(defaults))
        lines.append("")
    option_rows = []
    for option in OPTIONS:
        spelled = ", ".join(option.names) + (f" {option.metavar}" if option.metavar else "")
        if option.negation:
            spelled += f" / {option.negation}"
        option_rows.append((spelled, option.help))
    lines += ["Options:", *_table(option_rows)]
    return "\n".join(lines)


class Console(Protocol):
    """Anything with a ``print`` method, such as a ``rich.console.Console``."""

    def print(self, *objects: Any) -> None:
        """Print the objects."""


def _location(fn: Callable[..., Any]) -> str:
    target = getattr(fn, "wrapped", fn)
    try:
        path = inspect.getsourcefile(target)
        line = inspect.getsourcelines(target)[1]
    except (TypeError, OSError):
        return namespace_of(target)
    return f"{path}:{line}"


def render_entity_help(entity: Any, *, with_docs: bool = True, namespace: str | None = None) -> str:
    """Return the text `help` prints for `entity` (see there)."""
    point = (
        entity if isinstance(entity, Entrypoint) else getattr(entity, ENTRYPOINT_ATTRIBUTE, None)
    )
    if isinstance(point, Entrypoint):
        text = render_help(point)
        docs = inspect.cleandoc(point.fn.__doc__ or "")
        return f"{text}\n\n{docs}" if with_docs and docs else text
    lines = [f"{namespace_of(entity)}", ""]
    docs = inspect.cleandoc(getattr(entity, "__doc__", None) or "")
    if with_docs and docs:
        lines += [docs, ""]
    info = signature_info(entity)
    rows = [
        (name, type_name(info.annotation(name)), _default_text(info.defaults.get(name)))
        for name in info.names
    ]
    lines += ["Arguments:", *_table(rows), ""]
    entries = list_factories(namespace or entity)
    factory_rows = [(e.name, e.namespace, _location(e.fn)) for e in entries]
    lines += ["Factories:", *_table(factory_rows)]
    if isinstance(entity, type) and issubclass(entity, Executor):
        executors = sorted({e.name for e in list_factories(Executor)})
        lines += ["", f"Executors (run.executor=NAME): {', '.join(executors) or '(none)'}"]
    return "\n".join(lines)


def help(
    entity: Any,
    with_docs: bool = True,
    console: Console | None = None,
    namespace: str | None = None,
) -> None:
    """Print what can be configured on `entity`: arguments, factories and executors.

    Args:
        entity: An entrypoint function (prints its ``--help``), a class or a function.
        with_docs: Include the docstring.
        console: Print through this (``rich.console.Console`` or anything with ``print``);
            default stdout.
        namespace: List the factories of this registry namespace instead of `entity`'s.
    """
    text = render_entity_help(entity, with_docs=with_docs, namespace=namespace)
    if console is None:
        print(text)
    else:
        console.print(text)
