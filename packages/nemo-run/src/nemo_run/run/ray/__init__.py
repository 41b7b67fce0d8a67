"""``nemo_run.run.ray``: ``RayCluster`` and ``RayJob`` under NeMo-Run's import path.

Until nr-ray provides them, both names are placeholders that raise
:class:`~nemo_run.errors.NotAvailableYetError` saying so.
"""

from typing import Any

from nemo_run.pending import resolve_pending

__all__ = ["RayCluster", "RayJob"]

RayCluster: Any = resolve_pending("RayCluster")
RayJob: Any = resolve_pending("RayJob")
