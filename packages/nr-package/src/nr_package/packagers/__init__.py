"""The packagers: passthrough, git archive, pattern and hybrid."""

from nr_package.packagers.base import Packager
from nr_package.packagers.git import GitArchivePackager
from nr_package.packagers.hybrid import HybridPackager
from nr_package.packagers.pattern import PatternPackager

__all__ = ["GitArchivePackager", "HybridPackager", "Packager", "PatternPackager"]
