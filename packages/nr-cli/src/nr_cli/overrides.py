"""Applying command-line tokens (positional values and ``path<op>value``) to a configuration."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nr_config import Buildable, ConfigError
from nr_config.paths import Key, format_path, parse_path
from nr_config.signatures import signature_info

from nr_cli.assign import UNSET, Slot, assign, call_name, item_annotation, locate
from nr_cli.errors import GrammarError, UnknownArgumentError
from nr_cli.grammar import Assignment, Positional, enclosed, parse_token
from nr_cli.ops import apply_operator
from nr_cli.registry import namespace_of
from nr_cli.values import parse_value

__all__ = ["apply_overrides", "parse_tokens"]

_NUMBER = int | float


def parse_tokens(args: Sequence[str]) -> list[Assignment | Positional]:
    """Split command-line tokens into assignments and positional values."""
    return [parse_token(arg) for arg in args]


def _bind_positionals(
    root: Buildable[Any], tokens: Sequence[Assignment | Positional], skip: frozenset[str]
) -> list[Assignment]:
    info = signature_info(root.__fn_or_cls__)
    names = [n for n in info.positional if n not in skip]
    bound: list[Assignment] = []
    seen_keyword = False
    positional_count = 0
    for token in tokens:
        if isinstance(token, Assignment):
            seen_keyword = True
            bound.append(token)
            continue
        if seen_keyword:
            raise GrammarError(
                "positional argument after keyword arguments",
                argument=token.value,
                hint="write it as name=value",
            )
        if positional_count >= len(names):
            raise GrammarError(
                f"too many positional arguments for {call_name(root)} (it takes {len(names)})",
                argument=token.value,
            )
        bound.append(Assignment(names[positional_count], "=", token.value))
        positional_count += 1
    return bound


def _scope(slot: Slot) -> tuple[str, ...]:
    name = slot.path.rsplit(".", 1)[-1].split("[", 1)[0]
    return (f"{namespace_of(slot.owner.__fn_or_cls__)}.{name}",)


def _operand(token: Assignment, slot: Slot, argument: str) -> Any:
    scopes = _scope(slot)
    current = slot.current
    if token.op in ("*=", "/="):
        annotation: Any = int if isinstance(current, (str, list, tuple)) else _NUMBER
        return parse_value(token.value, annotation, argument=argument, scopes=scopes)
    if token.op == "+=" and isinstance(current, list) and enclosed(token.value, "[") is None:
        return parse_value(f"[{token.value}]", slot.annotation, argument=argument, scopes=scopes)
    return parse_value(token.value, slot.annotation, argument=argument, scopes=scopes)


def apply_overrides(
    root: Buildable[Any],
    tokens: Sequence[str | Assignment | Positional],
    *,
    skip_positional: frozenset[str] = frozenset(),
    label_prefix: str = "",
) -> None:
    """Apply tokens to `root`, in order.

    Positional values come first and fill the target's positional parameters (except those in
    `skip_positional`); then each ``path<op>value`` walks `path` (see `nr_cli.assign.locate`),
    reads `value` with the type found there and sets it, combining it with the current value for
    in-place operators. ``+=`` on a list accepts one item as well as a list.

    Hydra's prefixes, for a typed configuration (whose arguments always exist in the signature):
    ``+path=v`` sets an argument that is not set yet (an error naming its value when it is) or
    adds a key to a dict; ``++path=v`` is ``path=v``; ``~path`` resets an argument to its default
    (it is no longer set), ``~path=v`` does so only when its value is ``v``, and ``~d['k']``
    removes a key from a dict.

    Args:
        root: The configuration to edit.
        tokens: Command-line tokens, or tokens already parsed by `parse_tokens`.
        skip_positional: Parameter names positional values never bind to (e.g. ``ctx``).
        label_prefix: Prefix of the argument named in errors (``run.`` for run options).

    Raises:
        CLIError: The first token that cannot be applied; the error names it.
    """
    parsed = [parse_token(t) if isinstance(t, str) else t for t in tokens]
    for token in _bind_positionals(root, parsed, skip_positional):
        argument = label_prefix + str(token)
        if token.prefix == "~":
            _remove(root, token, argument)
            continue
        if token.prefix and token.op != "=":
            raise GrammarError(
                f"{token.prefix!r} goes with '=' only",
                argument=argument,
                hint=f"write {token.path}{token.op}{token.value}",
            )
        if token.prefix == "+" and _is_dict_key(token.path):
            _add_key(root, token, argument)
            continue
        try:
            slot = locate(root, token.path, argument=argument)
        except UnknownArgumentError as error:
            if token.prefix != "+":
                raise
            raise GrammarError(
                f"{error.message}; '+' cannot add a new key to a typed configuration, only set "
                "one of its parameters that is not set yet",
                argument=argument,
            ) from error
        if token.prefix == "+":
            _check_not_set(slot, token, argument)
        if token.op == "=":
            value = parse_value(
                token.value, slot.annotation, argument=argument, scopes=_scope(slot)
            )
        else:
            operand = _operand(token, slot, argument)
            value = apply_operator(slot.current, token.op, operand, argument=argument)
        assign(root, slot.path, value, argument=argument)


def _is_dict_key(path: str) -> bool:
    return path.endswith(("']", '"]'))


def _check_not_set(slot: Slot, token: Assignment, argument: str) -> None:
    """``+path=v`` adds: refuse when the argument already holds a value someone set."""
    name = slot.path.rsplit(".", 1)[-1]
    if "[" in name:
        raise GrammarError(
            "'+' adds an argument or a dict key; a list item cannot be added this way",
            argument=argument,
            hint=f"write {token.path}={token.value}, or append with {slot.path.split('[')[0]}+=...",
        )
    if name in slot.owner.__arguments__:
        raise GrammarError(
            f"{slot.path} is already set (to {slot.current!r}); '+' only adds what is not set",
            argument=argument,
            hint=f"write {token.path}={token.value} or ++{token.path}={token.value} to override",
        )


def _dict_slot(root: Buildable[Any], token: Assignment, argument: str) -> tuple[Slot, Any]:
    """The slot of the dict a ``...['key']`` path ends in, and the key."""
    try:
        steps = parse_path(token.path)
    except ConfigError as error:
        raise GrammarError(str(error), argument=argument) from error
    last = steps[-1]
    if not isinstance(last, Key) or len(steps) < 2:
        raise GrammarError("expected a path ending in ['key']", argument=argument)
    parent, key = format_path(steps[:-1]), last.key
    slot = locate(root, parent, argument=argument)
    if not isinstance(slot.current, dict):
        shown = "unset" if slot.current is UNSET else f"a {type(slot.current).__name__}"
        raise GrammarError(f"{parent} is {shown}, not a dict", argument=argument)
    return slot, key


def _add_key(root: Buildable[Any], token: Assignment, argument: str) -> None:
    """``+d['k']=v``: add key ``k`` (refused when ``d`` has it already)."""
    slot, key = _dict_slot(root, token, argument)
    if key in slot.current:
        raise GrammarError(
            f"{token.path} exists already (it is {slot.current[key]!r}); '+' only adds",
            argument=argument,
            hint=f"write {token.path}={token.value} or ++{token.path}={token.value} to override",
        )
    annotation = item_annotation(slot.annotation, Key(key))
    value = parse_value(token.value, annotation, argument=argument, scopes=_scope(slot))
    assign(root, slot.path, {**slot.current, key: value}, argument=argument)


def _remove(root: Buildable[Any], token: Assignment, argument: str) -> None:
    """``~path`` (``~path=v``): reset an argument to its default, or drop a dict key."""
    if _is_dict_key(token.path):
        slot, key = _dict_slot(root, token, argument)
        if key not in slot.current:
            raise GrammarError(f"{token.path} does not exist", argument=argument)
        annotation = item_annotation(slot.annotation, Key(key))
        _check_expected(slot.current[key], token, slot, annotation, argument)
        assign(
            root, slot.path, {k: v for k, v in slot.current.items() if k != key}, argument=argument
        )
        return
    slot = locate(root, token.path, argument=argument)
    name = slot.path.rsplit(".", 1)[-1]
    if "[" in name:
        raise GrammarError(
            "'~' resets an argument or removes a dict key; a list item cannot be removed",
            argument=argument,
            hint=f"assign the whole list: {slot.path.split('[')[0]}=[...]",
        )
    if name not in slot.owner.__arguments__:
        return  # already at its default: nothing to reset (Hydra's ~ on a default is a no-op too)
    _check_expected(slot.current, token, slot, slot.annotation, argument)
    delattr(slot.owner, name)


def _check_expected(
    current: Any, token: Assignment, slot: Slot, annotation: Any, argument: str
) -> None:
    if not token.op:
        return
    expected = parse_value(token.value, annotation, argument=argument, scopes=_scope(slot))
    if expected != current:
        raise GrammarError(
            f"{token.path} is {current!r}, not {expected!r}; '~{token.path}={token.value}' "
            "removes it only when it has that value",
            argument=argument,
            hint=f"write ~{token.path} to reset it whatever its value",
        )
