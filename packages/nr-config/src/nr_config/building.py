"""Building: turn a configuration graph into the objects it describes.

Nodes are built depth-first; a node referenced from several places is built once and its result is
shared; containers (lists, tuples, dicts, sets) are rebuilt, so the built objects never alias the
configuration and building can be repeated. The configuration is never modified.
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar, overload

from nr_config.buildable import Buildable, Config, Partial
from nr_config.errors import ArgumentError, BuildError, MissingArgumentError, join_path
from nr_config.signatures import NO_DEFAULT, target_name
from nr_config.validation import check_value

__all__ = ["build"]

T = TypeVar("T")
_ATOMIC = frozenset({type(None), bool, int, float, str, bytes})
_CONTAINERS = (list, tuple, dict, set, frozenset)


@overload
def build(value: Config[T]) -> T: ...
@overload
def build(value: Partial[T]) -> functools.partial[T]: ...
@overload
def build(value: Any) -> Any: ...
def build(value: Any) -> Any:
    """Build `value`: every `Config` and `Partial` inside it is replaced by what it builds.

    Args:
        value: A configuration, or any value containing configurations (lists, tuples, dicts).

    Returns:
        The built object graph.

    Raises:
        MissingArgumentError: A `Config` lacks a required argument (the path names it).
        ConfigTypeError: A container argument was edited in place into a value of the wrong type.
        BuildError: The graph contains a cycle.
    """
    return _Builder().value(value, "")


class _Builder:
    def __init__(self) -> None:
        self.built: dict[int, Any] = {}
        self.active: set[int] = set()

    def value(self, value: Any, path: str) -> Any:  # noqa: PLR0911 - one branch per kind
        kind = type(value)
        if kind in _ATOMIC:
            return value
        if isinstance(value, Buildable):
            key = id(value)
            if key in self.built:
                return self.built[key]
            if key in self.active:
                raise BuildError(f"{path or '<root>'}: the configuration graph contains a cycle")
            self.active.add(key)
            result = self.node(value, path)
            self.active.discard(key)
            self.built[key] = result
            return result
        if kind is list:
            return [self.value(item, f"{path}[{i}]") for i, item in enumerate(value)]
        if kind is dict:
            return {k: self.value(item, f"{path}[{k!r}]") for k, item in value.items()}
        if isinstance(value, tuple):
            items = [self.value(item, f"{path}[{i}]") for i, item in enumerate(value)]
            return type(value)(*items) if hasattr(value, "_fields") else type(value)(items)
        if isinstance(value, (set, frozenset)):
            return type(value)(self.value(item, path) for item in value)
        return value

    def node(self, node: Buildable[Any], path: str) -> Any:
        target = node.__fn_or_cls__
        info = node._nr_signature
        arguments = node._nr_arguments
        if isinstance(node, Config) and info.known:
            for name in info.names:
                if name not in arguments and info.defaults[name] is NO_DEFAULT:
                    raise MissingArgumentError(join_path(path, name), target_name(target))
        positional: list[Any] = []
        keywords: dict[str, Any] = {}
        for name, item in arguments.items():
            item_path = join_path(path, name)
            if isinstance(item, _CONTAINERS):
                try:
                    check_value(info.annotation(name), item, name, target)
                except ArgumentError as error:
                    raise error.prefixed(path) from None
            keywords[name] = self.value(item, item_path)
        for name in info.positional:
            if name not in info.positional_only or name not in keywords:
                break
            positional.append(keywords.pop(name))
        if isinstance(node, Partial):
            return functools.partial(target, *positional, **keywords)
        try:
            return target(*positional, **keywords)
        except Exception as error:
            if hasattr(error, "add_note"):
                error.add_note(f"while building {path or '<root>'} ({target_name(target)})")
            raise
