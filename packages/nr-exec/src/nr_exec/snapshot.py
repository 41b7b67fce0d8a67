"""Data-only snapshots: a fast deep copy of an executor and a fingerprint of its state.

A value is *data-only* when it is made of exact ``str``, ``int``, ``float``, ``bool``,
``None`` and ``bytes`` values, exact ``list``, ``tuple`` and ``dict`` containers (with such
keys), and dataclass instances whose classes keep the default copy protocol and describe
themselves by their fields (no ``__deepcopy__``, ``__reduce__``, ``__getstate__`` or
``__setstate__`` of their own, no ``__slots__``, and a ``to_config`` that is the dataclass
default, if any), without cycles. That is the normal executor (nested packagers, tunnels,
launchers, dicts of strings), and for it:

* :func:`plain_copy` is what ``copy.deepcopy`` gives, several times faster (an object held
  twice, which ``deepcopy`` keeps shared, is left to ``deepcopy``);
* :func:`fingerprint` is a hashable tuple of every type and value in it: two values with
  equal fingerprints have equal deep copies and equal ``to_config()`` records.

Anything else makes both return None, and callers fall back to the general path.
"""

import copyreg
import dataclasses
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from nr_config import ConfigurableMixin
from nr_package import Packager

__all__ = ["Fingerprint", "fields_fingerprint", "fingerprint", "is_plain_class", "plain_copy"]

T = TypeVar("T")

#: A hashable description of a data-only value (see :func:`fingerprint`).
Fingerprint = tuple[Any, ...]

_ATOMS = frozenset({str, int, bool, type(None), bytes})
_PRIMITIVES = frozenset({str, int, bool, type(None)})
#: Stands, in a fingerprint of fields, for a field whose primitive value is left out.
_PRIMITIVE = object()
_HOOKS = ("__deepcopy__", "__copy__", "__setstate__", "__getnewargs__", "__getnewargs_ex__")
_OBJECT_HOOKS = ("__reduce__", "__reduce_ex__", "__getstate__")
#: The ``to_config`` methods that describe an object by its init fields alone.
_FIELD_CONFIGS: frozenset[Callable[..., Any] | None] = frozenset(
    {None, ConfigurableMixin.to_config, Packager.to_config}
)
_plain_classes: dict[type, bool] = {}


class _NotPlainError(Exception):
    """Raised inside a walk when a value is not data-only."""


def plain_copy(value: T) -> tuple[T, Fingerprint] | None:
    """Return a deep copy of a data-only ``value`` and its fingerprint, or None.

    The copy is what ``copy.deepcopy(value)`` returns (new containers and dataclass
    instances made without calling ``__init__``; immutable values shared), made without the
    general copy protocol.

    Args:
        value: Usually an executor.

    Returns:
        ``(copy, fingerprint)``, or None when ``value`` is not data-only (see the module).
    """
    walk = _Walk(copying=True)
    try:
        duplicate = walk.visit(value)
    except _NotPlainError:
        return None
    return duplicate, tuple(walk.parts)


def fingerprint(value: Any) -> Fingerprint | None:
    """Return a hashable description of every type and value in ``value``, or None.

    Equal fingerprints mean equal types and values throughout (``True`` differs from ``1``,
    ``-0.0`` from ``0.0``), so equal deep copies and equal records.

    Args:
        value: A data-only value (see the module).

    Returns:
        The fingerprint, or None when ``value`` is not data-only.
    """
    walk = _Walk(copying=False)
    try:
        walk.visit(value)
    except (_NotPlainError, RecursionError):
        return None
    return tuple(walk.parts)


def fields_fingerprint(
    value: Any, names: Iterable[str]
) -> tuple[Fingerprint, list[tuple[str, Any]]] | None:
    """Fingerprint the attributes ``names`` of ``value``, leaving out the primitive ones.

    An attribute holding an exact ``str``, ``int``, ``bool`` or ``None`` is not described
    by its value: it is returned apart, so that objects differing only in such attributes
    share a fingerprint.

    Args:
        value: An object (usually a data-only executor).
        names: The attributes to describe, in order.

    Returns:
        ``(fingerprint, [(name, primitive value), ...])``, or None when an attribute is not
        data-only.
    """
    walk = _Walk(copying=False)
    parts = walk.parts
    primitive: list[tuple[str, Any]] = []
    try:
        for name in names:
            item = getattr(value, name)
            if type(item) in _PRIMITIVES:
                parts.append(_PRIMITIVE)
                primitive.append((name, item))
            else:
                walk.visit(item)
    except (_NotPlainError, RecursionError):
        return None
    return tuple(parts), primitive


