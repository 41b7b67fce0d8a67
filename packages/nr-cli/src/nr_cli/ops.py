"""In-place operators of the grammar (``+=``, ``-=``, ``*=``, ``/=``, ``|=``, ``&=``).

They combine the current value of an argument with an operand, like Python's operators, with two
deliberate differences: ``/=`` on integers stays an integer when the division is exact (and is an
error otherwise), and nothing is ever applied to a value that is not set.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from nr_config.signatures import NO_DEFAULT

from nr_cli.errors import OperationError

__all__ = ["apply_operator"]

_NUMBER = (int, float, complex)
_MAX_REPEAT = 1_000_000
_FUNCTIONS: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.add,
    "-=": operator.sub,
    "*=": operator.mul,
    "|=": operator.or_,
    "&=": operator.and_,
}


def _is_number(value: Any) -> bool:
    return isinstance(value, _NUMBER) and not isinstance(value, bool)


def _divide(current: Any, operand: Any, argument: str) -> Any:
    if not (_is_number(current) and _is_number(operand)):
        raise OperationError(
            f"'/=' needs numbers, got {type(current).__name__} and {type(operand).__name__}",
            argument=argument,
        )
    if operand == 0:
        raise OperationError("division by zero", argument=argument)
    if isinstance(current, int) and isinstance(operand, int):
        quotient, remainder = divmod(current, operand)
        if remainder:
            raise OperationError(
                f"{current} / {operand} is not an integer", argument=argument, hint="use a float"
            )
        return quotient
    return current / operand


def apply_operator(current: Any, op: str, operand: Any, *, argument: str) -> Any:
    """Combine `current` and `operand` with an in-place operator.

    ``+=`` adds numbers and concatenates strings, lists and tuples (a list operand extends a
    tuple and vice versa); ``-=`` subtracts numbers and removes items of sets; ``*=`` multiplies
    numbers and repeats sequences; ``|=`` merges dicts and unites sets; ``&=`` intersects sets.

    Args:
        current: The value the argument has now.
        op: One of ``+=``, ``-=``, ``*=``, ``/=``, ``|=``, ``&=``.
        operand: The value right of the operator.
        argument: The command-line argument, named in errors.

    Returns:
        The new value.

    Raises:
        OperationError: The operator does not apply to these values.
    """
    if current is NO_DEFAULT:
        raise OperationError(
            f"has no value to apply {op!r} to", argument=argument, hint="assign it with '=' first"
        )
    if op == "/=":
        return _divide(current, operand, argument)
    if isinstance(current, tuple) and isinstance(operand, list):
        operand = tuple(operand)
    elif isinstance(current, list) and isinstance(operand, tuple):
        operand = list(operand)
    if isinstance(current, bool) or isinstance(operand, bool):
        if op in ("|=", "&=") and isinstance(current, bool) and isinstance(operand, bool):
            return _FUNCTIONS[op](current, operand)
        raise OperationError(f"{op!r} does not apply to booleans", argument=argument)
    repeats = op == "*=" and isinstance(current, (str, list, tuple)) and isinstance(operand, int)
    if repeats and len(current) * operand > _MAX_REPEAT:
        raise OperationError(f"the result would exceed {_MAX_REPEAT} items", argument=argument)
    if op == "-=" and isinstance(current, (list, tuple)):
        raise OperationError(
            "'-=' does not apply to lists", argument=argument, hint="assign the new list with '='"
        )
    try:
        return _FUNCTIONS[op](current, operand)
    except TypeError:
        raise OperationError(
            f"cannot apply {op!r} to {type(current).__name__} {current!r} "
            f"and {type(operand).__name__} {operand!r}",
            argument=argument,
        ) from None
