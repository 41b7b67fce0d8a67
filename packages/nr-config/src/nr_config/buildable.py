"""`Buildable`, `Config` and `Partial`: mutable, validated descriptions of a call.

A `Config(target, *args, **kwargs)` records a target (a class or a function) and the arguments to
call it with. Arguments are checked against the target's signature and type hints when they are set;
dataclass instances and objects with a ``to_config()`` method are turned into configurations.
A parameter annotated `OptionalDefaultConfig[T]` (``Annotated[Optional[T], Config[T]]``) or
`OptionalDefaultPartial[T]` that is not given starts as an empty ``Config(T)`` / ``Partial(T)``.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import functools
import os
import typing
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, Any, Generic, Optional, TypeVar

from nr_config.errors import ArgumentError, ConfigError, SerializationError, UnknownArgumentError
from nr_config.node import Node
from nr_config.signatures import NO_DEFAULT, SignatureInfo, signature_info, target_name
from nr_config.validation import check_value

if TYPE_CHECKING:
    from nr_config.diffing import Change

__all__ = [
    "Buildable",
    "Config",
    "OptionalDefaultConfig",
    "OptionalDefaultPartial",
    "Partial",
    "dataclass_to_config",
    "to_config",
]

T = TypeVar("T")
_ATOMIC = (type(None), bool, int, float, str, bytes)
_SLOTS = frozenset({"_nr_target", "_nr_arguments", "_nr_signature"})


class Buildable(Node, Generic[T]):
    """Common base of `Config` and `Partial`: a target plus validated arguments.

    Args:
        fn_or_cls: The class or function to call when building (``{}`` or ``dict[K, V]`` mean
            `dict`, as in NeMo-Run).
        *args: Positional arguments, bound to the target's parameter names.
        **kwargs: Keyword arguments.

    Raises:
        UnknownArgumentError: A name the target does not accept.
        ConfigTypeError: A value that does not fit the parameter's annotation.
        ConfigError: The target is not callable, or positional arguments cannot be bound.
    """

    __slots__ = ("__weakref__", "_nr_arguments", "_nr_signature", "_nr_target")
    _nr_target: Callable[..., Any]
    _nr_arguments: dict[str, Any]
    _nr_signature: SignatureInfo

    def __init__(
        self,
        fn_or_cls: Callable[..., T] | type[T] | dict[Any, Any],
        /,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        target: Any = fn_or_cls
        if (isinstance(target, dict) and not target) or typing.get_origin(target) is dict:
            target = dict  # NeMo-Run's spellings of a dict target: ``{}`` and ``dict[K, V]``
        if isinstance(target, Buildable) or not callable(target):
            raise ConfigError(
                f"the target of a {type(self).__name__} must be a class or a "
                f"function, got {target!r}"
            )
        info = signature_info(target)
        object.__setattr__(self, "_nr_target", target)
        object.__setattr__(self, "_nr_signature", info)
        object.__setattr__(self, "_nr_arguments", {})
        if args:
            self._bind_positional(args, kwargs)
        for name, value in kwargs.items():
            self._set(name, value)
        for name, (inner, metadata) in info.annotated_optionals.items():
            if name not in self._nr_arguments:
                default = _default_node(inner, metadata)
                if default is not None:
                    self._set(name, default)

    def _bind_positional(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        info = self._nr_signature
        name = target_name(self._nr_target)
        if not info.known:
            raise ConfigError(
                f"{name}: positional arguments need an inspectable signature; pass them by keyword"
            )
        if len(args) > len(info.positional):
            raise ConfigError(
                f"{name}: takes {len(info.positional)} positional argument(s) "
                f"but {len(args)} were given"
            )
        for param, value in zip(info.positional, args, strict=False):
            if param in kwargs:
                raise ConfigError(f"{name}: argument {param!r} given by position and by keyword")
            self._set(param, value)

    # Arguments ---------------------------------------------------------------------------------

    @property
    def __fn_or_cls__(self) -> Callable[..., T]:
        """The target that building calls."""
        return self._nr_target

    @property
    def __arguments__(self) -> Mapping[str, Any]:
        """The arguments that are set, as a read-only mapping (edit through attributes)."""
        return MappingProxyType(self._nr_arguments)

    def _set(self, name: str, value: Any) -> None:
        info = self._nr_signature
        if not info.accepts(name):
            suggestions = difflib.get_close_matches(name, info.names, n=3, cutoff=0.6)
            raise UnknownArgumentError(name, name, suggestions, target_name(self._nr_target))
        value = convert_value(value)
        annotation = info.annotation(name)
        if annotation is not Any and type(value) is not annotation:  # exact type: nothing to check
            check_value(annotation, value, name, self._nr_target)
        self._nr_arguments[name] = value

    def __getattr__(self, name: str) -> Any:
        if (name.startswith("__") and name.endswith("__")) or name in _SLOTS:
            raise AttributeError(name)
        arguments = self._nr_arguments
        if name in arguments:
            return arguments[name]
        info = self._nr_signature
        factory = info.default_factories.get(name)
        if factory is not None:
            # A fresh value from the field's default_factory is kept, so that editing it in
            # place (``cfg.layers.append(...)``) changes the configuration, not a throwaway.
            arguments[name] = value = factory()
            return value
        default = info.defaults.get(name, NO_DEFAULT)
        if default is not NO_DEFAULT:
            return default
        owner = target_name(self._nr_target)
        if info.accepts(name):
            raise AttributeError(f"{owner}: argument {name!r} is not set and has no default")
        close = difflib.get_close_matches(name, info.names, n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
        raise AttributeError(f"{owner} has no argument {name!r}{hint}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("__") and name.endswith("__"):
            object.__setattr__(self, name, value)
        else:
            self._set(name, value)

    def __delattr__(self, name: str) -> None:
        try:
            del self._nr_arguments[name]
        except KeyError:
            raise AttributeError(f"argument {name!r} is not set") from None

    def __dir__(self) -> Iterator[str]:
        return iter(sorted({*super().__dir__(), *self._nr_signature.names, *self._nr_arguments}))

    # Value semantics ---------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Buildable) or type(self) is not type(other):
            return NotImplemented
        return bool(
            self._nr_target == other._nr_target and self._nr_arguments == other._nr_arguments
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        arguments = ", ".join(f"{k}={v!r}" for k, v in self._nr_arguments.items())
        return f"{type(self).__name__}[{target_name(self._nr_target)}]({arguments})"

    def __copy__(self) -> Buildable[T]:
        clone = type(self).__new__(type(self))
        object.__setattr__(clone, "_nr_target", self._nr_target)
        object.__setattr__(clone, "_nr_signature", self._nr_signature)
        object.__setattr__(clone, "_nr_arguments", dict(self._nr_arguments))
        return clone

    def __deepcopy__(self, memo: dict[int, Any]) -> Buildable[T]:
        clone = type(self).__new__(type(self))
        memo[id(self)] = clone
        object.__setattr__(clone, "_nr_target", self._nr_target)
        object.__setattr__(clone, "_nr_signature", self._nr_signature)
        arguments = {
            name: _copy_argument(self._nr_target, name, value, memo)
            for name, value in self._nr_arguments.items()
        }
        object.__setattr__(clone, "_nr_arguments", arguments)
        return clone

    def __reduce__(self) -> tuple[Any, ...]:
        return _restore, (type(self), self._nr_target, dict(self._nr_arguments))

    # Operations (implemented in their own modules) ---------------------------------------------

    def build(self) -> Any:
        """Build this configuration; see `nr_config.build`."""
        from nr_config.building import build  # noqa: PLC0415 - building imports this module

        return build(self)

    def clone(self) -> Buildable[T]:
        """Return a deep copy; configurations shared inside the graph stay shared in the copy."""
        return copy.deepcopy(self)

    def walk(self, *, inplace: bool = False, **fns: Callable[[Any], Any]) -> Buildable[T]:
        """Replace each named argument by ``fn(config_that_owns_it)``, in every configuration.

        As in NeMo-Run, the function receives the configuration holding the argument (not the
        old value; `nr_config.walk` passes the value). Unlike NeMo-Run, a copy is returned and
        this graph is left untouched unless ``inplace=True``; see `nr_config.traversal.walk_owners`.
        """
        from nr_config.traversal import walk_owners  # noqa: PLC0415 - traversal imports this module

        return walk_owners(self, inplace=inplace, **fns)

    def broadcast(self, *, inplace: bool = False, **values: Any) -> Buildable[T]:
        """Set each given argument in every configuration of the graph that accepts it.

        A copy is returned and this graph is left untouched unless ``inplace=True`` (NeMo-Run
        always edits in place); see `nr_config.broadcast`.
        """
        from nr_config.traversal import broadcast  # noqa: PLC0415 - traversal imports this module

        return broadcast(self, inplace=inplace, **values)

    def diff(self, old: Any) -> list[Change]:
        """Return the changes from `old` to this configuration; see `nr_config.diff`."""
        from nr_config.diffing import diff  # noqa: PLC0415 - diffing imports this module

        return diff(old, self)

    def visualize(self, **options: Any) -> Any:
        """Return a ``graphviz.Digraph`` of this configuration (needs the ``graphviz`` extra).

        Options (``max_depth``, ``max_str_length``, ``curved_edges``, ``rankdir``) are those of
        `nr_config.visualize`.
        """
        from nr_config.render import visualize  # noqa: PLC0415 - optional extra

        return visualize(self, **options)

    def save_config_img(self, path: str | os.PathLike[str] = ".", **options: Any) -> Path:
        """Write this configuration's graph as a PNG (``<dir>/config.png`` for a directory).

        See `nr_config.save_config_img`; needs the ``graphviz`` extra and Graphviz's ``dot``.
        """
        from nr_config.render import save_config_img  # noqa: PLC0415 - optional extra

        return save_config_img(self, path, **options)

    def _repr_svg_(self) -> str | None:
        """Jupyter's SVG view (the graph); None when graphviz or ``dot`` is missing."""
        from nr_config.render import to_svg  # noqa: PLC0415 - optional extra

        return to_svg(self)

    def _repr_html_(self) -> str:
        """Jupyter's HTML view: the graph when it can be drawn, else nested lists."""
        from nr_config.render import to_html  # noqa: PLC0415 - render imports this module

        return to_html(self, graph=True)

    def __rich__(self) -> Any:
        from nr_config.render import tree  # noqa: PLC0415 - optional extra

        return tree(self)


