"""Recording how containers ended, and removing them.

A container is removed only after its exit is recorded in its task's exit marker, so removing
never loses an exit code. Any process can do it (status, cancel, a later launcher): the label
``nemo-run/job-dir`` says where the marker goes, and an exclusive write lets the task's own
marker (or the first recorder) win.
"""

import dataclasses
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from nr_exec.docker.client import ContainerInfo, EngineClient, ExitInfo
from nr_exec.docker.naming import LABEL_JOB_DIR, LABEL_TASK
from nr_exec.docker.settings import task_marker
from nr_exec.docker.status import OOM_ERROR, engine_state
from nr_exec.errors import ExitMarkerError
from nr_exec.marker import ExitMarker, read_exit_marker, signal_summary, write_exit_marker

__all__ = ["finalize", "is_ended", "marker_path", "stop_and_remove", "sweep"]


def marker_path(info: ContainerInfo) -> Path | None:
    """Where the task of ``info`` writes its exit marker; None for a foreign container."""
    job_dir, task = info.labels.get(LABEL_JOB_DIR), info.labels.get(LABEL_TASK, "")
    if not job_dir or not task.isdigit():
        return None
    return Path(job_dir) / task_marker(int(task))


def is_ended(info: ContainerInfo) -> bool:
    """Whether the engine reports the container as ended."""
    return engine_state(info.state) is None


def _read(path: Path) -> ExitMarker | None:
    try:
        return read_exit_marker(path)
    except ExitMarkerError:
        return None


def finalize(client: EngineClient, info: ContainerInfo) -> ExitMarker | None:
    """Record how the ended container ``info`` ended, then remove it.

    Returns:
        The task's exit marker, or None if the container is not finished after all (the
        engine restarts it), vanished, or belongs to a job directory not on this host (left
        alone).
    """
    path = marker_path(info)
    if path is None or not path.parent.is_dir():
        return None
    ended = client.exit_info(info.id)
    if ended is None:
        return _read(path)
    if ended.restarting:
        return None
    marker = _read(path)
    if marker is None:
        error = OOM_ERROR if ended.oom_killed else ended.error or signal_summary(ended.exit_code)
        recorded = ExitMarker.now(
            ended.exit_code,
            started=None,
            writer="launcher",
            error=error,
            retries=ended.restart_count,
        )
        write_exit_marker(path, recorded, exclusive=True)
        marker = _read(path)
    elif marker.retries != ended.restart_count or _oom_unrecorded(marker, ended):
        error = OOM_ERROR if _oom_unrecorded(marker, ended) else marker.error
        marker = dataclasses.replace(marker, retries=ended.restart_count, error=error)
        write_exit_marker(path, marker)
    client.remove(info.id)
    return marker


def _oom_unrecorded(marker: ExitMarker, ended: ExitInfo) -> bool:
    """Whether the task failed, the engine saw the OOM killer, and the marker does not say so.

    A wrapper (``Script``) outlives the command the OOM killer ended and records only the exit
    code; a task that survived an OOM kill of one of its processes succeeded.
    """
    return ended.oom_killed and marker.exit_code != 0 and marker.error != OOM_ERROR


def stop_and_remove(client: EngineClient, infos: Sequence[ContainerInfo], timeout: float) -> None:
    """Stop the containers together (SIGTERM, SIGKILL after ``timeout``), then remove them."""
    if not infos:
        return

    def one(info: ContainerInfo) -> None:
        if not is_ended(info):
            client.stop(info.id, timeout)
        client.remove(info.id)

    with ThreadPoolExecutor(max_workers=min(16, len(infos))) as pool:
        list(pool.map(one, infos))


def sweep(client: EngineClient, infos: Sequence[ContainerInfo]) -> None:
    """Record and remove every ended container in ``infos`` (left by a launcher that died)."""
    for info in infos:
        if is_ended(info):
            finalize(client, info)
