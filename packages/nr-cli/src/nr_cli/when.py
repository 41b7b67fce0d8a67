"""Points in time on the command line: an age (``30m``, ``2h``, ``7d``) or a date."""

from __future__ import annotations

import datetime
import re
import time

from nr_cli.errors import CLIError

__all__ = ["parse_age", "parse_since"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_AGE = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")


def parse_age(text: str, *, option: str) -> float:
    """Seconds in an age such as ``90s``, ``30m``, ``2h``, ``7d`` or ``1w``.

    Args:
        text: The age.
        option: The option it was given to, named in errors.

    Raises:
        CLIError: Not an age.
    """
    match = _AGE.fullmatch(text.strip().lower())
    if match is None:
        raise CLIError(
            f"{option} {text!r} is not an age",
            argument=option,
            hint="write a number and a unit: 90s, 30m, 2h, 7d, 1w",
        )
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_since(text: str, *, option: str, now: float | None = None) -> float:
    """Seconds since the epoch of an age ago (``2h``) or of a date (``2025-01-31[ 12:00]``).

    Args:
        text: The age or an ISO date (local time).
        option: The option it was given to, named in errors.
        now: The current time (default: `time.time`).

    Raises:
        CLIError: Neither an age nor a date.
    """
    current = time.time() if now is None else now
    if _AGE.fullmatch(text.strip().lower()):
        return current - parse_age(text, option=option)
    try:
        return datetime.datetime.fromisoformat(text.strip()).timestamp()
    except ValueError:
        raise CLIError(
            f"{option} {text!r} is neither an age nor a date",
            argument=option,
            hint="write an age (30m, 2h, 7d) or a date (2025-01-31 or 2025-01-31T12:00)",
        ) from None
