"""Container names, labels and engine names.

Names are ``nr-<job id>-<task>-<random>``: unique under concurrency (a fresh random part every
time, never reused), so parallel launches never clash. Labels, not names, find a job's
containers.
"""

import re
import secrets
import socket
from urllib.parse import urlsplit

__all__ = [
    "DEFAULT_ENGINE_URL",
    "LABEL_EXPERIMENT",
    "LABEL_JOB",
    "LABEL_JOB_DIR",
    "LABEL_MANAGED",
    "LABEL_NAME",
    "LABEL_TASK",
    "LABEL_TASKS",
    "MANAGED_FILTER",
    "container_name",
    "engine_name",
    "is_path_safe",
    "job_filter",
    "labels",
]

LABEL_MANAGED = "nemo-run/managed"
LABEL_EXPERIMENT = "nemo-run/experiment-id"
LABEL_JOB = "nemo-run/job-id"
LABEL_TASK = "nemo-run/task"
LABEL_TASKS = "nemo-run/tasks"
LABEL_NAME = "nemo-run/name"
LABEL_JOB_DIR = "nemo-run/job-dir"
#: Label filter selecting every container this backend manages.
MANAGED_FILTER = f"{LABEL_MANAGED}=1"
#: The engine used when neither the executor nor ``$DOCKER_HOST`` names one.
DEFAULT_ENGINE_URL = "unix:///var/run/docker.sock"

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_MAX_ID = 80
_DEFAULT_SOCKETS = frozenset({"/var/run/docker.sock", "/run/docker.sock"})


def container_name(job_id: str, task: int) -> str:
    """A fresh container name for task ``task`` of job ``job_id``."""
    safe = _UNSAFE.sub("-", job_id).strip("-._")[:_MAX_ID] or "job"
    return f"nr-{safe}-{task}-{secrets.token_hex(4)}"


def labels(
    *, job_id: str, experiment_id: str | None, task: int, tasks: int, name: str, host_job_dir: str
) -> dict[str, str]:
    """The labels of one container of a job."""
    return {
        LABEL_MANAGED: "1",
        LABEL_EXPERIMENT: experiment_id or "",
        LABEL_JOB: job_id,
        LABEL_TASK: str(task),
        LABEL_TASKS: str(tasks),
        LABEL_NAME: name,
        LABEL_JOB_DIR: host_job_dir,
    }


def is_path_safe(job_id: str) -> bool:
    """Whether ``job_id`` can name one directory of the job root (no ``/``, not ``.``/``..``)."""
    return "/" not in job_id and job_id not in {"", ".", ".."}


def job_filter(job_id: str) -> str:
    """Label filter selecting the containers of one job."""
    return f"{LABEL_JOB}={job_id}"


def engine_name(url: str) -> str:
    """The cluster part of handles for the engine at ``url`` (as configured, not the SDK's).

    ``<host>`` for the default local socket, ``<host>:<socket name>`` for another local socket
    (``myhost:podman``), ``<host>:<port>`` for a TCP or SSH engine.
    """
    parts = urlsplit(url)
    if parts.scheme in ("unix", "http+unix", "npipe", ""):
        path = parts.path or parts.netloc
        host = socket.gethostname()
        if path in _DEFAULT_SOCKETS:
            return host
        stem = path.rstrip("/").rsplit("/", 1)[-1].removesuffix(".sock") or "engine"
        return f"{host}:{stem}"
    return parts.netloc.replace("/", "_") or url.replace("/", "_")
