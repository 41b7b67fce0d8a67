"""Every environment variable the project reads or sets, named once.

The prefix policy: variables a user sets start with ``NEMORUN_``; variables the project sets
inside a job for its own processes start with ``NR_EXEC_``. Names kept for compatibility with
NeMo-Run or other tools (``INCLUDE_WORKSPACE_FILE``, ``DOCKER_HOST``, ``MASTER_ADDR``) keep
their established spelling.
"""

import enum

__all__ = ["EnvVar"]


class EnvVar(str, enum.Enum):
    """The environment variables of nemo-run, with what each one means.

    Read by the user's side:
        HOME: ``NEMORUN_HOME``, the store root (default ``~/.run``).
        IDS_FILE: ``NEMORUN_IDS_FILE``, a file receiving the ids of launched experiments.
        PACKAGE_CACHE: ``NR_PACKAGE_CACHE``, the code-archive cache directory (read by
            nr-package, which stands alone and names it itself; a test keeps both equal).
        INCLUDE_WORKSPACE_FILE: Whether ``nemorun`` loads the workspace file.
        DOCKER_HOST: The Docker engine used when an executor names none.
        XDG_CACHE_HOME: The base of the default code-archive cache (read by nr-package).
        PATH: Extended with the launching interpreter's directory for local jobs.
        LAZY_CLI: ``LAZY_CLI=true`` makes ``run.cli.main`` record its entrypoint instead of
            running it (NeMo-Run's lazy mode; read by nr-cli).
        LOCAL_MAX_RUNNING: ``NEMORUN_LOCAL_MAX_RUNNING``, how many local jobs an attached
            experiment run keeps running at once (``0``: no bound).
        LOCAL_FORK_SERVER: ``NEMORUN_LOCAL_FORK_SERVER``, whether local Partial jobs are forked
            by a preloaded fork server (``1``) or spawned as fresh interpreters (``0``).
        COLUMNS: The width an attached run's console fits its tables to (else the terminal's).
        TERM: ``TERM=dumb`` turns an attached run's live table off (one line per change).

    Set inside a job:
        JOB_ID: ``NR_EXEC_JOB_ID``, the backend job id of the running job.
        JOB_DIR: ``NR_EXEC_JOB_DIR``, the job directory as the job sees it.
        EXIT_MARKER: ``NR_EXEC_EXIT_MARKER``, the marker the outermost in-job process writes.
        LAUNCHER_PATH: ``NR_EXEC_LAUNCHER_PATH``, the launching script's directory, given to a
            local Partial job whose ``sys.path`` lacks it; the runner only names it when the
            task's module is missing there.

    Read inside a job (set by launchers and schedulers):
        MASTER_ADDR, MASTER_PORT, NODE_RANK, SLURM_NODEID, WORLD_SIZE: rendezvous and ranks.
    """

    HOME = "NEMORUN_HOME"
    IDS_FILE = "NEMORUN_IDS_FILE"
    PACKAGE_CACHE = "NR_PACKAGE_CACHE"
    INCLUDE_WORKSPACE_FILE = "INCLUDE_WORKSPACE_FILE"
    DOCKER_HOST = "DOCKER_HOST"
    XDG_CACHE_HOME = "XDG_CACHE_HOME"
    PATH = "PATH"
    LAZY_CLI = "LAZY_CLI"
    LOCAL_MAX_RUNNING = "NEMORUN_LOCAL_MAX_RUNNING"
    LOCAL_FORK_SERVER = "NEMORUN_LOCAL_FORK_SERVER"
    COLUMNS = "COLUMNS"
    TERM = "TERM"
    JOB_ID = "NR_EXEC_JOB_ID"
    JOB_DIR = "NR_EXEC_JOB_DIR"
    EXIT_MARKER = "NR_EXEC_EXIT_MARKER"
    LAUNCHER_PATH = "NR_EXEC_LAUNCHER_PATH"
    MASTER_ADDR = "MASTER_ADDR"
    MASTER_PORT = "MASTER_PORT"
    NODE_RANK = "NODE_RANK"
    SLURM_NODEID = "SLURM_NODEID"
    WORLD_SIZE = "WORLD_SIZE"

    def __str__(self) -> str:
        return self.value
