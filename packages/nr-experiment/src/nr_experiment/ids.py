"""Machine-readable ids: one JSON line per launch, appended to ``$NEMORUN_IDS_FILE``."""

import json
import os
from collections.abc import Iterable
from typing import Any

__all__ = ["IDS_FILE_ENV", "append_ids"]

#: Environment variable naming the file that launches append their ids to.
IDS_FILE_ENV = "NEMORUN_IDS_FILE"


def append_ids(experiment_id: str, path: str, jobs: Iterable[dict[str, Any]]) -> None:
    """Append ``{"experiment_id", "path", "jobs": [{"name", "id", "handle"}]}`` as one line.

    Nothing happens when ``$NEMORUN_IDS_FILE`` is unset or empty. The line is written with
    a single ``write`` on a file opened for appending, so concurrent launchers do not
    interleave their lines.

    Args:
        experiment_id: The experiment's id.
        path: Its directory.
        jobs: One mapping per job.
    """
    target = os.environ.get(IDS_FILE_ENV)
    if not target:
        return
    line = json.dumps({"experiment_id": experiment_id, "path": path, "jobs": list(jobs)}) + "\n"
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)
