"""Type checks of argument values against annotations.

Plain classes are checked with `isinstance` (an `int` is accepted for a `float`; a `bool` is not an
`int`); unions, optionals and containers (lists, tuples, dicts, sets) are checked item by
item; any
other annotation (`Literal`, `list[int]`, constrained `Annotated` types, TypedDicts, ...) goes to a
strict pydantic validator, built once per annotation and cached. pydantic is imported only when the
first such annotation is met. Values are never replaced by what a validator returns: they are
accepted as given or refused.
"""

from __future__ import annotations

import collections.abc
import inspect
import types
import typing
from collections.abc import Callable
from typing import Any

from nr_config.errors import ConfigTypeError, join_path
from nr_config.node import Node
from nr_config.signatures import target_name

__all__ = ["accepts_none", "check_value", "matches_type", "type_name"]

_UNION_TYPES: tuple[Any, ...] = (typing.Union, types.UnionType)
_SEQUENCE_ORIGINS: tuple[Any, ...] = (
    list,
    collections.abc.Sequence,
    collections.abc.MutableSequence,
    collections.abc.Iterable,
    collections.abc.Collection,
)
_MAPPING_ORIGINS: tuple[Any, ...] = (
    dict,
    collections.abc.Mapping,
    collections.abc.MutableMapping,
)
_SET_ORIGINS: tuple[Any, ...] = (set, frozenset, collections.abc.Set, collections.abc.MutableSet)
_STRUCTURAL: tuple[Any, ...] = (tuple, *_SEQUENCE_ORIGINS, *_MAPPING_ORIGINS, *_SET_ORIGINS)
_Problem = tuple[str, Any, Any]


def type_name(annotation: Any) -> str:
    """Return a readable name of an annotation (``int``, ``list[int]``, ``int | None``)."""
    if annotation is type(None) or annotation is None:
        return "None"
    if isinstance(annotation, type) and typing.get_origin(annotation) is None:
        return annotation.__qualname__
    return repr(annotation).replace("typing.", "")


def accepts_none(annotation: Any) -> bool:
    """Return True when None fits `annotation`: ``Any``, no annotation, ``Optional``, ``None``.

    The command line reads ``a=null`` / ``a=none`` as None for such parameters.

    Args:
        annotation: The parameter's annotation (``typing.Any`` or `NO_DEFAULT` when it has none).
    """
    if annotation is Any or annotation is object or annotation is None:
        return True
    if isinstance(annotation, (typing.TypeVar, typing.ForwardRef, str)):
        return True
    if annotation is type(None) or annotation is inspect.Parameter.empty:
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return accepts_none(typing.get_args(annotation)[0])
    if origin in _UNION_TYPES:
        return any(accepts_none(member) for member in typing.get_args(annotation))
    return False


def matches_type(annotation: Any, cls: type) -> bool:
    """Return True when a value of class `cls` is what `annotation` asks for.

    Classes match by subclassing; a ``ForwardRef("Name")`` or string annotation (a class that
    could not be resolved, e.g. imported only under ``TYPE_CHECKING``) matches when `cls` or one
    of its bases is called ``Name`` (or ``module.Name``). Unions, ``Optional``, ``Annotated`` and
    ``Config[T]``/``Partial[T]`` match when one of their classes does. The command line uses it
    to find the factories that fit a parameter.

    Args:
        annotation: The parameter's annotation.
        cls: The class a factory builds.
    """
    if isinstance(annotation, (typing.ForwardRef, str)):
        name = (
            annotation.__forward_arg__ if isinstance(annotation, typing.ForwardRef) else annotation
        )
        names = {n for k in cls.__mro__ for n in (k.__name__, k.__qualname__, _dotted(k))}
        return name.strip("'\"") in names
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return matches_type(typing.get_args(annotation)[0], cls)
    if origin in _UNION_TYPES or (isinstance(origin, type) and issubclass(origin, Node)):
        return any(matches_type(member, cls) for member in typing.get_args(annotation))
    if isinstance(annotation, type) and origin is None and annotation is not type(None):
        try:
            return issubclass(cls, annotation)
        except TypeError:
            return False
    return False


