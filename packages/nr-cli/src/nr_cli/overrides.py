"""Applying command-line tokens (positional values and ``path<op>value``) to a configuration."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nr_config import Buildable
from nr_config.signatures import signature_info

from nr_cli.assign import Slot, assign, call_name, locate
from nr_cli.errors import GrammarError
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
        slot = locate(root, token.path, argument=argument)
        if token.op == "=":
            value = parse_value(
                token.value, slot.annotation, argument=argument, scopes=_scope(slot)
            )
        else:
            operand = _operand(token, slot, argument)
            value = apply_operator(slot.current, token.op, operand, argument=argument)
        assign(root, slot.path, value, argument=argument)
