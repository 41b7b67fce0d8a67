"""Fixtures of the nr-exec tests: a private NEMORUN_HOME and an importable task module."""

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

TASKS = textwrap.dedent(
    """
    import os
    import sys
    import time


    def hello(name: str = "world") -> None:
        print(f"hello {name}", flush=True)


    def boom(message: str = "boom") -> None:
        raise ValueError(message)


    def leave(code: int = 0) -> None:
        sys.exit(code)


    def sleep(seconds: float = 60.0) -> None:
        print("sleeping", flush=True)
        time.sleep(seconds)


    def write_env(path: str, names: list[str]) -> None:
        with open(path, "w") as out:
            for name in names:
                out.write(f"{name}={os.environ.get(name, '')}\\n")


    def flaky(counter: str, failures: int = 1) -> None:
        done = int(open(counter).read()) if os.path.exists(counter) else 0
        with open(counter, "w") as out:
            out.write(str(done + 1))
        if done < failures:
            raise RuntimeError(f"attempt {done + 1} fails")
    """
)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private NEMORUN_HOME; the working directory holds the ``nrx_tasks`` module."""
    monkeypatch.setenv("NEMORUN_HOME", str(tmp_path / "home"))
    work = tmp_path / "work"
    work.mkdir()
    (work / "nrx_tasks.py").write_text(TASKS)
    monkeypatch.chdir(work)
    monkeypatch.syspath_prepend(str(work))
    sys.modules.pop("nrx_tasks", None)
    yield tmp_path / "home"
    sys.modules.pop("nrx_tasks", None)