def _restore(cls: type[Buildable[Any]], target: Any, arguments: dict[str, Any]) -> Buildable[Any]:
    return cls(target, **arguments)


class Config(Buildable[T]):
    """A configuration that builds to ``fn_or_cls(**arguments)``.

    Example:
        ```py
        cfg = Config(ModelConfig, hidden_size=1024)
        model = cfg.build()  # ModelConfig(hidden_size=1024, ...)
        ```
    """

    __slots__ = ()

    def build(self) -> T:
        """Call the target with the built arguments and return the result."""
        result: T = super().build()
        return result

    def result_type(self) -> type | None:
        """Return the class this configuration builds (or the target's return annotation)."""
        target = self._nr_target
        if isinstance(target, type):
            return target
        returned = getattr(target, "__annotations__", {}).get("return")
        return returned if isinstance(returned, type) else None

    def clone(self) -> Config[T]:
        """Return a deep copy; configurations shared inside the graph stay shared in the copy."""
        return copy.deepcopy(self)


class Partial(Buildable[T]):
    """A configuration that builds to ``functools.partial(fn_or_cls, **arguments)``.

    Missing required arguments are allowed: they are supplied when the partial is called.
    """

    __slots__ = ()

    def build(self) -> functools.partial[T]:
        """Return a `functools.partial` of the target with the built arguments."""
        result: functools.partial[T] = super().build()
        return result

    def result_type(self) -> type | None:
        """Return `functools.partial`, the type that building produces."""
        return functools.partial

    def clone(self) -> Partial[T]:
        """Return a deep copy; configurations shared inside the graph stay shared in the copy."""
        return copy.deepcopy(self)