def _dotted(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def check_value(annotation: Any, value: Any, path: str, target: object = "") -> None:
    """Check that `value` fits `annotation`.

    Args:
        annotation: The declared type (``typing.Any`` accepts everything).
        value: The value to check; configuration nodes count as what they build.
        path: Path of the argument, used in the error.
        target: Name of the target owning the argument, used in the error.

    Raises:
        ConfigTypeError: The value does not fit; the error names the innermost failing path.
    """
    problem = _problem(annotation, value, path)
    if problem is not None:
        where, expected, given = problem
        owner = target if isinstance(target, str) else target_name(target)
        raise ConfigTypeError(where, type_name(expected), given, owner)


def _problem(annotation: Any, value: Any, path: str) -> _Problem | None:  # noqa: PLR0911
    if annotation is Any or annotation is object or isinstance(annotation, (typing.TypeVar, str)):
        return None
    if isinstance(annotation, typing.ForwardRef):
        return None
    if annotation is None or annotation is type(None):
        return None if value is None else (path, annotation, value)
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated and isinstance(value, Node):
        inner, *metadata = typing.get_args(annotation)
        if any(_marked_node_fits(marker, inner, value) for marker in metadata):
            return None
        return _problem(inner, value, path)
    if origin in _UNION_TYPES:
        problems = [_problem(member, value, path) for member in typing.get_args(annotation)]
        if None in problems:
            return None
        if value is not None and type(None) in typing.get_args(annotation) and len(problems) == 2:
            return next(p for p in problems if p is not None and p[1] is not type(None))
        return path, annotation, value
    if isinstance(value, Node):
        return None if _node_fits(annotation, value) else (path, annotation, value)
    if origin is None and isinstance(annotation, type):
        return None if _instance_fits(annotation, value) else (path, annotation, value)
    if origin in _STRUCTURAL:
        return _container_problem(annotation, origin, value, path)
    return None if _pydantic_check(annotation)(value) else (path, annotation, value)


def _instance_fits(cls: type, value: Any) -> bool:
    if cls is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if cls is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if cls is complex:
        return isinstance(value, (int, float, complex)) and not isinstance(value, bool)
    return isinstance(value, cls)


def _node_fits(annotation: Any, node: Node) -> bool:
    built = node.result_type()
    if built is None:
        return True
    expected = typing.get_origin(annotation) or annotation
    if expected is typing.Annotated:
        return _node_fits(typing.get_args(annotation)[0], node)
    if not isinstance(expected, type):
        return True
    if expected is float and issubclass(built, int):
        return True
    try:
        return issubclass(built, expected)
    except TypeError:  # non-runtime protocols and other special forms cannot be checked
        return True


def _marked_node_fits(marker: Any, inner: Any, node: Node) -> bool:
    """True when ``Annotated[inner, marker]`` names the kind and target of `node` (``Partial[T]``).

    This is how ``OptionalDefaultPartial[T]`` accepts a ``Partial(T)``, which builds to a
    `functools.partial`, not to a ``T``.
    """
    kind = typing.get_origin(marker) or marker
    if not (isinstance(kind, type) and issubclass(kind, Node) and isinstance(node, kind)):
        return False
    given = typing.get_args(marker)
    expected = given[0] if given and not isinstance(given[0], typing.TypeVar) else inner
    members = typing.get_args(expected) if typing.get_origin(expected) in _UNION_TYPES else ()
    classes = [m for m in members or (expected,) if isinstance(m, type) and m is not type(None)]
    target = getattr(node, "__fn_or_cls__", None)
    if not classes or not isinstance(target, type):
        return True
    return any(issubclass(target, cls) for cls in classes)


def _container_problem(  # noqa: PLR0911, PLR0912 - one branch per container kind
    annotation: Any, origin: Any, value: Any, path: str
) -> _Problem | None:
    args = typing.get_args(annotation)
    if origin is tuple and isinstance(value, tuple):
        if len(args) == 2 and args[1] is Ellipsis:
            return _items_problem(args[0], list(enumerate(value)), path)
        if args and len(args) != len(value):
            return path, annotation, value
        item_types = args or (Any,) * len(value)
        for index, (item, item_type) in enumerate(zip(value, item_types, strict=True)):
            problem = _problem(item_type, item, f"{path}[{index}]")
            if problem is not None:
                return problem
        return None
    if origin in _SEQUENCE_ORIGINS and isinstance(value, (list, tuple)):
        if origin is list and not isinstance(value, list):
            return path, annotation, value
        return _items_problem(args[0] if args else Any, list(enumerate(value)), path)
    if origin in _SEQUENCE_ORIGINS and isinstance(value, (str, bytes)):
        return path, annotation, value
    if origin in _MAPPING_ORIGINS and isinstance(value, dict):
        key_type, item_type = args if len(args) == 2 else (Any, Any)
        for key in value:
            if _problem(key_type, key, path) is not None:
                return f"{path}[{key!r}]", key_type, key
        return _items_problem(item_type, list(value.items()), path)
    if origin in _SET_ORIGINS and isinstance(value, (set, frozenset)):
        return _items_problem(args[0] if args else Any, [("?", item) for item in value], path)
    if isinstance(origin, type) and not isinstance(value, origin):
        return path, annotation, value
    return None


def _items_problem(item_type: Any, items: list[tuple[Any, Any]], path: str) -> _Problem | None:
    for key, item in items:
        problem = _problem(item_type, item, join_path(path, f"[{key!r}]"))
        if problem is not None:
            return problem
    return None


_VALIDATORS: dict[Any, Callable[[Any], bool]] = {}


def _accept_all(_value: Any) -> bool:
    return True


def _make_validator(annotation: Any) -> Callable[[Any], bool]:
    import pydantic  # noqa: PLC0415 - pydantic is costly to import; only annotations that need it pay

    try:
        adapter: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(
            annotation, config=pydantic.ConfigDict(strict=True, arbitrary_types_allowed=True)
        )
    except pydantic.PydanticUserError:
        try:
            adapter = pydantic.TypeAdapter(annotation)
        except Exception:  # noqa: BLE001 - an annotation pydantic cannot handle is not checked
            return _accept_all
    except Exception:  # noqa: BLE001 - an annotation pydantic cannot handle is not checked
        return _accept_all

    def validate(value: Any) -> bool:
        try:
            adapter.validate_python(value, strict=True)
        except pydantic.ValidationError:
            return False
        return True

    return validate


def _pydantic_check(annotation: Any) -> Callable[[Any], bool]:
    try:
        return _VALIDATORS[annotation]
    except KeyError:
        validator = _make_validator(annotation)
        _VALIDATORS[annotation] = validator
        return validator
    except TypeError:  # unhashable annotation (e.g. Annotated with unhashable metadata)
        return _make_validator(annotation)
