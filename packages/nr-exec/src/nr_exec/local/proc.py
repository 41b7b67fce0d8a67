"""Liveness of a process identified by pid *and* start time, so a reused pid is not mistaken."""

import os
from pathlib import Path

__all__ = ["is_alive", "start_time"]


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    # The command name (field 2) may contain spaces and parentheses; fields after it are plain.
    return text.rpartition(")")[2].split()


def start_time(pid: int) -> int | None:
    """Return the start time of ``pid`` in clock ticks since boot, or None if it is gone.

    Falls back to 0 for a live process where ``/proc`` is unavailable (no pid-reuse check).
    """
    fields = _stat_fields(pid)
    if fields is not None:
        return None if fields[0] in {"Z", "X"} else int(fields[19])
    if Path("/proc/self/stat").exists():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return 0
    return 0


def is_alive(pid: int, started: int) -> bool:
    """Whether the process ``pid`` that started at ``started`` still runs (zombies do not)."""
    now = start_time(pid)
    return now is not None and now == started
