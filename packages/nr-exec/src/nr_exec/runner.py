"""The in-job runner: ``python -m nr_exec.runner <task.json> [--main <main.py>]``.

Loads a task saved as canonical nr-config JSON, builds it and calls the result with no
arguments. When ``$NR_EXEC_EXIT_MARKER`` is set, the runner removes it from its environment (so
nothing it starts writes a marker too) and writes the exit marker there when the call ends,
including when it raises: the exit code is then 1 (130 for ``KeyboardInterrupt``, the code of a
``SystemExit``) and the marker's ``error`` is the exception summary.
"""

import argparse
import contextlib
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from nr_exec.marker import EXIT_MARKER_ENV, ExitMarker, utc_now, write_exit_marker

__all__ = ["load_task", "main", "run_task_file"]


def load_task(path: str | os.PathLike[str], *, main_script: str | None = None) -> object:
    """Load the task stored at ``path`` and build it.

    Args:
        path: A file holding the task as nr-config canonical JSON.
        main_script: A saved copy of the launching script, used to resolve ``__main__:...``
            targets.

    Returns:
        What the task builds to (a callable for a ``Partial``).
    """
    import nr_config  # noqa: PLC0415 - keeps ``import nr_exec`` light

    if main_script:
        nr_config.register_main_module(Path(main_script))
    task = nr_config.loads_json(Path(path).read_text(encoding="utf-8"))
    return nr_config.build(task)


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    return exc.code if isinstance(exc.code, int) else 1


def _flush_output() -> None:
    # Output the task buffered reaches the log before the marker says the job has ended.
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            with contextlib.suppress(OSError, ValueError):
                stream.flush()


def run_task_file(path: str, *, main_script: str | None = None) -> int:
    """Build and call the task at ``path``, write the exit marker, and return the exit code."""
    marker_path = os.environ.pop(EXIT_MARKER_ENV, None)
    started = utc_now()
    error: str | None = None
    try:
        built = load_task(path, main_script=main_script)
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
        traceback.print_exc()
        code, error = 1, f"{type(exc).__name__}: {exc}"
    if marker_path:
        _flush_output()
        marker = ExitMarker.now(code, started=started, writer="runner", error=error)
        write_exit_marker(marker_path, marker)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point of the runner."""
    parser = argparse.ArgumentParser(
        prog="python -m nr_exec.runner", description="Build a saved task and call it."
    )
    parser.add_argument("task", help="file holding the task as nr-config JSON")
    parser.add_argument("--main", dest="main_script", help="saved copy of the launching script")
    args = parser.parse_args(argv)
    return run_task_file(args.task, main_script=args.main_script)


if __name__ == "__main__":
    sys.exit(main())
