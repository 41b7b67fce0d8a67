"""``@factory``: named recipes for configurations, selectable on the command line.

A factory returning ``Config[Model]`` is registered for ``Model`` (and found for any parameter
annotated with ``Model``, a base class of it, or the unresolved name ``"Model"``);
``target=fn, target_arg="model"`` registers it for one parameter of one function only. A factory
whose return annotation is a plain class ``T`` is recorded lazily as ``Config(factory, ...)``: the
factory runs when the configuration is built.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, overload

from nr_config import Buildable
from nr_config.validation import matches_type

from nr_cli.errors import AmbiguousFactoryError, FactoryNotFoundError
from nr_cli.registry import (
    DEFAULT_FACTORY_NAME,
    FACTORIES,
    FactoryEntry,
    add_factory,
    discover,
    namespace_of,
)

__all__ = ["factory", "list_factories", "lookup_factory", "resolve_factory"]

F = TypeVar("F", bound=Callable[..., Any])
_UNIONS: tuple[Any, ...] = (typing.Union, types.UnionType)
FACTORY_ATTRIBUTE = "__nr_factory__"
"""Attribute set on a decorated function; holds its `FactoryEntry`."""


def is_autoconverted(fn: object) -> bool:
    """True for a function wrapped by ``run.autoconvert`` (calling it returns a configuration)."""
    return getattr(fn, "__auto_config__", False) is True


def _returned(fn: Callable[..., Any]) -> tuple[type | None, bool | None, bool]:
    """Return (built type, returns_config, annotated) from `fn`'s return annotation.

    An autoconverted function returns a configuration whatever its annotation says (``-> Model``
    means it returns ``Config[Model]``), and counts as annotated.
    """
    if is_autoconverted(fn):
        built, _, _ = _returned(getattr(fn, "wrapped", fn))
        return built, True, True
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # noqa: BLE001 - unresolvable hints count as no annotation
        hints = getattr(fn, "__annotations__", {})
    if "return" not in hints:
        return None, None, False
    returned = hints["return"]
    origin = typing.get_origin(returned)
    if isinstance(origin, type) and issubclass(origin, Buildable):
        args = typing.get_args(returned)
        built = args[0] if args and isinstance(args[0], type) else None
        return built, True, True
    if isinstance(returned, type) and issubclass(returned, Buildable):
        return None, True, True
    if isinstance(returned, type):
        return returned, False, True
    return None, None, True


def _register(
    fn: F,
    *,
    target: Any,
    target_arg: str | None,
    is_target_default: bool,
    name: str | None,
    namespace: str | None,
) -> F:
    built, returns_config, annotated = _returned(fn)
    if target is None and target_arg is not None:
        raise TypeError(
            f"factory {namespace_of(fn)}: target_arg={target_arg!r} needs target= (the function "
            "whose parameter it names)"
        )
    if target is None and namespace is None and not annotated:
        raise TypeError(
            f"factory {namespace_of(fn)} needs a return annotation (Config[T], Partial[T] or T) "
            "or an explicit target="
        )
    if target is not None:
        space = namespace_of(target) + (f".{target_arg}" if target_arg else "")
        if isinstance(target, type):
            built = target
    elif built is not None:
        space = namespace_of(built)
    else:
        space = namespace_of(fn)
    space = namespace or space
    entry = FactoryEntry(name or fn.__name__, space, fn, built, returns_config is not False)
    add_factory(entry)
    if is_target_default:
        add_factory(FactoryEntry(DEFAULT_FACTORY_NAME, space, fn, built, entry.returns_config))
    setattr(fn, FACTORY_ATTRIBUTE, entry)
    return fn


@overload
def factory(fn: F, /) -> F: ...


@overload
def factory(
    fn: None = None,
    /,
    target: Any = None,
    *,
    target_arg: str | None = None,
    is_target_default: bool = False,
    name: str | None = None,
    namespace: str | None = None,
) -> Callable[[F], F]: ...


def factory(
    fn: F | None = None,
    /,
    target: Any = None,
    *,
    target_arg: str | None = None,
    is_target_default: bool = False,
    name: str | None = None,
    namespace: str | None = None,
) -> F | Callable[[F], F]:
    """Register a factory, usable by name on the command line.

    Used bare (``@factory``) the namespace comes from the return annotation: ``-> Config[Model]``
    registers the factory for ``Model``.

    Args:
        fn: The function (when used without parentheses).
        target: Register for this type or function instead of the return annotation's type.
        target_arg: With a function `target`, register for that one parameter of it.
        is_target_default: Also register as the target's ``default`` factory (used when an unset
            argument of that type is edited, e.g. ``model.size=2``).
        name: Command-line name (default: the function's name).
        namespace: An explicit namespace string (overrides the computed one).

    Returns:
        The function itself, unchanged (it can still be called from Python).

    Raises:
        TypeError: No return annotation and no `target`/`namespace`.

    Example:
        ```py
        @run.cli.factory
        def small() -> run.Config[Model]:
            return run.Config(Model, hidden_size=256)
        ```
    """

    def decorate(function: F) -> F:
        return _register(
            function,
            target=target,
            target_arg=target_arg,
            is_target_default=is_target_default,
            name=name,
            namespace=namespace,
        )

    if fn is not None:
        return decorate(fn)
    return decorate


def called_while_parsing(fn: Callable[..., Any]) -> bool:
    """True when the CLI calls `fn` while parsing rather than recording ``Config(fn, ...)``.

    Registered factories, autoconverted functions, functions annotated to return a `Config` or
    `Partial` and unannotated functions are called (as NeMo-Run does); a function annotated to
    return a plain class ``T`` is deferred, so its arguments stay editable until build time.
    Classes are never called.
    """
    entry = getattr(fn, FACTORY_ATTRIBUTE, None)
    if isinstance(entry, FactoryEntry):
        return entry.returns_config
    if isinstance(fn, type):
        return False
    return _returned(fn)[1] is not False


def annotation_types(annotation: Any) -> list[type]:
    """The classes a value for `annotation` may build (union members, Config[T] arguments)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return annotation_types(typing.get_args(annotation)[0])
    if origin is not None and isinstance(origin, type) and issubclass(origin, Buildable):
        return [t for t in typing.get_args(annotation) if isinstance(t, type)]
    if origin in _UNIONS:
        return [t for member in typing.get_args(annotation) for t in annotation_types(member)]
    if isinstance(annotation, type) and origin is None and annotation is not type(None):
        return [annotation]
    return []


def _matching(annotation: Any) -> list[FactoryEntry]:
    """Registered factories whose built class fits `annotation` (subclasses and forward refs)."""
    found: list[FactoryEntry] = []
    for entries in FACTORIES.values():
        for entry in entries.values():
            if entry.target is not None and matches_type(annotation, entry.target):
                found.append(entry)
    return found


def lookup_factory(
    name: str, annotation: Any = Any, scopes: Iterable[str] = ()
) -> FactoryEntry | None:
    """Find a registered factory by name for a parameter.

    Args:
        name: The factory name.
        annotation: The parameter's annotation; factories building it (or a subclass) match,
            and for ``ForwardRef("Name")`` those building a class called ``Name``.
        scopes: Namespaces searched first, in order (e.g. ``module.train.model``).

    Returns:
        The entry, or None.

    Raises:
        AmbiguousFactoryError: Several different factories of that name build matching types.
    """
    discover()
    for scope in scopes:
        entry = FACTORIES.get(scope, {}).get(name)
        if entry is not None:
            return entry
    wanted = annotation_types(annotation)
    candidates = [e for e in _matching(annotation) if e.name == name]
    exact = [e for e in candidates if e.target in wanted]
    chosen = exact or candidates
    functions = {id(e.fn): e for e in chosen}
    if len(functions) > 1:
        spaces = ", ".join(sorted(e.namespace for e in functions.values()))
        raise AmbiguousFactoryError(
            f"factory name {name!r} is registered by several namespaces ({spaces})",
            argument=name,
            hint="use the factory's import path instead",
        )
    return chosen[0] if chosen else None


def factory_names(annotation: Any, scopes: Iterable[str] = ()) -> list[str]:
    """Names of the factories usable for a parameter (for hints and ``--help``)."""
    discover()
    names = {e.name for e in _matching(annotation)}
    for scope in scopes:
        names.update(FACTORIES.get(scope, {}))
    return sorted(names)


def list_factories(target: type | str) -> list[FactoryEntry]:
    """List the factories registered for a type (including subclasses) or a namespace string.

    Args:
        target: A class, or a namespace such as ``"mymodule.train.model"``.

    Returns:
        The entries, sorted by name.
    """
    discover()
    if isinstance(target, str):
        entries = list(FACTORIES.get(target, {}).values())
    else:
        entries = _matching(target)
        entries += FACTORIES.get(namespace_of(target), {}).values()
    unique = {(e.namespace, e.name): e for e in entries}
    return sorted(unique.values(), key=lambda e: (e.name, e.namespace))


def resolve_factory(target: type | Callable[..., Any] | str, name: str) -> Callable[..., Any]:
    """Return the factory function registered under `name` for a type, function or namespace.

    Args:
        target: A class (factories building it or a subclass), a function (factories registered
            with ``@factory(target=fn)``, and its entrypoint's ``default_factory``), or a
            namespace string.
        name: The factory name.

    Returns:
        The decorated function.

    Raises:
        FactoryNotFoundError: Nothing of that name; the message lists close names.
    """
    if isinstance(target, str) or not isinstance(target, type):
        discover()
        space = namespace_of(target)
        entry = FACTORIES.get(space, {}).get(name)
        known = sorted(FACTORIES.get(space, {}))
    else:
        entry = lookup_factory(name, target)
        known = factory_names(target)
    if entry is None:
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        hint = "did you mean " + " or ".join(map(repr, close)) + "?" if close else ""
        raise FactoryNotFoundError(
            f"no factory named {name!r} for {namespace_of(target)}", argument=name, hint=hint
        )
    return entry.fn
