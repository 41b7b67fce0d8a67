"""``nemo_run.core.tunnel``: the tunnels, under NeMo-Run's import path."""

from typing import TYPE_CHECKING

from nemo_run.core._reexport import facade_getattr

if TYPE_CHECKING:
    from nemo_run import LocalTunnel, SSHTunnel

__all__ = ["LocalTunnel", "SSHTunnel"]

__getattr__ = facade_getattr(__name__, __all__)
