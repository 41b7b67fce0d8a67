"""Type-directed parsing: a command-line string (or file data) read as a parameter's type.

The annotation decides how text is read, and nothing is ever evaluated: numbers, booleans, paths,
enums and literals have their own readers, containers are split by `nr_cli.grammar` and each item is
read as the item type, and a parameter whose type is a class is given a factory (``name`` or
``name(key=value)``), an import path or an ``@file``. For a union, members that can read the text
exactly are tried first and ``str`` last, and text that looks like a container is never silently
taken as a string. Values without an annotation are Python literals, or strings.
"""

from __future__ import annotations

import ast
import collections.abc
import enum
import importlib
import pathlib
import sys
import types
import typing
from collections.abc import Callable, Sequence
from typing import Any

from nr_config import Buildable, Config, ConfigError, Partial, to_config
from nr_config.signatures import NO_DEFAULT, signature_info
from nr_config.validation import accepts_none, type_name

from nr_cli.assign import assign, locate, strip_optional
from nr_cli.errors import (
    CLIError,
    FactoryNotFoundError,
    GrammarError,
    UnknownArgumentError,
    ValueParseError,
)
from nr_cli.factories import (
    FACTORY_ATTRIBUTE,
    annotation_types,
    called_while_parsing,
    factory_names,
    lookup_factory,
)
from nr_cli.files import is_file_reference, read_data
from nr_cli.grammar import OPERATORS, Call, enclosed, parse_call, split_top_level, strip_quotes
from nr_cli.ops import apply_operator
from nr_cli.registry import FactoryEntry, namespace_of

__all__ = ["apply_mapping", "call_factory", "coerce_data", "config_from_mapping", "parse_value"]

_UNIONS: tuple[Any, ...] = (typing.Union, types.UnionType)
_NONE_WORDS = frozenset({"none", "null"})
_TRUE_WORDS = frozenset({"true", "yes", "on", "1"})
_FALSE_WORDS = frozenset({"false", "no", "off", "0"})
_SEQUENCES: tuple[Any, ...] = (
    list,
    collections.abc.Sequence,
    collections.abc.MutableSequence,
    collections.abc.Iterable,
    collections.abc.Collection,
)
_MAPPINGS: tuple[Any, ...] = (dict, collections.abc.Mapping, collections.abc.MutableMapping)
_SETS: tuple[Any, ...] = (set, frozenset, collections.abc.Set, collections.abc.MutableSet)
_NO_LITERAL = object()
_CLOSE_NAME_CUTOFF = 0.5
_Kind = type[Buildable[Any]]


def _unwrap(annotation: Any) -> Any:
    if annotation is NO_DEFAULT or annotation is object:
        return Any
    if isinstance(annotation, (typing.TypeVar, typing.ForwardRef, str)):
        return Any
    if typing.get_origin(annotation) is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if annotation is None:
        return type(None)
    return annotation


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _NO_LITERAL


def _buildable_kind(annotation: Any) -> tuple[_Kind, Any] | None:
    """For ``Config[T]``/``Partial[T]`` (or bare ``Config``) return (kind, T)."""
    origin = typing.get_origin(annotation)
    if isinstance(origin, type) and issubclass(origin, Buildable):
        args = typing.get_args(annotation)
        return origin, (args[0] if args else Any)
    if isinstance(annotation, type) and issubclass(annotation, Buildable):
        return annotation, Any
    return None


def _is_object_type(annotation: Any) -> bool:
    """True for classes configured through factories (not builtins, enums, paths, containers)."""
    if annotation is Any:
        return False
    if _buildable_kind(annotation) is not None:
        return True
    if not isinstance(annotation, type) or typing.get_origin(annotation) is not None:
        return False
    if annotation.__module__ == "builtins" or issubclass(annotation, (enum.Enum, pathlib.PurePath)):
        return False
    return not issubclass(annotation, (str, bytes, int, float, list, tuple, dict, set, frozenset))


def _container_origin(annotation: Any) -> Any:
    origin = typing.get_origin(annotation) or annotation
    if origin in _SEQUENCES:
        return list
    if origin is tuple:
        return tuple
    if origin in _SETS:
        return frozenset if origin is frozenset else set
    if origin in _MAPPINGS:
        return dict
    return None


