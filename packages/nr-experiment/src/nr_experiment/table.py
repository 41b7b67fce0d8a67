r"""Tables that fit the terminal: columns are shortened or dropped in a fixed priority order.

The run summary and the live view of ``Experiment.run()`` are laid out here, and so are the
tables of the ``nemorun`` app. Three layouts:

* **fit** (the output is a terminal; its width, or ``COLUMNS`` when set): no line is longer
  than the terminal and no token is wrapped. Shortenable columns give up room first, least
  important first, down to their minimum width; when that is not enough the least important
  droppable column is dropped, and so on. Identifiers people copy (job ids, states, exit
  codes) are never shortened. Handles and paths are shortened in the middle
  (``local://vm/nr.1….pair.alpha``): their start and their end (where the job id is) stay.
  Free text (messages) is cut at the end.
* **wide** (``nemorun ... -o wide``): every column, every cell whole.
* **plain** (the output is not a terminal): every column whole as well, one row per line.

In every layout columns are separated by at least two spaces and a cell never holds two
whitespace characters in a row (runs of whitespace, newlines included, become one space), so
``re.split(r"\s{2,}", line)`` reads a row back; an empty cell is ``-``, so every row has as many
cells as the header.
"""

import enum
import os
import re
from collections.abc import Sequence
from typing import NamedTuple, TextIO

__all__ = [
    "ELLIPSIS",
    "EMPTY",
    "Column",
    "Layout",
    "Shorten",
    "fit",
    "render",
    "shorten",
    "terminal_width",
]

ELLIPSIS = "…"
"""What replaces the characters a shortened cell leaves out."""
EMPTY = "-"
"""What an empty cell shows, so that every row has the same number of fields."""
GAP = 2
_WHITESPACE = re.compile(r"\s+")
_DEFAULT_WIDTH = 80


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
    def detect(cls, stream: TextIO) -> "Layout":
        """FIT when ``stream`` is a terminal, else PLAIN."""
        return cls.FIT if _isatty(stream) else cls.PLAIN


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


class Fitted(NamedTuple):
    """A table laid out: the columns kept, their widths, and the cells as shown.

    Attributes:
        kept: Indexes (in the given columns) of the columns shown.
        widths: The width of each column shown.
        header: The header cells shown.
        rows: The cells shown, one tuple per row (each at most its column's width).
    """

    kept: list[int]
    widths: list[int]
    header: list[str]
    rows: list[list[str]]


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def terminal_width(stream: TextIO) -> int:
    """The width of the terminal ``stream`` writes to: ``COLUMNS`` when set (80 if unknown)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        return os.get_terminal_size(stream.fileno()).columns or _DEFAULT_WIDTH
    except (AttributeError, ValueError, OSError):
        return _DEFAULT_WIDTH


def shorten(text: str, width: int, how: Shorten) -> str:
    """``text`` in at most ``width`` characters (unchanged when it fits or ``how`` is NEVER).

    Args:
        text: The cell.
        width: The room there is.
        how: MIDDLE keeps about two fifths of the room for the start and the rest for the end;
            END keeps the start.

    Returns:
        The text, with :data:`ELLIPSIS` where characters were left out.
    """
    if len(text) <= width or how is Shorten.NEVER:
        return text
    if width <= 1:
        return ELLIPSIS[: max(width, 0)]
    if how is Shorten.END:
        return text[: width - 1] + ELLIPSIS
    head = (width - 1) * 2 // 5
    tail = width - 1 - head
    return text[:head] + ELLIPSIS + text[len(text) - tail :]


def _total(widths: Sequence[int]) -> int:
    return sum(widths) + GAP * max(len(widths) - 1, 0)


def _fit_widths(
    columns: Sequence[Column], natural: Sequence[int], width: int
) -> tuple[list[int], list[int]]:
    """The kept column indexes and their widths for a terminal ``width`` columns wide."""
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


def fit(
    columns: Sequence[Column],
    rows: Sequence[Sequence[object]],
    *,
    layout: Layout,
    width: int = _DEFAULT_WIDTH,
) -> Fitted:
    """Choose the columns and their widths, and shorten the cells to them.

    Args:
        columns: The columns, in display order.
        rows: One sequence of cells per row (``None`` and ``""`` show as :data:`EMPTY`).
        layout: See :class:`Layout`.
        width: The terminal width (used by the fit layout only).

    Returns:
        The table as shown.
    """
    cells = [[_cell(c) for c in row] for row in rows]
    natural = [max([len(col.header), *(len(r[i]) for r in cells)]) for i, col in enumerate(columns)]
    if layout is Layout.FIT:
        kept, widths = _fit_widths(columns, natural, width)
    else:
        kept, widths = list(range(len(columns))), natural
    header = [shorten(columns[i].header, w, Shorten.END) for i, w in zip(kept, widths, strict=True)]
    shown = [
        [shorten(row[i], w, columns[i].shorten) for i, w in zip(kept, widths, strict=True)]
        for row in cells
    ]
    return Fitted(kept, widths, header, shown)


def render(
    columns: Sequence[Column],
    rows: Sequence[Sequence[object]],
    *,
    layout: Layout,
    width: int = _DEFAULT_WIDTH,
) -> list[str]:
    """Lay out a table as lines (without newlines): the header line, then one line per row.

    Args:
        columns: The columns, in display order.
        rows: One sequence of cells per row (``None`` and ``""`` show as :data:`EMPTY`).
        layout: See :class:`Layout`.
        width: The terminal width (used by the fit layout only).
    """
    table = fit(columns, rows, layout=layout, width=width)
    return [_line(line, table.widths) for line in (table.header, *table.rows)]


def _cell(value: object) -> str:
    text = "" if value is None else _WHITESPACE.sub(" ", str(value)).strip()
    return text or EMPTY


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    return (" " * GAP).join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
