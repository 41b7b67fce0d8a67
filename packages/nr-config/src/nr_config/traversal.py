"""Traversal of configuration graphs: `iter_nodes`, `walk`, `walk_owners` and `broadcast`.

All three return a new graph by default (the input is left untouched) and reach configurations
nested in lists, tuples and dicts; ``inplace=True`` edits the given graph instead (NeMo-Run's
methods always edit in place). `walk` gives each function the argument's current value;
`walk_owners` gives it the configuration that owns the argument (NeMo-Run's ``cfg.walk``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from nr_config.buildable import Buildable
from nr_config.errors import ArgumentError, join_path
from nr_config.signatures import NO_DEFAULT

__all__ = ["broadcast", "clone", "iter_nodes", "shared_nodes", "walk", "walk_owners"]

V = TypeVar("V")


def clone(value: V) -> V:
    """Return a deep copy of `value`; nodes shared inside the graph stay shared in the copy."""
    return copy.deepcopy(value)


def iter_nodes(value: Any) -> Iterator[tuple[str, Buildable[Any]]]:
    """Yield ``(path, node)`` for every configuration in `value`, each node once, parents first.

    Args:
        value: A configuration or a container of configurations.

    Yields:
        The path of the first place a node was found, and the node.
    """
    seen: set[int] = set()
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, Buildable):
            if id(item) in seen:
                continue
            seen.add(id(item))
            yield path, item
            children = [(join_path(path, k), v) for k, v in item.__arguments__.items()]
        elif isinstance(item, (list, tuple)):
            children = [(f"{path}[{i}]", v) for i, v in enumerate(item)]
        elif isinstance(item, dict):
            children = [(f"{path}[{k!r}]", v) for k, v in item.items()]
        else:
            continue
        stack.extend(reversed(children))


def shared_nodes(root: Any) -> set[int]:
    """Return the ids of the configurations reachable more than once from `root`."""
    seen: set[int] = set()
    shared: set[int] = set()
    stack = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, Buildable):
            if id(item) in seen:
                shared.add(id(item))
                continue
            seen.add(id(item))
            stack.extend(item.__arguments__.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend([*item.keys(), *item.values()])
    return shared


def _current(node: Buildable[Any], name: str) -> Any:
    arguments = node.__arguments__
    if name in arguments:
        return arguments[name]
    return node._nr_signature.defaults.get(name, NO_DEFAULT)


def walk(value: V, *, inplace: bool = False, **fns: Callable[[Any], Any]) -> V:
    """Replace every argument named like a keyword of `fns` by ``fn(current_value)``.

    The function receives the argument's current value (its default when it is not set) and its
    result is assigned (and validated) in every configuration of the graph that has that argument.

    Args:
        value: A configuration or a container of configurations.
        inplace: Edit `value` itself instead of a copy.
        **fns: One function per argument name.

    Returns:
        The edited copy (or `value` itself when `inplace` is true).

    Raises:
        ConfigTypeError: A function returned a value of the wrong type (the error names the path).
    """
    return _replace_arguments(value, inplace, fns, lambda node, current: current)


def walk_owners(value: V, *, inplace: bool = False, **fns: Callable[[Any], Any]) -> V:
    """Replace every argument named like a keyword of `fns` by ``fn(owning_configuration)``.

    NeMo-Run's ``cfg.walk`` contract: the function receives the configuration that has the
    argument (set, or with a default), so it can compute the new value from its siblings.

    Args:
        value: A configuration or a container of configurations.
        inplace: Edit `value` itself instead of a copy.
        **fns: One function per argument name.

    Returns:
        The edited copy (or `value` itself when `inplace` is true).

    Raises:
        ConfigTypeError: A function returned a value of the wrong type (the error names the path).
    """
    return _replace_arguments(value, inplace, fns, lambda node, current: node)


def _replace_arguments(
    value: V,
    inplace: bool,
    fns: dict[str, Callable[[Any], Any]],
    given: Callable[[Buildable[Any], Any], Any],
) -> V:
    """Assign ``fn(given(node, current))`` to every argument named in `fns` that a node has."""
    result = value if inplace else clone(value)
    for path, node in list(iter_nodes(result)):
        for name, fn in fns.items():
            current = _current(node, name)
            if current is not NO_DEFAULT:
                _assign(node, name, fn(given(node, current)), path)
    return result


def broadcast(value: V, *, inplace: bool = False, **values: Any) -> V:
    """Set each given argument in every configuration of the graph that accepts it.

    A configuration accepts a name when the argument is already set or its target declares a
    parameter of that name (a ``**kwargs`` catch-all does not count).

    Args:
        value: A configuration or a container of configurations.
        inplace: Edit `value` itself instead of a copy.
        **values: The values to set, by argument name.

    Returns:
        The edited copy (or `value` itself when `inplace` is true).

    Raises:
        ConfigTypeError: A value does not fit an argument's annotation (the error names the path).
    """
    result = value if inplace else clone(value)
    for path, node in list(iter_nodes(result)):
        declared = node._nr_signature.defaults
        for name, new in values.items():
            if name in node.__arguments__ or name in declared:
                _assign(node, name, new, path)
    return result


def _assign(node: Buildable[Any], name: str, value: Any, path: str) -> None:
    try:
        setattr(node, name, value)
    except ArgumentError as error:
        raise error.prefixed(path) from None