def parse_value(  # noqa: PLR0911, PLR0912 - one branch per kind of annotation
    text: str, annotation: Any, *, argument: str, scopes: Sequence[str] = ()
) -> Any:
    """Read command-line text as a value of `annotation`.

    Args:
        text: The text right of the operator (``1024``, ``[1, 2]``, ``f(layers=2)``, ``@m.yaml``).
        annotation: The parameter's type (``typing.Any`` when it has none).
        argument: The command-line argument, named in errors.
        scopes: Registry namespaces searched first for factory names (the parameter's own).

    Returns:
        The value; for class-typed parameters a `Config`/`Partial`.

    Raises:
        CLIError: The text cannot be read as the type; the error names `argument`.
    """
    if text.strip().lower() in _NONE_WORDS and accepts_none(annotation):
        return None
    if _is_forward_ref(annotation):
        return _parse_named_class(text, annotation, argument, scopes)
    annotation = _unwrap(annotation)
    if annotation is Any:
        return _parse_any(text, argument)
    if is_file_reference(text.strip()) and annotation not in (str, bytes):
        data = read_data(text.strip(), argument=argument)
        return coerce_data(data, annotation, argument=argument, scopes=scopes)
    origin = typing.get_origin(annotation)
    if origin in _UNIONS:
        return _parse_union(text, annotation, argument, scopes)
    if origin is typing.Literal:
        return _parse_literal(text, annotation, argument)
    if annotation is type(None):
        if text.strip().lower() in _NONE_WORDS:
            return None
        raise ValueParseError(f"expected none, got {text!r}", argument=argument)
    buildable = _buildable_kind(annotation)
    if buildable is not None:
        return _parse_object(text, buildable[1], buildable[0], argument, scopes)
    if _container_origin(annotation) is not None:
        return _parse_container(text, annotation, argument, scopes)
    reader = _SCALARS.get(annotation)
    if reader is not None:
        return reader(text, argument)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return _parse_enum(text, annotation, argument)
    if isinstance(annotation, type) and issubclass(annotation, pathlib.PurePath):
        return _parse_path(text, annotation, argument)
    if _is_object_type(annotation):
        return _parse_object(text, annotation, Config, argument, scopes)
    raise ValueParseError(
        f"values of type {type_name(annotation)} cannot be given on the command line",
        argument=argument,
    )


def _is_forward_ref(annotation: Any) -> bool:
    if typing.get_origin(annotation) is typing.Annotated:
        return _is_forward_ref(typing.get_args(annotation)[0])
    return isinstance(annotation, typing.ForwardRef)


def _parse_named_class(text: str, annotation: Any, argument: str, scopes: Sequence[str]) -> Any:
    """Read text for a class known only by name (``model: "Model"`` under ``TYPE_CHECKING``).

    A factory building a class of that name (or an import path, or a function of the launching
    script) makes a configuration; other text is read as for an unannotated parameter. A name
    close to a registered factory's, or a call with parentheses, that matches nothing is an error.
    An ``@file`` is read as data, whose ``_factory_`` (if any) is looked up the same way.
    """
    if is_file_reference(text.strip()):
        data = read_data(text.strip(), argument=argument)
        return coerce_data(data, annotation, argument=argument, scopes=scopes)
    try:
        call = parse_call(text.strip())
    except GrammarError:
        call = None
    if call is None:
        return _parse_any(text, argument)
    if not call.has_parens and _find_target(call, annotation, scopes) is None:
        import difflib  # noqa: PLC0415 - only for this check

        names = factory_names(annotation, scopes)
        if not difflib.get_close_matches(call.name, names, n=1, cutoff=_CLOSE_NAME_CUTOFF):
            return _parse_any(text, argument)
    return call_factory(call, annotation, argument=argument, scopes=scopes)


def _parse_any(text: str, argument: str) -> Any:
    stripped = text.strip()
    if is_file_reference(stripped):
        return read_data(stripped, argument=argument)
    value = _literal(stripped)
    return text if value is _NO_LITERAL else value


def _parse_bool(text: str, argument: str) -> bool:
    word = strip_quotes(text.strip()).lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise ValueParseError(
        f"expected a boolean, got {text!r}",
        argument=argument,
        hint="use true/false, yes/no, on/off",
    )


