"""Lazy imports of optional SDKs with an actionable error when an extra is missing."""

import importlib
from types import ModuleType

from nr_exec.errors import MissingExtraError

__all__ = ["require_extra"]


def require_extra(
    module: str, extra: str, dist: str = "nr-exec", *, feature: str | None = None
) -> ModuleType:
    """Import ``module``, or explain which extra installs it.

    Args:
        module: The module to import, e.g. ``"docker"``.
        extra: The extra of ``dist`` that provides it, e.g. ``"docker"``.
        dist: The layer distribution that also declares the extra, named second for
            installs without the ``nemo-run`` façade (which forwards every extra).
        feature: What needs the module, for the message; defaults to ``"the <extra> backend"``.

    Returns:
        The imported module.

    Raises:
        MissingExtraError: The module (or one of its dependencies) cannot be imported.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        what = feature or f"the {extra} backend"
        alternative = (
            f"; without the nemo-run façade: pip install '{dist}[{extra}]'"
            if dist != "nemo-run"
            else ""
        )
        error = MissingExtraError(
            f"{what} needs the '{extra}' extra: pip install 'nemo-run[{extra}]' "
            f"(import of {module!r} failed: {exc}{alternative})"
        )
        error.name = exc.name or module
        raise error from exc
