"""Human-readable output: status tables and the closing message, as plain text.

Everything here writes to stderr, so stdout stays free for artifacts (``dryrun``) and for
the caller's own output. The status table is laid out here (one line per job, each column
as wide as its longest cell, nothing folded), not by rich: rich spent ~5 ms per row laying
out a 1,000-job table, this takes microseconds.
"""

import sys
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["closing_message", "echo", "format_table", "print_status"]

_COLUMNS = ("#", "job", "state", "exit", "retries", "executor", "handle", "directory")


def echo(text: str) -> None:
    """Print one line of progress to stderr."""
    sys.stderr.write(f"{text}\n")
    sys.stderr.flush()


def _cells(index: int, job_id: str, row: Mapping[str, Any]) -> tuple[str, ...]:
    code = row.get("exit_code")
    state = str(row["status"])
    if row.get("reason"):
        state += f" [{row['reason']}]"
    if row.get("message"):
        state += f" ({row['message']})"
    values = (
        str(index),
        job_id,
        state,
        "" if code is None else str(code),
        str(row.get("retries") or ""),
        str(row.get("executor", "")),
        str(row.get("handle", "")),
        str(row.get("local_dir", "")),
    )
    return tuple(" ".join(value.split("\n")) for value in values)


def format_table(title: str, rows: Sequence[Sequence[str]]) -> str:
    """Lay out ``rows`` under :data:`_COLUMNS` in a box-drawn table titled ``title``."""
    widths = [max([len(name), *(len(row[i]) for row in rows)]) for i, name in enumerate(_COLUMNS)]

    def rule(left: str, fill: str, joint: str, right: str) -> str:
        return left + joint.join(fill * (width + 2) for width in widths) + right

    def line(values: Sequence[str], edge: str) -> str:
        cells = (f" {value.ljust(width)} " for value, width in zip(values, widths, strict=True))
        return edge + edge.join(cells) + edge

    return "\n".join(
        [
            title,
            rule("┏", "━", "┳", "┓"),
            line(_COLUMNS, "┃"),
            rule("┡", "━", "╇", "┩"),
            *(line(row, "│") for row in rows),
            rule("└", "─", "┴", "┘"),
        ]
    )


def print_status(experiment_id: str, rows: Mapping[str, Mapping[str, Any]]) -> None:
    """Print the status table of an experiment.

    Args:
        experiment_id: The experiment's id.
        rows: ``status(return_dict=True)`` output.
    """
    cells = [_cells(index, job_id, row) for index, (job_id, row) in enumerate(rows.items())]
    echo(format_table(f"Experiment {experiment_id}", cells))


def closing_message(experiment_id: str, path: str) -> None:
    """Print how to reconnect to an experiment from Python and from the command line.

    Args:
        experiment_id: The experiment's id.
        path: Its directory in the store.
    """
    lines = [
        f"Experiment {experiment_id} (metadata in {path})",
        "Reconnect from Python:",
        "    import nemo_run as run",
        f'    exp = run.Experiment.from_id("{experiment_id}")',
        "    exp.status(); exp.logs(0); exp.cancel()",
        "Or from the command line:",
        f"    nemorun experiment status {experiment_id}",
        f"    nemorun experiment logs {experiment_id} 0",
        f"    nemorun experiment cancel {experiment_id} --all",
    ]
    echo("\n".join(lines))
