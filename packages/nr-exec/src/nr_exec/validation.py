"""Checks of executors and launchers: field types, keyword names and attribute assignments.

Supported annotations: plain classes (a ``bool`` is not an ``int``; an ``int`` is a ``float``),
``None``, unions, ``Literal``, ``Any``, and ``list``/``tuple``/``dict``/``set`` (and their
``collections.abc`` counterparts) checked item by item.
"""

import collections.abc
import dataclasses
import difflib
import functools
import types
import typing
from collections.abc import Callable
from typing import Any

from nr_exec.errors import ExecutorConfigError, UnknownAttributeError, UnknownFieldError

__all__ = ["check_assignment", "check_fields", "check_keywords", "describe"]

_UNIONS: tuple[Any, ...] = (typing.Union, types.UnionType)
_SEQUENCES: tuple[Any, ...] = (list, collections.abc.Sequence, collections.abc.MutableSequence)
_MAPPINGS: tuple[Any, ...] = (dict, collections.abc.Mapping, collections.abc.MutableMapping)
_SETS: tuple[Any, ...] = (set, frozenset, collections.abc.Set)


def describe(annotation: Any) -> str:
    """Return a readable name of ``annotation``."""
    if annotation is type(None):
        return "None"
    if isinstance(annotation, type) and typing.get_origin(annotation) is None:
        return annotation.__name__
    return repr(annotation).replace("typing.", "")


def _is_instance(value: Any, cls: type) -> bool:
    if cls is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if cls is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, cls)


def matches(annotation: Any, value: Any) -> bool:
    """Whether ``value`` fits ``annotation``."""
    try:
        check = _checker(annotation)
    except TypeError:  # an unhashable annotation: decide without the cache
        check = _make_checker(annotation)
    return check(value)


@functools.cache
def _checker(annotation: Any) -> Callable[[Any], bool]:
    """The check of one annotation, made once (executors are validated on every copy)."""
    return _make_checker(annotation)


def _make_checker(annotation: Any) -> Callable[[Any], bool]:  # noqa: PLR0911 - one per form
    if annotation is Any:
        return lambda value: True
    if annotation is None or annotation is type(None):
        return lambda value: value is None
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in _UNIONS:
        options = [matches_for(a) for a in args]
        return lambda value: any(check(value) for check in options)
    if origin is typing.Literal:
        return lambda value: any(value == a and type(value) is type(a) for a in args)
    if origin in _SEQUENCES:
        kinds = list if origin is list else (list, tuple)
        item = matches_for(args[0])
        return lambda value: isinstance(value, kinds) and all(map(item, value))
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            item = matches_for(args[0])
            return lambda value: isinstance(value, tuple) and all(map(item, value))
        items = [matches_for(a) for a in args]
        return lambda value: (
            isinstance(value, tuple)
            and len(items) == len(value)
            and all(check(v) for check, v in zip(items, value, strict=False))
        )
    if origin in _MAPPINGS:
        key, item = matches_for(args[0]), matches_for(args[1])
        return lambda value: (
            isinstance(value, collections.abc.Mapping)
            and all(key(k) and item(v) for k, v in value.items())
        )
    if origin in _SETS:
        item = matches_for(args[0])
        return lambda value: isinstance(value, collections.abc.Set) and all(map(item, value))
    if origin is not None:
        return lambda value: isinstance(value, origin)
    if isinstance(annotation, type):
        return lambda value: _is_instance(value, annotation)
    return lambda value: True


def matches_for(annotation: Any) -> Callable[[Any], bool]:
    """The (cached) check of ``annotation``: ``matches_for(a)(v) == matches(a, v)``."""
    try:
        return _checker(annotation)
    except TypeError:
        return _make_checker(annotation)


@functools.cache
def _field_types(cls: type) -> tuple[tuple[str, Any], ...]:
    hints = typing.get_type_hints(cls)
    return tuple(
        (f.name, hints[f.name])
        for f in dataclasses.fields(cls)
        if f.init and typing.get_origin(hints[f.name]) is not typing.ClassVar
    )


def check_fields(obj: Any) -> None:
    """Check every init field of the dataclass instance ``obj`` against its annotation.

    Raises:
        ExecutorConfigError: A field's value does not fit its annotation; the error names the
            field, the expected type and the value given.
    """
    cls: type = type(obj)
    for name, annotation in _field_types(cls):
        value = getattr(obj, name)
        if not matches(annotation, value):
            raise ExecutorConfigError(f"{cls.__name__}.{name}", describe(annotation), value)


def _close(name: str, names: collections.abc.Iterable[str]) -> list[str]:
    return difflib.get_close_matches(name, sorted(names), n=3, cutoff=0.6)


@functools.cache
def _init_fields(cls: type) -> tuple[str, ...] | None:
    """The keywords of ``cls``'s dataclass-made ``__init__``; None for a hand-written one."""
    owner = next(c for c in cls.__mro__ if "__init__" in c.__dict__)
    params = owner.__dict__.get("__dataclass_params__")
    if params is None or not params.init:
        return None
    return tuple(f.name for f in dataclasses.fields(owner) if f.init)


def check_keywords(cls: type, keywords: collections.abc.Iterable[str]) -> None:
    """Refuse a keyword that is none of the dataclass ``cls``'s init fields, with a suggestion.

    A class whose ``__init__`` is written by hand is not checked (its ``__init__`` decides).

    Raises:
        UnknownFieldError: A keyword is not a field; the error suggests the closest ones.
    """
    fields = _init_fields(cls)
    if fields is None:
        return
    for name in keywords:
        if name not in fields:
            raise UnknownFieldError(cls.__name__, name, _close(name, fields), list(fields))


@functools.cache
def _all_fields(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(cls))


def check_assignment(obj: Any, name: str) -> None:
    """Refuse assigning ``name`` on the dataclass instance ``obj`` unless it can mean something.

    Fields, private names (``_cache``) and names the class defines (properties) are accepted;
    anything else would be silently ignored by the backend, so it is an error.

    Raises:
        UnknownAttributeError: ``name`` is none of these; the error suggests the closest field.
    """
    cls: type = type(obj)
    if name.startswith("_") or name in _all_fields(cls) or hasattr(cls, name):
        return
    close = _close(name, _all_fields(cls))
    hint = (
        f"did you mean {' or '.join(map(repr, close))}?"
        if close
        else f"its fields are {', '.join(sorted(_all_fields(cls)))}"
    )
    raise UnknownAttributeError(
        f"{cls.__name__} has no field {name!r} (an unknown attribute would be ignored); {hint}"
    )
