"""Fixtures of the experiment reliability tests: a private store root."""

from pathlib import Path

import pytest


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh store root, set as ``$NEMORUN_HOME`` (inherited by launched processes)."""
    path = tmp_path / "home"
    monkeypatch.setenv("NEMORUN_HOME", str(path))
    monkeypatch.delenv("NEMORUN_IDS_FILE", raising=False)
    return path
