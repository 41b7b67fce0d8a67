"""The packagers: passthrough, git archive, pattern and hybrid (each loaded on first use)."""

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nr_package.packagers.base import Packager
    from nr_package.packagers.git import GitArchivePackager
    from nr_package.packagers.hybrid import HybridPackager
    from nr_package.packagers.pattern import PatternPackager

_LAZY = {
    "Packager": "nr_package.packagers.base",
    "GitArchivePackager": "nr_package.packagers.git",
    "HybridPackager": "nr_package.packagers.hybrid",
    "PatternPackager": "nr_package.packagers.pattern",
}

__all__ = ["GitArchivePackager", "HybridPackager", "Packager", "PatternPackager"]


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nr_package.packagers' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
