"""Run a command as a child subreaper, so every process it leaves behind stays below one pid.

Usage: python3 -I subreaper.py PIDFILE CMD [ARG...]

SkyPilot's API server detaches helpers into new sessions (ssh ControlMasters, port-forward
tunnels, managed-job controllers, subprocess daemons). Once their parents exit they are neither
in the server's session nor its children, so a session- or child-based stop misses them. A child
subreaper (prctl PR_SET_CHILD_SUBREAPER) adopts every such orphan instead of init: `sky.sh down`
then stops the whole tree below the pid in PIDFILE, by pid.

This process writes its pid to PIDFILE, runs CMD, forwards SIGTERM/SIGINT to it, reaps children
until none is left, and exits with CMD's status. Testbed tooling only (tools/testbed/sky.sh).
"""

import contextlib
import ctypes
import os
import signal
import sys
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print("usage: subreaper.py PIDFILE CMD [ARG...]", file=sys.stderr)
        return 2
    pid_file, cmd = argv[1], argv[2:]
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        print(f"prctl(PR_SET_CHILD_SUBREAPER): {os.strerror(ctypes.get_errno())}", file=sys.stderr)
        return 1
    child = os.fork()
    if child == 0:
        try:
            os.execvp(cmd[0], cmd)  # noqa: S606  (running CMD as given is this tool's job)
        except OSError as exc:
            print(f"subreaper: cannot run {cmd[0]}: {exc}", file=sys.stderr)
            os._exit(127)

    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    tmp = Path(pid_file + ".tmp")
    tmp.write_text(f"{os.getpid()}\n")
    tmp.replace(pid_file)
    status = 0
    while True:
        try:
            pid, wstatus = os.wait()
        except ChildProcessError:
            return status
        if pid == child:
            status = os.waitstatus_to_exitcode(wstatus)
            status = status if status >= 0 else 128 - status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
