"""Where the store lives: ``$NEMORUN_HOME``, resolved at call time."""

import os
from pathlib import Path

__all__ = ["nemorun_home"]

DEFAULT_HOME = "~/.run"


def nemorun_home() -> Path:
    """Return the store root: ``$NEMORUN_HOME`` if set and non-empty, else ``~/.run``.

    The environment is read on every call, never captured at import time, so a later change of
    ``NEMORUN_HOME`` is honoured everywhere.

    Returns:
        The absolute, user-expanded home directory (it may not exist yet).
    """
    return Path(os.environ.get("NEMORUN_HOME") or DEFAULT_HOME).expanduser().absolute()
