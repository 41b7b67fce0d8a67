"""``--help`` of an entrypoint: arguments with types and defaults, factories, executors, options."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from nr_config.signatures import NO_DEFAULT, signature_info
from nr_config.validation import type_name
from nr_exec.executor import Executor

from nr_cli.entrypoints import Entrypoint
from nr_cli.factories import factory_names, list_factories
from nr_cli.options import OPTIONS
from nr_cli.registry import namespace_of

__all__ = ["render_help"]


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
