"""Shell and ``#SBATCH`` quoting for generated Slurm scripts.

Every value that reaches a generated script goes through one of these helpers:

* :func:`quote` makes any string one literal POSIX-shell word.
* :func:`command_line` joins an argv into a command line where each argument is literal,
  except for the few shell variables the backend itself defines (``${head_node_ip}``,
  ``${SLURM_NODEID}``, ...; also written ``$head_node_ip``, the form NeMo-Run's
  ``ExecutorMacros`` produce), which stay expandable so that each task of a step sees its own.
* :func:`sbatch_value` renders the value of an ``#SBATCH`` line, which ``sbatch`` parses itself
  (no shell is involved), refusing what it could not read back unchanged.
* :func:`log_path_text` writes literal text into an ``sbatch --output`` path, where Slurm
  expands ``%`` patterns; :func:`log_dir` reads the directory back.
"""

import re
from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath

__all__ = [
    "EXPANDABLE",
    "check_env_name",
    "command_line",
    "export_lines",
    "log_dir",
    "log_path_text",
    "needs_shell",
    "quote",
    "sbatch_value",
]

#: Shell variables the generated script defines or Slurm sets per task; an argument may
#: reference them as ``${NAME}`` and they are expanded inside the task.
EXPANDABLE: frozenset[str] = frozenset(
    {
        "head_node_ip",
        "SLURM_NODEID",
        "SLURM_PROCID",
        "SLURM_LOCALID",
        "SLURM_NNODES",
        "SLURM_NTASKS_PER_NODE",
        "SLURM_JOB_ID",
        "SLURM_ARRAY_TASK_ID",
        "SLURM_RESTART_COUNT",
    }
)
_NAME = r"head_node_ip|het_group_host_\d+|SLURM_[A-Z_]+"
_REFERENCE = re.compile(rf"\$(?:\{{({_NAME})\}}|({_NAME})\b)")
_SAFE_WORD = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SBATCH_PLAIN = re.compile(r"[A-Za-z0-9_@%+=:,./\[\]*!&|()-]+")


def quote(value: str) -> str:
    """Return ``value`` as one literal shell word (single-quoted unless it is plainly safe)."""
    if _SAFE_WORD.fullmatch(value):
        return value
    return "'" + value.replace("'", "'\"'\"'") + "'"


def _is_expandable(name: str) -> bool:
    return name in EXPANDABLE or name.startswith("het_group_host_")


def _referenced(match: "re.Match[str]") -> str:
    return match[1] or match[2]


def _word(arg: str) -> str:
    parts: list[str] = []
    position = 0
    for match in _REFERENCE.finditer(arg):
        name = _referenced(match)
        if not _is_expandable(name):
            continue
        if match.start() > position:
            parts.append(quote(arg[position : match.start()]))
        parts.append(f'"${{{name}}}"')
        position = match.end()
    if position < len(arg) or not parts:
        parts.append(quote(arg[position:]))
    return "".join(parts)


def needs_shell(argv: Iterable[str]) -> bool:
    """Whether an argument references a per-task variable that a shell must expand."""
    return any(_is_expandable(_referenced(m)) for arg in argv for m in _REFERENCE.finditer(arg))


def command_line(argv: Iterable[str]) -> str:
    """Join ``argv`` into a shell command line (literal words; see :data:`EXPANDABLE`)."""
    return " ".join(_word(arg) for arg in argv)


def check_env_name(name: str) -> str:
    """Return ``name`` if it is a valid environment variable name.

    Raises:
        ValueError: It is not (it would otherwise be interpreted by the shell).
    """
    if not _ENV_NAME.fullmatch(name):
        raise ValueError(f"invalid environment variable name: {name!r}")
    return name


def export_lines(env: Mapping[str, str]) -> list[str]:
    """Return one ``export NAME=<quoted value>`` line per variable, sorted by name.

    Values are literal except for references to :data:`EXPANDABLE` variables (as in
    :func:`command_line`).
    """
    return [f"export {check_env_name(k)}={_word(v)}" for k, v in sorted(env.items())]


def sbatch_value(option: str, value: str) -> str:
    """Render the value of ``#SBATCH --<option>=<value>`` so that sbatch reads it unchanged.

    Plain values are written as is; values with spaces or quotes of one kind are wrapped in
    the other kind of quotes. Values sbatch could not read back (newlines, both kinds of
    quotes, backslashes) are refused.

    Raises:
        ValueError: The value cannot be written on an ``#SBATCH`` line.
    """
    if _SBATCH_PLAIN.fullmatch(value):
        return value
    if any(c in value for c in "\n\r\\\0") or ('"' in value and "'" in value):
        raise ValueError(f"sbatch option --{option}: value {value!r} cannot be written safely")
    return f"'{value}'" if '"' in value else f'"{value}"'


def log_path_text(text: str) -> str:
    """Write literal text (a directory, a job name) into an ``sbatch --output`` path.

    Slurm expands ``%x``, ``%j``, ... anywhere in the path, so a literal ``%`` is ``%%``.
    """
    return text.replace("%", "%%")


def log_dir(pattern: str) -> str:
    """The directory of an ``sbatch --output`` path (its patterns are only in the file name)."""
    return str(PurePosixPath(pattern).parent).replace("%%", "%")
