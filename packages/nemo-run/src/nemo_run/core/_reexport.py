"""Lazy re-export of façade names from a ``nemo_run.core`` compatibility module."""

from collections.abc import Callable
from typing import Any

__all__ = ["facade_getattr"]


def facade_getattr(module: str, names: list[str]) -> Callable[[str], Any]:
    """Return a PEP 562 ``__getattr__`` resolving ``names`` through ``import nemo_run``.

    Args:
        module: The compatibility module's name, for the error message.
        names: The façade names it re-exports.
    """
    exported = frozenset(names)

    def getattr_(name: str) -> Any:
        if name not in exported:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        import nemo_run  # noqa: PLC0415 - the façade resolves lazily

        return getattr(nemo_run, name)

    return getattr_