def is_plain_class(cls: type) -> bool:
    """Whether instances of ``cls`` may be data-only (a dataclass keeping the defaults)."""
    known = _plain_classes.get(cls)
    if known is None:
        known = _plain_classes[cls] = _check_class(cls)
    return known


def _check_class(cls: type) -> bool:
    if not dataclasses.is_dataclass(cls) or cls in copyreg.dispatch_table:
        return False
    if any(getattr(cls, hook, None) is not None for hook in _HOOKS):
        return False
    if any(getattr(cls, hook, None) is not getattr(object, hook, None) for hook in _OBJECT_HOOKS):
        return False
    if any(getattr(base, "__slots__", ()) for base in cls.__mro__ if base is not object):
        return False
    return getattr(cls, "to_config", None) in _FIELD_CONFIGS


class _Walk:
    """One walk over a value: its fingerprint parts and, when ``copying``, its copy.

    A copying walk refuses a mutable object met twice (shared, or a cycle), since
    ``copy.deepcopy`` keeps those; a fingerprint does not depend on sharing, and a cycle ends
    it with a ``RecursionError``.
    """

    __slots__ = ("copying", "parts", "seen")

    def __init__(self, *, copying: bool) -> None:
        self.copying = copying
        self.parts: list[Any] = []
        self.seen: set[int] | None = set() if copying else None

    def visit(self, value: Any) -> Any:
        kind = type(value)
        parts = self.parts
        if kind in _ATOMS:
            parts += (kind, value)
            return value
        if kind is float:  # repr: -0.0 is not 0.0, and nan equals nan
            parts += (kind, repr(value))
            return value
        if kind is tuple:
            parts += (kind, len(value))
            items = [self.visit(item) for item in value]
            return tuple(items) if self.copying else value
        seen = self.seen
        if seen is not None:
            if id(value) in seen:
                raise _NotPlainError
            seen.add(id(value))
        if kind is list:
            parts += (kind, len(value))
            items = [self.visit(item) for item in value]
            return items if self.copying else value
        if kind is dict:
            return self._mapping(value)
        if _plain_classes.get(kind) or is_plain_class(kind):
            return self._instance(value)
        raise _NotPlainError

    def _mapping(self, value: dict[Any, Any]) -> Any:
        parts = self.parts
        parts += (dict, len(value))
        copied: dict[Any, Any] | None = dict(value) if self.copying else None
        for key, item in value.items():
            key_kind, item_kind = type(key), type(item)
            if key_kind not in _ATOMS:
                raise _NotPlainError
            if item_kind in _ATOMS:  # inline: most values are strings
                parts += (key_kind, key, item_kind, item)
                continue
            parts += (key_kind, key)
            item_copy = self.visit(item)
            if copied is not None:
                copied[key] = item_copy
        return value if copied is None else copied

    def _instance(self, value: Any) -> Any:
        kind = type(value)
        state = getattr(value, "__dict__", None)
        if type(state) is not dict:
            raise _NotPlainError
        parts = self.parts
        parts += (kind, len(state))
        copied: dict[str, Any] | None = dict(state) if self.copying else None
        for name, item in state.items():
            item_kind = type(item)
            if item_kind in _ATOMS:  # inline: most fields hold one
                parts += (name, item_kind, item)
                continue
            parts.append(name)
            item_copy = self.visit(item)
            if copied is not None:
                copied[name] = item_copy
        if copied is None:
            return value
        duplicate = _new_instance(kind)
        duplicate.__dict__.update(copied)
        return duplicate


def _new_instance(cls: Any) -> Any:
    """An instance made as ``copy.deepcopy`` makes it: ``cls.__new__(cls)``, no ``__init__``."""
    return cls.__new__(cls)
