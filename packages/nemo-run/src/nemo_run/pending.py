"""Names of documented executors and Ray classes whose backend has not landed yet.

NeMo-Run users write ``run.SkypilotExecutor(...)`` or ``from nemo_run.run.ray import RayCluster``.
Until the layer that implements such a name provides it, the façade resolves the name to a
placeholder class that exists (so imports and ``hasattr`` work) and raises
:class:`~nemo_run.errors.NotAvailableYetError` when used, naming the extra it will need.
As soon as the implementing package exports the name, the façade returns the real object.
"""

import importlib
from typing import Any, NamedTuple, NoReturn

from nemo_run.errors import NotAvailableYetError

__all__ = ["PENDING", "Pending", "resolve_pending"]


class Pending(NamedTuple):
    """A documented name whose implementation has not landed.

    Attributes:
        module: The module that will export the name (``"nr_exec"``, ``"nr_ray"``).
        extra: The ``nemo-run`` extra it will need, or ``""`` when it needs none.
    """

    module: str
    extra: str


# public name -> where it will come from; one line per name.
PENDING: dict[str, Pending] = {
    "SkypilotExecutor": Pending("nr_exec", "skypilot"),
    "SkypilotJobsExecutor": Pending("nr_exec", "skypilot"),
    "DGXCloudExecutor": Pending("nr_exec", ""),
    "LeptonExecutor": Pending("nr_exec", "lepton"),
    "KubeflowExecutor": Pending("nr_exec", "kubernetes"),
    "KubeRayExecutor": Pending("nr_ray", "kubernetes"),
    "RayCluster": Pending("nr_ray", "ray"),
    "RayJob": Pending("nr_ray", "ray"),
}


def _message(name: str, pending: Pending) -> str:
    needs = (
        f"; once it lands it will need: pip install 'nemo-run[{pending.extra}]'"
        if pending.extra
        else "; once it lands it will need no extra"
    )
    available = (
        " Available executors: LocalExecutor, DockerExecutor, SlurmExecutor."
        if name.endswith("Executor")
        else ""
    )
    return (
        f"{name} is not available yet in this nemo-run: its backend ({pending.module}) has not "
        f"landed{needs}.{available}"
    )


def _placeholder(name: str, pending: Pending) -> type:
    message = _message(name, pending)

    def refuse(*args: Any, **kwargs: Any) -> NoReturn:
        del args, kwargs
        raise NotAvailableYetError(message)

    return type(
        name,
        (),
        {
            "__doc__": f"Placeholder: {message}",
            "__module__": "nemo_run.pending",
            "__new__": refuse,
            "not_available_yet": message,
        },
    )


_PLACEHOLDERS: dict[str, type] = {}


def resolve_pending(name: str) -> Any:
    """Return the real object for ``name`` once its package exports it, else its placeholder.

    Args:
        name: A key of :data:`PENDING`.

    Returns:
        The implementing package's object, or a class that raises
        :class:`~nemo_run.errors.NotAvailableYetError` on use.
    """
    pending = PENDING[name]
    real = getattr(importlib.import_module(pending.module), name, None)
    if real is not None:
        return real
    if name not in _PLACEHOLDERS:
        _PLACEHOLDERS[name] = _placeholder(name, pending)
    return _PLACEHOLDERS[name]
