"""The façade of the monorepo: ``import nemo_run as run`` exposes the documented API.

Names are resolved lazily (PEP 562): ``import nemo_run`` loads nothing but this module, and
``run.Config`` imports ``nr_config`` on first use. No backend SDK is ever imported here.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from nemo_run.__about__ import __version__
from nemo_run.errors import NemoRunError

if TYPE_CHECKING:
    from nr_config import Config, Partial, Script, autoconvert, build

# public name -> module that defines it
_LAZY: dict[str, str] = {
    "Config": "nr_config",
    "Partial": "nr_config",
    "Script": "nr_config",
    "autoconvert": "nr_config",
    "build": "nr_config",
}

__all__ = ["Config", "NemoRunError", "Partial", "Script", "__version__", "autoconvert", "build"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nemo_run' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
