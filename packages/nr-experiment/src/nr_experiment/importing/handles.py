"""NeMo-Run's handles as ours, where one of our backends can still ask about the job.

NeMo-Run records a TorchX handle per job, ``<scheduler>://nemo_run/<app id>``. A Slurm job
(``slurm_tunnel``) is a Slurm job id that our Slurm backend queries like its own, through the
tunnel of the job's executor; it becomes ``slurm://<cluster>/<job id>`` with that backend's
connection data, so ``status`` follows it. The local and Docker schedulers' app ids name
processes and containers only NeMo-Run's own schedulers track: those jobs keep the state
NeMo-Run last recorded.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import nr_config
from nr_exec import BackendContext, Executor, create_backend

__all__ = ["slurm_handle"]

_SLURM_JOB_ID = re.compile(r"[0-9]+(_[0-9]+)?")


def slurm_handle(
    nemo_run_handle: str, executor: Any, home: Path
) -> tuple[str, dict[str, Any]] | None:
    """Our handle and backend reference for a NeMo-Run Slurm handle, when it can be followed.

    Builds the translated executor (one of our classes; no user code) to learn its tunnel.

    Args:
        nemo_run_handle: NeMo-Run's handle (``slurm_tunnel://nemo_run/<job id>``).
        executor: The job's executor as canonical data.
        home: The store's home (the backend's context).

    Returns:
        ``(handle, {"scheme", "connection"})``, or None when it is not a Slurm job our
        Slurm backend can reach.
    """
    scheme, _, rest = nemo_run_handle.partition("://")
    job_id = rest.rpartition("/")[2]
    if scheme != "slurm_tunnel" or not _SLURM_JOB_ID.fullmatch(job_id):
        return None
    try:
        built = nr_config.build(nr_config.from_dict(executor))
    except (nr_config.ConfigError, TypeError, ValueError):
        return None
    if not isinstance(built, Executor) or built.backend_scheme != "slurm":
        return None
    connection = built.connection()
    context = BackendContext(home=home, job_root=home / "jobs").with_connection(connection)
    backend = create_backend("slurm", "", context=context)
    try:
        cluster = backend.cluster
    finally:
        backend.close()
    return f"slurm://{cluster}/{job_id}", {"scheme": "slurm", "connection": connection}
