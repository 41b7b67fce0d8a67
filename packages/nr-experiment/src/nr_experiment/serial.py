"""Tasks, executors and plugins to and from the JSON records kept in ``job.json``."""

import json
from pathlib import Path
from typing import Any

import nr_config
from nr_config import Partial, Script
from nr_exec import Executor

from nr_experiment.errors import ExperimentError
from nr_experiment.plugin import Plugin
from nr_experiment.record_templates import RecordTemplates

__all__ = [
    "executor_from_record",
    "executor_to_record",
    "plugin_to_record",
    "task_from_record",
    "task_to_record",
    "use_main_script",
]

_main_script: list[Path] = []


def use_main_script(path: Path, records: list[Any]) -> None:
    """Resolve ``__main__:...`` targets of ``records`` against a saved launching script.

    The script is loaded (once) only when a record names ``__main__``: loading runs its
    top-level code (not its ``if __name__ == "__main__":`` block).

    Args:
        path: An experiment's saved ``main.py``.
        records: Saved tasks or executors about to be rebuilt.
    """
    text = json.dumps(records)
    if '"__main__:' not in text:
        return
    if _main_script != [path]:
        nr_config.register_main_module(path)
        _main_script[:] = [path]


def _make_record(value: Executor | Script) -> Any:
    return nr_config.to_dict(nr_config.to_config(value))


#: Executors and scripts look alike from job to job (see :mod:`nr_experiment.record_templates`).
_RECORDS = RecordTemplates(_make_record)


def task_to_record(task: Partial[Any] | Script) -> Any:
    """Return a task as canonical nr-config data (a ``Script`` is saved as its ``Config``).

    Raises:
        SerializationError: Part of the task cannot be represented (the error names the path).
    """
    if isinstance(task, Script):
        return _RECORDS.record(task)
    return nr_config.to_dict(task)


def task_from_record(record: Any) -> Partial[Any] | Script:
    """Rebuild a task saved by :func:`task_to_record`."""
    config = nr_config.from_dict(record)
    if isinstance(config, Partial):
        return config
    built = nr_config.build(config)
    if not isinstance(built, Script):
        raise ExperimentError(f"a saved task built a {type(built).__name__}, not a task")
    return built


def executor_to_record(executor: Executor) -> Any:
    """Return an executor as canonical nr-config data."""
    return _RECORDS.record(executor)


def executor_from_record(record: Any) -> Executor:
    """Rebuild an executor saved by :func:`executor_to_record`."""
    built = nr_config.build(nr_config.from_dict(record))
    if not isinstance(built, Executor):
        raise ExperimentError(f"a saved executor built a {type(built).__name__}")
    return built


def plugin_to_record(plugin: Plugin) -> Any:
    """Return a plugin as canonical nr-config data, or its type name when not representable.

    Plugins have already done their work when a job is saved, so an unrepresentable plugin
    is recorded by name only (it is never applied again).
    """
    try:
        return nr_config.to_dict(nr_config.to_config(plugin))
    except nr_config.ConfigError:
        kind = type(plugin)
        return {"unserializable": f"{kind.__module__}:{kind.__qualname__}"}
