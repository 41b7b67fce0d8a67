"""``nemo_run.config``: NeMo-Run's home-directory helpers and config constants, kept for old code.

``set_nemorun_home(path)`` sets ``NEMORUN_HOME`` for this process and the jobs it launches (every
package reads the variable on each call); ``get_nemorun_home()`` returns the home in use. The
config names (``set_value``, ``from_dict``, ``OptionalDefaultConfig``, ...) come from
``nr_config``.
"""

import importlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nr_config import OptionalDefaultConfig, OptionalDefaultPartial, from_dict, set_value

__all__ = [
    "RUNDIR_NAME",
    "RUNDIR_SPECIAL_NAME",
    "SCRIPTS_DIR",
    "USE_WITH_RAY_CLUSTER_KEY",
    "OptionalDefaultConfig",
    "OptionalDefaultPartial",
    "from_dict",
    "get_nemorun_home",
    "get_type_namespace",
    "set_nemorun_home",
    "set_value",
]

#: The directory name a job's code is placed under inside its job directory.
RUNDIR_NAME = "nemo_run"
#: The placeholder NeMo-Run substitutes with the job's run directory in mounts.
RUNDIR_SPECIAL_NAME = "/$nemo_run"
#: The folder of an experiment that holds generated scripts.
SCRIPTS_DIR = "scripts"
#: The key a task's metadata uses to ask for a Ray cluster.
USE_WITH_RAY_CLUSTER_KEY = "use_with_ray_cluster"

_FROM_NR_CONFIG = frozenset(
    {"OptionalDefaultConfig", "OptionalDefaultPartial", "from_dict", "set_value"}
)


def get_nemorun_home() -> str:
    """Return the home directory in use (``$NEMORUN_HOME``, default ``~/.run``), absolute."""
    from nr_exec.paths import nemorun_home  # noqa: PLC0415 - keep ``import nemo_run`` light

    return str(nemorun_home())


def set_nemorun_home(path: str | os.PathLike[str]) -> None:
    """Use ``path`` as the home directory from now on, in this process and the jobs it launches.

    Args:
        path: The new home (``~`` is expanded).
    """
    os.environ["NEMORUN_HOME"] = str(Path(path).expanduser().absolute())


def get_type_namespace(typ: Any) -> str:
    """Return ``"<module>.<qualname>"`` of a class or function (how factories are namespaced).

    Args:
        typ: A class or function.

    Raises:
        TypeError: ``typ`` has no ``__qualname__`` (an instance, not a type or function).
    """
    qualname = getattr(typ, "__qualname__", None)
    if qualname is None:
        raise TypeError(f"get_type_namespace() needs a class or a function, got {typ!r}")
    return f"{typ.__module__}.{qualname}"


def __getattr__(name: str) -> Any:
    if name in _FROM_NR_CONFIG:
        return getattr(importlib.import_module("nr_config"), name)
    raise AttributeError(f"module 'nemo_run.config' has no attribute {name!r}")
