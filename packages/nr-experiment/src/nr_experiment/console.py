r"""Human-readable output: the run summary table and the closing message, as plain text.

What is printed here goes to stderr, so stdout stays free for artifacts (``dryrun``) and for
the caller's own output. The summary's lines (:func:`format_status`) are also what
``nemorun experiment status`` prints on stdout, laid out by :mod:`nr_experiment.table` (not
by rich: rich spent ~5 ms per row laying out a 1,000-job table, this takes microseconds):

* on a terminal it fits the terminal's width (``COLUMNS`` honoured): columns give up room,
  then are dropped, least important first: ``DIR`` is left out, then ``MESSAGE`` is cut and
  dropped, then ``RETRIES``, ``EXECUTOR``, ``HANDLE`` (shortened in the middle first),
  ``REASON`` and ``EXIT``; ``JOB`` (shortened in the middle) and ``STATUS`` always stay. The
  message of a job that failed, when the table cut it, follows the table, wrapped at spaces.
* piped, every column is printed whole, one row per line, columns separated by two spaces
  or more and ``-`` in empty cells (``re.split(r"\s{2,}", line)`` reads a row back).

The closing message says how to reconnect, each command whole on one line; on a terminal
narrower than its first line, the experiment's path goes on a line of its own.
"""

import sys
import textwrap
from collections.abc import Mapping
from typing import Any

from nr_experiment.table import Column, Layout, Shorten, render, terminal_width

__all__ = [
    "STATUS_COLUMNS",
    "closing_message",
    "echo",
    "format_closing",
    "format_status",
    "print_status",
]

STATUS_COLUMNS = (
    Column("JOB", shorten=Shorten.MIDDLE, min_width=16),
    Column("STATUS"),
    Column("REASON", priority=6),
    Column("RETRIES", priority=2),
    Column("EXIT", priority=7),
    Column("EXECUTOR", priority=3, shorten=Shorten.END, min_width=14),
    Column("HANDLE", priority=5, shorten=Shorten.MIDDLE, min_width=28),
    Column("DIR", wide_only=True),
    Column("MESSAGE", priority=1, shorten=Shorten.END, min_width=12),
)
"""The summary's columns, in display order (see the module documentation)."""

_FAILED = frozenset({"FAILED", "CANCELLED", "UNKNOWN"})


def echo(text: str) -> None:
    """Print one line of progress to stderr."""
    sys.stderr.write(f"{text}\n")
    sys.stderr.flush()


def format_status(
    experiment_id: str,
    rows: Mapping[str, Mapping[str, Any]],
    *,
    layout: Layout,
    width: int = 80,
) -> list[str]:
    """The summary of an experiment as lines: its id, the table, then cut failure messages.

    Args:
        experiment_id: The experiment's id.
        rows: ``status(return_dict=True)`` output.
        layout: ``Layout.FIT`` for a terminal ``width`` columns wide, ``Layout.PLAIN`` when
            piped, ``Layout.WIDE`` for every column whole.
        width: The terminal's width (the fit layout only).
    """
    cells = [
        (job_id, row["status"], row.get("reason"), row.get("retries"), row.get("exit_code"),
         row.get("executor"), row.get("handle"), row.get("local_dir"), row.get("message"))
        for job_id, row in rows.items()
    ]  # fmt: skip
    table = render(STATUS_COLUMNS, cells, layout=layout, width=width)
    lines = [f"Experiment {experiment_id}", *table]
    if layout is not Layout.FIT:
        return lines
    for (job_id, row), line in zip(rows.items(), table[1:], strict=True):
        message = " ".join(str(row.get("message") or "").split())
        if message and row["status"] in _FAILED and not line.endswith(message):
            wrapped = textwrap.fill(
                message, width, initial_indent=f"  {job_id}: ", subsequent_indent="    ",
                break_long_words=False, break_on_hyphens=False,
            )  # fmt: skip
            lines.append(wrapped)
    return lines


def print_status(experiment_id: str, rows: Mapping[str, Mapping[str, Any]]) -> None:
    """Print the summary of an experiment to stderr (see the module documentation).

    Args:
        experiment_id: The experiment's id.
        rows: ``status(return_dict=True)`` output.
    """
    layout = Layout.detect(sys.stderr)
    width = terminal_width(sys.stderr) if layout is Layout.FIT else 80
    echo("\n".join(format_status(experiment_id, rows, layout=layout, width=width)))


def format_closing(experiment_id: str, path: str, *, width: int | None = None) -> list[str]:
    """How to reconnect to an experiment from Python and from the command line, as lines.

    Every command stays whole on one line, to be copied. With a terminal ``width``, a first
    line longer than the terminal is broken in two: the path goes on a line of its own.

    Args:
        experiment_id: The experiment's id.
        path: Its directory in the store.
        width: The terminal's width; None when the output is not a terminal (one line each).
    """
    first = f"Experiment {experiment_id} (metadata in {path})"
    if width is not None and len(first) > width:
        head = [f"Experiment {experiment_id}, metadata in:", f"    {path}"]
    else:
        head = [first]
    return [
        *head,
        "Reconnect from Python:",
        "    import nemo_run as run",
        f'    exp = run.Experiment.from_id("{experiment_id}")',
        "    exp.status(); exp.logs(0); exp.cancel()",
        "Or from the command line:",
        f"    nemorun experiment status {experiment_id}",
        f"    nemorun experiment logs {experiment_id} 0",
        f"    nemorun experiment cancel {experiment_id} --all",
    ]


def closing_message(experiment_id: str, path: str) -> None:
    """Print how to reconnect to an experiment (see :func:`format_closing`) to stderr.

    Args:
        experiment_id: The experiment's id.
        path: Its directory in the store.
    """
    width = terminal_width(sys.stderr) if Layout.detect(sys.stderr) is Layout.FIT else None
    echo("\n".join(format_closing(experiment_id, path, width=width)))
