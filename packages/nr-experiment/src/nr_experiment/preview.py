"""What a dry run shows: the resolved task (and executor) as a readable table.

The rows are the saved form of the task, the JSON that ``nemorun experiment show --json``
prints as a job's ``tasks``, flattened to one ``path  value`` line per argument.
"""

import sys
from collections.abc import Iterator
from typing import Any

import nr_config
from nr_config import Buildable, Partial, Script, SerializationError
from nr_exec import Executor

from nr_experiment.naming import default_job_name
from nr_experiment.serial import executor_to_record, task_to_record

__all__ = ["dryrun_fn", "flatten_record", "task_table"]


def flatten_record(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Yield ``(path, leaf)`` pairs of nested JSON data (``a.b[0].c``)."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from flatten_record(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from flatten_record(item, f"{prefix}[{index}]")
    else:
        yield prefix, value


def _rows(value: Any, prefix: str) -> list[tuple[str, str]]:
    try:
        record = executor_to_record(value) if isinstance(value, Executor) else task_to_record(value)
    except SerializationError:
        return [(prefix or "task", repr(value))]
    return [(path, repr(leaf)) for path, leaf in flatten_record(record, prefix)]


def task_table(task: Partial[Any] | Script | Buildable[Any], executor: Executor | None) -> str:
    """Render a task and its executor as aligned ``path  value`` lines under a title.

    Args:
        task: The task (a ``Partial``, ``Config`` or ``Script``).
        executor: Where it would run; None for this process.

    Returns:
        The table, ending with a newline.
    """
    rows = _rows(task, "")
    rows += _rows(executor, "executor") if executor is not None else [("executor", "this process")]
    width = max(len(path) for path, _ in rows)
    lines = [f"Dry run for {default_job_name(task)}:"]
    lines += [f"  {path.ljust(width)}  {value}" for path, value in rows]
    return "\n".join(lines) + "\n"


def dryrun_fn(
    configured_task: Partial[Any] | Buildable[Any] | Script,
    executor: Executor | None = None,
    build: bool = False,
) -> None:
    """Print a configured task (and its executor) as a table, without running it.

    NeMo-Run's ``run.dryrun_fn``.

    Args:
        configured_task: A ``Partial`` or ``Config`` (or a ``Script``).
        executor: The executor it would run on, shown under ``executor.``.
        build: Also build the configuration (so a wrong argument fails here); nothing is
            called.

    Raises:
        TypeError: ``configured_task`` is not a configuration or a ``Script``.
        Exception: With ``build``, whatever building raises (a target's own error).
    """
    if not isinstance(configured_task, (Buildable, Script)):
        raise TypeError(
            f"dryrun_fn() takes a run.Partial, run.Config or run.Script, not "
            f"{type(configured_task).__name__}; wrap a function as run.Partial(fn, ...)"
        )
    sys.stdout.write(task_table(configured_task, executor))
    if build and isinstance(configured_task, Buildable):
        nr_config.build(configured_task)
