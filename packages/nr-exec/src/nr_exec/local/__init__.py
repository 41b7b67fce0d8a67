"""Local execution: ``LocalExecutor`` and its backend (jobs as process groups on this machine).

Names are loaded on first access, so the job supervisor (``python -m
nr_exec.local.supervisor``) starts without importing the executor layer.
"""

from nr_exec._lazy import lazy_exports

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
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


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
