"""Where things live: the home directory, resolved one way for every package."""

import os
from pathlib import Path

from nr_exec.constants import EnvVar

__all__ = ["DEFAULT_HOME", "nemorun_home"]

#: The store root when ``NEMORUN_HOME`` is unset or empty.
DEFAULT_HOME = "~/.run"


def nemorun_home() -> Path:
    """Return ``$NEMORUN_HOME`` (default ``~/.run``), user-expanded and absolute.

    The environment is read on every call, never captured at import time, so a later change
    of ``NEMORUN_HOME`` is honoured everywhere; ``NEMORUN_HOME='~/x'`` means ``$HOME/x`` for
    the store, the backends and the CLI alike.

    Returns:
        The absolute home directory (it may not exist yet).
    """
    return Path(os.environ.get(EnvVar.HOME.value) or DEFAULT_HOME).expanduser().absolute()
