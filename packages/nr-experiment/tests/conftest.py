"""Fixtures: a private NEMORUN_HOME and an importable module of task functions."""

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

TASKS = """
import os
import sys


def greet(name: str = "world") -> None:
    print(f"hello {name}")


def fail(code: int = 3) -> None:
    sys.exit(code)


def show_env(key: str = "NR_TEST") -> None:
    print(f"{key}={os.environ.get(key, '')}")
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh store root, set as ``$NEMORUN_HOME``."""
    path = tmp_path / "home"
    monkeypatch.setenv("NEMORUN_HOME", str(path))
    monkeypatch.delenv("NEMORUN_IDS_FILE", raising=False)
    return path


@pytest.fixture
def tasks_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Write ``nrexp_tasks.py`` and make it importable here and in jobs (``PYTHONPATH``)."""
    folder = tmp_path / "mods"
    folder.mkdir()
    (folder / "nrexp_tasks.py").write_text(TASKS)
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("PYTHONPATH", str(folder))
    yield "nrexp_tasks"
    sys.modules.pop("nrexp_tasks", None)
