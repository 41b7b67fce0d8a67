"""Helpers shared by the ``nemorun`` app tests, as fixtures (test modules cannot import each other).

* ``nemorun``: run the app piped, ``nemorun(home, *args)`` with ``NEMORUN_HOME=home``;
  ``nemorun_command``: the command line that runs it.
* ``make_experiment``: make an experiment, ``make_experiment(root, kind, *args)`` (see
  :data:`EXPERIMENTS`; ``script=`` another launching script), with ``NEMORUN_HOME=root/home``;
  its id.
* ``terminal``: start a program in a real pseudo-terminal (a :class:`Terminal`), ended after the
  test.
* ``in_mount_namespace``: run the app in a private mount namespace (by default with its home
  mounted read-only); the test is skipped unless it may mount (root only).
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import shutil
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pytest

APP = "from nr_cli.app import main; main()"
"""``python -c APP ...`` runs the ``nemorun`` app of the interpreter running the tests."""

Nemorun = Callable[..., "subprocess.CompletedProcess[str]"]


def run_nemorun(
    home: Path, *args: str, timeout: float = 180, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``nemorun *args`` with ``NEMORUN_HOME=home``, stdin empty, its output captured."""
    environment = {**os.environ, **(env or {}), "NEMORUN_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-c", APP, *args], capture_output=True, text=True, env=environment,
        check=False, timeout=timeout, stdin=subprocess.DEVNULL,
    )  # fmt: skip


EXPERIMENTS = """
import sys, time
import nr_experiment
from nr_config import Partial
from nr_exec import LocalExecutor

def talk(word: str, lines: int = 3):
    for index in range(lines):
        print(word, index, flush=True)

def fail(code: int):
    print("about to fail", flush=True)
    raise SystemExit(code)

def nap(seconds: float):
    time.sleep(seconds)
    print("woke up", flush=True)

def nap_then_fail(seconds: float, code: int):
    time.sleep(seconds)
    raise SystemExit(code)

def stamped():
    import datetime
    now = datetime.datetime.now()
    print(f"{(now - datetime.timedelta(hours=2)).isoformat()} old news", flush=True)
    print("  continued, old", flush=True)
    print(f"[{now:%Y-%m-%d %H:%M:%S},5] new news", flush=True)
    print("  continued, new", flush=True)

if __name__ == "__main__":
    what = sys.argv[1]
    with nr_experiment.Experiment(what, executor=LocalExecutor()) as exp:
        if what == "pair":
            exp.add(Partial(talk, word="alpha"), name="alpha")
            exp.add(Partial(talk, word="beta", lines=5), name="beta",
                    executor=LocalExecutor(env_vars={"GREETING": "hi"}))
            exp.run()
        elif what == "broken":
            exp.add(Partial(fail, code=7), name="boom")
            exp.run()
        elif what == "slow":
            first = exp.add(Partial(nap, seconds=3), name="first")
            exp.add(Partial(talk, word="after"), name="second", dependencies=[first])
            exp.run(detach=True)
        elif what == "napper":
            exp.add(Partial(nap_then_fail, seconds=float(sys.argv[2]), code=4), name="nap")
            exp.run(detach=True)
        elif what == "unlaunched":
            exp.add(Partial(talk, word="never"), name="never")
        elif what == "dry":
            exp.add(Partial(talk, word="never"), name="never")
            exp.dryrun(log=False)
        elif what == "dry_then_run":
            exp.add(Partial(talk, word="once"), name="once")
            exp.dryrun(log=False)
            exp.run()
        elif what == "talk":
            exp.add(Partial(talk, word="hello"), name="hello")
            exp.run()
        elif what == "stamped":
            exp.add(Partial(stamped), name="stamped")
            exp.run()
    print(exp.id)
"""
"""The experiments the tests make (``make.py KIND [ARG]``), real local jobs; it prints the id.

* ``pair``: ``alpha`` prints ``alpha 0`` to ``alpha 2``; ``beta`` (its executor sets
  ``GREETING=hi``) prints ``beta 0`` to ``beta 4``. Both succeed.
* ``broken``: ``boom`` prints ``about to fail`` and exits 7.
* ``slow`` (detached): ``first`` sleeps 3 s and prints ``woke up``; ``second`` (after it) talks.
* ``napper SECONDS`` (detached): ``nap`` sleeps, then exits 4.
* ``unlaunched``: a job added, never run; ``dry``: dry-run only; ``dry_then_run``: both.
* ``talk``: ``hello`` prints three lines; ``stamped``: lines with times two hours apart.
"""


