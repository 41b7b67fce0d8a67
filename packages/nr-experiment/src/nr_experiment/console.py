"""Human-readable output: status tables and the closing message (rich, imported lazily).

Everything here writes to stderr, so stdout stays free for artifacts (``dryrun``) and for
the caller's own output.
"""

from collections.abc import Mapping
from typing import Any

__all__ = ["closing_message", "echo", "print_status"]


def echo(text: str) -> None:
    """Print one line of progress to stderr."""
    from rich.console import Console  # noqa: PLC0415 - rich only when printing

    Console(stderr=True, highlight=False, soft_wrap=True).print(text, markup=False)


def print_status(experiment_id: str, rows: Mapping[str, Mapping[str, Any]]) -> None:
    """Print the status table of an experiment.

    Args:
        experiment_id: The experiment's id.
        rows: ``status(return_dict=True)`` output.
    """
    from rich.console import Console  # noqa: PLC0415 - rich only when printing
    from rich.table import Table  # noqa: PLC0415

    table = Table(title=f"Experiment {experiment_id}", title_justify="left")
    for column in ("#", "job", "state", "exit", "retries", "executor", "handle", "directory"):
        table.add_column(column, overflow="fold")
    for index, (job_id, row) in enumerate(rows.items()):
        code = row.get("exit_code")
        state = str(row["status"])
        if row.get("reason"):
            state += f" [{row['reason']}]"
        if row.get("message"):
            state += f" ({row['message']})"
        table.add_row(
            str(index),
            job_id,
            state,
            "" if code is None else str(code),
            str(row.get("retries") or ""),
            str(row.get("executor", "")),
            str(row.get("handle", "")),
            str(row.get("local_dir", "")),
        )
    Console(stderr=True, soft_wrap=False).print(table)


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
