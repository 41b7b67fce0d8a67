"""Job model, executors, launchers, backends and the in-job runner."""

from nr_exec.__about__ import __version__
from nr_exec.errors import ExecError

__all__ = ["ExecError", "__version__"]
