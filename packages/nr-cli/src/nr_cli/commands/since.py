"""``logs --since``: which output is newer than a point in time.

Jobs' output carries no times of its own, so two cheap, honest rules decide:

* **The log file's last change.** A job whose log files on this machine (``<job dir>/logs/``:
  local, Docker and direct jobs) were last changed before the point has no newer output:
  none of it is printed (``--follow`` then prints only what comes next).
* **Timestamps at the start of lines.** A line that starts with an ISO 8601 time
  (``2025-01-31T12:00:00``, ``2025-01-31 12:00:00,123``, optionally in ``[...]``, with ``Z``
  or an offset; without one it is local time), as most logging setups write, is printed when
  that time is not before the point. A line without one (a traceback, a continuation) goes
  with the timestamped line before it; lines before the first timestamped line are printed.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from pathlib import Path

__all__ = ["LineFilter", "last_change", "line_time"]

_STAMP = re.compile(
    r"\[?(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:[.,](\d{1,9}))?"
    r"(Z|[+-]\d{2}:?\d{2})?"
)


def line_time(line: str) -> float | None:
    """The time (epoch seconds) a line starts with, or None when it starts with none."""
    match = _STAMP.match(line)
    if match is None:
        return None
    day, clock, fraction, zone = match.groups()
    zone = "+00:00" if zone == "Z" else zone or ""
    if len(zone) == 5:  # +0100: Python 3.10 wants +01:00
        zone = f"{zone[:3]}:{zone[3:]}"
    micro = f".{fraction[:6].ljust(6, '0')}" if fraction else ""
    try:
        return datetime.datetime.fromisoformat(f"{day}T{clock}{micro}{zone}").timestamp()
    except ValueError:  # 2025-13-45: not a time after all
        return None


def last_change(job_dir: Path | str) -> float | None:
    """When the job's log files on this machine last changed (None: it has none here)."""
    logs = Path(job_dir) / "logs"
    try:
        times = [p.stat().st_mtime for p in logs.iterdir() if p.is_file()]
    except OSError:
        return None
    return max(times, default=None)


class LineFilter:
    """Passes on the lines not older than a point in time (see the module's rules).

    Args:
        since: The point, in epoch seconds.
        emit: Receives each line kept.
    """

    def __init__(self, since: float, emit: Callable[[str], object]) -> None:
        self.since = since
        self.emit = emit
        self.current: float | None = None

    def __call__(self, line: str) -> None:
        """Emit `line` unless it is older than the point."""
        stamp = line_time(line)
        if stamp is not None:
            self.current = stamp
        if self.current is None or self.current >= self.since:
            self.emit(line)
