"""``nemo_run.core.packaging``: the packagers, under NeMo-Run's import path."""

from typing import TYPE_CHECKING

from nemo_run.core._reexport import facade_getattr

if TYPE_CHECKING:
    from nemo_run import GitArchivePackager, HybridPackager, Packager, PatternPackager

__all__ = ["GitArchivePackager", "HybridPackager", "Packager", "PatternPackager"]

__getattr__ = facade_getattr(__name__, __all__)
