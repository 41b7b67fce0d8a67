"""NeMo-Run's ``nemo_run.core`` import paths, kept for users' existing code.

``nemo_run.core.execution``, ``nemo_run.core.packaging`` and ``nemo_run.core.tunnel`` re-export the
classes ``import nemo_run as run`` offers; ``run.core.execution.FaultTolerance`` works without an
explicit import. Prefer ``run.FaultTolerance`` in new code.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nemo_run.core import execution, packaging, tunnel

_SUBMODULES = frozenset({"execution", "packaging", "tunnel"})

__all__ = ["execution", "packaging", "tunnel"]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"nemo_run.core.{name}")
    raise AttributeError(f"module 'nemo_run.core' has no attribute {name!r}")
