"""Walking argument paths (``model.layers[0].size``) inside a configuration, to read or set.

Walking is forgiving where the user's intent is clear and strict everywhere else: an unset argument
whose type is a class is created on the way (from the class's ``default`` factory when one is
registered, else as an empty ``Config``), a dataclass default is turned into a ``Config`` so it can
be edited, and an unknown name is an error that suggests the closest valid ones.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from typing import Any

from nr_config import Buildable, Config, ConfigError, set_value, to_config
from nr_config.paths import Attr, Index, Key, Step, format_path, parse_path
from nr_config.signatures import NO_DEFAULT, signature_info, target_name

from nr_cli.errors import GrammarError, UnknownArgumentError, ValueParseError
from nr_cli.registry import DEFAULT_FACTORY_NAME, FACTORIES, namespace_of

__all__ = ["UNSET", "Slot", "assign", "call_name", "item_annotation", "locate", "strip_optional"]

UNSET: Any = NO_DEFAULT
"""The current value of an argument that is neither set nor defaulted."""
_UNIONS: tuple[Any, ...] = (typing.Union, types.UnionType)


@dataclasses.dataclass(frozen=True)
class Slot:
    """Where a path leads.

    Attributes:
        path: The normalized path.
        annotation: The type a value there must have (``typing.Any`` when unknown).
        current: The value there now (`UNSET` when none).
        owner: The configuration holding the argument the path ends in (or passes through last).
    """

    path: str
    annotation: Any
    current: Any
    owner: Buildable[Any]


def call_name(node: Buildable[Any]) -> str:
    """Readable name of a configuration's target, for messages: ``train()``."""
    return f"{target_name(node.__fn_or_cls__)}()"


def strip_optional(annotation: Any) -> Any:
    """Return ``T`` for ``Optional[T]`` (and ``Annotated[T, ...]``); other annotations unchanged."""
    if typing.get_origin(annotation) in _UNIONS:
        members = [m for m in typing.get_args(annotation) if m is not type(None)]
        if len(members) == 1:
            return members[0]
    if typing.get_origin(annotation) is typing.Annotated:
        return typing.get_args(annotation)[0]
    return annotation


def item_annotation(annotation: Any, step: Step) -> Any:
    """Return the annotation of one item of a container annotation (``list[T]`` -> ``T``)."""
    annotation = strip_optional(annotation)
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin is tuple and args:
        if len(args) == 2 and args[1] is Ellipsis:
            return args[0]
        if isinstance(step, Index) and -len(args) <= step.index < len(args):
            return args[step.index]
        return Any
    if origin is not None and len(args) == 2 and not isinstance(step, Attr):
        return args[1]
    if origin is not None and len(args) == 1:
        return args[0]
    return Any


def _fresh_config(annotation: Any, where: str) -> Buildable[Any]:
    cls = strip_optional(annotation)
    origin = typing.get_origin(cls)
    if isinstance(origin, type) and issubclass(origin, Buildable):
        args = typing.get_args(cls)
        cls = args[0] if args else Any
    if cls is Any or not isinstance(cls, type) or cls.__module__ == "builtins":
        raise ValueParseError(
            "is not set and its type is not a configurable class",
            argument=where,
            hint=f"assign it first, e.g. {where}=<factory>",
        )
    entry = FACTORIES.get(namespace_of(cls), {}).get(DEFAULT_FACTORY_NAME)
    if entry is not None:
        made = entry.fn()
        if isinstance(made, Buildable):
            return made
    return Config(cls)


def _editable(value: Any) -> Any:
    if isinstance(value, Buildable):
        return value
    converted = to_config(value)
    return converted if isinstance(converted, Buildable) else value


def _set(root: Buildable[Any], path: str, value: Any, argument: str) -> None:
    try:
        set_value(root, path, value)
    except ConfigError as error:
        raise ValueParseError(str(error), argument=argument) from error


