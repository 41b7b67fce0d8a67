"""`to_code`: Python source that rebuilds an equal configuration graph."""

from __future__ import annotations

import enum
import keyword
import math
import pathlib
from typing import Any

from nr_config.buildable import Buildable, Partial
from nr_config.serialization.canonical import to_dict
from nr_config.serialization.refs import reference
from nr_config.traversal import shared_nodes

__all__ = ["to_code"]

_WIDTH = 88


def to_code(value: Any, *, name: str = "config") -> str:
    """Return Python source that, when executed, binds `name` to a graph equal to `value`.

    Configurations shared inside the graph are bound to variables (``shared_1`` ...) first, so the
    rebuilt graph shares them too. Targets are referenced through ``import module`` statements
    (``importlib.import_module`` for module names that are not identifiers); targets of
    ``__main__`` are referenced as ``__main__.name``.

    Args:
        value: A configuration graph or any representable value.
        name: The variable the source assigns the graph to.

    Returns:
        The source code.

    Raises:
        SerializationError: Something cannot be represented (same rules as `to_dict`).
    """
    to_dict(value)
    writer = _Writer(value)
    statement = f"{name} = {writer.expr(value, 0, top=True)}"
    header = [f"import {module}" for module in sorted(writer.modules)]
    if writer.aliases:
        header.append("import importlib")
        header += [
            f"{alias} = importlib.import_module({module!r})"
            for module, alias in writer.aliases.items()
        ]
    used = sorted(writer.classes)
    if used:
        header.append(f"from nr_config import {', '.join(used)}")
    return "\n".join([*header, "", *writer.statements, statement]) + "\n"


class _Writer:
    def __init__(self, root: Any) -> None:
        self.modules: set[str] = set()
        self.aliases: dict[str, str] = {}
        self.classes: set[str] = set()
        self.statements: list[str] = []
        self.variables: dict[int, str] = {}
        self.shared = shared_nodes(root)

    def ref(self, obj: Any) -> str:
        found = reference(obj)
        assert found is not None  # noqa: S101 - to_dict has refused unreferenceable objects
        module, _, qualname = found.partition(":")
        if all(part.isidentifier() for part in module.split(".")):
            self.modules.add(module)
            return f"{module}.{qualname}"
        alias = self.aliases.setdefault(module, f"module_{len(self.aliases) + 1}")
        return f"{alias}.{qualname}"

    def expr(self, value: Any, indent: int, *, top: bool = False) -> str:
        if isinstance(value, Buildable):
            key = id(value)
            if key in self.variables:
                return self.variables[key]
            if key in self.shared and not top:
                text = self.node(value, 0)
                variable = f"shared_{len(self.variables) + 1}"
                self.statements.append(f"{variable} = {text}")
                self.variables[key] = variable
                return variable
            return self.node(value, indent)
        return self.leaf(value, indent)

    def node(self, node: Buildable[Any], indent: int) -> str:
        kind = "Partial" if isinstance(node, Partial) else "Config"
        self.classes.add(kind)
        parts = [self.ref(node.__fn_or_cls__)]
        parts += [
            f"{k}={self.expr(v, indent + 4)}"
            if k.isidentifier() and not keyword.iskeyword(k)
            else f"**{{{k!r}: {self.expr(v, indent + 4)}}}"  # a name like `as` or `lambda`
            for k, v in node.__arguments__.items()
        ]
        return _wrap(f"{kind}(", parts, ")", indent)

    def leaf(self, value: Any, indent: int) -> str:  # noqa: PLR0911 - one branch per kind
        if isinstance(value, float) and not math.isfinite(value):
            return f'float("{value!r}")'
        if isinstance(value, enum.Enum):
            cls = self.ref(type(value))
            return f"{cls}.{value.name}" if value.name.isidentifier() else f"{cls}[{value.name!r}]"
        if isinstance(value, pathlib.PurePath):
            self.modules.add("pathlib")
            return f"pathlib.{type(value).__name__}({str(value)!r})"
        if isinstance(value, list):
            return _wrap("[", [self.expr(v, indent + 4) for v in value], "]", indent)
        if isinstance(value, tuple):
            items = [self.expr(v, indent + 4) for v in value]
            return _wrap("(", items, ",)" if len(items) == 1 else ")", indent)
        if isinstance(value, dict):
            items = [
                f"{self.expr(k, indent + 4)}: {self.expr(v, indent + 4)}" for k, v in value.items()
            ]
            return _wrap("{", items, "}", indent)
        if isinstance(value, (set, frozenset)):
            items = sorted(self.expr(v, indent + 4) for v in value)
            text = _wrap("{", items, "}", indent) if items else "set()"
            return f"frozenset({text})" if isinstance(value, frozenset) else text
        if isinstance(value, type) or (callable(value) and not isinstance(value, Buildable)):
            return self.ref(value)
        return repr(value)


def _wrap(opening: str, parts: list[str], closing: str, indent: int) -> str:
    inline = f"{opening}{', '.join(parts)}{closing}"
    if len(inline) + indent <= _WIDTH and "\n" not in inline:
        return inline
    pad = " " * (indent + 4)
    body = "".join(f"{pad}{part},\n" for part in parts)
    end = closing[1:] if closing.startswith(",") else closing
    return f"{opening}\n{body}{' ' * indent}{end}"
