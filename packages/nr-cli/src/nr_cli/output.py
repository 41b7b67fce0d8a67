"""Output of the read commands: JSON with stable keys, or plain aligned text for people."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["EXIT_FAILED", "EXIT_NOT_FOUND", "EXIT_OK", "EXIT_USAGE", "print_json", "print_table"]

EXIT_OK = 0
"""The command worked and what it was asked about is fine."""
EXIT_FAILED = 1
"""The thing asked about failed (a job FAILED, experiments differ, a rebuild skipped files)."""
EXIT_USAGE = 2
"""The command line is wrong."""
EXIT_NOT_FOUND = 3
"""The experiment or job does not exist."""


def print_json(data: Any) -> None:
    """Print `data` as indented JSON on stdout (keys in the given order)."""
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def print_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print rows as left-aligned columns under a header, on stdout."""
    cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    sys.stdout.write("\n".join(lines) + "\n")
