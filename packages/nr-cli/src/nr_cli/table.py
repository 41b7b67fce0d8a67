r"""Tables that fit the terminal: columns are shortened or dropped in a fixed priority order.

Three layouts, chosen by `Layout.detect` unless asked for:

* **fit** (stdout is a terminal, ``shutil.get_terminal_size`` gives the width, ``COLUMNS``
  honoured): the table never wraps. Shortenable columns give up room first, least important
  first, down to their minimum width; when that is not enough the least important droppable
  column is dropped, and so on. Identifiers that are copied (experiment ids, states, exit codes)
  are never shortened. Handles, paths and names are shortened in the middle (``local://vm/nr.1…
  .pair.alpha``): their start and their end (where the job id is) stay. Free text (messages) is
  cut at the end.
* **wide** (``-o wide``): every column, every cell whole.
* **plain** (stdout is not a terminal): every column whole as well, one row per line.

In every layout columns are separated by at least two spaces and a cell never holds two
whitespace characters in a row (runs of whitespace, newlines included, become one space), so
``re.split(r"\s{2,}", line)`` reads a row back; an empty cell is ``-``, so every row has as many
cells as the header.
"""

from __future__ import annotations

import enum
import re
import sys
from collections.abc import Sequence
from typing import NamedTuple

__all__ = [
    "ELLIPSIS",
    "EMPTY",
    "Column",
    "Layout",
    "Shorten",
    "render",
    "shorten",
    "terminal_width",
]

ELLIPSIS = "…"
"""What replaces the characters a shortened cell leaves out."""
EMPTY = "-"
"""What an empty cell shows, so that every row has the same number of fields."""
_GAP = 2
_WHITESPACE = re.compile(r"\s+")


class Shorten(enum.Enum):
    """How a column gives up room."""

    NEVER = "never"
    """Never shortened (ids people copy, states, numbers)."""
    MIDDLE = "middle"
    """Handles, paths, names: start and end kept, ``…`` in the middle."""
    END = "end"
    """Free text: cut at the end with ``…``."""


class Layout(enum.Enum):
    """How a table is laid out (see the module docstring)."""

    FIT = "fit"
    WIDE = "wide"
    PLAIN = "plain"

    @classmethod
    def detect(cls, *, wide: bool = False) -> Layout:
        """WIDE when asked; else FIT on a terminal, PLAIN when stdout is piped."""
        if wide:
            return cls.WIDE
        return cls.FIT if sys.stdout.isatty() else cls.PLAIN


class Column(NamedTuple):
    """One column of a table.

    Attributes:
        header: The header text (upper case by convention).
        priority: Lower is dropped sooner in the fit layout; 0 is never dropped.
        shorten: How the column gives up room before it is dropped.
        min_width: The width a shortened cell keeps at least (and the header, cut at the end).
        wide_only: Shown only in the wide and plain layouts.
    """

    header: str
    priority: int = 0
    shorten: Shorten = Shorten.NEVER
    min_width: int = 0
    wide_only: bool = False


def terminal_width() -> int:
    """The terminal's width: ``COLUMNS`` when set, else the terminal's own (80 if unknown)."""
    import shutil  # noqa: PLC0415 - about 2 ms; only for a terminal

    return shutil.get_terminal_size().columns


def shorten(text: str, width: int, how: Shorten) -> str:
    """`text` in at most `width` characters (unchanged when it fits or `how` is NEVER).

    Args:
        text: The cell.
        width: The room there is (1 or more).
        how: MIDDLE keeps about two fifths of the room for the start and the rest for the end;
            END keeps the start.

    Returns:
        The text, with `ELLIPSIS` where characters were left out.
    """
    if len(text) <= width or how is Shorten.NEVER:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    if how is Shorten.END:
        return text[: width - 1] + ELLIPSIS
    head = (width - 1) * 2 // 5
    tail = width - 1 - head
    return text[:head] + ELLIPSIS + text[len(text) - tail :]


def _total(widths: Sequence[int]) -> int:
    return sum(widths) + _GAP * max(len(widths) - 1, 0)


def _fit_widths(
    columns: Sequence[Column], natural: Sequence[int], width: int
) -> tuple[list[int], list[int]]:
    """The kept column indexes and their widths for a terminal `width` columns wide."""
    kept = [i for i, c in enumerate(columns) if not c.wide_only]
    droppable = sorted(
        (i for i in kept if columns[i].priority > 0), key=lambda i: columns[i].priority
    )
    while True:
        floor = [
            natural[i]
            if columns[i].shorten is Shorten.NEVER
            else min(natural[i], columns[i].min_width)
            for i in kept
        ]
        if _total(floor) <= width or not droppable:
            break
        kept.remove(droppable.pop(0))
    widths = dict(zip(kept, floor, strict=True))
    room = width - _total(floor)
    # Give the room back, most important shortenable column first, up to its natural width.
    for index in sorted(
        kept, key=lambda i: (columns[i].priority == 0, columns[i].priority), reverse=True
    ):
        grow = min(natural[index] - widths[index], max(room, 0))
        widths[index] += grow
        room -= grow
    return kept, [widths[i] for i in kept]


def render(
    columns: Sequence[Column],
    rows: Sequence[Sequence[object]],
    *,
    layout: Layout,
    width: int | None = None,
) -> list[str]:
    """Lay out a table as lines (without newlines).

    Args:
        columns: The columns, in display order.
        rows: One sequence of cells per row (``None`` and ``""`` show as `EMPTY`).
        layout: See `Layout`.
        width: The terminal width for the fit layout (default: ``shutil.get_terminal_size``,
            which honours ``COLUMNS``).

    Returns:
        The header line, then one line per row.
    """
    cells = [[_cell(c) for c in row] for row in rows]
    natural = [max([len(col.header), *(len(r[i]) for r in cells)]) for i, col in enumerate(columns)]
    if layout is Layout.FIT:
        room = terminal_width() if width is None else width
        kept, widths = _fit_widths(columns, natural, room)
    else:
        kept, widths = list(range(len(columns))), natural
    header = [columns[i].header for i in kept]
    lines = [
        _line([shorten(h, w, Shorten.END) for h, w in zip(header, widths, strict=True)], widths)
    ]
    for row in cells:
        shown = [shorten(row[i], w, columns[i].shorten) for i, w in zip(kept, widths, strict=True)]
        lines.append(_line(shown, widths))
    return lines


def _cell(value: object) -> str:
    text = "" if value is None else _WHITESPACE.sub(" ", str(value)).strip()
    return text or EMPTY


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    return (" " * _GAP).join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
