"""Local execution: ``LocalExecutor`` and its backend (jobs as process groups on this machine)."""

from nr_exec.local.executor import LocalExecutor

__all__ = ["LocalBackend", "LocalExecutor", "LocalRequest"]


def __getattr__(name: str) -> object:
    if name in {"LocalBackend", "LocalRequest"}:
        from nr_exec.local import backend  # noqa: PLC0415 - subprocess only when needed

        return getattr(backend, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
