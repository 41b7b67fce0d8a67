"""Building shell command lines safely.

A command given as a sequence of arguments is quoted with `shlex.join`, so names containing
spaces, quotes, ``$``, ``;`` or newlines reach the program unchanged. A command given as a string
is a shell command and is passed as it is.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence

__all__ = [
    "build_command",
    "shown_command",
    "to_shell",
]

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def to_shell(command: str | Sequence[str]) -> str:
    """Return ``command`` as one shell command line.

    Args:
        command: A shell command line (returned unchanged) or an argument vector (quoted).

    Returns:
        The command line.

    Raises:
        ValueError: An empty argument vector.
    """
    if isinstance(command, str):
        return command
    args = list(command)
    if not args:
        raise ValueError("empty command")
    return shlex.join(args)


def build_command(
    command: str | Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    pre_command: str | None = None,
) -> str:
    r"""Return the full shell script for ``command`` with its prefix, directory and environment.

    The script is ``<pre_command> && cd <cwd> && export K=V && { <command>\n}``; the braces and
    the newline keep a multi-line command or a trailing comment inside the group, so the prefix
    guards every line of it.

    Args:
        command: A shell command line or an argument vector.
        env: Environment variables to export first; values are quoted.
        cwd: Directory to run in.
        pre_command: A shell command to run first (e.g. ``module load x``); the command runs only
            if it succeeds.

    Returns:
        The script, for a POSIX shell.

    Raises:
        ValueError: An environment variable name that is not a valid shell name.
    """
    line = to_shell(command)
    prefix: list[str] = []
    if pre_command:
        prefix.append(pre_command)
    if cwd:
        prefix.append(f"cd -- {shlex.quote(cwd)}")
    for name, value in (env or {}).items():
        if not _ENV_NAME.match(name):
            raise ValueError(f"invalid environment variable name: {name!r}")
        prefix.append(f"export {name}={shlex.quote(value)}")
    if not prefix:
        return line
    return " && ".join([*prefix, f"{{ {line}\n}}"])


def shown_command(
    command: str | Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    pre_command: str | None = None,
) -> str:
    """Return `build_command`'s script with every environment value masked, for messages.

    Environment values often carry tokens; results and errors show this form, never the values.
    """
    masked = dict.fromkeys(env or {}, "***")
    return build_command(command, env=masked, cwd=cwd, pre_command=pre_command)
