"""Default job names and ids, as NeMo-Run makes them.

A job added without a name is named after its task: ``<module>.<qualname>`` of a ``Partial``'s
target (the launching script's file stem instead of ``__main__``), or a ``Script``'s
``get_name()``. A name already used by a job of the experiment gets the id
``<name>_<number of jobs so far>`` (``train``, ``train_1``, ``train_2``).
"""

import sys
from collections.abc import Collection
from pathlib import Path
from typing import Any

from nr_config import Script

__all__ = ["default_job_name", "repeated_job_id"]

_MAIN = "__main__"


def _main_stem() -> str:
    """The file stem of the launching script, or ``__main__`` when it has no file."""
    path = getattr(sys.modules.get(_MAIN), "__file__", None)
    return Path(path).stem if path else _MAIN


def default_job_name(task: Any) -> str:
    """Name a job after its task, as NeMo-Run does.

    Args:
        task: A ``Partial`` (or ``Config``) or a ``Script``.

    Returns:
        ``Script.get_name()`` for a script; ``<module>.<qualname>`` of the target otherwise,
        with ``__main__`` replaced by the launching script's file stem.
    """
    if isinstance(task, Script):
        return str(task.get_name())
    target = task.__fn_or_cls__
    module = getattr(target, "__module__", None) or _MAIN
    qualname = getattr(target, "__qualname__", None) or getattr(target, "__name__", "task")
    if module == _MAIN:
        module = _main_stem()
    return f"{module}.{qualname}"


def repeated_job_id(name: str, taken: Collection[str], jobs_so_far: int) -> str:
    """The id of a new job named ``name``: the name itself, unless a job already has it.

    Args:
        name: The new job's name.
        taken: The ids of the experiment's jobs.
        jobs_so_far: How many jobs the experiment has.

    Returns:
        ``name`` when free, else ``<name>_<jobs_so_far>`` (NeMo-Run's rule), counting up from
        there should that be taken too.
    """
    if name not in taken:
        return name
    number = max(jobs_so_far, 1)
    while f"{name}_{number}" in taken:
        number += 1
    return f"{name}_{number}"
