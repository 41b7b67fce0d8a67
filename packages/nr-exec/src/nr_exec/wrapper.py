"""The POSIX-sh wrapper that records a command's exit in an exit marker.

Used around ``Script`` tasks and around launcher commands (torchrun and friends), where no
in-job Python runner is the outermost process. The wrapper is passed inline
(``sh -c <wrapper> nr-exec <command...>``), so no file is needed and the command's arguments
reach it through ``"$@"`` untouched by any re-quoting.
"""

from collections.abc import Sequence

__all__ = ["WRAPPER_SCRIPT", "wrap_command"]

#: The wrapper's text. Reads the marker path from ``$NR_EXEC_EXIT_MARKER`` and unsets it, so
#: nothing the command starts writes a marker of its own; runs ``"$@"``; writes the marker
#: atomically (temporary file, then ``mv``); exits with the command's exit code.
WRAPPER_SCRIPT = """\
m="${NR_EXEC_EXIT_MARKER:-}"
unset NR_EXEC_EXIT_MARKER
[ -n "$m" ] && s=$(date -u +%Y-%m-%dT%H:%M:%SZ)
"$@"
c=$?
if [ -n "$m" ]; then
  printf '{"version": 1, "exit_code": %d, "started": "%s", "ended": "%s", "host": "%s", \
"writer": "wrapper", "error": null, "cancelled": false, "retries": 0}\\n' \
"$c" "$s" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(uname -n)" >"$m.$$.tmp" && mv -f "$m.$$.tmp" "$m"
fi
exit "$c"
"""


def wrap_command(command: Sequence[str], *, shell: str = "/bin/sh") -> list[str]:
    """Return ``command`` wrapped so that its exit is recorded in an exit marker.

    Args:
        command: The command to run, as an argv list.
        shell: The POSIX shell to run the wrapper with.

    Returns:
        ``[shell, "-c", WRAPPER_SCRIPT, "nr-exec", *command]``.
    """
    return [shell, "-c", WRAPPER_SCRIPT, "nr-exec", *command]
