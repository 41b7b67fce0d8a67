"""The in-job runner: ``python -m nr_exec.runner <task.json> [--main <main.py>]``.

Loads a task saved as canonical nr-config JSON, builds it and calls the result with no
arguments. When ``$NR_EXEC_EXIT_MARKER`` is set, the runner removes it from its environment (so
nothing it starts writes a marker too) and writes the exit marker there when the call ends,
including when it raises: the exit code is then 1 (130 for ``KeyboardInterrupt``, the code of a
``SystemExit``) and the marker's ``error`` is the exception summary.

A task that cannot be loaded because a module is missing, where ``$NR_EXEC_LAUNCHER_PATH``
(the launching script's directory, set by the local backend when the job's ``sys.path`` lacks
it) holds that module, fails saying so and how to fix it. The runner removes that variable
from its environment too; the job's ``sys.path`` is never changed.

The runner is lean: the launcher validated the task, so it is rebuilt by the direct decoder
(:mod:`nr_config.serialization.direct`) and the marker written by :mod:`nr_exec.marker_writer`.
Neither pydantic nor ``nr_config.validation``, ``argparse``, ``socket``, ``json`` or ``typing``
is imported before the task's own code runs; ``traceback`` only when the task fails.
"""

# pathlib and contextlib would cost every job milliseconds of imports: os and try/except instead.
# ruff: noqa: PTH109, PTH112, PTH113, PTH118, PTH123, SIM105

import os
import sys

from nr_exec.marker_writer import EXIT_MARKER_ENV, host_name, marker_text, utc_now
from nr_exec.marker_writer import write_marker_text as _write_marker_text

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import NoReturn

__all__ = ["LAUNCHER_PATH_ENV", "load_task", "main", "run_task_file"]

#: Environment variable naming the launching script's directory when it is not on the job's
#: ``sys.path`` (only read to explain a missing module).
LAUNCHER_PATH_ENV = "NR_EXEC_LAUNCHER_PATH"

_USAGE = "usage: python -m nr_exec.runner [-h] task [--main MAIN_SCRIPT]"
_HELP = f"""{_USAGE}

Build a saved task and call it.

positional arguments:
  task                file holding the task as nr-config JSON

options:
  -h, --help          show this help message and exit
  --main MAIN_SCRIPT  saved copy of the launching script
"""


def load_task(path: str | os.PathLike[str], *, main_script: str | None = None) -> object:
    """Load the task stored at ``path`` and build it.

    Args:
        path: A file holding the task as nr-config canonical JSON.
        main_script: A saved copy of the launching script, used to resolve ``__main__:...``
            targets.

    Returns:
        What the task builds to (a callable for a ``Partial``).

    Raises:
        OSError: The file cannot be read.
        nr_config.DeserializationError: The file is not a task in canonical JSON, or names
            something that cannot be imported.
    """
    from nr_config.serialization.direct import build_json  # noqa: PLC0415 - keeps nr_exec light
    from nr_config.serialization.refs import register_main_module  # noqa: PLC0415

    if main_script:
        register_main_module(main_script)
    with open(path, encoding="utf-8") as file:
        text = file.read()
    return build_json(text)


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    return exc.code if isinstance(exc.code, int) else 1


def _flush_output() -> None:
    # Output the task buffered reaches the log before the marker says the job has ended.
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            try:
                stream.flush()
            except (OSError, ValueError):
                pass  # a closed or broken stream: nothing more can reach the log


def _print_traceback() -> None:
    import traceback  # noqa: PLC0415 - only a failing task pays for it

    traceback.print_exc()


def _missing_module(exc: BaseException) -> str | None:
    """The module whose absence caused ``exc`` (through its causes and contexts), or None."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 8:
        if isinstance(current, ModuleNotFoundError):
            return current.name
        current = current.__cause__ or current.__context__
        seen += 1
    return None


def _launcher_path_hint(exc: BaseException, launcher_path: str | None) -> str:
    """How to fix a task whose module is in the launching script's directory only, or ""."""
    missing = _missing_module(exc)
    if not missing or not launcher_path:
        return ""
    top = missing.partition(".")[0]
    base = os.path.join(launcher_path, top)
    if not (os.path.isfile(f"{base}.py") or os.path.isdir(base)):
        return ""
    return (
        f"; module {top!r} is in the launching script's directory {launcher_path}, which is "
        f"not on the job's sys.path (the job runs in {os.getcwd()}): launch from "
        f"{launcher_path}, add it to PYTHONPATH, or install the package"
    )


def run_task_file(path: str, *, main_script: str | None = None) -> int:
    """Build and call the task at ``path``, write the exit marker, and return the exit code."""
    marker_path = os.environ.pop(EXIT_MARKER_ENV, None)
    launcher_path = os.environ.pop(LAUNCHER_PATH_ENV, None)
    started = utc_now()
    error: str | None = None
    loaded = False
    try:
        built = load_task(path, main_script=main_script)
        loaded = True
        if not callable(built):
            raise TypeError(f"the task in {path} built a {type(built).__name__}, not a callable")
        built()
        code = 0
    except SystemExit as exc:
        code = _exit_code(exc)
        error = None if code == 0 else f"SystemExit: {exc.code}"
    except KeyboardInterrupt:
        code, error = 130, "KeyboardInterrupt"
    except Exception as exc:  # noqa: BLE001 - any failure of the task is reported, not re-raised
        _print_traceback()
        code, error = 1, f"{type(exc).__name__}: {exc}"
        if not loaded:
            error = f"cannot load the task in {path}: {error}"
            error += _launcher_path_hint(exc, launcher_path)
            print(f"nr_exec.runner: {error}", file=sys.stderr)
    if marker_path:
        _flush_output()
        text = marker_text(
            code, started=started, ended=utc_now(), host=host_name(), writer="runner", error=error
        )
        _write_marker_text(marker_path, text)
    return code


def _parse_args(argv: "Sequence[str]") -> tuple[str, str | None]:
    """Return (task, main script) from the command line; SystemExit(2) on a bad one."""
    task: str | None = None
    main_script: str | None = None
    rest = list(argv)
    while rest:
        arg = rest.pop(0)
        if arg in ("-h", "--help"):
            sys.stdout.write(_HELP)
            raise SystemExit(0)
        if arg == "--main" or arg.startswith("--main="):
            if "=" in arg:
                main_script = arg.partition("=")[2]
            elif rest:
                main_script = rest.pop(0)
            else:
                _usage_error("argument --main: expected one argument")
        elif arg == "--":
            if len(rest) != 1 or task is not None:
                _usage_error(f"expected one task file after --, got {rest!r}")
            task = rest.pop(0)
        elif arg.startswith("-") and arg != "-":
            _usage_error(f"unrecognized argument: {arg}")
        elif task is None:
            task = arg
        else:
            _usage_error(f"unrecognized argument: {arg} (the task file is {task})")
    if task is None:
        _usage_error("the following arguments are required: task")
    return task, main_script


def _usage_error(message: str) -> "NoReturn":
    sys.stderr.write(f"{_USAGE}\npython -m nr_exec.runner: error: {message}\n")
    raise SystemExit(2)


def main(argv: "Sequence[str] | None" = None) -> int:
    """Command-line entry point of the runner."""
    task, main_script = _parse_args(sys.argv[1:] if argv is None else argv)
    return run_task_file(task, main_script=main_script)


if __name__ == "__main__":
    sys.exit(main())
