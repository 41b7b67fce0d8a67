"""Testing helpers: an in-memory ``FakeBackend`` and the ``BackendContract`` suite.

``FakeBackend``/``FakeExecutor`` need nothing beyond nr-exec. ``BackendContract`` needs
pytest (``pip install 'nr-exec[testing]'``) and is imported on first use.
"""

from nr_exec._lazy import lazy_exports
from nr_exec.testing.fake import FakeBackend, FakeCluster, FakeExecutor, FakeJob, FakeRequest

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
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

# BackendContract needs pytest.
__getattr__, __dir__ = lazy_exports(
    __name__, {"BackendContract": "nr_exec.testing.contract"}, __all__
)
