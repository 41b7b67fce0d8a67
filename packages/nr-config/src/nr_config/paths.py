"""Path strings (``model.layers[0].size``, ``env["HOME"]``): parsing, reading and setting values.

A path is a sequence of steps: an attribute (``.name``, an argument of a configuration), an index
(``[0]``, into a list or tuple, or an integer key of a dict) or a key (``["name"]``, into a dict).
"""

from __future__ import annotations

import ast
import dataclasses
import re
from typing import Any

from nr_config.buildable import Buildable
from nr_config.errors import ArgumentError, ConfigPathError

__all__ = ["Attr", "Index", "Key", "format_path", "get_value", "parse_path", "set_value"]


@dataclasses.dataclass(frozen=True)
class Attr:
    """An argument of a configuration: ``.name``."""

    name: str

    def __str__(self) -> str:
        return f".{self.name}"


@dataclasses.dataclass(frozen=True)
class Index:
    """A position in a list or tuple (or an integer key of a dict): ``[0]``."""

    index: int

    def __str__(self) -> str:
        return f"[{self.index}]"


@dataclasses.dataclass(frozen=True)
class Key:
    """A key of a dict: ``["name"]``."""

    key: Any

    def __str__(self) -> str:
        return f"[{self.key!r}]"


Step = Attr | Index | Key
_TOKEN = re.compile(
    r"""\.?(?P<attr>[A-Za-z_]\w*)|\[(?P<index>-?\d+)\]|\[(?P<key>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\]"""
)


def parse_path(path: str) -> list[Step]:
    """Parse a path string into steps.

    Args:
        path: For example ``model.layers[0].size`` or ``env["HOME"]``.

    Returns:
        The steps, in order.

    Raises:
        ConfigPathError: The string is not a valid path.
    """
    steps: list[Step] = []
    position = 0
    while position < len(path):
        match = _TOKEN.match(path, position)
        if match is None or (match.group("attr") and position and path[position] != "."):
            raise ConfigPathError(f"invalid path {path!r} at position {position}")
        if match.group("attr"):
            steps.append(Attr(match.group("attr")))
        elif match.group("index") is not None:
            steps.append(Index(int(match.group("index"))))
        else:
            steps.append(Key(ast.literal_eval(match.group("key"))))
        position = match.end()
    if not steps:
        raise ConfigPathError("empty path")
    return steps


def format_path(steps: list[Step]) -> str:
    """Format steps back into a path string (without a leading dot)."""
    return "".join(str(step) for step in steps).lstrip(".")


def _step(value: Any, step: Step, where: str) -> Any:
    try:
        if isinstance(step, Attr):
            if not isinstance(value, Buildable):
                raise ConfigPathError(
                    f"{where or '<root>'}: {type(value).__name__} has no arguments"
                )
            return getattr(value, step.name)
        if isinstance(step, Index):
            if isinstance(value, dict):
                return value[step.index]
            if not isinstance(value, (list, tuple)):
                raise ConfigPathError(f"{where or '<root>'}: {type(value).__name__} has no items")
            return value[step.index]
        if not isinstance(value, dict):
            raise ConfigPathError(f"{where or '<root>'}: {type(value).__name__} has no keys")
        return value[step.key]
    except (AttributeError, IndexError, KeyError) as error:
        raise ConfigPathError(f"{where or '<root>'}: cannot follow {step}: {error}") from None


def get_value(root: Any, path: str) -> Any:
    """Return the value at `path` inside `root`.

    Unset arguments with a default return the default.

    Args:
        root: A configuration (or a container of configurations).
        path: A path string such as ``model.layers[0].size``.

    Returns:
        The value found.

    Raises:
        ConfigPathError: The path is malformed or leads nowhere.
    """
    value = root
    steps = parse_path(path)
    for number, step in enumerate(steps):
        value = _step(value, step, format_path(steps[:number]))
    return value


def _replaced(container: Any, step: Step, new: Any, where: str) -> Any:
    if isinstance(container, dict) and isinstance(step, (Index, Key)):
        key = step.index if isinstance(step, Index) else step.key
        return {**container, key: new}
    if isinstance(container, (list, tuple)) and isinstance(step, Index):
        items = list(container)
        try:
            items[step.index] = new
        except IndexError:
            raise ConfigPathError(f"{where or '<root>'}: index {step.index} out of range") from None
        return items if isinstance(container, list) else type(container)(items)
    raise ConfigPathError(f"{where or '<root>'}: cannot set {step} in {type(container).__name__}")


def set_value(root: Any, path: str, value: Any) -> None:
    """Set the value at `path` inside `root`, validating it like an attribute assignment.

    Items of lists, tuples and dicts are replaced by assigning a new container to the argument that
    holds them, so the new value is type-checked against that argument's annotation (and tuples,
    which cannot change, can be edited too).

    Args:
        root: A configuration.
        path: A path string such as ``model.layers[0].size`` or ``env["HOME"]``.
        value: The new value.

    Raises:
        ConfigPathError: The path is malformed, leads nowhere, or does not start at an argument.
        ConfigTypeError: The value does not fit (the error names the full path).
        UnknownArgumentError: The last step names an argument the target does not accept.
    """
    steps = parse_path(path)
    values = [root]
    for number, step in enumerate(steps[:-1]):
        values.append(_step(values[-1], step, format_path(steps[:number])))
    owner_index = max((i for i, step in enumerate(steps) if isinstance(step, Attr)), default=-1)
    if owner_index < 0:
        raise ConfigPathError(f"{path!r} does not name an argument of a configuration")
    new = value
    for number in range(len(steps) - 1, owner_index, -1):
        new = _replaced(values[number], steps[number], new, format_path(steps[:number]))
    owner = values[owner_index]
    attr = steps[owner_index]
    assert isinstance(attr, Attr)  # noqa: S101 - owner_index selects an Attr step
    if not isinstance(owner, Buildable):
        where = format_path(steps[:owner_index])
        raise ConfigPathError(f"{where or '<root>'}: {type(owner).__name__} has no arguments")
    try:
        setattr(owner, attr.name, new)
    except ArgumentError as error:
        raise error.prefixed(format_path(steps[:owner_index])) from None
