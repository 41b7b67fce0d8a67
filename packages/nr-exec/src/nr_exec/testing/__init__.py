"""Testing helpers: an in-memory ``FakeBackend`` and the ``BackendContract`` suite.

``FakeBackend``/``FakeExecutor`` need nothing beyond nr-exec. ``BackendContract`` needs
pytest (``pip install 'nr-exec[testing]'``) and is imported on first use.
"""

from typing import TYPE_CHECKING

from nr_exec.testing.fake import FakeBackend, FakeCluster, FakeExecutor, FakeJob, FakeRequest

if TYPE_CHECKING:
    from nr_exec.testing.contract import BackendContract

__all__ = [
    "BackendContract",
    "FakeBackend",
    "FakeCluster",
    "FakeExecutor",
    "FakeJob",
    "FakeRequest",
]


def __getattr__(name: str) -> object:
    if name == "BackendContract":
        from nr_exec.testing.contract import BackendContract  # noqa: PLC0415 - needs pytest

        return BackendContract
    raise AttributeError(f"module 'nr_exec.testing' has no attribute {name!r}")