def _parse_int(text: str, argument: str) -> int:
    word = text.strip()
    try:
        return int(word, 0) if word[1:2].isalpha() else int(word)
    except ValueError:
        pass
    raise ValueParseError(f"expected an integer, got {text!r}", argument=argument)


def _parse_float(text: str, argument: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        raise ValueParseError(f"expected a number, got {text!r}", argument=argument) from None


def _parse_complex(text: str, argument: str) -> complex:
    try:
        return complex(text.strip().replace(" ", ""))
    except ValueError:
        raise ValueParseError(
            f"expected a complex number, got {text!r}", argument=argument
        ) from None


def _parse_str(text: str, _argument: str) -> str:
    return strip_quotes(text)


def _parse_bytes(text: str, _argument: str) -> bytes:
    return strip_quotes(text).encode()


_SCALARS: dict[Any, Callable[[str, str], Any]] = {
    bool: _parse_bool,
    int: _parse_int,
    float: _parse_float,
    complex: _parse_complex,
    str: _parse_str,
    bytes: _parse_bytes,
}


def _parse_enum(text: str, cls: type[enum.Enum], argument: str) -> enum.Enum:
    word = strip_quotes(text.strip())
    members = list(cls)
    for matches in (
        lambda m: m.name == word,
        lambda m: str(m.value) == word,
        lambda m: m.name.lower() == word.lower(),
    ):
        found = [m for m in members if matches(m)]
        if found:
            return found[0]
    choices = ", ".join(m.name for m in members)
    raise ValueParseError(
        f"expected one of {choices} ({cls.__name__}), got {text!r}", argument=argument
    )


def _parse_path(text: str, cls: type[pathlib.PurePath], argument: str) -> pathlib.PurePath:
    word = strip_quotes(text.strip())
    if not word:
        raise ValueParseError("expected a path, got an empty string", argument=argument)
    return cls(word)


def _parse_literal(text: str, annotation: Any, argument: str) -> Any:
    word = text.strip()
    for choice in typing.get_args(annotation):
        if _literal_matches(word, choice):
            return choice
    choices = ", ".join(repr(c) for c in typing.get_args(annotation))
    raise ValueParseError(f"expected one of {choices}, got {text!r}", argument=argument)


def _literal_matches(word: str, choice: Any) -> bool:
    if choice is None:
        return word.lower() in _NONE_WORDS
    if isinstance(choice, enum.Enum):
        return strip_quotes(word) == choice.name
    if isinstance(choice, bool):
        lowered = word.lower()
        return lowered in (_TRUE_WORDS if choice else _FALSE_WORDS)
    if isinstance(choice, str):
        return strip_quotes(word) == choice
    value = _literal(word)
    return type(value) is type(choice) and value == choice


def _looks_structured(text: str) -> bool:
    stripped = text.strip()
    return stripped[:1] in ("[", "(", "{") or is_file_reference(stripped)


def _fits_exactly(value: Any, member: Any) -> bool:
    container = _container_origin(member)
    if container is not None:
        return isinstance(value, container)
    if member is float:
        return type(value) is float
    return isinstance(member, type) and type(value) is member


def _parse_union(text: str, annotation: Any, argument: str, scopes: Sequence[str]) -> Any:
    members = [_unwrap(m) for m in typing.get_args(annotation)]
    if type(None) in members and text.strip().lower() in _NONE_WORDS:
        return None
    others = [m for m in members if m is not type(None)]
    if len(others) == 1:
        return parse_value(text, others[0], argument=argument, scopes=scopes)
    value = _literal(text)
    exact = [m for m in others if m is not str and _fits_exactly(value, m)]
    ordered = exact + [m for m in others if m is not str and m not in exact]
    if str in others:
        ordered.append(str)
    errors: list[CLIError] = []
    for member in ordered:
        if member is str and errors and _looks_structured(text):
            break
        try:
            return parse_value(text, member, argument=argument, scopes=scopes)
        except CLIError as error:
            errors.append(error)
    reasons = "; ".join(
        f"as {type_name(m)}: {e.message}" for m, e in zip(ordered, errors, strict=False)
    )
    raise ValueParseError(
        f"{text!r} is not a valid {type_name(annotation)} ({reasons})",
        argument=argument,
        hint="quote the value to pass it as a string" if str in others else "",
    )


def _items_annotation(annotation: Any, container: Any) -> tuple[Any, Any]:
    args = typing.get_args(annotation)
    if container is dict:
        return (args[0], args[1]) if len(args) == 2 else (Any, Any)
    return (args[0] if args else Any), None


def _parse_container(text: str, annotation: Any, argument: str, scopes: Sequence[str]) -> Any:
    container = _container_origin(annotation)
    stripped = text.strip()
    if container is dict:
        return _parse_dict(stripped, annotation, argument, scopes)
    if container is tuple:
        return _parse_tuple(stripped, annotation, argument, scopes)
    inner = None
    for opening in ("[", "(", "{") if container is not list else ("[", "("):
        inner = enclosed(stripped, opening)
        if inner is not None:
            break
    item_type, _ = _items_annotation(annotation, container)
    if inner is None:
        if stripped in ("set()", "frozenset()") and container in (set, frozenset):
            return container()
        if container is list and _is_object_type(_unwrap(item_type)):
            return [parse_value(stripped, item_type, argument=f"{argument}[0]", scopes=scopes)]
        raise ValueParseError(
            f"expected a {type_name(annotation)} such as [1, 2], got {text!r}", argument=argument
        )
    items = [
        parse_value(item, item_type, argument=f"{argument}[{index}]", scopes=scopes)
        for index, item in enumerate(split_top_level(inner))
    ]
    if container is list:
        return items
    try:
        return container(items)
    except TypeError:
        raise ValueParseError(
            f"set items must be hashable, got {text!r}", argument=argument
        ) from None


def _parse_tuple(stripped: str, annotation: Any, argument: str, scopes: Sequence[str]) -> Any:
    inner = enclosed(stripped, "(")
    if inner is None:
        inner = enclosed(stripped, "[")
    if inner is None:
        raise ValueParseError(
            f"expected a tuple such as (1, 2), got {stripped!r}", argument=argument
        )
    texts = split_top_level(inner)
    args = typing.get_args(annotation)
    if len(args) == 2 and args[1] is Ellipsis:
        kinds: list[Any] = [args[0]] * len(texts)
    elif args == ((),):
        kinds = []
    elif args:
        kinds = list(args)
    else:
        kinds = [Any] * len(texts)
    if len(kinds) != len(texts):
        raise ValueParseError(
            f"expected {len(kinds)} items for {type_name(annotation)}, got {len(texts)}",
            argument=argument,
        )
    return tuple(
        parse_value(item, kind, argument=f"{argument}[{index}]", scopes=scopes)
        for index, (item, kind) in enumerate(zip(texts, kinds, strict=True))
    )


def _parse_dict(stripped: str, annotation: Any, argument: str, scopes: Sequence[str]) -> Any:
    key_type, value_type = _items_annotation(annotation, dict)
    inner = enclosed(stripped, "{")
    if inner is None:
        call = parse_call(stripped)
        if call is not None and call.name == "dict" and call.has_parens and not call.args:
            return {
                key: parse_value(text, value_type, argument=f"{argument}[{key!r}]", scopes=scopes)
                for key, text in call.kwargs
            }
        raise ValueParseError(
            f"expected a mapping such as {{'a': 1}}, got {stripped!r}", argument=argument
        )
    result: dict[Any, Any] = {}
    for item in split_top_level(inner):
        parts = split_top_level(item, ":")
        if len(parts) != 2:
            raise ValueParseError(f"expected 'key: value', got {item!r}", argument=argument)
        key = parse_value(parts[0], key_type, argument=argument, scopes=scopes)
        try:
            result[key] = parse_value(
                parts[1], value_type, argument=f"{argument}[{key!r}]", scopes=scopes
            )
        except TypeError:
            raise ValueParseError(f"unhashable key {parts[0]!r}", argument=argument) from None
    return result


def _parse_object(text: str, target: Any, kind: _Kind, argument: str, scopes: Sequence[str]) -> Any:
    stripped = text.strip()
    try:
        call = parse_call(stripped)
    except GrammarError as error:
        raise GrammarError(error.message, argument=argument) from None
    if call is None:
        names = factory_names(target, scopes)
        raise ValueParseError(
            f"expected a factory for {type_name(target)} (name or name(key=value, ...)), "
            f"got {text!r}",
            argument=argument,
            hint=f"registered: {', '.join(names)}" if names else "",
        )
    return call_factory(call, target, argument=argument, scopes=scopes, kind=kind)


def _import(name: str) -> Any:
    module_name, sep, attribute = name.partition(":")
    if not sep:
        module_name, _, attribute = name.rpartition(".")
    if not module_name or not attribute:
        return None
    try:
        value: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            value = getattr(value, part)
    except (ImportError, AttributeError, ValueError):
        return None
    return value


def _from_main(name: str) -> Any:
    """A callable named `name` in the launching script (``__main__``), or None."""
    script = sys.modules.get("__main__")
    value = getattr(script, name, None) if name.isidentifier() else None
    return value if callable(value) else None


def _find_target(call: Call, annotation: Any, scopes: Sequence[str]) -> FactoryEntry | Any:
    entry = lookup_factory(call.name, annotation, scopes)
    if entry is not None:
        return entry
    found = _import(call.name) if ("." in call.name or ":" in call.name) else None
    if found is None:
        for cls in annotation_types(annotation):
            if call.name in (cls.__name__, cls.__qualname__):
                found = cls
    if found is None:
        found = _from_main(call.name)
    if found is None:
        return None
    marked = getattr(found, FACTORY_ATTRIBUTE, None)
    return marked if isinstance(marked, FactoryEntry) else found


def call_factory(
    call: Call,
    annotation: Any,
    *,
    argument: str,
    scopes: Sequence[str] = (),
    kind: _Kind = Config,
) -> Any:
    """Turn a factory reference into a configuration.

    The name is looked up in `scopes`, then among factories building `annotation` (or a subclass),
    then as an import path (a factory, a class or a function), then as the annotated class's own
    name. Arguments are read with the types of the callee's parameters.

    Args:
        call: The parsed reference.
        annotation: The type the result must build.
        argument: The command-line argument, named in errors.
        scopes: Namespaces searched first.
        kind: `Config`, or `Partial` when the parameter wants a partial.

    Returns:
        The configuration.

    Raises:
        CLIError: Unknown factory, bad arguments, or a factory that fails.
    """
    found = _find_target(call, annotation, scopes)
    if found is None:
        names = factory_names(annotation, scopes)
        import difflib  # noqa: PLC0415 - only for this error message

        close = difflib.get_close_matches(call.name, names, n=3, cutoff=_CLOSE_NAME_CUTOFF)
        hint = ("did you mean " + " or ".join(map(repr, close)) + "?") if close else ""
        if not hint and names:
            hint = f"registered: {', '.join(names)}"
        raise FactoryNotFoundError(
            f"no factory named {call.name!r} for {type_name(annotation)}",
            argument=argument,
            hint=hint,
        )
    function = found.fn if isinstance(found, FactoryEntry) else found
    if not callable(function):
        raise ValueParseError(f"{call.name!r} is not callable", argument=argument)
    args, kwargs = _bind(call, function, argument)
    if found.returns_config if isinstance(found, FactoryEntry) else called_while_parsing(function):
        result = _invoke(call.name, function, args, kwargs, argument)
    else:
        result = _make(Config, function, args, kwargs, argument)
    if kind is Partial and type(result) is Config:
        result = _make(Partial, result.__fn_or_cls__, (), dict(result.__arguments__), argument)
    return result


def _bind(
    call: Call, function: Callable[..., Any], argument: str
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    info = signature_info(function)
    owner = f"{call.name}()"
    if info.known and len(call.args) > len(info.positional):
        raise ValueParseError(
            f"{owner} takes {len(info.positional)} positional argument(s), {len(call.args)} given",
            argument=argument,
        )
    values: dict[str, Any] = {}
    named = list(zip(info.positional, call.args, strict=False)) + list(call.kwargs)
    for name, text in named:
        if not info.accepts(name):
            import difflib  # noqa: PLC0415 - only for this error message

            close = difflib.get_close_matches(name, info.names, n=3, cutoff=0.6)
            raise UnknownArgumentError(name, owner, close, argument=argument)
        if name in values:
            raise ValueParseError(f"{owner} got {name!r} twice", argument=argument)
        scope = (f"{namespace_of(function)}.{name}",)
        values[name] = parse_value(
            text, info.annotation(name), argument=f"{argument}:{call.name}.{name}", scopes=scope
        )
    positional = tuple(
        values.pop(n) for n in info.positional if n in info.positional_only and n in values
    )
    return positional, values


def _invoke(
    name: str,
    function: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    argument: str,
) -> Any:
    try:
        result = function(*args, **kwargs)
    except CLIError:
        raise
    except (TypeError, ValueError, LookupError, ConfigError) as error:
        raise ValueParseError(f"factory {name!r} failed: {error}", argument=argument) from error
    converted = to_config(result)
    if not isinstance(converted, Buildable):
        raise ValueParseError(
            f"factory {name!r} returned a {type(result).__name__}, not a configuration",
            argument=argument,
        )
    return converted


def _make(
    kind: _Kind,
    function: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    argument: str,
) -> Buildable[Any]:
    try:
        return kind(function, *args, **kwargs)
    except ConfigError as error:
        raise ValueParseError(str(error), argument=argument) from error


def coerce_data(  # noqa: PLR0911 - one branch per kind of annotation
    data: Any, annotation: Any, *, argument: str, scopes: Sequence[str] = ()
) -> Any:
    """Convert data read from a file (or a Python literal) to `annotation`.

    Strings are read with `parse_value` unless the type accepts strings; mappings given for a
    class become configurations (``_factory_: name`` picks a factory, other keys set arguments);
    list, tuple, set and dict items are converted item by item. Configurations pass unchanged.

    Args:
        data: Plain data (or configurations, from canonical documents).
        annotation: The parameter's type.
        argument: The command-line argument, named in errors.
        scopes: Namespaces searched first for factory names.

    Returns:
        The converted value (type-checked later, when it is set).

    Raises:
        CLIError: The data cannot be converted.
    """
    if _is_forward_ref(annotation) and (
        isinstance(data, str) or (isinstance(data, dict) and "_factory_" in data)
    ):
        if isinstance(data, str):
            return parse_value(data, annotation, argument=argument, scopes=scopes)
        return config_from_mapping(data, annotation, argument=argument, scopes=scopes)
    annotation = _unwrap(annotation)
    if annotation is Any or isinstance(data, Buildable):
        return data
    if isinstance(data, str):
        if _accepts_str(annotation):
            return data
        return parse_value(data, annotation, argument=argument, scopes=scopes)
    if typing.get_origin(annotation) in _UNIONS:
        return _coerce_union(data, annotation, argument, scopes)
    container = _container_origin(annotation)
    if container is not None:
        return _coerce_container(data, annotation, container, argument, scopes)
    buildable = _buildable_kind(annotation)
    if isinstance(data, dict) and (buildable is not None or _is_object_type(annotation)):
        kind, target = buildable if buildable is not None else (Config, annotation)
        return config_from_mapping(data, target, kind, argument=argument, scopes=scopes)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        try:
            return annotation(data)
        except ValueError:
            return data
    return data


def _accepts_str(annotation: Any) -> bool:
    if annotation is str:
        return True
    if typing.get_origin(annotation) in _UNIONS:
        return any(_accepts_str(_unwrap(m)) for m in typing.get_args(annotation))
    if typing.get_origin(annotation) is typing.Literal:
        return any(isinstance(choice, str) for choice in typing.get_args(annotation))
    return False


def _coerce_union(data: Any, annotation: Any, argument: str, scopes: Sequence[str]) -> Any:
    members = [_unwrap(m) for m in typing.get_args(annotation) if m is not type(None)]
    if data is None:
        return None
    exact = [m for m in members if _fits_exactly(data, m)]
    errors: list[CLIError] = []
    for member in exact + [m for m in members if m not in exact]:
        try:
            return coerce_data(data, member, argument=argument, scopes=scopes)
        except CLIError as error:
            errors.append(error)
    raise errors[0]


def _coerce_container(
    data: Any, annotation: Any, container: Any, argument: str, scopes: Sequence[str]
) -> Any:
    item_type, value_type = _items_annotation(annotation, container)
    if container is dict and isinstance(data, dict):
        return {
            coerce_data(key, item_type, argument=argument, scopes=scopes): coerce_data(
                value, value_type, argument=f"{argument}[{key!r}]", scopes=scopes
            )
            for key, value in data.items()
        }
    if container is not dict and isinstance(data, (list, tuple, set, frozenset)):
        args = typing.get_args(annotation)
        fixed = container is tuple and args and not (len(args) == 2 and args[1] is Ellipsis)
        kinds = list(args) if fixed and len(args) == len(data) else [item_type] * len(data)
        items = [
            coerce_data(item, kind, argument=f"{argument}[{index}]", scopes=scopes)
            for index, (item, kind) in enumerate(zip(data, kinds, strict=True))
        ]
        return items if container is list else container(items)
    return data


def config_from_mapping(
    mapping: dict[Any, Any],
    target: Any,
    kind: _Kind = Config,
    *,
    argument: str,
    scopes: Sequence[str] = (),
) -> Buildable[Any]:
    """Build a configuration of `target` from a mapping of arguments.

    A ``_factory_`` key (``name`` or ``name(key=value)``) gives the starting configuration; the
    other keys are applied to it with `apply_mapping`.

    Args:
        mapping: Argument values (keys may be paths and may end with an operator, ``size*=``).
        target: The class (or function) to configure.
        kind: `Config` or `Partial`.
        argument: The command-line argument, named in errors.
        scopes: Namespaces searched first for the factory name.

    Returns:
        The configuration.

    Raises:
        CLIError: A key or value does not fit.
    """
    rest = dict(mapping)
    factory_text = rest.pop("_factory_", None)
    if factory_text is not None:
        call = parse_call(str(factory_text)) if isinstance(factory_text, str) else None
        if call is None:
            raise ValueParseError(
                f"_factory_ must be a factory name or call, got {factory_text!r}", argument=argument
            )
        node = call_factory(call, target, argument=argument, scopes=scopes, kind=kind)
    elif target is Any:
        raise ValueParseError(
            "a mapping needs '_factory_' or '_target_' when the type is not known",
            argument=argument,
        )
    else:
        node = _make(kind, target, (), {}, argument)
    if not isinstance(node, Buildable):  # pragma: no cover - call_factory returns configurations
        raise ValueParseError(f"expected a configuration, got {node!r}", argument=argument)
    apply_mapping(node, rest, argument=argument)
    return node


def _split_key(key: Any, argument: str) -> tuple[str, str]:
    if not isinstance(key, str):
        raise ValueParseError(f"argument names must be strings, got {key!r}", argument=argument)
    stripped = key.strip()
    for op in sorted(OPERATORS, key=len, reverse=True):
        if op != "=" and stripped.endswith(op):
            return stripped[: -len(op)].strip(), op
    return stripped, "="


def apply_mapping(node: Buildable[Any], mapping: dict[Any, Any], *, argument: str = "") -> None:
    """Apply plain data to a configuration, key by key.

    A key is an argument path, optionally ending with an operator (``batch_size+=``). A nested
    mapping given for an argument that holds (or can hold) a configuration edits it in place,
    unless it has a ``_factory_`` key, which replaces it.

    Args:
        node: The configuration to edit.
        mapping: The data.
        argument: Prefix for argument names in errors.

    Raises:
        CLIError: A key or value does not fit.
    """
    for key, value in mapping.items():
        path, op = _split_key(key, argument)
        where = f"{argument}.{path}" if argument else path
        slot = locate(node, path, argument=where)
        nested = isinstance(value, dict) and op == "=" and "_factory_" not in value
        annotation = strip_optional(_unwrap(slot.annotation))
        if nested and (isinstance(slot.current, Buildable) or _is_object_type(annotation)):
            child = slot.current if isinstance(slot.current, Buildable) else None
            if child is None:
                child = config_from_mapping({}, _object_target(annotation), argument=where)
                assign(node, slot.path, child, argument=where)
            apply_mapping(child, value, argument=where)
            continue
        scope = (f"{namespace_of(slot.owner.__fn_or_cls__)}.{path.rsplit('.', 1)[-1]}",)
        new = coerce_data(value, slot.annotation, argument=where, scopes=scope)
        if op != "=":
            new = apply_operator(slot.current, op, new, argument=where)
        assign(node, slot.path, new, argument=where)


def _object_target(annotation: Any) -> Any:
    buildable = _buildable_kind(annotation)
    return buildable[1] if buildable is not None else annotation
