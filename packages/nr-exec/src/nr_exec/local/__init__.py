"""Local execution: ``LocalExecutor`` and its backend (jobs as process groups on this machine).

Names are loaded on first access, so the job supervisor (``python -m
nr_exec.local.supervisor``) starts without importing the executor layer.
"""

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nr_exec.local.backend import LocalBackend, LocalRequest
    from nr_exec.local.executor import LocalExecutor
    from nr_exec.local.plan import LocalPlan, LocalTask

_LAZY = {
    "LocalBackend": "nr_exec.local.backend",
    "LocalRequest": "nr_exec.local.backend",
    "LocalExecutor": "nr_exec.local.executor",
    "LocalPlan": "nr_exec.local.plan",
    "LocalTask": "nr_exec.local.plan",
}

__all__ = ["LocalBackend", "LocalExecutor", "LocalPlan", "LocalRequest", "LocalTask"]


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
