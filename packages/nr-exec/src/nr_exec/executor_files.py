"""``import_executor``: executors defined once in a Python file and fetched by name."""

import difflib
import runpy
from pathlib import Path
from typing import Any

from nr_exec.errors import ExecutorFileError
from nr_exec.paths import nemorun_home

__all__ = ["EXECUTORS_FILE", "import_executor"]

#: The default executors file, in ``$NEMORUN_HOME``.
EXECUTORS_FILE = "executors.py"


def import_executor(
    name: str, file_path: str | Path | None = None, call: bool = True, **kwargs: Any
) -> Any:
    """Run an executors file and return the executor it defines as ``name``.

    Like an SSH config for executors: a file defines executors (or functions returning
    them), and scripts fetch them by name. When the value is callable and ``call`` is true,
    it is called with ``kwargs`` and the result is returned.

    Args:
        name: Name defined in the file.
        file_path: The file (default ``$NEMORUN_HOME/executors.py``).
        call: Call a callable value (NeMo-Run ignores this flag and always calls).
        **kwargs: Arguments of the call.

    Raises:
        ExecutorFileError: The file does not exist, or defines no ``name`` (the message
            suggests the closest names it defines).
    """
    path = Path(file_path) if file_path is not None else nemorun_home() / EXECUTORS_FILE
    if not path.is_file():
        raise ExecutorFileError(
            f"import_executor({name!r}): no executors file at {path}; write one defining "
            f"{name!r}, or pass file_path="
        )
    namespace = runpy.run_path(str(path), run_name="__nemo_run_executors__")
    if name not in namespace:
        defined = sorted(k for k in namespace if not k.startswith("_"))
        close = difflib.get_close_matches(name, defined, n=3, cutoff=0.6)
        hint = (
            f"did you mean {' or '.join(map(repr, close))}?" if close else f"it defines {defined}"
        )
        raise ExecutorFileError(f"import_executor: {path} defines no {name!r}; {hint}")
    value = namespace[name]
    if call and callable(value):
        return value(**kwargs)
    return value
