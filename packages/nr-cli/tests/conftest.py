import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from nr_cli import registry

sys.path.insert(0, str(Path(__file__).parent))  # the test targets in nr_cli_sample.py


@pytest.fixture(autouse=True)
def isolated_registry(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts with the registry as it was, no workspace files, its own cwd."""
    factories = {k: dict(v) for k, v in registry.FACTORIES.items()}
    entrypoints = dict(registry.ENTRYPOINTS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEMORUN_HOME", str(tmp_path / "home"))
    registry.reset_discovery()
    yield
    registry.FACTORIES.clear()
    registry.FACTORIES.update(factories)
    registry.ENTRYPOINTS.clear()
    registry.ENTRYPOINTS.update(entrypoints)
    registry.reset_discovery()
