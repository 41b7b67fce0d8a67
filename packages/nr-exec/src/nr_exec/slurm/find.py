"""Finding submitted jobs by the job ids they carry, with one remote command.

A Slurm job's name ends with the spec's job id (``<prefix><experiment id>.<job id>``, see
:func:`~nr_exec.slurm.script.job_name`). Array elements share their array's name
(``<array name>-<k>``), so each array directory lists its elements' job ids
(:data:`~nr_exec.slurm.arrays.JOB_IDS_FILE`). One shell command prints the array entries
holding the wanted ids, then the user's jobs known to ``squeue`` and to ``sacct`` (within a
look-back window) whose names contain a wanted id or one of those array names; the exact
matching happens here, in :func:`parse_find`.
"""

import re
import shlex
from collections.abc import Iterable, Sequence

from nr_exec.jobs import safe_name
from nr_exec.slurm.arrays import ARRAYS_DIR, JOB_IDS_FILE
from nr_exec.slurm.transfer import SUBMIT_LOCK, SUBMIT_LOCK_FD

__all__ = ["SUBMIT_WAIT", "find_command", "findable", "parse_find", "submits_in_flight"]

#: Seconds ``find`` waits for submits still in flight on the cluster before giving up.
SUBMIT_WAIT = 10.0

_SECTION = re.compile(r"^@@(elements|squeue|sacct)(?: (\d+))?$")
_JOB = re.compile(r"(?P<base>\d+)(?P<array>_)?")


def findable(name: str) -> bool:
    """Whether ``name`` can be looked for (one line of text, no blanks)."""
    return bool(name) and not any(c.isspace() for c in name)


_FIND = r"""if [ -d {root} ] && command -v flock >/dev/null 2>&1; then
  exec {fd}>>{root}/{lock} && flock -x -w {wait} {fd} || {{ echo "@@busy"; exit 0; }}
fi
nr_names={names}
nr_el=$(cd {root} 2>/dev/null &&
  printf '%s\n' "$nr_names" | grep -s -H -n -x -F -f - -- {files})
echo "@@elements"; printf '%s\n' "$nr_el"
nr_arrays=$(printf '%s\n' "$nr_el" | sed -n 's|^[^/]*/{arrays}/\([^/]*\)/.*|\1|p' | sort -u)
nr_pat=$(printf '%s\n' "$nr_names" $nr_arrays)
nr_me=$(id -un)
echo "@@squeue"
squeue -h -r -t all -u "$nr_me" -o '%i|%j' 2>/dev/null | grep -F -e "$nr_pat"
nr_out=$(sacct -X -n -P -S now-{days}days -u "$nr_me" -o JobID,JobName 2>&1)
echo "@@sacct $?"; printf '%s\n' "$nr_out" | grep -F -e "$nr_pat"
true"""


def find_command(
    names: Sequence[str], root: str, *, lookback_days: int, wait: float = SUBMIT_WAIT
) -> str:
    """The one remote command printing the array entries and scheduler rows of ``names``.

    It first takes the root's submit lock exclusively (waiting at most ``wait`` seconds):
    every submitting shell holds it shared until its last ``sbatch`` has ended, even when
    the launcher that started it is gone, so a job still on its way is never reported as
    never received. When the lock cannot be had in time it prints ``@@busy`` and nothing else.

    Args:
        names: Job ids (each :func:`findable`).
        root: The remote root (holding the array directories).
        lookback_days: How far back ``sacct`` looks (``-S now-<days>days``).
        wait: Seconds to wait for submits in flight.
    """
    forms = dict.fromkeys([*names, *map(safe_name, names)])
    return _FIND.format(
        names=shlex.quote("\n".join(forms)),
        root=shlex.quote(root),
        files=f"*/{ARRAYS_DIR}/*/{JOB_IDS_FILE}",
        arrays=ARRAYS_DIR,
        days=int(lookback_days),
        fd=SUBMIT_LOCK_FD,
        lock=SUBMIT_LOCK,
        wait=max(int(wait), 1),
    )


def submits_in_flight(output: str) -> bool:
    """Whether :func:`find_command` gave up waiting for submits in flight."""
    return "@@busy" in output.splitlines()


def _sections(output: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = ""
    for line in output.splitlines():
        match = _SECTION.match(line)
        if match:
            current = match[1]
            sections.setdefault(current, [])
            if match[2] is not None:
                sections[f"{current}_rc"] = [match[2]]
        elif current and line.strip():
            sections[current].append(line.strip())
    return sections


def _rows(lines: Iterable[str]) -> list[tuple[str, bool, str]]:
    """``(base job id, is an array, job name)`` of ``JobID|JobName`` lines."""
    rows = []
    for line in lines:
        job_id, _, name = line.partition("|")
        match = _JOB.match(job_id)
        if match and name:
            rows.append((match["base"], match["array"] is not None, name))
    return rows


def parse_find(output: str, names: Sequence[str]) -> dict[str, str]:
    """The Slurm job id of each name found in :func:`find_command` output.

    A name matches a job whose Slurm name is the name (or its path-safe form) or ends with
    it; an array element (``<array job id>_<index>``) matches through its array's job-id
    list. When several jobs match one name, an exact match wins, then the latest submission.
    """
    sections = _sections(output)
    scheduler = sections.get("squeue", [])
    if sections.get("sacct_rc") == ["0"]:
        scheduler += sections.get("sacct", [])
    rows = _rows(scheduler)
    elements: dict[str, list[tuple[str, int]]] = {}
    for line in sections.get("elements", []):
        path, _, rest = line.partition(":")
        number, _, job_id = rest.partition(":")
        parts = path.split("/")
        if len(parts) == 4 and number.isdigit():
            elements.setdefault(job_id, []).append((parts[2], int(number) - 1))
    found: dict[str, str] = {}
    for name in names:
        # (exact match, Slurm job id as a number, handle's job id): the largest wins.
        candidates = [
            (True, int(base), f"{base}_{index}")
            for array_name, index in elements.get(name, [])
            for base, is_array, row_name in rows
            if is_array and row_name == array_name
        ]
        forms = {name, safe_name(name)}
        candidates += [
            (row_name in forms, int(base), base)
            for base, _, row_name in rows
            if any(row_name.endswith(form) for form in forms)
        ]
        if candidates:
            found[name] = max(candidates)[2]
    return found
