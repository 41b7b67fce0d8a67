"""Small file-system helpers shared by the backends: staged files and the job index."""

from collections.abc import Iterable
from pathlib import Path

from nr_exec.errors import BackendError
from nr_exec.spec import StagedFile

__all__ = ["index_job_dir", "write_staged_files"]


def write_staged_files(files: Iterable[StagedFile]) -> None:
    """Write each file (creating its directory), making the executable ones ``0o755``."""
    for item in files:
        path = Path(item.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(item.content, encoding="utf-8")
        if item.executable:
            path.chmod(0o755)


def index_job_dir(root: Path, job_id: str, job_dir: Path) -> None:
    """Make ``root/<job_id>`` lead to ``job_dir``: a symlink, unless it is that directory.

    Indexing the same job directory again does nothing.

    Raises:
        BackendError: ``root`` already indexes another directory under ``job_id``.
    """
    entry = root / job_id
    if entry == job_dir:
        return
    target = job_dir.absolute()
    try:
        try:
            entry.symlink_to(target, target_is_directory=True)
        except FileNotFoundError:  # the first job indexed under root: make it
            root.mkdir(parents=True, exist_ok=True)
            entry.symlink_to(target, target_is_directory=True)
    except FileExistsError:
        if entry.resolve() != job_dir.resolve():
            raise BackendError(f"job id {job_id!r} is already used in {root}") from None