OptionalDefaultConfig = Annotated[Optional[T], Config[T]]  # noqa: UP045 - NeMo-Run's spelling
"""``OptionalDefaultConfig[T]``: an optional parameter that defaults to an empty ``Config(T)``.

When the argument is not given, the configuration starts with ``Config(T)`` (building gives
``T()``); passing None explicitly keeps None.
"""

OptionalDefaultPartial = Annotated[Optional[T], Partial[T]]  # noqa: UP045 - NeMo-Run's spelling
"""``OptionalDefaultPartial[T]``: like `OptionalDefaultConfig`, with an empty ``Partial(T)``."""


def _default_node(inner: Any, metadata: tuple[Any, ...]) -> Buildable[Any] | None:
    """The empty node an ``Annotated[Optional[X], Config[...]]`` parameter starts with, or None."""
    for marker in metadata:
        kind = typing.get_origin(marker) or marker
        if not (isinstance(kind, type) and issubclass(kind, Buildable)):
            continue
        given = typing.get_args(marker)
        target = given[0] if given and not isinstance(given[0], TypeVar) else inner
        if callable(target) and not isinstance(target, TypeVar):
            node: Buildable[Any] = kind(target)
            return node
    return None


def dataclass_to_config(instance: Any) -> Config[Any]:
    """Turn a dataclass instance into ``Config(type(instance), **init_fields)``, recursively.

    Fields with ``init=False`` are left out (the class computes them). Building the result gives an
    object equal to `instance` as long as ``__post_init__`` is idempotent.

    Args:
        instance: A dataclass instance (stdlib or pydantic dataclass).

    Returns:
        The configuration describing `instance`.

    Raises:
        ConfigError: `instance` is not a dataclass instance.
    """
    if not dataclasses.is_dataclass(instance) or isinstance(instance, type):
        raise ConfigError(f"expected a dataclass instance, got {instance!r}")
    config: Config[Any] = Config.__new__(Config)
    target = type(instance)
    object.__setattr__(config, "_nr_target", target)
    object.__setattr__(config, "_nr_signature", signature_info(target))
    # The instance validated its fields when it was made: they are taken as they are (checking
    # each against its annotation again cost most of an executor record's time).
    arguments = {
        field.name: convert_value(getattr(instance, field.name))
        for field in dataclasses.fields(instance)
        if field.init
    }
    object.__setattr__(config, "_nr_arguments", arguments)
    return config