def _attr(node: Any, step: Attr, where: str, argument: str) -> tuple[Any, Any]:
    """Return (annotation, current value) of argument `step.name` of `node`."""
    if not isinstance(node, Buildable):
        raise ValueParseError(
            f"{where or '<root>'} is a {type(node).__name__}, which has no argument {step.name!r}",
            argument=argument,
        )
    info = signature_info(node.__fn_or_cls__)
    if not info.accepts(step.name):
        close = difflib.get_close_matches(step.name, info.names, n=3, cutoff=0.6)
        raise UnknownArgumentError(step.name, call_name(node), close, argument=argument)
    if step.name not in node.__arguments__ and step.name in info.default_factories:
        # Reading the argument stores a fresh value from the field's default_factory in the
        # configuration, so that an edit in place (``optim.betas[0]=...``, ``+=``) lands there.
        return info.annotation(step.name), getattr(node, step.name)
    current = node.__arguments__.get(step.name, info.defaults.get(step.name, UNSET))
    if step.name not in node.__arguments__ and isinstance(current, Buildable):
        # A configuration given as the default in the signature is edited in a copy held by
        # this configuration: the signature's default itself never changes.
        setattr(node, step.name, current.clone())
        current = node.__arguments__[step.name]
    return info.annotation(step.name), current


def _item(container: Any, step: Index | Key, where: str, argument: str) -> Any:
    key = step.index if isinstance(step, Index) else step.key
    if isinstance(container, dict):
        if key not in container:
            raise ValueParseError(f"{where} has no key {key!r}", argument=argument)
        return container[key]
    if isinstance(container, (list, tuple)) and isinstance(step, Index):
        if not -len(container) <= step.index < len(container):
            raise ValueParseError(
                f"index {step.index} is out of range ({where} has {len(container)} items)",
                argument=argument,
            )
        return container[step.index]
    shown = "unset" if container is UNSET else f"a {type(container).__name__}"
    raise ValueParseError(
        f"{where} is {shown}; it cannot be indexed with {step}", argument=argument
    )


def locate(root: Buildable[Any], path: str, *, argument: str = "") -> Slot:
    """Follow `path` from `root`, preparing intermediate configurations for editing.

    Args:
        root: The configuration the path starts at.
        path: For example ``model.layers[0].size``.
        argument: The command-line argument, named in errors (default: the path).

    Returns:
        The slot the path ends in.

    Raises:
        GrammarError: The path is malformed.
        UnknownArgumentError: A name the configuration does not accept (with suggestions).
        ValueParseError: The path goes through something that is not set or not a container.
    """
    argument = argument or path
    try:
        steps = parse_path(path)
    except ConfigError as error:
        raise GrammarError(str(error), argument=argument) from error
    value: Any = root
    owner = root
    annotation: Any = Any
    for number, step in enumerate(steps):
        where = format_path(steps[:number])
        here = format_path(steps[: number + 1])
        if isinstance(step, Attr):
            owner = value
            annotation, value = _attr(value, step, where, argument)
        else:
            annotation = item_annotation(annotation, step)
            value = _item(value, step, where, argument)
        if number == len(steps) - 1:
            break
        if isinstance(steps[number + 1], Attr):
            unset = value is UNSET or value is None
            edited = _fresh_config(annotation, here) if unset else _editable(value)
            if edited is not value:
                _set(root, here, edited, argument)
                value = edited
    return Slot(format_path(steps), annotation, value, owner)


def assign(root: Buildable[Any], path: str, value: Any, *, argument: str = "") -> None:
    """Set `value` at `path` inside `root`; type errors become `ValueParseError`.

    Args:
        root: The configuration the path starts at.
        path: A path found valid by `locate`.
        value: The new value (validated against the argument's annotation by nr_config).
        argument: The command-line argument, named in errors (default: the path).

    Raises:
        CLIError: The value does not fit.
    """
    _set(root, path, value, argument or path)