def run_launch_script(root: Path, *argv: str, script: str = EXPERIMENTS) -> str:
    """Run ``script`` as ``root/make.py *argv`` with ``NEMORUN_HOME=root/home``; its last word."""
    (root / "make.py").write_text(script)
    env = {**os.environ, "NEMORUN_HOME": str(root / "home")}
    done = subprocess.run(
        [sys.executable, "make.py", *argv], cwd=root, env=env, capture_output=True, text=True,
        check=False, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.split()[-1]


class Terminal:
    """A program whose stdin, stdout and stderr are a pseudo-terminal ``columns`` x ``rows``.

    The program runs in a session of its own (``os.killpg(terminal.pid, ...)`` signals it).
    What it prints is read as text, as the terminal got it (escape sequences and ``\\r\\n``).
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        columns: int = 80,
        rows: int = 50,
        cwd: Path | None = None,
    ) -> None:
        self._leader, follower = pty.openpty()
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.process = subprocess.Popen(
            list(argv), cwd=cwd, env=dict(env), stdin=follower, stdout=follower, stderr=follower,
            start_new_session=True,
        )  # fmt: skip
        os.close(follower)
        self._closed = False

    @property
    def pid(self) -> int:
        """The program's process id (and its process group's)."""
        return self.process.pid

    def write(self, text: str) -> None:
        """Type ``text`` (``"\\t"`` is the Tab key, ``"\\n"`` the Enter key)."""
        os.write(self._leader, text.encode())

    def _read(self, timeout: float) -> str | None:
        """What the program printed next ("" at its end); None if nothing came in ``timeout`` s."""
        ready, _, _ = select.select([self._leader], [], [], timeout)
        if not ready:
            return None
        try:
            chunk = os.read(self._leader, 65536)
        except OSError:  # EIO: the program closed the terminal
            return ""
        return chunk.decode(errors="replace")

    def read_until(self, needle: str, timeout: float = 60) -> str:
        """Read until ``needle`` was printed; what was read. Fails after ``timeout`` s or at the end."""
        seen = ""
        deadline = time.monotonic() + timeout
        while needle not in seen:
            left = deadline - time.monotonic()
            chunk = self._read(max(left, 0)) if left > 0 else None
            if not chunk:
                raise AssertionError(f"{needle!r} was not printed; the terminal got {seen!r}")
            seen += chunk
        return seen

    def read_to_end(self, timeout: float = 60) -> str:
        """Read until the program closes the terminal; fails if it is silent for ``timeout`` s."""
        chunks = []
        while (chunk := self._read(timeout)) != "":
            if chunk is None:
                raise AssertionError(f"nothing printed for {timeout} s; got {''.join(chunks)!r}")
            chunks.append(chunk)
        return "".join(chunks)

    def wait(self, timeout: float = 60) -> int:
        """The program's exit code, once it exits."""
        return self.process.wait(timeout=timeout)

    def close(self) -> None:
        """Close the terminal and kill the program if it still runs. Idempotent."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=60)
        if not self._closed:
            self._closed = True
            os.close(self._leader)


@pytest.fixture(scope="session")
def nemorun() -> Nemorun:
    """``nemorun(home, *args, timeout=180, env=None)``: see :func:`run_nemorun`."""
    return run_nemorun


@pytest.fixture(scope="session")
def nemorun_command() -> list[str]:
    """The command line that runs the ``nemorun`` app (for a :class:`Terminal`)."""
    return [sys.executable, "-c", APP]


@pytest.fixture(scope="session")
def make_experiment() -> Callable[..., str]:
    """``make_experiment(root, *argv, script=EXPERIMENTS)``: see :func:`run_launch_script`."""
    return run_launch_script


@pytest.fixture
def terminal() -> Iterator[Callable[..., Terminal]]:
    """``terminal(argv, env=..., columns=80, rows=50, cwd=None)``: a started :class:`Terminal`."""
    started: list[Terminal] = []

    def start(argv: Sequence[str], **options: object) -> Terminal:
        started.append(Terminal(argv, **options))  # type: ignore[arg-type]
        return started[-1]

    yield start
    for each in started:
        each.close()


def _can_mount() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("mount") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-m", "mount", "-t", "tmpfs", "tmpfs", "/mnt"], capture_output=True, check=False
    )
    return probe.returncode == 0


def run_in_mount_namespace(
    home: Path, *args: str, setup: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``nemorun *args`` in a private mount namespace, after the shell commands ``setup``.

    Args:
        home: ``NEMORUN_HOME``.
        args: The app's arguments.
        setup: Shell commands run first (default: ``home`` bind-mounted read-only).
    """
    if setup is None:
        setup = f"mount --bind -o ro '{home}' '{home}'"
    command = " ".join(f"'{a}'" for a in [sys.executable, "-c", APP, *args])
    env = {**os.environ, "NEMORUN_HOME": str(home)}
    return subprocess.run(
        ["unshare", "-m", "sh", "-ec", f"{setup}\nexec {command}"], env=env, capture_output=True,
        text=True, check=False, timeout=180, stdin=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.fixture(scope="session")
def in_mount_namespace() -> Nemorun:
    """``in_mount_namespace(home, *args, setup=None)`` (see :func:`run_in_mount_namespace`).

    The test is skipped unless it may mount file systems in a mount namespace (root only).
    """
    if not _can_mount():
        pytest.skip("needs root and mount namespaces")
    return run_in_mount_namespace