def to_config(value: Any) -> Any:
    """Turn a value into configurations where it describes a call.

    Dataclass instances become `Config` objects, objects with a ``to_config()`` method are
    converted by that method, lists, tuples and dicts are converted item by item (a new
    container is returned only if an item changed); everything else is returned unchanged.

    Args:
        value: Any value.

    Returns:
        The converted value.
    """
    return convert_value(value)


def convert_value(value: Any) -> Any:  # noqa: PLR0911 - one branch per kind
    """Convert dataclass instances and ``to_config()`` objects inside `value` (see `to_config`)."""
    kind = type(value)
    if kind in _ATOMIC or isinstance(value, (Node, type)):
        return value
    if kind is list or kind is tuple:
        items = [convert_value(item) for item in value]
        if all(new is old for new, old in zip(items, value, strict=True)):
            return value
        return items if kind is list else tuple(items)
    if kind is dict:
        converted = {key: convert_value(item) for key, item in value.items()}
        if all(converted[key] is item for key, item in value.items()):
            return value
        return converted
    method = getattr(value, "to_config", None)
    if callable(method):
        return method()
    if dataclasses.is_dataclass(value):
        return dataclass_to_config(value)
    return value


def _copy_argument(target: Any, name: str, value: Any, memo: dict[int, Any]) -> Any:
    """Deep-copy one argument; a value that cannot be copied is a SerializationError at ``name``.

    Locks, open files, sockets and generators belong to one process: a configuration is
    copied, saved and rebuilt in the job's process, so it cannot hold them.
    """
    try:
        return copy.deepcopy(value, memo)
    except ArgumentError as error:
        raise error.prefixed(name) from error.__cause__
    except TypeError as error:
        opened = getattr(value, "name", None) if hasattr(value, "fileno") else None
        what = (
            f"an open file ({opened!r})"
            if isinstance(opened, str)
            else (f"a {type(value).__module__}.{type(value).__qualname__} object")
        )
        raise SerializationError(
            name,
            f"holds {what}, which belongs to this process and cannot be copied into the "
            f"configuration ({error}); pass what the task needs to make it instead, such as a "
            "path to open or a name",
            target_name(target),
        ) from error
