"""Output of the read commands: JSON with stable keys, or text lines for people.

The text lines are laid out by `nr_experiment.table`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_NOT_FOUND",
    "EXIT_OK",
    "EXIT_USAGE",
    "print_error",
    "print_json",
    "print_json_line",
    "print_lines",
]

EXIT_OK = 0
"""The command worked and what it was asked about is fine."""
EXIT_FAILED = 1
"""The thing asked about failed (a job FAILED, experiments differ, a rebuild skipped files)."""
EXIT_USAGE = 2
"""The command line is wrong."""
EXIT_NOT_FOUND = 3
"""The experiment or job does not exist."""
EXIT_INTERRUPTED = 130
"""Ctrl+C (128 + SIGINT, as shells report it)."""


def print_json(data: Any) -> None:
    """Print `data` as indented JSON on stdout (keys in the given order)."""
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def print_json_line(data: Any) -> None:
    """Print `data` as one line of compact JSON on stdout (a JSON Lines stream)."""
    sys.stdout.write(json.dumps(data, default=str, separators=(",", ":")) + "\n")


def print_lines(lines: Sequence[str]) -> None:
    """Print lines (a rendered table, see `nr_experiment.table`) on stdout."""
    sys.stdout.write("".join(f"{line}\n" for line in lines))


def print_error(kind: str, message: str, *, as_json: bool) -> None:
    """Report an error: ``error: message`` on stderr, or a JSON object on stdout.

    Args:
        kind: The error's type (an exception class name, e.g. ``ExperimentNotFoundError``).
        message: What went wrong.
        as_json: Print ``{"error": {"type": kind, "message": message}}`` on stdout instead,
            on one line (so it also ends a JSON Lines stream: ``logs``, ``status --watch``).
    """
    if as_json:
        print_json_line({"error": {"type": kind, "message": message}})
    else:
        print(f"error: {message}", file=sys.stderr)
